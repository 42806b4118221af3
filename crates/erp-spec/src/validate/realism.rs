//! The relations a field's `sandbox:` part declares (`drawn_with`, `references`, `copy`,
//! `computed`, ...): every name they use must exist, every value fit the field's type, and the
//! values of one record must not follow each other in a circle. Checked once the models and
//! resources are known, since a declaration may name a field of another model or a resource.

use std::collections::{BTreeMap, BTreeSet};

use serde_saphyr::{Location, Spanned};

use super::Validator;
use crate::expr::effect::Term;
use crate::expr::{Expr, Operand, Template};
use crate::ir::{self, CopyFrom, Derive, FieldSandbox, Like, Range, Stamp, TypeRef};
use crate::raw::{Key, RawFieldSandbox, RawModel};
use crate::suggest::suggest;

/// What the checks need to know about the whole spec.
struct Scope<'a> {
    models: &'a [ir::Model],
    resources: &'a [ir::Resource],
}

impl<'a> Scope<'a> {
    fn model(&self, name: &str) -> Option<&'a ir::Model> {
        self.models.iter().find(|m| m.name == name)
    }

    /// The model of a resource's records.
    fn resource_model(&self, resource: &str) -> Option<&'a ir::Model> {
        let resource = self.resources.iter().find(|r| r.name == resource)?;
        self.model(resource.record_model()?)
    }

    /// The models holding `model` as a nested item (directly or as list items), with the field.
    fn holders(&self, model: &str) -> Vec<(&'a ir::Model, &'a ir::Field)> {
        let mut out = Vec::new();
        for m in self.models {
            for f in &m.fields {
                if matches!(f.ty.innermost(), TypeRef::Model(inner) if inner == model) {
                    out.push((m, f));
                }
            }
        }
        out
    }
}

fn field<'m>(model: &'m ir::Model, name: &str) -> Option<&'m ir::Field> {
    model.fields.iter().find(|f| f.wire_name == name)
}

fn names(model: &ir::Model) -> BTreeSet<String> {
    model.fields.iter().map(|f| f.wire_name.clone()).collect()
}

impl Validator {
    /// Fills in `Field::sandbox` beyond its examples, reporting every bad declaration:
    /// `references` of every field first, since a `copy` may go through another field's.
    pub(super) fn realism(
        &mut self,
        raw: &BTreeMap<Key, Spanned<RawModel>>,
        models: &mut [ir::Model],
        resources: &[ir::Resource],
    ) {
        let part = |model: &ir::Model, f: &ir::Field| {
            raw.get(model.name.as_str())?
                .value
                .fields
                .get(f.wire_name.as_str())?
                .value
                .sandbox
                .as_ref()
        };
        let mut references = Vec::new();
        {
            let scope = Scope { models, resources };
            for (mi, model) in models.iter().enumerate() {
                for (fi, f) in model.fields.iter().enumerate() {
                    let Some(r) = part(model, f).and_then(|p| p.value.references.as_ref()) else {
                        continue;
                    };
                    let mut check = FieldCheck::new(self, &scope, model, f);
                    if let Some(resource) = check.references(r) {
                        references.push((mi, fi, resource));
                    }
                }
            }
        }
        for (mi, fi, resource) in references {
            models[mi].fields[fi].sandbox.references = Some(resource);
        }
        let mut declared: Vec<(usize, usize, FieldSandbox)> = Vec::new();
        {
            let scope = Scope { models, resources };
            for (mi, model) in models.iter().enumerate() {
                let mut derived: Vec<(usize, Location)> = Vec::new();
                let mut own: BTreeMap<usize, Derive> = BTreeMap::new();
                for (fi, f) in model.fields.iter().enumerate() {
                    let Some(p) = part(model, f) else { continue };
                    let (sandbox, at) = FieldCheck::new(self, &scope, model, f).part(&p.value);
                    if let (Some(at), Some(derive)) = (at, &sandbox.derive) {
                        derived.push((fi, at));
                        own.insert(fi, derive.clone());
                    }
                    declared.push((mi, fi, sandbox));
                }
                self.circles(model, &own, &derived);
            }
        }
        for (mi, fi, sandbox) in declared {
            models[mi].fields[fi].sandbox = sandbox;
        }
    }

