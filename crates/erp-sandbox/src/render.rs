//! Canonical records to the vendor's wire dialect and envelopes.
//!
//! Dialect (from `wire` of the spec): with `scalars: strings` every scalar is a JSON string,
//! booleans `one_zero` are `"1"`/`"0"`, and a field without a value is `""` (when
//! `empty_string_is_null`); with native scalars numbers and booleans stay JSON types and a field
//! without a value is left out. Nested lists are arrays (`plain`) or `{"<item>": [...] | {...}}`
//! (`wrapped`, one item as an object when `one_or_many`, no items as `""`).

use erp_spec::ir::{
    Booleans, ItemEnvelope, ListEnvelope, Model, NestedLists, Resource, Scalars, TypeRef, Wire,
};
use serde_json::Value;

use crate::faults::Leniency;
use crate::ordered_json::{Out, format_number};
use crate::schema::Schema;
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
        self.object(model, record, 0)
    }

    fn object(&self, model: &Model, record: &Value, depth: usize) -> Out {
        let map = record.as_object();
        let mut members = Vec::with_capacity(model.fields.len());
        let mut optional_seen = 0usize;
        for field in &model.fields {
            let linked = if depth == 0 {
                self.linked(model, &field.wire_name, record)
            } else {
                None
            };
            let value = linked
                .as_ref()
                .or_else(|| map.and_then(|m| m.get(&field.wire_name)));
            let mut out = match value {
                Some(v) => Some(self.value(&field.wire_name, &field.ty, v, depth)),
                None if self.strings() => Some(Out::str("")),
                None => None,
            };
            if self.leniency.nulls_for_optionals && !field.required && field.wire_name != "id" {
                optional_seen += 1;
                if out.is_none() || optional_seen.is_multiple_of(2) {
                    out = Some(Out::Null);
                }
            }
            if let Some(out) = out {
                members.push((field.wire_name.clone(), out));
            }
        }
        Out::Object(members)
    }

    /// Children of a linked collection (see [`crate::schema::Link`]).
    fn linked(&self, model: &Model, field: &str, record: &Value) -> Option<Value> {
        let link = self.schema.link(&model.name, field)?;
        let id = record.get("id")?;
        let child = &self.schema.spec.resources[link.child].name;
        let belongs = |r: &Value| r.get(&link.foreign_key) == Some(id);
        // The foreign key's index narrows the children down to the parent's; the exact
        // comparison below still decides, so the answer is the scan's.
        let indexed = id
            .as_i64()
            .and_then(|key| self.store.candidates(child, &link.foreign_key, &[key]));
        let items: Vec<Value> = match indexed {
            Some(ids) => ids
                .into_iter()
                .filter_map(|child_id| self.store.get(child, child_id))
                .filter(|r| belongs(r))
                .cloned()
                .collect(),
            None => self
                .store
                .records(child)
                .filter(|(_, r)| belongs(r))
                .map(|(_, r)| r.clone())
                .collect(),
        };
        Some(Value::Array(items))
    }

    fn value(&self, name: &str, ty: &TypeRef, value: &Value, depth: usize) -> Out {
        match (ty, value) {
            (_, Value::Null) => self.null(),
            (TypeRef::List(inner), Value::Array(items)) => self.list(name, inner, items, depth),
            (TypeRef::Model(model), Value::Object(_)) => match self.schema.model(model) {
                Some(model) => self.object(model, value, depth + 1),
                None => Out::from_value(value),
            },
            (TypeRef::Json, v) => Out::from_value(v),
            (TypeRef::Enum(_), Value::String(_)) if self.leniency.unknown_enum_values => {
                Out::str(UNKNOWN_ENUM_VALUE)
            }
            (_, v) => self.scalar(v),
        }
    }

    fn null(&self) -> Out {
        if self.strings() && self.wire().empty_string_is_null {
            Out::str("")
        } else {
            Out::Null
        }
    }

    fn number(&self, text: String) -> Out {
        if self.strings() || self.leniency.numbers_as_strings {
            Out::String(text)
        } else {
            Out::Number(text)
        }
    }

    fn scalar(&self, value: &Value) -> Out {
        match value {
            Value::Null => self.null(),
            Value::Bool(b) => match (self.wire().booleans, self.strings()) {
                (Booleans::OneZero, _) => self.number(if *b { "1" } else { "0" }.to_owned()),
                (Booleans::Native, true) => Out::str(if *b { "true" } else { "false" }),
                (Booleans::Native, false) => Out::Bool(*b),
            },
            Value::Number(n) => self.number(format_number(n)),
            Value::String(s) => Out::str(s.as_str()),
            other => Out::from_value(other),
        }
    }

    fn list(&self, name: &str, inner: &TypeRef, items: &[Value], depth: usize) -> Out {
        let mut rendered: Vec<Out> = items
            .iter()
            .map(|v| self.value(name, inner, v, depth))
            .collect();
        match self.wire().nested_lists {
            NestedLists::Plain => Out::Array(rendered),
            NestedLists::Wrapped if rendered.is_empty() => {
                if self.strings() || self.wire().empty_string_is_null {
                    Out::str("")
                } else {
                    Out::Object(Vec::new())
                }
            }
            NestedLists::Wrapped => {
                let items = if self.wire().one_or_many && rendered.len() == 1 {
                    rendered.pop().unwrap_or(Out::Null)
                } else {
                    Out::Array(rendered)
                };
                Out::Object(vec![(self.schema.item_key(name), items)])
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
            .envelope
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
            ListEnvelope::DataField { key } => self.success(vec![(key.clone(), Out::Array(items))]),
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
                        inner.push((key.clone(), self.meta(number)));
                    }
                    if let Some(key) = per_page {
                        inner.push((key.clone(), self.meta(size)));
                    }
                }
                if let Some(key) = total {
                    inner.push((key.clone(), self.meta(meta.total)));
                }
                self.success(vec![(resource.wire_plural.clone(), Out::Object(inner))])
            }
            ListEnvelope::OData => Out::Object(vec![(
                "d".to_owned(),
                Out::Object(vec![("results".to_owned(), Out::Array(items))]),
            )]),
            ListEnvelope::Bare => Out::Array(items),
        }
    }

    /// One item in the vendor's item envelope; `root` is the key of `resource_root` envelopes (the
    /// operation's `root`, else the resource's `wire_singular`).
    pub(crate) fn item_envelope(&self, root: &str, item: Out) -> Out {
        match &self.schema.spec.envelope.item {
            ItemEnvelope::DataField { key } => self.success(vec![(key.clone(), item)]),
            ItemEnvelope::FirstOfList { key } => {
                self.success(vec![(key.clone(), Out::Array(vec![item]))])
            }
            ItemEnvelope::ResourceRoot => self.success(vec![(root.to_owned(), item)]),
            ItemEnvelope::OData => Out::Object(vec![("d".to_owned(), item)]),
            ItemEnvelope::Bare => item,
        }
    }

    /// The empty list a first-of-list vendor may send for an unknown id.
    pub(crate) fn empty_item_list(&self) -> Option<Out> {
        match &self.schema.spec.envelope.item {
            ItemEnvelope::FirstOfList { key } => {
                Some(self.success(vec![(key.clone(), Out::Array(Vec::new()))]))
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
