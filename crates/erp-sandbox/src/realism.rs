//! The relations between fields that the spec declares in each field's `sandbox:` part, and the
//! values the server sets itself. Nothing here looks at a field's name or a vendor's name: a
//! field without declarations keeps the value drawn for its type (see [`crate::seed`]).
//!
//! Relations ([`Plan::apply`]), worked out once per model and applied to a record after its
//! values are drawn, in an order where what a value reads comes first:
//! - `copy: <field>` / `<reference>.<field>` / `parent.<field>` / `<list>.<field>`: the value of a
//!   field of the same record, of the record a `references` field points at (a contact takes its
//!   client's address), of the record or item holding a nested item, or of the first item of a
//!   list of the record. A field with examples keeps a drawn `""` (that is how a spec says
//!   "sometimes"); a copy of nothing leaves the field out.
//! - `index_of: <field>`: the 1-based position of that field's value among its examples.
//! - `template: "..."`: text from other fields (see [`erp_spec::expr::Template`]).
//! - `computed: "..."`: a number from other numbers, rounded to cents (whole for integers).
//! - `true_if: <field>`: true exactly when that field is present and not empty.
//! - `first_only: true`: true for the first item of its list only.
//! - `only_with: <field>`: the field is left out when that field is empty (checked last).
//!
//! A record's own relations come first, then those of its nested items (which may read
//! `parent.`), item by item. Lists of another resource's records are copies of those records and
//! are left alone.
//!
//! Which fields: when seeding, every declaration applies ([`Scope::Seed`]). A declaration on a
//! `read_only` field is the server's own computation, so it also applies to records created or
//! changed over HTTP ([`Scope::Server`], see [`on_create`] and [`on_update`]); on a writable
//! field it shapes seed data only and a record keeps what the client sent.

use std::collections::{BTreeMap, BTreeSet};

use erp_spec::expr::{Context, Operand};
use erp_spec::ir::{CopyFrom, Derive, Field, Model, Stamp, TypeRef};
use serde_json::{Map, Number, Value};

use crate::rng::Rng;
use crate::schema::Schema;
use crate::store::Store;

/// Which declarations apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Seeding: all of them.
    Seed,
    /// A create or update over HTTP: those of read-only fields (the server's computations).
    Server,
}

/// One derived value, with what its evaluation needs looked up once.
#[derive(Debug)]
struct Step<'s> {
    field: &'s Field,
    derive: &'s Derive,
    /// `copy: <reference>.<field>`: the resource the reference points at.
    referenced: Option<usize>,
    /// `index_of`: the examples of the named field.
    examples: &'s [String],
}

/// The relations of one model.
#[derive(Debug)]
pub(crate) struct Plan<'s> {
    steps: Vec<Step<'s>>,
    /// `(field, the field it comes only with)`.
    only_with: Vec<(&'s Field, &'s str)>,
    /// Nested items the generator makes (not copies of another resource's records), and their
    /// model.
    nested: Vec<(&'s Field, &'s Model)>,
    /// Lists whose first item another field copies from: never left empty.
    filled: BTreeSet<&'s str>,
}

fn field<'m>(model: &'m Model, name: &str) -> Option<&'m Field> {
    model.fields.iter().find(|f| f.wire_name == name)
}

