//! Relations between the fields of a generated record, so that seed data reads like an account's
//! data instead of independent draws. Every rule is recognised from field names, types and
//! examples of the spec, never from a vendor's name; records created or changed over HTTP are left
//! as the client sent them.
//!
//! Text and flags ([`links`], run on every generated record and nested item):
//! - **Ids follow names**: an integer `<x>_id` that refers to no resource, next to a string `<x>`
//!   with examples, is the 1-based position of `<x>`'s value among those examples, so every product
//!   of brand `Natura` has the same `merk_id`.
//! - **Mirrored examples**: a string field whose non-empty examples (at least two) are a strict
//!   subset of another string field's examples repeats that field's value whenever it is not empty
//!   (`bank_account_owner: [Musterfirma GmbH, Beispiel AG, ""]` next to `name` gives the client's
//!   own name as account holder).
//! - **Flags follow text**: a boolean `is_<w>` next to a string field whose name starts with `<w>`
//!   and whose examples include `""` is true exactly when that field is not empty (`is_bedrijf`
//!   and `bedrijfsnaam`).
//! - **Dates follow what they date**: a date or datetime `<x>_date` / `<x>_datum` is left out when
//!   the string `<x>` is empty (no `sepa_mandate_date` without a `sepa_mandate`).
//!
//! Children ([`follow_parent`]): a record that refers to a record of another resource
//! (`client_id`) takes from it the string fields both models have that the child's spec gives no
//! examples for (phone, locale, ...), and, when both models have a postal address (two of street,
//! postal code and town), the organisation name and the whole address: a contact works at its
//! client's address.
//!
//! Nested lists ([`mark_main_item`]): a boolean of list items that marks the main one (a name with
//! the word `main` or `primary`, or starting with `hoofd` or `haupt`, like `is_hoofdfoto`) is true
//! for the first item only.
//!
//! Amounts ([`amounts`], run once per record over the record and its generated nested items;
//! results are rounded to cents):
//! - **Purchase below sales**: number fields `<a><rest>` and `<b><rest>` where `<a>` is `inkoop`
//!   or `purchase` and `<b>` is `verkoop` or `sales` (`inkoopprijs_excl` / `verkoopprijs_excl`):
//!   the purchase amount is 40–80 % of the sales amount.
//! - **Nested prices follow the parent**: a number field `<x>_excl` or `<x>_net` of a nested item
//!   that the parent record has too is the parent's amount less the item's discount percentage
//!   (a number field named with `korting`, `discount`, `reduction` or `rabatt`), or 70–100 % of it
//!   without such a field.
//! - **VAT pairs**: `<x>_incl` = `<x>_excl` × (1 + rate / 100), where the rate is the record's
//!   number field `btw`, `vat`, `vat_rate` or `tax_rate` (any case), else the parent record's, else
//!   21.
//! - **Net and gross**: `<x>_gross` = `<x>_net` × 1.19, or with the record's own rate field.

use std::collections::BTreeMap;

use erp_spec::ir::{Field, Model, TypeRef};
use serde_json::{Map, Number, Value};

use crate::schema::Schema;
use crate::seed::Rng;

/// Number fields holding the VAT percentage of their record (compared case-insensitively).
const RATE_FIELDS: &[&str] = &["btw", "vat", "vat_rate", "tax_rate"];
/// VAT percentage of `_excl`/`_incl` pairs in records without a rate field.
const DEFAULT_VAT: f64 = 21.0;
/// VAT percentage of `_net`/`_gross` pairs in records without a rate field.
const DEFAULT_NET_GROSS_VAT: f64 = 19.0;
/// Stems of purchase and sales amounts.
const PURCHASE: &[&str] = &["inkoop", "purchase"];
const SALES: &[&str] = &["verkoop", "sales"];
/// Words of a discount percentage field.
const DISCOUNT: &[&str] = &["korting", "discount", "reduction", "rabatt"];

