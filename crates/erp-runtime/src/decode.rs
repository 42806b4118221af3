//! From a successful answer's bytes to typed values: the codec, the check for errors inside
//! 2xx bodies and for bodies of the wrong kind, and typed decoding with located errors.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::codec::{self, Codec};
use crate::descriptor::{ItemEnvelope, ListEnvelope, Operation, WireFormat};
use crate::envelope::{self, Shape};
use crate::error::{Error, excerpt};
use crate::lenient::{self, Leniency};
use crate::send::origin;
use crate::shallow::{Body, Item};

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

/// A structured 2xx body, read as deep as the operation's envelope needs: a JSON body's data
/// stays raw text (decoded item by item later), the rest becomes a small tree; an XML body
/// is the codec's tree. A body of another kind (an HTML maintenance page) or one that carries
/// the vendor's error members is an error, not data.
pub(crate) fn structured<'a>(
    op: &'static Operation,
    status: u16,
    content_type: Option<&str>,
    body: &'a [u8],
    shape: Shape,
) -> Result<Body<'a>, Error> {
    let codec = codec_of(op)?;
    let read = match op.format {
        WireFormat::Json => std::str::from_utf8(body)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                Body::json(text, &envelope::wants(op, shape)).map_err(|e| e.to_string())
            })
            .map_err(|e| format!("invalid JSON: {e}")),
        WireFormat::Xml => codec.decode(body).map(Body::tree),
    };
    let decoded = match read {
        Ok(decoded) => decoded,
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
    // Error members sit beside the data, never inside it: the tree has them.
    let tree = &decoded.tree;
    if vendor
        .success_error_paths
        .iter()
        .any(|p| envelope::lookup(tree, p).is_some_and(|v| !v.is_null()))
        || is_error_document(op, &decoded, shape)
    {
        // A JSON body's data is still raw text: its messages are in the whole body.
        let whole = decoded.whole();
        let (message, code) =
            envelope::error_details(vendor.error_message_paths, vendor.error_code_paths, &whole);
        return Err(Error::Api {
            origin: origin(op),
            status,
            message,
            code,
            body_excerpt: redacted_excerpt(&whole, op.redact),
        });
    }
    Ok(decoded)
}

/// Whether a 2xx body is the vendor's error document where nothing else tells it from data:
/// the envelope takes any root element as the data (`<errors><error>…</error></errors>` read
/// as a record named `errors`), or a bare item is expected to show its key (a `get`). Such a
/// body is one only when every top-level member is where the vendor's errors put their
/// message or code (the first step of `errors.error`, or `message`), none is the data's own
/// root or key, and a message is there.
fn is_error_document(op: &'static Operation, body: &Body<'_>, shape: Shape) -> bool {
    let vendor = op.vendor();
    let unnamed = match shape {
        Shape::List => vendor.list_envelope == ListEnvelope::AnyRoot,
        Shape::Item => match vendor.item_envelope {
            ItemEnvelope::AnyRoot => true,
            ItemEnvelope::Bare => op.key.is_some(),
            _ => false,
        },
    };
    let Some(members) = body.tree.as_object().filter(|m| !m.is_empty()) else {
        return false;
    };
    let error_member = |name: &str| {
        (vendor.error_message_paths.iter())
            .chain(vendor.error_code_paths)
            .any(|p| p.split('.').next() == Some(name))
    };
    let data_member =
        |name: &str| name == op.root || name == op.resource.wire_plural || op.key == Some(name);
    // Only a body named like an error document is read whole.
    unnamed
        && members.keys().all(|k| error_member(k) && !data_member(k))
        && envelope::error_details(vendor.error_message_paths, &[], &body.whole())
            .0
            .is_some()
}

/// An error about the shape of a body.
pub(crate) fn shape_error(op: &'static Operation, body: &Body<'_>, message: String) -> Error {
    Error::Decode {
        origin: origin(op),
        path: ".".to_owned(),
        message,
        excerpt: redacted_excerpt(&body.whole(), op.redact),
    }
}

/// Decodes one item into a model with the vendor's wire rules, naming the path of a field
/// that does not fit. A raw item is decoded straight from its text; only a failure parses it
/// into a tree, for the excerpt.
pub(crate) fn typed<T: DeserializeOwned>(
    op: &'static Operation,
    item: &Item<'_>,
    prefix: &str,
) -> Result<T, Error> {
    typed_at(op, item, || prefix.to_owned())
}

