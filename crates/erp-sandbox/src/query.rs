//! Query parameters of list operations: validation, filters and sorting (paging is `paging`'s).
//!
//! Only the operation's declared parameters filter, and only when the model has a field of the
//! same name (`equals`: the value's text; `contains`: case-insensitive substring; `any_of`: a comma
//! list). Declared parameters without such a field (e.g. Billomat's `invoice_id` on clients) and
//! undeclared parameters are ignored. A declared `order_by` sorts (`name ASC,id DESC`).

use std::cmp::Ordering;

use erp_spec::ir::{FilterMode, Model, Operation, TypeRef};
use serde_json::Value;

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

fn equals(value: &Value, wanted: &str) -> bool {
    match value {
        Value::Bool(b) => lenient_bool(&Value::String(wanted.to_owned())) == Some(*b),
        Value::Number(n) => text(value) == wanted || (wanted.parse::<f64>().ok() == n.as_f64()),
        _ => text(value) == wanted,
    }
}

fn matches(mode: FilterMode, value: Option<&Value>, wanted: &str) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Array(items)) => items.iter().any(|item| matches(mode, Some(item), wanted)),
        Some(value) => match mode {
            FilterMode::Equals => equals(value, wanted),
            FilterMode::Contains => text(value).to_lowercase().contains(&wanted.to_lowercase()),
            FilterMode::AnyOf => wanted.split(',').map(str::trim).any(|w| equals(value, w)),
        },
    }
}

/// Keeps the records that match every filter parameter sent.
pub(crate) fn filter(
    op: &Operation,
    model: &Model,
    records: &mut Vec<(i64, Value)>,
    query: &[(String, String)],
) {
    for param in &op.query {
        if !model.fields.iter().any(|f| f.wire_name == param.wire_name) {
            continue;
        }
        if let Some(wanted) = get(query, &param.wire_name) {
            records.retain(|(_, r)| matches(param.filter, r.get(&param.wire_name), wanted));
        }
    }
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .unwrap_or(0.0)
            .partial_cmp(&y.as_f64().unwrap_or(0.0))
            .unwrap_or(Ordering::Equal),
        (Some(x), Some(y)) => text(x).to_lowercase().cmp(&text(y).to_lowercase()),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Sorts by a declared `order_by` parameter: `field [ASC|DESC]`, comma-separated.
pub(crate) fn sort(
    op: &Operation,
    model: &Model,
    records: &mut [(i64, Value)],
    query: &[(String, String)],
) {
    if !op.query.iter().any(|p| p.wire_name == "order_by") {
        return;
    }
    let Some(order) = get(query, "order_by") else {
        return;
    };
    let keys: Vec<(String, bool)> = order
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
    records.sort_by(|(_, a), (_, b)| {
        keys.iter()
            .map(|(field, descending)| {
                let ord = compare(a.get(field), b.get(field));
                if *descending { ord.reverse() } else { ord }
            })
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
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
        let all = vec![
            (
                1,
                json!({"name": "Beispiel AG", "country_code": "DE", "archived": false}),
            ),
            (2, json!({"name": "Nordlicht KG", "country_code": "AT"})),
            (3, json!({"name": "beispiel gmbh", "country_code": "CH"})),
        ];
        let run = |pairs: &[(&str, &str)]| {
            let mut records = all.clone();
            filter(op, model, &mut records, &q(pairs));
            sort(op, model, &mut records, &q(pairs));
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
        assert!(matches(FilterMode::AnyOf, Some(&json!(5)), "4, 5"));
        assert!(matches(FilterMode::Equals, Some(&json!(true)), "1"));
        assert!(matches(FilterMode::Equals, Some(&json!(["a", "b"])), "b"));
    }
}