fn field<'a>(model: &'a Model, name: &str) -> Option<&'a Field> {
    model.fields.iter().find(|f| f.wire_name == name)
}

fn is_scalar_text(ty: &TypeRef) -> bool {
    matches!(ty, TypeRef::String | TypeRef::Enum(_))
}

fn non_empty_examples(field: &Field) -> Vec<&str> {
    field
        .examples
        .iter()
        .map(String::as_str)
        .filter(|e| !e.is_empty())
        .collect()
}

/// The rules of one model, worked out once from the spec (they depend on field names, types and
/// examples only) and then applied to every record of the model: seeding applies them hundreds of
/// thousands of times.
#[derive(Debug)]
pub(crate) struct Plan<'m> {
    /// `(<x>_id, <x>)`: ids that follow names.
    ids: Vec<(&'m Field, &'m Field)>,
    /// `(target, source)`: mirrored examples.
    mirrors: Vec<(&'m Field, &'m Field)>,
    /// `(is_<w>, <w>...)`: flags that follow text.
    flags: Vec<(&'m Field, &'m Field)>,
    /// `(<x>_date, <x>)`: dates that follow what they date.
    dates: Vec<(&'m Field, &'m str)>,
    /// The record's own VAT percentage field.
    rate: Option<&'m Field>,
    /// The discount percentage field of nested items.
    discount: Option<&'m Field>,
    /// Number fields `<x>_excl` and `<x>_net`, which nested items take from their parent.
    parent_prices: Vec<&'m Field>,
    /// `(purchase, sales)` amounts.
    purchase_sales: Vec<(&'m Field, &'m Field)>,
    /// `(<x>_excl, <x>_incl)`.
    vat_pairs: Vec<(&'m str, String)>,
    /// `(<x>_net, <x>_gross)`.
    net_gross: Vec<(&'m str, String)>,
    /// Nested generated items (not another resource's records) and their model.
    nested: Vec<(&'m Field, &'m Model)>,
    /// Booleans of list items that mark the main one.
    main_flags: Vec<&'m Field>,
}

impl<'m> Plan<'m> {
    pub(crate) fn new(schema: &'m Schema, model: &'m Model) -> Plan<'m> {
        Plan {
            ids: ids_follow_names(schema, model),
            mirrors: mirror_examples(model),
            flags: flags_follow_text(model),
            dates: dates_follow_text(model),
            rate: number_fields(model)
                .find(|f| RATE_FIELDS.contains(&f.wire_name.to_ascii_lowercase().as_str())),
            discount: number_fields(model).find(|f| {
                let lower = f.wire_name.to_ascii_lowercase();
                DISCOUNT.iter().any(|w| lower.contains(w))
            }),
            parent_prices: number_fields(model)
                .filter(|f| f.wire_name.ends_with("_excl") || f.wire_name.ends_with("_net"))
                .collect(),
            purchase_sales: purchase_and_sales(model),
            vat_pairs: pairs(model, "_excl", "_incl"),
            net_gross: pairs(model, "_net", "_gross"),
            nested: model
                .fields
                .iter()
                .filter_map(|f| {
                    let inner = match &f.ty {
                        TypeRef::Model(name) => name,
                        TypeRef::List(inner) => match inner.as_ref() {
                            TypeRef::Model(name) => name,
                            _ => return None,
                        },
                        _ => return None,
                    };
                    if schema.resource_of_model(inner).is_some() {
                        return None;
                    }
                    Some((f, schema.model(inner)?))
                })
                .collect(),
            main_flags: main_item_flags(model).collect(),
        }
    }

    /// The main-item flag is true for the first item of a nested list only (see the module docs).
    pub(crate) fn mark_main_item(&self, items: &mut [Value]) {
        for flag in &self.main_flags {
            for (i, item) in items.iter_mut().enumerate() {
                if let Value::Object(item) = item {
                    item.insert(flag.wire_name.clone(), Value::Bool(i == 0));
                }
            }
        }
    }

    /// The relations between text, ids, flags and dates of one record (see the module docs).
    pub(crate) fn links(&self, record: &mut Map<String, Value>) {
        for (id, named) in &self.ids {
            let Some(value) = record.get(&named.wire_name).and_then(Value::as_str) else {
                continue;
            };
            if let Some(position) = named.examples.iter().position(|e| e == value)
                && !value.is_empty()
            {
                record.insert(id.wire_name.clone(), Value::from(position as i64 + 1));
            }
        }
        for (target, source) in &self.mirrors {
            let drawn = record.get(&target.wire_name).and_then(Value::as_str);
            if drawn.is_some_and(|d| !d.is_empty())
                && let Some(value) = record.get(&source.wire_name).cloned()
            {
                record.insert(target.wire_name.clone(), value);
            }
        }
        for (flag, text) in &self.flags {
            if let Some(value) = record.get(&text.wire_name).and_then(Value::as_str) {
                let set = !value.trim().is_empty();
                record.insert(flag.wire_name.clone(), Value::Bool(set));
            }
        }
        for (date, stem) in &self.dates {
            if record
                .get(*stem)
                .and_then(Value::as_str)
                .is_some_and(|v| v.trim().is_empty())
            {
                record.remove(&date.wire_name);
            }
        }
    }
}

