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

pub mod error;
pub mod ir;
mod locate;
pub mod raw;
mod suggest;
pub mod validate;

use std::path::Path;

use serde_saphyr::Location;

pub use error::{SpecError, SpecErrors};

/// Parses and validates one spec from text. `source` names the file in error messages.
pub fn parse_str(source: &str, text: &str) -> Result<ir::Spec, SpecErrors> {
    let raw: raw::RawSpec = serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        SpecErrors(vec![SpecError {
            file: source.to_owned(),
            line,
            column,
            message: first_line(&e.to_string()),
        }])
    })?;
    // Unknown keys are collected, not fatal, so they are reported with everything else.
    let tree = locate::tree(text);
    let unknown: Vec<SpecError> = raw::unknown_keys(text)
        .iter()
        .filter_map(|path| {
            let (key, parent) = path.split_last()?;
            let at = tree.as_ref().map_or(Location::UNKNOWN, |t| t.locate(path));
            Some(SpecError {
                file: source.to_owned(),
                line: at.line(),
                column: at.column(),
                message: format!("unknown key `{key}` {}", locate::describe(parent)),
            })
        })
        .collect();
    match validate::validate(source, raw) {
        Ok(spec) if unknown.is_empty() => Ok(spec),
        Ok(_) => Err(SpecErrors(unknown)),
        Err(SpecErrors(mut errors)) => {
            let mut all = unknown;
            all.append(&mut errors);
            all.sort_by_key(|e| (e.line, e.column));
            Err(SpecErrors(all))
        }
    }
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
