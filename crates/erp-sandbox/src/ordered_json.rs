//! A JSON value that keeps object members in insertion order.
//!
//! Responses list fields in the order of the spec (like the vendors do) without turning on
//! serde_json's `preserve_order` feature, which would leak into every crate of the workspace.

//!
//! Documents are built either as an [`Out`] tree (when something is still to change them, like a
//! fault that corrupts an item) or written straight to JSON text through the same [`Emit`]
//! calls, which is how list items are rendered: no tree of small strings per record.

use std::fmt::Write as _;

use serde_json::{Number, Value};

/// A JSON document in the order it will be written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Out {
    Null,
    Bool(bool),
    /// The text of a JSON number, already formatted.
    Number(String),
    String(String),
    Array(Vec<Out>),
    Object(Vec<(String, Out)>),
    /// A whole JSON value already written as text (e.g. by [`Text`]); opaque to member lookups.
    Raw(String),
}

impl Out {
    pub(crate) fn str(text: impl Into<String>) -> Out {
        Out::String(text.into())
    }

    /// Converts a serde_json value (object members in serde_json's order).
    pub(crate) fn from_value(value: &Value) -> Out {
        match value {
            Value::Null => Out::Null,
            Value::Bool(b) => Out::Bool(*b),
            Value::Number(n) => Out::Number(format_number(n)),
            Value::String(s) => Out::String(s.clone()),
            Value::Array(items) => Out::Array(items.iter().map(Out::from_value).collect()),
            Value::Object(map) => Out::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Out::from_value(v)))
                    .collect(),
            ),
        }
    }

    /// True when this is an object with a member `key`.
    pub(crate) fn has_member(&self, key: &str) -> bool {
        matches!(self, Out::Object(members) if members.iter().any(|(k, _)| k == key))
    }

    /// The member `key` of an object.
    pub(crate) fn member_mut(&mut self, key: &str) -> Option<&mut Out> {
        match self {
            Out::Object(members) => members.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Serialises to compact JSON text.
    pub(crate) fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.size_hint());
        self.write(&mut out);
        out
    }

    /// About the length of the JSON text (exact for raw parts, which dominate big lists).
    fn size_hint(&self) -> usize {
        match self {
            Out::Null | Out::Bool(_) => 5,
            Out::Number(text) | Out::Raw(text) => text.len(),
            Out::String(text) => text.len() + 2,
            Out::Array(items) => items.iter().map(|i| i.size_hint() + 1).sum::<usize>() + 2,
            Out::Object(members) => {
                members
                    .iter()
                    .map(|(k, v)| k.len() + 4 + v.size_hint())
                    .sum::<usize>()
                    + 2
            }
        }
    }

    fn write(&self, out: &mut String) {
        match self {
            Out::Raw(text) => out.push_str(text),
            Out::Null => out.push_str("null"),
            Out::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Out::Number(text) => out.push_str(text),
            Out::String(s) => write_string(s, out),
            Out::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Out::Object(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(key, out);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// Receives a document piece by piece, in writing order.
pub(crate) trait Emit {
    fn null(&mut self);
    fn bool(&mut self, b: bool);
    /// A number, as a JSON number or (`quoted`) as a string of its text.
    fn number(&mut self, n: &Number, quoted: bool);
    /// A number already written as text (`"1"` for a one-zero boolean), or a string of it.
    fn number_text(&mut self, text: &str, quoted: bool);
    fn string(&mut self, s: &str);
    fn begin_array(&mut self);
    fn end_array(&mut self);
    fn begin_object(&mut self);
    /// The key of the next member of the current object.
    fn key(&mut self, key: &str);
    fn end_object(&mut self);
}

/// Emits a serde_json value as [`Out::from_value`] converts it.
pub(crate) fn emit_value(value: &Value, e: &mut impl Emit) {
    match value {
        Value::Null => e.null(),
        Value::Bool(b) => e.bool(*b),
        Value::Number(n) => e.number(n, false),
        Value::String(s) => e.string(s),
        Value::Array(items) => {
            e.begin_array();
            for item in items {
                emit_value(item, e);
            }
            e.end_array();
        }
        Value::Object(map) => {
            e.begin_object();
            for (k, v) in map {
                e.key(k);
                emit_value(v, e);
            }
            e.end_object();
        }
    }
}

/// Builds an [`Out`] tree.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    open: Vec<Partial>,
    root: Option<Out>,
}

#[derive(Debug)]
enum Partial {
    Array(Vec<Out>),
    Object(Vec<(String, Out)>, String),
}

impl Tree {
    /// The document (`null` when nothing was emitted).
    pub(crate) fn finish(self) -> Out {
        self.root.unwrap_or(Out::Null)
    }

    fn put(&mut self, value: Out) {
        match self.open.last_mut() {
            Some(Partial::Array(items)) => items.push(value),
            Some(Partial::Object(members, key)) => members.push((std::mem::take(key), value)),
            None => self.root = Some(value),
        }
    }
}

impl Emit for Tree {
    fn null(&mut self) {
        self.put(Out::Null);
    }

    fn bool(&mut self, b: bool) {
        self.put(Out::Bool(b));
    }

    fn number(&mut self, n: &Number, quoted: bool) {
        let text = format_number(n);
        self.put(if quoted {
            Out::String(text)
        } else {
            Out::Number(text)
        });
    }

    fn number_text(&mut self, text: &str, quoted: bool) {
        let text = text.to_owned();
        self.put(if quoted {
            Out::String(text)
        } else {
            Out::Number(text)
        });
    }

    fn string(&mut self, s: &str) {
        self.put(Out::str(s));
    }

    fn begin_array(&mut self) {
        self.open.push(Partial::Array(Vec::new()));
    }

    fn end_array(&mut self) {
        if let Some(Partial::Array(items)) = self.open.pop() {
            self.put(Out::Array(items));
        }
    }

    fn begin_object(&mut self) {
        self.open.push(Partial::Object(Vec::new(), String::new()));
    }

    fn key(&mut self, key: &str) {
        if let Some(Partial::Object(_, pending)) = self.open.last_mut() {
            key.clone_into(pending);
        }
    }

    fn end_object(&mut self) {
        if let Some(Partial::Object(members, _)) = self.open.pop() {
            self.put(Out::Object(members));
        }
    }
}

/// Writes compact JSON text, byte for byte what [`Out::to_json`] writes for the same document.
#[derive(Debug)]
pub(crate) struct Text<'o> {
    out: &'o mut String,
    /// Per open array or object: whether it has no element yet (no comma before the next).
    empty: Vec<bool>,
    /// A key was just written: the next value follows its colon.
    after_key: bool,
}

impl<'o> Text<'o> {
    pub(crate) fn new(out: &'o mut String) -> Text<'o> {
        Text {
            out,
            empty: Vec::new(),
            after_key: false,
        }
    }

    fn separate(&mut self) {
        if self.after_key {
            self.after_key = false;
            return;
        }
        if let Some(empty) = self.empty.last_mut() {
            if !*empty {
                self.out.push(',');
            }
            *empty = false;
        }
    }
}

impl Emit for Text<'_> {
    fn null(&mut self) {
        self.separate();
        self.out.push_str("null");
    }

    fn bool(&mut self, b: bool) {
        self.separate();
        self.out.push_str(if b { "true" } else { "false" });
    }

    fn number(&mut self, n: &Number, quoted: bool) {
        self.separate();
        // A number's text has nothing to escape: quoting it is the string of that text.
        if quoted {
            self.out.push('"');
        }
        write_number(n, self.out);
        if quoted {
            self.out.push('"');
        }
    }

    fn number_text(&mut self, text: &str, quoted: bool) {
        self.separate();
        if quoted {
            write_string(text, self.out);
        } else {
            self.out.push_str(text);
        }
    }

    fn string(&mut self, s: &str) {
        self.separate();
        write_string(s, self.out);
    }

    fn begin_array(&mut self) {
        self.separate();
        self.out.push('[');
        self.empty.push(true);
    }

    fn end_array(&mut self) {
        self.empty.pop();
        self.out.push(']');
    }

    fn begin_object(&mut self) {
        self.separate();
        self.out.push('{');
        self.empty.push(true);
    }

    fn key(&mut self, key: &str) {
        self.separate();
        write_string(key, self.out);
        self.out.push(':');
        self.after_key = true;
    }

    fn end_object(&mut self) {
        self.empty.pop();
        self.out.push('}');
    }
}

/// Hex digits of `\u00XX` escapes (lowercase, as serde_json writes them).
const HEX: &[u8; 16] = b"0123456789abcdef";

/// Bytes that need an escape in a JSON string: `"`, `\` and the control characters.
const fn needs_escape() -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
}

