//! Finding the data inside a vendor's response envelope, and wrapping request bodies.

use serde_json::{Map, Value};

use crate::descriptor::{BoolEncoding, ItemEnvelope, ListEnvelope, Operation, RequestEnvelope};
use crate::shallow::{Body, Item, Mode, Node, Want};

/// Paging facts a list response reported about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageMeta {
    pub page: Option<u64>,
    pub per_page: Option<u64>,
    pub total: Option<u64>,
}

/// The items of a list response and where they were found (for error paths).
#[derive(Debug)]
pub(crate) struct ListBody<'a> {
    pub items: Vec<Item<'a>>,
    pub path: String,
    pub meta: PageMeta,
}

/// Which kind of answer a body is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    List,
    Item,
}

/// Where the operation's envelope puts the data of a JSON body, so that the data is kept raw
/// while the rest of the body is read into a (small) tree.
pub(crate) fn wants(op: &Operation, shape: Shape) -> Vec<Want> {
    let want = |path: String, mode: Mode| Want { path, mode };
    match shape {
        Shape::List => match op.vendor().list_envelope {
            ListEnvelope::Bare => vec![want(String::new(), Mode::Items)],
            ListEnvelope::DataField { key, .. } => vec![want(key.to_owned(), Mode::Items)],
            ListEnvelope::ResourceRoot { .. } => vec![want(
                format!("{}.{}", op.resource.wire_plural, op.root),
                Mode::Items,
            )],
            ListEnvelope::AnyRoot => vec![want("*".to_owned(), Mode::Items)],
            ListEnvelope::OData => vec![
                want("d".to_owned(), Mode::Items),
                want("d.results".to_owned(), Mode::Items),
            ],
        },
        Shape::Item => match op.vendor().item_envelope {
            // The item is the body: its members are the tree (a single record is small).
            ItemEnvelope::Bare => Vec::new(),
            ItemEnvelope::DataField(key) => vec![want(key.to_owned(), Mode::Item)],
            ItemEnvelope::FirstOfList(key) => vec![want(key.to_owned(), Mode::Items)],
            ItemEnvelope::ResourceRoot => vec![want(op.root.to_owned(), Mode::Item)],
            ItemEnvelope::AnyRoot => vec![want("*".to_owned(), Mode::Item)],
            ItemEnvelope::OData => vec![
                want("d".to_owned(), Mode::Items),
                want("d.results".to_owned(), Mode::Items),
            ],
        },
    }
}

/// The value at a dotted path (`additional_data.next_cursor`); an empty path is the value.
pub(crate) fn lookup<'a>(value: &'a Value, dotted: &str) -> Option<&'a Value> {
    if dotted.is_empty() {
        return Some(value);
    }
    dotted.split('.').try_fold(value, |v, key| v.get(key))
}

