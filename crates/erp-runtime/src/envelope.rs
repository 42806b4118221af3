//! Finding the data inside a vendor's response envelope, and wrapping request bodies.

use serde_json::{Map, Value};

use crate::descriptor::{BoolEncoding, ItemEnvelope, ListEnvelope, Operation, RequestEnvelope};

/// Paging facts a list response reported about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageMeta {
    pub page: Option<u64>,
    pub per_page: Option<u64>,
    pub total: Option<u64>,
}

/// The items of a list response and where they were found (for error paths).
#[derive(Debug)]
pub(crate) struct ListBody {
    pub items: Vec<Value>,
    pub path: String,
    pub meta: PageMeta,
}

/// The value at a dotted path (`additional_data.next_cursor`); an empty path is the value.
pub(crate) fn lookup<'a>(value: &'a Value, dotted: &str) -> Option<&'a Value> {
    if dotted.is_empty() {
        return Some(value);
    }
    dotted.split('.').try_fold(value, |v, key| v.get(key))
}

/// Takes the value at a dotted path out of `value`.
fn take_path(value: &mut Value, dotted: &str) -> Option<Value> {
    let (parent, last) = match dotted.rsplit_once('.') {
        Some((parent, last)) => (lookup_mut(value, parent)?, last),
        None => (value, dotted),
    };
    parent.as_object_mut()?.remove(last)
}

fn lookup_mut<'a>(value: &'a mut Value, dotted: &str) -> Option<&'a mut Value> {
    dotted.split('.').try_fold(value, |v, key| v.get_mut(key))
}

