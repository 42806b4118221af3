//! Deterministic seed data: `seed_records` records per listable resource, drawn from the field
//! examples of the spec (`sandbox: {examples: [..]}`) where it has them and made up from the
//! field's type (and its `range`, `chance` or `like`) otherwise -- never from its name. Then the
//! relations the spec declares are applied (see [`crate::realism`]).
//!
//! Drawing values (everything from the seed, so the same seed gives the same records):
//! - **Positions are dealt, not drawn**: the records of a resource take an example list's
//!   positions in a shuffled order and every position once before any comes again, so `n`
//!   records show `n` different examples where there are that many; the items of one nested
//!   list do the same among themselves (one text per language, distinct photos).
//! - **Drawn together**: fields declared `drawn_with` another (chains form one group) take the
//!   example at the same position, within one record or nested item (`first_name` with
//!   `salutation`, `city` with `zip`).
//! - **References**: a field declared `references: <resource>` holds the id of an existing
//!   record of that resource (resources are seeded in an order where those come first).
//! - **Trees**: a list of the resource's own records (a category's `children`) holds earlier
//!   records of the resource that no other record holds yet, so the categories form trees of real
//!   records instead of invented ones. The trees are shallow and bushy like a shop's catalogue: at
//!   most [`TREE_DEPTH`] levels, roots with 2–5 children, then 1–4, then 0–3, drawn from a stream
//!   of their own; records are dealt into them in post-order (children first), one tree after the
//!   other, so a tree holds at most 86 records whatever the number of records.
//! - **Lists of another resource's records** hold 0–2 copies of existing records (at least one
//!   when another field copies from the list's first item); other nested lists 0–2 generated
//!   items.
//! - **By type**: strings are the humanized field name and the record's id (or `like` an e-mail
//!   address, phone number, ...), integers 1–30, numbers and decimals amounts of 0.99–499.99,
//!   booleans true for 40 %, dates and datetimes in 2018–2025, each within `range` or with
//!   `chance` where declared. `stamp: created` datetimes are the record's creation time and
//!   `stamp: updated` ones a later time; `sequence` integers number the records (1, 2, ...);
//!   an integer `id` is the record's id.

use std::collections::BTreeMap;

use chrono::{
    DateTime, Datelike, Duration as ChronoDuration, FixedOffset, NaiveDate, Offset, SecondsFormat,
    TimeZone,
};
use erp_spec::ir::{Field, Like, Model, OperationKind, Range, Stamp, TypeRef};
use serde_json::{Map, Number, Value};

#[cfg(test)]
use crate::realism;
use crate::realism::{Apply, Plans, Scope};
use crate::rng::Rng;
use crate::schema::Schema;
use crate::store::Store;

/// Seeds every resource that has a list operation, parents before children.
pub(crate) fn seed(schema: &Schema, records: usize, seed: u64) -> Store {
    let plans = Plans::new(schema);
    let facts = Facts::new(schema);
    let indexed = schema.indexed_fields();
    let keyed = &schema.spec.sandbox.resources;
    let mut store = Store::with_indexes(indexed.iter().map(|(r, f)| (r.as_str(), f.as_str())))
        .with_keys(
            keyed
                .iter()
                .filter_map(|(r, s)| Some((r.as_str(), s.key.as_ref()?.field.as_str()))),
        );
    for r in schema.seed_order() {
        let resource = &schema.spec.resources[r];
        let listed = resource
            .operations
            .iter()
            .any(|o| o.kind == OperationKind::List);
        // A resource read without an id (Billomat's `settings`) is one record.
        let records = match (listed, resource.is_singleton()) {
            (true, _) => records,
            (false, true) => 1,
            (false, false) => continue,
        };
        let Some(model) = schema.resource_model(r) else {
            continue;
        };
        let mut rng = Rng::for_stream(seed, &resource.name);
        let mut deck = Deck::default();
        let mut trees = BTreeMap::new();
        for id in 1..=records as i64 {
            let mut record = Generator {
                schema,
                store: &store,
                rng: &mut rng,
                resource: r,
                trees: &mut trees,
                seed,
                plans: &plans,
                facts: &facts,
            }
            .record(model, id, 0, &mut deck);
            if let (Value::Object(map), Some(plan)) = (&mut record, plans.get(model)) {
                let mut cx = Apply::new(&plans, schema, &store, &mut rng, Scope::Seed);
                plan.apply(&mut cx, map, None, None);
            }
            if let (Value::Object(map), Some(key)) =
                (&mut record, schema.spec.sandbox.key(&resource.name))
            {
                let ty = model
                    .fields
                    .iter()
                    .find(|f| f.wire_name == key.field)
                    .map(|f| &f.ty);
                if let Some(ty) = ty {
                    crate::keys::seed_key(key, ty, &resource.name, id, map, &store);
                }
            }
            store.insert(&resource.name, id, compact(record));
        }
    }
    store
}

/// Members that fit one tree node of a map (a map allocates whole nodes).
const NODE_CAPACITY: usize = 11;

/// The same value with every larger object rebuilt in one go: a map collected from its (sorted)
/// members fills its tree nodes, while one grown member by member leaves them about half empty,
/// and stored records are most of the sandbox's memory. Maps of one node stay as they are.
fn compact(mut value: Value) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.values_mut().for_each(walk);
                if map.len() > NODE_CAPACITY {
                    *map = std::mem::take(map).into_iter().collect();
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut value);
    value
}

/// Example positions dealt to records: per group of fields drawn together, every position once
/// (in random order) before any comes again.
#[derive(Debug, Default)]
struct Deck {
    piles: BTreeMap<usize, Vec<usize>>,
}

impl Deck {
    fn deal(&mut self, rng: &mut Rng, group: usize, len: usize) -> usize {
        let pile = self.piles.entry(group).or_default();
        if pile.is_empty() {
            pile.extend(0..len);
        }
        let i = rng.below(pile.len() as u64) as usize;
        pile.swap_remove(i)
    }
}

/// The example positions of one record: one per group, dealt from a [`Deck`].
struct Draw<'d> {
    deck: &'d mut Deck,
    positions: BTreeMap<usize, usize>,
}

impl Draw<'_> {
    fn position(&mut self, rng: &mut Rng, group: usize, len: usize) -> usize {
        match self.positions.get(&group) {
            Some(&p) => p,
            None => {
                let p = self.deck.deal(rng, group, len);
                self.positions.insert(group, p);
                p
            }
        }
    }
}

/// Levels of a seeded tree of a resource's own records: a root, its children, their children and
/// leaves below them.
pub(crate) const TREE_DEPTH: usize = 4;

