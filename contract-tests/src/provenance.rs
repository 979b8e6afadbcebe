//! Where a fixture's expected answer came from, and the checks that hold each kind to its word:
//! a `documented` quote is found verbatim in the document it names; a fixture moves with exactly
//! the quirks it lists (none for `documented` and `observed`).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use smsim::{Config, Quirks};

use crate::fixture::Fixture;
use crate::inprocess::run_in_process;

/// Where a fixture's expected answer came from, in a form a reviewer can check.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Provenance {
    /// A provider document says so: `quote` is found verbatim in `document`, and the fixture
    /// asserts nothing beyond it and the simulator's fixed envelope.
    Documented {
        /// Which document.
        document: Document,
        /// Where in it (section, table, example).
        source: String,
        /// The document's exact words or example reply (a few lines at most).
        quote: String,
    },
    /// Public client code only works if the provider answers so.
    Observed {
        /// The client: repository or package, file, function.
        source: String,
        /// The client's line whose correctness depends on the reply.
        quote: String,
    },
    /// The answer follows from quirk defaults or an unsettled choice; `quirks` lists every quirk
    /// setting it depends on (the harness proves the list).
    Assumed {
        /// Why the answer is what it is, and what evidence there is.
        source: String,
        /// Full quirk names, e.g. `smsoffice.content_type`.
        quirks: Vec<String>,
    },
    /// Captured from the live service by `smsim record`.
    Recorded {
        /// The upstream it was captured from.
        source: String,
        /// When (RFC 3339).
        at: String,
    },
}

impl Provenance {
    /// The quirks a fixture says it depends on (only `assumed` ones may).
    pub fn quirks(&self) -> &[String] {
        match self {
            Provenance::Assumed { quirks, .. } => quirks,
            _ => &[],
        }
    }
}

/// The provider documents a `documented` fixture may cite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Document {
    /// smsoffice.ge's API document in Georgian.
    SmsofficeKa,
    /// smsoffice.ge's API document in English.
    SmsofficeEn,
    /// smsco.ge's API document (Russian, with English parameter notes).
    SmscoRu,
    /// getsms.uz's API document in Uzbek.
    GetsmsUz,
}

impl Document {
    /// Every document.
    pub const ALL: [Document; 4] = [
        Document::SmsofficeKa,
        Document::SmsofficeEn,
        Document::SmscoRu,
        Document::GetsmsUz,
    ];

    /// The document's title, for reports.
    pub fn title(self) -> &'static str {
        match self {
            Document::SmsofficeKa => "smsoffice.ge's API document in Georgian",
            Document::SmsofficeEn => "smsoffice.ge's API document in English",
            Document::SmscoRu => "smsco.ge's API document",
            Document::GetsmsUz => "getsms.uz's API document",
        }
    }

    /// Words only this document contains, to recognise its file among the documents.
    fn signature(self) -> &'static str {
        match self {
            Document::SmsofficeKa => "გამჭოლი მესიჯების გასაგზავნად",
            Document::SmsofficeEn => "For transactional messages use urgent=true",
            Document::SmscoRu => "com_smsreseller/smsapi2.php",
            Document::GetsmsUz => "GETSMS.UZ tizimi bilan integratsiyalash",
        }
    }

    /// The document's text among the files of `dir`, found by its signature.
    pub fn read_from(self, dir: &Path) -> Option<String> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        entries
            .into_iter()
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .find(|text| text.contains(self.signature()))
    }
}

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
