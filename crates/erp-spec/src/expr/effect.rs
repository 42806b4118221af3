//! Conditions and values of an operation's effects (`resources.<r>.operations.<op>.sandbox`):
//! the `computed` expressions of [`super::Expr`] plus text, booleans, comparisons and date
//! arithmetic, reading fields of the addressed record (`active`), of the request body
//! (`body.amount`), of records the operation looks up (`plan.plan-type`) and of the base URL's
//! variables (`base.site`).
//!
//! ```text
//! cond  := and ("or" and)*            and := unary ("and" unary)*
//! unary := "not" unary | term [op term]   op := == != < <= > >= contains
//! term  := 'text' | true | false | null | now [(+|-) sum unit] | sum [unit]
//! unit  := seconds | minutes | hours | days | weeks | months | years | an operand holding one
//! ```
//!
//! A term without an operator is tested for truth: absent, `null`, `false`, `0` and `""` are
//! false. `sum unit` shifts a datetime: `active-until + body.duration-quantity body.duration-units`.

use super::{BinOp, Expr, ExprParser, Operand, ParseError, is_name_start};

/// A unit of date arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
    Years,
}

impl TimeUnit {
    /// The unit a word names, singular or plural (`day`, `days`).
    pub fn from_word(word: &str) -> Option<TimeUnit> {
        Some(match word.trim().trim_end_matches('s') {
            "second" => TimeUnit::Seconds,
            "minute" => TimeUnit::Minutes,
            "hour" => TimeUnit::Hours,
            "day" => TimeUnit::Days,
            "week" => TimeUnit::Weeks,
            "month" => TimeUnit::Months,
            "year" => TimeUnit::Years,
            _ => return None,
        })
    }
}

/// The unit of a date shift: written, or read from a value at run time (`plan.duration-units`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    Fixed(TimeUnit),
    Read(Operand),
}

/// What a date shift starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeBase {
    /// The server's time.
    Now,
    /// A datetime value.
    Read(Operand),
}

/// A value: what `set` writes and what conditions compare.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    Text(String),
    Bool(bool),
    /// Removes the field when set.
    Null,
    /// A number from `+ - * /`; a lone operand keeps its own value (text, boolean, ...).
    Expr(Expr),
    /// A datetime `amount` units after (or before, when negative) `base`.
    Shift {
        base: TimeBase,
        amount: Expr,
        unit: Unit,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// Text containment.
    Contains,
}

/// A condition of an effect.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Truthy(Term),
    Compare(Term, CmpOp, Term),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
}

impl Term {
    /// Parses one value (see the module documentation).
    pub fn parse(text: &str) -> Result<Term, ParseError> {
        let mut p = ExprParser::new(text, true);
        let term = term(&mut p)?;
        end(&mut p)?;
        Ok(term)
    }

    /// Every operand the value reads.
    pub fn operands(&self) -> Vec<&Operand> {
        match self {
            Term::Text(_) | Term::Bool(_) | Term::Null => Vec::new(),
            Term::Expr(e) => e.operands(),
            Term::Shift { base, amount, unit } => {
                let mut out = Vec::new();
                if let TimeBase::Read(o) = base {
                    out.push(o);
                }
                out.extend(amount.operands());
                if let Unit::Read(o) = unit {
                    out.push(o);
                }
                out
            }
        }
    }
}

impl Cond {
    /// Parses a condition (see the module documentation).
    pub fn parse(text: &str) -> Result<Cond, ParseError> {
        let mut p = ExprParser::new(text, true);
        let cond = or(&mut p)?;
        end(&mut p)?;
        Ok(cond)
    }

    /// Every operand the condition reads.
    pub fn operands(&self) -> Vec<&Operand> {
        match self {
            Cond::Truthy(t) => t.operands(),
            Cond::Compare(a, _, b) => {
                let mut out = a.operands();
                out.extend(b.operands());
                out
            }
            Cond::Not(c) => c.operands(),
            Cond::And(a, b) | Cond::Or(a, b) => {
                let mut out = a.operands();
                out.extend(b.operands());
                out
            }
        }
    }
}

fn end(p: &mut ExprParser) -> Result<(), ParseError> {
    match p.peek() {
        None => Ok(()),
        Some(c) => Err(p.error(format!("unexpected `{c}`"))),
    }
}