/// The plans of every model of a spec, and the fields each resource's records inherit from the
/// records of each other resource.
#[derive(Debug)]
pub(crate) struct Plans<'m> {
    plans: BTreeMap<&'m str, Plan<'m>>,
    /// `(child resource, parent resource)` to [`inherited_fields`].
    inherited: BTreeMap<(usize, usize), Vec<&'m Field>>,
}

impl<'m> Plans<'m> {
    pub(crate) fn new(schema: &'m Schema) -> Plans<'m> {
        let count = schema.spec.resources.len();
        let mut inherited = BTreeMap::new();
        for child in 0..count {
            for parent in (0..count).filter(|&p| p != child) {
                if let (Some(model), Some(parent_model)) =
                    (schema.resource_model(child), schema.resource_model(parent))
                {
                    inherited.insert((child, parent), inherited_fields(model, parent_model));
                }
            }
        }
        Plans {
            plans: schema
                .spec
                .models
                .iter()
                .map(|m| (m.name.as_str(), Plan::new(schema, m)))
                .collect(),
            inherited,
        }
    }

    pub(crate) fn get(&self, model: &Model) -> Option<&Plan<'m>> {
        self.plans.get(model.name.as_str())
    }

    /// What records of resource `child` take from their parent of resource `parent`.
    pub(crate) fn inherited(&self, child: usize, parent: usize) -> &[&'m Field] {
        self.inherited
            .get(&(child, parent))
            .map_or(&[][..], Vec::as_slice)
    }
}

/// The relations between text, ids, flags and dates of one record (see the module docs).
#[cfg(test)]
pub(crate) fn links(schema: &Schema, model: &Model, record: &mut Map<String, Value>) {
    Plan::new(schema, model).links(record);
}

fn ids_follow_names<'m>(schema: &Schema, model: &'m Model) -> Vec<(&'m Field, &'m Field)> {
    let mut out = Vec::new();
    for id in model.fields.iter().filter(|f| f.ty == TypeRef::Integer) {
        if schema.referenced_resource(&id.wire_name).is_some() {
            continue;
        }
        let Some(stem) = id.wire_name.strip_suffix("_id") else {
            continue;
        };
        if let Some(named) = field(model, stem).filter(|f| is_scalar_text(&f.ty)) {
            out.push((id, named));
        }
    }
    out
}

