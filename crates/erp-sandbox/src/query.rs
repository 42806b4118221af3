//! Query parameters of list operations: validation, filters and sorting (paging is `paging`'s).
//!
//! Only the operation's declared parameters filter, and only when the model has a field of the
//! same name (`equals`: the value's text; `contains`: case-insensitive substring; `any_of`: a comma
//! list). Declared parameters without such a field (e.g. Billomat's `invoice_id` on clients) and
//! undeclared parameters are ignored. A declared `order_by` sorts (`name ASC,id DESC`).

use std::borrow::Cow;
use std::cmp::Ordering;

use erp_spec::ir::{FilterMode, Model, Operation, TypeRef};
use serde_json::{Number, Value};

use crate::decode::lenient_bool;
use crate::ordered_json::format_number;

/// The first non-empty value of a query parameter.
pub(crate) fn get<'q>(query: &'q [(String, String)], key: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, v)| k == key && !v.trim().is_empty())
        .map(|(_, v)| v.trim())
}

fn valid_scalar(ty: &TypeRef, value: &str) -> bool {
    match ty {
        TypeRef::Integer => value.parse::<i64>().is_ok(),
        TypeRef::Number => value.parse::<f64>().is_ok(),
        TypeRef::Boolean => lenient_bool(&Value::String(value.to_owned())).is_some(),
        TypeRef::Date => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok(),
        TypeRef::List(inner) => value.split(',').all(|v| valid_scalar(inner, v.trim())),
        _ => true,
    }
}

