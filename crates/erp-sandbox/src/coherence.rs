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

/// The relations between text, ids, flags and dates of one record (see the module docs).
pub(crate) fn links(schema: &Schema, model: &Model, record: &mut Map<String, Value>) {
    ids_follow_names(schema, model, record);
    mirror_examples(model, record);
    flags_follow_text(model, record);
    dates_follow_text(model, record);
}

fn ids_follow_names(schema: &Schema, model: &Model, record: &mut Map<String, Value>) {
    for id in model.fields.iter().filter(|f| f.ty == TypeRef::Integer) {
        if schema.referenced_resource(&id.wire_name).is_some() {
            continue;
        }
        let Some(stem) = id.wire_name.strip_suffix("_id") else {
            continue;
        };
        let Some(named) = field(model, stem).filter(|f| is_scalar_text(&f.ty)) else {
            continue;
        };
        let Some(value) = record.get(stem).and_then(Value::as_str) else {
            continue;
        };
        if let Some(position) = named.examples.iter().position(|e| e == value)
            && !value.is_empty()
        {
            record.insert(id.wire_name.clone(), Value::from(position as i64 + 1));
        }
    }
}

fn mirror_examples(model: &Model, record: &mut Map<String, Value>) {
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
        let Some(source) = source else { continue };
        let drawn = record.get(&target.wire_name).and_then(Value::as_str);
        if drawn.is_some_and(|d| !d.is_empty())
            && let Some(value) = record.get(&source.wire_name).cloned()
        {
            record.insert(target.wire_name.clone(), value);
        }
    }
}

fn flags_follow_text(model: &Model, record: &mut Map<String, Value>) {
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
        if let Some(text) = text
            && let Some(value) = record.get(&text.wire_name).and_then(Value::as_str)
        {
            let set = !value.trim().is_empty();
            record.insert(flag.wire_name.clone(), Value::Bool(set));
        }
    }
}

fn dates_follow_text(model: &Model, record: &mut Map<String, Value>) {
    for date in model
        .fields
        .iter()
        .filter(|f| matches!(f.ty, TypeRef::Date | TypeRef::DateTime))
    {
        let stem = date
            .wire_name
            .strip_suffix("_date")
            .or_else(|| date.wire_name.strip_suffix("_datum"));
        let Some(stem) = stem.filter(|s| field(model, s).is_some_and(|f| is_scalar_text(&f.ty)))
        else {
            continue;
        };
        if record
            .get(stem)
            .and_then(Value::as_str)
            .is_some_and(|v| v.trim().is_empty())
        {
            record.remove(&date.wire_name);
        }
    }
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

/// A child record takes fields from the record it refers to (see the module docs).
pub(crate) fn follow_parent(
    model: &Model,
    record: &mut Map<String, Value>,
    parent_model: &Model,
    parent: &Map<String, Value>,
) {
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
    for f in shared {
        let copy = (f.examples.is_empty() && f.ty == TypeRef::String)
            || (postal >= 2 && is_address_part(&f.wire_name));
        if copy && let Some(value) = parent.get(&f.wire_name) {
            record.insert(f.wire_name.clone(), value.clone());
        }
    }
}

/// The main-item flag is true for the first item of a nested list only (see the module docs).
pub(crate) fn mark_main_item(model: &Model, items: &mut [Value]) {
    let flags = model.fields.iter().filter(|f| {
        f.ty == TypeRef::Boolean
            && tokens(&f.wire_name).any(|t| {
                t == "main" || t == "primary" || t.starts_with("hoofd") || t.starts_with("haupt")
            })
    });
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

/// The record's own VAT percentage.
fn own_rate(model: &Model, record: &Map<String, Value>) -> Option<f64> {
    number_fields(model)
        .find(|f| RATE_FIELDS.contains(&f.wire_name.to_ascii_lowercase().as_str()))
        .and_then(|f| number(record, &f.wire_name))
}

/// The rest of `name` after one of `stems`.
fn after_stem<'n>(name: &'n str, stems: &[&str]) -> Option<&'n str> {
    let lower = name.to_ascii_lowercase();
    stems
        .iter()
        .find(|s| lower.starts_with(*s))
        .map(|s| &name[s.len()..])
}