fn mirror_examples(model: &Model) -> Vec<(&Field, &Field)> {
    let mut out = Vec::new();
    for target in model.fields.iter().filter(|f| f.ty == TypeRef::String) {
        let own = non_empty_examples(target);
        if own.len() < 2 {
            continue;
        }
        // The source with the most examples that contain all of the target's.
        let source = model
            .fields
            .iter()
            .filter(|f| f.ty == TypeRef::String && f.wire_name != target.wire_name)
            .filter(|f| {
                let theirs = non_empty_examples(f);
                own.iter().all(|e| theirs.contains(e)) && theirs.iter().any(|e| !own.contains(e))
            })
            .max_by_key(|f| f.examples.len());
        if let Some(source) = source {
            out.push((target, source));
        }
    }
    out
}

fn flags_follow_text(model: &Model) -> Vec<(&Field, &Field)> {
    let mut out = Vec::new();
    for flag in model.fields.iter().filter(|f| f.ty == TypeRef::Boolean) {
        let lower = flag.wire_name.to_ascii_lowercase();
        let Some(stem) = lower.strip_prefix("is_").filter(|s| !s.is_empty()) else {
            continue;
        };
        let text = model.fields.iter().find(|f| {
            f.ty == TypeRef::String
                && f.wire_name.to_ascii_lowercase().starts_with(stem)
                && f.examples.iter().any(String::is_empty)
                && f.examples.iter().any(|e| !e.is_empty())
        });
        if let Some(text) = text {
            out.push((flag, text));
        }
    }
    out
}

fn dates_follow_text(model: &Model) -> Vec<(&Field, &str)> {
    let mut out = Vec::new();
    for date in model
        .fields
        .iter()
        .filter(|f| matches!(f.ty, TypeRef::Date | TypeRef::DateTime))
    {
        let stem = date
            .wire_name
            .strip_suffix("_date")
            .or_else(|| date.wire_name.strip_suffix("_datum"));
        if let Some(stem) = stem.filter(|s| field(model, s).is_some_and(|f| is_scalar_text(&f.ty)))
        {
            out.push((date, stem));
        }
    }
    out
}

/// Tokens of a field name (`country_code` → `country`, `code`).
fn tokens(name: &str) -> impl Iterator<Item = String> + '_ {
    name.split(['_', '-', ' '])
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
}

/// Street, postal code or town.
fn is_postal_core(name: &str) -> bool {
    tokens(name).any(|t| {
        [
            "street", "straat", "strasse", "straße", "zip", "postcode", "plz", "city", "plaats",
            "town",
        ]
        .contains(&t.as_str())
    })
}

/// Any part of an organisation's postal address, its name included.
fn is_address_part(name: &str) -> bool {
    let lower = name.to_lowercase();
    is_postal_core(name)
        || ["name", "company", "company_name", "bedrijfsnaam", "firma"].contains(&lower.as_str())
        || tokens(name).any(|t| {
            [
                "country",
                "land",
                "state",
                "huisnummer",
                "busnummer",
                "housenumber",
            ]
            .contains(&t.as_str())
        })
}

/// The fields a child record of `model` takes from its parent of `parent_model` (see the module
/// docs); the same for every record of the model.
pub(crate) fn inherited_fields<'m>(model: &'m Model, parent_model: &Model) -> Vec<&'m Field> {
    let shared: Vec<&Field> = model
        .fields
        .iter()
        .filter(|f| !f.read_only && f.wire_name != "id")
        .filter(|f| field(parent_model, &f.wire_name).is_some_and(|p| p.ty == f.ty))
        .collect();
    let postal = shared
        .iter()
        .filter(|f| is_postal_core(&f.wire_name))
        .count();
    shared
        .into_iter()
        .filter(|f| {
            (f.examples.is_empty() && f.ty == TypeRef::String)
                || (postal >= 2 && is_address_part(&f.wire_name))
        })
        .collect()
}