impl<'s> Plan<'s> {
    pub(crate) fn new(schema: &'s Schema, model: &'s Model) -> Plan<'s> {
        let derived: Vec<&Field> = model
            .fields
            .iter()
            .filter(|f| f.sandbox.derive.is_some())
            .collect();
        // Depth-first order: what a value reads before the value (the spec has no circles).
        let mut order: Vec<&Field> = Vec::new();
        let mut visiting: BTreeSet<&str> = BTreeSet::new();
        fn visit<'m>(
            f: &'m Field,
            derived: &[&'m Field],
            order: &mut Vec<&'m Field>,
            visiting: &mut BTreeSet<&'m str>,
        ) {
            if order.iter().any(|o| o.wire_name == f.wire_name)
                || !visiting.insert(f.wire_name.as_str())
            {
                return;
            }
            if let Some(derive) = &f.sandbox.derive {
                for name in derive.reads() {
                    if let Some(dep) = derived.iter().find(|d| d.wire_name == name) {
                        visit(dep, derived, order, visiting);
                    }
                }
            }
            order.push(f);
        }
        for f in &derived {
            visit(f, &derived, &mut order, &mut visiting);
        }
        let steps = order
            .into_iter()
            .filter_map(|f| {
                let derive = f.sandbox.derive.as_ref()?;
                let referenced = match derive {
                    Derive::Copy(CopyFrom::Referenced { reference, .. }) => {
                        field(model, reference).and_then(|r| schema.reference(r))
                    }
                    _ => None,
                };
                let examples = match derive {
                    Derive::IndexOf(named) => {
                        field(model, named).map_or(&[][..], |n| n.sandbox.examples.as_slice())
                    }
                    _ => &[][..],
                };
                Some(Step {
                    field: f,
                    derive,
                    referenced,
                    examples,
                })
            })
            .collect();
        let nested = model
            .fields
            .iter()
            .filter_map(|f| {
                let TypeRef::Model(inner) = f.ty.innermost() else {
                    return None;
                };
                if schema.resource_of_model(inner).is_some() {
                    return None; // copies of another resource's records (or a tree of its own)
                }
                Some((f, schema.model(inner)?))
            })
            .collect();
        let filled = model
            .fields
            .iter()
            .filter_map(|f| match &f.sandbox.derive {
                Some(Derive::Copy(CopyFrom::FirstItem { list, .. })) => Some(list.as_str()),
                _ => None,
            })
            .collect();
        Plan {
            steps,
            only_with: model
                .fields
                .iter()
                .filter_map(|f| Some((f, f.sandbox.only_with.as_deref()?)))
                .collect(),
            nested,
            filled,
        }
    }

    /// Whether another field copies from the first item of this list (so it must have one).
    pub(crate) fn must_fill(&self, list: &str) -> bool {
        self.filled.contains(list)
    }

    /// Applies the relations to `record` and then to its nested items.
    ///
    /// `parent` is the record or item holding `record` (for `parent.` reads), `position` its
    /// place in a list (for `first_only`).
    pub(crate) fn apply(
        &self,
        cx: &mut Apply<'_, 's>,
        record: &mut Map<String, Value>,
        parent: Option<&Map<String, Value>>,
        position: Option<usize>,
    ) {
        for step in &self.steps {
            if cx.scope == Scope::Server && !step.field.read_only {
                continue;
            }
            let name = &step.field.wire_name;
            match cx.value(step, record, parent, position) {
                Derived::Set(value) => {
                    record.insert(name.clone(), value);
                }
                Derived::Absent => {
                    record.remove(name);
                }
                Derived::Keep => {}
            }
        }
        for (f, other) in &self.only_with {
            if (cx.scope == Scope::Seed || f.read_only) && !present(record.get(*other)) {
                record.remove(&f.wire_name);
            }
        }
        for (f, model) in &self.nested {
            let Some(plan) = cx.plans.get(model) else {
                continue;
            };
            // Taken out while its items are worked on, so they can read the record as parent.
            let Some(mut value) = record.remove(&f.wire_name) else {
                continue;
            };
            match &mut value {
                Value::Object(item) => plan.apply(cx, item, Some(record), None),
                Value::Array(items) => {
                    for (i, item) in items.iter_mut().enumerate() {
                        if let Value::Object(item) = item {
                            plan.apply(cx, item, Some(record), Some(i));
                        }
                    }
                }
                _ => {}
            }
            record.insert(f.wire_name.clone(), value);
        }
    }
}