pub(crate) fn as_u64(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The items of an array node; the node back when it is not an array.
fn as_array(node: Node<'_>) -> Result<Vec<Item<'_>>, Node<'_>> {
    match node {
        Node::Items(items) => Ok(items.into_iter().map(Item::Raw).collect()),
        Node::Tree(Value::Array(items)) => Ok(items.into_iter().map(Item::Tree).collect()),
        other => Err(other),
    }
}

/// What a node holds as a list: an array's items, none for `null`.
fn as_list(node: Node<'_>) -> Result<Vec<Item<'_>>, Node<'_>> {
    match as_array(node) {
        Err(Node::Tree(Value::Null)) => Ok(Vec::new()),
        other => other,
    }
}

/// A node as one item.
fn as_item(node: Node<'_>) -> Item<'_> {
    match node {
        Node::Raw(raw) => Item::Raw(raw),
        Node::Tree(value) => Item::Tree(value),
        // An array where one item was expected: decoding it says so, with the path.
        Node::Items(items) => Item::Tree(Value::Array(
            items.into_iter().map(|i| Item::Raw(i).to_value()).collect(),
        )),
    }
}

/// The elements of a vendor list value: an array, one object standing for one item, or nothing.
fn elements(node: Option<Node<'_>>) -> Vec<Item<'_>> {
    match node.map(as_list) {
        Some(Ok(items)) => items,
        Some(Err(node @ (Node::Raw(_) | Node::Tree(Value::Object(_))))) => vec![as_item(node)],
        _ => Vec::new(),
    }
}

/// Returns a tree node taken from a top-level member that turned out not to be the data, so
/// that the error's excerpt still shows it (a raw node's text is in the body's text anyway).
fn put_back(body: &mut Body<'_>, member: &str, node: Node<'_>) {
    if let (Node::Tree(value), Some(map)) = (node, body.tree.as_object_mut()) {
        map.insert(member.to_owned(), value);
    }
}

/// The name of the only member of an object body.
fn only_member(body: &Value) -> Result<String, String> {
    match body {
        Value::Object(map) if map.len() == 1 => Ok(map.keys().next().cloned().unwrap_or_default()),
        Value::Object(map) => Err(format!(
            "expected a body with one root member, found {}",
            map.len()
        )),
        _ => Err("expected a body with one root member".to_owned()),
    }
}

fn listed<'a>(items: Vec<Item<'a>>, path: impl Into<String>, meta: PageMeta) -> ListBody<'a> {
    ListBody {
        items,
        path: path.into(),
        meta,
    }
}

/// The items of a list body. They are taken out of `body`; the rest (meta, links, cursors)
/// stays for the paging engine.
pub(crate) fn list<'a>(op: &Operation, body: &mut Body<'a>) -> Result<ListBody<'a>, String> {
    match op.vendor().list_envelope {
        ListEnvelope::Bare => match body.take("").map(as_array) {
            Some(Ok(items)) => Ok(listed(items, "", PageMeta::default())),
            _ => Err("expected an array".to_owned()),
        },
        ListEnvelope::DataField { key, total } => {
            let meta = PageMeta {
                total: total.and_then(|t| as_u64(lookup(&body.tree, t))),
                ..PageMeta::default()
            };
            if !body.tree.is_object() {
                return Err(format!("expected an object with a `{key}` member"));
            }
            match body.take(key).map(as_list) {
                Some(Ok(items)) => Ok(listed(items, key, meta)),
                Some(Err(node)) => {
                    put_back(body, key, node);
                    Err(format!("expected `{key}` to be an array"))
                }
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
            let Some(root) = body.tree.as_object() else {
                return Err(format!("expected an object with a `{plural}` member"));
            };
            match root.get(plural) {
                Some(Value::Object(inner)) => {
                    let meta = PageMeta {
                        total: total.and_then(|k| as_u64(inner.get(k))),
                        page: page.and_then(|k| as_u64(inner.get(k))),
                        per_page: per_page.and_then(|k| as_u64(inner.get(k))),
                    };
                    // One item arrives as an object, none as an absent key (decided by JSON type,
                    // never by the reported total).
                    let path = format!("{plural}.{singular}");
                    Ok(listed(elements(body.take(&path)), path, meta))
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
            let name = only_member(&body.tree)?;
            match body.take(&name).map(as_list) {
                Some(Ok(items)) => Ok(listed(items, name, PageMeta::default())),
                other => {
                    if let Some(Err(node)) = other {
                        put_back(body, &name, node);
                    }
                    Err(format!("expected the root member `{name}` to be a list"))
                }
            }
        }
        ListEnvelope::OData => {
            let total = as_u64(lookup(&body.tree, "d.__count"));
            let meta = PageMeta {
                total,
                ..PageMeta::default()
            };
            // Only the items are taken: `d.__next` stays for the paging engine.
            match body.tree.get("d") {
                Some(Value::Array(_)) => match body.take("d").map(as_array) {
                    Some(Ok(items)) => Ok(listed(items, "d", meta)),
                    _ => Err("expected an object with a `d` member".to_owned()),
                },
                Some(Value::Object(_)) => match body.take("d.results").map(as_array) {
                    Some(Ok(items)) => Ok(listed(items, "d.results", meta)),
                    _ => Err("expected `d.results` to be an array".to_owned()),
                },
                _ => Err("expected an object with a `d` member".to_owned()),
            }
        }
    }
}

/// The record(s) of a single-item response.
#[derive(Debug)]
pub(crate) struct Found<'a> {
    /// One object, or the elements of a list-shaped answer (`first_of_list`, OData's
    /// `d.results`), of which the first is the record by convention. Never empty.
    pub items: Vec<Item<'a>>,
    /// Where they are: the object's path, or the list's (an item's adds `[i]`).
    path: String,
    listed: bool,
}

impl Found<'_> {
    /// Whether the answer was list-shaped (several records may be in it).
    pub fn is_list(&self) -> bool {
        self.listed
    }

    /// The path of `items[i]`, for errors.
    pub fn path_of(&self, i: usize) -> String {
        if self.listed {
            format!("{}[{i}]", self.path)
        } else {
            self.path.clone()
        }
    }
}