/// A child record takes the [`inherited_fields`] from the record it refers to.
pub(crate) fn follow_parent(
    inherited: &[&Field],
    record: &mut Map<String, Value>,
    parent: &Map<String, Value>,
) {
    for f in inherited {
        if let Some(value) = parent.get(&f.wire_name) {
            record.insert(f.wire_name.clone(), value.clone());
        }
    }
}

/// Booleans that mark the main item of a list (see the module docs).
fn main_item_flags(model: &Model) -> impl Iterator<Item = &Field> {
    model.fields.iter().filter(|f| {
        f.ty == TypeRef::Boolean
            && tokens(&f.wire_name).any(|t| {
                t == "main" || t == "primary" || t.starts_with("hoofd") || t.starts_with("haupt")
            })
    })
}

/// [`Plan::mark_main_item`] for items of `model`.
#[cfg(test)]
pub(crate) fn mark_main_item(model: &Model, items: &mut [Value]) {
    let flags: Vec<&Field> = main_item_flags(model).collect();
    for flag in flags {
        for (i, item) in items.iter_mut().enumerate() {
            if let Value::Object(item) = item {
                item.insert(flag.wire_name.clone(), Value::Bool(i == 0));
            }
        }
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn number(record: &Map<String, Value>, name: &str) -> Option<f64> {
    record.get(name).and_then(Value::as_f64)
}

fn set_money(record: &mut Map<String, Value>, name: &str, value: f64) {
    if let Some(n) = Number::from_f64(round2(value)) {
        record.insert(name.to_owned(), Value::Number(n));
    }
}

fn number_fields(model: &Model) -> impl Iterator<Item = &Field> {
    model.fields.iter().filter(|f| f.ty == TypeRef::Number)
}

/// `(a, b)` for number fields `<x><from>` and `<x><to>`.
fn pairs<'m>(model: &'m Model, from: &str, to: &str) -> Vec<(&'m str, String)> {
    number_fields(model)
        .filter_map(|f| {
            let stem = f.wire_name.strip_suffix(from)?;
            let other = format!("{stem}{to}");
            number_fields(model)
                .any(|g| g.wire_name == other)
                .then_some((f.wire_name.as_str(), other))
        })
        .collect()
}

/// The rest of `name` after one of `stems`.
fn after_stem<'n>(name: &'n str, stems: &[&str]) -> Option<&'n str> {
    let lower = name.to_ascii_lowercase();
    stems
        .iter()
        .find(|s| lower.starts_with(*s))
        .map(|s| &name[s.len()..])
}

/// `(purchase, sales)` number fields with the same rest after their stems.
fn purchase_and_sales(model: &Model) -> Vec<(&Field, &Field)> {
    let mut out = Vec::new();
    for purchase in number_fields(model) {
        let Some(rest) = after_stem(&purchase.wire_name, PURCHASE) else {
            continue;
        };
        let sales = number_fields(model).find(|f| {
            after_stem(&f.wire_name, SALES).is_some_and(|r| r.eq_ignore_ascii_case(rest))
        });
        if let Some(sales) = sales {
            out.push((purchase, sales));
        }
    }
    out
}

