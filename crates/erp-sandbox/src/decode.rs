//! Request bodies to canonical records, leniently, with errors that name the field.
//!
//! Accepted: numbers as numbers or numeric strings, booleans as `true`/`false`/`1`/`0`/`"1"`/`"0"`,
//! `null` (and `""` for non-string fields) to clear a value, nested lists as arrays or in the
//! wrapped form `{"<item>": [...] | {...}}`. Rejected with a message: a body that is not a JSON
//! object, a missing root key (when the vendor wraps requests), unknown fields, values of the wrong
//! type, dates that are not `YYYY-MM-DD`, datetimes that are not RFC 3339, unknown enum values.
//! Read-only fields are ignored.

use erp_spec::ir::{Model, RequestEnvelope, TypeRef};
use serde_json::{Map, Number, Value};

use crate::schema::Schema;

/// Decodes the body of a create, update or action into field values; `Value::Null` means
/// "clear". `root` is the root key of vendors that wrap requests (the operation's `root`, else the
/// resource's `wire_singular`).
///
/// `value` is the body as [`crate::codec::request_value`] read it; `enveloped` says whether the
/// vendor's request envelope applies (structured bodies; form and multipart fields are flat).
pub(crate) fn body(
    schema: &Schema,
    root: &str,
    model: &Model,
    value: Value,
    enveloped: bool,
) -> Result<Map<String, Value>, String> {
    let wrapped = enveloped && schema.spec.envelope.request == RequestEnvelope::ResourceRoot;
    let object = match wrapped {
        true => match value {
            Value::Object(mut map) if map.len() == 1 && map.contains_key(root) => {
                match map.remove(root) {
                    Some(Value::Object(inner)) => inner,
                    // An empty element (`<invoice/>`) or `null` holds no fields.
                    Some(Value::Null) => Map::new(),
                    Some(Value::String(s)) if s.trim().is_empty() => Map::new(),
                    _ => return Err(format!("`{root}` must hold the record's fields.")),
                }
            }
            _ => {
                return Err(format!(
                    "The body must be wrapped in the root key `{root}`: {{\"{root}\": {{...}}}}."
                ));
            }
        },
        false => match value {
            Value::Object(map) => map,
            _ => return Err("The request body must be an object.".to_owned()),
        },
    };
    fields(schema, model, object, "")
}

fn fields(
    schema: &Schema,
    model: &Model,
    object: Map<String, Value>,
    prefix: &str,
) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for (key, value) in object {
        let path = format!("{prefix}{key}");
        let field = model
            .fields
            .iter()
            .find(|f| f.wire_name == key)
            .ok_or_else(|| format!("Unknown field `{path}`."))?;
        if field.read_only {
            continue;
        }
        out.insert(key, decode(schema, &field.ty, value, &path)?);
    }
    Ok(out)
}

fn wrong(path: &str, expected: &str, value: &Value) -> String {
    format!("Invalid value for field `{path}`: expected {expected}, got {value}.")
}

/// `8-4-4-4-12` hex digits.
pub(crate) fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn decode(schema: &Schema, ty: &TypeRef, value: Value, path: &str) -> Result<Value, String> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    if value.as_str() == Some("") && *ty != TypeRef::String {
        return Ok(Value::Null);
    }
    match ty {
        TypeRef::String => match value {
            Value::String(_) => Ok(value),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            other => Err(wrong(path, "a string", &other)),
        },
        TypeRef::Integer => {
            let parsed = match &value {
                Value::Number(n) => n.as_i64().or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                        .map(|f| f as i64)
                }),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            parsed
                .map(Value::from)
                .ok_or_else(|| wrong(path, "an integer", &value))
        }
        TypeRef::Number => {
            let parsed = match &value {
                Value::Number(n) => Some(n.clone()),
                Value::String(s) => s.trim().parse::<f64>().ok().and_then(Number::from_f64),
                _ => None,
            };
            parsed
                .map(Value::Number)
                .ok_or_else(|| wrong(path, "a number", &value))
        }
        TypeRef::Decimal => {
            let text = match &value {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.trim().to_owned(),
                _ => String::new(),
            };
            let valid = !text.is_empty()
                && text.trim_start_matches('-').split_once('.').map_or(
                    text.trim_start_matches('-')
                        .bytes()
                        .all(|b| b.is_ascii_digit()),
                    |(w, f)| {
                        w.bytes().all(|b| b.is_ascii_digit())
                            && f.bytes().all(|b| b.is_ascii_digit())
                    },
                );
            if valid {
                Ok(Value::String(text))
            } else {
                Err(wrong(path, "a decimal number", &value))
            }
        }
        TypeRef::Guid => match value.as_str().map(str::trim) {
            Some(s) if is_guid(s) => Ok(Value::String(s.to_ascii_lowercase())),
            _ => Err(wrong(path, "a GUID", &value)),
        },
        TypeRef::Bytes => match value.as_str() {
            Some(s)
                if s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')) =>
            {
                Ok(value)
            }
            _ => Err(wrong(path, "base64 data", &value)),
        },
        TypeRef::Boolean => lenient_bool(&value)
            .map(Value::Bool)
            .ok_or_else(|| wrong(path, "a boolean (1/0)", &value)),
        TypeRef::Date => match value.as_str().map(str::trim) {
            Some(s) if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() => {
                Ok(Value::String(s.to_owned()))
            }
            _ => Err(wrong(path, "a date (YYYY-MM-DD)", &value)),
        },
        TypeRef::DateTime => match value.as_str().map(str::trim) {
            Some(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => {
                Ok(Value::String(s.to_owned()))
            }
            _ => Err(wrong(path, "a datetime (RFC 3339)", &value)),
        },
        TypeRef::Enum(name) => {
            let variants = schema
                .spec
                .enumeration(name)
                .map(|e| e.variants.as_slice())
                .unwrap_or_default();
            match value.as_str() {
                Some(s) if variants.iter().any(|v| v.wire == s) => Ok(value),
                _ => {
                    let allowed: Vec<&str> = variants.iter().map(|v| v.wire.as_str()).collect();
                    Err(wrong(
                        path,
                        &format!("one of {}", allowed.join(", ")),
                        &value,
                    ))
                }
            }
        }
        TypeRef::Json => Ok(value),
        TypeRef::Model(name) => {
            let model = schema
                .model(name)
                .ok_or_else(|| format!("Field `{path}` cannot be written."))?;
            match value {
                Value::Object(map) => {
                    fields(schema, model, map, &format!("{path}.")).map(Value::Object)
                }
                other => Err(wrong(path, "an object", &other)),
            }
        }
        TypeRef::List(inner) => {
            let items = match value {
                Value::Array(items) => items,
                // The wrapped form `{"<item>": [...] | {...}}`.
                Value::Object(map) if map.len() == 1 => {
                    match map.into_iter().next().map(|(_, v)| v) {
                        Some(Value::Array(items)) => items,
                        Some(one) => vec![one],
                        None => Vec::new(),
                    }
                }
                other => return Err(wrong(path, "a list", &other)),
            };
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| decode(schema, inner, item, &format!("{path}[{i}]")))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
    }
}

