//! An operation's declared refusals and effects (`resources.<r>.operations.<op>.sandbox`):
//! conditions on the addressed record, the request body, looked-up records and the base URL's
//! variables that refuse the request, and the field changes applied when none does. The spec's
//! expressions are parsed once by `erp-spec`; this module only evaluates them.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset, Months};
use erp_spec::expr::effect::{CmpOp, Cond, Term, TimeBase, TimeUnit, Unit};
use erp_spec::expr::{Context, Expr, Operand, Part, Template};
use erp_spec::ir::effects::{ErrorBody, Refusal};
use serde_json::{Map, Value};

use crate::reply::Reply;

/// Records found by `find` checks, by name.
pub(crate) type Found = BTreeMap<String, FoundRecord>;

/// A record a `find` check found, or made (`or_create`) to be stored when the operation
/// succeeds.
#[derive(Debug, Clone)]
pub(crate) struct FoundRecord {
    /// Its row id (for a made record, the one it will be stored under).
    pub id: i64,
    pub record: Map<String, Value>,
    /// Made by `or_create`: not stored yet.
    pub created: bool,
}

/// Everything an operation's expressions read.
pub(crate) struct Env<'a> {
    /// The addressed record (empty for operations on the collection).
    pub record: &'a Map<String, Value>,
    /// The request body's fields.
    pub body: &'a Map<String, Value>,
    /// Records found by `find` checks so far, by name, with their row ids.
    pub found: Found,
    /// Values of the base URL's variables as the request sent them.
    pub base: &'a [(String, String)],
    /// Path parameters as the request sent them.
    pub params: &'a [(String, String)],
    pub now: DateTime<FixedOffset>,
}

/// The value at a path of fields (`subscriber.customer-id`) of nested objects; `null` when a
/// step is missing or not an object.
pub(crate) fn path(record: &Map<String, Value>, path: &str) -> Value {
    let mut steps = path.split('.');
    let Some(first) = steps.next() else {
        return Value::Null;
    };
    let mut value = record.get(first);
    for step in steps {
        value = value.and_then(Value::as_object).and_then(|m| m.get(step));
    }
    value.cloned().unwrap_or(Value::Null)
}

