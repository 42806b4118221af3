//! The vendor's wire formats on the sandbox side: structured replies in JSON or Rails XML, and
//! request bodies of every body kind (structured, form, multipart) read into one value tree.
//!
//! Written independently of the runtime's codecs on purpose: the sandbox is the oracle the
//! clients are tested against, so it must not share their mistakes.

use erp_spec::ir::{BodyKind, Operation, Spec, WireFormat};
use serde_json::{Map, Value};

use crate::ordered_json::Out;
use crate::reply::Reply;
use crate::xml::{self, XmlQuirks, XmlStyle, XmlTypes};

/// A structured body in the vendor's format. For XML the body must have one root member (every
/// envelope of an XML vendor does); its name is the root element, written with `quirks`.
pub(crate) fn reply(
    spec: &Spec,
    status: u16,
    body: &Out,
    types: &dyn XmlTypes,
    quirks: XmlQuirks,
) -> Reply {
    match spec.wire.format {
        WireFormat::Json => Reply::json(status, body),
        WireFormat::Xml => {
            let style = XmlStyle {
                types,
                empty_list_root: spec.sandbox.empty_list_root.as_deref(),
                quirks,
            };
            match body {
                Out::Object(members) if members.len() == 1 => {
                    let (root, value) = &members[0];
                    Reply::xml(status, xml::to_xml(root, value, &style))
                }
                // No single root (a bare list or item): Rails names such a document by its
                // content.
                Out::Array(_) => Reply::xml(status, xml::to_xml("objects", body, &style)),
                other => Reply::xml(status, xml::to_xml("object", other, &style)),
            }
        }
    }
}

/// The request body as a value tree: structured bodies as the format reads them (XML keeps its
/// root element as the only member), form and multipart bodies as an object of their fields
/// (files as base64 text). `None` for raw byte bodies, which carry no fields.
pub(crate) fn request_value(
    op: &Operation,
    content_type: Option<&str>,
    bytes: &[u8],
) -> Result<Option<Value>, String> {
    match op.body {
        BodyKind::None | BodyKind::Bytes { .. } => Ok(None),
        BodyKind::Structured => structured(op.format, bytes).map(Some),
        BodyKind::Form => {
            if !content_type.is_some_and(|c| c.starts_with("application/x-www-form-urlencoded")) {
                return Err("Expected a form body (application/x-www-form-urlencoded).".to_owned());
            }
            Ok(Some(form(bytes)?))
        }
        BodyKind::Multipart => {
            let boundary = content_type
                .and_then(|c| c.strip_prefix("multipart/form-data"))
                .and_then(|rest| {
                    rest.split(';')
                        .find_map(|p| p.trim().strip_prefix("boundary="))
                })
                .map(|b| b.trim_matches('"').to_owned())
                .ok_or("Expected a multipart/form-data body with a boundary.")?;
            Ok(Some(multipart(bytes, &boundary)?))
        }
    }
}

fn structured(format: WireFormat, bytes: &[u8]) -> Result<Value, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(format!(
            "The request body is empty; expected {}.",
            match format {
                WireFormat::Json => "a JSON object",
                WireFormat::Xml => "an XML document",
            }
        ));
    }
    match format {
        WireFormat::Json => serde_json::from_slice(bytes)
            .map_err(|e| format!("The request body is not valid JSON: {e}.")),
        WireFormat::Xml => {
            xml::parse(bytes).map_err(|e| format!("The request body is not valid XML: {e}."))
        }
    }
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("Invalid percent escape in `{text}`."))?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| format!("`{text}` is not UTF-8."))
}

/// Adds a field; a repeated name becomes a list, as form bodies write lists.
fn add(map: &mut Map<String, Value>, name: String, value: Value) {
    match map.get_mut(&name) {
        Some(Value::Array(items)) => items.push(value),
        Some(first) => {
            let first = first.take();
            map.insert(name, Value::Array(vec![first, value]));
        }
        None => {
            map.insert(name, value);
        }
    }
}

fn form(bytes: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "The form body is not UTF-8.".to_owned())?;
    let mut map = Map::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        add(
            &mut map,
            percent_decode(k)?,
            Value::String(percent_decode(v)?),
        );
    }
    Ok(Value::Object(map))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A `multipart/form-data` body: text parts as strings, file parts as base64 text.
fn multipart(bytes: &[u8], boundary: &str) -> Result<Value, String> {
    let delimiter = format!("--{boundary}");
    let mut map = Map::new();
    let mut rest = bytes;
    let start = find(rest, delimiter.as_bytes()).ok_or("The multipart body has no parts.")?;
    rest = &rest[start + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            return Ok(Value::Object(map));
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or("A multipart delimiter must end its line.")?;
        let head_end = find(rest, b"\r\n\r\n").ok_or("A multipart part has no header end.")?;
        let head = std::str::from_utf8(&rest[..head_end])
            .map_err(|_| "Multipart headers are not UTF-8.".to_owned())?;
        let body_start = head_end + 4;
        let closing = format!("\r\n{delimiter}");
        let body_len = find(&rest[body_start..], closing.as_bytes())
            .ok_or("A multipart part is not closed by the boundary.")?;
        let data = &rest[body_start..body_start + body_len];
        let disposition = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("content-disposition")
                    .then_some(value)
            })
            .ok_or("A multipart part has no Content-Disposition.")?;
        let param = |key: &str| {
            disposition.split(';').find_map(|p| {
                let (k, v) = p.trim().split_once('=')?;
                (k == key).then(|| v.trim_matches('"').to_owned())
            })
        };
        let name = param("name").ok_or("A multipart part has no name.")?;
        let value = if param("filename").is_some() {
            Value::String(base64(data))
        } else {
            Value::String(
                String::from_utf8(data.to_vec())
                    .map_err(|_| format!("The multipart field `{name}` is not UTF-8."))?,
            )
        };
        add(&mut map, name, value);
        rest = &rest[body_start + body_len + closing.len()..];
    }
}

/// Standard base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(TABLE[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn forms_decode_escapes_and_repeated_names() {
        assert_eq!(
            form(b"name=ACME+GmbH&tag=a&tag=b%26c&empty=").unwrap(),
            json!({"name": "ACME GmbH", "tag": ["a", "b&c"], "empty": ""})
        );
        assert!(form(b"a=%zz").is_err());
    }

    #[test]
    fn multipart_text_and_files() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nScan\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--XyZ--\r\n";
        assert_eq!(
            multipart(body, "XyZ").unwrap(),
            json!({"title": "Scan", "file": base64(b"%PDF")})
        );
        assert!(multipart(b"--XyZ\r\nnothing", "XyZ").is_err());
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (input, output) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), output);
        }
    }
}
