//! Canonical records to the vendor's wire dialect and envelopes.
//!
//! Dialect (from `wire` of the spec): with `scalars: strings` every scalar is a JSON string,
//! booleans `one_zero` are `"1"`/`"0"`, and a field without a value is `""` (when
//! `empty_string_is_null`); with native scalars numbers and booleans stay JSON types and a field
//! without a value is left out. Nested lists are arrays (`plain`) or `{"<item>": [...] | {...}}`
//! (`wrapped`, one item as an object when `one_or_many`, no items as `""`).

use erp_spec::ir::{
    BoolEncoding, ItemEnvelope, ListEnvelope, Model, NestedLists, Resource, Scalars, TypeRef, Wire,
};
use std::cmp::Ordering;
use std::sync::OnceLock;

use serde_json::Value;

use crate::faults::Leniency;
use crate::ordered_json::{Emit, Out, Text, Tree, emit_value};
use crate::schema::{Link, Schema};
use crate::store::Store;

/// The value the `unknown_enum_values` switch puts in enum fields.
pub(crate) const UNKNOWN_ENUM_VALUE: &str = "NIEUWE_WAARDE";

/// What a list envelope reports about the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ListMeta {
    /// Items matching the filters, over all pages.
    pub total: u64,
    /// `(page, per_page)` for paged lists.
    pub page: Option<(u64, u64)>,
}

/// Whether serde_json maps iterate in key order, which matching members to fields in one merge
/// relies on: true unless serde_json's `preserve_order` feature got switched on (by any crate of
/// a build), in which case rendering looks every field up instead.
fn maps_iterate_in_key_order() -> bool {
    static SORTED: OnceLock<bool> = OnceLock::new();
    *SORTED.get_or_init(|| {
        let mut map = serde_json::Map::new();
        map.insert("b".to_owned(), Value::Null);
        map.insert("a".to_owned(), Value::Null);
        map.keys().map(String::as_str).eq(["a", "b"])
    })
}

/// What an object member becomes.
enum Member<'v> {
    Value(&'v Value),
    /// The records of a linked collection.
    Linked(Vec<&'v Value>),
    /// `""` for a field without a value (all-strings dialects).
    Empty,
    Null,
    /// Left out.
    Absent,
}

/// Renders records of one sandbox with the current leniency switches.
pub(crate) struct Renderer<'a> {
    schema: &'a Schema,
    store: &'a Store,
    leniency: Leniency,
}