/// Checks required parameters and the types of the declared parameters that were sent.
pub(crate) fn check(op: &Operation, query: &[(String, String)]) -> Result<(), String> {
    for param in &op.query {
        match get(query, &param.wire_name) {
            None if param.required => {
                return Err(format!("Missing required parameter `{}`.", param.wire_name));
            }
            None => {}
            Some(value) => {
                let ty = match (&param.ty, param.filter) {
                    (TypeRef::List(_), _) => param.ty.clone(),
                    (ty, FilterMode::AnyOf) => TypeRef::List(Box::new(ty.clone())),
                    (ty, _) => ty.clone(),
                };
                if !valid_scalar(&ty, value) {
                    return Err(format!(
                        "Invalid value for parameter `{}`: `{value}`.",
                        param.wire_name
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The text a filter compares: strings as they are, numbers without trailing zeros, booleans `1`/`0`.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => format_number(n),
        Value::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
        other => other.to_string(),
    }
}

/// Integers below this magnitude convert to `f64` and back exactly, so an index keyed by integer
/// can answer "equals this number".
const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0; // 2^53

/// One wanted value of a filter, prepared once per request instead of once per record.
#[derive(Debug)]
struct Wanted<'q> {
    text: &'q str,
    lower: String,
    number: Option<f64>,
    boolean: Option<bool>,
}

impl<'q> Wanted<'q> {
    fn new(text: &'q str) -> Wanted<'q> {
        Wanted {
            text,
            lower: text.to_lowercase(),
            number: text.parse::<f64>().ok(),
            boolean: lenient_bool(&Value::String(text.to_owned())),
        }
    }

    /// Whether `value` equals this: booleans leniently (`1`, `true`), numbers by value (`5` equals
    /// `5.0`), everything else by its text.
    fn equals(&self, value: &Value) -> bool {
        match value {
            Value::Bool(b) => self.boolean == Some(*b),
            // A number's text is its shortest round-trip form, so "same text" implies "same value"
            // and comparing the parsed value alone decides both.
            Value::Number(n) => self.number.is_some() && self.number == n.as_f64(),
            Value::String(s) => s == self.text,
            other => text(other) == self.text,
        }
    }

    /// Whether the text of `value` contains this, ignoring case.
    fn within(&self, value: &Value) -> bool {
        match value {
            // The common case without allocating: an ASCII text lowercases byte by byte.
            Value::String(s) if s.is_ascii() => {
                let needle = self.lower.as_bytes();
                if needle.is_empty() {
                    return true;
                }
                // A lowercase needle with non-ASCII letters cannot be inside an ASCII text.
                self.lower.is_ascii()
                    && s.as_bytes().windows(needle.len()).any(|window| {
                        window
                            .iter()
                            .zip(needle)
                            .all(|(a, b)| a.to_ascii_lowercase() == *b)
                    })
            }
            other => text(other).to_lowercase().contains(&self.lower),
        }
    }

    /// The integers an indexed field must hold to equal this (`None`: too large to tell).
    fn integer_keys(&self) -> Option<Vec<i64>> {
        match self.number {
            Some(x) if x.fract() == 0.0 && x.abs() < EXACT_INTEGERS => Some(vec![x as i64]),
            Some(x) if x.fract() == 0.0 => None,
            // Not a number, or not a whole one (NaN and infinities included): no integer equals it.
            _ => Some(Vec::new()),
        }
    }
}

/// One filter parameter that was sent.
#[derive(Debug)]
struct Filter<'q> {
    field: &'q str,
    mode: FilterMode,
    /// One value; the comma-separated values of `any_of`.
    wanted: Vec<Wanted<'q>>,
}

impl Filter<'_> {
    fn matches(&self, value: Option<&Value>) -> bool {
        match value {
            None | Some(Value::Null) => false,
            Some(Value::Array(items)) => items.iter().any(|item| self.matches(Some(item))),
            Some(value) => match self.mode {
                FilterMode::Equals => self.wanted.iter().any(|w| w.equals(value)),
                FilterMode::Contains => self.wanted.iter().any(|w| w.within(value)),
                FilterMode::AnyOf => self.wanted.iter().any(|w| w.equals(value)),
            },
        }
    }
}

/// The filters of one list request: the operation's declared parameters that were sent and name
/// a field of the model (see the module docs).
#[derive(Debug)]
pub(crate) struct Filters<'q> {
    filters: Vec<Filter<'q>>,
}

impl<'q> Filters<'q> {
    pub(crate) fn new(op: &'q Operation, model: &Model, query: &'q [(String, String)]) -> Self {
        let filters = op
            .query
            .iter()
            .filter(|param| model.fields.iter().any(|f| f.wire_name == param.wire_name))
            .filter_map(|param| {
                let wanted = get(query, &param.wire_name)?;
                let wanted = match param.filter {
                    FilterMode::AnyOf => {
                        wanted.split(',').map(str::trim).map(Wanted::new).collect()
                    }
                    FilterMode::Equals | FilterMode::Contains => vec![Wanted::new(wanted)],
                };
                Some(Filter {
                    field: param.wire_name.as_str(),
                    mode: param.filter,
                    wanted,
                })
            })
            .collect();
        Filters { filters }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    /// Whether a record matches every filter.
    pub(crate) fn matches(&self, record: &Value) -> bool {
        self.filters.iter().all(|f| f.matches(record.get(f.field)))
    }

    /// For each filter an integer index can narrow down: the field and the integers it must hold
    /// (records holding something else than an integer must still be checked, see
    /// [`crate::store::Store::candidates`]).
    pub(crate) fn integer_lookups(&self) -> impl Iterator<Item = (&'q str, Vec<i64>)> + '_ {
        self.filters
            .iter()
            .filter(|f| matches!(f.mode, FilterMode::Equals | FilterMode::AnyOf))
            .filter_map(|f| {
                let mut keys = Vec::new();
                for wanted in &f.wanted {
                    keys.extend(wanted.integer_keys()?);
                }
                Some((f.field, keys))
            })
    }
}

/// A field's value as `order_by` compares it, computed once per record.
#[derive(Debug)]
enum SortKey<'v> {
    Missing,
    /// A number: compared by value with numbers, by its (lowercase) text with anything else.
    Number(f64, &'v Number),
    /// Anything else, by its lowercase text.
    Text(String),
}

impl<'v> SortKey<'v> {
    fn of(value: Option<&'v Value>) -> SortKey<'v> {
        match value {
            None => SortKey::Missing,
            Some(Value::Number(n)) => SortKey::Number(n.as_f64().unwrap_or(0.0), n),
            Some(Value::String(s)) => SortKey::Text(s.to_lowercase()),
            Some(other) => SortKey::Text(text(other).to_lowercase()),
        }
    }

    fn text(&self) -> Cow<'_, str> {
        match self {
            // Only when a number meets a text (a field of mixed types): rare, so not kept.
            SortKey::Number(_, n) => Cow::Owned(format_number(n).to_lowercase()),
            SortKey::Text(text) => Cow::Borrowed(text),
            SortKey::Missing => Cow::Borrowed(""),
        }
    }

    fn compare(&self, other: &SortKey<'_>) -> Ordering {
        match (self, other) {
            (SortKey::Number(x, _), SortKey::Number(y, _)) => {
                x.partial_cmp(y).unwrap_or(Ordering::Equal)
            }
            (SortKey::Missing, SortKey::Missing) => Ordering::Equal,
            (SortKey::Missing, _) => Ordering::Less,
            (_, SortKey::Missing) => Ordering::Greater,
            (x, y) => x.text().cmp(&y.text()),
        }
    }
}

/// The sort keys of a declared `order_by` parameter: `field [ASC|DESC]`, comma-separated, for
/// fields of the model. `None` when the list is not to be sorted.
fn order_keys(
    op: &Operation,
    model: &Model,
    query: &[(String, String)],
) -> Option<Vec<(String, bool)>> {
    if !op.query.iter().any(|p| p.wire_name == "order_by") {
        return None;
    }
    let order = get(query, "order_by")?;
    let keys = order
        .split(',')
        .filter_map(|part| {
            let mut words = part.split([' ', '+']).filter(|w| !w.is_empty());
            let field = words.next()?;
            let descending = words.next().is_some_and(|d| d.eq_ignore_ascii_case("desc"));
            model
                .fields
                .iter()
                .any(|f| f.wire_name == field)
                .then(|| (field.to_owned(), descending))
        })
        .collect();
    Some(keys)
}

/// Whether the request asks for an order other than the store's (ids ascending).
pub(crate) fn sorts(op: &Operation, model: &Model, query: &[(String, String)]) -> bool {
    order_keys(op, model, query).is_some()
}

/// Sorts by a declared `order_by` parameter: `field [ASC|DESC]`, comma-separated; records that
/// compare equal keep their order (a stable sort). Each record's keys are computed once.
pub(crate) fn sort<'s>(
    op: &Operation,
    model: &Model,
    records: &mut Vec<(i64, &'s Value)>,
    query: &[(String, String)],
) {
    let Some(keys) = order_keys(op, model, query) else {
        return;
    };
    let mut keyed: Vec<(Vec<SortKey<'s>>, (i64, &'s Value))> = records
        .drain(..)
        .map(|(id, record)| {
            let values = keys
                .iter()
                .map(|(field, _)| SortKey::of(record.get(field)))
                .collect();
            (values, (id, record))
        })
        .collect();
    keyed.sort_by(|(a, _), (b, _)| {
        keys.iter()
            .zip(a.iter().zip(b))
            .map(|((_, descending), (x, y))| {
                let ord = x.compare(y);
                if *descending { ord.reverse() } else { ord }
            })
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
    records.extend(keyed.into_iter().map(|(_, record)| record));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn billomat() -> erp_spec::ir::Spec {
        crate::builtin::load("billomat").expect("spec")
    }

    #[test]
    fn required_and_typed_parameters_are_checked() {
        let spec = billomat();
        let contacts_list = crate::testing::op(&spec, "contacts", "list");
        assert!(
            check(contacts_list, &[])
                .unwrap_err()
                .contains("`client_id`")
        );
        assert!(
            check(contacts_list, &q(&[("client_id", "x")]))
                .unwrap_err()
                .contains("`client_id`")
        );
        assert!(check(contacts_list, &q(&[("client_id", "3")])).is_ok());
        let clients_list = crate::testing::op(&spec, "clients", "list");
        assert!(check(clients_list, &q(&[("invoice_id", "1,2")])).is_ok());
        assert!(check(clients_list, &q(&[("invoice_id", "1,b")])).is_err());
    }

    #[test]
    fn filters_and_sorting() {
        let spec = billomat();
        let op = crate::testing::op(&spec, "clients", "list");
        let model = spec.model("Client").expect("Client");
        let all = [
            (
                1,
                json!({"name": "Beispiel AG", "country_code": "DE", "archived": false}),
            ),
            (2, json!({"name": "Nordlicht KG", "country_code": "AT"})),
            (3, json!({"name": "beispiel gmbh", "country_code": "CH"})),
        ];
        let run = |pairs: &[(&str, &str)]| {
            let query = q(pairs);
            let filters = Filters::new(op, model, &query);
            let mut records: Vec<(i64, &Value)> = all
                .iter()
                .filter(|(_, r)| filters.matches(r))
                .map(|(id, r)| (*id, r))
                .collect();
            sort(op, model, &mut records, &query);
            records.iter().map(|(id, _)| *id).collect::<Vec<_>>()
        };
        assert_eq!(run(&[("name", "BEISPIEL")]), vec![1, 3]);
        assert_eq!(run(&[("country_code", "AT")]), vec![2]);
        assert_eq!(run(&[("country_code", "A")]), Vec::<i64>::new());
        assert_eq!(run(&[("name", "")]), vec![1, 2, 3]);
        assert_eq!(run(&[("order_by", "country_code DESC")]), vec![1, 3, 2]);
        assert_eq!(
            run(&[("order_by", "name+ASC"), ("name", "i")]),
            vec![1, 3, 2]
        );
        let filter = |mode, wanted: &'static str| Filter {
            field: "x",
            mode,
            wanted: match mode {
                FilterMode::AnyOf => wanted.split(',').map(str::trim).map(Wanted::new).collect(),
                _ => vec![Wanted::new(wanted)],
            },
        };
        assert!(filter(FilterMode::AnyOf, "4, 5").matches(Some(&json!(5))));
        assert!(filter(FilterMode::Equals, "1").matches(Some(&json!(true))));
        assert!(filter(FilterMode::Equals, "b").matches(Some(&json!(["a", "b"]))));
    }

    /// The filters as they were written before they were prepared per request: every record's
    /// text built and lowercased on the spot. The prepared filters must agree with it.
    fn reference_matches(mode: FilterMode, value: Option<&Value>, wanted: &str) -> bool {
        let equals = |value: &Value, wanted: &str| match value {
            Value::Bool(b) => lenient_bool(&Value::String(wanted.to_owned())) == Some(*b),
            Value::Number(n) => text(value) == wanted || (wanted.parse::<f64>().ok() == n.as_f64()),
            _ => text(value) == wanted,
        };
        match value {
            None | Some(Value::Null) => false,
            Some(Value::Array(items)) => items
                .iter()
                .any(|item| reference_matches(mode, Some(item), wanted)),
            Some(value) => match mode {
                FilterMode::Equals => equals(value, wanted),
                FilterMode::Contains => text(value).to_lowercase().contains(&wanted.to_lowercase()),
                FilterMode::AnyOf => wanted.split(',').map(str::trim).any(|w| equals(value, w)),
            },
        }
    }

    #[test]
    fn sorting_with_prepared_keys_agrees_with_the_reference() {
        let spec = billomat();
        let op = crate::testing::op(&spec, "clients", "list");
        let model = spec.model("Client").expect("Client");
        let names = [
            json!("beta"),
            json!("Alpha"),
            json!(12),
            json!(3.5),
            json!("12"),
            json!(true),
            json!(null),
            json!("Äpfel"),
            json!("alpha"),
            json!(-1),
        ];
        let all: Vec<(i64, Value)> = (0..40)
            .map(|i| {
                let city = ["b", "a"][i as usize % 2];
                let mut record = json!({"id": (i * 7) % 11, "city": city});
                if i % 5 != 4 {
                    record["name"] = names[i as usize % names.len()].clone();
                }
                (i, record)
            })
            .collect();
        // The comparison as it was written before keys were prepared.
        let reference = |a: Option<&Value>, b: Option<&Value>| match (a, b) {
            (Some(Value::Number(x)), Some(Value::Number(y))) => x
                .as_f64()
                .unwrap_or(0.0)
                .partial_cmp(&y.as_f64().unwrap_or(0.0))
                .unwrap_or(Ordering::Equal),
            (Some(x), Some(y)) => text(x).to_lowercase().cmp(&text(y).to_lowercase()),
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        for order in ["name", "name DESC,id", "city,name+DESC", "id DESC,name"] {
            let keys = order_keys(op, model, &q(&[("order_by", order)])).expect("keys");
            let mut expected: Vec<&(i64, Value)> = all.iter().collect();
            expected.sort_by(|(_, a), (_, b)| {
                keys.iter()
                    .map(|(field, descending)| {
                        let ord = reference(a.get(field), b.get(field));
                        if *descending { ord.reverse() } else { ord }
                    })
                    .find(|o| *o != Ordering::Equal)
                    .unwrap_or(Ordering::Equal)
            });
            let mut sorted: Vec<(i64, &Value)> = all.iter().map(|(id, r)| (*id, r)).collect();
            sort(op, model, &mut sorted, &q(&[("order_by", order)]));
            let sorted: Vec<i64> = sorted.iter().map(|(id, _)| *id).collect();
            let expected: Vec<i64> = expected.iter().map(|(id, _)| *id).collect();
            assert_eq!(sorted, expected, "{order}");
        }
    }

    #[test]
    fn prepared_filters_agree_with_the_reference_and_index_keys_are_exact() {
        let values = [
            json!(5),
            json!(-5),
            json!(0),
            json!(5.0),
            json!(5.5),
            json!(14.28),
            json!(1e20),
            json!(9_007_199_254_740_993_i64),
            json!(u64::MAX),
            json!(true),
            json!(false),
            json!("5"),
            json!("Beispiel AG"),
            json!("BEISPIEL"),
            json!("Größe"),
            json!("GRÖSSE"),
            json!("İstanbul"),
            json!(""),
            json!(null),
            json!(["a", 5, null]),
            json!({"k": 1}),
        ];
        let wanted = [
            "5",
            "05",
            "5.0",
            "+5",
            "-5",
            "0",
            "-0",
            "5.5",
            "14.28",
            "1e20",
            "1",
            "true",
            "TRUE",
            "false",
            "beispiel",
            "BEISPIEL AG",
            "ö",
            "Ö",
            "grö",
            "i̇stan",
            "istan",
            "NaN",
            "inf",
            "a",
            "4, 5",
            "x,true",
            "9007199254740993",
            "18446744073709551615",
            "{\"k\":1}",
        ];
        for mode in [FilterMode::Equals, FilterMode::Contains, FilterMode::AnyOf] {
            for w in wanted {
                let filter = Filter {
                    field: "x",
                    mode,
                    wanted: match mode {
                        FilterMode::AnyOf => w.split(',').map(str::trim).map(Wanted::new).collect(),
                        _ => vec![Wanted::new(w)],
                    },
                };
                let keys: Option<Vec<i64>> = (mode != FilterMode::Contains)
                    .then(|| {
                        filter
                            .wanted
                            .iter()
                            .map(Wanted::integer_keys)
                            .collect::<Option<Vec<_>>>()
                    })
                    .flatten()
                    .map(|k| k.concat());
                for value in &values {
                    let expected = reference_matches(mode, Some(value), w);
                    assert_eq!(
                        filter.matches(Some(value)),
                        expected,
                        "{mode:?} {value} {w:?}"
                    );
                    // An integer the keys leave out never matches.
                    if let (Some(keys), Some(i)) = (&keys, value.as_i64())
                        && !keys.contains(&i)
                    {
                        assert!(!expected, "{mode:?} {value} {w:?} missed by {keys:?}");
                    }
                }
                assert!(!filter.matches(None));
            }
        }
    }
}
