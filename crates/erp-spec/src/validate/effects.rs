//! The `sandbox:` parts of resources and operations: record keys, outcomes, refusals and
//! effects (see `ir::effects`). Every name a condition, value or message reads must exist where
//! it reads it, and each problem is reported where it is written.

use std::collections::{BTreeMap, BTreeSet};

use serde_saphyr::{Location, Spanned};

use super::Validator;
use crate::expr::effect::{Cond, Term};
use crate::expr::{Operand, Part, Template};
use crate::ir::effects::{
    Assignment, Check, ErrorBody, KeyOrigin, OperationSandbox, RecordKey, Refusal, ResourceSandbox,
};
use crate::ir::{self, OperationKind, TypeRef};
use crate::raw::RawSpec;
use crate::raw_effects::{RawCheck, RawOperationSandbox, RawRefusal, RawResourceSandbox};
use crate::suggest::suggest;

/// Scopes an effect reads besides the record's own fields and the names of its look-ups.
const BODY: &str = "body";
const BASE: &str = "base";
/// Names a look-up cannot take: they are scopes or words of the language already.
const RESERVED: &[&str] = &[
    BODY, BASE, "parent", "now", "true", "false", "null", "and", "or", "not", "contains",
];

/// What the names of one operation's effects may refer to.
struct Names<'s> {
    spec: &'s ir::Spec,
    /// The model of the addressed records.
    record: Option<&'s ir::Model>,
    /// The model of the request body.
    body: Option<&'s ir::Model>,
    /// Look-ups declared so far: name -> model of the found record.
    found: BTreeMap<String, Option<&'s ir::Model>>,
    path_params: BTreeSet<String>,
    /// The resource whose records the operation addresses.
    resource: String,
    what: String,
}

impl Validator {
    /// `body: structured | text` of an error answer.
    pub(super) fn error_body(&mut self, raw: Option<&Spanned<String>>) -> ErrorBody {
        raw.and_then(|b| {
            self.choice(
                "error body",
                b,
                &[
                    ("structured", ErrorBody::Structured),
                    ("text", ErrorBody::Text),
                ],
            )
        })
        .unwrap_or_default()
    }

