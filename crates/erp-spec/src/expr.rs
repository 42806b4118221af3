//! The small languages of the spec's `sandbox:` parts: `computed` expressions
//! (`verkoopprijs_excl * (1 + BTW / 100)`) and `template` strings (`ART-{id|pad:4}`) of a field,
//! and, built on the same expressions, the conditions and values of an operation's effects
//! (`not eligible-for-free-trial`, `now + plan.duration-quantity plan.duration-units`; see
//! [`effect`]).
//!
//! All are parsed once, when the spec is validated, into the small trees below; the sandbox
//! evaluates the trees for every record it makes, never the text.
//!
//! Names may hold `-` between letters or digits (Rails-style `store-credit`), so a subtraction
//! of two names is written with spaces (`a - b`).

pub mod effect;

use std::fmt;

/// A value an expression reads: a field of the same record, or of the record (or nested item)
/// that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    Field(String),
    Parent(String),
    /// `<scope>.<field>`: a field of another value an operation's effect reads (`body.amount`,
    /// `plan.plan-type`, `base.site`); only effects accept it (see [`effect`]). `field` may be a
    /// path into nested objects, its steps joined by `.` (`body.subscriber.customer-id`).
    Scoped {
        scope: String,
        field: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// A parsed `computed` expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    Operand(Operand),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `random(a, b)`: uniform in `a..=b`, drawn anew for each evaluation.
    Random(Box<Expr>, Box<Expr>),
}

/// What evaluating an expression needs from its caller.
pub trait Context {
    /// The operand's value as a number, `None` when it is absent or not a number.
    fn value(&mut self, operand: &Operand) -> Option<f64>;
    /// A number uniform in `lo..=hi`.
    fn random(&mut self, lo: f64, hi: f64) -> f64;
}

/// Why a text is not an expression or template, and where (a 0-based character offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.offset + 1)
    }
}

impl Expr {
    /// Parses `+ - * /` (also `×` and `÷`), parentheses, numbers, field names, `parent.<field>`
    /// and `random(a, b)`, with the usual precedence.
    pub fn parse(text: &str) -> Result<Expr, ParseError> {
        let mut parser = ExprParser::new(text, false);
        let expr = parser.sum()?;
        parser.skip_space();
        if parser.at < parser.chars.len() {
            return Err(parser.error(format!("unexpected `{}`", parser.chars[parser.at])));
        }
        Ok(expr)
    }

    /// Every operand the expression reads, in order.
    pub fn operands(&self) -> Vec<&Operand> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a Operand>) {
        match self {
            Expr::Number(_) => {}
            Expr::Operand(o) => out.push(o),
            Expr::Neg(e) => e.collect(out),
            Expr::Binary(_, a, b) | Expr::Random(a, b) => {
                a.collect(out);
                b.collect(out);
            }
        }
    }

    /// The value, or `None` when an operand is missing or a division is by zero.
    pub fn eval(&self, cx: &mut impl Context) -> Option<f64> {
        let value = match self {
            Expr::Number(n) => *n,
            Expr::Operand(o) => cx.value(o)?,
            Expr::Neg(e) => -e.eval(cx)?,
            Expr::Binary(op, a, b) => {
                let (a, b) = (a.eval(cx)?, b.eval(cx)?);
                match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div if b == 0.0 => return None,
                    BinOp::Div => a / b,
                }
            }
            Expr::Random(lo, hi) => {
                let (lo, hi) = (lo.eval(cx)?, hi.eval(cx)?);
                cx.random(lo.min(hi), lo.max(hi))
            }
        };
        value.is_finite().then_some(value)
    }
}

pub(crate) struct ExprParser {
    pub(crate) chars: Vec<char>,
    pub(crate) at: usize,
    /// Whether `<scope>.<field>` is allowed (effects) or only `parent.<field>` (`computed`).
    scoped: bool,
}

impl ExprParser {
    pub(crate) fn new(text: &str, scoped: bool) -> ExprParser {
        ExprParser {
            chars: text.chars().collect(),
            at: 0,
            scoped,
        }
    }

