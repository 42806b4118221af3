//! Client-side conveniences a spec can ask for: URL templates of the vendor's own pages
//! (`links`), operations refused before sending unless the configuration allows them
//! (`requires`), `get_or_create` on a resource, and other wire names of a field (`aliases`).
//! Only the generated client reads them; the sandbox ignores them.

use std::collections::{BTreeMap, BTreeSet};

use serde_saphyr::{Location, Spanned};

use super::{RESERVED_RESOURCES, TypeResolver, Validator, placeholders};
use crate::ir;
use crate::raw::{Key, RawLink, RawRequires};
use crate::suggest::suggest;

impl Validator {
    /// `links.<name>`: each template is an http(s) URL whose placeholders are base-URL
    /// variables or the link's own `params` (each used), with optional `query` parameters.
    pub(super) fn links(
        &mut self,
        raw: &BTreeMap<Key, Spanned<RawLink>>,
        base_url: &ir::BaseUrl,
        resources: &[ir::Resource],
        types: &TypeResolver<'_>,
    ) -> Vec<ir::Link> {
        let vars: BTreeSet<&str> = base_url.variables.iter().map(|v| v.name.as_str()).collect();
        let taken: BTreeSet<&str> = resources.iter().map(|r| r.rust_name.as_str()).collect();
        let mut out = Vec::new();
        for (key, link) in raw {
            let name = &key.name;
            let here = format!("link `{name}`");
            let rust = self.rust_ident(&key.at, "link", name);
            if rust != *name {
                self.err(&key.at, format!("{here}: link names must be snake_case (`{rust}`); the name is the generated method's"));
            }
            if RESERVED_RESOURCES.contains(&name.as_str()) || taken.contains(name.as_str()) {
                self.err(&key.at, format!("{here}: the name is taken by another method of the generated client; choose another"));
            }
            let l = &link.value;
            let template = &l.template;
            if !(template.value.starts_with("https://") || template.value.starts_with("http://")) {
                self.err(
                    &template.referenced,
                    format!(
                        "{here}: template `{}` must be an absolute http(s) URL",
                        template.value
                    ),
                );
            }
            if template.value.contains(['?', '#']) {
                self.err(&template.referenced, format!("{here}: template `{}` must not hold a query or fragment; declare query parameters under `query`", template.value));
            }
            let used = placeholders(&template.value);
            for p in &used {
                if !vars.contains(p.as_str()) && !l.params.contains_key(p.as_str()) {
                    let known: BTreeSet<String> = vars
                        .iter()
                        .map(|v| (*v).to_owned())
                        .chain(l.params.keys().map(|k| k.name.clone()))
                        .collect();
                    self.err(
                        &template.referenced,
                        format!("{here}: template uses `{{{p}}}`, which is neither a base URL variable nor one of its `params`{}", suggest(p, &known)),
                    );
                }
            }
            let mut params = Vec::new();
            for (pkey, p) in &l.params {
                if !used.contains(&pkey.name) {
                    self.err(
                        &pkey.at,
                        format!(
                            "{here}: parameter `{}` is not used in the template",
                            pkey.name
                        ),
                    );
                }
                if vars.contains(pkey.name.as_str()) {
                    self.err(&pkey.at, format!("{here}: parameter `{}` has the name of a base URL variable, which the client fills in itself", pkey.name));
                }
                params.push(self.param(&here, &pkey.name, p, types, true));
            }
            // In the template's order: the generated method's arguments read like the URL.
            params.sort_by_key(|p| template.value.find(&format!("{{{}}}", p.wire_name)));
            let mut query = Vec::new();
            for (qkey, q) in &l.query {
                if q.value.required {
                    self.err(&qkey.at, format!("{here}: query parameter `{}` is optional by nature (an `Option` argument); remove `required`", qkey.name));
                }
                if l.params.contains_key(qkey.name.as_str()) {
                    self.err(
                        &qkey.at,
                        format!(
                            "{here}: `{}` is both a parameter and a query parameter",
                            qkey.name
                        ),
                    );
                }
                let param = self.param(&here, &qkey.name, q, types, false);
                if param.ty.is_list() {
                    self.err(
                        &q.value.ty.referenced,
                        format!("{here}: query parameter `{}` must be a scalar", qkey.name),
                    );
                }
                query.push(param);
            }
            out.push(ir::Link {
                name: name.clone(),
                doc: l.doc.clone(),
                template: template.value.clone(),
                params,
                query,
            });
        }
        out
    }

