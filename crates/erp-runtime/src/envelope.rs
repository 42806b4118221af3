//! Finding the data inside a vendor's response envelope, and wrapping request bodies.

use serde_json::{Map, Value};

use crate::descriptor::{
    BoolEncoding, ItemEnvelope, ListEnvelope, Operation, Paging, RequestEnvelope,
};

/// Paging facts a list response reported about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageMeta {
    pub page: Option<u64>,
    pub per_page: Option<u64>,
    pub total: Option<u64>,
    pub next_link: Option<String>,
}

/// The items of a list response and where they were found (for error paths).
#[derive(Debug)]
pub(crate) struct ListBody {
    pub items: Vec<Value>,
    pub path: String,
    pub meta: PageMeta,
}

pub(crate) fn lookup<'a>(value: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted.split('.').try_fold(value, |v, key| v.get(key))
}

fn as_u64(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn take(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    map.remove(key)
}

/// The elements of a vendor list value: an array, one object standing for one item, or nothing.
fn elements(value: Option<Value>) -> Vec<Value> {
    match value {
        Some(Value::Array(items)) => items,
        Some(obj @ Value::Object(_)) => vec![obj],
        _ => Vec::new(),
    }
}

pub(crate) fn list(op: &Operation, body: Value) -> Result<ListBody, String> {
    let next_link = match op.vendor.paging {
        Paging::NextLink { field } => lookup(&body, field)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        _ => None,
    };
    let mut body = body;
    let mut out = match op.vendor.list_envelope {
        ListEnvelope::Bare => match body {
            Value::Array(items) => ListBody {
                items,
                path: String::new(),
                meta: PageMeta::default(),
            },
            _ => return Err("expected a JSON array".to_owned()),
        },
        ListEnvelope::DataField(key) => match body {
            Value::Object(mut map) => match take(&mut map, key) {
                Some(Value::Array(items)) => ListBody {
                    items,
                    path: key.to_owned(),
                    meta: PageMeta::default(),
                },
                Some(Value::Null) => ListBody {
                    items: Vec::new(),
                    path: key.to_owned(),
                    meta: PageMeta::default(),
                },
                Some(_) => return Err(format!("expected `{key}` to be an array")),
                None => return Err(format!("expected an object with a `{key}` member")),
            },
            _ => return Err(format!("expected an object with a `{key}` member")),
        },
        ListEnvelope::ResourceRoot {
            total,
            page,
            per_page,
        } => {
            let plural = op.wire_plural;
            let singular = op.wire_singular;
            let Value::Object(mut root) = body else {
                return Err(format!("expected an object with a `{plural}` member"));
            };
            match take(&mut root, plural) {
                Some(Value::Object(mut inner)) => {
                    let meta = PageMeta {
                        total: total.and_then(|k| as_u64(inner.get(k))),
                        page: page.and_then(|k| as_u64(inner.get(k))),
                        per_page: per_page.and_then(|k| as_u64(inner.get(k))),
                        next_link: None,
                    };
                    // One item arrives as an object, none as an absent key (decided by JSON type,
                    // never by the reported total).
                    ListBody {
                        items: elements(take(&mut inner, singular)),
                        path: format!("{plural}.{singular}"),
                        meta,
                    }
                }
                Some(Value::Null) => ListBody {
                    items: Vec::new(),
                    path: plural.to_owned(),
                    meta: PageMeta::default(),
                },
                Some(Value::String(s)) if s.is_empty() => ListBody {
                    items: Vec::new(),
                    path: plural.to_owned(),
                    meta: PageMeta::default(),
                },
                Some(_) => return Err(format!("expected `{plural}` to be an object")),
                None => return Err(format!("expected an object with a `{plural}` member")),
            }
        }
        ListEnvelope::OData => match body.pointer_mut("/d/results").map(Value::take) {
            Some(Value::Array(items)) => ListBody {
                items,
                path: "d.results".to_owned(),
                meta: PageMeta::default(),
            },
            _ => return Err("expected `d.results` to be an array".to_owned()),
        },
    };
    out.meta.next_link = next_link;
    Ok(out)
}

/// The object of a single-item response. `Ok(None)` means the envelope was valid but empty
/// (Cloudspot's "get one" on an unknown id).
pub(crate) fn item(op: &Operation, body: Value) -> Result<Option<(Value, String)>, String> {
    match op.vendor.item_envelope {
        ItemEnvelope::Bare => Ok(Some((body, String::new()))),
        ItemEnvelope::DataField(key) => match body {
            Value::Object(mut map) => take(&mut map, key)
                .map(|v| Some((v, key.to_owned())))
                .ok_or_else(|| format!("expected an object with a `{key}` member")),
            _ => Err(format!("expected an object with a `{key}` member")),
        },
        ItemEnvelope::FirstOfList(key) => match body {
            Value::Object(mut map) => match take(&mut map, key) {
                Some(Value::Array(items)) => {
                    Ok(items.into_iter().next().map(|v| (v, format!("{key}[0]"))))
                }
                Some(obj @ Value::Object(_)) => Ok(Some((obj, key.to_owned()))),
                Some(Value::Null) => Ok(None),
                _ => Err(format!("expected `{key}` to be an array")),
            },
            _ => Err(format!("expected an object with a `{key}` member")),
        },
        ItemEnvelope::ResourceRoot => {
            let singular = op.wire_singular;
            match body {
                Value::Object(mut map) => take(&mut map, singular)
                    .map(|v| Some((v, singular.to_owned())))
                    .ok_or_else(|| format!("expected an object with a `{singular}` member")),
                _ => Err(format!("expected an object with a `{singular}` member")),
            }
        }
        ItemEnvelope::OData => match body {
            Value::Object(mut map) => take(&mut map, "d")
                .map(|v| Some((v, "d".to_owned())))
                .ok_or_else(|| "expected an object with a `d` member".to_owned()),
            _ => Err("expected an object with a `d` member".to_owned()),
        },
    }
}

/// Wraps a request body as the vendor expects and applies its boolean encoding.
pub(crate) fn request_body(op: &Operation, mut body: Value) -> Value {
    if op.vendor.booleans == BoolEncoding::OneZero {
        bools_to_numbers(&mut body);
    }
    match op.vendor.request_envelope {
        RequestEnvelope::Bare => body,
        RequestEnvelope::ResourceRoot => {
            let mut map = Map::new();
            map.insert(op.wire_singular.to_owned(), body);
            Value::Object(map)
        }
    }
}

fn bools_to_numbers(value: &mut Value) {
    match value {
        Value::Bool(b) => *value = Value::from(u8::from(*b)),
        Value::Array(items) => items.iter_mut().for_each(bools_to_numbers),
        Value::Object(map) => map.values_mut().for_each(bools_to_numbers),
        _ => {}
    }
}

/// The vendor's error message and code, from the paths the spec names. Several messages
/// (`"error": ["a", "b"]`) are joined with "; ".
pub(crate) fn error_details(
    message_paths: &[&str],
    code_paths: &[&str],
    body: &Value,
) -> (Option<String>, Option<String>) {
    let text = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            Value::Array(items) => {
                let parts: Vec<String> = items
                    .iter()
                    .filter_map(|i| {
                        i.as_str()
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                    })
                    .collect();
                (!parts.is_empty()).then(|| parts.join("; "))
            }
            Value::Object(map) => map
                .get("value")
                .or_else(|| map.get("message"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            _ => None,
        }
    };
    let first = |paths: &[&str]| paths.iter().find_map(|p| lookup(body, p).and_then(text));
    (first(message_paths), first(code_paths))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::*;
    use serde_json::json;

    static BILLOMATISH: VendorInfo = VendorInfo {
        name: "b",
        title: "B",
        base_url: "https://x",
        base_url_variables: &[],
        format: WireFormat::Json,
        booleans: BoolEncoding::OneZero,
        send_content_type_on_get: false,
        list_envelope: ListEnvelope::ResourceRoot {
            total: Some("@total"),
            page: Some("@page"),
            per_page: Some("@per_page"),
        },
        item_envelope: ItemEnvelope::ResourceRoot,
        request_envelope: RequestEnvelope::ResourceRoot,
        errors_in_success: true,
        paging: Paging::None,
        rate_limit: None,
        error_message_paths: &["errors.error"],
        error_code_paths: &[],
    };
    static OP: Operation = Operation {
        vendor: &BILLOMATISH,
        resource: "clients",
        name: "list",
        method: Method::Get,
        path: "/clients",
        wire_singular: "client",
        wire_plural: "clients",
        returns: Returns::List,
        paged: true,
        idempotent: true,
        redact: &[],
    };

    #[test]
    fn resource_root_lists_in_all_three_shapes() {
        let many = list(&OP, json!({"clients": {"client": [{"id": "1"}, {"id": "2"}], "@total": "7", "@page": "1", "@per_page": "2"}})).unwrap();
        assert_eq!(many.items.len(), 2);
        assert_eq!(
            many.meta,
            PageMeta {
                page: Some(1),
                per_page: Some(2),
                total: Some(7),
                next_link: None
            }
        );
        let one = list(
            &OP,
            json!({"clients": {"client": {"id": "1"}, "@total": "1"}}),
        )
        .unwrap();
        assert_eq!(one.items, vec![json!({"id": "1"})]);
        let none = list(&OP, json!({"clients": {"@total": "0"}})).unwrap();
        assert!(none.items.is_empty());
        assert!(
            list(&OP, json!({"invoices": {}}))
                .unwrap_err()
                .contains("`clients`")
        );
    }

    #[test]
    fn request_bodies_are_wrapped_with_bools_as_numbers() {
        assert_eq!(
            request_body(&OP, json!({"archived": true, "name": "x"})),
            json!({"client": {"archived": 1, "name": "x"}})
        );
    }

    #[test]
    fn error_messages_one_or_many() {
        assert_eq!(
            error_details(
                &["errors.error"],
                &[],
                &json!({"errors": {"error": "Not found"}})
            )
            .0
            .as_deref(),
            Some("Not found")
        );
        assert_eq!(
            error_details(
                &["errors.error"],
                &[],
                &json!({"errors": {"error": ["a", "b"]}})
            )
            .0
            .as_deref(),
            Some("a; b")
        );
        let exact = json!({"error": {"code": "", "message": {"lang": "", "value": "Forbidden - WrongDivision"}}});
        assert_eq!(
            error_details(&["error.message"], &[], &exact).0.as_deref(),
            Some("Forbidden - WrongDivision")
        );
    }
}
