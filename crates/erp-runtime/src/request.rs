//! The parts of one call that generated code fills in: path parameters, query, body.

use std::fmt::{self, Display};

use serde::Serialize;
use serde_json::Value;

use crate::body::Multipart;
use crate::descriptor::BoolEncoding;

/// The body of one call, before the operation's body kind encodes it.
#[derive(Clone)]
pub(crate) enum Body {
    /// A model (structured or form fields).
    Value(Value),
    Multipart(Multipart),
    Bytes {
        bytes: bytes::Bytes,
        content_type: Option<String>,
    },
}

/// Path parameters, query parameters and body of one operation call.
///
/// Builder methods never fail; a value that cannot be serialized is remembered and reported
/// as `Error::InvalidInput` when the request is sent.
///
/// ```
/// use erp_runtime::Request;
/// #[derive(serde::Serialize)]
/// struct Filter { name: Option<String>, tags: Vec<&'static str> }
/// let req = Request::new()
///     .path("id", 7)
///     .query(&Filter { name: Some("acme".into()), tags: vec!["a", "b"] })
///     .query_param("page", 2);
/// assert_eq!(req.query_pairs(erp_runtime::descriptor::BoolEncoding::Native),
///            vec![("name".to_owned(), "acme".to_owned()), ("tags".to_owned(), "a,b".to_owned()), ("page".to_owned(), "2".to_owned())]);
/// ```
#[derive(Clone, Default)]
pub struct Request {
    pub(crate) path_params: Vec<(&'static str, String)>,
    pub(crate) query: Vec<(String, Value)>,
    pub(crate) body: Option<Body>,
    pub(crate) invalid: Option<(String, String)>,
    /// The caller's own idempotency key, for operations whose vendor honours one.
    pub(crate) idempotency_key: Option<String>,
}

impl fmt::Debug for Body {
    // Only the kind and size: which members are sensitive depends on the operation, which a
    // body does not know, so no value of it is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Value(value) => {
                let members = value.as_object().map_or(0, serde_json::Map::len);
                write!(f, "Value({members} members, not shown)")
            }
            Body::Multipart(form) => write!(f, "Multipart({form:?})"),
            Body::Bytes {
                bytes,
                content_type,
            } => write!(f, "Bytes({} bytes, {content_type:?})", bytes.len()),
        }
    }
}

/// Shows path and query parameters, but of the body only its kind and size.
///
/// ```
/// let req = erp_runtime::Request::new().path("id", 7).body(&serde_json::json!({"bank_iban": "DE89370400440532013000"}));
/// let shown = format!("{req:?}");
/// assert!(shown.contains("\"id\"") && !shown.contains("DE89"), "{shown}");
/// ```
impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("path_params", &self.path_params)
            .field("query", &self.query)
            .field("body", &self.body)
            .field("invalid", &self.invalid)
            .finish()
    }
}

impl Request {
    pub fn new() -> Self {
        Request::default()
    }

    /// Fills the `{name}` placeholder of the operation's path.
    pub fn path(mut self, name: &'static str, value: impl Display) -> Self {
        self.path_params.push((name, value.to_string()));
        self
    }

    /// Adds one query parameter (lists become comma-separated; `None` is left out). A list
    /// item that itself contains a comma, or is a list, is refused (`Error::InvalidInput`
    /// when sent): the vendor would split it into other items than the caller gave.
    ///
    /// ```
    /// # use erp_runtime::{Request, descriptor::BoolEncoding};
    /// let ok = Request::new().query_param("tags", ["vip", "new"]);
    /// assert_eq!(ok.query_pairs(BoolEncoding::Native)[0].1, "vip,new");
    /// let split = Request::new().query_param("tags", ["Smith, John"]);
    /// assert!(split.query_pairs(BoolEncoding::Native).is_empty());
    /// ```
    pub fn query_param(mut self, name: &str, value: impl Serialize) -> Self {
        match serde_json::to_value(value) {
            Ok(Value::Null) => {}
            Ok(v) => self.push_query(name.to_owned(), v),
            Err(e) => self.invalid = Some((name.to_owned(), e.to_string())),
        }
        self
    }

    /// Adds (or replaces) a parameter, or remembers why its list cannot be sent.
    fn push_query(&mut self, name: String, value: Value) {
        self.query.retain(|(n, _)| *n != name);
        match unsplittable(&value) {
            Ok(()) => self.query.push((name, value)),
            Err(message) => self.invalid = Some((name, message)),
        }
    }

    /// Adds every set field of a query struct as a parameter.
    pub fn query<Q: Serialize>(mut self, query: &Q) -> Self {
        match serde_json::to_value(query) {
            Ok(Value::Object(map)) => {
                for (name, value) in map {
                    if !value.is_null() {
                        self.push_query(name, value);
                    }
                }
            }
            Ok(Value::Null) => {}
            Ok(_) => {
                self.invalid = Some((
                    "query".to_owned(),
                    "a query must serialize to a map of parameters".to_owned(),
                ))
            }
            Err(e) => self.invalid = Some(("query".to_owned(), e.to_string())),
        }
        self
    }

