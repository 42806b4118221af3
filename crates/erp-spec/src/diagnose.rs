//! Errors that say what to do: unknown keys with the key that was meant, missing keys at the
//! entry that lacks them.

use serde_saphyr::Location;

use crate::error::SpecError;
use crate::locate::{Node, describe};
use crate::schema;
use crate::suggest::{closest, did_you_mean};

/// What the diagnostics know about one version of a spec's text.
pub(crate) struct Context<'a> {
    pub source: &'a str,
    pub tree: Option<&'a Node>,
    /// Paths of the keys serde ignored, as [`crate::raw::unknown_keys`] gives them.
    pub unknown: &'a [Vec<String>],
}

impl Context<'_> {
    fn error(&self, at: Location, message: String) -> SpecError {
        SpecError {
            file: self.source.to_owned(),
            line: at.line(),
            column: at.column(),
            message,
        }
    }

    fn locate(&self, path: &[String]) -> Location {
        self.tree.map_or(Location::UNKNOWN, |t| t.locate(path))
    }

    /// "unknown key `x` in `y`", with the key probably meant or the doc it was cut from.
    pub fn unknown_key(&self, path: &[String]) -> Option<SpecError> {
        let (key, parent) = path.split_last()?;
        let mut message = format!("unknown key `{key}` {}", describe(parent));
        if let Some(meant) = self.meant_key(parent, key) {
            message.push_str(&did_you_mean(meant));
        }
        Some(self.error(self.locate(path), message))
    }

    /// The known key of the struct at `parent` closest to `key` that is not written already
    /// (suggesting a key that is there would only lead to a duplicate).
    fn meant_key(&self, parent: &[String], key: &str) -> Option<&'static str> {
        let known = schema::spec()?.keys_at(parent)?;
        let written: Vec<&str> = self
            .tree
            .and_then(|t| t.entries(parent))
            .map(|entries| entries.iter().map(|e| e.key.as_str()).collect())
            .unwrap_or_default();
        closest(key, known.iter().copied().filter(|k| !written.contains(k)))
    }

    /// serde stopped at a required `field` that is not there; `at` is where serde-saphyr
    /// placed that (the last key of the mapping lacking it).
    pub fn missing_key(&self, field: &str, at: Location) -> Missing {
        let Some(parent) = self.tree.and_then(|t| t.mapping_at(at)) else {
            return Missing::Absent(self.error(at, format!("missing required key `{field}`")));
        };
        let written = self
            .unknown
            .iter()
            .filter_map(|p| p.split_last())
            .filter(|(_, rest)| *rest == parent.as_slice())
            .map(|(k, _)| k.as_str());
        if let Some(key) = closest(field, written) {
            let mut path = parent.clone();
            path.push(key.to_owned());
            let at = self.locate(&path);
            return Missing::Misspelt {
                error: self.error(
                    at,
                    format!(
                        "unknown key `{key}` {}{}",
                        describe(&parent),
                        did_you_mean(field)
                    ),
                ),
                key: key.to_owned(),
                at,
            };
        }
        Missing::Absent(self.error(
            self.locate(&parent),
            format!("missing required key `{field}` {}", describe(&parent)),
        ))
    }

    /// A YAML or type error, placed.
    pub fn yaml_error(&self, at: Location, message: &str) -> SpecError {
        self.error(at, message.to_owned())
    }
}

pub(crate) enum Missing {
    /// The required key is written under another name, which is an unknown key at `at`.
    Misspelt {
        error: SpecError,
        key: String,
        at: Location,
    },
    Absent(SpecError),
}

/// The byte index of a (1-based, character-counted) line and column in `text`.
pub(crate) fn byte_index(text: &str, at: Location) -> Option<usize> {
    let line = usize::try_from(at.line()).ok()?.checked_sub(1)?;
    let column = usize::try_from(at.column()).ok()?.checked_sub(1)?;
    let start = if line == 0 {
        0
    } else {
        text.match_indices('\n').nth(line - 1)?.0 + 1
    };
    let rest = &text[start..];
    match rest.char_indices().nth(column) {
        Some((i, _)) => Some(start + i),
        None if rest.chars().count() == column => Some(start + rest.len()),
        None => None,
    }
}