/// The object of a single-item response. `Ok(None)` means the envelope was valid but empty
/// (Cloudspot's "get one" on an unknown id).
/// Takes the object out of `body` like [`list`]. A list-shaped answer keeps every element,
/// so that the caller can pick the record it asked for rather than trust element 0.
pub(crate) fn item<'a>(op: &Operation, body: &mut Body<'a>) -> Result<Option<Found<'a>>, String> {
    let member = |body: &mut Body<'a>, key: &str| {
        body.tree
            .is_object()
            .then(|| body.take(key))
            .flatten()
            .ok_or_else(|| format!("expected an object with a `{key}` member"))
    };
    let one = |item: Item<'a>, path: String| {
        Some(Found {
            items: vec![item],
            path,
            listed: false,
        })
    };
    let all = |items: Vec<Item<'a>>, path: &str| {
        (!items.is_empty()).then(|| Found {
            items,
            path: path.to_owned(),
            listed: true,
        })
    };
    match op.vendor().item_envelope {
        ItemEnvelope::Bare => Ok(body
            .take("")
            .and_then(|node| one(as_item(node), String::new()))),
        ItemEnvelope::DataField(key) => member(body, key).map(|v| one(as_item(v), key.to_owned())),
        ItemEnvelope::FirstOfList(key) => match as_list(member(body, key)?) {
            Ok(items) => Ok(all(items, key)),
            Err(node @ (Node::Raw(_) | Node::Tree(Value::Object(_)))) => {
                Ok(one(as_item(node), key.to_owned()))
            }
            Err(_) => Err(format!("expected `{key}` to be an array")),
        },
        ItemEnvelope::ResourceRoot => {
            member(body, op.root).map(|v| one(as_item(v), op.root.to_owned()))
        }
        ItemEnvelope::AnyRoot => {
            let name = only_member(&body.tree)?;
            Ok(body.take(&name).and_then(|v| one(as_item(v), name)))
        }
        ItemEnvelope::OData => {
            // Some OData services wrap a single entity like a list of one.
            let wrapped = lookup(&body.tree, "d.results").is_some_and(Value::is_array);
            if wrapped && body.tree.get("d").is_some_and(Value::is_object) {
                return Ok(match body.take("d.results").map(as_list) {
                    Some(Ok(items)) => all(items, "d.results"),
                    _ => None,
                });
            }
            member(body, "d").map(|d| one(as_item(d), "d".to_owned()))
        }
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

    /// A list body's items as trees, where they were found, and the page meta.
    #[derive(Debug)]
    struct Listed {
        items: Vec<Value>,
        path: String,
        meta: PageMeta,
    }

    /// Reads a list body both ways: as a tree (XML bodies) and from its JSON text with the
    /// items kept raw. Both must find the same items at the same path, or fail alike.
    fn list_both(op: &Operation, value: Value) -> Result<Listed, String> {
        let listed = |l: ListBody<'_>| Listed {
            items: l.items.iter().map(Item::to_value).collect(),
            path: l.path,
            meta: l.meta,
        };
        let tree = list(op, &mut Body::tree(value.clone())).map(listed);
        let text = value.to_string();
        let mut body = Body::json(&text, &wants(op, Shape::List)).unwrap();
        let json = list(op, &mut body);
        if let Ok(l) = &json
            && value_at(&value, &l.path).is_some_and(Value::is_array)
        {
            assert!(
                l.items.iter().all(|i| matches!(i, Item::Raw(_))),
                "array items of {text} stay raw"
            );
        }
        let json = json.map(listed);
        assert_eq!(format!("{tree:?}"), format!("{json:?}"), "{text}");
        tree
    }

    fn value_at<'v>(value: &'v Value, dotted: &str) -> Option<&'v Value> {
        lookup(value, dotted)
    }

    /// [`list_both`] for single-item bodies.
    fn item_both(op: &Operation, value: Value) -> Result<Option<(Value, String)>, String> {
        let first = |found: Found<'_>| (found.items[0].to_value(), found.path_of(0));
        let tree = item(op, &mut Body::tree(value.clone())).map(|found| found.map(first));
        let text = value.to_string();
        let mut body = Body::json(&text, &wants(op, Shape::Item)).unwrap();
        let json = item(op, &mut body).map(|found| found.map(first));
        assert_eq!(tree, json, "{text}");
        tree
    }

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
        let many = list_both(op, json!({"clients": {"client": [{"id": "1"}, {"id": "2"}], "@total": "7", "@page": "1", "@per_page": "2"}})).unwrap();
        assert_eq!(many.items.len(), 2);
        assert_eq!(
            many.meta,
            PageMeta {
                page: Some(1),
                per_page: Some(2),
                total: Some(7),
            }
        );
        let one = list_both(
            op,
            json!({"clients": {"client": {"id": "1"}, "@total": "1"}}),
        )
        .unwrap();
        assert_eq!(one.items, vec![json!({"id": "1"})]);
        let none = list_both(op, json!({"clients": {"@total": "0"}})).unwrap();
        assert!(none.items.is_empty());
        assert!(
            list_both(op, json!({"invoices": {}}))
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
        let body = list_both(data, json!({"result": {"items": [{"id": 1}], "total": 9}})).unwrap();
        assert_eq!((body.items.len(), body.meta.total), (1, Some(9)));
        assert_eq!(body.path, "result.items");
        let any = op(ListEnvelope::AnyRoot, ItemEnvelope::AnyRoot);
        assert!(
            list_both(any, json!({"nil-classes": []}))
                .unwrap()
                .items
                .is_empty()
        );
        assert_eq!(
            list_both(any, json!({"subscribers": [{"id": 1}]}))
                .unwrap()
                .items
                .len(),
            1
        );
        assert!(list_both(any, json!({"a": [], "b": []})).is_err());
        assert_eq!(
            item_both(any, json!({"subscriber": {"id": 1}})).unwrap(),
            Some((json!({"id": 1}), "subscriber".to_owned()))
        );
        let odata = op(ListEnvelope::OData, ItemEnvelope::OData);
        let page = list_both(
            odata,
            json!({"d": {"results": [{"ID": 1}], "__count": "7", "__next": "x"}}),
        )
        .unwrap();
        assert_eq!((page.items.len(), page.meta.total), (1, Some(7)));
        assert_eq!(
            list_both(odata, json!({"d": [{"ID": 1}, {"ID": 2}]}))
                .unwrap()
                .items
                .len(),
            2
        );
        assert_eq!(
            item_both(odata, json!({"d": {"results": [{"ID": 3}]}}))
                .unwrap()
                .map(|(v, _)| v),
            Some(json!({"ID": 3}))
        );
        assert_eq!(
            item_both(odata, json!({"d": {"ID": 4}}))
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