/// How many children a tree node at `level` (the root is 1) gets: roots 2–5, then 1–4, then 0–3;
/// the last level holds leaves.
fn branching(rng: &mut Rng, level: usize) -> usize {
    let (lo, hi) = match level {
        deepest if deepest >= TREE_DEPTH => (0, 0),
        1 => (2, 5),
        2 => (1, 4),
        _ => (0, 3),
    };
    rng.range(lo, hi) as usize
}

/// Shapes the trees of one list field of a resource's own records (a category's `children`).
///
/// Records are dealt into trees in post-order, children before their parent: the tree plans the
/// branching of each node when it is first reached (from its own random stream, so the shape
/// does not shift the other fields' draws) and completes the deepest planned node with each new
/// record. Every record is held by at most one parent, always a later one; a tree has at most
/// [`TREE_DEPTH`] levels and 86 records, and the next tree starts after its root.
#[derive(Debug)]
struct Tree {
    rng: Rng,
    /// The planned nodes from the current root down to the node being filled.
    open: Vec<TreeNode>,
}

#[derive(Debug)]
struct TreeNode {
    level: usize,
    wanted: usize,
    children: Vec<i64>,
}

impl Tree {
    fn new(seed: u64, resource: &str, field: &str) -> Tree {
        Tree {
            rng: Rng::for_stream(seed, &format!("{resource}.{field} tree")),
            open: Vec::new(),
        }
    }

    /// The children of record `id`, the next record of the resource: ids of earlier records.
    fn children_of_next(&mut self, id: i64) -> Vec<i64> {
        if self.open.is_empty() {
            let wanted = branching(&mut self.rng, 1);
            self.open.push(TreeNode {
                level: 1,
                wanted,
                children: Vec::new(),
            });
        }
        // Go down to the first planned node that has all its children: `id` is that node.
        while let Some(top) = self.open.last() {
            if top.children.len() >= top.wanted {
                break;
            }
            let level = top.level + 1;
            let wanted = branching(&mut self.rng, level);
            self.open.push(TreeNode {
                level,
                wanted,
                children: Vec::new(),
            });
        }
        let Some(node) = self.open.pop() else {
            return Vec::new(); // the root was pushed above
        };
        if let Some(parent) = self.open.last_mut() {
            parent.children.push(id);
        }
        node.children
    }
}

/// What generating a field needs to know about it: the same for every record, so worked out once
/// per model (seeding draws hundreds of thousands of records).
#[derive(Debug)]
struct FieldFacts<'s> {
    /// A linked collection: rendered from the child resource's records, not stored.
    linked: bool,
    /// The resource the field `references`.
    referenced: Option<usize>,
    /// The group of fields drawn together (the position of its first field), for fields with
    /// two or more examples.
    group: Option<usize>,
    /// Each example as a value of the field's type (`None` where it is not one).
    parsed: Vec<Option<Value>>,
    /// For lists of a model: the resource whose records follow it, and the model.
    item_resource: Option<usize>,
    item_model: Option<&'s Model>,
    /// Whether another field copies from this list's first item (so it is never empty).
    fill: bool,
    /// The humanized name of a string without examples.
    humanized: String,
}

/// Per-model facts of the generator.
#[derive(Debug)]
struct ModelFacts<'s> {
    fields: Vec<FieldFacts<'s>>,
}

/// The group of each field: fields linked by `drawn_with` share the smallest position among them.
fn groups(model: &Model) -> Vec<usize> {
    let index = |name: &str| model.fields.iter().position(|f| f.wire_name == name);
    let mut root: Vec<usize> = (0..model.fields.len()).collect();
    fn find(root: &mut [usize], mut i: usize) -> usize {
        while root[i] != i {
            root[i] = root[root[i]];
            i = root[i];
        }
        i
    }
    for (i, f) in model.fields.iter().enumerate() {
        if let Some(j) = f.sandbox.drawn_with.as_deref().and_then(index) {
            let (a, b) = (find(&mut root, i), find(&mut root, j));
            root[a.max(b)] = a.min(b);
        }
    }
    (0..root.len()).map(|i| find(&mut root, i)).collect()
}

impl<'s> ModelFacts<'s> {
    fn new(schema: &'s Schema, plans: &Plans<'s>, model: &'s Model) -> ModelFacts<'s> {
        let groups = groups(model);
        let plan = plans.get(model);
        let fields = model
            .fields
            .iter()
            .enumerate()
            .map(|(i, field)| {
                let item_name = match &field.ty {
                    TypeRef::List(inner) => match inner.as_ref() {
                        TypeRef::Model(name) => Some(name),
                        _ => None,
                    },
                    _ => None,
                };
                FieldFacts {
                    linked: schema.link(&model.name, &field.wire_name).is_some(),
                    referenced: schema.reference(field),
                    group: (field.sandbox.examples.len() >= 2).then_some(groups[i]),
                    parsed: field
                        .sandbox
                        .examples
                        .iter()
                        .map(|e| from_example(schema, &field.ty, e))
                        .collect(),
                    item_resource: item_name.and_then(|n| schema.resource_of_model(n)),
                    item_model: item_name.and_then(|n| schema.model(n)),
                    fill: plan.is_some_and(|p| p.must_fill(&field.wire_name)),
                    humanized: crate::schema::humanize(&field.wire_name),
                }
            })
            .collect();
        ModelFacts { fields }
    }
}

/// The facts of every model of a spec.
#[derive(Debug)]
struct Facts<'s> {
    models: BTreeMap<&'s str, ModelFacts<'s>>,
}

impl<'s> Facts<'s> {
    fn new(schema: &'s Schema) -> Facts<'s> {
        let plans = Plans::new(schema);
        Facts {
            models: schema
                .spec
                .models
                .iter()
                .map(|m| (m.name.as_str(), ModelFacts::new(schema, &plans, m)))
                .collect(),
        }
    }
}

/// Generates one record, reading already seeded resources for references.
struct Generator<'a, 's> {
    schema: &'s Schema,
    store: &'a Store,
    rng: &'a mut Rng,
    resource: usize,
    /// Tree shapes of this resource's lists of its own records, by field.
    trees: &'a mut BTreeMap<String, Tree>,
    seed: u64,
    plans: &'a Plans<'s>,
    facts: &'a Facts<'s>,
}

/// Nested models deeper than this get no further nested items.
const MAX_DEPTH: usize = 2;

impl<'s> Generator<'_, 's> {
    fn record(&mut self, model: &'s Model, id: i64, depth: usize, deck: &mut Deck) -> Value {
        let facts = self.facts;
        let local;
        let facts = match facts.models.get(model.name.as_str()) {
            Some(facts) => facts,
            None => {
                local = ModelFacts::new(self.schema, self.plans, model);
                &local
            }
        };
        let created = self.datetime_between(date(2018, 1, 1), date(2024, 12, 31));
        let updated_days = self.rng.range(0, 400);
        let updated = (created + ChronoDuration::days(updated_days)).min(latest());
        let mut draw = Draw {
            deck,
            positions: BTreeMap::new(),
        };
        let mut map = Map::new();
        for (field, facts) in model.fields.iter().zip(&facts.fields) {
            if facts.linked {
                continue; // rendered from the child resource's records
            }
            let value = match field.sandbox.stamp {
                Some(Stamp::Created) => Some(Value::String(rfc3339(created))),
                Some(Stamp::Updated) => Some(Value::String(rfc3339(updated))),
                None => self.field(field, facts, id, depth, &mut draw),
            };
            if let Some(value) = value {
                map.insert(field.wire_name.clone(), value);
            }
        }
        Value::Object(map)
    }