    /// `requires: {base_var, contains}` of an operation.
    pub(super) fn requires(
        &mut self,
        here: &str,
        raw: &Spanned<RawRequires>,
        variables: &[ir::Variable],
    ) -> ir::Requirement {
        let r = &raw.value;
        if !variables.iter().any(|v| v.name == r.base_var.value) {
            let known: BTreeSet<String> = variables.iter().map(|v| v.name.clone()).collect();
            let list = if known.is_empty() {
                " (the base URL has none)".to_owned()
            } else {
                suggest(&r.base_var.value, &known)
            };
            self.err(
                &r.base_var.referenced,
                format!("{here}: `requires.base_var` names `{}`, which is not a base URL variable{list}", r.base_var.value),
            );
        }
        if r.contains.value.trim().is_empty() {
            self.err(
                &r.contains.referenced,
                format!("{here}: `requires.contains` must not be empty"),
            );
        }
        ir::Requirement {
            base_var: r.base_var.value.clone(),
            contains: r.contains.value.clone(),
        }
    }

    /// `get_or_create: true` needs a `get` that returns an item and a `create` with a body;
    /// the generated method takes the get's path parameters and the create's body.
    pub(super) fn get_or_create(&mut self, at: &Location, resource: &ir::Resource) -> bool {
        let here = format!("resource `{}`", resource.name);
        let get = resource
            .operations
            .iter()
            .find(|o| o.kind == ir::OperationKind::Get);
        let create = resource
            .operations
            .iter()
            .find(|o| o.kind == ir::OperationKind::Create);
        match (get, create) {
            (Some(get), Some(create)) => {
                if get.returns != ir::Returns::Item || create.returns != ir::Returns::Item {
                    self.err(at, format!("{here}: `get_or_create` needs a `get` and a `create` that both return the item"));
                }
                if get.response != create.response {
                    self.err(at, format!("{here}: `get_or_create` needs `get` and `create` to return the same model"));
                }
                if create.body != ir::BodyKind::Structured || create.request.is_none() {
                    self.err(
                        at,
                        format!("{here}: `get_or_create` needs a `create` with a `request` model"),
                    );
                }
                if !create.path_params.is_empty()
                    || create.query.iter().any(|q| q.required)
                    || get.query.iter().any(|q| q.required)
                {
                    self.err(at, format!("{here}: `get_or_create` takes the get's path parameters and the create's body only; this resource's operations need more"));
                }
                if resource
                    .operations
                    .iter()
                    .any(|o| o.rust_name == "get_or_create")
                {
                    self.err(
                        at,
                        format!("{here}: an operation is already called `get_or_create`"),
                    );
                }
                true
            }
            _ => {
                self.err(
                    at,
                    format!("{here}: `get_or_create` needs both a `get` and a `create` operation"),
                );
                false
            }
        }
    }

    /// `aliases` of a field: other wire names, unique within the model.
    pub(super) fn aliases(
        &mut self,
        model: &str,
        field: &str,
        raw: &[Spanned<String>],
        names: &mut BTreeMap<String, String>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for alias in raw {
            let a = alias.value.trim();
            if a.is_empty() {
                self.err(
                    &alias.referenced,
                    format!("model `{model}`: field `{field}`: an alias must not be empty"),
                );
                continue;
            }
            if let Some(other) = names.insert(a.to_owned(), field.to_owned()) {
                self.err(&alias.referenced, format!("model `{model}`: field `{field}`: alias `{a}` is already the wire name or an alias of field `{other}`"));
                continue;
            }
            out.push(a.to_owned());
        }
        out
    }
}
