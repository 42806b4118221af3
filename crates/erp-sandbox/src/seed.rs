//! Deterministic seed data: `seed_records` records per listable resource, from the field
//! examples of the spec where it has them and synthesized by type (and field name) otherwise.

use chrono::{
    DateTime, Datelike, Duration as ChronoDuration, FixedOffset, NaiveDate, Offset, SecondsFormat,
    TimeZone,
};
use erp_spec::ir::{Field, Model, OperationKind, TypeRef};
use serde_json::{Map, Number, Value};

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
    let mut store = Store::default();
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
        for id in 1..=records as i64 {
            let record = Generator {
                schema,
                store: &store,
                rng: &mut rng,
                resource: r,
            }
            .record(model, id, 0);
            store.insert(&resource.name, id, record);
        }
    }
    store
}

/// Generates one record, reading already seeded resources for references.
struct Generator<'a> {
    schema: &'a Schema,
    store: &'a Store,
    rng: &'a mut Rng,
    resource: usize,
}

/// Nested models deeper than this get no further nested items.
const MAX_DEPTH: usize = 2;

impl Generator<'_> {
    fn record(&mut self, model: &Model, id: i64, depth: usize) -> Value {
        let created = self.datetime_between(2018, 2024);
        let updated_days = self.rng.range(0, 400);
        let updated = (created + ChronoDuration::days(updated_days)).min(latest());
        let mut map = Map::new();
        for field in &model.fields {
            if self.schema.link(&model.name, &field.wire_name).is_some() {
                continue; // rendered from the child resource's records
            }
            let name = field.wire_name.to_ascii_lowercase();
            let value = if field.ty == TypeRef::DateTime && name.contains("created") {
                Some(Value::String(rfc3339(created)))
            } else if field.ty == TypeRef::DateTime
                && ["updated", "modified", "changed"]
                    .iter()
                    .any(|w| name.contains(w))
            {
                Some(Value::String(rfc3339(updated)))
            } else {
                self.field(field, id, depth)
            };
            if let Some(value) = value {
                map.insert(field.wire_name.clone(), value);
            }
        }
        derive::refresh(model, &mut map);
        Value::Object(map)
    }

    fn field(&mut self, field: &Field, id: i64, depth: usize) -> Option<Value> {
        let name = field.wire_name.to_ascii_lowercase();
        if field.ty == TypeRef::Integer {
            if name == "id" {
                return Some(Value::from(if depth == 0 {
                    id
                } else {
                    self.rng.range(100, 999)
                }));
            }
            if let Some(target) = self.schema.referenced_resource(&field.wire_name) {
                let ids = self.store.ids(&self.schema.spec.resources[target].name);
                if let Some(parent) = self.rng.pick(&ids) {
                    return Some(Value::from(*parent));
                }
            }
            if name == "number" && depth == 0 {
                return Some(Value::from(id));
            }
        }
        if let TypeRef::List(inner) = &field.ty {
            return Some(self.list(field, inner, id, depth));
        }
        if let Some(example) = self.rng.pick(&field.examples).cloned()
            && let Some(value) = from_example(self.schema, &field.ty, &example)
        {
            return Some(value);
        }
        self.synthesize(&field.ty, &name, id, depth)
    }

    fn list(&mut self, field: &Field, inner: &TypeRef, id: i64, depth: usize) -> Value {
        if let TypeRef::Model(model_name) = inner {
            // Items of another seeded resource: copy existing records.
            if let Some(source) = self
                .schema
                .resource_of_model(model_name)
                .filter(|&r| r != self.resource)
            {
                let records: Vec<Value> = self
                    .store
                    .records(&self.schema.spec.resources[source].name)
                    .map(|(_, v)| v.clone())
                    .collect();
                if !records.is_empty() {
                    let count = self.rng.range(0, 2);
                    let mut picked: Vec<Value> = Vec::new();
                    for _ in 0..count {
                        if let Some(record) = self.rng.pick(&records)
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
            let Some(model) = self.schema.model(model_name) else {
                return Value::Array(Vec::new());
            };
            let count = self.rng.range(0, 2);
            let items = (0..count)
                .map(|_| self.record(model, 0, depth + 1))
                .collect();
            return Value::Array(items);
        }
        let count = self.rng.range(1, 2);
        let name = field.wire_name.to_ascii_lowercase();
        let mut items = Vec::new();
        for _ in 0..count {
            let example = self.rng.pick(&field.examples).cloned();
            let value = example
                .and_then(|e| from_example(self.schema, inner, &e))
                .or_else(|| self.synthesize(inner, &name, id, depth));
            if let Some(value) = value
                && !items.contains(&value)
            {
                items.push(value);
            }
        }
        Value::Array(items)
    }

    fn synthesize(&mut self, ty: &TypeRef, name: &str, id: i64, depth: usize) -> Option<Value> {
        Some(match ty {
            TypeRef::String => Value::String(self.string(name, id)),
            TypeRef::Integer => {
                if name.ends_with("_length") {
                    Value::from(0)
                } else if name.contains("number") || name.contains("nummer") {
                    Value::from(if depth == 0 {
                        1000 + id
                    } else {
                        self.rng.range(1000, 9999)
                    })
                } else {
                    Value::from(self.rng.range(1, 30))
                }
            }
            TypeRef::Number => self.number(name),
            TypeRef::Boolean => Value::Bool(self.rng.chance(40)),
            TypeRef::Date => {
                let (from, to) = if name.contains("birth") || name.contains("geboorte") {
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
                self.record(model, 0, depth + 1)
            }
            TypeRef::Model(_) | TypeRef::Json => return None,
            TypeRef::List(inner) => Value::Array(
                self.synthesize(inner, name, id, depth)
                    .into_iter()
                    .collect(),
            ),
        })
    }

    /// A number that fits the field's name: whole days and quantities, percentages up to 30,
    /// prices with two decimals.
    fn number(&mut self, name: &str) -> Value {
        let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
        if has(&["days", "dagen"]) {
            Value::from(self.rng.range(0, 60))
        } else if has(&["voorraad", "stock", "quantity", "units", "aantal"]) {
            Value::from(self.rng.range(0, 250))
        } else if has(&[
            "rate",
            "reduction",
            "korting",
            "discount",
            "percent",
            "btw",
            "vat",
            "tax",
        ]) {
            money(self.rng.range(0, 30) * 100 + self.rng.range(0, 1) * 50)
        } else {
            money(self.rng.range(99, 49_999))
        }
    }

    fn digits(&mut self, count: usize) -> String {
        (0..count)
            .map(|_| char::from(b'0' + self.rng.below(10) as u8))
            .collect()
    }

    /// A plausible string for a field without examples, guessed from its name.
    fn string(&mut self, name: &str, id: i64) -> String {
        if name.contains("email") || name.contains("e_mail") {
            return format!("contact{id}@example.com");
        }
        if name.contains("iban") {
            return format!("DE{}", self.digits(20));
        }
        if name.contains("swift") || name.contains("bic") {
            return self
                .rng
                .pick(&["COBADEFFXXX", "DEUTDEFFXXX", "GENODEM1GLS"])
                .copied()
                .unwrap_or("")
                .to_owned();
        }
        if name.contains("url") || name == "www" || name.contains("website") {
            return format!("https://www.example.com/{id}");
        }
        if ["phone", "fax", "mobile", "telefoon", "gsm"]
            .iter()
            .any(|w| name.contains(w))
        {
            return format!("+49 30 {}", self.digits(7));
        }
        if name.contains("customfield") {
            return String::new();
        }
        if name.ends_with("_number")
            || name.contains("nummer")
            || name == "zip"
            || name.contains("postcode")
        {
            let len = if name == "zip" || name.contains("postcode") {
                5
            } else {
                10
            };
            return self.digits(len);
        }
        format!("{} {id}", crate::schema::humanize(name))
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
        TypeRef::String | TypeRef::Date | TypeRef::DateTime => Some(Value::String(text.to_owned())),
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
}