fn purchase_below_sales(model: &Model, record: &mut Map<String, Value>, rng: &mut Rng) {
    for purchase in number_fields(model) {
        let Some(rest) = after_stem(&purchase.wire_name, PURCHASE) else {
            continue;
        };
        let sales = number_fields(model).find(|f| {
            after_stem(&f.wire_name, SALES).is_some_and(|r| r.eq_ignore_ascii_case(rest))
        });
        if let Some(sales) = sales.and_then(|f| number(record, &f.wire_name)) {
            let share = rng.range(40, 80) as f64 / 100.0;
            set_money(record, &purchase.wire_name, sales * share);
        }
    }
}

fn follow_parent_prices(
    model: &Model,
    record: &mut Map<String, Value>,
    parent: &BTreeMap<String, f64>,
    rng: &mut Rng,
) {
    let discount = number_fields(model)
        .find(|f| {
            let lower = f.wire_name.to_ascii_lowercase();
            DISCOUNT.iter().any(|w| lower.contains(w))
        })
        .and_then(|f| number(record, &f.wire_name))
        .map(|d| d.clamp(0.0, 100.0));
    for f in number_fields(model) {
        let name = &f.wire_name;
        if !(name.ends_with("_excl") || name.ends_with("_net")) {
            continue;
        }
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

/// Makes the amounts of a record and of its generated nested items agree (see the module docs).
///
/// `inherited_rate` and `parent` (the parent's number fields) are `None`/empty for a top-level
/// record. Lists of another resource's records are copies and left alone.
pub(crate) fn amounts(
    schema: &Schema,
    model: &Model,
    record: &mut Map<String, Value>,
    inherited_rate: Option<f64>,
    parent: &BTreeMap<String, f64>,
    rng: &mut Rng,
) {
    let own = own_rate(model, record);
    let rate = own.or(inherited_rate);
    follow_parent_prices(model, record, parent, rng);
    purchase_below_sales(model, record, rng);
    for (excl, incl) in pairs(model, "_excl", "_incl") {
        if let Some(value) = number(record, excl) {
            let factor = 1.0 + rate.unwrap_or(DEFAULT_VAT) / 100.0;
            set_money(record, &incl, value * factor);
        }
    }
    for (net, gross) in pairs(model, "_net", "_gross") {
        if let Some(value) = number(record, net) {
            let factor = 1.0 + own.unwrap_or(DEFAULT_NET_GROSS_VAT) / 100.0;
            set_money(record, &gross, value * factor);
        }
    }
    let numbers: BTreeMap<String, f64> = number_fields(model)
        .filter_map(|f| number(record, &f.wire_name).map(|v| (f.wire_name.clone(), v)))
        .collect();
    for f in &model.fields {
        let inner = match &f.ty {
            TypeRef::Model(name) => name,
            TypeRef::List(inner) => match inner.as_ref() {
                TypeRef::Model(name) => name,
                _ => continue,
            },
            _ => continue,
        };
        if schema.resource_of_model(inner).is_some() {
            continue;
        }
        let Some(item_model) = schema.model(inner) else {
            continue;
        };
        match record.get_mut(&f.wire_name) {
            Some(Value::Object(item)) => amounts(schema, item_model, item, rate, &numbers, rng),
            Some(Value::Array(items)) => {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    amounts(schema, item_model, item, rate, &numbers, rng);
                }
            }
            _ => {}
        }
    }
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
        follow_parent(
            model(&schema, "Contact"),
            &mut contact,
            model(&schema, "Customer"),
            &customer,
        );
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
