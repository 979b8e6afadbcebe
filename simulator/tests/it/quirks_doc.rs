//! docs/quirks.md, the one table of every guess, against the quirks the simulator has: a quirk
//! added without a row, a row left behind by a removed one, a default the page misstates or an
//! alternative the configuration refuses fails here, as does a quirk docs/providers.md names
//! that does not exist.

use std::collections::BTreeSet;

const QUIRKS_DOC: &str = include_str!("../../../docs/quirks.md");

/// The `provider.quirk` names in the first column of the document's table.
fn documented() -> BTreeSet<String> {
    QUIRKS_DOC
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once("` |"))
        .map(|(name, _)| name.to_owned())
        .collect()
}

#[test]
fn every_quirk_has_one_row_and_every_row_a_quirk() {
    let simulated: BTreeSet<String> = smsim::PROVIDERS
        .iter()
        .flat_map(|entry| {
            entry
                .quirk_names
                .iter()
                .map(move |quirk| format!("{}.{quirk}", entry.provider.name()))
        })
        .collect();
    assert!(simulated.len() > 20, "{simulated:?}");
    let documented = documented();
    let undocumented: Vec<_> = simulated.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&simulated).collect();
    assert!(
        undocumented.is_empty(),
        "quirks without a row in docs/quirks.md: {undocumented:?}"
    );
    assert!(
        stale.is_empty(),
        "rows of docs/quirks.md naming no quirk: {stale:?}"
    );
}

#[test]
fn every_quirk_s_row_gives_its_default() {
    let config = serde_json::to_value(smsim::Config::embedded()).unwrap();
    let defaults = config["quirks"].as_object().expect("quirks, written flat");
    assert!(defaults.len() > 20, "{defaults:?}");
    for row in QUIRKS_DOC.lines().filter(|line| line.starts_with("| `")) {
        let cells: Vec<&str> = row.split(" | ").collect();
        let name = cells[0].trim_start_matches("| ").trim_matches('`');
        let written = cells[1].trim_matches('`');
        let default = &defaults[name];
        let default = default
            .as_str()
            .map_or_else(|| default.to_string(), str::to_owned);
        assert_eq!(written, default, "docs/quirks.md's default for {name}");
    }
}

#[test]
fn every_alternative_a_row_names_is_one_the_configuration_takes() {
    let mut tried = 0;
    for row in QUIRKS_DOC.lines().filter(|line| line.starts_with("| `")) {
        let cells: Vec<&str> = row.split(" | ").collect();
        let name = cells[0].trim_start_matches("| ").trim_matches('`');
        for alternative in cells[2].split('`').skip(1).step_by(2) {
            // Written as JSON: numbers and booleans bare, names as strings.
            let value: serde_json::Value = serde_json::from_str(alternative)
                .unwrap_or_else(|_| serde_json::Value::from(alternative));
            let config = serde_json::json!({ "quirks": { name: value } }).to_string();
            if let Err(refused) = smsim::Config::from_json(&config, "docs/quirks.md") {
                panic!("docs/quirks.md's {name} = {alternative} is refused: {refused}");
            }
            tried += 1;
        }
    }
    assert!(tried > 25, "{tried} alternatives");
}

#[test]
fn the_providers_page_names_only_quirks_there_are() {
    let page = include_str!("../../../docs/providers.md");
    let table = page.split("## How sure we are").nth(1).expect("the table");
    let named: BTreeSet<String> = table
        .lines()
        .filter(|line| line.starts_with("| "))
        // provider | fact | how sure | quirk
        .filter_map(|row| row.split(" | ").nth(3))
        .flat_map(|cell| cell.split('`').skip(1).step_by(2))
        .map(str::to_owned)
        .collect();
    assert!(named.len() > 20, "{named:?}");
    let documented = documented();
    let unknown: Vec<_> = named.difference(&documented).collect();
    assert!(
        unknown.is_empty(),
        "docs/providers.md names no such quirk: {unknown:?}"
    );
}
