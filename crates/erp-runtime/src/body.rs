//! Bodies other than structured values: form fields, multipart uploads, raw bytes going out;
//! whole downloads and streamed downloads coming back.

use std::fmt;

use bytes::Bytes;
use futures::stream::BoxStream;
use serde_json::Value;

use crate::Error;
use crate::descriptor::BoolEncoding;

/// A `multipart/form-data` body (file uploads).
///
/// ```
/// use erp_runtime::body::Multipart;
/// let form = Multipart::new()
///     .text("title", "Scan of the signed contract")
///     .file("file", "contract.pdf", "application/pdf", b"%PDF-1.7 ...".to_vec());
/// assert_eq!(form.len(), 2);
/// ```
#[derive(Clone, Default)]
pub struct Multipart {
    parts: Vec<Part>,
}

#[derive(Clone)]
struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    data: Bytes,
}

impl fmt::Debug for Multipart {
    // File contents may be confidential and are large: show only names and sizes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.parts
                    .iter()
                    .map(|p| (p.name.as_str(), p.file_name.as_deref(), p.data.len())),
            )
            .finish()
    }
}

impl Multipart {
    pub fn new() -> Self {
        Multipart::default()
    }

    /// Adds a text field.
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parts.push(Part {
            name: name.into(),
            file_name: None,
            content_type: None,
            data: Bytes::from(value.into()),
        });
        self
    }

    /// Adds a file.
    pub fn file(
        mut self,
        name: impl Into<String>,
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Self {
        self.parts.push(Part {
            name: name.into(),
            file_name: Some(file_name.into()),
            content_type: Some(content_type.into()),
            data: data.into(),
        });
        self
    }

    /// The text of every field (not file) named in `names`, for redaction.
    pub(crate) fn texts_named<'a>(
        &'a self,
        names: &'a [&str],
    ) -> impl Iterator<Item = String> + 'a {
        self.parts
            .iter()
            .filter(|p| p.file_name.is_none() && names.contains(&p.name.as_str()))
            .filter_map(|p| std::str::from_utf8(&p.data).ok().map(str::to_owned))
    }

    /// Number of parts.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The encoded body and its content type (with the boundary). The boundary is chosen so
    /// that it occurs in no part.
    pub(crate) fn encode(&self) -> Result<(Vec<u8>, String), String> {
        let boundary = self.boundary();
        let mut out = Vec::new();
        for part in &self.parts {
            for (what, text) in [
                ("field name", Some(&part.name)),
                ("file name", part.file_name.as_ref()),
            ] {
                if text.is_some_and(|t| t.contains(['"', '\r', '\n'])) {
                    return Err(format!(
                        "multipart {what} {text:?} contains a quote or line break"
                    ));
                }
            }
            out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", part.name);
            if let Some(file) = &part.file_name {
                disposition.push_str(&format!("; filename=\"{file}\""));
            }
            out.extend_from_slice(disposition.as_bytes());
            out.extend_from_slice(b"\r\n");
            if let Some(ct) = &part.content_type {
                if ct.contains(['\r', '\n']) {
                    return Err("multipart content type contains a line break".to_owned());
                }
                out.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&part.data);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        Ok((out, format!("multipart/form-data; boundary={boundary}")))
    }

    fn boundary(&self) -> String {
        use std::hash::{BuildHasher, Hasher};
        let mut salt = 0u64;
        loop {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(salt);
            let candidate = format!("erp-boundary-{:016x}", h.finish());
            let clash = self.parts.iter().any(|p| {
                p.data
                    .windows(candidate.len())
                    .any(|w| w == candidate.as_bytes())
            });
            if !clash {
                return candidate;
            }
            salt += 1;
        }
    }
}

/// A structured value as `application/x-www-form-urlencoded` pairs: members in order, lists
/// as repeated names, booleans in the vendor's encoding. Nested objects cannot be expressed.
pub(crate) fn form_pairs(
    value: &Value,
    booleans: BoolEncoding,
) -> Result<Vec<(String, String)>, String> {
    let Value::Object(map) = value else {
        return Err("a form body must be an object of fields".to_owned());
    };
    let mut pairs = Vec::new();
    for (name, member) in map {
        let scalar = |v: &Value| -> Result<Option<String>, String> {
            Ok(match v {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                Value::Bool(b) if booleans == BoolEncoding::OneZero => {
                    Some(u8::from(*b).to_string())
                }
                Value::Bool(b) => Some(b.to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => {
                    return Err(format!(
                        "form field `{name}` holds a nested object; form bodies take flat fields"
                    ));
                }
            })
        };
        match member {
            Value::Array(items) => {
                for item in items {
                    if let Some(text) = scalar(item)? {
                        pairs.push((name.clone(), text));
                    }
                }
            }
            other => {
                if let Some(text) = scalar(other)? {
                    pairs.push((name.clone(), text));
                }
            }
        }
    }
    Ok(pairs)
}

/// Why a body could not be read whole.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The body is larger than the cap: announced so (`announced`), or more than the cap
    /// arrived (`read` bytes, counting the chunk that crossed it).
    TooLarge {
        read: u64,
        announced: Option<u64>,
    },
    Transport(reqwest::Error),
}