/// The next word, consumed only when it is `word`.
fn keyword(p: &mut ExprParser, word: &str) -> bool {
    if !p.peek().is_some_and(is_name_start) {
        return false;
    }
    let start = p.at;
    if p.name() == word {
        return true;
    }
    p.at = start;
    false
}

fn or(p: &mut ExprParser) -> Result<Cond, ParseError> {
    let mut left = and(p)?;
    while keyword(p, "or") {
        left = Cond::Or(Box::new(left), Box::new(and(p)?));
    }
    Ok(left)
}

fn and(p: &mut ExprParser) -> Result<Cond, ParseError> {
    let mut left = unary(p)?;
    while keyword(p, "and") {
        left = Cond::And(Box::new(left), Box::new(unary(p)?));
    }
    Ok(left)
}

fn unary(p: &mut ExprParser) -> Result<Cond, ParseError> {
    if keyword(p, "not") {
        return Ok(Cond::Not(Box::new(unary(p)?)));
    }
    let left = term(p)?;
    let op = match p.peek() {
        Some('=') => two(p, '=', CmpOp::Eq)?,
        Some('!') => two(p, '=', CmpOp::Ne)?,
        Some('<') => one_or_two(p, CmpOp::Lt, CmpOp::Le),
        Some('>') => one_or_two(p, CmpOp::Gt, CmpOp::Ge),
        _ if keyword(p, "contains") => CmpOp::Contains,
        _ => return Ok(Cond::Truthy(left)),
    };
    Ok(Cond::Compare(left, op, term(p)?))
}

/// `==` or `!=`: the first character is peeked, the second must be `second`.
fn two(p: &mut ExprParser, second: char, op: CmpOp) -> Result<CmpOp, ParseError> {
    p.at += 1;
    if p.chars.get(p.at) == Some(&second) {
        p.at += 1;
        return Ok(op);
    }
    Err(p.error(format!(
        "expected `{second}` (comparisons are `==` and `!=`)"
    )))
}

/// `<` / `<=` (or `>` / `>=`).
fn one_or_two(p: &mut ExprParser, one: CmpOp, with_eq: CmpOp) -> CmpOp {
    p.at += 1;
    if p.chars.get(p.at) == Some(&'=') {
        p.at += 1;
        return with_eq;
    }
    one
}

fn term(p: &mut ExprParser) -> Result<Term, ParseError> {
    if p.peek() == Some('\'') {
        p.at += 1;
        let start = p.at;
        let close = p.chars[start..]
            .iter()
            .position(|c| *c == '\'')
            .ok_or_else(|| p.error("text in `'` is never closed"))?;
        p.at = start + close + 1;
        return Ok(Term::Text(p.chars[start..start + close].iter().collect()));
    }
    for (word, value) in [
        ("true", Term::Bool(true)),
        ("false", Term::Bool(false)),
        ("null", Term::Null),
    ] {
        if keyword(p, word) {
            return Ok(value);
        }
    }
    if keyword(p, "now") {
        let sign = match p.peek() {
            Some('+') => 1.0,
            Some('-') => -1.0,
            _ => {
                return Ok(Term::Shift {
                    base: TimeBase::Now,
                    amount: Expr::Number(0.0),
                    unit: Unit::Fixed(TimeUnit::Seconds),
                });
            }
        };
        p.at += 1;
        let amount = signed(sign, p.sum()?);
        let unit = unit(p)?;
        return Ok(Term::Shift {
            base: TimeBase::Now,
            amount,
            unit,
        });
    }
    let expr = p.sum()?;
    if !p.peek().is_some_and(is_name_start) || next_is_keyword(p) {
        return Ok(Term::Expr(expr));
    }
    // `<datetime> + <amount> <unit>`: the sum parsed as `datetime + amount`.
    let Expr::Binary(op @ (BinOp::Add | BinOp::Sub), base, amount) = expr else {
        return Err(p.error("a unit follows only `<datetime> + <amount>`"));
    };
    let Expr::Operand(base) = *base else {
        return Err(p.error("a date shift starts from `now` or a datetime field"));
    };
    let sign = if op == BinOp::Add { 1.0 } else { -1.0 };
    Ok(Term::Shift {
        base: TimeBase::Read(base),
        amount: signed(sign, *amount),
        unit: unit(p)?,
    })
}

