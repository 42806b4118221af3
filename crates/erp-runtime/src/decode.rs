//! From a successful answer's bytes to typed values: the codec, the check for errors inside
//! 2xx bodies and for bodies of the wrong kind, and typed decoding with located errors.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::codec::{self, Codec};
use crate::descriptor::{Operation, WireFormat};
use crate::envelope;
use crate::error::{Error, excerpt};
use crate::lenient::{self, Leniency};
use crate::send::origin;

/// Longest body excerpt kept in an error.
pub(crate) const EXCERPT_CHARS: usize = 200;

/// The codec of an operation's structured bodies.
pub(crate) fn codec_of(op: &Operation) -> Result<&'static dyn Codec, Error> {
    codec::for_format(op.format).map_err(|message| Error::Config {
        vendor: op.vendor().name,
        message,
    })
}

/// Whether a body that the codec could not read looks like a web page.
fn looks_like_html(body: &[u8], content_type: Option<&str>) -> bool {
    if content_type.is_some_and(|c| c.to_ascii_lowercase().contains("text/html")) {
        return true;
    }
    let start = String::from_utf8_lossy(&body[..body.len().min(256)]).to_ascii_lowercase();
    let start = start.trim_start();
    start.starts_with("<!doctype html") || start.starts_with("<html")
}

/// A structured 2xx body as a value tree. A body of another kind (an HTML maintenance page)
/// or one that carries the vendor's error members is an error, not data.
pub(crate) fn structured(
    op: &'static Operation,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Value, Error> {
    let codec = codec_of(op)?;
    let value = match codec.decode(body) {
        Ok(value) => value,
        Err(message) => {
            let html = looks_like_html(body, content_type)
                // An HTML page is never a JSON document; for XML vendors only the media type tells.
                && !(op.format == WireFormat::Xml && content_type.is_none());
            if html {
                return Err(Error::UnexpectedContent {
                    origin: origin(op),
                    status,
                    expected: op.format.media_type(),
                    content_type: content_type.map(str::to_owned),
                    excerpt: excerpt(&String::from_utf8_lossy(body), EXCERPT_CHARS),
                });
            }
            return Err(Error::Decode {
                origin: origin(op),
                path: ".".to_owned(),
                message,
                excerpt: excerpt(&String::from_utf8_lossy(body), EXCERPT_CHARS),
            });
        }
    };
    let vendor = op.vendor();
    if vendor
        .success_error_paths
        .iter()
        .any(|p| envelope::lookup(&value, p).is_some_and(|v| !v.is_null()))
    {
        let (message, code) =
            envelope::error_details(vendor.error_message_paths, vendor.error_code_paths, &value);
        return Err(Error::Api {
            origin: origin(op),
            status,
            message,
            code,
            body_excerpt: redacted_excerpt(&value, op.redact),
        });
    }
    Ok(value)
}

/// An error about the shape of an already decoded body.
pub(crate) fn shape_error(op: &'static Operation, body: &Value, message: String) -> Error {
    Error::Decode {
        origin: origin(op),
        path: ".".to_owned(),
        message,
        excerpt: redacted_excerpt(body, op.redact),
    }
}

/// Decodes one value into a model with the vendor's wire rules, naming the path of a field
/// that does not fit.
pub(crate) fn typed<T: DeserializeOwned>(
    op: &'static Operation,
    value: Value,
    prefix: &str,
) -> Result<T, Error> {
    lenient::from_value(&value, Leniency::of(op.vendor())).map_err(|e| {
        let path = match (prefix.is_empty(), e.path()) {
            (true, p) => p,
            (false, p) if p == "." => prefix.to_owned(),
            (false, p) => format!("{prefix}.{p}"),
        };
        Error::Decode {
            origin: origin(op),
            path,
            message: e.message().to_owned(),
            excerpt: redacted_excerpt(&value, op.redact),
        }
    })
}

/// A short excerpt of a decoded body for an error, with the values of sensitive fields
/// (the spec's `sensitive: true`) replaced: an IBAN must not reach a log through an error.
pub(crate) fn redacted_excerpt(value: &Value, sensitive: &[&str]) -> String {
    fn redact(value: &mut Value, sensitive: &[&str]) {
        match value {
            Value::Object(map) => {
                for (key, member) in map.iter_mut() {
                    if sensitive.contains(&key.as_str()) {
                        *member = Value::from("[redacted]");
                    } else {
                        redact(member, sensitive);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| redact(item, sensitive)),
            _ => {}
        }
    }
    if sensitive.is_empty() {
        return excerpt(&value.to_string(), EXCERPT_CHARS);
    }
    let mut copy = value.clone();
    redact(&mut copy, sensitive);
    excerpt(&copy.to_string(), EXCERPT_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::*;

    fn op(success_error_paths: &'static [&'static str]) -> &'static Operation {
        crate::testing::operation(
            VendorInfo {
                success_error_paths,
                error_message_paths: &["errors.error"],
                ..crate::testing::vendor()
            },
            Paging::None,
            Returns::Item,
        )
    }

    #[test]
    fn html_where_json_was_expected_names_vendor_and_operation() {
        let page = b"<!DOCTYPE html><html><body>Down for maintenance</body></html>";
        let err = structured(op(&[]), 200, Some("text/html; charset=utf-8"), page).unwrap_err();
        assert!(
            matches!(err, Error::UnexpectedContent { status: 200, .. }),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.starts_with("test things.list: expected application/json"),
            "{text}"
        );
        assert!(text.contains("maintenance"), "{text}");
        let err = structured(op(&[]), 200, None, b"{\"a\":").unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    }

    #[test]
    fn error_members_in_a_success_body_fail_the_call() {
        let body = br#"{"errors": {"error": "Invalid client"}}"#;
        let err = structured(op(&["errors"]), 200, None, body).unwrap_err();
        assert_eq!(err.vendor_message(), Some("Invalid client"));
        assert!(structured(op(&[]), 200, None, body).is_ok());
        assert!(structured(op(&["errors"]), 200, None, br#"{"errors": null}"#).is_ok());
    }
}