/// A value that is there and not empty (`""`, `null`, `[]` and `{}` are empty).
fn present(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

/// A value as text, for templates (`None` for nothing, lists and objects).
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A value as a number: numbers, and text holding one (decimals are stored as text).
fn number(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A computed number as a value of the field's type: whole for integers, cents otherwise
/// (decimals as text, as the sandbox stores them).
pub(crate) fn typed(ty: &TypeRef, value: f64) -> Option<Value> {
    let cents = (value * 100.0).round() / 100.0;
    match ty {
        TypeRef::Integer => Some(Value::from(value.round() as i64)),
        TypeRef::Decimal => Some(Value::String(format!("{cents:.2}"))),
        _ => Number::from_f64(cents).map(Value::Number),
    }
}

enum Derived {
    Set(Value),
    Absent,
    Keep,
}

impl From<Option<Value>> for Derived {
    fn from(value: Option<Value>) -> Derived {
        value.map_or(Derived::Absent, Derived::Set)
    }
}

/// The relations of every model of a spec.
#[derive(Debug)]
pub(crate) struct Plans<'s> {
    plans: BTreeMap<&'s str, Plan<'s>>,
}

impl<'s> Plans<'s> {
    pub(crate) fn new(schema: &'s Schema) -> Plans<'s> {
        Plans {
            plans: schema
                .spec
                .models
                .iter()
                .map(|m| (m.name.as_str(), Plan::new(schema, m)))
                .collect(),
        }
    }

    pub(crate) fn get(&self, model: &Model) -> Option<&Plan<'s>> {
        self.plans.get(model.name.as_str())
    }
}

/// What applying relations reads besides the record: other records, randomness, the scope.
pub(crate) struct Apply<'a, 's> {
    pub plans: &'a Plans<'s>,
    pub schema: &'s Schema,
    pub store: &'a Store,
    pub rng: &'a mut Rng,
    pub scope: Scope,
    /// The record a `copy: <reference>.<field>` read last, `(resource, id, record)`: a child
    /// copies several fields of the same parent (a contact its client's whole address).
    pub last_referenced: Option<(usize, i64, &'a Value)>,
}

impl<'a, 's> Apply<'a, 's> {
    pub(crate) fn new(
        plans: &'a Plans<'s>,
        schema: &'s Schema,
        store: &'a Store,
        rng: &'a mut Rng,
        scope: Scope,
    ) -> Apply<'a, 's> {
        Apply {
            plans,
            schema,
            store,
            rng,
            scope,
            last_referenced: None,
        }
    }
}

/// The record (and its parent) as an expression reads them.
struct Operands<'a> {
    record: &'a Map<String, Value>,
    parent: Option<&'a Map<String, Value>>,
    rng: &'a mut Rng,
}

impl Context for Operands<'_> {
    fn value(&mut self, operand: &Operand) -> Option<f64> {
        match operand {
            Operand::Field(f) => number(self.record.get(f)),
            Operand::Parent(f) => number(self.parent?.get(f)),
            // Seed and record computations read no other values (the spec refuses them).
            Operand::Scoped { .. } => None,
        }
    }

    fn random(&mut self, lo: f64, hi: f64) -> f64 {
        self.rng.real(lo, hi)
    }
}

