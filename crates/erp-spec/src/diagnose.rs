//! Errors that say what to do: unknown keys with the key that was meant, missing keys at the
//! entry that lacks them, and the YAML pitfalls behind many odd errors (an unquoted `: ` or
//! `, ` inside a value).

use serde_saphyr::Location;

use crate::error::SpecError;
use crate::locate::{self, Node, Value, describe, display_path};
use crate::schema;
use crate::suggest::{closest, did_you_mean};

/// What the diagnostics know about one version of a spec's text.
pub(crate) struct Context<'a> {
    pub source: &'a str,
    pub text: &'a str,
    /// The text as a tree, parsed on first use: only a spec with an error needs it.
    pub tree: &'a std::cell::OnceCell<Option<Node>>,
    /// Paths of the keys serde ignored, as [`crate::raw::unknown_keys`] gives them.
    pub unknown: &'a [Vec<String>],
}

impl Context<'_> {
    fn tree(&self) -> Option<&Node> {
        self.tree
            .get_or_init(|| crate::locate::tree(self.text))
            .as_ref()
    }

    fn error(&self, at: Location, message: String) -> SpecError {
        SpecError {
            file: self.source.to_owned(),
            line: at.line(),
            column: at.column(),
            message,
        }
    }

    fn locate(&self, path: &[String]) -> Location {
        self.tree().map_or(Location::UNKNOWN, |t| t.locate(path))
    }

    fn is_unknown(&self, parent: &[String], key: &str) -> bool {
        self.unknown.iter().any(|p| {
            p.split_last()
                .is_some_and(|(k, rest)| k == key && rest == parent)
        })
    }

    /// "unknown key `x` in `y`", with the key probably meant or the doc it was cut from.
    pub fn unknown_key(&self, path: &[String]) -> Option<SpecError> {
        let (key, parent) = path.split_last()?;
        let mut message = format!("unknown key `{key}` {}", describe(parent));
        if let Some(hint) = self.moved_to_sandbox(path) {
            message.push_str(&hint);
        } else if let Some(hint) = self.doc_fragment(parent, key) {
            message.push_str(&hint);
        } else if let Some(meant) = self.meant_key(parent, key) {
            message.push_str(&did_you_mean(meant));
        }
        Some(self.error(self.locate(path), message))
    }

    /// Where a key that only the sandbox reads went when it left the vendor's description
    /// (`wire.accept_required` -> `sandbox.accept_required`): older specs still have it in
    /// its old place, and "unknown key" alone would read as if the setting were gone.
    fn moved_to_sandbox(&self, path: &[String]) -> Option<String> {
        let (key, parent) = path.split_last()?;
        let pattern = schema::spec()?.pattern(parent).join(".");
        let moved = MOVED_TO_SANDBOX
            .iter()
            .find(|m| m.place == pattern && m.key == key)?;
        let value = self
            .tree()
            .and_then(|t| t.get(path))
            .map_or("...".to_owned(), |(_, node)| snippet(&node.value));
        let mut name = parent.to_vec();
        name.push("name".to_owned());
        let window = match self
            .tree()
            .and_then(|t| t.get(&name))
            .map(|(_, n)| &n.value)
        {
            Some(Value::Scalar(n)) if is_plain(n) => n.clone(),
            _ => "<window name>".to_owned(),
        };
        let write = moved
            .write
            .replace("{window}", &window)
            .replace("{value}", &value);
        let top = if moved.top_level {
            "the top-level "
        } else {
            ""
        };
        Some(format!(
            ": `{key}` moved to {top}`{write}` (only the sandbox reads it)"
        ))
    }

    /// The known key of the struct at `parent` closest to `key` that is not written already
    /// (suggesting a key that is there would only lead to a duplicate).
    fn meant_key(&self, parent: &[String], key: &str) -> Option<&'static str> {
        let known = schema::spec()?.keys_at(parent)?;
        let written: Vec<&str> = self
            .tree()
            .and_then(|t| t.entries(parent))
            .map(|entries| entries.iter().map(|e| e.key.as_str()).collect())
            .unwrap_or_default();
        closest(key, known.iter().copied().filter(|k| !written.contains(k)))
    }

    /// In a flow mapping `{type: string, doc: A, B}` YAML ends the doc at the comma and reads
    /// `B` as a key: an unknown key that follows a doc and reads like prose is the doc's rest.
    fn doc_fragment(&self, parent: &[String], key: &str) -> Option<String> {
        let entries = self.tree()?.entries(parent)?;
        let index = entries.iter().position(|e| e.key == key)?;
        let is_fragment = |e: &locate::Entry| {
            self.is_unknown(parent, &e.key)
                && self.after_comma(e.at)
                && (e.key.contains(char::is_whitespace)
                    || e.key.starts_with(|c: char| c.is_uppercase())
                    || matches!(e.node.value, Value::Null))
        };
        if !is_fragment(&entries[index]) {
            return None;
        }
        // Several commas cut the doc into several fragments; walk back to the doc.
        let first = (0..index).rev().find(|&i| !is_fragment(&entries[i]))?;
        let doc = &entries[first];
        if !is_text_key(&doc.key) || !matches!(doc.node.value, Value::Scalar(_)) {
            return None;
        }
        let last = (index..entries.len())
            .take_while(|&i| is_fragment(&entries[i]))
            .last()
            .unwrap_or(index);
        let example = self
            .flow_value_text(doc.node.at, entries[last].at, entries.get(last + 1))
            .map(|value| format!(" (`{}: {}`)", doc.key, quoted(&value)))
            .unwrap_or_default();
        Some(format!(
            ": it looks like the rest of `{}`, which YAML cut at the comma; quote the value{example}",
            doc.key
        ))
    }

    /// Whether the key at `at` follows a `,` (a later entry of a flow mapping).
    fn after_comma(&self, at: Location) -> bool {
        byte_index(self.text, at).is_some_and(|i| self.text[..i].trim_end().ends_with(','))
    }

    /// The text a flow-mapping value was meant to be: from `start` to the entry after the last
    /// fragment (`next`), or to the mapping's `}`; on one line only.
    fn flow_value_text(
        &self,
        start: Location,
        last_fragment: Location,
        next: Option<&locate::Entry>,
    ) -> Option<String> {
        let from = byte_index(self.text, start)?;
        let fragment = byte_index(self.text, last_fragment)?;
        let to = match next {
            Some(next) => byte_index(self.text, next.at)?,
            None => fragment + self.text[fragment..].find('}')?,
        };
        let value = self
            .text
            .get(from..to)?
            .trim()
            .trim_end_matches(',')
            .trim_end();
        (!value.contains('\n')).then(|| value.to_owned())
    }

    /// serde stopped at a required `field` that is not there; `at` is where serde-saphyr
    /// placed that (the last key of the mapping lacking it).
    pub fn missing_key(&self, field: &str, at: Location) -> Missing {
        let Some(parent) = self.tree().and_then(|t| t.mapping_at(at)) else {
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

    /// A YAML or type error, with the fix when the cause is a well-known pitfall.
    pub fn yaml_error(&self, at: Location, message: &str) -> SpecError {
        let mut message = message.to_owned();
        if let Some(hint) = self.colon_hint(at, &message) {
            message.push_str(&hint);
        } else if let Some(hint) = self.mapping_for_text_hint(at, &message) {
            message = hint;
        }
        self.error(at, message)
    }

    /// `doc: Id: the key`: the second `: ` would start a mapping inside a value.
    fn colon_hint(&self, at: Location, message: &str) -> Option<String> {
        let syntax = message.starts_with("mapping values are not allowed")
            || message.contains("did not find expected ',' or '}'");
        let i = byte_index(self.text, at)?;
        if !syntax || !self.text[i..].starts_with(':') {
            return None;
        }
        let line_start = self.text[..i].rfind('\n').map_or(0, |n| n + 1);
        let before = &self.text[line_start..i];
        let flow = before.contains('{');
        // In a flow mapping the value's key is after the last `{` or `,`.
        let entry_from = match before.rfind(['{', ',']) {
            Some(n) if flow => n + 1,
            _ => 0,
        };
        let entry = before[entry_from..].trim_start().trim_start_matches("- ");
        let generic = || Some("; quote the value (it contains `: `)".to_owned());
        let Some(colon) = entry.find(": ") else {
            return generic();
        };
        let key = entry[..colon].trim();
        // `entry` is a suffix of `before`, so this is where its value starts in the text.
        let value_from = line_start + before.len() - entry.len() + colon + 2;
        let line_end = self.text[i..].find('\n').map_or(self.text.len(), |n| i + n);
        let Some(mut value) = self.text.get(value_from..line_end) else {
            return generic();
        };
        if flow {
            // The value ends at the next `,` or `}`.
            value = &value[..value.find([',', '}']).unwrap_or(value.len())];
        }
        let value = value.split(" #").next().unwrap_or(value).trim();
        Some(format!(
            "; quote the value of `{key}` (it contains `: `): `{key}: {}`",
            quoted(value)
        ))
    }

    /// A text value on the lines below its key that YAML read as a mapping
    /// (`doc:` then `Id: the key`).
    fn mapping_for_text_hint(&self, at: Location, message: &str) -> Option<String> {
        if !message.contains("expected string") {
            return None;
        }
        let tree = self.tree()?;
        let path = tree.mapping_at(at)?;
        let (key, _) = path.split_last()?;
        let Value::Map(entries) = &tree.get(&path)?.1.value else {
            return None;
        };
        match entries.as_slice() {
            [only] if matches!(only.node.value, Value::Scalar(_) | Value::Null) => {
                let value = match &only.node.value {
                    Value::Scalar(v) => format!("{}: {v}", only.key),
                    _ => format!("{}:", only.key),
                };
                Some(format!(
                    "`{}` must be text, but YAML read `{value}` as a mapping; quote the value (it contains `: `)",
                    display_path(&path)
                ))
            }
            _ => Some(format!(
                "`{}` must be text, but is a mapping (`{key}: {{...}}`)",
                display_path(&path)
            )),
        }
    }
}

/// A key that moved into a `sandbox` part.
struct Moved {
    /// Its old place, as a schema pattern.
    place: &'static str,
    key: &'static str,
    /// Into the top-level `sandbox` section rather than the item's own `sandbox`.
    top_level: bool,
    /// What to write instead: `{value}` is the value as written, `{window}` the name of the
    /// rate-limit window (neither can hold braces, so one cannot fill in the other).
    write: &'static str,
}

const MOVED_TO_SANDBOX: &[Moved] = &[
    Moved {
        place: "models.*.fields.*",
        key: "examples",
        top_level: false,
        write: "sandbox: {examples: {value}}",
    },
    Moved {
        place: "resources.*.operations.*.query.*",
        key: "filter",
        top_level: false,
        write: "sandbox: {filter: {value}}",
    },
    Moved {
        place: "wire",
        key: "accept_required",
        top_level: true,
        write: "sandbox: {accept_required: {value}}",
    },
    Moved {
        place: "wire",
        key: "format_param",
        top_level: true,
        write: "sandbox: {format_param: {value}}",
    },
    Moved {
        place: "envelope",
        key: "success_members",
        top_level: true,
        write: "sandbox: {success_members: {value}}",
    },
    Moved {
        place: "errors",
        key: "not_found",
        top_level: true,
        write: "sandbox: {errors: {not_found: {value}}}",
    },
    Moved {
        place: "errors",
        key: "invalid",
        top_level: true,
        write: "sandbox: {errors: {invalid: {value}}}",
    },
    Moved {
        place: "auth",
        key: "unauthorized",
        top_level: true,
        write: "sandbox: {errors: {unauthorized: {value}}}",
    },
    Moved {
        place: "rate_limits.[]",
        key: "quota",
        top_level: true,
        write: "sandbox: {rate_limits: {{window}: {quota: {value}}}}",
    },
    Moved {
        place: "rate_limits.[]",
        key: "exceeded_message",
        top_level: true,
        write: "sandbox: {rate_limits: {{window}: {exceeded_message: {value}}}}",
    },
    Moved {
        place: "auth.oauth2",
        key: "access_token_seconds",
        top_level: true,
        write: "sandbox: {oauth2: {access_token_seconds: {value}}}",
    },
];

/// A value as it would be rewritten in a flow mapping: short plain scalars as they are,
/// anything else elided by its shape (`[...]`, `{...}`, `...`), so the hint never has to quote.
fn snippet(value: &Value) -> String {
    match value {
        Value::Scalar(v) if is_plain(v) => v.clone(),
        Value::Seq(_) => "[...]".to_owned(),
        Value::Map(_) => "{...}".to_owned(),
        _ => "...".to_owned(),
    }
}

/// Whether `text` can be written unquoted anywhere in YAML and is short enough to repeat.
fn is_plain(text: &str) -> bool {
    !text.is_empty()
        && text.chars().count() <= 24
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !text.starts_with(['-', '.'])
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

/// Keys whose values are prose, and so likely to contain a comma.
fn is_text_key(key: &str) -> bool {
    matches!(key, "doc" | "description" | "title" | "message") || key.ends_with("_doc")
}

/// `value` as a YAML double-quoted (or, if it holds `"`, single-quoted) scalar.
fn quoted(value: &str) -> String {
    if value.contains('"') {
        format!("'{}'", value.replace('\'', "''"))
    } else {
        format!("\"{}\"", value.replace('\\', "\\\\"))
    }
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