pub(crate) fn as_u64(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The elements of a vendor list value: an array, one object standing for one item, or nothing.
fn elements(value: Option<Value>) -> Vec<Value> {
    match value {
        Some(Value::Array(items)) => items,
        Some(obj @ Value::Object(_)) => vec![obj],
        _ => Vec::new(),
    }
}

/// The only member of an object body: `(name, value)`.
fn only_member(body: &mut Value) -> Result<(String, Value), String> {
    match body {
        Value::Object(map) if map.len() == 1 => {
            let name = map.keys().next().cloned().unwrap_or_default();
            let value = map.remove(&name).unwrap_or_default();
            Ok((name, value))
        }
        Value::Object(map) => Err(format!(
            "expected a body with one root member, found {}",
            map.len()
        )),
        _ => Err("expected a body with one root member".to_owned()),
    }
}

fn listed(items: Vec<Value>, path: impl Into<String>, meta: PageMeta) -> ListBody {
    ListBody {
        items,
        path: path.into(),
        meta,
    }
}

/// The items of a list body. They are taken out of `body`; on an error it is left whole
/// enough for an excerpt.
pub(crate) fn list(op: &Operation, body: &mut Value) -> Result<ListBody, String> {
    match op.vendor().list_envelope {
        ListEnvelope::Bare => match body {
            Value::Array(items) => Ok(listed(std::mem::take(items), "", PageMeta::default())),
            _ => Err("expected an array".to_owned()),
        },
        ListEnvelope::DataField { key, total } => {
            let meta = PageMeta {
                total: total.and_then(|t| as_u64(lookup(body, t))),
                ..PageMeta::default()
            };
            if !body.is_object() {
                return Err(format!("expected an object with a `{key}` member"));
            }
            match take_path(body, key) {
                Some(Value::Array(items)) => Ok(listed(items, key, meta)),
                Some(Value::Null) => Ok(listed(Vec::new(), key, meta)),
                Some(_) => Err(format!("expected `{key}` to be an array")),
                None => Err(format!("expected an object with a `{key}` member")),
            }
        }
        ListEnvelope::ResourceRoot {
            total,
            page,
            per_page,
        } => {
            let plural = op.resource.wire_plural;
            let singular = op.root;
            let Some(root) = body.as_object_mut() else {
                return Err(format!("expected an object with a `{plural}` member"));
            };
            match root.remove(plural) {
                Some(Value::Object(mut inner)) => {
                    let meta = PageMeta {
                        total: total.and_then(|k| as_u64(inner.get(k))),
                        page: page.and_then(|k| as_u64(inner.get(k))),
                        per_page: per_page.and_then(|k| as_u64(inner.get(k))),
                    };
                    // One item arrives as an object, none as an absent key (decided by JSON type,
                    // never by the reported total).
                    Ok(listed(
                        elements(inner.remove(singular)),
                        format!("{plural}.{singular}"),
                        meta,
                    ))
                }
                Some(Value::Null) => Ok(listed(Vec::new(), plural, PageMeta::default())),
                Some(Value::String(s)) if s.is_empty() => {
                    Ok(listed(Vec::new(), plural, PageMeta::default()))
                }
                Some(_) => Err(format!("expected `{plural}` to be an object")),
                None => Err(format!("expected an object with a `{plural}` member")),
            }
        }
        ListEnvelope::AnyRoot => {
            let (name, value) = only_member(body)?;
            match value {
                Value::Array(items) => Ok(listed(items, name, PageMeta::default())),
                Value::Null => Ok(listed(Vec::new(), name, PageMeta::default())),
                _ => Err(format!("expected the root member `{name}` to be a list")),
            }
        }
        ListEnvelope::OData => {
            let total = as_u64(lookup(body, "d.__count"));
            let meta = PageMeta {
                total,
                ..PageMeta::default()
            };
            // Only the items are taken: `d.__next` stays for the paging engine.
            match body.get_mut("d") {
                Some(Value::Array(items)) => Ok(listed(std::mem::take(items), "d", meta)),
                Some(d @ Value::Object(_)) => match take_path(d, "results") {
                    Some(Value::Array(items)) => Ok(listed(items, "d.results", meta)),
                    _ => Err("expected `d.results` to be an array".to_owned()),
                },
                _ => Err("expected an object with a `d` member".to_owned()),
            }
        }
    }
}

/// The object of a single-item response. `Ok(None)` means the envelope was valid but empty
/// (Cloudspot's "get one" on an unknown id).
/// Takes the object out of `body` like [`list`].
pub(crate) fn item(op: &Operation, body: &mut Value) -> Result<Option<(Value, String)>, String> {
    let member = |body: &mut Value, key: &str| {
        body.is_object()
            .then(|| take_path(body, key))
            .flatten()
            .ok_or_else(|| format!("expected an object with a `{key}` member"))
    };
    match op.vendor().item_envelope {
        ItemEnvelope::Bare => Ok(Some((body.take(), String::new()))),
        ItemEnvelope::DataField(key) => member(body, key).map(|v| Some((v, key.to_owned()))),
        ItemEnvelope::FirstOfList(key) => match member(body, key)? {
            Value::Array(items) => Ok(items.into_iter().next().map(|v| (v, format!("{key}[0]")))),
            obj @ Value::Object(_) => Ok(Some((obj, key.to_owned()))),
            Value::Null => Ok(None),
            _ => Err(format!("expected `{key}` to be an array")),
        },
        ItemEnvelope::ResourceRoot => member(body, op.root).map(|v| Some((v, op.root.to_owned()))),
        ItemEnvelope::AnyRoot => only_member(body).map(|(name, v)| Some((v, name))),
        ItemEnvelope::OData => match member(body, "d")? {
            // Some OData services wrap a single entity like a list of one.
            Value::Object(mut d) if d.get("results").is_some_and(Value::is_array) => {
                match d.remove("results") {
                    Some(Value::Array(items)) => Ok(items
                        .into_iter()
                        .next()
                        .map(|v| (v, "d.results[0]".to_owned()))),
                    _ => Ok(None),
                }
            }
            d => Ok(Some((d, "d".to_owned()))),
        },
    }
}

/// Wraps a request body as the vendor expects and applies its boolean encoding.
pub(crate) fn request_body(op: &Operation, mut body: Value) -> Value {
    if op.vendor().booleans == BoolEncoding::OneZero {
        bools_to_numbers(&mut body);
    }
    match op.vendor().request_envelope {
        RequestEnvelope::Bare => body,
        RequestEnvelope::ResourceRoot => {
            let mut map = Map::new();
            map.insert(op.root.to_owned(), body);
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

    fn op(list: ListEnvelope, item: ItemEnvelope) -> &'static Operation {
        crate::testing::operation(
            VendorInfo {
                booleans: BoolEncoding::OneZero,
                list_envelope: list,
                item_envelope: item,
                request_envelope: RequestEnvelope::ResourceRoot,
                ..crate::testing::vendor()
            },
            Paging::None,
            Returns::List,
        )
    }

    fn billomatish() -> &'static Operation {
        op(
            ListEnvelope::ResourceRoot {
                total: Some("@total"),
                page: Some("@page"),
                per_page: Some("@per_page"),
            },
            ItemEnvelope::ResourceRoot,
        )
    }

    #[test]
    fn resource_root_lists_in_all_three_shapes() {
        let op = billomatish();
        let many = list(op, &mut json!({"clients": {"client": [{"id": "1"}, {"id": "2"}], "@total": "7", "@page": "1", "@per_page": "2"}})).unwrap();
        assert_eq!(many.items.len(), 2);
        assert_eq!(
            many.meta,
            PageMeta {
                page: Some(1),
                per_page: Some(2),
                total: Some(7),
            }
        );
        let one = list(
            op,
            &mut json!({"clients": {"client": {"id": "1"}, "@total": "1"}}),
        )
        .unwrap();
        assert_eq!(one.items, vec![json!({"id": "1"})]);
        let none = list(op, &mut json!({"clients": {"@total": "0"}})).unwrap();
        assert!(none.items.is_empty());
        assert!(
            list(op, &mut json!({"invoices": {}}))
                .unwrap_err()
                .contains("`clients`")
        );
    }

    #[test]
    fn request_bodies_are_wrapped_with_bools_as_numbers() {
        assert_eq!(
            request_body(billomatish(), json!({"archived": true, "name": "x"})),
            json!({"client": {"archived": 1, "name": "x"}})
        );
    }

    #[test]
    fn data_fields_any_roots_and_odata() {
        let data = op(
            ListEnvelope::DataField {
                key: "result.items",
                total: Some("result.total"),
            },
            ItemEnvelope::DataField("data"),
        );
        let body = list(
            data,
            &mut json!({"result": {"items": [{"id": 1}], "total": 9}}),
        )
        .unwrap();
        assert_eq!((body.items.len(), body.meta.total), (1, Some(9)));
        assert_eq!(body.path, "result.items");
        let any = op(ListEnvelope::AnyRoot, ItemEnvelope::AnyRoot);
        assert!(
            list(any, &mut json!({"nil-classes": []}))
                .unwrap()
                .items
                .is_empty()
        );
        assert_eq!(
            list(any, &mut json!({"subscribers": [{"id": 1}]}))
                .unwrap()
                .items
                .len(),
            1
        );
        assert!(list(any, &mut json!({"a": [], "b": []})).is_err());
        assert_eq!(
            item(any, &mut json!({"subscriber": {"id": 1}})).unwrap(),
            Some((json!({"id": 1}), "subscriber".to_owned()))
        );
        let odata = op(ListEnvelope::OData, ItemEnvelope::OData);
        let page = list(
            odata,
            &mut json!({"d": {"results": [{"ID": 1}], "__count": "7", "__next": "x"}}),
        )
        .unwrap();
        assert_eq!((page.items.len(), page.meta.total), (1, Some(7)));
        assert_eq!(
            list(odata, &mut json!({"d": [{"ID": 1}, {"ID": 2}]}))
                .unwrap()
                .items
                .len(),
            2
        );
        assert_eq!(
            item(odata, &mut json!({"d": {"results": [{"ID": 3}]}}))
                .unwrap()
                .map(|(v, _)| v),
            Some(json!({"ID": 3}))
        );
        assert_eq!(
            item(odata, &mut json!({"d": {"ID": 4}}))
                .unwrap()
                .map(|(v, _)| v),
            Some(json!({"ID": 4}))
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