    pub(crate) fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            offset: self.at,
            message: message.into(),
        }
    }

    pub(crate) fn skip_space(&mut self) {
        while self.chars.get(self.at).is_some_and(|c| c.is_whitespace()) {
            self.at += 1;
        }
    }

    pub(crate) fn peek(&mut self) -> Option<char> {
        self.skip_space();
        self.chars.get(self.at).copied()
    }

    fn expect(&mut self, wanted: char) -> Result<(), ParseError> {
        match self.peek() {
            Some(c) if c == wanted => {
                self.at += 1;
                Ok(())
            }
            Some(c) => Err(self.error(format!("expected `{wanted}`, found `{c}`"))),
            None => Err(self.error(format!("expected `{wanted}` before the end"))),
        }
    }

    pub(crate) fn sum(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.product()?;
        loop {
            let op = match self.peek() {
                Some('+') => BinOp::Add,
                Some('-' | '−') => BinOp::Sub,
                _ => return Ok(left),
            };
            self.at += 1;
            let right = self.product()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn product(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Some('*' | '×') => BinOp::Mul,
                Some('/' | '÷') => BinOp::Div,
                _ => return Ok(left),
            };
            self.at += 1;
            let right = self.unary()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if matches!(self.peek(), Some('-' | '−')) {
            self.at += 1;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        match self.peek() {
            None => Err(self.error("expected a number, a field name or `(` before the end")),
            Some('(') => {
                self.at += 1;
                let inner = self.sum()?;
                self.expect(')')?;
                Ok(inner)
            }
            Some(c) if c.is_ascii_digit() || c == '.' => self.number(),
            Some(c) if is_name_start(c) => {
                let start = self.at;
                let name = self.name();
                if name == "random" && self.peek() == Some('(') {
                    self.at += 1;
                    let lo = self.sum()?;
                    self.expect(',')?;
                    let hi = self.sum()?;
                    self.expect(')')?;
                    return Ok(Expr::Random(Box::new(lo), Box::new(hi)));
                }
                if self.chars.get(self.at) == Some(&'.') {
                    if self.scoped && name != "parent" {
                        self.at += 1;
                        if !self.chars.get(self.at).copied().is_some_and(is_name_start) {
                            return Err(
                                self.error(format!("expected a field name after `{name}.`"))
                            );
                        }
                        let mut field = self.name();
                        // A path into nested objects: `body.subscriber.customer-id`.
                        while self.chars.get(self.at) == Some(&'.')
                            && self
                                .chars
                                .get(self.at + 1)
                                .copied()
                                .is_some_and(is_name_start)
                        {
                            self.at += 1;
                            field.push('.');
                            field.push_str(&self.name());
                        }
                        return Ok(Expr::Operand(Operand::Scoped { scope: name, field }));
                    }
                    if name != "parent" {
                        self.at = start;
                        return Err(self.error(format!(
                            "`{name}.` reads another record; an expression reads fields of its own record and `parent.<field>` only"
                        )));
                    }
                    self.at += 1;
                    if !self.chars.get(self.at).copied().is_some_and(is_name_start) {
                        return Err(self.error("expected a field name after `parent.`"));
                    }
                    return Ok(Expr::Operand(Operand::Parent(self.name())));
                }
                Ok(Expr::Operand(Operand::Field(name)))
            }
            Some(c) => Err(self.error(format!(
                "unexpected `{c}`; expected a number, a field name or `(`"
            ))),
        }
    }

    /// A name: letters, digits and `_`, and `-` between two of those (`store-credit`).
    pub(crate) fn name(&mut self) -> String {
        let start = self.at;
        let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || *c == '_');
        loop {
            match self.chars.get(self.at) {
                c if word(c) => self.at += 1,
                Some('-') if self.at > start && word(self.chars.get(self.at + 1)) => self.at += 1,
                _ => break,
            }
        }
        self.chars[start..self.at].iter().collect()
    }

    fn number(&mut self) -> Result<Expr, ParseError> {
        let start = self.at;
        while self
            .chars
            .get(self.at)
            .is_some_and(|c| c.is_ascii_digit() || *c == '.')
        {
            self.at += 1;
        }
        let text: String = self.chars[start..self.at].iter().collect();
        text.parse::<f64>()
            .map(Expr::Number)
            .map_err(|_| ParseError {
                offset: start,
                message: format!("`{text}` is not a number"),
            })
    }
}

pub(crate) fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

/// How a template placeholder is zero-padded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pad {
    /// `{id|pad:4}`
    Width(usize),
    /// `{number|pad:number_length}`: the width is another field's value.
    Field(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Field { name: String, pad: Option<Pad> },
}

/// A parsed `template`: text with `{field}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub parts: Vec<Part>,
}

/// Widths above this are taken as this (a record's own number decides some widths).
pub const MAX_PAD: usize = 20;

