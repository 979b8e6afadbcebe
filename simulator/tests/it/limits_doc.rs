//! docs/limits.md, every bound in one place, against the configuration's `limits`: a setting
//! without a row, a row naming no setting, or a default the page misstates fails here.

use std::collections::BTreeMap;

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
