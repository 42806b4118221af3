//! Deterministic seed data: `seed_records` records per listable resource, from the field
//! examples of the spec (`sandbox: {examples: [..]}`) where it has them and synthesized by type
//! (and field name) otherwise.
//!
//! Drawing values (everything from the seed, so the same seed gives the same records):
//! - **Parallel examples**: within one record (and within one nested item), the string and enum
//!   fields whose `examples` lists have the same length (at least 2) take the example at the same
//!   position, so spec authors correlate fields by listing their examples in parallel
//!   (`taal: [nl, fr, en]` with `taal_display: [Nederlands, Français, English]`,
//!   `salutation: [Herr, Frau]` with `first_name: [Max, Erika]`). Lists of length 0 or 1 are
//!   unaffected.
//! - **Positions are dealt, not drawn**: the records of a resource take a list's positions in a
//!   shuffled order and every position once before any comes again, so `n` records show `n`
//!   different examples where there are that many; the items of one nested list do the same among
//!   themselves (one text per language, distinct photos).
//! - **Codes follow the id**: a string field whose examples all are one prefix ending in `-` or
//!   `/` followed by digits (`ART-0001`, `ART-0103`; `https://shop.example.be/p/1`) is that prefix
//!   and the record's id, zero-padded to the examples' shortest digit run: product 2 has `ART-0002`.
//! - **Trees**: a list of the resource's own records (a category's `children`) holds earlier
//!   records of the resource that no other record holds yet, so the categories form trees of real
//!   records instead of invented ones. The trees are shallow and bushy like a shop's catalogue: at
//!   most [`TREE_DEPTH`] levels, roots with 2–5 children, then 1–4, then 0–3, drawn from a stream
//!   of their own; records are dealt into them in post-order (children first), one tree after the
//!   other, so a tree holds at most 86 records whatever the number of records.
//! - **Main item of a sibling list**: an integer `<x>_id` that refers to no resource, next to a list
//!   whose name starts with `<x>` of another resource's records (`categorie_id` beside
//!   `categorieen`), is the id of the list's first item (one is added if the list is empty), and
//!   a string `<x>` with examples takes that item's name.
//! - **Numbers by name**: days up to 60, quantities up to 250, discounts up to 10 %, other
//!   percentages up to 30 %, revenues and balances up to 250 000, other amounts up to 500; flags
//!   such as `archived` or `dig_exclude` are set for one record in ten, other booleans for 40 %.
//!
//! Then the relations of [`crate::coherence`] (ids and flags that follow text, children that take
//! their parent's address, VAT and net/gross pairs, purchase below sales price) and the derived
//! fields of [`crate::derive`] are applied.

use std::collections::BTreeMap;

use chrono::{
    DateTime, Datelike, Duration as ChronoDuration, FixedOffset, NaiveDate, Offset, SecondsFormat,
    TimeZone,
};
use erp_spec::ir::{Field, Model, OperationKind, TypeRef};
use serde_json::{Map, Number, Value};

use crate::coherence;
use crate::derive;
use crate::schema::Schema;
use crate::store::Store;

/// A small deterministic PRNG (SplitMix64); no `rand` dependency.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// An independent stream for `name` under `seed`.
    pub(crate) fn for_stream(seed: u64, name: &str) -> Rng {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in name.bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        Rng::new(hash ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = hi.saturating_sub(lo).max(0) as u64;
        lo.saturating_add(self.below(span.saturating_add(1)) as i64)
    }

    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len() as u64) as usize)
    }
}

/// Seeds every resource that has a list operation, parents before children.
pub(crate) fn seed(schema: &Schema, records: usize, seed: u64) -> Store {
    let plans = coherence::Plans::new(schema);
    let facts = Facts::new(schema);
    let indexed = schema.indexed_fields();
    let mut store = Store::with_indexes(indexed.iter().map(|(r, f)| (r.as_str(), f.as_str())));
    for r in schema.seed_order() {
        let resource = &schema.spec.resources[r];
        if !resource
            .operations
            .iter()
            .any(|o| o.kind == OperationKind::List)
        {
            continue;
        }
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
                plan.amounts(&plans, map, None, &BTreeMap::new(), &mut rng);
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

/// Example positions dealt to records: per list length, every position once (in random order)
/// before any comes again.
#[derive(Debug, Default)]
struct Deck {
    piles: BTreeMap<usize, Vec<usize>>,
}

impl Deck {
    fn deal(&mut self, rng: &mut Rng, len: usize) -> usize {
        let pile = self.piles.entry(len).or_default();
        if pile.is_empty() {
            pile.extend(0..len);
        }
        let i = rng.below(pile.len() as u64) as usize;
        pile.swap_remove(i)
    }
}

/// The example positions of one record: one per list length, dealt from a [`Deck`].
struct Draw<'d> {
    deck: &'d mut Deck,
    positions: BTreeMap<usize, usize>,
}

impl Draw<'_> {
    fn position(&mut self, rng: &mut Rng, len: usize) -> usize {
        match self.positions.get(&len) {
            Some(&p) => p,
            None => {
                let p = self.deck.deal(rng, len);
                self.positions.insert(len, p);
                p
            }
        }
    }
}