impl<'a> Apply<'a, '_> {
    fn value(
        &mut self,
        step: &Step<'_>,
        record: &Map<String, Value>,
        parent: Option<&Map<String, Value>>,
        position: Option<usize>,
    ) -> Derived {
        let f = step.field;
        match step.derive {
            Derive::Copy(from) => {
                // With examples, a drawn "" stays: the spec's way of saying "sometimes".
                if !f.sandbox.examples.is_empty()
                    && record.get(&f.wire_name).is_some_and(|v| v == "")
                {
                    return Derived::Keep;
                }
                self.copied(step, from, record, parent).into()
            }
            Derive::IndexOf(named) => {
                let value = record.get(named).and_then(Value::as_str);
                let at = value
                    .filter(|v| !v.is_empty())
                    .and_then(|v| step.examples.iter().position(|e| e == v));
                at.map(|i| Value::from(i as i64 + 1)).into()
            }
            Derive::Template(template) => Derived::Set(Value::String(template.render(
                |name| text(record.get(name)),
                |name| number(record.get(name)).map(|n| n.max(0.0) as usize),
            ))),
            Derive::Computed(expr) => {
                let mut operands = Operands {
                    record,
                    parent,
                    rng: self.rng,
                };
                match expr.eval(&mut operands).and_then(|v| typed(&f.ty, v)) {
                    Some(value) => Derived::Set(value),
                    None => Derived::Keep,
                }
            }
            Derive::TrueIf(other) => Derived::Set(Value::Bool(present(record.get(other)))),
            Derive::FirstOnly => match position {
                Some(i) => Derived::Set(Value::Bool(i == 0)),
                None => Derived::Keep,
            },
        }
    }

    fn copied(
        &mut self,
        step: &Step<'_>,
        from: &CopyFrom,
        record: &Map<String, Value>,
        parent: Option<&Map<String, Value>>,
    ) -> Option<Value> {
        match from {
            CopyFrom::Field(name) => record.get(name).cloned(),
            CopyFrom::Parent(name) => parent?.get(name).cloned(),
            CopyFrom::FirstItem { list, field } => {
                record.get(list)?.as_array()?.first()?.get(field).cloned()
            }
            CopyFrom::Referenced { reference, field } => {
                let resource = step.referenced?;
                let id = record.get(reference)?.as_i64()?;
                let referenced = match self.last_referenced {
                    Some((r, i, value)) if r == resource && i == id => value,
                    _ => {
                        let name = &self.schema.spec.resources[resource].name;
                        let value = self.store.get(name, id)?;
                        self.last_referenced = Some((resource, id, value));
                        value
                    }
                };
                referenced.get(field).cloned()
            }
        }
    }
}

/// The server's values of a record created over HTTP: read-only numbers 0 and booleans false
/// unless they declare `on_create`, `sequence` fields the next number when not sent, `stamp`
/// fields the time, then the relations
/// of the read-only fields.
pub(crate) fn on_create(
    schema: &Schema,
    resource: &str,
    model: &Model,
    record: &mut Map<String, Value>,
    store: &Store,
    now: &str,
) {
    for f in &model.fields {
        if record.contains_key(&f.wire_name) || f.wire_name == "id" {
            continue;
        }
        let value = if f.sandbox.sequence {
            let next = store
                .records(resource)
                .filter_map(|(_, r)| number(r.get(&f.wire_name)))
                .fold(0.0, f64::max) as i64;
            Value::from(next.saturating_add(1))
        } else if f.sandbox.stamp.is_some() {
            Value::String(now.to_owned())
        } else if let Some(term) = f.sandbox.on_create.as_ref().filter(|_| f.read_only) {
            match declared_on_create(&f.ty, term, record, now) {
                Value::Null => continue,
                value => value,
            }
        } else {
            match (&f.ty, f.read_only) {
                (TypeRef::Integer | TypeRef::Number, true) => Value::from(0),
                (TypeRef::Boolean, true) => Value::Bool(false),
                _ => continue,
            }
        };
        record.insert(f.wire_name.clone(), value);
    }
    server_relations(schema, model, record, store);
}

/// The value an `on_create` declaration gives a field, read from the record as it stands (numbers
/// stored as the field's type stores them).
fn declared_on_create(
    ty: &TypeRef,
    term: &erp_spec::expr::effect::Term,
    record: &Map<String, Value>,
    now: &str,
) -> Value {
    let env = crate::effects::Env {
        record,
        body: &Map::new(),
        found: Default::default(),
        base: &[],
        params: &[],
        now: chrono::DateTime::parse_from_rfc3339(now)
            .unwrap_or_else(|_| chrono::Utc::now().fixed_offset()),
    };
    let value = env.term(term);
    match (ty, value.as_f64()) {
        (TypeRef::Boolean, _) => match value {
            Value::String(s) if s == "true" || s == "false" => Value::Bool(s == "true"),
            other => other,
        },
        (ty, Some(n)) if ty.is_numeric() => typed(ty, n).unwrap_or(value),
        _ => value,
    }
}

