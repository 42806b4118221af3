//! What an importer wants a spec to hold, in the spec's own terms, and its YAML rendering.
//!
//! An importer fills a [`Plan`] from a vendor's catalogue; `outline::merge` then adds to the
//! spec file whatever the plan holds and the file does not, so hand edits always win.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Resources, models and enums an importer found, in the order they are written.
#[derive(Debug, Default)]
pub struct Plan {
    pub resources: Vec<Resource>,
    pub models: BTreeMap<String, Model>,
    pub enums: BTreeMap<String, Enum>,
}

#[derive(Debug)]
pub struct Resource {
    /// The key under `resources:` (the path segment, e.g. `credit-notes`).
    pub name: String,
    pub doc: String,
    pub path: String,
    pub wire_singular: String,
    pub wire_plural: String,
    /// The cargo feature the resource is built under.
    pub group: String,
    pub operations: Vec<Operation>,
}

/// One operation; `None` fields are left out of the YAML.
#[derive(Debug, Default, Clone)]
pub struct Operation {
    pub name: String,
    pub doc: String,
    pub method: Option<String>,
    pub path: Option<String>,
    pub path_params: Vec<Param>,
    pub query: Vec<Param>,
    pub request: Option<String>,
    pub response: Option<String>,
    pub root: Option<String>,
    pub returns: Option<String>,
    pub accept: Option<String>,
    pub paged: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub ty: String,
    pub required: bool,
    pub doc: String,
    /// The sandbox's way of applying a filter (`contains`, `any_of`); `None`: equality.
    pub filter: Option<String>,
    /// The Rust argument's name when the wire name is reserved (`query`).
    pub rust_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Model {
    pub doc: String,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub ty: String,
    pub required: bool,
    pub read_only: bool,
    pub sensitive: bool,
    pub doc: String,
    /// The resource whose id the field holds (`sandbox: {references: ...}`).
    pub references: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Enum {
    pub doc: String,
    /// Wire value and its doc.
    pub values: Vec<(String, String)>,
}

/// A scalar as YAML writes it: plain when that reads back as the same string, else quoted.
pub fn scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && !text.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c) || c.is_whitespace())
        && !text.ends_with(char::is_whitespace)
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.contains(['{', '}', '[', ']', ',', '\n'])
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~"
        )
        && text.parse::<f64>().is_err();
    if plain {
        text.to_owned()
    } else {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

impl Param {
    /// `name: {type: ..., doc: ...}` as one flow mapping.
    fn line(&self) -> String {
        let mut parts = vec![format!("type: {}", scalar(&self.ty))];
        if self.required {
            parts.push("required: true".to_owned());
        }
        if let Some(rust_name) = &self.rust_name {
            parts.push(format!("rust_name: {rust_name}"));
        }
        parts.push(format!("doc: {}", scalar(&self.doc)));
        if let Some(filter) = &self.filter {
            parts.push(format!("sandbox: {{filter: {filter}}}"));
        }
        format!("{}: {{{}}}", scalar(&self.name), parts.join(", "))
    }
}

impl Field {
    /// `name: {type: ..., ...}` as one flow mapping.
    pub fn line(&self) -> String {
        let mut parts = vec![format!("type: {}", scalar(&self.ty))];
        if self.required {
            parts.push("required: true".to_owned());
        }
        if self.read_only {
            parts.push("read_only: true".to_owned());
        }
        if self.sensitive {
            parts.push("sensitive: true".to_owned());
        }
        parts.push(format!("doc: {}", scalar(&self.doc)));
        if let Some(target) = &self.references {
            parts.push(format!("sandbox: {{references: {target}}}"));
        }
        format!("{}: {{{}}}", scalar(&self.name), parts.join(", "))
    }
}

/// Appends `lines`, each indented by `indent` spaces.
fn push(out: &mut String, indent: usize, line: &str) {
    let _ = writeln!(out, "{:indent$}{line}", "");
}

impl Operation {
    /// The operation's block, its key at `indent`.
    pub fn yaml(&self, indent: usize) -> String {
        let mut out = String::new();
        push(&mut out, indent, &format!("{}:", self.name));
        let i = indent + 2;
        push(&mut out, i, &format!("doc: {}", scalar(&self.doc)));
        if let Some(method) = &self.method {
            push(&mut out, i, &format!("method: {method}"));
        }
        if let Some(path) = &self.path {
            push(&mut out, i, &format!("path: {}", scalar(path)));
        }
        for (key, params) in [("path_params", &self.path_params), ("query", &self.query)] {
            if !params.is_empty() {
                push(&mut out, i, &format!("{key}:"));
                for p in params {
                    push(&mut out, i + 2, &p.line());
                }
            }
        }
        let optional = [
            ("request", &self.request),
            ("response", &self.response),
            ("root", &self.root),
            ("returns", &self.returns),
            ("accept", &self.accept),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                push(&mut out, i, &format!("{key}: {}", scalar(value)));
            }
        }
        if let Some(paged) = self.paged {
            push(&mut out, i, &format!("paged: {paged}"));
        }
        out
    }
}

impl Resource {
    /// The resource's block, its key at `indent`.
    pub fn yaml(&self, indent: usize) -> String {
        let mut out = String::new();
        push(&mut out, indent, &format!("{}:", self.name));
        let i = indent + 2;
        push(&mut out, i, &format!("doc: {}", scalar(&self.doc)));
        push(&mut out, i, &format!("path: {}", scalar(&self.path)));
        push(
            &mut out,
            i,
            &format!("wire_singular: {}", scalar(&self.wire_singular)),
        );
        push(
            &mut out,
            i,
            &format!("wire_plural: {}", scalar(&self.wire_plural)),
        );
        push(&mut out, i, &format!("group: {}", self.group));
        push(&mut out, i, "operations:");
        for op in &self.operations {
            out.push_str(&op.yaml(i + 2));
        }
        out
    }
}

impl Model {
    /// The model's block under the key `name` at `indent`.
    pub fn yaml(&self, name: &str, indent: usize) -> String {
        let mut out = String::new();
        push(&mut out, indent, &format!("{name}:"));
        push(&mut out, indent + 2, &format!("doc: {}", scalar(&self.doc)));
        push(&mut out, indent + 2, "fields:");
        for f in &self.fields {
            push(&mut out, indent + 4, &f.line());
        }
        out
    }
}

impl Enum {
    /// The enum's block under the key `name` at `indent`.
    pub fn yaml(&self, name: &str, indent: usize) -> String {
        let mut out = String::new();
        push(&mut out, indent, &format!("{name}:"));
        push(&mut out, indent + 2, &format!("doc: {}", scalar(&self.doc)));
        push(&mut out, indent + 2, "values:");
        for (value, doc) in &self.values {
            push(
                &mut out,
                indent + 4,
                &format!("{}: {}", scalar(value), scalar(doc)),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_quoted_only_when_yaml_would_read_them_otherwise() {
        assert_eq!(scalar("Lists invoices."), "Lists invoices.");
        assert_eq!(scalar("list<integer>"), "list<integer>");
        assert_eq!(scalar("/{id}"), "\"/{id}\"");
        assert_eq!(scalar("true"), "\"true\"");
        assert_eq!(scalar("12"), "\"12\"");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar("Sort, e.g. `name`"), "\"Sort, e.g. `name`\"");
        assert_eq!(scalar("say \"hi\""), "say \"hi\"");
        assert_eq!(scalar("\"x\""), "\"\\\"x\\\"\"");
    }
}