/// Reads a whole body, but never more than `limit` bytes: a `Content-Length` above the cap is
/// refused before anything is read, and a body without one (chunked) is cut off at the first
/// chunk that crosses the cap. The buffer is reserved once for an announced length (no
/// copies while it grows), which the check above keeps within the cap too.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    limit: u64,
) -> Result<Bytes, ReadError> {
    if let Some(announced) = response.content_length().filter(|n| *n > limit) {
        return Err(ReadError::TooLarge {
            read: 0,
            announced: Some(announced),
        });
    }
    let expected = response.content_length().unwrap_or(0).min(limit);
    let mut body = bytes::BytesMut::with_capacity(usize::try_from(expected).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        let read = body.len() as u64 + chunk.len() as u64;
        if read > limit {
            return Err(ReadError::TooLarge {
                read,
                announced: None,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A whole binary download (a PDF).
#[derive(Clone, PartialEq, Eq)]
pub struct Binary {
    /// The `Content-Type` the vendor sent.
    pub content_type: Option<String>,
    /// The file name from `Content-Disposition`, if the vendor sent one.
    pub file_name: Option<String>,
    pub bytes: Bytes,
}

impl fmt::Debug for Binary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Binary")
            .field("content_type", &self.content_type)
            .field("file_name", &self.file_name)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// A download read chunk by chunk, never held in memory whole.
pub struct ByteStream {
    pub content_type: Option<String>,
    pub file_name: Option<String>,
    /// The length the vendor announced, if it did.
    pub content_length: Option<u64>,
    /// The body's chunks; an error ends the stream.
    pub chunks: BoxStream<'static, Result<Bytes, Error>>,
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteStream")
            .field("content_type", &self.content_type)
            .field("file_name", &self.file_name)
            .field("content_length", &self.content_length)
            .finish_non_exhaustive()
    }
}

/// The file name of a `Content-Disposition` value (`attachment; filename="a.pdf"`), without
/// any directory part: a vendor must not be able to name a path.
pub(crate) fn file_name(disposition: &str) -> Option<String> {
    let value = disposition.split(';').map(str::trim).find_map(|p| {
        let (key, value) = p.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("filename")
            .then(|| value.trim().trim_matches('"').to_owned())
    })?;
    let base = value
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .to_owned();
    (!base.is_empty() && base != "." && base != "..").then_some(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn multipart_bodies_frame_every_part() {
        let form = Multipart::new().text("note", "hi").file(
            "file",
            "a.pdf",
            "application/pdf",
            b"%PDF".to_vec(),
        );
        let (body, content_type) = form.encode().unwrap();
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n"
        )));
        assert!(text.contains(
            "name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n"
        ));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
        assert!(Multipart::new().text("a\"b", "x").encode().is_err());
        assert!(
            !format!("{form:?}").contains("PDF"),
            "contents stay out of Debug"
        );
    }

    #[test]
    fn form_pairs_are_flat() {
        let pairs = form_pairs(
            &json!({"a": "x", "b": true, "c": [1, 2], "d": null}),
            BoolEncoding::OneZero,
        )
        .unwrap();
        let expected: Vec<(String, String)> = [("a", "x"), ("b", "1"), ("c", "1"), ("c", "2")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(pairs, expected);
        assert!(
            form_pairs(&json!({"a": {"b": 1}}), BoolEncoding::Native)
                .unwrap_err()
                .contains("`a`")
        );
    }

    #[test]
    fn file_names_lose_their_directories() {
        assert_eq!(
            file_name("attachment; filename=\"invoice 7.pdf\"").as_deref(),
            Some("invoice 7.pdf")
        );
        assert_eq!(
            file_name("attachment; filename=../../etc/passwd").as_deref(),
            Some("passwd")
        );
        assert_eq!(file_name("inline"), None);
        assert_eq!(file_name("attachment; filename=\"..\""), None);
    }
}