    /// Sets the body model (encoded as the operation's body kind says: in its wire format
    /// inside the vendor's request envelope, or as form fields).
    pub fn body<B: Serialize>(mut self, body: &B) -> Self {
        match serde_json::to_value(body) {
            Ok(v) => self.body = Some(Body::Value(v)),
            Err(e) => self.invalid = Some(("body".to_owned(), e.to_string())),
        }
        self
    }

    /// Sets a `multipart/form-data` body.
    pub fn multipart(mut self, form: Multipart) -> Self {
        self.body = Some(Body::Multipart(form));
        self
    }

    /// Sets a raw body; `content_type` replaces the one the spec names.
    pub fn bytes(mut self, bytes: impl Into<bytes::Bytes>, content_type: Option<&str>) -> Self {
        self.body = Some(Body::Bytes {
            bytes: bytes.into(),
            content_type: content_type.map(str::to_owned),
        });
        self
    }

    /// Uses this idempotency key instead of a generated one, for an operation whose spec
    /// declares an idempotency-key header (ignored by others). A caller that retries a write
    /// itself, possibly from another process after a crash, passes the same key each time
    /// so that the vendor applies the write once.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// The query as text pairs, with the vendor's boolean encoding.
    pub fn query_pairs(&self, booleans: BoolEncoding) -> Vec<(String, String)> {
        self.query
            .iter()
            .map(|(n, v)| (n.clone(), query_text(v, booleans)))
            .collect()
    }

    /// The value given for a path parameter, or else a query parameter, of this name, as it
    /// is sent (a `get`'s key).
    pub(crate) fn param_text(&self, name: &str) -> Option<String> {
        self.path_params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .or_else(|| {
                self.query
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| query_text(v, BoolEncoding::Native))
            })
    }

    /// Sets (or replaces) a query parameter the paging engine controls.
    pub(crate) fn set_query(&mut self, name: &str, value: String) {
        self.query.retain(|(n, _)| n != name);
        self.query.push((name.to_owned(), Value::String(value)));
    }
}

/// The list separator of query values.
const LIST_SEPARATOR: char = ',';

/// Whether a list value survives joining with [`LIST_SEPARATOR`]: no item contains it, and
/// no item is itself a list (it would be flattened into the outer one).
fn unsplittable(value: &Value) -> Result<(), String> {
    let Value::Array(items) = value else {
        return Ok(());
    };
    for item in items {
        match item {
            Value::Array(_) | Value::Object(_) => {
                // Both would be flattened or written with commas of their own.
                return Err("a list item is itself a list or an object".to_owned());
            }
            Value::String(text) if text.contains(LIST_SEPARATOR) => {
                return Err(format!(
                    "list item {text:?} contains `{LIST_SEPARATOR}`, which separates the items of a \
                     list in the query: the vendor would read it as several items"
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

fn query_text(value: &Value, booleans: BoolEncoding) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) if booleans == BoolEncoding::OneZero => u8::from(*b).to_string(),
        Value::Array(items) => items
            .iter()
            .map(|i| query_text(i, booleans))
            .collect::<Vec<_>>()
            .join(&LIST_SEPARATOR.to_string()),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Percent-encodes one path segment (RFC 3986 unreserved characters stay as they are).
pub(crate) fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_cannot_escape_their_place() {
        assert_eq!(encode_segment("../admin?x=1"), "..%2Fadmin%3Fx%3D1");
        assert_eq!(encode_segment("Müller"), "M%C3%BCller");
    }

    #[test]
    fn list_items_holding_the_separator_are_refused() {
        let req = Request::new().query_param("tags", ["a", "b,c"]);
        let (field, message) = req.invalid.clone().unwrap();
        assert_eq!(field, "tags");
        assert!(
            message.contains("\"b,c\"") && message.contains("`,`"),
            "{message}"
        );
        assert!(req.query.is_empty(), "the list is not sent");
        let nested = Request::new().query_param("ids", vec![vec![1, 2], vec![3]]);
        assert!(nested.invalid.is_some());
        #[derive(serde::Serialize)]
        struct Q {
            tags: Vec<&'static str>,
        }
        assert!(
            Request::new()
                .query(&Q { tags: vec!["x,y"] })
                .invalid
                .is_some()
        );
        let fine = Request::new().query_param("name", "Smith, John");
        assert!(fine.invalid.is_none(), "a single value may hold a comma");
    }

    #[test]
    fn booleans_follow_the_vendor_encoding() {
        let req = Request::new().query_param("archived", true);
        assert_eq!(req.query_pairs(BoolEncoding::OneZero)[0].1, "1");
        assert_eq!(req.query_pairs(BoolEncoding::Native)[0].1, "true");
    }
}