impl<'a> Renderer<'a> {
    pub(crate) fn new(schema: &'a Schema, store: &'a Store, leniency: Leniency) -> Renderer<'a> {
        Renderer {
            schema,
            store,
            leniency,
        }
    }

    fn wire(&self) -> &Wire {
        &self.schema.spec.wire
    }

    fn strings(&self) -> bool {
        self.wire().scalars == Scalars::Strings
    }

    /// A record of `model` as one wire object.
    pub(crate) fn item(&self, model: &Model, record: &Value) -> Out {
        let mut tree = Tree::default();
        self.object(model, record, 0, &mut tree);
        tree.finish()
    }

    /// [`Renderer::item`] already written as JSON text: what lists use, as it builds no tree.
    pub(crate) fn item_text(&self, model: &Model, record: &Value) -> Out {
        let mut text = String::with_capacity(1024);
        self.object(model, record, 0, &mut Text::new(&mut text));
        Out::Raw(text)
    }

    fn object(&self, model: &Model, record: &Value, depth: usize, e: &mut impl Emit) {
        let map = record.as_object();
        let table = self.schema.field_table(model);
        // The record's value of each field, by field position.
        let mut values: Vec<Option<&Value>> = vec![None; model.fields.len()];
        match (map, table.filter(|_| maps_iterate_in_key_order())) {
            (Some(map), Some(table)) => {
                // Both sides are sorted by name (serde_json's map by key): one merge.
                let mut next = 0;
                for (key, value) in map {
                    while let Some(&i) = table.by_name.get(next) {
                        match model.fields[i].wire_name.as_str().cmp(key) {
                            Ordering::Less => next += 1,
                            Ordering::Equal => {
                                values[i] = Some(value);
                                next += 1;
                            }
                            Ordering::Greater => break,
                        }
                    }
                }
            }
            (Some(map), None) => {
                for (slot, field) in values.iter_mut().zip(&model.fields) {
                    *slot = map.get(&field.wire_name);
                }
            }
            (None, _) => {}
        }
        let mut optional_seen = 0usize;
        e.begin_object();
        for (i, field) in model.fields.iter().enumerate() {
            let link = match (depth, table) {
                (0, Some(table)) => table
                    .links
                    .get(i)
                    .copied()
                    .flatten()
                    .and_then(|l| self.schema.link_at(l)),
                (0, None) => self.schema.link(&model.name, &field.wire_name),
                _ => None,
            };
            let linked = link.and_then(|link| self.linked(link, record));
            let mut member = match (linked, values[i]) {
                (Some(children), _) => Member::Linked(children),
                (None, Some(v)) => Member::Value(v),
                (None, None) if self.strings() => Member::Empty,
                (None, None) => Member::Absent,
            };
            if self.leniency.nulls_for_optionals && !field.required && field.wire_name != "id" {
                optional_seen += 1;
                if matches!(member, Member::Absent) || optional_seen.is_multiple_of(2) {
                    member = Member::Null;
                }
            }
            match member {
                Member::Linked(children) => {
                    e.key(&field.wire_name);
                    match &field.ty {
                        TypeRef::List(inner) => {
                            self.list(&field.wire_name, inner, children.into_iter(), depth, e);
                        }
                        // Links are list fields; anything else would be a plain array.
                        _ => {
                            e.begin_array();
                            for child in children {
                                emit_value(child, e);
                            }
                            e.end_array();
                        }
                    }
                }
                Member::Value(v) => {
                    e.key(&field.wire_name);
                    self.value(&field.wire_name, &field.ty, v, depth, e);
                }
                Member::Empty => {
                    e.key(&field.wire_name);
                    e.string("");
                }
                Member::Null => {
                    e.key(&field.wire_name);
                    e.null();
                }
                Member::Absent => {}
            }
        }
        e.end_object();
    }

    /// Children of a linked collection (see [`crate::schema::Link`]), in id order; `None` for a
    /// record without a key.
    fn linked(&self, link: &Link, record: &Value) -> Option<Vec<&'a Value>> {
        let id = record.get(&link.parent_key)?;
        let child = &self.schema.spec.resources[link.child].name;
        let belongs = |r: &Value| r.get(&link.foreign_key) == Some(id);
        // The foreign key's index narrows the children down to the parent's; the exact
        // comparison below still decides, so the answer is the scan's.
        let store: &'a Store = self.store;
        let indexed = id
            .as_i64()
            .and_then(|key| store.candidates(child, &link.foreign_key, &[key]));
        Some(match indexed {
            Some(ids) => ids
                .into_iter()
                .filter_map(|child_id| store.get(child, child_id))
                .filter(|r| belongs(r))
                .collect(),
            None => store
                .records(child)
                .map(|(_, r)| r)
                .filter(|r| belongs(r))
                .collect(),
        })
    }

    fn value(&self, name: &str, ty: &TypeRef, value: &Value, depth: usize, e: &mut impl Emit) {
        match (ty, value) {
            (_, Value::Null) => self.null(e),
            (TypeRef::List(inner), Value::Array(items)) => {
                self.list(name, inner, items.iter(), depth, e);
            }
            (TypeRef::Model(model), Value::Object(_)) => match self.schema.model(model) {
                Some(model) => self.object(model, value, depth + 1, e),
                None => emit_value(value, e),
            },
            (TypeRef::Json, v) => emit_value(v, e),
            // Decimals are kept as their exact text and written as numbers (or strings).
            (TypeRef::Decimal, Value::String(s)) => e.number_text(s, self.quoted_numbers()),
            (TypeRef::Enum(_), Value::String(_)) if self.leniency.unknown_enum_values => {
                e.string(UNKNOWN_ENUM_VALUE);
            }
            (_, v) => self.scalar(v, e),
        }
    }

    fn null(&self, e: &mut impl Emit) {
        if self.strings() && self.wire().empty_string_is_null {
            e.string("");
        } else {
            e.null();
        }
    }

    /// Numbers are strings in all-strings dialects and under the `numbers_as_strings` switch.
    fn quoted_numbers(&self) -> bool {
        self.strings() || self.leniency.numbers_as_strings
    }

    fn scalar(&self, value: &Value, e: &mut impl Emit) {
        match value {
            Value::Null => self.null(e),
            Value::Bool(b) => match (self.wire().booleans, self.strings()) {
                (BoolEncoding::OneZero, _) => {
                    e.number_text(if *b { "1" } else { "0" }, self.quoted_numbers());
                }
                (BoolEncoding::Native, true) => e.string(if *b { "true" } else { "false" }),
                (BoolEncoding::Native, false) => e.bool(*b),
            },
            Value::Number(n) => e.number(n, self.quoted_numbers()),
            Value::String(s) => e.string(s),
            other => emit_value(other, e),
        }
    }

    fn list<'v>(
        &self,
        name: &str,
        inner: &TypeRef,
        items: impl ExactSizeIterator<Item = &'v Value>,
        depth: usize,
        e: &mut impl Emit,
    ) {
        let count = items.len();
        match self.wire().nested_lists {
            NestedLists::Plain => {
                e.begin_array();
                for v in items {
                    self.value(name, inner, v, depth, e);
                }
                e.end_array();
            }
            NestedLists::Wrapped if count == 0 => {
                if self.strings() || self.wire().empty_string_is_null {
                    e.string("");
                } else {
                    e.begin_object();
                    e.end_object();
                }
            }
            NestedLists::Wrapped => {
                e.begin_object();
                e.key(&self.schema.item_key(name));
                let one = self.wire().one_or_many && count == 1;
                if !one {
                    e.begin_array();
                }
                for v in items {
                    self.value(name, inner, v, depth, e);
                }
                if !one {
                    e.end_array();
                }
                e.end_object();
            }
        }
    }

    fn meta(&self, n: u64) -> Out {
        if self.strings() {
            Out::String(n.to_string())
        } else {
            Out::Number(n.to_string())
        }
    }

    /// The spec's success members (e.g. `"status": "OK"`) followed by `members`.
    fn success(&self, members: Vec<(String, Out)>) -> Out {
        let mut all: Vec<(String, Out)> = self
            .schema
            .spec
            .sandbox
            .success_members
            .iter()
            .map(|(k, v)| (k.clone(), Out::str(v.as_str())))
            .collect();
        all.extend(members);
        Out::Object(all)
    }

    /// Items in the vendor's list envelope.
    pub(crate) fn list_envelope(
        &self,
        resource: &Resource,
        mut items: Vec<Out>,
        meta: ListMeta,
    ) -> Out {
        match &self.schema.spec.envelope.list {
            ListEnvelope::DataField { key, total } => {
                let mut body = self.success(Vec::new());
                crate::paging::insert_at(&mut body, key, Out::Array(items));
                if let Some(path) = total {
                    crate::paging::insert_at(&mut body, path, self.meta(meta.total));
                }
                body
            }
            ListEnvelope::ResourceRoot {
                total,
                page,
                per_page,
            } => {
                let mut inner = Vec::new();
                if !items.is_empty() {
                    let value = if self.wire().one_or_many && items.len() == 1 {
                        items.pop().unwrap_or(Out::Null)
                    } else {
                        Out::Array(items)
                    };
                    inner.push((resource.wire_singular.clone(), value));
                }
                if let Some((number, size)) = meta.page {
                    if let Some(key) = page {
                        inner.push(((*key).to_owned(), self.meta(number)));
                    }
                    if let Some(key) = per_page {
                        inner.push(((*key).to_owned(), self.meta(size)));
                    }
                }
                if let Some(key) = total {
                    inner.push(((*key).to_owned(), self.meta(meta.total)));
                }
                self.success(vec![(resource.wire_plural.clone(), Out::Object(inner))])
            }
            ListEnvelope::AnyRoot => {
                Out::Object(vec![(resource.wire_plural.clone(), Out::Array(items))])
            }
            ListEnvelope::OData => Out::Object(vec![(
                "d".to_owned(),
                Out::Object(vec![
                    ("results".to_owned(), Out::Array(items)),
                    ("__count".to_owned(), Out::String(meta.total.to_string())),
                ]),
            )]),
            ListEnvelope::Bare => Out::Array(items),
        }
    }

    /// One item in the vendor's item envelope; `root` is the key of `resource_root` envelopes (the
    /// operation's `root`, else the resource's `wire_singular`).
    pub(crate) fn item_envelope(&self, root: &str, item: Out) -> Out {
        match &self.schema.spec.envelope.item {
            ItemEnvelope::DataField(key) => {
                let mut body = self.success(Vec::new());
                crate::paging::insert_at(&mut body, key, item);
                body
            }
            ItemEnvelope::FirstOfList(key) => {
                self.success(vec![((*key).to_owned(), Out::Array(vec![item]))])
            }
            ItemEnvelope::ResourceRoot | ItemEnvelope::AnyRoot => {
                self.success(vec![(root.to_owned(), item)])
            }
            ItemEnvelope::OData => Out::Object(vec![("d".to_owned(), item)]),
            ItemEnvelope::Bare => item,
        }
    }

    /// The empty list a first-of-list vendor may send for an unknown id.
    pub(crate) fn empty_item_list(&self) -> Option<Out> {
        match &self.schema.spec.envelope.item {
            ItemEnvelope::FirstOfList(key) => {
                Some(self.success(vec![((*key).to_owned(), Out::Array(Vec::new()))]))
            }
            _ => None,
        }
    }
}