    /// Values of one record that follow each other in a circle have no order to be made in.
    fn circles(
        &mut self,
        model: &ir::Model,
        own: &BTreeMap<usize, Derive>,
        derived: &[(usize, Location)],
    ) {
        let index = |name: &str| model.fields.iter().position(|f| f.wire_name == name);
        let mut reported: BTreeSet<usize> = BTreeSet::new();
        for &(start, at) in derived {
            if reported.contains(&start) {
                continue;
            }
            // Depth-first from `start`; a path back to it is a circle.
            let mut stack: Vec<Vec<usize>> = vec![vec![start]];
            let mut seen = BTreeSet::new();
            while let Some(path) = stack.pop() {
                let Some(&last) = path.last() else { continue };
                let Some(derive) = own.get(&last) else {
                    continue;
                };
                for next in derive.reads().into_iter().filter_map(index) {
                    if next == start {
                        let circle: Vec<String> = path
                            .iter()
                            .chain(std::iter::once(&start))
                            .map(|&i| format!("`{}`", model.fields[i].wire_name))
                            .collect();
                        reported.extend(path.iter().copied());
                        self.err(
                            &at,
                            format!(
                                "model `{}`: the sandbox values {} follow each other in a circle; one of them needs examples or a type-based value instead",
                                model.name,
                                circle.join(" -> ")
                            ),
                        );
                        stack.clear();
                        break;
                    }
                    if seen.insert(next) {
                        let mut longer = path.clone();
                        longer.push(next);
                        stack.push(longer);
                    }
                }
            }
        }
    }
}

/// The checks of one field's `sandbox:` part.
struct FieldCheck<'v, 's> {
    v: &'v mut Validator,
    scope: &'s Scope<'s>,
    model: &'s ir::Model,
    field: &'s ir::Field,
    /// "model `M`: field `f`", the start of every message.
    here: String,
}

impl<'v, 's> FieldCheck<'v, 's> {
    fn new(
        v: &'v mut Validator,
        scope: &'s Scope<'s>,
        model: &'s ir::Model,
        field: &'s ir::Field,
    ) -> Self {
        FieldCheck {
            v,
            scope,
            model,
            field,
            here: format!("model `{}`: field `{}`", model.name, field.wire_name),
        }
    }

    fn err(&mut self, at: &Location, message: impl std::fmt::Display) {
        let message = format!("{}: {message}", self.here);
        self.v.err(at, message);
    }