    /// `sandbox.empty_list_root`: an XML element name.
    pub(super) fn empty_list_root(&mut self, raw: Option<&Spanned<String>>) -> Option<String> {
        let raw = raw?;
        let name = &raw.value;
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            self.err(
                &raw.referenced,
                format!("`empty_list_root` `{name}` is not an XML element name"),
            );
        }
        Some(name.clone())
    }

    /// The `sandbox:` parts of every resource and operation of a spec whose resources and
    /// models are validated.
    pub(super) fn effects(
        &mut self,
        raw: &RawSpec,
        spec: &ir::Spec,
    ) -> BTreeMap<String, ResourceSandbox> {
        if let Some(root) = raw
            .sandbox
            .as_ref()
            .and_then(|s| s.value.empty_list_root.as_ref())
            && spec.wire.format != ir::WireFormat::Xml
        {
            self.err(
                &root.referenced,
                "`empty_list_root` names an XML element, but `wire.format` is not `xml`",
            );
        }
        let mut out = BTreeMap::new();
        for (key, r) in &raw.resources {
            let Some(resource) = spec.resource(&key.name) else {
                continue;
            };
            let record = resource.record_model().and_then(|m| spec.model(m));
            let mut sandbox = ResourceSandbox {
                key: r
                    .value
                    .sandbox
                    .as_ref()
                    .and_then(|s| self.record_key(&s.value, resource, record)),
                not_found: r
                    .value
                    .sandbox
                    .as_ref()
                    .and_then(|s| s.value.not_found.as_ref())
                    .and_then(|n| self.not_found(&n.value, resource)),
                operations: BTreeMap::new(),
            };
            for (op_key, op) in &r.value.operations {
                let (Some(raw_op), Some(op_ir)) = (
                    op.value.sandbox.as_ref(),
                    resource.operations.iter().find(|o| o.name == op_key.name),
                ) else {
                    continue;
                };
                let names = Names {
                    spec,
                    record,
                    body: op_ir.request.as_deref().and_then(|m| spec.model(m)),
                    found: BTreeMap::new(),
                    path_params: op_ir
                        .path_params
                        .iter()
                        .map(|p| p.wire_name.clone())
                        .collect(),
                    resource: resource.name.clone(),
                    what: format!("operation `{}.{}`", resource.name, op_ir.name),
                };
                let parsed = self.operation_sandbox(&raw_op.value, op_ir, &sandbox, names);
                sandbox.operations.insert(op_ir.name.clone(), parsed);
            }
            if sandbox.key.is_some()
                || sandbox.not_found.is_some()
                || !sandbox.operations.is_empty()
            {
                out.insert(resource.name.clone(), sandbox);
            }
        }
        out
    }

    /// A resource's own "no such record" answer: its message may name only path parameters
    /// (there is no record to read), those of any of the resource's operations.
    fn not_found(&mut self, raw: &RawRefusal, resource: &ir::Resource) -> Option<Refusal> {
        let refusal = self.refusal(raw, None)?;
        let params: BTreeSet<&str> = resource
            .operations
            .iter()
            .flat_map(|o| &o.path_params)
            .map(|p| p.wire_name.as_str())
            .collect();
        for part in &refusal.message.parts {
            if let Part::Field { name, .. } = part
                && !params.contains(name.as_str())
            {
                self.err(
                    &raw.message.referenced,
                    format!(
                        "resource `{}`: `not_found` has no record to read `{{{name}}}` from; it may name a path parameter ({})",
                        resource.name,
                        params.iter().map(|p| format!("`{{{p}}}`")).collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
        Some(refusal)
    }

    fn record_key(
        &mut self,
        raw: &RawResourceSandbox,
        resource: &ir::Resource,
        model: Option<&ir::Model>,
    ) -> Option<RecordKey> {
        let Some(field) = raw.key.as_ref() else {
            if let Some(g) = raw.generated.as_ref().or(None) {
                self.err(
                    &g.referenced,
                    "`generated` says who chooses the `key`; name the key field",
                );
            }
            return None;
        };
        let origin = match raw.generated.as_ref() {
            None => KeyOrigin::Client,
            Some(g) => self.choice(
                "key origin",
                g,
                &[("hex40", KeyOrigin::Hex40), ("guid", KeyOrigin::Guid)],
            )?,
        };
        let what = format!("resource `{}`", resource.name);
        let ty = self.field_of(&what, model, &field.value, &field.referenced)?;
        let fits = match origin {
            KeyOrigin::Client => matches!(ty, TypeRef::String | TypeRef::Integer),
            KeyOrigin::Hex40 => ty == TypeRef::String,
            KeyOrigin::Guid => matches!(ty, TypeRef::String | TypeRef::Guid),
        };
        if !fits {
            self.err(
                &field.referenced,
                format!(
                    "{what}: the key `{}` is a `{}`; a key is a string or integer (`hex40`: a string, `guid`: a guid or string)",
                    field.value,
                    ty.spec_name()
                ),
            );
        }
        let duplicate = match raw.duplicate.as_ref() {
            Some(d) => self.refusal(&d.value, None)?,
            None => Refusal {
                status: 409,
                message: Template::parse(&format!(
                    "A record with this {} already exists.",
                    field.value
                ))
                .ok()?,
                body: ErrorBody::Structured,
                code: None,
            },
        };
        Some(RecordKey {
            field: field.value.clone(),
            origin,
            duplicate,
        })
    }

    /// The type of `field` in `model`, or an error naming what was probably meant.
    fn field_of(
        &mut self,
        what: &str,
        model: Option<&ir::Model>,
        field: &str,
        at: &Location,
    ) -> Option<TypeRef> {
        let Some(model) = model else {
            self.err(
                at,
                format!("{what}: `{field}` names a field, but there is no model to hold it"),
            );
            return None;
        };
        if let Some(f) = model.fields.iter().find(|f| f.wire_name == field) {
            return Some(f.ty.clone());
        }
        let known: BTreeSet<String> = model.fields.iter().map(|f| f.wire_name.clone()).collect();
        self.err(
            at,
            format!(
                "{what}: `{field}` is not a field of model `{}`{}",
                model.name,
                suggest(field, &known)
            ),
        );
        None
    }

    /// The type of a path of fields (`subscriber.customer-id`) in `model`: every step but the
    /// last names a field holding a nested model.
    fn path_of(
        &mut self,
        what: &str,
        model: Option<&ir::Model>,
        spec: &ir::Spec,
        path: &str,
        at: &Location,
    ) -> Option<TypeRef> {
        let mut model = model;
        let mut steps = path.split('.').peekable();
        while let Some(step) = steps.next() {
            let ty = self.field_of(what, model, step, at)?;
            if steps.peek().is_none() {
                return Some(ty);
            }
            let TypeRef::Model(name) = &ty else {
                self.err(
                    at,
                    format!(
                        "{what}: `{path}`: `{step}` is a `{}`, not a model with fields",
                        ty.spec_name()
                    ),
                );
                return None;
            };
            model = spec.model(name);
        }
        None
    }

    fn operation_sandbox(
        &mut self,
        raw: &RawOperationSandbox,
        op: &ir::Operation,
        resource: &ResourceSandbox,
        mut names: Names<'_>,
    ) -> OperationSandbox {
        if let Some(s) = raw
            .status
            .as_ref()
            .filter(|s| !(200..=299).contains(&s.value))
        {
            self.err(
                &s.referenced,
                format!(
                    "{}: a success status is between 200 and 299, not {}",
                    names.what, s.value
                ),
            );
        }
        let mut checks = Vec::new();
        for check in &raw.refuse {
            if let Some(c) = self.check(&check.value, &check.referenced, &mut names) {
                checks.push(c);
            }
        }
        let mut set = Vec::new();
        for (key, value) in &raw.set {
            if op.kind == OperationKind::Delete && !key.name.contains('.') {
                self.err(
                    &key.at,
                    format!("{}: a delete removes its record, so `set` writes found records only (`<find>.{}`)", names.what, key.name),
                );
                continue;
            }
            if let Some(a) = self.assignment(key, value, &names) {
                set.push(a);
            }
        }
        let renames = raw.renames.as_ref().and_then(|r| {
            if op.kind != OperationKind::Update || resource.key.is_none() {
                self.err(
                    &r.referenced,
                    format!("{}: `renames` changes the key of a keyed resource (`sandbox.key`) on update", names.what),
                );
                return None;
            }
            let what = names.what.clone();
            self.field_of(&what, names.body, &r.value, &r.referenced)?;
            Some(r.value.clone())
        });
        let clears = raw.clears.as_ref().is_some_and(|c| {
            let on_collection = op.kind == OperationKind::Action && !op.path.contains('{');
            if c.value && !on_collection {
                self.err(
                    &c.referenced,
                    format!("{}: `clears` removes every record, so it belongs to an action on the collection (a path without parameters)", names.what),
                );
                return false;
            }
            c.value
        });
        OperationSandbox {
            status: raw.status.as_ref().map(|s| s.value),
            location: raw.location,
            empty_body: raw.empty_body,
            checks,
            set,
            renames,
            clears,
        }
    }

    fn check(&mut self, raw: &RawCheck, at: &Location, names: &mut Names<'_>) -> Option<Check> {
        let refusal = RawRefusal {
            status: raw.status.clone(),
            message: raw.message.clone(),
            body: raw.body.clone(),
            code: raw.code.clone(),
        };
        if let Some(by) = &raw.referenced_by {
            if let Some(other) = raw.when.as_ref().or(raw.find.as_ref()) {
                self.err(
                    &other.referenced,
                    format!(
                        "{}: a `refuse` entry has one of `when`, `find` and `referenced_by`",
                        names.what
                    ),
                );
                return None;
            }
            return self.referenced_by(by, &refusal, names);
        }
        match (&raw.when, &raw.find) {
            (Some(when), None) => {
                if let Some(extra) = raw
                    .resource
                    .as_ref()
                    .or(raw.by.as_ref())
                    .or(raw.or_create.as_ref())
                {
                    self.err(
                        &extra.referenced,
                        "`resource`, `by` and `or_create` belong to a `find`, not to a `when`",
                    );
                }
                let cond = match Cond::parse(&when.value) {
                    Ok(c) => c,
                    Err(e) => {
                        self.err(
                            &when.referenced,
                            format!("{}: `when` cannot be read: {e}", names.what),
                        );
                        return None;
                    }
                };
                let ok = self.operands(cond.operands(), names, &when.referenced);
                let refusal = self.refusal(&refusal, Some(names))?;
                ok.then_some(Check::When { cond, refusal })
            }
            (None, Some(find)) => {
                let (Some(resource), Some(by)) = (&raw.resource, &raw.by) else {
                    self.err(
                        &find.referenced,
                        "a `find` needs `resource` (where to look) and `by` (the key to look for)",
                    );
                    return None;
                };
                if RESERVED.contains(&find.value.as_str()) || names.found.contains_key(&find.value)
                {
                    self.err(
                        &find.referenced,
                        format!(
                            "{}: `{}` cannot name a look-up (it is taken)",
                            names.what, find.value
                        ),
                    );
                }
                let Some(target) = names.spec.resource(&resource.value) else {
                    let known = names
                        .spec
                        .resources
                        .iter()
                        .map(|r| r.name.clone())
                        .collect();
                    self.err(
                        &resource.referenced,
                        format!(
                            "{}: there is no resource `{}`{}",
                            names.what,
                            resource.value,
                            suggest(&resource.value, &known)
                        ),
                    );
                    return None;
                };
                let by_term = match Term::parse(&by.value) {
                    Ok(t) => t,
                    Err(e) => {
                        self.err(
                            &by.referenced,
                            format!("{}: `by` cannot be read: {e}", names.what),
                        );
                        return None;
                    }
                };
                let mut ok = self.operands(by_term.operands(), names, &by.referenced);
                let refusal = self.refusal(&refusal, Some(names))?;
                let model = target.record_model().and_then(|m| names.spec.model(m));
                let or_create = match &raw.or_create {
                    Some(object) => {
                        let made = self.or_create(object, model, names);
                        ok &= made.is_some();
                        made
                    }
                    None => None,
                };
                names.found.insert(find.value.clone(), model);
                ok.then(|| Check::Find {
                    name: find.value.clone(),
                    resource: target.name.clone(),
                    by: by_term,
                    or_create,
                    refusal,
                })
            }
            _ => {
                self.err(at, format!("{}: each `refuse` entry has `when` (a condition), `find` (a look-up) or `referenced_by` (resources referring to the record)", names.what));
                None
            }
        }
    }

    /// `referenced_by: [<resource>, ...]`: each names a resource whose record model has a field
    /// declared `references: <the operation's resource>`; the operation addresses a record.
    fn referenced_by(
        &mut self,
        by: &Spanned<Vec<String>>,
        refusal: &RawRefusal,
        names: &Names<'_>,
    ) -> Option<Check> {
        let at = &by.referenced;
        if names.path_params.is_empty() {
            self.err(
                at,
                format!("{}: `referenced_by` refuses while other records refer to the addressed record, but the operation addresses none (it has no path parameter)", names.what),
            );
            return None;
        }
        if by.value.is_empty() {
            self.err(
                at,
                format!("{}: `referenced_by` names no resource", names.what),
            );
            return None;
        }
        let mut pairs = Vec::new();
        let mut ok = true;
        for name in &by.value {
            let Some(other) = names.spec.resource(name) else {
                let known = names
                    .spec
                    .resources
                    .iter()
                    .map(|r| r.name.clone())
                    .collect();
                self.err(
                    at,
                    format!(
                        "{}: `referenced_by` names `{name}`, which is not a resource{}",
                        names.what,
                        suggest(name, &known)
                    ),
                );
                ok = false;
                continue;
            };
            let fields: Vec<String> = other
                .record_model()
                .and_then(|m| names.spec.model(m))
                .into_iter()
                .flat_map(|m| &m.fields)
                .filter(|f| f.sandbox.references.as_deref() == Some(names.resource.as_str()))
                .map(|f| f.wire_name.clone())
                .collect();
            if fields.is_empty() {
                self.err(
                    at,
                    format!(
                        "{}: `referenced_by` names `{name}`, but no field of its records is declared `references: {}`",
                        names.what, names.resource
                    ),
                );
                ok = false;
            }
            pairs.extend(fields.into_iter().map(|f| (other.name.clone(), f)));
        }
        let refusal = self.refusal(refusal, Some(names))?;
        ok.then_some(Check::Referenced { by: pairs, refusal })
    }

    /// `or_create: <object>`: one operand (`body.subscriber`) holding an object of the found
    /// resource's model.
    fn or_create(
        &mut self,
        object: &Spanned<String>,
        model: Option<&ir::Model>,
        names: &Names<'_>,
    ) -> Option<Operand> {
        let what = names.what.clone();
        let at = &object.referenced;
        let operand = match Term::parse(&object.value) {
            Ok(Term::Expr(crate::expr::Expr::Operand(o))) => o,
            Ok(_) => {
                self.err(at, format!("{what}: `or_create` names the object to create the record from (`body.<field>`), not a value"));
                return None;
            }
            Err(e) => {
                self.err(at, format!("{what}: `or_create` cannot be read: {e}"));
                return None;
            }
        };
        if !self.operands(vec![&operand], names, at) {
            return None;
        }
        let ty = match &operand {
            Operand::Scoped { scope, field } if scope == BODY => {
                self.path_of(&what, names.body, names.spec, field, at)
            }
            Operand::Scoped { scope, field } if scope != BASE => {
                let found = names.found.get(scope).copied().flatten();
                self.path_of(&what, found, names.spec, field, at)
            }
            Operand::Field(f) => self.field_of(&what, names.record, f, at),
            _ => None,
        };
        let wanted = model.map(|m| m.name.as_str());
        match ty {
            Some(TypeRef::Model(m)) if Some(m.as_str()) == wanted => Some(operand),
            ty => {
                self.err(
                    at,
                    format!(
                        "{what}: `or_create: {}` is {}, but the record is made from an object of model `{}`",
                        object.value,
                        ty.map_or("not a field".to_owned(), |t| format!("a `{}`", t.spec_name())),
                        wanted.unwrap_or("?")
                    ),
                );
                None
            }
        }
    }

    fn refusal(&mut self, raw: &RawRefusal, names: Option<&Names<'_>>) -> Option<Refusal> {
        if !(400..=599).contains(&raw.status.value) {
            self.err(
                &raw.status.referenced,
                format!(
                    "error status {} must be between 400 and 599",
                    raw.status.value
                ),
            );
        }
        let message = match Template::parse(&raw.message.value) {
            Ok(t) => t,
            Err(e) => {
                self.err(
                    &raw.message.referenced,
                    format!("the message cannot be read: {e}"),
                );
                return None;
            }
        };
        if let Some(names) = names {
            for part in &message.parts {
                if let Part::Field { name, .. } = part
                    && !names.path_params.contains(name)
                {
                    let operand = match name.split_once('.') {
                        Some((scope, field)) => Operand::Scoped {
                            scope: scope.to_owned(),
                            field: field.to_owned(),
                        },
                        None => Operand::Field(name.clone()),
                    };
                    self.operands(vec![&operand], names, &raw.message.referenced);
                }
            }
        }
        Some(Refusal {
            status: raw.status.value,
            message,
            body: self.error_body(raw.body.as_ref()),
            code: raw.code.clone(),
        })
    }

    fn assignment(
        &mut self,
        key: &crate::raw::Key,
        value: &Spanned<String>,
        names: &Names<'_>,
    ) -> Option<Assignment> {
        let (target, field) = match key.name.split_once('.') {
            Some((found, field)) => {
                let Some(model) = names.found.get(found) else {
                    let known = names.found.keys().cloned().collect();
                    self.err(
                        &key.at,
                        format!(
                            "{}: `set` writes `{}`, but no `find` is called `{found}`{}",
                            names.what,
                            key.name,
                            suggest(found, &known)
                        ),
                    );
                    return None;
                };
                let what = names.what.clone();
                self.field_of(&what, *model, field, &key.at)?;
                (Some(found.to_owned()), field.to_owned())
            }
            None => {
                let what = names.what.clone();
                self.field_of(&what, names.record, &key.name, &key.at)?;
                (None, key.name.clone())
            }
        };
        // `<value> if <condition>`: the last ` if ` outside quotes splits them.
        let (text, condition) = split_if(&value.value);
        let term = match Term::parse(text) {
            Ok(t) => t,
            Err(e) => {
                self.err(
                    &value.referenced,
                    format!(
                        "{}: the value of `{}` cannot be read: {e}",
                        names.what, key.name
                    ),
                );
                return None;
            }
        };
        let when = match condition.map(Cond::parse) {
            None => None,
            Some(Ok(c)) => Some(c),
            Some(Err(e)) => {
                self.err(
                    &value.referenced,
                    format!(
                        "{}: the condition of `{}` cannot be read: {e}",
                        names.what, key.name
                    ),
                );
                return None;
            }
        };
        let mut operands = term.operands();
        if let Some(c) = &when {
            operands.extend(c.operands());
        }
        self.operands(operands, names, &value.referenced)
            .then_some(Assignment {
                target,
                field,
                value: term,
                when,
            })
    }

    /// Whether every operand names something the operation can read; reports those that do not.
    fn operands(&mut self, operands: Vec<&Operand>, names: &Names<'_>, at: &Location) -> bool {
        let mut ok = true;
        for operand in operands {
            let what = names.what.clone();
            match operand {
                Operand::Field(f) => ok &= self.field_of(&what, names.record, f, at).is_some(),
                Operand::Parent(f) => {
                    self.err(at, format!("{what}: `parent.{f}`: an operation's effects have no parent; read `body.` or a `find`"));
                    ok = false;
                }
                Operand::Scoped { scope, field } if scope == BODY => {
                    ok &= self
                        .path_of(&what, names.body, names.spec, field, at)
                        .is_some();
                }
                Operand::Scoped { scope, field } if scope == BASE => {
                    let known: BTreeSet<String> = names
                        .spec
                        .base_url
                        .variables
                        .iter()
                        .map(|v| v.name.clone())
                        .collect();
                    if !known.contains(field) {
                        self.err(
                            at,
                            format!(
                                "{what}: `base.{field}`: the base URL has no variable `{field}`{}",
                                suggest(field, &known)
                            ),
                        );
                        ok = false;
                    }
                }
                Operand::Scoped { scope, field } => match names.found.get(scope) {
                    Some(model) => {
                        ok &= self.path_of(&what, *model, names.spec, field, at).is_some();
                    }
                    None => {
                        let mut known: BTreeSet<String> = names.found.keys().cloned().collect();
                        known.extend([BODY.to_owned(), BASE.to_owned()]);
                        self.err(at, format!("{what}: `{scope}.{field}`: `{scope}` is neither `body`, `base` nor an earlier `find`{}", suggest(scope, &known)));
                        ok = false;
                    }
                },
            }
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    const SPEC: &str = include_str!("../../../../tests/conformance/conf_actions.yaml");

    fn errors(from: &str, to: &str) -> String {
        assert!(SPEC.contains(from), "{from}");
        match crate::parse_str("conf_actions.yaml", &SPEC.replacen(from, to, 1)) {
            Ok(_) => panic!("`{to}` was accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn every_name_is_checked_where_it_is_written() {
        let e = errors("not trial-allowed", "not trial-alowed");
        assert!(e.contains("conf_actions.yaml:") && e.contains("`trial-alowed` is not a field of model `Member` (did you mean `trial-allowed`?)"), "{e}");
        let e = errors("resource: plans, by", "resource: plan, by");
        assert!(
            e.contains("there is no resource `plan` (did you mean `plans`?)"),
            "{e}"
        );
        let e = errors("plan.kind != 'trial'", "plna.kind != 'trial'");
        assert!(
            e.contains(
                "`plna` is neither `body`, `base` nor an earlier `find` (did you mean `plan`?)"
            ),
            "{e}"
        );
        let e = errors("base.site contains", "base.sit contains");
        assert!(
            e.contains("the base URL has no variable `sit` (did you mean `site`?)"),
            "{e}"
        );
        let e = errors("member.active: \"true\"", "membr.active: \"true\"");
        assert!(
            e.contains("no `find` is called `membr` (did you mean `member`?)"),
            "{e}"
        );
        let e = errors("generated: hex40", "generated: hex41");
        assert!(e.contains("unknown key origin `hex41`"), "{e}");
        let e = errors(
            "body: text}\n    operations:\n      list:\n        doc: Lists every member.",
            "body: txt}\n    operations:\n      list:\n        doc: Lists every member.",
        );
        assert!(e.contains("unknown error body `txt`"), "{e}");
        let e = errors(
            "status: 201, location: true}",
            "status: 302, location: true}",
        );
        assert!(
            e.contains("a success status is between 200 and 299, not 302"),
            "{e}"
        );
        let e = errors(
            "sandbox: {renames: new-member-id}",
            "sandbox: {renames: new-member-id, clears: true}",
        );
        assert!(
            e.contains(
                "`clears` removes every record, so it belongs to an action on the collection"
            ),
            "{e}"
        );
        let e = errors("now + plan.length plan.unit", "now + plan.length");
        assert!(
            e.contains("the value of `active-until` cannot be read"),
            "{e}"
        );
    }

    #[test]
    fn referenced_by_names_resources_referring_to_an_addressed_record() {
        let e = errors("referenced_by: [bills]", "referenced_by: [bils]");
        assert!(
            e.contains("conf_actions.yaml:")
                && e.contains(
                    "`referenced_by` names `bils`, which is not a resource (did you mean `bills`?)"
                ),
            "{e}"
        );
        let e = errors("referenced_by: [bills]", "referenced_by: [plans]");
        assert!(
            e.contains("`referenced_by` names `plans`, but no field of its records is declared `references: members`"),
            "{e}"
        );
        let e = errors(
            "member.credit: \"member.credit + amount\"",
            "amount: \"member.credit + amount\"",
        );
        assert!(
            e.contains("operation `bills.delete`: a delete removes its record, so `set` writes found records only (`<find>.amount`)"),
            "{e}"
        );
        let e = errors("referenced_by: [bills]", "referenced_by: []");
        assert!(e.contains("`referenced_by` names no resource"), "{e}");
        let e = errors(
            "referenced_by: [bills]",
            "referenced_by: [bills], when: active",
        );
        assert!(
            e.contains("a `refuse` entry has one of `when`, `find` and `referenced_by`"),
            "{e}"
        );
        let e = errors(
            "sandbox: {status: 201, location: true}",
            "sandbox: {status: 201, location: true, refuse: [{referenced_by: [bills], status: 409, message: Taken.}]}",
        );
        assert!(
            e.contains("operation `members.create`: `referenced_by` refuses while other records refer to the addressed record, but the operation addresses none"),
            "{e}"
        );
    }

    #[test]
    fn nested_paths_or_create_and_on_create_are_checked() {
        let e = errors("body.member.level ==", "body.member.levl ==");
        assert!(
            e.contains("conf_actions.yaml:")
                && e.contains("`levl` is not a field of model `Member` (did you mean `level`?)"),
            "{e}"
        );
        let e = errors("body.member.level ==", "body.amount.level ==");
        assert!(
            e.contains("`amount.level`: `amount` is a `decimal`, not a model with fields"),
            "{e}"
        );
        let e = errors("or_create: body.member,", "or_create: body.amount,");
        assert!(
            e.contains("`or_create: body.amount` is a `decimal`, but the record is made from an object of model `Member`"),
            "{e}"
        );
        let e = errors("or_create: body.member,", "or_create: body.membr,");
        assert!(e.contains("(did you mean `member`?)"), "{e}");
        let e = errors("or_create: body.member,", "or_create: \"1 + 2\",");
        assert!(e.contains("`or_create` names the object"), "{e}");
        let e = errors(
            "- {when: \"body.member.level == 'Banned'\", status: 403,",
            "- {when: \"body.member.level == 'Banned'\", or_create: body.member, status: 403,",
        );
        assert!(e.contains("belong to a `find`, not to a `when`"), "{e}");
        let e = errors(
            "sandbox: {on_create: \"true\"}",
            "sandbox: {on_create: \"tru\"}",
        );
        assert!(
            e.contains("`on_create` names `tru`, which is not a field of model `Member`"),
            "{e}"
        );
        let e = errors(
            "doc: Store credit., sandbox: {examples",
            "doc: Store credit., sandbox: {on_create: \"1\", examples",
        );
        assert!(e.contains("so the field must be `read_only`"), "{e}");
        let e = errors(
            "sandbox: {on_create: \"true\"}",
            "sandbox: {on_create: \"body.x\"}",
        );
        assert!(e.contains("it reads fields of its own record only"), "{e}");
        let e = errors(
            "sandbox: {on_create: \"true\"}",
            "sandbox: {on_create: \"'yes'\"}",
        );
        assert!(
            e.contains("`on_create: 'yes'` does not fit a `boolean` field"),
            "{e}"
        );
    }
}

/// `'PAID' if open <= 0` -> (`'PAID'`, `Some("open <= 0")`); a text without ` if ` outside
/// quotes is all value.
fn split_if(text: &str) -> (&str, Option<&str>) {
    let mut quoted = false;
    let mut split = None;
    for (i, c) in text.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted && text[i..].starts_with(" if ") => split = Some(i),
            _ => {}
        }
    }
    match split {
        Some(i) => (text[..i].trim(), Some(text[i + 4..].trim())),
        None => (text, None),
    }
}

#[cfg(test)]
mod split_tests {
    use super::split_if;

    #[test]
    fn a_condition_follows_the_last_if_outside_quotes() {
        assert_eq!(
            split_if("'PAID' if open <= 0"),
            ("'PAID'", Some("open <= 0"))
        );
        assert_eq!(split_if("'a if b'"), ("'a if b'", None));
        assert_eq!(split_if("total - paid"), ("total - paid", None));
    }
}