/// Fields whose examples are dealt in parallel (see the module docs).
fn is_stringish(ty: &TypeRef) -> bool {
    matches!(
        ty,
        TypeRef::String | TypeRef::Enum(_) | TypeRef::Date | TypeRef::DateTime
    )
}

/// `PREFIX-<id>` when every example is one prefix ending in `-` or `/` and digits (see the module
/// docs).
#[cfg(test)]
fn code_for_id(examples: &[String], id: i64) -> Option<String> {
    let (prefix, width) = code_pattern(examples)?;
    Some(format!("{prefix}{id:0width$}"))
}

/// The prefix and digit count of codes that follow the id (see [`code_for_id`]).
fn code_pattern(examples: &[String]) -> Option<(String, usize)> {
    let first = examples.first()?;
    let prefix = first.trim_end_matches(|c: char| c.is_ascii_digit());
    let stem = prefix.strip_suffix(['-', '/'])?;
    if !stem.chars().any(char::is_alphanumeric) {
        return None;
    }
    let mut width = usize::MAX;
    for example in examples {
        let digits = example.strip_prefix(prefix)?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        width = width.min(digits.len());
    }
    Some((prefix.to_owned(), width))
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
    /// The wire name in lowercase, which the rules by name look at.
    lower: String,
    /// A linked collection: rendered from the child resource's records, not stored.
    linked: bool,
    /// A datetime set to the record's creation or update time.
    stamp: Option<Stamp>,
    /// The resource an integer `<singular>_id` refers to.
    referenced: Option<usize>,
    /// `(prefix, digits)` of a code that follows the id (see [`code_for_id`]).
    code: Option<(String, usize)>,
    /// Each example as a value of the field's type (`None` where it is not one).
    parsed: Vec<Option<Value>>,
    /// For lists of a model: the resource whose records follow it, and the model.
    item_resource: Option<usize>,
    item_model: Option<&'s Model>,
    /// How a value without examples is made up.
    synth: Synth,
}

/// How a value is made up for a field without (usable) examples, by the field's lowercase name.
#[derive(Debug)]
struct Synth {
    text: TextKind,
    integer: IntegerKind,
    number: NumberKind,
    /// Booleans such as `archived` or `dig_exclude`, true for one record in ten (else 40 %).
    rare: bool,
    /// Dates of birth: 1950–2004 (else 2018–2025).
    birth: bool,
}

/// Strings by name: e-mail addresses, IBANs, BICs, web addresses, phone numbers, empty custom
/// fields, digit strings for numbers and postcodes, else the humanized name and the id.
#[derive(Debug)]
enum TextKind {
    Email,
    Iban,
    Swift,
    Url,
    Phone,
    Empty,
    Digits(usize),
    Named(String),
}

/// Integers by name: `<x>_length` 0, numbers after 1000, else up to 30.
#[derive(Debug, Clone, Copy)]
enum IntegerKind {
    Zero,
    Number,
    Small,
}

/// Numbers by name: days up to 60, quantities up to 250, discounts up to 10 %, other percentages
/// up to 30 %, revenues and balances up to 250 000, other amounts up to 500.
#[derive(Debug, Clone, Copy)]
enum NumberKind {
    Days,
    Quantity,
    Discount,
    Revenue,
    Rate,
    Amount,
}

