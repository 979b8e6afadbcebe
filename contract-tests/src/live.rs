//! Live mode: replays the safe fixtures of one provider against any base URL (the real service
//! or a running smsim) and reports drift, fixture by fixture.

use std::fmt;
use std::path::Path;

use crate::fixture::{Credentials, Fixture, discover};
use crate::replay::{Mismatch, replay};
use crate::upstream::Upstream;

/// The outcome of one fixture against the target.
#[derive(Debug)]
pub struct FixtureResult {
    /// `provider/operation/case`.
    pub name: String,
    /// Empty when the target answered as recorded.
    pub differences: Vec<Mismatch>,
}

/// What a live run found.
#[derive(Debug, Default)]
pub struct DriftReport {
    /// One entry per safe fixture replayed, in name order.
    pub results: Vec<FixtureResult>,
    /// Fixtures that could not be loaded, with the reason.
    pub broken: Vec<String>,
    /// Safe fixtures not replayed, and the kind of account each needs.
    pub skipped: Vec<(String, String)>,
}

impl DriftReport {
    /// True when any fixture drifted or could not be loaded.
    pub fn has_drift(&self) -> bool {
        !self.broken.is_empty() || self.results.iter().any(|r| !r.differences.is_empty())
    }
}

impl fmt::Display for DriftReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for broken in &self.broken {
            writeln!(f, "BROKEN  {broken}")?;
        }
        for (name, account) in &self.skipped {
            writeln!(
                f,
                "skipped {name} (needs an account: {account}; give --needs {account:?} with such an account's credentials)"
            )?;
        }
        for result in &self.results {
            if result.differences.is_empty() {
                writeln!(f, "same    {}", result.name)?;
            } else {
                writeln!(f, "DRIFT   {}", result.name)?;
                for difference in &result.differences {
                    for line in difference.to_string().lines() {
                        writeln!(f, "          {line}")?;
                    }
                }
            }
        }
        let drifted = self
            .results
            .iter()
            .filter(|r| !r.differences.is_empty())
            .count();
        write!(
            f,
            "{} fixtures: {} same, {} drifted, {} broken, {} skipped",
            self.results.len(),
            self.results.len() - drifted,
            drifted,
            self.broken.len(),
            self.skipped.len()
        )
    }
}

/// Replays every safe fixture under `root/provider` against `upstream`, but those that need a
/// kind of account not among `accounts` (the kinds the caller's credentials are).
pub async fn check(
    root: &Path,
    provider: &str,
    upstream: &Upstream,
    credentials: &Credentials,
    accounts: &[String],
) -> DriftReport {
    let mut report = DriftReport::default();
    for (name, path) in discover(&root.join(provider)) {
        let name = format!("{provider}/{name}");
        match Fixture::load(&path) {
            Ok(fixture) if fixture.safe && !needs_other(&fixture, accounts) => {
                let differences = replay(&fixture, upstream, credentials).await;
                report.results.push(FixtureResult { name, differences });
            }
            Ok(fixture) if fixture.safe => {
                let account = fixture.needs.map(|n| n.account).unwrap_or_default();
                report.skipped.push((name, account));
            }
            Ok(_) => {}
            Err(e) => report.broken.push(e.to_string()),
        }
    }
    report
}

/// Whether `fixture` needs a kind of account the caller did not say it has.
fn needs_other(fixture: &Fixture, accounts: &[String]) -> bool {
    fixture.needs.as_ref().is_some_and(|needs| {
        !accounts
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&needs.account))
    })
}