    fn field(
        &mut self,
        field: &Field,
        facts: &FieldFacts<'s>,
        id: i64,
        depth: usize,
        draw: &mut Draw,
    ) -> Option<Value> {
        if field.ty == TypeRef::Integer {
            if field.wire_name == "id" {
                // The record's key (items of nested lists are not records: any id will do).
                return Some(Value::from(if depth == 0 {
                    id
                } else {
                    self.rng.range(100, 999)
                }));
            }
            if field.sandbox.sequence && depth == 0 {
                return Some(Value::from(id));
            }
        }
        if let Some(target) = facts.referenced {
            let name = &self.schema.spec.resources[target].name;
            let pick = self.rng.below(self.store.len(name) as u64) as usize;
            if let Some((parent, record)) = self.store.nth(name, pick) {
                // A keyed resource is referred to by its key (an invoice's `customer-id`).
                let key = self
                    .schema
                    .spec
                    .sandbox
                    .key(name)
                    .map_or("id", |k| k.field.as_str());
                return Some(record.get(key).cloned().unwrap_or(Value::from(parent)));
            }
        }
        if let TypeRef::List(inner) = &field.ty {
            return Some(self.list(field, facts, inner, id, depth));
        }
        let count = field.sandbox.examples.len();
        let position = match facts.group {
            Some(group) => draw.position(self.rng, group, count),
            // As `Rng::pick`: no draw when there are no examples.
            None => self.rng.below(count as u64) as usize,
        };
        if let Some(Some(value)) = facts.parsed.get(position) {
            return Some(value.clone());
        }
        self.synthesize(&field.ty, field, facts, id, depth)
    }

    fn list(
        &mut self,
        field: &Field,
        facts: &FieldFacts<'s>,
        inner: &TypeRef,
        id: i64,
        depth: usize,
    ) -> Value {
        let least = i64::from(facts.fill);
        if let TypeRef::Model(_) = inner {
            if facts.item_resource == Some(self.resource) {
                return Value::Array(if depth == 0 {
                    self.subtree(field, id)
                } else {
                    Vec::new()
                });
            }
            // Items of another seeded resource: copy existing records.
            if let Some(source) = facts.item_resource.filter(|&r| r != self.resource) {
                let name = &self.schema.spec.resources[source].name;
                let available = self.store.len(name);
                if available > 0 {
                    let count = self.rng.range(0, 2).max(least);
                    let mut picked: Vec<Value> = Vec::new();
                    for _ in 0..count {
                        let pick = self.rng.below(available as u64) as usize;
                        if let Some((_, record)) = self.store.nth(name, pick)
                            && !picked.contains(record)
                        {
                            picked.push(record.clone());
                        }
                    }
                    return Value::Array(picked);
                }
            }
            if depth >= MAX_DEPTH {
                return Value::Array(Vec::new());
            }
            let Some(model) = facts.item_model else {
                return Value::Array(Vec::new());
            };
            let count = self.rng.range(0, 2).max(least);
            let mut deck = Deck::default();
            let items: Vec<Value> = (0..count)
                .map(|_| self.record(model, 0, depth + 1, &mut deck))
                .collect();
            return Value::Array(items);
        }
        let count = self.rng.range(1, 2);
        let mut items = Vec::new();
        for _ in 0..count {
            // As `Rng::pick`: no draw when there are no examples.
            let position = self.rng.below(field.sandbox.examples.len() as u64) as usize;
            let value = match facts.parsed.get(position) {
                Some(Some(value)) => Some(value.clone()),
                _ => self.synthesize(inner, field, facts, id, depth),
            };
            if let Some(value) = value
                && !items.contains(&value)
            {
                items.push(value);
            }
        }
        Value::Array(items)
    }

    /// The children of record `id` in a tree of this resource's records (see [`Tree`]): copies
    /// of earlier records that no record holds in `field` yet.
    fn subtree(&mut self, field: &Field, id: i64) -> Vec<Value> {
        let resource = &self.schema.spec.resources[self.resource].name;
        let tree = self
            .trees
            .entry(field.wire_name.clone())
            .or_insert_with(|| Tree::new(self.seed, resource, &field.wire_name));
        tree.children_of_next(id)
            .into_iter()
            .filter_map(|child| self.store.get(resource, child).cloned())
            .collect()
    }