impl Synth {
    fn new(name: &str) -> Synth {
        let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
        let text = if has(&["email", "e_mail"]) {
            TextKind::Email
        } else if name.contains("iban") {
            TextKind::Iban
        } else if has(&["swift", "bic"]) {
            TextKind::Swift
        } else if name.contains("url") || name == "www" || name.contains("website") {
            TextKind::Url
        } else if has(&["phone", "fax", "mobile", "telefoon", "gsm"]) {
            TextKind::Phone
        } else if name.contains("customfield") {
            TextKind::Empty
        } else if name.ends_with("_number")
            || name.contains("nummer")
            || name == "zip"
            || name.contains("postcode")
        {
            TextKind::Digits(if name == "zip" || name.contains("postcode") {
                5
            } else {
                10
            })
        } else {
            TextKind::Named(crate::schema::humanize(name))
        };
        let integer = if name.ends_with("_length") {
            IntegerKind::Zero
        } else if has(&["number", "nummer"]) {
            IntegerKind::Number
        } else {
            IntegerKind::Small
        };
        let number = if has(&["days", "dagen"]) {
            NumberKind::Days
        } else if has(&["voorraad", "stock", "quantity", "units", "aantal"]) {
            NumberKind::Quantity
        } else if has(&["reduction", "korting", "discount", "rabatt", "skonto"]) {
            NumberKind::Discount
        } else if has(&["revenue", "omzet", "umsatz", "turnover", "balance", "saldo"]) {
            NumberKind::Revenue
        } else if has(&["rate", "percent", "btw", "vat", "tax"]) {
            NumberKind::Rate
        } else {
            NumberKind::Amount
        };
        Synth {
            text,
            integer,
            number,
            rare: has(&["archiv", "delete", "inactive", "blocked", "exclude"]),
            birth: has(&["birth", "geboorte"]),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stamp {
    Created,
    Updated,
}

/// An integer `<x>_id` beside lists `<x>...` of another resource's records (see
/// [`Generator::main_of_sibling_list`]).
#[derive(Debug)]
struct SiblingRule<'s> {
    id_field: &'s Field,
    /// Candidate lists in field order, with their resource and the item field that names an item
    /// (a string field sharing an example with `<x>`); the first from another resource than the
    /// one being seeded is used.
    lists: Vec<(&'s Field, usize, Option<&'s Field>)>,
    /// The string field `<x>`.
    named: Option<&'s Field>,
}

/// Per-model facts of the generator.
#[derive(Debug)]
struct ModelFacts<'s> {
    fields: Vec<FieldFacts<'s>>,
    siblings: Vec<SiblingRule<'s>>,
    /// Indexes of the fields that refer to another resource, in field order.
    references: Vec<(usize, usize)>,
    refresh: derive::Refresh<'s>,
}

impl<'s> ModelFacts<'s> {
    fn new(schema: &'s Schema, model: &'s Model) -> ModelFacts<'s> {
        let fields = model
            .fields
            .iter()
            .map(|field| {
                let lower = field.wire_name.to_ascii_lowercase();
                let stamp = if field.ty != TypeRef::DateTime {
                    None
                } else if lower.contains("created") {
                    Some(Stamp::Created)
                } else if ["updated", "modified", "changed"]
                    .iter()
                    .any(|w| lower.contains(w))
                {
                    Some(Stamp::Updated)
                } else {
                    None
                };
                let item_name = match &field.ty {
                    TypeRef::List(inner) => match inner.as_ref() {
                        TypeRef::Model(name) => Some(name),
                        _ => None,
                    },
                    _ => None,
                };
                FieldFacts {
                    linked: schema.link(&model.name, &field.wire_name).is_some(),
                    stamp,
                    referenced: schema.referenced_resource(&field.wire_name),
                    code: code_pattern(&field.examples),
                    parsed: field
                        .examples
                        .iter()
                        .map(|e| from_example(schema, &field.ty, e))
                        .collect(),
                    item_resource: item_name.and_then(|n| schema.resource_of_model(n)),
                    item_model: item_name.and_then(|n| schema.model(n)),
                    synth: Synth::new(&lower),
                    lower,
                }
            })
            .collect();
        ModelFacts {
            fields,
            siblings: sibling_rules(schema, model),
            references: model
                .fields
                .iter()
                .enumerate()
                .filter_map(|(i, f)| Some((i, schema.referenced_resource(&f.wire_name)?)))
                .collect(),
            refresh: derive::Refresh::new(model),
        }
    }
}