/// `true`/`false`, `1`/`0`, `"1"`/`"0"`, `"true"`/`"false"`.
pub(crate) fn lenient_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(vendor: &str) -> Schema {
        Schema::new(crate::builtin::load(vendor).expect("spec"))
    }

    fn client(schema: &Schema, body: Value) -> Result<Map<String, Value>, String> {
        let model = schema.model("Client").expect("Client");
        body_of(schema, model, &body)
    }

    fn body_of(schema: &Schema, model: &Model, body: &Value) -> Result<Map<String, Value>, String> {
        let resource = if model.name == "Client" {
            "clients"
        } else {
            "artikels"
        };
        super::body(
            schema,
            &crate::testing::resource(&schema.spec, resource).wire_singular,
            model,
            body.clone(),
            true,
        )
    }

    #[test]
    fn billomat_values_are_decoded_leniently() {
        let s = schema("billomat");
        let out = client(&s, json!({"client": {"name": "Firma", "archived": "1", "due_days": "14", "reduction": "2.5",
            "dig_exclude": 0, "id": "999", "client_number": "KD9", "sepa_mandate_date": "", "tax_rule": "TAX"}}))
        .expect("valid");
        assert_eq!(out["name"], "Firma");
        assert_eq!(out["archived"], true);
        assert_eq!(out["due_days"], 14);
        assert_eq!(out["reduction"], 2.5);
        assert_eq!(out["dig_exclude"], false);
        assert!(out["sepa_mandate_date"].is_null());
        assert!(
            !out.contains_key("id") && !out.contains_key("client_number"),
            "read-only fields are ignored"
        );
    }

    #[test]
    fn billomat_errors_name_the_problem() {
        let s = schema("billomat");
        let bare = client(&s, json!({"name": "Firma"})).unwrap_err();
        assert!(bare.contains("`client`"), "{bare}");
        let unknown = client(&s, json!({"client": {"nmae": "Firma"}})).unwrap_err();
        assert!(unknown.contains("`nmae`"), "{unknown}");
        let wrong = client(&s, json!({"client": {"due_days": "soon"}})).unwrap_err();
        assert!(wrong.contains("`due_days`"), "{wrong}");
        let wrong = client(&s, json!({"client": {"tax_rule": "SOMETIMES"}})).unwrap_err();
        assert!(wrong.contains("COUNTRY"), "{wrong}");
        let wrong = client(&s, json!({"client": {"name": {"a": 1}}})).unwrap_err();
        assert!(wrong.contains("`name`"), "{wrong}");
        let model = s.model("Client").expect("Client");
        assert!(
            super::body(&s, "client", model, json!([1]), true)
                .unwrap_err()
                .contains("`client`")
        );
        assert!(
            super::body(&s, "client", model, json!("x"), false)
                .unwrap_err()
                .contains("must be an object")
        );
    }

    #[test]
    fn the_root_key_is_the_one_given() {
        let s = schema("billomat");
        let model = s.model("Client").expect("Client");
        let out = super::body(
            &s,
            "complete",
            model,
            json!({"complete": {"name": "x"}}),
            true,
        )
        .expect("the given root key");
        assert_eq!(out["name"], "x");
        let err = super::body(
            &s,
            "complete",
            model,
            json!({"client": {"name": "x"}}),
            true,
        )
        .unwrap_err();
        assert!(err.contains("`complete`"), "{err}");
    }

    #[test]
    fn nested_lists_and_models() {
        let s = schema("cloudspot");
        let model = s.model("Artikel").expect("Artikel");
        let out = body_of(
            &s,
            model,
            &json!({"fotos": {"foto": {"url": "u", "is_hoofdfoto": "1"}}, "EAN": ["1", 2]}),
        )
        .expect("ok");
        assert_eq!(out["fotos"], json!([{"url": "u", "is_hoofdfoto": true}]));
        assert_eq!(out["EAN"], json!(["1", "2"]));
        let err = body_of(&s, model, &json!({"fotos": [{"link": "u"}]})).unwrap_err();
        assert!(err.contains("`fotos[0].link`"), "{err}");
    }
}
