//! Every fixture under `fixtures/`, each against its own in-process simulator, as named
//! tests: `<name>` replays it with the embedded defaults; `<name>/quirks` replays it with each
//! quirk flipped in turn and holds it to its provenance (an `assumed` fixture moves with exactly
//! the quirks it lists, a `documented` or `observed` one with none); and for a `documented`
//! fixture, `<name>/quote` finds its quote verbatim in the provider document it names. One more test,
//! `quirks-table`, checks that `fixtures/README.md` lists for each quirk the fixtures it moves.
//!
//! The provider documents are read from the folder `$SMSIM_PROVIDER_DOCUMENTS` names. Without
//! them the quote tests are ignored, unless `SMSIM_REQUIRE_DOCUMENTS` is set (CI sets both),
//! which makes them fail.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use contract_tests::audit::{check_flips, check_quote};
use contract_tests::fixture::{Fixture, Provenance, discover};
use contract_tests::inprocess::{replay_config, run_against_foreign, run_in_process};
use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let documents = std::env::var_os("SMSIM_PROVIDER_DOCUMENTS").map(PathBuf::from);
    let required = std::env::var_os("SMSIM_REQUIRE_DOCUMENTS").is_some();
    let documents_missing = !documents.as_deref().is_some_and(Path::is_dir);
    let documents = documents.unwrap_or_default();
    let fixtures = discover(&root);
    let mut trials = Vec::new();
    for (name, path) in &fixtures {
        let replay_path = path.clone();
        trials.push(Trial::test(name.clone(), move || replay(&replay_path)));
        let flip_path = path.clone();
        trials.push(Trial::test(format!("{name}/quirks"), move || {
            flips(&flip_path)
        }));
        // What live mode may send must hold for any account, not only the demo ones.
        let live = Fixture::load(path).is_ok_and(|f| f.safe && f.needs.is_none());
        if live {
            let foreign_path = path.clone();
            trials.push(Trial::test(format!("{name}/foreign"), move || {
                foreign(&foreign_path)
            }));
        }
        // Only a documented fixture quotes a document.
        let documented = Fixture::load(path)
            .is_ok_and(|f| matches!(f.provenance, Provenance::Documented { .. }));
        if documented {
            let quote_path = path.clone();
            let dir = documents.clone();
            trials.push(
                Trial::test(format!("{name}/quote"), move || quote(&quote_path, &dir))
                    .with_ignored_flag(!required && documents_missing),
            );
        }
    }
    let table_root = root.clone();
    trials.push(Trial::test("quirks-table", move || {
        quirks_table(&table_root, &fixtures)
    }));
    libtest_mimic::run(&args, trials).exit();
}

fn load(path: &Path) -> Result<Fixture, Failed> {
    Fixture::load(path).map_err(|e| Failed::from(e.to_string()))
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

fn replay(path: &Path) -> Result<(), Failed> {
    let fixture = load(path)?;
    let mismatches = runtime()?.block_on(run_in_process(&fixture, replay_config()))?;
    if mismatches.is_empty() {
        return Ok(());
    }
    let report: Vec<String> = mismatches.iter().map(ToString::to_string).collect();
    Err(format!(
        "{}\n{} difference(s):\n  {}",
        path.display(),
        mismatches.len(),
        report.join("\n  ")
    )
    .into())
}

fn foreign(path: &Path) -> Result<(), Failed> {
    let fixture = load(path)?;
    let mismatches = runtime()?.block_on(run_against_foreign(&fixture))?;
    if mismatches.is_empty() {
        return Ok(());
    }
    let report: Vec<String> = mismatches.iter().map(ToString::to_string).collect();
    Err(format!(
        "{} holds only for the demo accounts (live mode would report drift against a real one):\n  {}",
        path.display(),
        report.join("\n  ")
    )
    .into())
}

fn flips(path: &Path) -> Result<(), Failed> {
    let fixture = load(path)?;
    let problems = runtime()?.block_on(check_flips(&fixture, &replay_config()))?;
    if problems.is_empty() {
        return Ok(());
    }
    let report: Vec<String> = problems.iter().map(ToString::to_string).collect();
    Err(format!("{}\n  {}", path.display(), report.join("\n  ")).into())
}

fn quote(path: &Path, documents: &Path) -> Result<(), Failed> {
    let fixture = load(path)?;
    check_quote(&fixture.provenance, documents).map_err(|problem| {
        Failed::from(format!(
            "{}: {problem} (documents read from {})",
            path.display(),
            documents.display()
        ))
    })
}

/// The quirks table in `fixtures/README.md` must say, for every quirk, exactly which fixtures
/// it moves. The `/quirks` tests prove that these are the `assumed` fixtures listing it.
fn quirks_table(root: &Path, fixtures: &[(String, PathBuf)]) -> Result<(), Failed> {
    let mut moved: BTreeMap<String, BTreeSet<String>> = smsim::Quirks::names()
        .into_iter()
        .map(|quirk| (quirk, BTreeSet::new()))
        .collect();
    for (name, path) in fixtures {
        for quirk in load(path)?.provenance.quirks() {
            moved.entry(quirk.clone()).or_default().insert(name.clone());
        }
    }
    let readme = root.join("README.md");
    let text = std::fs::read_to_string(&readme)?;
    let heading = "## Which fixtures each quirk moves";
    let section = text
        .split_once(heading)
        .map(|(_, rest)| rest)
        .ok_or_else(|| format!("{} has no section {heading:?}", readme.display()))?;
    let mut table: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in section.lines().filter(|l| l.starts_with("| `")) {
        let mut cells = row.split('|').map(str::trim).filter(|c| !c.is_empty());
        let quirk = cells
            .next()
            .unwrap_or_default()
            .trim_matches('`')
            .to_owned();
        let names = cells
            .next()
            .unwrap_or_default()
            .split(',')
            .map(|n| n.trim().trim_matches('`').to_owned())
            .filter(|n| !n.is_empty() && n != "none")
            .collect();
        table.insert(quirk, names);
    }
    if table == moved {
        return Ok(());
    }
    let want: Vec<String> = moved
        .iter()
        .map(|(quirk, names)| {
            let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            let names = if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            };
            format!("| `{quirk}` | {names} |")
        })
        .collect();
    Err(format!(
        "{} does not match the fixtures; its rows should read:\n{}",
        readme.display(),
        want.join("\n")
    )
    .into())
}