fn sibling_rules<'s>(schema: &'s Schema, model: &'s Model) -> Vec<SiblingRule<'s>> {
    let mut rules = Vec::new();
    for id_field in model.fields.iter().filter(|f| f.ty == TypeRef::Integer) {
        let Some(stem) = id_field.wire_name.strip_suffix("_id") else {
            continue;
        };
        if stem.is_empty() || schema.referenced_resource(&id_field.wire_name).is_some() {
            continue;
        }
        let named = model.fields.iter().find(|f| f.wire_name == stem);
        let lists = model
            .fields
            .iter()
            .filter_map(|f| {
                let TypeRef::List(inner) = &f.ty else {
                    return None;
                };
                let TypeRef::Model(item_model) = inner.as_ref() else {
                    return None;
                };
                let source = schema.resource_of_model(item_model)?;
                if !(f.wire_name.starts_with(stem) && f.wire_name != stem) {
                    return None;
                }
                let name_field = match (named, schema.model(item_model)) {
                    (Some(named), Some(item_model)) => item_model.fields.iter().find(|f| {
                        f.ty == TypeRef::String
                            && f.examples.iter().any(|e| named.examples.contains(e))
                    }),
                    _ => None,
                };
                Some((f, source, name_field))
            })
            .collect();
        rules.push(SiblingRule {
            id_field,
            lists,
            named,
        });
    }
    rules
}

/// The facts of every model of a spec.
#[derive(Debug)]
struct Facts<'s> {
    models: BTreeMap<&'s str, ModelFacts<'s>>,
}