impl Plan<'_> {
    fn purchase_below_sales(&self, record: &mut Map<String, Value>, rng: &mut Rng) {
        for (purchase, sales) in &self.purchase_sales {
            if let Some(sales) = number(record, &sales.wire_name) {
                let share = rng.range(40, 80) as f64 / 100.0;
                set_money(record, &purchase.wire_name, sales * share);
            }
        }
    }

    fn follow_parent_prices(
        &self,
        record: &mut Map<String, Value>,
        parent: &BTreeMap<String, f64>,
        rng: &mut Rng,
    ) {
        let discount = self
            .discount
            .and_then(|f| number(record, &f.wire_name))
            .map(|d| d.clamp(0.0, 100.0));
        for f in &self.parent_prices {
            let name = &f.wire_name;
            let Some(&base) = parent.get(name) else {
                continue;
            };
            let share = match discount {
                Some(d) => 1.0 - d / 100.0,
                None => rng.range(70, 100) as f64 / 100.0,
            };
            set_money(record, name, base * share);
        }
    }

    /// Makes the amounts of a record and of its generated nested items agree (see the module
    /// docs).
    ///
    /// `inherited_rate` and `parent` (the parent's number fields) are `None`/empty for a top-level
    /// record. Lists of another resource's records are copies and left alone.
    pub(crate) fn amounts(
        &self,
        plans: &Plans<'_>,
        record: &mut Map<String, Value>,
        inherited_rate: Option<f64>,
        parent: &BTreeMap<String, f64>,
        rng: &mut Rng,
    ) {
        let own = self.rate.and_then(|f| number(record, &f.wire_name));
        let rate = own.or(inherited_rate);
        self.follow_parent_prices(record, parent, rng);
        self.purchase_below_sales(record, rng);
        for (excl, incl) in &self.vat_pairs {
            if let Some(value) = number(record, excl) {
                let factor = 1.0 + rate.unwrap_or(DEFAULT_VAT) / 100.0;
                set_money(record, incl, value * factor);
            }
        }
        for (net, gross) in &self.net_gross {
            if let Some(value) = number(record, net) {
                let factor = 1.0 + own.unwrap_or(DEFAULT_NET_GROSS_VAT) / 100.0;
                set_money(record, gross, value * factor);
            }
        }
        if self.nested.is_empty() {
            return;
        }
        // The parent's amounts that items look up: only `<x>_excl`/`<x>_net` names are.
        let numbers: BTreeMap<String, f64> = self
            .parent_prices
            .iter()
            .filter_map(|f| number(record, &f.wire_name).map(|v| (f.wire_name.clone(), v)))
            .collect();
        for (f, item_model) in &self.nested {
            let Some(plan) = plans.get(item_model) else {
                continue;
            };
            match record.get_mut(&f.wire_name) {
                Some(Value::Object(item)) => plan.amounts(plans, item, rate, &numbers, rng),
                Some(Value::Array(items)) => {
                    for item in items.iter_mut().filter_map(Value::as_object_mut) {
                        plan.amounts(plans, item, rate, &numbers, rng);
                    }
                }
                _ => {}
            }
        }
    }
}