static NEEDS_ESCAPE: [bool; 256] = needs_escape();

/// A JSON string literal, escaped exactly as serde_json escapes it: `"` and `\`, the short forms
/// `\b \f \n \r \t`, other control characters as `\u00XX`, everything else as it is.
fn write_string(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !NEEDS_ESCAPE[usize::from(b)] {
            continue;
        }
        // Escaped bytes are ASCII, so `start..i` always falls on character boundaries.
        out.push_str(&s[start..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Formats a JSON number without trailing garbage: `14.28`, `0`, `21` (not `21.0`).
pub(crate) fn format_number(n: &Number) -> String {
    let mut text = String::new();
    write_number(n, &mut text);
    text
}

/// Appends [`format_number`]'s text.
fn write_number(n: &Number, out: &mut String) {
    // Writing to a String cannot fail.
    let _ = if let Some(i) = n.as_i64() {
        write!(out, "{i}")
    } else if let Some(u) = n.as_u64() {
        write!(out, "{u}")
    } else {
        write_f64(n.as_f64().unwrap_or(0.0), out)
    };
}

/// Formats a float the shortest way that reads back to the same value.
#[cfg(test)]
pub(crate) fn format_f64(x: f64) -> String {
    let mut text = String::new();
    let _ = write_f64(x, &mut text); // writing to a String cannot fail
    text
}

fn write_f64(x: f64, out: &mut String) -> std::fmt::Result {
    if !x.is_finite() {
        out.push('0');
        return Ok(());
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return write!(out, "{x:.0}");
    }
    write!(out, "{x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_member_order_and_escapes() {
        let out = Out::Object(vec![
            ("z".into(), Out::str("a\"b")),
            (
                "a".into(),
                Out::Array(vec![Out::Null, Out::Bool(true), Out::Number("1.5".into())]),
            ),
        ]);
        assert_eq!(out.to_json(), r#"{"z":"a\"b","a":[null,true,1.5]}"#);
    }

    #[test]
    fn strings_are_escaped_like_serde_json() {
        let mut samples: Vec<String> = (0u8..128).map(|b| char::from(b).to_string()).collect();
        samples.extend(
            [
                "",
                "plain",
                "a\"b\\c",
                "Zürich\u{7f}\u{80}\u{2028}€😀",
                "\u{1}x\u{1f}y\n",
            ]
            .map(str::to_owned),
        );
        for s in samples {
            let mut ours = String::new();
            write_string(&s, &mut ours);
            assert_eq!(ours, serde_json::to_string(&s).unwrap(), "{s:?}");
        }
    }

    /// A value with every kind of member, nested.
    fn sample() -> Value {
        serde_json::json!({
            "a": [1, -2, 2.5, 1e20, 18_446_744_073_709_551_615_u64, true, null, "x\"y", [], {}],
            "b": {"c": [{"d": "\u{1}"}, [[]]], "e": 0.1},
            "f": "",
        })
    }

    #[test]
    fn the_text_emitter_writes_what_the_tree_writes() {
        let value = sample();
        let mut tree = Tree::default();
        emit_value(&value, &mut tree);
        let tree = tree.finish();
        assert_eq!(tree, Out::from_value(&value));
        let mut text = String::new();
        emit_value(&value, &mut Text::new(&mut text));
        assert_eq!(text, tree.to_json());
        // Quoted numbers, number texts and a raw part.
        let mut tree = Tree::default();
        let mut text = String::new();
        let mut writer = Text::new(&mut text);
        for e in [&mut tree as &mut dyn Emit, &mut writer] {
            e.begin_array();
            e.number(&Number::from(7), true);
            e.number_text("1", true);
            e.number_text("0", false);
            e.begin_object();
            e.key("k");
            e.string("v");
            e.key("n");
            e.number(&Number::from_f64(14.28).unwrap(), false);
            e.end_object();
            e.end_array();
        }
        let tree = tree.finish();
        assert_eq!(text, tree.to_json());
        assert_eq!(text, r#"["7","1",0,{"k":"v","n":14.28}]"#);
        let raw = Out::Array(vec![Out::Raw(text.clone()), Out::Null]);
        assert_eq!(raw.to_json(), format!("[{text},null]"));
    }

    #[test]
    fn numbers_have_no_trailing_garbage() {
        assert_eq!(format_f64(14.28), "14.28");
        assert_eq!(format_f64(0.0), "0");
        assert_eq!(format_f64(21.0), "21");
        assert_eq!(format_number(&serde_json::Number::from(-3)), "-3");
        assert_eq!(
            format_number(&serde_json::Number::from_f64(7.5).unwrap()),
            "7.5"
        );
    }
}