    /// A value of type `ty` for a field without (usable) examples: by the type, within the
    /// field's declared `range`, `chance` or `like`.
    fn synthesize(
        &mut self,
        ty: &TypeRef,
        field: &Field,
        facts: &FieldFacts<'_>,
        id: i64,
        depth: usize,
    ) -> Option<Value> {
        let declared = &field.sandbox;
        Some(match ty {
            TypeRef::String => Value::String(match declared.like {
                Some(like) => self.like(like, id),
                None => format!("{} {id}", facts.humanized),
            }),
            TypeRef::Integer => match declared.range {
                Some(range @ Range::Number { .. }) => self.in_range(range, ty),
                _ => Value::from(self.rng.range(1, 30)),
            },
            TypeRef::Number | TypeRef::Decimal => {
                let value = match declared.range {
                    Some(range @ Range::Number { .. }) => self.in_range(range, ty),
                    _ => money(self.rng.range(99, 49_999)),
                };
                match (ty, value) {
                    (TypeRef::Decimal, Value::Number(n)) => {
                        Value::String(format!("{:.2}", n.as_f64().unwrap_or(0.0)))
                    }
                    (_, value) => value,
                }
            }
            TypeRef::Guid => {
                let (a, b) = (self.rng.range(0, i64::MAX), self.rng.range(0, i64::MAX));
                let hex = format!("{:016x}{:016x}", a as u64, b as u64);
                Value::String(format!(
                    "{}-{}-4{}-8{}-{}",
                    &hex[0..8],
                    &hex[8..12],
                    &hex[13..16],
                    &hex[17..20],
                    &hex[20..32]
                ))
            }
            TypeRef::Bytes => Value::String("JVBERi0xLjQKJcfsj6IK".to_owned()),
            TypeRef::Boolean => Value::Bool(self.rng.chance(declared.chance.unwrap_or(0.4))),
            TypeRef::Date | TypeRef::DateTime => {
                let (from, to) = match declared.range {
                    Some(Range::Date { min, max }) => {
                        (date(min.0, min.1, min.2), date(max.0, max.1, max.2))
                    }
                    _ => (date(2018, 1, 1), date(2025, 12, 31)),
                };
                if *ty == TypeRef::Date {
                    Value::String(self.date_between(from, to).format("%Y-%m-%d").to_string())
                } else {
                    Value::String(rfc3339(self.datetime_between(from, to)))
                }
            }
            TypeRef::Enum(name) => {
                let variants = &self.schema.spec.enumeration(name)?.variants;
                Value::String(self.rng.pick(variants)?.wire.clone())
            }
            TypeRef::Model(name) if depth < MAX_DEPTH => {
                let model = self.schema.model(name)?;
                self.record(model, 0, depth + 1, &mut Deck::default())
            }
            TypeRef::Model(_) | TypeRef::Json => return None,
            TypeRef::List(inner) => Value::Array(
                self.synthesize(inner, field, facts, id, depth)
                    .into_iter()
                    .collect(),
            ),
        })
    }

    /// A number within a declared range, in the range's steps (whole for integers).
    fn in_range(&mut self, range: Range, ty: &TypeRef) -> Value {
        let Range::Number { min, max, step } = range else {
            return Value::from(0);
        };
        let steps = ((max - min) / step).round().max(0.0) as i64;
        let value = min + self.rng.range(0, steps) as f64 * step;
        // Whole steps give whole numbers (`19` days, not `19.0`).
        if *ty == TypeRef::Integer || step >= 1.0 {
            return Value::from(value.round() as i64);
        }
        // Rounded to the step's decimals, so 0.1 steps read 0.3, not 0.30000000000000004.
        let scale = (1.0 / step).round().max(1.0);
        Number::from_f64((value * scale).round() / scale).map_or(Value::from(0), Value::Number)
    }

    fn digits(&mut self, count: usize) -> String {
        (0..count)
            .map(|_| char::from(b'0' + self.rng.below(10) as u8))
            .collect()
    }

    /// A string of the declared kind.
    fn like(&mut self, like: Like, id: i64) -> String {
        match like {
            Like::Email => format!("contact{id}@example.com"),
            Like::Iban => format!("DE{}", self.digits(20)),
            Like::Bic => self
                .rng
                .pick(&["COBADEFFXXX", "DEUTDEFFXXX", "GENODEM1GLS"])
                .copied()
                .unwrap_or("")
                .to_owned(),
            Like::Url => format!("https://www.example.com/{id}"),
            Like::Phone => format!("+49 30 {}", self.digits(7)),
            Like::Digits(len) => self.digits(len),
        }
    }

    fn date_between(&mut self, start: NaiveDate, end: NaiveDate) -> NaiveDate {
        let days = (end - start).num_days().max(0);
        start + ChronoDuration::days(self.rng.range(0, days))
    }

    fn datetime_between(&mut self, start: NaiveDate, end: NaiveDate) -> DateTime<FixedOffset> {
        let date = self.date_between(start, end);
        let seconds = self.rng.range(7 * 3600, 19 * 3600) as u32;
        let time = date
            .and_hms_opt(seconds / 3600, seconds / 60 % 60, seconds % 60)
            .unwrap_or_default();
        // Central European time: +02:00 from April to October, +01:00 otherwise.
        let hours = if (4..=10).contains(&date.month()) {
            2
        } else {
            1
        };
        let offset = FixedOffset::east_opt(hours * 3600).unwrap_or_else(|| chrono::Utc.fix());
        offset
            .from_local_datetime(&time)
            .single()
            .unwrap_or_else(|| offset.from_utc_datetime(&time))
    }
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

fn latest() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2025-12-31T18:00:00+01:00").unwrap_or_default()
}