/// The server's values of a record changed over HTTP: `stamp: updated` fields the time, then the
/// relations of the read-only fields.
pub(crate) fn on_update(
    schema: &Schema,
    model: &Model,
    record: &mut Map<String, Value>,
    store: &Store,
    now: &str,
) {
    for f in model
        .fields
        .iter()
        .filter(|f| f.sandbox.stamp == Some(Stamp::Updated))
    {
        record.insert(f.wire_name.clone(), Value::String(now.to_owned()));
    }
    server_relations(schema, model, record, store);
}

fn server_relations(
    schema: &Schema,
    model: &Model,
    record: &mut Map<String, Value>,
    store: &Store,
) {
    let plans = Plans::new(schema);
    let Some(plan) = plans.get(model) else {
        return;
    };
    // `random(..)` in a read-only computation: a stream per record is as good as any.
    let mut rng = Rng::new(record.len() as u64);
    let mut cx = Apply::new(&plans, schema, store, &mut rng, Scope::Server);
    plan.apply(&mut cx, record, None, None);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shop() -> Schema {
        Schema::new(
            erp_spec::parse_str("shop.yaml", include_str!("../tests/fixtures/shop.yaml"))
                .expect("fixture spec"),
        )
    }

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("object")
    }

    fn apply(schema: &Schema, model: &str, record: &mut Map<String, Value>, scope: Scope) {
        let plans = Plans::new(schema);
        let model = schema.model(model).expect("model");
        let store = Store::default();
        let mut rng = Rng::new(1);
        let mut cx = Apply::new(&plans, schema, &store, &mut rng, scope);
        plans
            .get(model)
            .expect("plan")
            .apply(&mut cx, record, None, None);
    }

    #[test]
    fn vat_purchase_and_nested_prices_follow_their_formulas() {
        let schema = shop();
        let mut record = object(json!({
            "id": 2, "BTW": 6, "verkoopprijs_excl": 10.0, "verkoopprijs_incl": 1.0,
            "inkoopprijs_excl": 99.0, "inkoopprijs_incl": 1.0, "merk": "Natura", "merk_id": 17,
            "prices": [{"label": "A", "korting": 10, "verkoopprijs_excl": 1.0, "verkoopprijs_incl": 1.0}],
            "photos": [{"is_hoofdfoto": false}, {"is_hoofdfoto": true}, {"is_hoofdfoto": true}],
        }));
        apply(&schema, "Product", &mut record, Scope::Seed);
        assert_eq!(record["verkoopprijs_incl"], json!(10.6));
        let purchase = record["inkoopprijs_excl"].as_f64().expect("purchase");
        assert!((4.0..=8.0).contains(&purchase), "{purchase}");
        let incl = record["inkoopprijs_incl"].as_f64().expect("incl");
        assert!((incl - purchase * 1.06).abs() < 0.006);
        let price = &record["prices"][0];
        assert_eq!(
            price["verkoopprijs_excl"],
            json!(9.0),
            "10 % off the parent"
        );
        assert_eq!(price["verkoopprijs_incl"], json!(9.54), "the parent's 6 %");
        assert_eq!(record["merk_id"], 2);
        assert_eq!(record["SKU"], "ART-0002");
        let flags: Vec<&Value> = record["photos"]
            .as_array()
            .expect("photos")
            .iter()
            .map(|p| &p["is_hoofdfoto"])
            .collect();
        assert_eq!(flags, [&json!(true), &json!(false), &json!(false)]);
    }

    #[test]
    fn flags_dates_and_copies_follow_what_they_declare() {
        let schema = shop();
        let mut record = object(json!({
            "name": "Beispiel AG", "bank_account_owner": "Musterfirma GmbH",
            "bedrijfsnaam": "", "is_bedrijf": true,
            "mandate": "", "mandate_date": "2024-01-01",
            "revenue_net": 100.0, "revenue_gross": 3.0,
        }));
        apply(&schema, "Customer", &mut record, Scope::Seed);
        assert_eq!(record["bank_account_owner"], "Beispiel AG");
        assert_eq!(record["is_bedrijf"], false);
        assert!(!record.contains_key("mandate_date"));
        assert_eq!(record["revenue_gross"], json!(119.0));

        let mut record = object(json!({
            "name": "Beispiel AG", "bank_account_owner": "",
            "bedrijfsnaam": "Maes & Co", "is_bedrijf": false,
            "mandate": "M-1", "mandate_date": "2024-01-01",
        }));
        apply(&schema, "Customer", &mut record, Scope::Seed);
        assert_eq!(record["bank_account_owner"], "", "a drawn \"\" stays");
        assert_eq!(record["is_bedrijf"], true);
        assert_eq!(record["mandate_date"], "2024-01-01");
    }

    #[test]
    fn over_http_only_read_only_declarations_apply() {
        let schema = shop();
        let mut record = object(json!({
            "name": "Beispiel AG", "bank_account_owner": "Someone else",
            "bedrijfsnaam": "", "is_bedrijf": true, "revenue_net": 50.0,
        }));
        apply(&schema, "Customer", &mut record, Scope::Server);
        assert_eq!(
            record["bank_account_owner"], "Someone else",
            "writable: as sent"
        );
        assert_eq!(record["is_bedrijf"], true, "writable: as sent");
        assert_eq!(
            record["revenue_gross"],
            json!(59.5),
            "read-only: the server's"
        );
    }
    #[test]
    fn billomat_server_numbers_stamps_and_composes_on_create_and_update() {
        let schema = Schema::new(crate::builtin::load("billomat").expect("spec"));
        let model = schema.model("Client").expect("Client");
        let store = crate::seed::seed(&schema, 25, 1);
        let mut record = object(json!({
            "number_pre": "KD", "name": "Beispiel AG", "first_name": "Mia", "last_name": "Weber",
            "street": "Hauptstraße 12", "zip": "80331", "city": "München", "number_length": 4,
        }));
        on_create(
            &schema,
            "clients",
            model,
            &mut record,
            &store,
            "2024-01-01T10:00:00+01:00",
        );
        assert_eq!(record["number"], 26, "the next number");
        assert_eq!(record["client_number"], "KD0026");
        assert_eq!(
            record["address"],
            "Beispiel AG\nMia Weber\nHauptstraße 12\n80331 München"
        );
        assert_eq!(record["created"], "2024-01-01T10:00:00+01:00");
        assert_eq!(record["updated"], record["created"]);
        assert_eq!(record["revenue_net"], 0);
        assert_eq!(
            record["revenue_gross"],
            json!(0.0),
            "computed from the net 0"
        );
        assert!(!record.contains_key("id"), "ids are assigned by the store");
        assert!(
            !record.contains_key("archived") && !record.contains_key("email"),
            "writable fields stay as sent"
        );

        record.insert("city".into(), json!("Berlin"));
        record.remove("number_length");
        on_update(
            &schema,
            model,
            &mut record,
            &store,
            "2024-02-01T10:00:00+01:00",
        );
        assert_eq!(record["created"], "2024-01-01T10:00:00+01:00");
        assert_eq!(record["updated"], "2024-02-01T10:00:00+01:00");
        assert_eq!(record["client_number"], "KD26");
        assert!(
            record["address"]
                .as_str()
                .expect("address")
                .ends_with("80331 Berlin")
        );
    }
}