/// [`Plan::amounts`] for a record of `model`.
#[cfg(test)]
pub(crate) fn amounts(
    schema: &Schema,
    model: &Model,
    record: &mut Map<String, Value>,
    inherited_rate: Option<f64>,
    parent: &BTreeMap<String, f64>,
    rng: &mut Rng,
) {
    let plans = Plans::new(schema);
    Plan::new(schema, model).amounts(&plans, record, inherited_rate, parent, rng);
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

    fn model<'s>(schema: &'s Schema, name: &str) -> &'s Model {
        schema.model(name).expect("model")
    }

    #[test]
    fn vat_pairs_use_the_record_rate_then_the_parent_rate_then_21() {
        let schema = shop();
        let product = model(&schema, "Product");
        let mut rng = Rng::new(1);
        let mut record = object(json!({
            "BTW": 6, "verkoopprijs_excl": 10.0, "verkoopprijs_incl": 1.0,
            "inkoopprijs_excl": 99.0, "inkoopprijs_incl": 1.0,
            "prices": [{"label": "A", "korting": 10, "verkoopprijs_excl": 1.0, "verkoopprijs_incl": 1.0}],
        }));
        amounts(
            &schema,
            product,
            &mut record,
            None,
            &BTreeMap::new(),
            &mut rng,
        );
        assert_eq!(record["verkoopprijs_incl"], json!(10.6));
        let purchase = record["inkoopprijs_excl"].as_f64().expect("purchase");
        assert!((4.0..=8.0).contains(&purchase), "{purchase}");
        assert_eq!(
            record["inkoopprijs_incl"].as_f64(),
            Some(round2(purchase * 1.06))
        );
        let price = &record["prices"][0];
        assert_eq!(
            price["verkoopprijs_excl"],
            json!(9.0),
            "10 % off the parent"
        );
        assert_eq!(price["verkoopprijs_incl"], json!(9.54), "the parent's 6 %");

        record.remove("BTW");
        amounts(
            &schema,
            product,
            &mut record,
            None,
            &BTreeMap::new(),
            &mut rng,
        );
        assert_eq!(record["verkoopprijs_incl"], json!(12.1), "21 % by default");
    }

    #[test]
    fn net_and_gross() {
        let schema = shop();
        let mut record = object(json!({"revenue_net": 100.0, "revenue_gross": 3.0}));
        let customer = model(&schema, "Customer");
        amounts(
            &schema,
            customer,
            &mut record,
            None,
            &BTreeMap::new(),
            &mut Rng::new(1),
        );
        assert_eq!(record["revenue_gross"], json!(119.0));
    }

    #[test]
    fn ids_flags_dates_and_mirrors_follow_the_text() {
        let schema = shop();
        let product = model(&schema, "Product");
        let mut record = object(json!({"merk": "Natura", "merk_id": 17}));
        links(&schema, product, &mut record);
        assert_eq!(record["merk_id"], 2);

        let customer = model(&schema, "Customer");
        let mut record = object(json!({
            "name": "Beispiel AG", "bank_account_owner": "Musterfirma GmbH",
            "bedrijfsnaam": "", "is_bedrijf": true,
            "mandate": "", "mandate_date": "2024-01-01",
        }));
        links(&schema, customer, &mut record);
        assert_eq!(record["bank_account_owner"], "Beispiel AG");
        assert_eq!(record["is_bedrijf"], false);
        assert!(!record.contains_key("mandate_date"));

        let mut record = object(json!({
            "name": "Beispiel AG", "bank_account_owner": "",
            "bedrijfsnaam": "Maes & Co", "is_bedrijf": false,
            "mandate": "M-1", "mandate_date": "2024-01-01",
        }));
        links(&schema, customer, &mut record);
        assert_eq!(record["bank_account_owner"], "", "no account, no holder");
        assert_eq!(record["is_bedrijf"], true);
        assert_eq!(record["mandate_date"], "2024-01-01");
    }

    #[test]
    fn contacts_take_the_address_and_unexampled_fields_of_their_customer() {
        let schema = shop();
        let customer = object(json!({
            "name": "Beispiel AG", "street": "Hauptstraße 12", "zip": "80331", "city": "München",
            "country_code": "DE", "phone": "+49 89 123", "first_name": "Max",
        }));
        let mut contact = object(json!({
            "customer_id": 1, "name": "Musterfirma GmbH", "street": "Musterstraße 1",
            "zip": "10115", "city": "Berlin", "country_code": "AT", "phone": "+43 1 999",
            "first_name": "Erika",
        }));
        let inherited = inherited_fields(model(&schema, "Contact"), model(&schema, "Customer"));
        follow_parent(&inherited, &mut contact, &customer);
        for key in ["name", "street", "zip", "city", "country_code", "phone"] {
            assert_eq!(contact[key], customer[key], "{key}");
        }
        assert_eq!(
            contact["first_name"], "Erika",
            "the person is the contact's own"
        );
        assert_eq!(contact["customer_id"], 1);
    }

    #[test]
    fn only_the_first_item_is_the_main_one() {
        let schema = shop();
        let mut items = vec![
            json!({"url": "a", "is_hoofdfoto": false}),
            json!({"url": "b", "is_hoofdfoto": true}),
            json!({"url": "c", "is_hoofdfoto": true}),
        ];
        mark_main_item(model(&schema, "Photo"), &mut items);
        let flags: Vec<&Value> = items.iter().map(|i| &i["is_hoofdfoto"]).collect();
        assert_eq!(flags, [&json!(true), &json!(false), &json!(false)]);
    }
}