/// [`typed`], with the item's path made only when it fails (a list page decodes thousands of
/// items, and formatting each one's path was a measurable share of the work).
pub(crate) fn typed_at<T: DeserializeOwned>(
    op: &'static Operation,
    item: &Item<'_>,
    prefix: impl FnOnce() -> String,
) -> Result<T, Error> {
    let leniency = Leniency::of(op.vendor());
    let decoded = match item {
        Item::Raw(raw) => lenient::from_str(raw, leniency),
        Item::Tree(value) => lenient::from_value(value, leniency),
    };
    decoded.map_err(|e| {
        let prefix = prefix();
        let path = match (prefix.is_empty(), e.path()) {
            (true, p) => p,
            (false, p) if p == "." => prefix.to_owned(),
            (false, p) => format!("{prefix}.{p}"),
        };
        Error::Decode {
            origin: origin(op),
            path,
            message: e.message().to_owned(),
            excerpt: redacted_excerpt(&item.to_value(), op.redact),
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
        let err = structured(
            op(&[]),
            200,
            Some("text/html; charset=utf-8"),
            page,
            Shape::Item,
        )
        .unwrap_err();
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
        let err = structured(op(&[]), 200, None, b"{\"a\":", Shape::Item).unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    }

    #[test]
    fn error_members_in_a_success_body_fail_the_call() {
        let body = br#"{"errors": {"error": "Invalid client"}}"#;
        let err = structured(op(&["errors"]), 200, None, body, Shape::Item).unwrap_err();
        assert_eq!(err.vendor_message(), Some("Invalid client"));
        assert!(structured(op(&[]), 200, None, body, Shape::Item).is_ok());
        assert!(
            structured(
                op(&["errors"]),
                200,
                None,
                br#"{"errors": null}"#,
                Shape::Item
            )
            .is_ok()
        );
    }

    #[test]
    fn an_error_document_is_no_record_where_any_root_is_the_data() {
        let vendor = || VendorInfo {
            list_envelope: ListEnvelope::AnyRoot,
            item_envelope: ItemEnvelope::AnyRoot,
            error_message_paths: &["errors.error"],
            ..crate::testing::vendor()
        };
        let body = br#"{"errors": {"error": "Customer id is taken"}}"#;
        for (returns, shape) in [(Returns::Item, Shape::Item), (Returns::List, Shape::List)] {
            let op = crate::testing::operation(vendor(), Paging::None, returns);
            let err = structured(op, 200, None, body, shape).unwrap_err();
            assert!(matches!(err, Error::Api { status: 200, .. }), "{err:?}");
            assert!(err.to_string().contains("Customer id is taken"), "{err}");
            // A record under another root, or an `errors` root without a message, is data.
            let record = br#"{"subscriber": {"errors": {"error": "x"}}}"#;
            assert!(structured(op, 200, None, record, shape).is_ok());
            let empty = br#"{"errors": {"count": 0}}"#;
            assert!(structured(op, 200, None, empty, shape).is_ok());
        }
        // A bare get expects its key: a body of nothing but the vendor's message is no record.
        let get = |key| {
            let op = crate::testing::operation(
                VendorInfo {
                    error_code_paths: &["code"],
                    ..crate::testing::vendor()
                },
                Paging::None,
                Returns::Item,
            );
            &*Box::leak(Box::new(Operation { key, ..*op }))
        };
        let message = br#"{"message": "Try again later", "code": "BUSY"}"#;
        let err = structured(get(Some("id")), 200, None, message, Shape::Item).unwrap_err();
        assert_eq!(err.vendor_message(), Some("Try again later"));
        assert!(structured(get(None), 200, None, message, Shape::Item).is_ok());
        let record = br#"{"id": 7, "message": "Try again later"}"#;
        assert!(structured(get(Some("id")), 200, None, record, Shape::Item).is_ok());
        // Where the envelope names the data's place, the shape alone decides.
        let op = crate::testing::operation(
            VendorInfo {
                error_message_paths: &["errors.error"],
                ..crate::testing::vendor()
            },
            Paging::None,
            Returns::Item,
        );
        assert!(structured(op, 200, None, body, Shape::Item).is_ok());
    }

    #[test]
    fn a_root_that_is_no_list_stays_in_the_excerpt() {
        let op = crate::testing::operation(
            VendorInfo {
                list_envelope: ListEnvelope::AnyRoot,
                ..crate::testing::vendor()
            },
            Paging::None,
            Returns::List,
        );
        let op: &'static Operation = Box::leak(Box::new(Operation {
            format: WireFormat::Xml,
            ..*op
        }));
        let body = b"<result><count type=\"integer\">3</count></result>";
        let err =
            crate::paging::decode_page::<Value>(op, body, "https://example.com/api").unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        assert!(err.to_string().contains("count"), "{err}");
    }

    #[test]
    fn a_raw_item_that_does_not_fit_names_its_path_and_redacts_the_excerpt() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Thing {
            id: Option<i64>,
            iban: Option<String>,
        }
        let vendor = VendorInfo {
            list_envelope: ListEnvelope::ResourceRoot {
                total: None,
                page: None,
                per_page: None,
            },
            ..crate::testing::vendor()
        };
        let op = crate::testing::operation(vendor, Paging::None, Returns::List);
        let op: &'static Operation = Box::leak(Box::new(Operation {
            redact: &["iban"],
            key: None,
            idempotency_key: None,
            ..*op
        }));
        let text = br#"{"clients": {"client": [{"id": 1}, {"id": 2}, {"id": 3},
            {"iban": "DE02120300000000202051", "id": "x"}]}}"#;
        let err =
            crate::paging::decode_page::<Thing>(op, text, "https://example.com/api").unwrap_err();
        let Error::Decode { path, excerpt, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(path, "clients.client[3].id");
        assert!(
            excerpt.contains("[redacted]") && !excerpt.contains("DE02"),
            "{excerpt}"
        );
    }
}