impl Env<'_> {
    fn read(&self, operand: &Operand) -> Value {
        match operand {
            Operand::Field(f) => self.record.get(f).cloned().unwrap_or(Value::Null),
            Operand::Parent(_) => Value::Null,
            Operand::Scoped { scope, field } if scope == "body" => path(self.body, field),
            Operand::Scoped { scope, field } if scope == "base" => self
                .base
                .iter()
                .find(|(k, _)| k == field)
                .map_or(Value::Null, |(_, v)| Value::String(v.clone())),
            Operand::Scoped { scope, field } => self
                .found
                .get(scope)
                .map_or(Value::Null, |f| path(&f.record, field)),
        }
    }

    /// A value as the spec's `set` writes it (numbers rounded for the field by the caller).
    pub(crate) fn term(&self, term: &Term) -> Value {
        match term {
            Term::Text(t) => Value::String(t.clone()),
            Term::Bool(b) => Value::Bool(*b),
            Term::Null => Value::Null,
            Term::Expr(Expr::Operand(o)) => self.read(o),
            Term::Expr(e) => e
                .eval(&mut Numbers(self))
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::Null, Value::Number),
            Term::Shift { base, amount, unit } => self.shift(base, amount, unit),
        }
    }

    fn shift(&self, base: &TimeBase, amount: &Expr, unit: &Unit) -> Value {
        let start = match base {
            TimeBase::Now => Some(self.now),
            TimeBase::Read(o) => self
                .read(o)
                .as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok()),
        };
        let unit = match unit {
            Unit::Fixed(u) => Some(*u),
            Unit::Read(o) => self.read(o).as_str().and_then(TimeUnit::from_word),
        };
        let amount = amount.eval(&mut Numbers(self));
        let (Some(start), Some(unit), Some(amount)) = (start, unit, amount) else {
            return Value::Null;
        };
        let whole = amount.round() as i64;
        let moved = match unit {
            TimeUnit::Seconds => start.checked_add_signed(Duration::seconds(whole)),
            TimeUnit::Minutes => start.checked_add_signed(Duration::minutes(whole)),
            TimeUnit::Hours => start.checked_add_signed(Duration::hours(whole)),
            TimeUnit::Days => start.checked_add_signed(Duration::days(whole)),
            TimeUnit::Weeks => start.checked_add_signed(Duration::weeks(whole)),
            TimeUnit::Months | TimeUnit::Years => {
                let months = if unit == TimeUnit::Years {
                    whole * 12
                } else {
                    whole
                };
                let n = Months::new(months.unsigned_abs().min(u64::from(u32::MAX)) as u32);
                if months >= 0 {
                    start.checked_add_months(n)
                } else {
                    start.checked_sub_months(n)
                }
            }
        };
        moved.map_or(Value::Null, |t| {
            Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        })
    }

    /// Whether a condition holds.
    pub(crate) fn holds(&self, cond: &Cond) -> bool {
        match cond {
            Cond::Truthy(t) => truthy(&self.term(t)),
            Cond::Not(c) => !self.holds(c),
            Cond::And(a, b) => self.holds(a) && self.holds(b),
            Cond::Or(a, b) => self.holds(a) || self.holds(b),
            Cond::Compare(a, op, b) => compare(&self.term(a), *op, &self.term(b)),
        }
    }

    /// A message with its placeholders filled (path parameters, fields, `body.`, look-ups).
    pub(crate) fn message(&self, template: &Template) -> String {
        let mut out = String::new();
        for part in &template.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Field { name, .. } => {
                    let operand = match name.split_once('.') {
                        Some((scope, field)) => Operand::Scoped {
                            scope: scope.to_owned(),
                            field: field.to_owned(),
                        },
                        None => Operand::Field(name.clone()),
                    };
                    // The record's own value first (a rename's refusal names the key asked
                    // for, not the one in the path); a path parameter where it has none (a
                    // record that does not exist).
                    let value = text(&self.read(&operand))
                        .or_else(|| {
                            let (_, v) = self.params.iter().find(|(k, _)| k == name)?;
                            Some(v.clone())
                        })
                        .unwrap_or_default();
                    out.push_str(&value);
                }
            }
        }
        out
    }

    /// The answer of a refusal.
    pub(crate) fn refuse(&self, spec: &erp_spec::ir::Spec, refusal: &Refusal) -> Reply {
        let message = self.message(&refusal.message);
        answer(
            spec,
            refusal.status,
            &message,
            refusal.code.as_deref(),
            refusal.body,
        )
    }
}

/// An error answer with its body in the declared kind.
pub(crate) fn answer(
    spec: &erp_spec::ir::Spec,
    status: u16,
    message: &str,
    code: Option<&str>,
    body: ErrorBody,
) -> Reply {
    match body {
        ErrorBody::Text => Reply::text(status, message),
        ErrorBody::Structured => crate::errors::reply(spec, status, message, code),
    }
}

struct Numbers<'e, 'a>(&'e Env<'a>);

impl Context for Numbers<'_, '_> {
    /// An absent number counts as 0 in arithmetic (a fresh record has no credit yet, which is
    /// none); text that is not a number makes the whole value absent.
    fn value(&mut self, operand: &Operand) -> Option<f64> {
        match self.0.read(operand) {
            Value::Null => Some(0.0),
            value => number(&value),
        }
    }