impl<'s> Facts<'s> {
    fn new(schema: &'s Schema) -> Facts<'s> {
        Facts {
            models: schema
                .spec
                .models
                .iter()
                .map(|m| (m.name.as_str(), ModelFacts::new(schema, m)))
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
    plans: &'a coherence::Plans<'s>,
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
                local = ModelFacts::new(self.schema, model);
                &local
            }
        };
        let created = self.datetime_between(2018, 2024);
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
            let value = match facts.stamp {
                Some(Stamp::Created) => Some(Value::String(rfc3339(created))),
                Some(Stamp::Updated) => Some(Value::String(rfc3339(updated))),
                None => self.field(field, facts, id, depth, &mut draw),
            };
            if let Some(value) = value {
                map.insert(field.wire_name.clone(), value);
            }
        }
        if depth == 0 {
            self.follow_parent(model, facts, &mut map);
        }
        match self.plans.get(model) {
            Some(plan) => plan.links(&mut map),
            None => coherence::Plan::new(self.schema, model).links(&mut map),
        }
        self.main_of_sibling_list(facts, &mut map);
        facts.refresh.apply(&mut map);
        Value::Object(map)
    }

    /// The first reference to another resource's record: fields taken from that record.
    fn follow_parent(
        &mut self,
        model: &Model,
        facts: &ModelFacts<'_>,
        map: &mut Map<String, Value>,
    ) {
        let parent = facts.references.iter().find_map(|&(i, target)| {
            let id = map.get(&model.fields[i].wire_name)?.as_i64()?;
            (target != self.resource).then_some((target, id))
        });
        let Some((target, id)) = parent else { return };
        let name = &self.schema.spec.resources[target].name;
        if let Some(Value::Object(parent)) = self.store.get(name, id) {
            let inherited = self.plans.inherited(self.resource, target);
            coherence::follow_parent(inherited, map, parent);
        }
    }

    /// `<x>_id` (and `<x>`) from the first item of a list `<x>...` of another resource's records.
    fn main_of_sibling_list(&mut self, facts: &ModelFacts<'_>, map: &mut Map<String, Value>) {
        for rule in &facts.siblings {
            let sibling = rule
                .lists
                .iter()
                .find(|(_, source, _)| *source != self.resource);
            let Some(&(list, source, name_field)) = sibling else {
                continue;
            };
            let Some(Value::Array(items)) = map.get_mut(&list.wire_name) else {
                continue;
            };
            if items.is_empty() {
                let name = &self.schema.spec.resources[source].name;
                let pick = self.rng.below(self.store.len(name) as u64) as usize;
                match self.store.nth(name, pick) {
                    Some((_, record)) => items.push(record.clone()),
                    None => continue,
                }
            }
            // Only the main item's id and name are needed, not a copy of it (and its subtree).
            let main = &items[0];
            let id = main.get("id").filter(|v| v.is_i64()).cloned();
            // The item's name: its string field that shares an example with `<x>`.
            let name = match (rule.named, name_field) {
                (Some(named), Some(f)) => main.get(&f.wire_name).map(|v| (named, v.clone())),
                _ => None,
            };
            if let Some(id) = id {
                map.insert(rule.id_field.wire_name.clone(), id);
            }
            if let Some((named, value)) = name {
                map.insert(named.wire_name.clone(), value);
            }
        }
    }

    fn field(
        &mut self,
        field: &Field,
        facts: &FieldFacts<'s>,
        id: i64,
        depth: usize,
        draw: &mut Draw,
    ) -> Option<Value> {
        let name = facts.lower.as_str();
        if field.ty == TypeRef::Integer {
            if name == "id" {
                return Some(Value::from(if depth == 0 {
                    id
                } else {
                    self.rng.range(100, 999)
                }));
            }
            if let Some(target) = facts.referenced {
                let name = &self.schema.spec.resources[target].name;
                let pick = self.rng.below(self.store.len(name) as u64) as usize;
                if let Some((parent, _)) = self.store.nth(name, pick) {
                    return Some(Value::from(parent));
                }
            }
            if name == "number" && depth == 0 {
                return Some(Value::from(id));
            }
        }
        if let TypeRef::List(inner) = &field.ty {
            return Some(self.list(field, facts, inner, id, depth));
        }
        if field.ty == TypeRef::String
            && depth == 0
            && let Some((prefix, width)) = &facts.code
        {
            return Some(Value::String(format!("{prefix}{id:0width$}")));
        }
        let count = field.examples.len();
        let position = if is_stringish(&field.ty) && count >= 2 {
            draw.position(self.rng, count)
        } else {
            // As `Rng::pick`: no draw when there are no examples.
            self.rng.below(count as u64) as usize
        };
        if let Some(Some(value)) = facts.parsed.get(position) {
            return Some(value.clone());
        }
        self.synthesize(&field.ty, &facts.synth, id, depth)
    }

    fn list(
        &mut self,
        field: &Field,
        facts: &FieldFacts<'s>,
        inner: &TypeRef,
        id: i64,
        depth: usize,
    ) -> Value {
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
                    let count = self.rng.range(0, 2);
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
            let count = self.rng.range(0, 2);
            let mut deck = Deck::default();
            let mut items: Vec<Value> = (0..count)
                .map(|_| self.record(model, 0, depth + 1, &mut deck))
                .collect();
            match self.plans.get(model) {
                Some(plan) => plan.mark_main_item(&mut items),
                None => coherence::Plan::new(self.schema, model).mark_main_item(&mut items),
            }
            return Value::Array(items);
        }
        let count = self.rng.range(1, 2);
        let mut items = Vec::new();
        for _ in 0..count {
            // As `Rng::pick`: no draw when there are no examples.
            let position = self.rng.below(field.examples.len() as u64) as usize;
            let value = match facts.parsed.get(position) {
                Some(Some(value)) => Some(value.clone()),
                _ => self.synthesize(inner, &facts.synth, id, depth),
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

    fn synthesize(&mut self, ty: &TypeRef, synth: &Synth, id: i64, depth: usize) -> Option<Value> {
        Some(match ty {
            TypeRef::String => Value::String(self.string(&synth.text, id)),
            TypeRef::Integer => match synth.integer {
                IntegerKind::Zero => Value::from(0),
                IntegerKind::Number => Value::from(if depth == 0 {
                    1000 + id
                } else {
                    self.rng.range(1000, 9999)
                }),
                IntegerKind::Small => Value::from(self.rng.range(1, 30)),
            },
            TypeRef::Number => self.number(synth.number),
            TypeRef::Decimal => match self.number(synth.number) {
                Value::Number(n) => Value::String(format!("{:.2}", n.as_f64().unwrap_or(0.0))),
                other => other,
            },
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
            TypeRef::Boolean => Value::Bool(self.rng.chance(if synth.rare { 10 } else { 40 })),
            TypeRef::Date => {
                let (from, to) = if synth.birth {
                    (1950, 2004)
                } else {
                    (2018, 2025)
                };
                Value::String(self.date_between(from, to).format("%Y-%m-%d").to_string())
            }
            TypeRef::DateTime => Value::String(rfc3339(self.datetime_between(2018, 2025))),
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
                self.synthesize(inner, synth, id, depth)
                    .into_iter()
                    .collect(),
            ),
        })
    }

    /// A number that fits the field's name (see [`NumberKind`]), with at most two decimals.
    fn number(&mut self, kind: NumberKind) -> Value {
        match kind {
            NumberKind::Days => Value::from(self.rng.range(0, 60)),
            NumberKind::Quantity => Value::from(self.rng.range(0, 250)),
            NumberKind::Discount => money(self.rng.range(0, 20) * 50),
            NumberKind::Revenue => money(self.rng.range(0, 25_000_000)),
            NumberKind::Rate => money(self.rng.range(0, 30) * 100 + self.rng.range(0, 1) * 50),
            NumberKind::Amount => money(self.rng.range(99, 49_999)),
        }
    }

    fn digits(&mut self, count: usize) -> String {
        (0..count)
            .map(|_| char::from(b'0' + self.rng.below(10) as u8))
            .collect()
    }

    /// A plausible string for a field without examples, guessed from its name (see
    /// [`TextKind`]).
    fn string(&mut self, kind: &TextKind, id: i64) -> String {
        match kind {
            TextKind::Email => format!("contact{id}@example.com"),
            TextKind::Iban => format!("DE{}", self.digits(20)),
            TextKind::Swift => self
                .rng
                .pick(&["COBADEFFXXX", "DEUTDEFFXXX", "GENODEM1GLS"])
                .copied()
                .unwrap_or("")
                .to_owned(),
            TextKind::Url => format!("https://www.example.com/{id}"),
            TextKind::Phone => format!("+49 30 {}", self.digits(7)),
            TextKind::Empty => String::new(),
            TextKind::Digits(len) => self.digits(*len),
            TextKind::Named(humanized) => format!("{humanized} {id}"),
        }
    }

    fn date_between(&mut self, from_year: i32, to_year: i32) -> NaiveDate {
        let start = NaiveDate::from_ymd_opt(from_year, 1, 1).unwrap_or_default();
        let end = NaiveDate::from_ymd_opt(to_year, 12, 31).unwrap_or_default();
        let days = (end - start).num_days();
        start + ChronoDuration::days(self.rng.range(0, days))
    }

    fn datetime_between(&mut self, from_year: i32, to_year: i32) -> DateTime<FixedOffset> {
        let date = self.date_between(from_year, to_year);
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
    fn rng_is_deterministic_and_in_range() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            let x = a.range(3, 5);
            assert_eq!(x, b.range(3, 5));
            assert!((3..=5).contains(&x));
        }
        assert_eq!(a.below(0), 0);
        assert_ne!(
            Rng::for_stream(1, "clients").next_u64(),
            Rng::for_stream(1, "contacts").next_u64()
        );
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
    fn codes_follow_the_id() {
        let examples = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let sku = examples(&["ART-0001", "ART-0002", "ART-2044"]);
        assert_eq!(code_for_id(&sku, 2).as_deref(), Some("ART-0002"));
        assert_eq!(code_for_id(&sku, 12345).as_deref(), Some("ART-12345"));
        let urls = examples(&["https://x.example/p/1", "https://x.example/p/22"]);
        assert_eq!(
            code_for_id(&urls, 7).as_deref(),
            Some("https://x.example/p/7")
        );
        for other in [
            examples(&["ART-0001", ""]),
            examples(&["ART-0001", "NR-0002"]),
            examples(&["5410000000017", "5410000000024"]),
            examples(&["BE0123456789"]),
            examples(&["-12"]),
            Vec::new(),
        ] {
            assert_eq!(code_for_id(&other, 3), None, "{other:?}");
        }
    }

    #[test]
    fn parallel_examples_are_dealt_together_and_without_repeats() {
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
        for (_, contact) in store.records("contacts") {
            let customer = store
                .get("customers", contact["customer_id"].as_i64().expect("id"))
                .expect("customer");
            for key in ["name", "street", "zip", "city", "country_code", "phone"] {
                assert_eq!(contact[key], customer[key], "{key}");
            }
        }
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
    fn twenty_thousand_records_seed_and_every_reference_is_real() {
        let schema = schema("billomat");
        let records = 20_000;
        let store = seed(&schema, records, 1);
        let mut references = 0;
        for (r, resource) in schema.spec.resources.iter().enumerate() {
            let Some(model) = schema.resource_model(r) else {
                continue;
            };
            if store.len(&resource.name) == 0 {
                continue;
            }
            assert_eq!(store.len(&resource.name), records, "{}", resource.name);
            for field in &model.fields {
                let Some(target) = schema.referenced_resource(&field.wire_name) else {
                    continue;
                };
                if field.wire_name == "id" {
                    continue;
                }
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