fn rfc3339(t: DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// Cents to a number with two decimals.
fn money(cents: i64) -> Value {
    Number::from_f64(cents as f64 / 100.0).map_or(Value::from(0), Value::Number)
}

/// A canonical value from a spec example (examples are written as strings).
pub(crate) fn from_example(schema: &Schema, ty: &TypeRef, text: &str) -> Option<Value> {
    match ty {
        TypeRef::String | TypeRef::Date | TypeRef::DateTime | TypeRef::Bytes => {
            Some(Value::String(text.to_owned()))
        }
        TypeRef::Decimal => text
            .trim()
            .parse::<f64>()
            .is_ok()
            .then(|| Value::String(text.trim().to_owned())),
        TypeRef::Guid => {
            crate::decode::is_guid(text.trim()).then(|| Value::String(text.trim().to_owned()))
        }
        TypeRef::Integer => text.trim().parse::<i64>().ok().map(Value::from),
        TypeRef::Number => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number),
        TypeRef::Boolean => match text.trim() {
            "1" | "true" => Some(Value::Bool(true)),
            "0" | "false" => Some(Value::Bool(false)),
            _ => None,
        },
        TypeRef::Enum(name) => schema
            .spec
            .enumeration(name)?
            .variants
            .iter()
            .any(|v| v.wire == text)
            .then(|| Value::String(text.to_owned())),
        TypeRef::List(inner) => from_example(schema, inner, text),
        TypeRef::Json => serde_json::from_str(text).ok(),
        TypeRef::Model(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(vendor: &str) -> Schema {
        Schema::new(crate::builtin::load(vendor).expect("spec"))
    }

    #[test]
    fn billomat_seed_is_realistic_and_references_real_clients() {
        let schema = schema("billomat");
        let store = seed(&schema, 10, 1);
        assert_eq!(store.ids("clients"), (1..=10).collect::<Vec<_>>());
        let client = store.get("clients", 3).expect("client 3");
        assert_eq!(client["id"], 3);
        assert_eq!(client["number"], 3);
        assert_eq!(client["client_number"], "KD3");
        assert!(
            client.get("client-property-values").is_none(),
            "linked collections are not stored"
        );
        let created = client["created"].as_str().expect("created");
        assert!(
            created.ends_with("+01:00") || created.ends_with("+02:00"),
            "{created}"
        );
        assert!(client["updated"].as_str().expect("updated") >= created);
        assert!(
            ["TAX", "NO_TAX", "COUNTRY"].contains(&client["tax_rule"].as_str().expect("tax_rule"))
        );
        assert!(client["archived"].is_boolean());
        for (_, contact) in store.records("contacts") {
            let client_id = contact["client_id"].as_i64().expect("client_id");
            assert!(store.get("clients", client_id).is_some());
        }
        let again = seed(&schema, 10, 1);
        assert_eq!(again.get("contacts", 4), store.get("contacts", 4));
        assert_ne!(
            seed(&schema, 10, 2).get("clients", 4),
            store.get("clients", 4)
        );
    }

    /// A spec whose field names read like relations (VAT pairs, a foreign key, a flag beside a
    /// name, a creation time) but declare none: every value is drawn by its type alone.
    const PLAIN: &str = r#"
vendor: {name: plain, title: Plain, docs_url: "https://example.com", description: No declarations.}
base_url: {template: "https://plain.example.com"}
auth: {scheme: bearer, doc: A token.}
wire: {format: json, scalars: native, booleans: native}
envelope: {list: {style: bare}, item: {style: bare}, request: bare}
errors: {message: [message]}
resources:
  clients:
    doc: Clients.
    path: /clients
    operations: {list: {doc: Lists., response: Client}}
  orders:
    doc: Orders.
    path: /orders
    operations: {list: {doc: Lists., response: Order}, create: {doc: Creates., request: Order, response: Order}}
models:
  Client:
    doc: A client.
    fields:
      id: {type: integer, doc: Id.}
      name: {type: string, doc: Name., sandbox: {examples: [Acme, Globex, Initech]}}
      street: {type: string, doc: Street., sandbox: {examples: [Main St 1, High St 2, Low St 3]}}
  Order:
    doc: An order.
    fields:
      id: {type: integer, doc: Id.}
      client_id: {type: integer, doc: The client.}
      name: {type: string, doc: Name., sandbox: {examples: [A, B, C]}}
      street: {type: string, doc: Street.}
      vat: {type: number, doc: VAT rate.}
      price_excl: {type: number, doc: Net.}
      price_incl: {type: number, doc: Gross.}
      company: {type: string, doc: Company., sandbox: {examples: [Acme, ""]}}
      is_company: {type: boolean, doc: A company.}
      number: {type: integer, doc: Number.}
      email: {type: string, doc: E-mail.}
      created: {type: datetime, read_only: true, doc: Created.}
      updated: {type: datetime, read_only: true, doc: Updated.}
      SKU: {type: string, doc: Code., sandbox: {examples: [ART-0001, ART-0002]}}
"#;

    #[test]
    fn without_declarations_no_field_name_means_anything() {
        let schema = Schema::new(erp_spec::parse_str("plain.yaml", PLAIN).expect("spec"));
        assert!(
            schema.indexed_fields().is_empty(),
            "no guessed foreign keys"
        );
        let store = seed(&schema, 200, 1);
        let (mut vat_pairs, mut dangling, mut flags, mut numbered, mut later) = (0, 0, 0, 0, 0);
        let mut skus = std::collections::BTreeSet::new();
        for (id, order) in store.records("orders") {
            let (vat, excl, incl) = (
                f64_of(&order["vat"]),
                f64_of(&order["price_excl"]),
                f64_of(&order["price_incl"]),
            );
            vat_pairs += usize::from((incl - excl * (1.0 + vat / 100.0)).abs() < 0.006);
            let client = order["client_id"].as_i64().expect("an integer");
            assert!((1..=30).contains(&client), "integers by type: {client}");
            dangling += usize::from(store.get("clients", client + 200).is_none());
            flags += usize::from(order["is_company"] == (order["company"] != ""));
            numbered += usize::from(order["number"] == id);
            later += usize::from(order["updated"].as_str() >= order["created"].as_str());
            assert_eq!(order["street"], format!("Street {id}"), "not the client's");
            assert_eq!(order["email"], format!("Email {id}"), "no e-mail by name");
            skus.insert(order["SKU"].as_str().expect("SKU").to_owned());
        }
        assert!(vat_pairs < 5, "{vat_pairs} of 200 orders look computed");
        assert_eq!(dangling, 200);
        assert!(
            (60..=140).contains(&flags),
            "flags by chance, not by `company`: {flags}"
        );
        assert!(numbered < 20, "{numbered} numbers follow the id");
        assert!(
            later < 160,
            "{later} of 200 `updated` after `created`: independent draws"
        );
        assert_eq!(
            skus.len(),
            2,
            "codes are the examples, not made from the id"
        );

        // Over HTTP as well: no stamps, no numbering, no relations without declarations.
        let model = schema.model("Order").expect("Order");
        let mut record = Map::new();
        record.insert("price_excl".into(), Value::from(10));
        realism::on_create(
            &schema,
            "orders",
            model,
            &mut record,
            &store,
            "2025-01-01T10:00:00+01:00",
        );
        assert_eq!(record.len(), 1, "{record:?}");
    }

    /// Checks every declaration of `model` on `record` (and its generated nested items); counts
    /// the checks per key.
    struct Checker<'s> {
        schema: &'s Schema,
        store: &'s Store,
        checked: BTreeMap<&'static str, usize>,
    }

    /// Evaluates a `computed` expression with `random(a, b)` fixed at `a` or `b`.
    struct Bound<'r> {
        record: &'r Map<String, Value>,
        parent: Option<&'r Map<String, Value>>,
        high: bool,
    }

    impl erp_spec::expr::Context for Bound<'_> {
        fn value(&mut self, operand: &erp_spec::expr::Operand) -> Option<f64> {
            let (map, name) = match operand {
                erp_spec::expr::Operand::Field(f) => (Some(self.record), f),
                erp_spec::expr::Operand::Parent(f) => (self.parent, f),
                erp_spec::expr::Operand::Scoped { .. } => return None,
            };
            let value = map?.get(name)?;
            value.as_f64().or_else(|| value.as_str()?.parse().ok())
        }
        fn random(&mut self, lo: f64, hi: f64) -> f64 {
            if self.high { hi } else { lo }
        }
    }

    impl Checker<'_> {
        fn tick(&mut self, key: &'static str) {
            *self.checked.entry(key).or_default() += 1;
        }

        fn record(
            &mut self,
            model: &Model,
            record: &Map<String, Value>,
            parent: Option<&Map<String, Value>>,
            position: Option<usize>,
        ) {
            use erp_spec::ir::{CopyFrom, Derive};
            let get = |name: &str| record.get(name);
            let empty = |v: Option<&Value>| v.is_none_or(|v| v == "" || v.is_null());
            for f in &model.fields {
                let own = get(&f.wire_name);
                let sb = &f.sandbox;
                let at = |v: Option<&Value>, examples: &[String]| -> Vec<usize> {
                    let text = v.map(|v| v.as_str().map_or(v.to_string(), str::to_owned));
                    examples
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| Some(e.as_str()) == text.as_deref())
                        .map(|(i, _)| i)
                        .collect()
                };
                if let Some(other) = &sb.drawn_with {
                    let theirs = model
                        .fields
                        .iter()
                        .find(|g| &g.wire_name == other)
                        .expect("field");
                    let mine = at(own, &sb.examples);
                    let shared = at(get(other), &theirs.sandbox.examples);
                    if sb.derive.is_none() {
                        assert!(
                            mine.iter().any(|i| shared.contains(i)),
                            "{}: {record:?}",
                            f.wire_name
                        );
                        self.tick("drawn_with");
                    }
                }
                if let Some(resource) = &sb.references {
                    let id = own.and_then(Value::as_i64).expect("a reference");
                    assert!(
                        self.store.get(resource, id).is_some(),
                        "{}: {id}",
                        f.wire_name
                    );
                    self.tick("references");
                }
                if let Some(other) = &sb.only_with
                    && empty(get(other))
                {
                    assert!(own.is_none(), "{} without {other}: {record:?}", f.wire_name);
                    self.tick("only_with");
                    continue;
                }
                match &sb.derive {
                    Some(Derive::Copy(from)) => {
                        if own == Some(&Value::String(String::new())) && !sb.examples.is_empty() {
                            continue; // "sometimes"
                        }
                        let source = match from {
                            CopyFrom::Field(g) => get(g).cloned(),
                            CopyFrom::Parent(g) => parent.and_then(|p| p.get(g)).cloned(),
                            CopyFrom::FirstItem { list, field } => get(list)
                                .and_then(|l| l.get(0))
                                .and_then(|i| i.get(field))
                                .cloned(),
                            CopyFrom::Referenced { reference, field } => {
                                let target = model
                                    .fields
                                    .iter()
                                    .find(|g| &g.wire_name == reference)
                                    .and_then(|g| g.sandbox.references.clone())
                                    .expect("a reference");
                                let id = get(reference).and_then(Value::as_i64).expect("id");
                                self.store
                                    .get(&target, id)
                                    .and_then(|p| p.get(field))
                                    .cloned()
                            }
                        };
                        assert_eq!(own, source.as_ref(), "{}: {record:?}", f.wire_name);
                        if let CopyFrom::FirstItem { list, .. } = from {
                            assert!(
                                get(list)
                                    .and_then(Value::as_array)
                                    .is_some_and(|l| !l.is_empty())
                            );
                        }
                        self.tick("copy");
                    }
                    Some(Derive::IndexOf(named)) => {
                        let examples = &model
                            .fields
                            .iter()
                            .find(|g| &g.wire_name == named)
                            .expect("field")
                            .sandbox
                            .examples;
                        let text = get(named).and_then(Value::as_str).expect("text");
                        let expected = examples
                            .iter()
                            .position(|e| e == text)
                            .map(|i| i as i64 + 1);
                        assert_eq!(own.and_then(Value::as_i64), expected, "{}", f.wire_name);
                        self.tick("index_of");
                    }
                    Some(Derive::Template(t)) => {
                        let text = |n: &str| {
                            get(n).map(|v| v.as_str().map_or(v.to_string(), str::to_owned))
                        };
                        let width = |n: &str| get(n).and_then(Value::as_u64).map(|w| w as usize);
                        assert_eq!(
                            own.and_then(Value::as_str),
                            Some(t.render(text, width).as_str())
                        );
                        self.tick("template");
                    }
                    Some(Derive::Computed(e)) => {
                        let mut bounds = [false, true].map(|high| {
                            e.eval(&mut Bound {
                                record,
                                parent,
                                high,
                            })
                            .expect("computable")
                        });
                        bounds.sort_by(f64::total_cmp);
                        let value = own
                            .and_then(|v| v.as_f64().or_else(|| v.as_str()?.parse().ok()))
                            .expect("a number");
                        assert!(
                            value >= bounds[0] - 0.006 && value <= bounds[1] + 0.006,
                            "{} = {value}, not in {bounds:?}: {record:?}",
                            f.wire_name
                        );
                        self.tick("computed");
                    }
                    Some(Derive::TrueIf(other)) => {
                        assert_eq!(
                            own,
                            Some(&Value::Bool(!empty(get(other)))),
                            "{}",
                            f.wire_name
                        );
                        self.tick("true_if");
                    }
                    Some(Derive::FirstOnly) => {
                        if let Some(i) = position {
                            assert_eq!(own, Some(&Value::Bool(i == 0)));
                            self.tick("first_only");
                        }
                    }
                    None => {}
                }
                if let Some(erp_spec::ir::Range::Number { min, max, .. }) = sb.range
                    && let Some(v) = own.and_then(Value::as_f64)
                {
                    assert!((min..=max).contains(&v), "{} = {v}", f.wire_name);
                    self.tick("range");
                }
                if let Some(erp_spec::ir::Range::Date { min, max }) = sb.range {
                    let v = own.and_then(Value::as_str).expect("a date");
                    let (lo, hi) = (
                        format!("{:04}-{:02}-{:02}", min.0, min.1, min.2),
                        format!("{:04}-{:02}-{:02}", max.0, max.1, max.2),
                    );
                    assert!(
                        lo.as_str() <= v && v <= hi.as_str(),
                        "{} = {v}",
                        f.wire_name
                    );
                    self.tick("range");
                }
                if sb.stamp == Some(erp_spec::ir::Stamp::Updated) {
                    let created = model
                        .fields
                        .iter()
                        .find(|g| g.sandbox.stamp == Some(erp_spec::ir::Stamp::Created));
                    if let Some(created) = created {
                        assert!(
                            own.and_then(Value::as_str)
                                >= get(&created.wire_name).and_then(Value::as_str)
                        );
                        self.tick("stamp");
                    }
                }
                // Nested generated items.
                let TypeRef::Model(inner) = f.ty.innermost() else {
                    continue;
                };
                if self.schema.resource_of_model(inner).is_some() {
                    continue;
                }
                let item_model = self.schema.model(inner).expect("model");
                match own {
                    Some(Value::Object(item)) => self.record(item_model, item, Some(record), None),
                    Some(Value::Array(items)) => {
                        for (i, item) in items.iter().enumerate() {
                            let item = item.as_object().expect("an item");
                            self.record(item_model, item, Some(record), Some(i));
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// Every declaration of the spec holds over its seeded records; returns the checks per key.
    fn declarations_hold(schema: &Schema, records: usize) -> BTreeMap<&'static str, usize> {
        let store = seed(schema, records, 9);
        let mut checker = Checker {
            schema,
            store: &store,
            checked: BTreeMap::new(),
        };
        for (r, resource) in schema.spec.resources.iter().enumerate() {
            let Some(model) = schema.resource_model(r) else {
                continue;
            };
            for (id, record) in store.records(&resource.name) {
                let record = record.as_object().expect("a record");
                checker.record(model, record, None, None);
                for f in model.fields.iter().filter(|f| f.sandbox.sequence) {
                    assert_eq!(record[&f.wire_name], id, "{}", f.wire_name);
                    *checker.checked.entry("sequence").or_default() += 1;
                }
            }
        }
        checker.checked
    }

    #[test]
    fn every_declared_relation_holds_over_seeded_records() {
        let keys =
            |counts: &BTreeMap<&'static str, usize>| counts.keys().copied().collect::<Vec<_>>();
        let billomat = declarations_hold(&schema("billomat"), 300);
        assert_eq!(
            keys(&billomat),
            [
                "computed",
                "copy",
                "drawn_with",
                "index_of",
                "only_with",
                "range",
                "references",
                "sequence",
                "stamp",
                "template"
            ],
            "{billomat:?}"
        );
        let cloudspot = declarations_hold(&schema("cloudspot"), 300);
        assert_eq!(
            keys(&cloudspot),
            [
                "computed",
                "copy",
                "drawn_with",
                "first_only",
                "index_of",
                "range",
                "sequence",
                "template",
                "true_if"
            ],
            "{cloudspot:?}"
        );
        let shop = declarations_hold(&shop(), 100);
        for key in [
            "computed",
            "copy",
            "drawn_with",
            "first_only",
            "index_of",
            "only_with",
            "range",
            "references",
            "template",
            "true_if",
        ] {
            assert!(shop.contains_key(key), "{key}: {shop:?}");
        }
    }

    fn shop() -> Schema {
        Schema::new(
            erp_spec::parse_str("shop.yaml", include_str!("../tests/fixtures/shop.yaml"))
                .expect("fixture spec"),
        )
    }

    fn f64_of(value: &Value) -> f64 {
        value.as_f64().expect("number")
    }

    #[test]
    fn examples_drawn_with_each_other_are_dealt_together_and_without_repeats() {
        let schema = shop();
        let store = seed(&schema, 14, 3);
        let names: Vec<&str> = store
            .records("products")
            .map(|(_, p)| p["naam"].as_str().expect("naam"))
            .collect();
        let mut first_round = names[..7].to_vec();
        first_round.sort_unstable();
        first_round.dedup();
        assert_eq!(
            first_round.len(),
            7,
            "7 records, 7 different names: {names:?}"
        );
        for (_, customer) in store.records("customers") {
            let pair = (
                customer["salutation"].as_str(),
                customer["first_name"].as_str(),
            );
            assert!(
                [
                    ("Herr", "Max"),
                    ("Frau", "Erika"),
                    ("Herr", "Jonas"),
                    ("Frau", "Mia")
                ]
                .contains(&(pair.0.expect("salutation"), pair.1.expect("first_name"))),
                "{pair:?}"
            );
            let town = (
                &customer["zip"],
                &customer["city"],
                &customer["country_code"],
            );
            assert!(
                [
                    ("80331", "München", "DE"),
                    ("1010", "Wien", "AT"),
                    ("8001", "Zürich", "CH")
                ]
                .iter()
                .any(|(z, c, l)| town.0 == z && town.1 == c && town.2 == l),
                "{town:?}"
            );
        }
        let mut texts_seen = 0;
        for (_, product) in store.records("products") {
            let texts = product["texts"].as_array().expect("texts");
            let languages: Vec<&str> = texts.iter().filter_map(|t| t["taal"].as_str()).collect();
            let mut distinct = languages.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(languages.len(), distinct.len(), "one text per language");
            for text in texts {
                texts_seen += 1;
                let expected = match text["taal"].as_str() {
                    Some("nl") => ("Nederlands", "Zeep"),
                    Some("fr") => ("Français", "Savon"),
                    _ => ("English", "Soap"),
                };
                assert_eq!(text["taal_display"], expected.0);
                assert_eq!(text["text"], expected.1);
            }
        }
        assert!(texts_seen > 0);
    }

    #[test]
    fn shop_records_agree_with_themselves() {
        let schema = shop();
        let store = seed(&schema, 12, 5);
        let mut prices_and_photos = 0;
        for (id, product) in store.records("products") {
            assert_eq!(product["SKU"], format!("ART-{id:04}"));
            assert_eq!(
                product["product_url"],
                format!("https://shop.example.com/p/{id}")
            );
            let rate = f64_of(&product["BTW"]);
            let excl = f64_of(&product["verkoopprijs_excl"]);
            let incl = f64_of(&product["verkoopprijs_incl"]);
            assert!(
                (incl - excl * (1.0 + rate / 100.0)).abs() < 0.006,
                "{product}"
            );
            let purchase = f64_of(&product["inkoopprijs_excl"]);
            assert!(purchase <= excl * 0.8 + 0.01 && purchase >= excl * 0.4 - 0.01);
            for price in product["prices"].as_array().expect("prices") {
                let discount = f64_of(&price["korting"]);
                let item_excl = f64_of(&price["verkoopprijs_excl"]);
                assert!((item_excl - excl * (1.0 - discount / 100.0)).abs() < 0.006);
                let item_incl = f64_of(&price["verkoopprijs_incl"]);
                assert!((item_incl - item_excl * (1.0 + rate / 100.0)).abs() < 0.006);
            }
            let photos = product["photos"].as_array().expect("photos");
            prices_and_photos += photos.len() + product["prices"].as_array().map_or(0, Vec::len);
            let main_photos: Vec<bool> = photos.iter().map(|p| p["is_hoofdfoto"] == true).collect();
            if !photos.is_empty() {
                assert!(main_photos[0] && main_photos.iter().filter(|m| **m).count() == 1);
            }
            let merk_id = ["Ecosy", "Natura", "Vlasbloem"]
                .iter()
                .position(|m| product["merk"] == *m)
                .expect("merk") as i64
                + 1;
            assert_eq!(product["merk_id"], merk_id);
            let main = &product["categorieen"][0];
            assert_eq!(product["categorie_id"], main["id"]);
            assert_eq!(product["categorie"], main["naam"]);
            assert!(
                store
                    .get("categories", main["id"].as_i64().expect("id"))
                    .is_some()
            );
        }
        assert!(prices_and_photos > 0);
        let mut held = Vec::new();
        for (id, category) in store.records("categories") {
            for child in category["children"].as_array().expect("children") {
                let child_id = child["id"].as_i64().expect("id");
                assert!(child_id < id);
                assert_eq!(store.get("categories", child_id), Some(child));
                held.push(child_id);
            }
        }
        let count = held.len();
        held.sort_unstable();
        held.dedup();
        assert_eq!(held.len(), count, "a category has one parent");
        for (_, customer) in store.records("customers") {
            let net = f64_of(&customer["revenue_net"]);
            assert!((f64_of(&customer["revenue_gross"]) - net * 1.19).abs() < 0.006);
            assert_eq!(
                customer["is_bedrijf"],
                customer["bedrijfsnaam"] != "",
                "{customer}"
            );
            if customer["mandate"] == "" {
                assert!(customer.get("mandate_date").is_none());
            }
            let owner = &customer["bank_account_owner"];
            assert!(owner == "" || owner == &customer["name"], "{customer}");
        }
        let mut archived = 0;
        for (id, contact) in store.records("contacts") {
            assert_eq!(
                contact["email"],
                format!("contact{id}@example.com"),
                "like: email"
            );
            archived += usize::from(contact["archived"] == true);
            let customer = store
                .get("customers", contact["customer_id"].as_i64().expect("id"))
                .expect("customer");
            for key in ["name", "street", "zip", "city", "country_code", "phone"] {
                assert_eq!(contact[key], customer[key], "{key}");
            }
        }
        assert!(archived <= 6, "chance: 0.1 gave {archived} of 12");
        let again = seed(&schema, 12, 5);
        for resource in ["products", "categories", "customers", "contacts"] {
            assert!(
                store.records(resource).eq(again.records(resource)),
                "{resource} is deterministic"
            );
        }
    }

    #[test]
    fn cloudspot_seed_has_nested_lists_and_no_invented_ids() {
        let schema = schema("cloudspot");
        let store = seed(&schema, 25, 1);
        let artikel = store.get("artikels", 1).expect("artikel");
        assert!(artikel["fotos"].is_array() && artikel["EAN"].is_array());
        assert!(artikel["BTW"].is_number());
        let klant = store.get("klanten", 1).expect("klant");
        assert!(klant.get("id").is_none());
        assert!(klant["geboortedatum"].as_str().expect("date") < "2005");
        let nested = store
            .records("artikels")
            .flat_map(|(_, a)| a["categorieen"].as_array().cloned().unwrap_or_default());
        for category in nested {
            let id = category["id"].as_i64().expect("id");
            assert_eq!(store.get("categories", id), Some(&category));
        }
    }

    /// Levels of a category (itself included) and, per level, how many records hang there.
    fn depth(category: &Value) -> usize {
        1 + category["children"]
            .as_array()
            .map_or(0, |c| c.iter().map(depth).max().unwrap_or(0))
    }

    #[test]
    fn category_trees_are_shallow_bushy_and_made_of_real_records() {
        let schema = schema("cloudspot");
        let records = 1000;
        let store = seed(&schema, records, 1);
        let mut parent_of: BTreeMap<i64, i64> = BTreeMap::new();
        let mut most_children = 0;
        for (id, category) in store.records("categories") {
            assert!(depth(category) <= TREE_DEPTH, "category {id}: {category}");
            let children = category["children"].as_array().expect("children");
            most_children = most_children.max(children.len());
            for child in children {
                let child_id = child["id"].as_i64().expect("id");
                assert!(child_id < id, "children are earlier records");
                assert_eq!(store.get("categories", child_id), Some(child));
                assert_eq!(parent_of.insert(child_id, id), None, "one parent each");
            }
        }
        let roots = records - parent_of.len();
        assert!(
            roots * 10 < records,
            "a forest of a few big trees, not of loose records: {roots} roots"
        );
        assert!(most_children >= 3, "bushy: {most_children}");
        let deepest = store.records("categories").map(|(_, c)| depth(c)).max();
        assert_eq!(deepest, Some(TREE_DEPTH));
        // Same seed, same trees; another seed, other shapes.
        let again = seed(&schema, records, 1);
        assert!(store.records("categories").eq(again.records("categories")));
        let other = seed(&schema, records, 2);
        let shape = |s: &Store| {
            s.records("categories")
                .map(|(_, c)| c["children"].as_array().map_or(0, Vec::len))
                .collect::<Vec<_>>()
        };
        assert_ne!(shape(&store), shape(&other));
    }

    #[test]
    fn every_seeded_reference_of_every_billomat_resource_is_real() {
        let schema = schema("billomat");
        // Billomat's ~60 resources at 2,000 records each: 120,000 records, most with references.
        let records = 2_000;
        let store = seed(&schema, records, 1);
        let mut references = 0;
        for (r, resource) in schema.spec.resources.iter().enumerate() {
            let Some(model) = schema.resource_model(r) else {
                continue;
            };
            if store.len(&resource.name) == 0 {
                continue;
            }
            let expected = if resource.is_singleton() { 1 } else { records };
            assert_eq!(store.len(&resource.name), expected, "{}", resource.name);
            for field in &model.fields {
                let Some(target) = schema.reference(field) else {
                    continue;
                };
                let parents = &schema.spec.resources[target].name;
                for (id, record) in store.records(&resource.name) {
                    let parent = record[&field.wire_name].as_i64().expect("a parent id");
                    assert!(
                        store.get(parents, parent).is_some(),
                        "{} {id}: {} {parent} does not exist",
                        resource.name,
                        field.wire_name
                    );
                    references += 1;
                }
            }
        }
        assert!(references >= 2 * records, "{references}");
    }

    #[test]
    fn cloudspot_copies_refer_to_real_categories_at_twenty_thousand() {
        let schema = schema("cloudspot");
        let store = seed(&schema, 20_000, 3);
        for (id, artikel) in store.records("artikels") {
            for category in artikel["categorieen"].as_array().expect("categorieen") {
                let category_id = category["id"].as_i64().expect("id");
                assert_eq!(store.get("categories", category_id), Some(category), "{id}");
            }
            let main = &artikel["categorieen"][0];
            assert_eq!(artikel["categorie_id"], main["id"], "{id}");
        }
    }
}