    /// A field of the same model named by a declaration, or an error with a suggestion.
    fn own(&mut self, key: &str, name: &Spanned<String>) -> Option<&'s ir::Field> {
        self.in_model(key, self.model, name.value.trim(), &name.referenced)
    }

    fn in_model(
        &mut self,
        key: &str,
        model: &'s ir::Model,
        name: &str,
        at: &Location,
    ) -> Option<&'s ir::Field> {
        if let Some(f) = field(model, name) {
            return Some(f);
        }
        let hint = suggest(name, &names(model));
        self.err(
            at,
            format!(
                "`{key}` names `{name}`, which is not a field of model `{}`{hint}",
                model.name
            ),
        );
        None
    }

    /// Requires the field to be of a type `ok` accepts.
    fn type_fits(&mut self, key: &str, at: &Location, ok: bool, wanted: &str) -> bool {
        if !ok {
            let ty = self.field.ty.spec_name();
            self.err(
                at,
                format!("`{key}` applies to {wanted} fields, not to a `{ty}`"),
            );
        }
        ok
    }

    /// Returns the sandbox part and, when the value follows other values, where that is
    /// declared.
    fn part(&mut self, raw: &RawFieldSandbox) -> (FieldSandbox, Option<Location>) {
        let examples = self.field.sandbox.examples.clone();
        let drawn_with = raw.drawn_with.as_ref().and_then(|d| self.drawn_with(d));
        // Checked (and reported) before every other part: see `Validator::realism`.
        let references = self.field.sandbox.references.clone();
        let (derive, at) = self.derive(raw);
        let only_with = raw.only_with.as_ref().and_then(|o| {
            let target = self.own("only_with", o)?;
            if target.wire_name == self.field.wire_name {
                self.err(&o.referenced, "`only_with` names the field itself");
                return None;
            }
            Some(target.wire_name.clone())
        });
        let range = raw.range.as_ref().and_then(|r| self.range(r));
        let chance = raw.chance.as_ref().and_then(|c| {
            let boolean = self.field.ty == TypeRef::Boolean;
            if !self.type_fits("chance", &c.referenced, boolean, "boolean") {
                return None;
            }
            if !(0.0..=1.0).contains(&c.value) {
                self.err(
                    &c.referenced,
                    format!("`chance: {}` must be between 0 and 1", c.value),
                );
                return None;
            }
            Some(c.value)
        });
        let like = raw.like.as_ref().and_then(|l| self.like(l));
        if !examples.is_empty()
            && let Some(l) = &raw.like
        {
            self.err(
                &l.referenced,
                "`like` shapes strings without examples, but this field has `examples`",
            );
        }
        let stamp = raw.stamp.as_ref().and_then(|s| self.stamp(s));
        let sequence = raw.sequence.as_ref().is_some_and(|s| {
            s.value
                && self.type_fits(
                    "sequence",
                    &s.referenced,
                    self.field.ty == TypeRef::Integer,
                    "integer",
                )
        });
        let on_create = raw.on_create.as_ref().and_then(|c| self.on_create(c));
        let sandbox = FieldSandbox {
            on_create,
            examples,
            drawn_with,
            references,
            derive,
            only_with,
            range,
            chance,
            like,
            stamp,
            sequence,
        };
        (sandbox, at)
    }

    fn drawn_with(&mut self, d: &Spanned<String>) -> Option<String> {
        let target = self.own("drawn_with", d)?;
        if target.wire_name == self.field.wire_name {
            self.err(&d.referenced, "`drawn_with` names the field itself");
            return None;
        }
        let (own, theirs) = (
            self.field.sandbox.examples.len(),
            target.sandbox.examples.len(),
        );
        if own != theirs || own < 2 {
            self.err(
                &d.referenced,
                format!(
                    "`drawn_with: {}` takes the example at the same position, so both need `examples` lists of the same length (at least 2), but they have {own} and {theirs}",
                    target.wire_name
                ),
            );
            return None;
        }
        Some(target.wire_name.clone())
    }

    fn references(&mut self, r: &Spanned<String>) -> Option<String> {
        let name = r.value.trim();
        if !self.scope.resources.iter().any(|res| res.name == name) {
            let known: BTreeSet<String> = self
                .scope
                .resources
                .iter()
                .map(|r| r.name.clone())
                .collect();
            let hint = suggest(name, &known);
            self.err(
                &r.referenced,
                format!("`references` names `{name}`, which is not a resource{hint}"),
            );
            return None;
        }
        let ty = &self.field.ty;
        let fits = matches!(ty, TypeRef::Integer | TypeRef::String | TypeRef::Guid);
        if !self.type_fits("references", &r.referenced, fits, "integer, string or guid") {
            return None;
        }
        Some(name.to_owned())
    }

    /// The one rule the value follows, if any: at most one of them may be declared.
    fn derive(&mut self, raw: &RawFieldSandbox) -> (Option<Derive>, Option<Location>) {
        let flag = |b: &Option<Spanned<bool>>| b.as_ref().filter(|b| b.value).map(|b| b.referenced);
        let text = |s: &Option<Spanned<String>>| s.as_ref().map(|s| s.referenced);
        let declared: Vec<(&str, Location)> = [
            ("copy", text(&raw.copy)),
            ("index_of", text(&raw.index_of)),
            ("template", text(&raw.template)),
            ("computed", text(&raw.computed)),
            ("true_if", text(&raw.true_if)),
            ("first_only", flag(&raw.first_only)),
            ("stamp", text(&raw.stamp)),
            ("sequence", flag(&raw.sequence)),
            ("on_create", text(&raw.on_create)),
        ]
        .into_iter()
        .filter_map(|(k, at)| Some((k, at?)))
        .collect();
        if let [(first, _), (second, at), ..] = declared.as_slice() {
            self.err(
                at,
                format!("declares both `{first}` and `{second}`, but a value follows one rule"),
            );
            return (None, None);
        }
        let derive = if let Some(c) = &raw.copy {
            self.copy(c).map(Derive::Copy)
        } else if let Some(i) = &raw.index_of {
            self.index_of(i)
        } else if let Some(t) = &raw.template {
            self.template(t)
        } else if let Some(c) = &raw.computed {
            self.computed(c)
        } else if let Some(t) = &raw.true_if {
            let boolean = self.field.ty == TypeRef::Boolean;
            if self.type_fits("true_if", &t.referenced, boolean, "boolean") {
                self.own("true_if", t)
                    .map(|f| Derive::TrueIf(f.wire_name.clone()))
            } else {
                None
            }
        } else if let Some(f) = raw.first_only.as_ref().filter(|f| f.value) {
            self.first_only(f)
        } else {
            None
        };
        let at = declared
            .first()
            .filter(|_| derive.is_some())
            .map(|(_, at)| *at);
        (derive, at)
    }

    fn copy(&mut self, c: &Spanned<String>) -> Option<CopyFrom> {
        let at = &c.referenced;
        let path = c.value.trim();
        let Some((head, tail)) = path.split_once('.') else {
            let source = self.own("copy", c)?;
            if source.wire_name == self.field.wire_name {
                self.err(at, "`copy` names the field itself");
                return None;
            }
            self.same_type(at, source)?;
            return Some(CopyFrom::Field(source.wire_name.clone()));
        };
        if head == "parent" {
            self.nested_fields("copy", at, &[tail], true)?;
            return Some(CopyFrom::Parent(tail.to_owned()));
        }
        let via = self.in_model("copy", self.model, head, at)?;
        if let Some(resource) = &via.sandbox.references {
            let Some(target) = self.scope.resource_model(resource) else {
                self.err(
                    at,
                    format!("`copy: {path}`: resource `{resource}` has no model to copy from"),
                );
                return None;
            };
            let source = self.in_model("copy", target, tail, at)?;
            self.same_type(at, source)?;
            return Some(CopyFrom::Referenced {
                reference: head.to_owned(),
                field: tail.to_owned(),
            });
        }
        if let TypeRef::List(inner) = &via.ty
            && let TypeRef::Model(item) = inner.as_ref()
            && let Some(item) = self.scope.model(item)
        {
            let source = self.in_model("copy", item, tail, at)?;
            self.same_type(at, source)?;
            return Some(CopyFrom::FirstItem {
                list: head.to_owned(),
                field: tail.to_owned(),
            });
        }
        self.err(
            at,
            format!(
                "`copy: {path}`: `{head}` neither declares `references` nor is a list of items, so it has no `{tail}`; write `<field>`, `<reference>.<field>`, `parent.<field>` or `<list>.<field>`"
            ),
        );
        None
    }

    fn same_type(&mut self, at: &Location, source: &ir::Field) -> Option<()> {
        if source.ty == self.field.ty {
            return Some(());
        }
        self.err(
            at,
            format!(
                "`copy` takes `{}`, a `{}`, into a `{}`",
                source.wire_name,
                source.ty.spec_name(),
                self.field.ty.spec_name()
            ),
        );
        None
    }

    /// Every model holding this one as a nested item has the `fields`, each of this field's type
    /// (`same_type`) or a number; an item held nowhere has no parent.
    fn nested_fields(
        &mut self,
        key: &str,
        at: &Location,
        fields: &[&str],
        same_type: bool,
    ) -> Option<()> {
        let holders = self.scope.holders(&self.model.name);
        if holders.is_empty() {
            self.err(
                at,
                format!(
                    "`{key}` reads `parent.`, but model `{}` is no nested item of another model",
                    self.model.name
                ),
            );
            return None;
        }
        let mut ok = Some(());
        for (holder, _) in holders {
            for name in fields {
                let Some(source) = self.in_model(key, holder, name, at) else {
                    ok = None;
                    continue;
                };
                let fits = if same_type {
                    source.ty == self.field.ty
                } else {
                    source.ty.is_numeric()
                };
                if !fits {
                    let wanted = if same_type {
                        format!("a `{}`", self.field.ty.spec_name())
                    } else {
                        "a number".to_owned()
                    };
                    self.err(
                        at,
                        format!(
                            "`{key}` reads `parent.{name}`, a `{}` of model `{}`, where it needs {wanted}",
                            source.ty.spec_name(),
                            holder.name
                        ),
                    );
                    ok = None;
                }
            }
        }
        ok
    }

    fn index_of(&mut self, i: &Spanned<String>) -> Option<Derive> {
        let integer = self.field.ty == TypeRef::Integer;
        if !self.type_fits("index_of", &i.referenced, integer, "integer") {
            return None;
        }
        let named = self.own("index_of", i)?;
        if named.sandbox.examples.is_empty() {
            self.err(
                &i.referenced,
                format!(
                    "`index_of: {}` is the position among that field's examples, but it has none",
                    named.wire_name
                ),
            );
            return None;
        }
        Some(Derive::IndexOf(named.wire_name.clone()))
    }

    fn template(&mut self, t: &Spanned<String>) -> Option<Derive> {
        let string = self.field.ty == TypeRef::String;
        if !self.type_fits("template", &t.referenced, string, "string") {
            return None;
        }
        let template = match Template::parse(&t.value) {
            Ok(template) => template,
            Err(e) => {
                self.err(&t.referenced, format!("`template` cannot be read: {e}"));
                return None;
            }
        };
        let mut ok = true;
        for name in template.fields() {
            ok &= self
                .in_model("template", self.model, name, &t.referenced)
                .is_some();
        }
        ok.then_some(Derive::Template(template))
    }

    fn computed(&mut self, c: &Spanned<String>) -> Option<Derive> {
        let numeric = self.field.ty.is_numeric();
        if !self.type_fits(
            "computed",
            &c.referenced,
            numeric,
            "integer, number or decimal",
        ) {
            return None;
        }
        let expr = match Expr::parse(&c.value) {
            Ok(expr) => expr,
            Err(e) => {
                self.err(&c.referenced, format!("`computed` cannot be read: {e}"));
                return None;
            }
        };
        let mut ok = true;
        let mut parents = Vec::new();
        for operand in expr.operands() {
            match operand {
                Operand::Field(name) => {
                    let Some(f) = self.in_model("computed", self.model, name, &c.referenced) else {
                        ok = false;
                        continue;
                    };
                    if !f.ty.is_numeric() {
                        self.err(
                            &c.referenced,
                            format!(
                                "`computed` reads `{name}`, a `{}`, where it needs a number",
                                f.ty.spec_name()
                            ),
                        );
                        ok = false;
                    }
                }
                Operand::Parent(name) => parents.push(name.as_str()),
                // `computed` is parsed without scopes: only effects read other values.
                Operand::Scoped { .. } => ok = false,
            }
        }
        if !parents.is_empty() {
            ok &= self
                .nested_fields("computed", &c.referenced, &parents, false)
                .is_some();
        }
        ok.then_some(Derive::Computed(expr))
    }

    fn first_only(&mut self, f: &Spanned<bool>) -> Option<Derive> {
        let boolean = self.field.ty == TypeRef::Boolean;
        if !self.type_fits("first_only", &f.referenced, boolean, "boolean") {
            return None;
        }
        let in_a_list = self
            .scope
            .holders(&self.model.name)
            .iter()
            .any(|(_, holder)| holder.ty.is_list());
        if !in_a_list {
            self.err(
                &f.referenced,
                format!(
                    "`first_only` marks the first item of a list, but model `{}` is no list item",
                    self.model.name
                ),
            );
            return None;
        }
        Some(Derive::FirstOnly)
    }

    fn range(&mut self, r: &Spanned<Vec<String>>) -> Option<Range> {
        let at = &r.referenced;
        let ty = self.field.ty.clone();
        let fits = ty.is_numeric() || matches!(ty, TypeRef::Date | TypeRef::DateTime);
        if !self.type_fits(
            "range",
            at,
            fits,
            "integer, number, decimal, date or datetime",
        ) {
            return None;
        }
        let [min, max] = r.value.as_slice() else {
            self.err(
                at,
                format!(
                    "`range` needs two values, `[min, max]`, not {}",
                    r.value.len()
                ),
            );
            return None;
        };
        let (min, max) = (min.trim(), max.trim());
        if ty.is_numeric() {
            let (Ok(lo), Ok(hi)) = (min.parse::<f64>(), max.parse::<f64>()) else {
                self.err(at, format!("`range: [{min}, {max}]` needs two numbers"));
                return None;
            };
            if !(lo.is_finite() && hi.is_finite()) || lo > hi {
                self.err(
                    at,
                    format!("`range: [{min}, {max}]`: the minimum is above the maximum"),
                );
                return None;
            }
            let decimals = |s: &str| s.split_once('.').map_or(0, |(_, d)| d.len());
            let places = decimals(min).max(decimals(max)).min(6) as i32;
            let step = if ty == TypeRef::Integer {
                1.0
            } else {
                10f64.powi(-places)
            };
            return Some(Range::Number {
                min: lo,
                max: hi,
                step,
            });
        }
        let (Some(lo), Some(hi)) = (date(min), date(max)) else {
            self.err(
                at,
                format!("`range: [{min}, {max}]` needs two dates written `YYYY-MM-DD`"),
            );
            return None;
        };
        if lo > hi {
            self.err(
                at,
                format!("`range: [{min}, {max}]`: the first date is after the second"),
            );
            return None;
        }
        Some(Range::Date { min: lo, max: hi })
    }

    fn like(&mut self, l: &Spanned<String>) -> Option<Like> {
        let string = self.field.ty == TypeRef::String;
        if !self.type_fits("like", &l.referenced, string, "string") {
            return None;
        }
        let value = l.value.trim();
        let like = match value {
            "email" => Like::Email,
            "phone" => Like::Phone,
            "url" => Like::Url,
            "iban" => Like::Iban,
            "bic" => Like::Bic,
            other => match other
                .strip_prefix("digits:")
                .map(|n| n.trim().parse::<usize>())
            {
                Some(Ok(n)) if (1..=40).contains(&n) => Like::Digits(n),
                _ => {
                    self.err(
                        &l.referenced,
                        format!(
                            "unknown `like: {other}`; expected one of `email`, `phone`, `url`, `iban`, `bic`, `digits:N` (N from 1 to 40)"
                        ),
                    );
                    return None;
                }
            },
        };
        Some(like)
    }

    /// `on_create`: a value of the effect language over the record's own fields.
    fn on_create(&mut self, c: &Spanned<String>) -> Option<Term> {
        if !self.field.read_only {
            self.err(
                &c.referenced,
                "`on_create` is the server's value on create, so the field must be `read_only` (a writable field keeps what the client sent)",
            );
            return None;
        }
        let term = match Term::parse(&c.value) {
            Ok(t) => t,
            Err(e) => {
                self.err(&c.referenced, format!("`on_create` cannot be read: {e}"));
                return None;
            }
        };
        let ty = &self.field.ty;
        let fits = match &term {
            Term::Bool(_) => *ty == TypeRef::Boolean,
            Term::Text(_) => !ty.is_numeric() && *ty != TypeRef::Boolean,
            Term::Shift { .. } => matches!(ty, TypeRef::DateTime | TypeRef::Date),
            Term::Null | Term::Expr(_) => true,
        };
        if !fits {
            self.err(
                &c.referenced,
                format!(
                    "`on_create: {}` does not fit a `{}` field",
                    c.value,
                    ty.spec_name()
                ),
            );
            return None;
        }
        let mut ok = true;
        for operand in term.operands() {
            match operand {
                Operand::Field(name) => {
                    ok &= self
                        .in_model("on_create", self.model, name, &c.referenced)
                        .is_some();
                }
                other => {
                    self.err(
                        &c.referenced,
                        format!(
                            "`on_create` reads `{}`; it reads fields of its own record only",
                            operand_text(other)
                        ),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(term)
    }

    fn stamp(&mut self, s: &Spanned<String>) -> Option<Stamp> {
        let datetime = self.field.ty == TypeRef::DateTime;
        if !self.type_fits("stamp", &s.referenced, datetime, "datetime") {
            return None;
        }
        if !self.field.read_only {
            self.err(
                &s.referenced,
                "`stamp` is the server's own time, so the field must be `read_only`",
            );
            return None;
        }
        let stamp = self.v.choice(
            "stamp",
            s,
            &[("created", Stamp::Created), ("updated", Stamp::Updated)],
        )?;
        Some(stamp)
    }
}

fn operand_text(operand: &Operand) -> String {
    match operand {
        Operand::Field(f) => f.clone(),
        Operand::Parent(f) => format!("parent.{f}"),
        Operand::Scoped { scope, field } => format!("{scope}.{field}"),
    }
}

/// `YYYY-MM-DD` as `(year, month, day)`.
fn date(text: &str) -> Option<(i32, u32, u32)> {
    let mut parts = text.splitn(3, '-');
    let year = parts.next()?.parse::<i32>().ok()?;
    let month = parts.next()?.parse::<u32>().ok()?;
    let day = parts.next()?.parse::<u32>().ok()?;
    let days = match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    (1..=days).contains(&day).then_some((year, month, day))
}