impl Template {
    /// Parses text with `{field}`, `{field|pad:N}` and `{field|pad:other_field}`; `{{` and `}}`
    /// stand for braces.
    pub fn parse(text: &str) -> Result<Template, ParseError> {
        let chars: Vec<char> = text.chars().collect();
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut at = 0;
        let error = |offset: usize, message: String| ParseError { offset, message };
        while at < chars.len() {
            match chars[at] {
                '{' if chars.get(at + 1) == Some(&'{') => {
                    literal.push('{');
                    at += 2;
                }
                '}' if chars.get(at + 1) == Some(&'}') => {
                    literal.push('}');
                    at += 2;
                }
                '}' => return Err(error(at, "`}` without `{` (write `}}` for a brace)".into())),
                '{' => {
                    let close = chars[at..]
                        .iter()
                        .position(|c| *c == '}')
                        .map(|p| at + p)
                        .ok_or_else(|| error(at, "`{` is never closed".into()))?;
                    let inner: String = chars[at + 1..close].iter().collect();
                    let (name, pad) = match inner.split_once('|') {
                        None => (inner.trim(), None),
                        Some((name, filter)) => {
                            let width = filter.trim().strip_prefix("pad:").ok_or_else(|| {
                                error(
                                    at,
                                    format!("unknown filter `{}`; expected `pad:<width>` or `pad:<field>`", filter.trim()),
                                )
                            })?;
                            let width = width.trim();
                            let pad = match width.parse::<usize>() {
                                Ok(n) => Pad::Width(n.min(MAX_PAD)),
                                Err(_) if is_field_name(width) => Pad::Field(width.to_owned()),
                                Err(_) => {
                                    return Err(error(
                                        at,
                                        format!("`pad:{width}` needs a width or a field name"),
                                    ));
                                }
                            };
                            (name.trim(), Some(pad))
                        }
                    };
                    if !is_field_name(name) {
                        return Err(error(at, format!("`{{{inner}}}` names no field")));
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Field {
                        name: name.to_owned(),
                        pad,
                    });
                    at = close + 1;
                }
                c => {
                    literal.push(c);
                    at += 1;
                }
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template { parts })
    }

    /// Every field the template reads (placeholders and pad widths), in order.
    pub fn fields(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for part in &self.parts {
            if let Part::Field { name, pad } = part {
                out.push(name.as_str());
                if let Some(Pad::Field(width)) = pad {
                    out.push(width.as_str());
                }
            }
        }
        out
    }

    /// The text with every placeholder filled: `text(field)` is a field's value as text (empty
    /// when absent), `width(field)` a pad field's value. Each line is then trimmed with runs of
    /// spaces collapsed, and blank lines are dropped, so absent parts leave no gaps.
    pub fn render(
        &self,
        mut text: impl FnMut(&str) -> Option<String>,
        mut width: impl FnMut(&str) -> Option<usize>,
    ) -> String {
        let mut raw = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => raw.push_str(t),
                Part::Field { name, pad } => {
                    let value = text(name).unwrap_or_default();
                    let width = match pad {
                        None => 0,
                        Some(Pad::Width(n)) => *n,
                        Some(Pad::Field(f)) => width(f).unwrap_or(0).min(MAX_PAD),
                    };
                    let missing = width.saturating_sub(value.chars().count());
                    raw.extend(std::iter::repeat_n(
                        '0',
                        if value.is_empty() { 0 } else { missing },
                    ));
                    raw.push_str(&value);
                }
            }
        }
        // One pass, one string: a sandbox renders this for every record it seeds.
        let mut out = String::with_capacity(raw.len());
        for line in raw.lines() {
            let mut words = line.split_whitespace();
            let Some(first) = words.next() else { continue };
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(first);
            for word in words {
                out.push(' ');
                out.push_str(word);
            }
        }
        out
    }
}

fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '{' | '}' | '|'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Record {
        own: BTreeMap<&'static str, f64>,
        parent: BTreeMap<&'static str, f64>,
        random: f64,
    }

    impl Context for Record {
        fn value(&mut self, operand: &Operand) -> Option<f64> {
            match operand {
                Operand::Field(f) => self.own.get(f.as_str()).copied(),
                Operand::Parent(f) => self.parent.get(f.as_str()).copied(),
                Operand::Scoped { .. } => None,
            }
        }
        fn random(&mut self, lo: f64, hi: f64) -> f64 {
            lo + (hi - lo) * self.random
        }
    }

    fn record() -> Record {
        Record {
            own: [("prijs_excl", 10.0), ("btw", 21.0), ("korting", 10.0)].into(),
            parent: [("prijs_excl", 50.0)].into(),
            random: 0.5,
        }
    }

    fn eval(text: &str) -> Option<f64> {
        Expr::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .eval(&mut record())
    }

    #[test]
    fn precedence_parentheses_and_operands() {
        assert_eq!(eval("1 + 2 * 3"), Some(7.0));
        assert_eq!(eval("(1 + 2) * 3"), Some(9.0));
        assert_eq!(eval("10 - 4 - 3"), Some(3.0), "left to right");
        assert_eq!(eval("-2 * -3"), Some(6.0));
        assert_eq!(eval("8 ÷ 2 × 3 − 1"), Some(11.0));
        let incl = eval("prijs_excl * (1 + btw / 100)").expect("value");
        assert!((incl - 12.1).abs() < 1e-9);
        assert_eq!(eval("parent.prijs_excl * (1 - korting / 100)"), Some(45.0));
        let purchase = eval("prijs_excl * random(0.4, 0.8)").expect("value");
        assert!(
            (purchase - 6.0).abs() < 1e-9,
            "the middle of 4..8: {purchase}"
        );
        assert_eq!(eval(".5 + 1.25"), Some(1.75));
    }

    #[test]
    fn missing_operands_and_division_by_zero_give_nothing() {
        assert_eq!(eval("unknown + 1"), None);
        assert_eq!(eval("parent.btw"), None);
        assert_eq!(eval("1 / (btw - 21)"), None);
    }

    #[test]
    fn operands_are_listed() {
        let expr = Expr::parse("a * random(b, 2) + parent.c").expect("parses");
        assert_eq!(
            expr.operands(),
            [
                &Operand::Field("a".into()),
                &Operand::Field("b".into()),
                &Operand::Parent("c".into())
            ]
        );
    }

    #[test]
    fn bad_expressions_say_where() {
        let cases = [
            ("1 +", 3, "before the end"),
            ("(1 + 2", 6, "expected `)`"),
            ("1 2", 2, "unexpected `2`"),
            ("client.price", 0, "`client.` reads another record"),
            ("1.2.3", 0, "`1.2.3` is not a number"),
            ("a % b", 2, "unexpected `%`"),
            ("random(1)", 8, "expected `,`"),
            ("parent.", 7, "after `parent.`"),
        ];
        for (text, offset, message) in cases {
            let error = Expr::parse(text).expect_err(text);
            assert_eq!(error.offset, offset, "{text}: {error}");
            assert!(error.message.contains(message), "{text}: {error}");
        }
    }

    fn fill(template: &str, values: &[(&str, &str)]) -> String {
        let values: BTreeMap<&str, &str> = values.iter().copied().collect();
        Template::parse(template)
            .unwrap_or_else(|e| panic!("{template}: {e}"))
            .render(
                |f| values.get(f).map(|v| (*v).to_owned()),
                |f| values.get(f).and_then(|v| v.parse().ok()),
            )
    }

    #[test]
    fn templates_pad_and_tidy_lines() {
        assert_eq!(fill("ART-{id|pad:4}", &[("id", "2")]), "ART-0002");
        assert_eq!(fill("ART-{id|pad:4}", &[("id", "12345")]), "ART-12345");
        let number = "{number_pre}{number|pad:number_length}";
        assert_eq!(
            fill(number, &[("number_pre", "KD"), ("number", "12")]),
            "KD12"
        );
        assert_eq!(
            fill(
                number,
                &[
                    ("number_pre", "KD"),
                    ("number", "12"),
                    ("number_length", "4")
                ]
            ),
            "KD0012"
        );
        let address = "{name}\n{salutation} {first_name} {last_name}\n{street}\n{zip} {city}";
        assert_eq!(
            fill(
                address,
                &[
                    ("name", "Beispiel AG"),
                    ("first_name", "Mia"),
                    ("last_name", "Weber"),
                    ("street", "Hauptstraße 12"),
                    ("zip", "80331"),
                    ("city", "München")
                ]
            ),
            "Beispiel AG\nMia Weber\nHauptstraße 12\n80331 München"
        );
        assert_eq!(fill(address, &[("city", "Wien")]), "Wien");
        assert_eq!(fill("{{literal}} {x}", &[("x", "1")]), "{literal} 1");
    }

    #[test]
    fn template_fields_and_errors() {
        let t = Template::parse("{a} and {b|pad:c}").expect("parses");
        assert_eq!(t.fields(), ["a", "b", "c"]);
        let cases = [
            ("ART-{id", 4, "never closed"),
            ("{}", 0, "names no field"),
            ("x}", 1, "without `{`"),
            ("{id|upper}", 0, "unknown filter `upper`"),
            ("{id|pad:two words}", 0, "needs a width or a field name"),
        ];
        for (text, offset, message) in cases {
            let error = Template::parse(text).expect_err(text);
            assert_eq!(error.offset, offset, "{text}: {error}");
            assert!(error.message.contains(message), "{text}: {error}");
        }
    }
}
