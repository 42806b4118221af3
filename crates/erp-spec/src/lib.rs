//! Vendor specs for erp-clients: parse (`specs/*.yaml`), validate, and lower to an IR.
//!
//! The pipeline is `parse` (serde, unknown keys denied, spans kept) -> [`validate`] (every
//! problem collected, each with file, line and column) -> [`ir::Spec`]. The code generator in
//! `xtask` and the sandbox server both consume the IR, so a spec is the single source of truth.
//!
//! ```
//! let yaml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs/cloudspot.yaml")).unwrap();
//! let spec = erp_spec::parse_str("specs/cloudspot.yaml", &yaml).expect("valid spec");
//! assert_eq!(spec.vendor.name, "cloudspot");
//! ```

pub mod descriptors;
mod diagnose;
pub mod error;
pub mod expr;
pub mod ir;
mod locate;
pub mod raw;
pub mod raw_effects;
mod schema;
mod suggest;
pub mod validate;

use std::path::Path;

use serde_saphyr::Location;

pub use error::{SpecError, SpecErrors};

/// How many misspelt required keys one parse reports before it stops (each costs a re-parse).
const MAX_REPAIRS: usize = 32;

/// How deep the YAML of a spec may nest (mappings and sequences). Specs nest about ten levels;
/// the parser's own default (64) lets a document exhaust a 2 MiB thread stack in a debug build
/// before it is refused.
pub const MAX_YAML_DEPTH: usize = 32;

/// The YAML parser's options for spec texts: nesting beyond [`MAX_YAML_DEPTH`] is an error.
pub(crate) fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_YAML_DEPTH;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// Parses and validates one spec from text. `source` names the file in error messages.
///
/// serde stops at the first required key it misses. When that key is misspelt (an unknown
/// key of the same mapping is a close match), the misspelling is reported, renamed in a copy
/// of the text, and the copy parsed again, so that one run still reports every mistake.
pub fn parse_str(source: &str, text: &str) -> Result<ir::Spec, SpecErrors> {
    let mut text = text.to_owned();
    let mut edits: Vec<Edit> = Vec::new();
    let mut errors: Vec<SpecError> = Vec::new();
    let mut spec = None;
    for _ in 0..MAX_REPAIRS {
        let tree = std::cell::OnceCell::new();
        // Two full parses of the same text, independent of each other: side by side.
        let (unknown, parsed) = std::thread::scope(|scope| {
            let unknown = scope.spawn(|| raw::unknown_keys(&text));
            let parsed = serde_saphyr::from_str_with_options::<raw::RawSpec>(&text, yaml_options());
            (unknown.join(), parsed)
        });
        let unknown = match unknown {
            Ok(unknown) => unknown,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let cx = diagnose::Context {
            source,
            text: &text,
            tree: &tree,
            unknown: &unknown,
        };
        let mut found: Vec<SpecError> = unknown
            .iter()
            .filter_map(|path| cx.unknown_key(path))
            .collect();
        match parsed {
            Ok(raw) => {
                found.extend(vendor_name_matches_file(source, &raw.vendor.value.name));
                match validate::validate(source, raw) {
                    Ok(s) => spec = Some(s),
                    Err(SpecErrors(e)) => found.extend(e),
                }
                errors.extend(unshift(found, &edits));
                break;
            }
            Err(e) => {
                let at = e.location().unwrap_or(Location::UNKNOWN);
                let message = first_line(&e.to_string());
                let missing = message
                    .strip_prefix("missing field `")
                    .and_then(|m| m.strip_suffix('`'));
                match missing.map(|field| (field, cx.missing_key(field, at))) {
                    Some((field, diagnose::Missing::Misspelt { error, key, at })) => {
                        if let Some(edit) = rename_key(&mut text, at, &key, field) {
                            errors.extend(unshift(vec![error], &edits));
                            edits.push(edit);
                            continue;
                        }
                        // The key could not be renamed in place: report it, stop here.
                        found.retain(|e| !(e.line == error.line && e.column == error.column));
                        found.push(error);
                    }
                    Some((_, diagnose::Missing::Absent(error))) => found.push(error),
                    None => found.push(cx.yaml_error(at, &message)),
                }
                errors.extend(unshift(found, &edits));
                break;
            }
        }
    }
    match spec {
        Some(spec) if errors.is_empty() => Ok(spec),
        _ => {
            errors.sort_by_key(|e| (e.line, e.column));
            Err(SpecErrors(errors))
        }
    }
}

/// A key renamed in the text being parsed: keys after it on its line moved by `delta` columns.
struct Edit {
    line: u64,
    column: u64,
    delta: i64,
}

/// Renames the key written at `at` from `from` to `to`, quoted or not.
fn rename_key(text: &mut String, at: Location, from: &str, to: &str) -> Option<Edit> {
    let mut i = diagnose::byte_index(text, at)?;
    if text[i..].starts_with(['"', '\'']) {
        i += 1;
    }
    if !text[i..].starts_with(from) {
        return None;
    }
    text.replace_range(i..i + from.len(), to);
    Some(Edit {
        line: at.line(),
        column: at.column(),
        delta: to.chars().count() as i64 - from.chars().count() as i64,
    })
}

/// Places errors found in the renamed text where they are in the text as written.
fn unshift(mut errors: Vec<SpecError>, edits: &[Edit]) -> Vec<SpecError> {
    for edit in edits.iter().rev() {
        for e in errors
            .iter_mut()
            .filter(|e| e.line == edit.line && e.column > edit.column)
        {
            e.column = e.column.saturating_add_signed(-edit.delta);
        }
    }
    errors
}

/// `specs/acme.yaml` must be the spec of vendor `acme`: the generated crate is named after the
/// vendor, and a crate whose spec file is gone is found by that name. Only spec files are
/// checked (the README's example is parsed under the README's name).
fn vendor_name_matches_file(source: &str, name: &raw::Spanned<String>) -> Option<SpecError> {
    let path = Path::new(source);
    let is_spec = path
        .extension()
        .is_some_and(|ext| ext == "yaml" || ext == "yml");
    let stem = path.file_stem()?.to_str()?;
    if !is_spec || stem == name.value {
        return None;
    }
    let renamed = path.with_file_name(format!("{}.{}", name.value, path.extension()?.to_str()?));
    Some(SpecError {
        file: source.to_owned(),
        line: name.referenced.line(),
        column: name.referenced.column(),
        message: format!(
            "vendor name `{}` does not match the file name: write `name: {stem}`, or rename the file to `{}`",
            name.value,
            renamed.display()
        ),
    })
}

/// Reads, parses and validates one spec file.
pub fn load(path: &Path) -> Result<ir::Spec, SpecErrors> {
    let source = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        SpecErrors(vec![SpecError {
            file: source.clone(),
            line: 0,
            column: 0,
            message: format!("cannot read: {e}"),
        }])
    })?;
    parse_str(&source, &text)
}

