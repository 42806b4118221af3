//! `cargo xtask import <vendor> [--check]`: writes the bulk of a vendor's spec from the
//! vendor's published facts, adding only what the spec lacks (see the `merge` module), and a coverage
//! report beside it. Billomat is the one vendor with a catalogue today.

mod billomat;
mod catalogue;
mod coverage;
mod merge;
mod outline;
mod plan;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Whether an import writes its files or only says whether they are current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

/// The catalogue's default place: the shared reference folder beside the checkout.
fn default_catalogue(root: &Path) -> PathBuf {
    root.join("../shared/billomat-api-catalogue/billomat.json")
}

/// Imports Billomat's catalogue into `specs/billomat.yaml` and writes
/// `specs/billomat.coverage.md`.
pub fn billomat(root: &Path, catalogue: Option<&Path>, mode: Mode) -> Result<String, String> {
    let catalogue_path = catalogue.map_or_else(|| default_catalogue(root), Path::to_path_buf);
    let catalogue = catalogue::Catalogue::read(&catalogue_path)?;
    let spec_path = root.join("specs/billomat.yaml");
    let text = std::fs::read_to_string(&spec_path)
        .map_err(|e| format!("cannot read {}: {e}", spec_path.display()))?;
    let existing = existing_enums(&text);
    let import = billomat::plan(&catalogue, &existing);
    let (merged, added) = merge::merge(&text, &import.plan);
    // The importer's output must be a valid spec: any error is the importer's to fix.
    let spec = erp_spec::parse_str("specs/billomat.yaml", &merged)
        .map_err(|errors| format!("the imported spec does not validate:\n{errors}"))?;
    let report = coverage::report(&import.rows, &spec);
    let report_path = root.join("specs/billomat.coverage.md");
    let old_report = std::fs::read_to_string(&report_path).unwrap_or_default();
    let summary = format!(
        "billomat: {} added ({} resources, {} operations, {} models, {} fields, {} enums, {} enum values); {}",
        added.total(),
        added.resources,
        added.operations,
        added.models,
        added.fields,
        added.enums,
        added.values,
        coverage::headline(&import.rows, &spec)
    );
    let skipped = if added.skipped.is_empty() {
        String::new()
    } else {
        format!(
            "\nnot extended (written as one-line mappings): {}",
            added.skipped.join(", ")
        )
    };
    match mode {
        Mode::Check => {
            let mut stale = Vec::new();
            if merged != text {
                stale.push("specs/billomat.yaml");
            }
            if report != old_report {
                stale.push("specs/billomat.coverage.md");
            }
            if stale.is_empty() {
                Ok(format!("{summary}{skipped}\nup to date"))
            } else {
                Err(format!(
                    "{summary}{skipped}\nstale: {} (run `cargo xtask import billomat`)",
                    stale.join(", ")
                ))
            }
        }
        Mode::Write => {
            write(&spec_path, &merged)?;
            write(&report_path, &report)?;
            Ok(format!("{summary}{skipped}"))
        }
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The spec's enums and their values, as the outline reads them.
fn existing_enums(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let outline = outline::Outline::parse(text);
    let mut enums = BTreeMap::new();
    for name in outline.keys(&["enums"]).unwrap_or_default() {
        let values = outline
            .keys(&["enums", name, "values"])
            .unwrap_or_default()
            .into_iter()
            .map(str::to_owned)
            .collect();
        enums.insert(name.to_owned(), values);
    }
    enums
}
