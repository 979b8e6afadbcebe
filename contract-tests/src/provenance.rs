//! Where a fixture's expected answer came from: part of the fixture format. The checks that hold
//! each kind to its word are in `audit`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

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
        /// The quirk settings the observation settles (their defaults follow it), which the
        /// fixture therefore moves with; usually none.
        #[serde(default)]
        quirks: Vec<String>,
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
    /// The quirks a fixture says it depends on: an `assumed` one's, or those an `observed` one's
    /// evidence settles.
    pub fn quirks(&self) -> &[String] {
        match self {
            Provenance::Assumed { quirks, .. } | Provenance::Observed { quirks, .. } => quirks,
            _ => &[],
        }
    }
}

/// A provider document a `documented` fixture may cite, by the name its provider declares
/// (`smsoffice-ka`, `smsoffice-en`, `smsco-ru`, `getsms-uz`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Document(&'static smsim::ProviderDocument);

impl Document {
    /// Every document every provider declares.
    pub fn all() -> impl Iterator<Item = Document> {
        smsim::PROVIDERS
            .iter()
            .flat_map(|e| e.documents.iter().map(Document))
    }

    /// The document called `id`.
    pub fn named(id: &str) -> Option<Document> {
        Document::all().find(|d| d.0.id == id)
    }

    /// The name fixtures cite it by.
    pub fn id(self) -> &'static str {
        self.0.id
    }

    /// The document's title, for reports.
    pub fn title(self) -> &'static str {
        self.0.title
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
            .find(|text| text.contains(self.0.signature))
    }
}

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Document, D::Error> {
        let id = String::deserialize(deserializer)?;
        Document::named(&id).ok_or_else(|| {
            let ids: Vec<&str> = Document::all().map(Document::id).collect();
            serde::de::Error::custom(format!(
                "unknown document `{id}`, expected one of {}",
                ids.join(", ")
            ))
        })
    }
}
