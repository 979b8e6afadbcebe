//! The provenance audit, which holds each fixture to its word: a `documented` quote is found
//! verbatim in the document it names; a fixture moves with exactly the quirks it lists (none for
//! `documented` and `observed`).

use std::path::Path;

use smsim::{Config, Quirks};

use crate::fixture::Fixture;
use crate::inprocess::run_in_process;
use crate::provenance::{Document, Provenance};

/// What the flip rule found wrong with one fixture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlipProblem {
    /// Flipping a quirk the fixture does not list changed its answer: it asserts that quirk's
    /// default without saying so.
    Unlisted {
        /// The quirk.
        quirk: String,
        /// What changed (mismatch fields).
        fields: Vec<String>,
    },
    /// Flipping a listed quirk changed nothing: the fixture does not depend on it.
    NoEffect {
        /// The quirk.
        quirk: String,
    },
}

impl std::fmt::Display for FlipProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlipProblem::Unlisted { quirk, fields } => write!(
                f,
                "flipping {quirk} changes {} but provenance does not list it",
                fields.join(", ")
            ),
            FlipProblem::NoEffect { quirk } => write!(
                f,
                "provenance lists {quirk}, but flipping it changes nothing"
            ),
        }
    }
}

/// Replays `fixture` with each quirk of `base` flipped in turn and checks the result against
/// the provenance: a listed quirk must change the answer, an unlisted one must not. A `recorded`
/// fixture is the real service's word and is not held to quirks.
pub async fn check_flips(fixture: &Fixture, base: &Config) -> std::io::Result<Vec<FlipProblem>> {
    let mut problems = Vec::new();
    if matches!(fixture.provenance, Provenance::Recorded { .. }) {
        return Ok(problems);
    }
    let listed = fixture.provenance.quirks();
    for quirk in Quirks::names() {
        let mut config = base.clone();
        config.quirks = base
            .quirks
            .flipped(&quirk)
            .expect("every listed name flips");
        let mismatches = run_in_process(fixture, config).await?;
        let is_listed = listed.contains(&quirk);
        match (is_listed, mismatches.is_empty()) {
            (false, false) => problems.push(FlipProblem::Unlisted {
                quirk,
                fields: mismatches.into_iter().map(|m| m.field).collect(),
            }),
            (true, true) => problems.push(FlipProblem::NoEffect { quirk }),
            _ => {}
        }
    }
    Ok(problems)
}

/// Why a `documented` quote could not be confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuoteProblem {
    /// No file in the documents folder is the named document.
    DocumentMissing(Document),
    /// The document does not contain the quote verbatim.
    NotFound(Document),
}

impl std::fmt::Display for QuoteProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QuoteProblem::DocumentMissing(d) => {
                write!(f, "no file in the documents folder is {}", d.title())
            }
            QuoteProblem::NotFound(d) => write!(f, "the quote is not in {} verbatim", d.title()),
        }
    }
}

/// Checks a `documented` fixture's quote against the documents in `dir`; other kinds pass.
pub fn check_quote(provenance: &Provenance, dir: &Path) -> Result<(), QuoteProblem> {
    let Provenance::Documented {
        document, quote, ..
    } = provenance
    else {
        return Ok(());
    };
    let text = document
        .read_from(dir)
        .ok_or(QuoteProblem::DocumentMissing(*document))?;
    if text.contains(quote.as_str()) {
        Ok(())
    } else {
        Err(QuoteProblem::NotFound(*document))
    }
}