/// Loads every `*.yaml` in a directory, sorted by file name, collecting all errors of all files.
pub fn load_dir(dir: &Path) -> Result<Vec<ir::Spec>, SpecErrors> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| {
            SpecErrors(vec![SpecError {
                file: dir.display().to_string(),
                line: 0,
                column: 0,
                message: format!("cannot list spec directory: {e}"),
            }])
        })?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    paths.sort();
    let mut specs = Vec::new();
    let mut errors = SpecErrors::default();
    for path in paths {
        match load(&path) {
            Ok(spec) => specs.push(spec),
            Err(e) => errors.0.extend(e.0),
        }
    }
    if errors.is_empty() {
        Ok(specs)
    } else {
        Err(errors)
    }
}

/// serde-saphyr appends a source snippet after the first line; our own prefix already locates it.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message).trim();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    // Drop serde-saphyr's own "line N column M: " prefix; ours is `file:line:column:`.
    let message = match line
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((_, message)) => message,
        None => line,
    };
    explain(message)
}

/// Says what was expected where the YAML library only names the type it could not read.
fn explain(message: &str) -> String {
    let expected = match message {
        "invalid u64" | "invalid u32" | "invalid u16" | "invalid u8" => {
            Some("a whole number (e.g. `100`)")
        }
        "invalid boolean" => Some("`true` or `false`"),
        _ => None,
    };
    if let Some(expected) = expected {
        return format!("{message}: expected {expected}");
    }
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest).trim();
        return format!("duplicate key `{key}`: each key may appear once in a mapping");
    }
    message.to_owned()
}
