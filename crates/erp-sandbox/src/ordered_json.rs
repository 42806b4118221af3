//! A JSON value that keeps object members in insertion order.
//!
//! Responses list fields in the order of the spec (like the vendors do) without turning on
//! serde_json's `preserve_order` feature, which would leak into every crate of the workspace.

use serde_json::Value;

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
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
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

fn write_string(s: &str, out: &mut String) {
    // serde_json never fails to serialise a str.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\"")));
}

/// Formats a JSON number without trailing garbage: `14.28`, `0`, `21` (not `21.0`).
pub(crate) fn format_number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    format_f64(n.as_f64().unwrap_or(0.0))
}

/// Formats a float the shortest way that reads back to the same value.
pub(crate) fn format_f64(x: f64) -> String {
    if !x.is_finite() {
        return String::from("0");
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{x:.0}");
    }
    format!("{x}")
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