/// Replaces one field of a rendered item by a value of the wrong type: `id` (or the first
/// number field) becomes `"not-a-number"`, else the first field becomes an object.
pub(crate) fn corrupt(item: &mut Out, model: &Model) {
    let numeric = |f: &&erp_spec::ir::Field| matches!(f.ty, TypeRef::Integer | TypeRef::Number);
    let target = model
        .fields
        .iter()
        .filter(numeric)
        .find(|f| f.wire_name == "id")
        .or_else(|| {
            model
                .fields
                .iter()
                .filter(numeric)
                .find(|f| item.has_member(&f.wire_name))
        })
        .map(|f| f.wire_name.clone());
    if let Some(name) = target
        && let Some(slot) = item.member_mut(&name)
    {
        *slot = Out::str("not-a-number");
        return;
    }
    if let Out::Object(members) = item
        && let Some((_, first)) = members.first_mut()
    {
        *first = Out::Object(vec![("sandbox".to_owned(), Out::str("malformed"))]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn setup(vendor: &str) -> (Schema, Store) {
        let schema = Schema::new(crate::builtin::load(vendor).expect("spec"));
        let store = crate::seed::seed(&schema, 3, 1);
        (schema, store)
    }

    fn parse(out: &Out) -> Value {
        serde_json::from_str(&out.to_json()).expect("valid JSON")
    }

    #[test]
    fn billomat_scalars_are_strings_and_empty_values_are_empty_strings() {
        let (schema, mut store) = setup("billomat");
        store.insert(
            "client-property-values",
            9,
            json!({"id": 9, "client_id": 1, "value": "x"}),
        );
        let model = schema.model("Client").expect("Client");
        let record =
            json!({"id": 1, "archived": true, "reduction": 14.28, "revenue_net": 0, "name": "A"});
        let out = parse(&Renderer::new(&schema, &store, Leniency::default()).item(model, &record));
        assert_eq!(out["id"], "1");
        assert_eq!(out["archived"], "1");
        assert_eq!(out["reduction"], "14.28");
        assert_eq!(out["revenue_net"], "0");
        assert_eq!(out["street"], "");
        // Client 1 has the seeded values plus value 9, so the nested list holds several objects.
        let nested = &out["client-property-values"]["client-property-value"];
        assert!(nested.is_array() || nested.is_object(), "{nested}");
        let lonely = json!({"id": 77});
        let out = parse(&Renderer::new(&schema, &store, Leniency::default()).item(model, &lonely));
        assert_eq!(out["client-property-values"], "");
    }

    #[test]
    fn billomat_list_envelope_shapes() {
        let (schema, store) = setup("billomat");
        let r = Renderer::new(&schema, &store, Leniency::default());
        let clients = crate::testing::resource(&schema.spec, "clients");
        let item = |id: i64| Out::Object(vec![("id".into(), Out::str(id.to_string()))]);
        let meta = ListMeta {
            total: 2,
            page: Some((1, 100)),
        };
        let many = parse(&r.list_envelope(clients, vec![item(1), item(2)], meta));
        assert_eq!(
            many,
            json!({"clients": {"client": [{"id": "1"}, {"id": "2"}], "@page": "1", "@per_page": "100", "@total": "2"}})
        );
        let one = parse(&r.list_envelope(clients, vec![item(1)], ListMeta { total: 1, ..meta }));
        assert_eq!(one["clients"]["client"], json!({"id": "1"}));
        let none = parse(&r.list_envelope(clients, vec![], ListMeta { total: 0, ..meta }));
        assert_eq!(
            none,
            json!({"clients": {"@page": "1", "@per_page": "100", "@total": "0"}})
        );
        assert_eq!(
            parse(&r.item_envelope(&clients.wire_singular, item(4))),
            json!({"client": {"id": "4"}})
        );
    }

    #[test]
    fn cloudspot_native_values_and_leniency_switches() {
        let (schema, store) = setup("cloudspot");
        let artikels = crate::testing::resource(&schema.spec, "artikels");
        let model = schema.model("Artikel").expect("Artikel");
        let record = json!({"id": 5, "naam": "Zeep", "BTW": 21, "status": "ZICHTBAAR", "fotos": [{"url": "u", "is_hoofdfoto": true}]});
        let plain = Renderer::new(&schema, &store, Leniency::default());
        let out = parse(&plain.item_envelope(&artikels.wire_singular, plain.item(model, &record)));
        assert_eq!(out["status"], "OK");
        assert_eq!(out["data"][0]["id"], 5);
        assert_eq!(out["data"][0]["fotos"][0]["is_hoofdfoto"], true);
        assert!(out["data"][0].get("merk").is_none());
        let lenient = Leniency {
            unknown_enum_values: true,
            numbers_as_strings: true,
            nulls_for_optionals: true,
        };
        let r = Renderer::new(&schema, &store, lenient);
        let out = parse(&r.item(model, &record));
        assert_eq!(out["id"], "5");
        assert_eq!(out["status"], UNKNOWN_ENUM_VALUE);
        assert!(out["merk"].is_null());
        assert_eq!(
            parse(&plain.empty_item_list().expect("first_of_list")),
            json!({"status": "OK", "data": []})
        );
    }

    #[test]
    fn list_items_written_as_text_are_the_items() {
        assert!(maps_iterate_in_key_order());
        let switches = [
            Leniency::default(),
            Leniency {
                unknown_enum_values: true,
                numbers_as_strings: true,
                nulls_for_optionals: true,
            },
            Leniency {
                nulls_for_optionals: true,
                ..Leniency::default()
            },
        ];
        for vendor in ["billomat", "cloudspot"] {
            let schema = Schema::new(crate::builtin::load(vendor).expect("spec"));
            let mut store = crate::seed::seed(&schema, 30, 4);
            if vendor == "billomat" {
                // A client whose members the spec does not all know, and an odd foreign key.
                store.insert(
                    "clients",
                    99,
                    json!({"id": 99, "zzz_extra": [1, {"x": null}], "AAA": "\u{1}\"", "name": "Ä"}),
                );
                store.insert(
                    "client-property-values",
                    77,
                    json!({"id": 77, "client_id": 99, "value": "y"}),
                );
            }
            for leniency in switches {
                let r = Renderer::new(&schema, &store, leniency);
                for (i, resource) in schema.spec.resources.iter().enumerate() {
                    let Some(model) = schema.resource_model(i) else {
                        continue;
                    };
                    for (_, record) in store.records(&resource.name) {
                        let tree = r.item(model, record);
                        assert_eq!(r.item_text(model, record).to_json(), tree.to_json());
                        // A look-alike model has no field table: every field is looked up.
                        let lookalike = model.clone();
                        assert_eq!(r.item(&lookalike, record), tree);
                    }
                }
            }
        }
    }

    #[test]
    fn corrupt_breaks_the_id_or_the_first_field() {
        let (schema, _) = setup("cloudspot");
        let mut item = Out::Object(vec![
            ("id".into(), Out::Number("3".into())),
            ("naam".into(), Out::str("x")),
        ]);
        corrupt(&mut item, schema.model("Artikel").expect("Artikel"));
        assert_eq!(item.to_json(), r#"{"id":"not-a-number","naam":"x"}"#);
        let mut klant = Out::Object(vec![("voornaam".into(), Out::str("Jan"))]);
        corrupt(&mut klant, schema.model("Klant").expect("Klant"));
        assert_eq!(klant.to_json(), r#"{"voornaam":{"sandbox":"malformed"}}"#);
    }
}