fn signed(sign: f64, amount: Expr) -> Expr {
    if sign < 0.0 {
        Expr::Neg(Box::new(amount))
    } else {
        amount
    }
}

/// Whether the next word is one of the condition's keywords (never a unit).
fn next_is_keyword(p: &mut ExprParser) -> bool {
    let start = p.at;
    let word = p.name();
    p.at = start;
    matches!(word.as_str(), "and" | "or" | "contains")
}

fn unit(p: &mut ExprParser) -> Result<Unit, ParseError> {
    if !p.peek().is_some_and(is_name_start) {
        return Err(p.error("expected a unit (`days`, `months`, ...) or a field holding one"));
    }
    let start = p.at;
    let word = p.name();
    if let Some(unit) = TimeUnit::from_word(&word) {
        return Ok(Unit::Fixed(unit));
    }
    p.at = start;
    match p.sum()? {
        Expr::Operand(o) => Ok(Unit::Read(o)),
        _ => Err(p.error("expected a unit or a field holding one")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str) -> Operand {
        Operand::Field(name.to_owned())
    }

    fn scoped(scope: &str, name: &str) -> Operand {
        Operand::Scoped {
            scope: scope.to_owned(),
            field: name.to_owned(),
        }
    }

    #[test]
    fn conditions_read_dashed_names_scopes_and_text() {
        assert_eq!(
            Cond::parse("not eligible-for-free-trial"),
            Ok(Cond::Not(Box::new(Cond::Truthy(Term::Expr(
                Expr::Operand(field("eligible-for-free-trial"))
            )))))
        );
        assert_eq!(
            Cond::parse("plan.plan-type != 'free_trial'"),
            Ok(Cond::Compare(
                Term::Expr(Expr::Operand(scoped("plan", "plan-type"))),
                CmpOp::Ne,
                Term::Text("free_trial".into())
            ))
        );
        let credit = Cond::parse("store-credit + body.amount < 0 and not closed").expect("parses");
        assert!(matches!(credit, Cond::And(..)), "{credit:?}");
        assert_eq!(
            credit.operands(),
            vec![
                &field("store-credit"),
                &scoped("body", "amount"),
                &field("closed")
            ]
        );
        assert!(Cond::parse("not (base.site contains 'test')").is_err());
        assert!(matches!(
            Cond::parse("not base.site contains 'test'"),
            Ok(Cond::Not(c)) if matches!(*c, Cond::Compare(_, CmpOp::Contains, _))
        ));
        assert_eq!(
            Cond::parse("body.subscriber.customer-id == 44").map(|c| c.operands().len()),
            Ok(1)
        );
        assert_eq!(
            Term::parse("body.subscriber.customer-id"),
            Ok(Term::Expr(Expr::Operand(scoped(
                "body",
                "subscriber.customer-id"
            ))))
        );
        assert!(Cond::parse("body.subscriber. x").is_err());
        assert!(Cond::parse("a = 1").is_err());
        assert!(Cond::parse("'open").is_err());
    }

    #[test]
    fn date_shifts_from_now_or_a_field() {
        assert_eq!(
            Term::parse("now + plan.duration-quantity plan.duration-units"),
            Ok(Term::Shift {
                base: TimeBase::Now,
                amount: Expr::Operand(scoped("plan", "duration-quantity")),
                unit: Unit::Read(scoped("plan", "duration-units")),
            })
        );
        assert_eq!(
            Term::parse("active-until + 2 months"),
            Ok(Term::Shift {
                base: TimeBase::Read(field("active-until")),
                amount: Expr::Number(2.0),
                unit: Unit::Fixed(TimeUnit::Months),
            })
        );
        assert!(matches!(Term::parse("now"), Ok(Term::Shift { .. })));
        assert_eq!(Term::parse("true"), Ok(Term::Bool(true)));
        assert_eq!(Term::parse("'Pro'"), Ok(Term::Text("Pro".into())));
        assert!(matches!(
            Term::parse("store-credit + body.amount"),
            Ok(Term::Expr(Expr::Binary(BinOp::Add, ..)))
        ));
        assert!(Term::parse("2 * 3 days").is_err());
        assert!(Term::parse("now + 1").is_err());
    }
}
