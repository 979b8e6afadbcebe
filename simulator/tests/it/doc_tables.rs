//! The reference tables of docs/ against the code they describe: docs/limits.md against the
//! configuration's `limits` (a setting without a row, a row naming no setting, or a default the
//! page misstates fails here); docs/running.md's flags and top-level settings against `smsim
//! serve`'s and the configuration's; docs/admin-api.md's table of calls against the admin API's
//! OpenAPI document (itself held to the router); every fault recipe of docs/faults.md against the
//! fault parser.

use std::collections::{BTreeMap, BTreeSet};

use clap::CommandFactory;

use serde_json::Value;
use smsim::Config;

const LIMITS_DOC: &str = include_str!("../../../docs/limits.md");

/// Each `limits.*` setting the page's table names, with the first number of its default column.
fn documented() -> BTreeMap<String, u64> {
    let mut found = BTreeMap::new();
    for row in LIMITS_DOC
        .lines()
        .filter(|line| line.starts_with("| `limits."))
    {
        let cells: Vec<&str> = row.split(" | ").collect();
        let default: String = cells[1]
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(|c| c.is_ascii_digit() || *c == ',')
            .filter(char::is_ascii_digit)
            .collect();
        let default = default
            .parse()
            .unwrap_or_else(|_| panic!("no default in {row}"));
        for name in cells[0].split('`').filter(|n| n.starts_with("limits.")) {
            found.insert(name.to_owned(), default);
        }
    }
    found
}

/// Every setting under `value`, by its dotted name.
fn settings(prefix: &str, value: &Value, found: &mut BTreeMap<String, u64>) {
    match value {
        Value::Object(fields) => {
            for (name, inner) in fields {
                settings(&format!("{prefix}.{name}"), inner, found);
            }
        }
        other => {
            let number = other
                .as_u64()
                .unwrap_or_else(|| panic!("{prefix} is not a number: {other}"));
            found.insert(prefix.to_owned(), number);
        }
    }
}

#[test]
fn every_limit_has_a_row_with_its_default() {
    let config = serde_json::to_value(Config::embedded().limits).unwrap();
    let mut configured = BTreeMap::new();
    settings("limits", &config, &mut configured);
    assert!(configured.len() > 10, "{configured:?}");
    assert_eq!(
        documented(),
        configured,
        "docs/limits.md's `limits.*` rows (left) against the embedded configuration (right)"
    );
}

#[test]
fn every_serve_flag_has_a_row_with_its_environment_variable() {
    let page = include_str!("../../../docs/running.md");
    let mut documented = BTreeSet::new();
    for row in page.lines().filter(|line| line.starts_with("| `--")) {
        let cells: Vec<&str> = row.split(" | ").collect();
        let flags = cells[0].split('`').filter(|word| word.starts_with("--"));
        let variables = cells[1]
            .split('`')
            .filter(|word| word.starts_with("SMSIM_"));
        for (flag, variable) in flags.zip(variables) {
            let flag = flag.split([' ', '=']).next().unwrap();
            documented.insert((flag.to_owned(), variable.to_owned()));
        }
    }
    let cli = smsim::cli::Cli::command();
    let serve = cli.find_subcommand("serve").expect("serve");
    let flags: BTreeSet<(String, String)> = serve
        .get_arguments()
        .filter(|arg| !arg.is_hide_set())
        .filter_map(|arg| {
            let long = arg.get_long()?;
            let variable = arg.get_env().map(|v| v.to_string_lossy().into_owned());
            Some((format!("--{long}"), variable.unwrap_or_default()))
        })
        .collect();
    assert!(flags.len() > 15, "{flags:?}");
    assert_eq!(
        documented, flags,
        "docs/running.md's flag table (left) against `smsim serve`'s flags (right)"
    );
}

#[tokio::test]
async fn every_admin_call_has_a_row() {
    let page = include_str!("../../../docs/admin-api.md");
    let mut documented = BTreeSet::new();
    for row in page.lines().filter(|line| line.starts_with("| `")) {
        let call = row.split(" | ").next().unwrap();
        let words: Vec<&str> = call.split(['`', '/', ' ']).collect();
        let path = call
            .split(['`', ' '])
            .find(|word| word.starts_with("/__admin"))
            .unwrap_or_else(|| panic!("no path in {row}"));
        for method in words
            .iter()
            .filter(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_uppercase()))
        {
            documented.insert((method.to_string(), path.to_owned()));
        }
    }
    let sim = smsim::Simulator::start_default().await.unwrap();
    let document = crate::client::get(&sim, "/__admin/openapi.json")
        .await
        .json();
    let mut served = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        // The inbox's own files and its slashless address are the inbox's row.
        if path.starts_with("/__admin/ui") && path != "/__admin/ui/" {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            served.insert((method.to_uppercase(), path.clone()));
        }
    }
    assert!(served.len() > 25, "{served:?}");
    assert_eq!(
        documented, served,
        "docs/admin-api.md's calls (left) against the OpenAPI document's (right)"
    );
}

#[test]
fn every_fault_recipe_is_a_fault_smsim_takes() {
    let page = include_str!("../../../docs/faults.md");
    let recipes: Vec<&str> = page
        .split("--fault '")
        .skip(1)
        .map(|rest| rest.split('\'').next().unwrap())
        .collect();
    assert!(recipes.len() >= 12, "{recipes:?}");
    for recipe in recipes {
        let config = serde_json::json!({ "faults": [recipe] }).to_string();
        if let Err(refused) = Config::from_json(&config, "docs/faults.md") {
            panic!("docs/faults.md's `--fault '{recipe}'` is refused: {refused}");
        }
    }
}

#[test]
fn every_top_level_setting_has_a_row() {
    let page = include_str!("../../../docs/running.md");
    let table = page
        .split("The top-level settings:")
        .nth(1)
        .expect("the settings table");
    let documented: BTreeSet<String> = table
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .filter_map(|row| row.split(" | ").next())
        .flat_map(|cell| cell.split('`').skip(1).step_by(2))
        .map(str::to_owned)
        .collect();
    let config = serde_json::to_value(Config::embedded()).unwrap();
    // Settings that are off by default are written only when set.
    let mut configured: BTreeSet<String> = config.as_object().unwrap().keys().cloned().collect();
    configured.extend(["admin_token", "allowed_hosts", "clock_start", "tls"].map(str::to_owned));
    assert_eq!(
        documented, configured,
        "docs/running.md's top-level settings (left) against the configuration's (right)"
    );
}
