//! Fields the server computes itself: composed numbers, formatted addresses, timestamps and
//! zero defaults. Recognised by field names, so they apply to any vendor with such fields.

use erp_spec::ir::{Field, Model, TypeRef};
use serde_json::{Map, Value};

fn field<'a>(model: &'a Model, name: &str) -> Option<&'a Field> {
    model.fields.iter().find(|f| f.wire_name == name)
}

fn text<'a>(record: &'a Map<String, Value>, name: &str) -> &'a str {
    record
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
}

/// Recomputes derived read-only fields after a record was generated, created or changed:
/// - a read-only string `<x>_number` next to `number_pre` and `number` becomes prefix + number,
///   zero-padded to `number_length` (Billomat's `client_number` = `KD12`);
/// - a read-only string `address` becomes the postal address lines of the record.
pub(crate) fn refresh(model: &Model, record: &mut Map<String, Value>) {
    Refresh::new(model).apply(record);
}

/// [`refresh`] for one model, with the fields it touches looked up once (seeding refreshes every
/// generated record).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Refresh<'m> {
    /// The composed `<x>_number`, when the model also has `number` and `number_pre`.
    composed: Option<&'m Field>,
    /// Whether the model has a read-only string `address`.
    address: bool,
}

impl<'m> Refresh<'m> {
    pub(crate) fn new(model: &'m Model) -> Refresh<'m> {
        let composed = model.fields.iter().find(|f| {
            f.read_only
                && f.ty == TypeRef::String
                && f.wire_name.ends_with("_number")
                && f.wire_name != "number"
        });
        let numbered = field(model, "number").is_some() && field(model, "number_pre").is_some();
        Refresh {
            composed: composed.filter(|_| numbered),
            address: field(model, "address")
                .is_some_and(|f| f.read_only && f.ty == TypeRef::String),
        }
    }

    pub(crate) fn apply(&self, record: &mut Map<String, Value>) {
        if let Some(target) = self.composed
            && let Some(number) = record.get("number").and_then(Value::as_i64)
        {
            let width = record
                .get("number_length")
                .and_then(Value::as_u64)
                .unwrap_or(0)
                .min(20) as usize;
            let value = format!("{}{number:0width$}", text(record, "number_pre"));
            record.insert(target.wire_name.clone(), Value::String(value));
        }
        if self.address {
            let person = [
                text(record, "salutation"),
                text(record, "first_name"),
                text(record, "last_name"),
            ]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
            let town = [text(record, "zip"), text(record, "city")]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            let lines: Vec<&str> = [
                text(record, "name"),
                person.as_str(),
                text(record, "street"),
                town.as_str(),
            ]
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect();
            record.insert("address".to_owned(), Value::String(lines.join("\n")));
        }
    }
}

fn is_update_stamp(name: &str) -> bool {
    ["updated", "modified", "changed"]
        .iter()
        .any(|w| name.contains(w))
}

/// Sets read-only datetimes to `now`: all of them on create, `updated`-like ones on update.
pub(crate) fn stamp(model: &Model, record: &mut Map<String, Value>, now: &str, created: bool) {
    for f in model
        .fields
        .iter()
        .filter(|f| f.read_only && f.ty == TypeRef::DateTime)
    {
        if created || is_update_stamp(&f.wire_name) {
            record.insert(f.wire_name.clone(), Value::String(now.to_owned()));
        }
    }
}

/// Defaults of a new record: read-only numbers 0 and booleans false; a writable integer `number`
/// that was not sent gets `next_number`.
pub(crate) fn defaults_on_create(model: &Model, record: &mut Map<String, Value>, next_number: i64) {
    for f in &model.fields {
        if record.contains_key(&f.wire_name) || f.wire_name == "id" {
            continue;
        }
        let value = match (&f.ty, f.read_only) {
            (TypeRef::Integer | TypeRef::Number, true) => Value::from(0),
            (TypeRef::Boolean, true) => Value::Bool(false),
            (TypeRef::Integer, false) if f.wire_name == "number" => Value::from(next_number),
            _ => continue,
        };
        record.insert(f.wire_name.clone(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn client_model() -> Model {
        crate::builtin::load("billomat")
            .expect("spec")
            .model("Client")
            .expect("Client")
            .clone()
    }

    #[test]
    fn client_number_and_address_are_composed() {
        let model = client_model();
        let mut record =
            json!({"number": 12, "number_pre": "KD", "name": "Beispiel AG", "first_name": "Mia",
            "last_name": "Weber", "street": "Hauptstraße 12", "zip": "80331", "city": "München"})
            .as_object()
            .cloned()
            .expect("object");
        refresh(&model, &mut record);
        assert_eq!(record["client_number"], "KD12");
        assert_eq!(
            record["address"],
            "Beispiel AG\nMia Weber\nHauptstraße 12\n80331 München"
        );
        record.insert("number_length".into(), json!(4));
        refresh(&model, &mut record);
        assert_eq!(record["client_number"], "KD0012");
    }

    #[test]
    fn stamps_and_defaults() {
        let model = client_model();
        let mut record = Map::new();
        stamp(&model, &mut record, "2024-01-01T10:00:00+01:00", true);
        assert_eq!(record["created"], record["updated"]);
        stamp(&model, &mut record, "2024-02-01T10:00:00+01:00", false);
        assert_eq!(record["created"], "2024-01-01T10:00:00+01:00");
        assert_eq!(record["updated"], "2024-02-01T10:00:00+01:00");
        defaults_on_create(&model, &mut record, 26);
        assert_eq!(record["number"], 26);
        assert_eq!(record["revenue_gross"], 0);
        assert!(!record.contains_key("id"), "ids are assigned by the store");
    }
}