    // Effects are not random: the same request on the same record gives the same change.
    fn random(&mut self, lo: f64, _hi: f64) -> f64 {
        lo
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Absent, `null`, `false`, `0` and `""` (also `"false"` and `"0"`) are false.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !matches!(s.trim(), "" | "false" | "0"),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

/// Numbers by value, datetimes by time, anything else by its text; `null` equals only `null`.
fn compare(a: &Value, op: CmpOp, b: &Value) -> bool {
    use std::cmp::Ordering;
    if op == CmpOp::Contains {
        return matches!((text(a), text(b)), (Some(a), Some(b)) if a.contains(&b));
    }
    let order = match (a, b) {
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        (Value::Null, _) | (_, Value::Null) => None,
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => x.partial_cmp(&y),
            _ => {
                let (x, y) = (text(a).unwrap_or_default(), text(b).unwrap_or_default());
                match (
                    DateTime::parse_from_rfc3339(&x),
                    DateTime::parse_from_rfc3339(&y),
                ) {
                    (Ok(x), Ok(y)) => Some(x.cmp(&y)),
                    _ => Some(x.cmp(&y)),
                }
            }
        },
    };
    match (op, order) {
        (CmpOp::Ne, None) => true,
        (_, None) => false,
        (CmpOp::Eq, Some(o)) => o == Ordering::Equal,
        (CmpOp::Ne, Some(o)) => o != Ordering::Equal,
        (CmpOp::Lt, Some(o)) => o == Ordering::Less,
        (CmpOp::Le, Some(o)) => o != Ordering::Greater,
        (CmpOp::Gt, Some(o)) => o == Ordering::Greater,
        (CmpOp::Ge, Some(o)) => o != Ordering::Less,
        (CmpOp::Contains, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn conditions_and_values_over_record_body_found_and_base() {
        let record = map(
            json!({"active": false, "store-credit": "2.50", "active-until": "2024-01-31T10:00:00Z"}),
        );
        let body = map(
            json!({"amount": "-3.00", "duration-quantity": 1, "duration-units": "months", "subscriber": {"customer-id": "44", "card": {"month": 5}}}),
        );
        let base = [("site".to_owned(), "acme-test".to_owned())];
        let mut env = Env {
            record: &record,
            body: &body,
            found: BTreeMap::new(),
            base: &base,
            params: &[("id".to_owned(), "44".to_owned())],
            now: DateTime::parse_from_rfc3339("2024-05-01T00:00:00Z").expect("time"),
        };
        env.found.insert(
            "plan".into(),
            FoundRecord {
                id: 3,
                record: map(
                    json!({"plan-type": "free_trial", "duration-quantity": 7, "duration-units": "days"}),
                ),
                created: false,
            },
        );
        let holds = |text: &str| env.holds(&Cond::parse(text).expect("parses"));
        assert!(holds("not active"));
        assert!(holds("store-credit + body.amount < 0"));
        assert!(holds(
            "plan.plan-type == 'free_trial' and base.site contains 'test'"
        ));
        assert!(!holds("plan.plan-type != 'free_trial'"));
        assert!(holds("missing == null"));
        assert!(holds(
            "body.subscriber.customer-id == 44 and body.subscriber.card.month < 6"
        ));
        assert!(holds(
            "body.subscriber.missing == null and body.amount.x == null"
        ));
        let term = |text: &str| env.term(&Term::parse(text).expect("parses"));
        assert_eq!(
            term("now + plan.duration-quantity plan.duration-units"),
            json!("2024-05-08T00:00:00Z")
        );
        assert_eq!(
            term("active-until + body.duration-quantity body.duration-units"),
            json!("2024-02-29T10:00:00Z")
        );
        assert_eq!(term("store-credit + body.amount"), json!(-0.5));
        assert_eq!(term("plan.plan-type"), json!("free_trial"));
        let message =
            Template::parse("There is no subscriber with a customer id of {id} ({plan.plan-type})")
                .expect("template");
        assert_eq!(
            env.message(&message),
            "There is no subscriber with a customer id of 44 (free_trial)"
        );
    }
}
