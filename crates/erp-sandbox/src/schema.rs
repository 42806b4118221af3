//! Lookups derived from the spec that several modules need (models of resources, linked
//! collections, references between resources).

use erp_spec::ir::{Model, OperationKind, Resource, Spec, TypeRef};

/// A nested collection filled from another resource's records at render time: Billomat's
/// `client.client-property-values` lists the `client-property-values` whose `client_id` is the
/// client's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    /// Model holding the collection field.
    pub model: String,
    /// Wire name of the collection field.
    pub field: String,
    /// Index of the resource whose records fill it.
    pub child: usize,
    /// Field of the child pointing at the parent's `id`.
    pub foreign_key: String,
}

/// Lookups of one model's fields that rendering needs for every record.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldTable {
    /// Positions of the model's fields, ordered by wire name: a record's members (a map sorted by
    /// key) are matched to fields in one merge instead of one map lookup per field.
    pub by_name: Vec<usize>,
    /// Per field position: the linked collection it is (index into the schema's links).
    pub links: Vec<Option<usize>>,
}

/// The spec plus derived lookup tables.
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    pub spec: Spec,
    resource_models: Vec<Option<String>>,
    links: Vec<Link>,
    /// Per model of the spec, in the spec's order.
    field_tables: Vec<FieldTable>,
}

impl Schema {
    pub(crate) fn new(spec: Spec) -> Schema {
        let resource_models: Vec<Option<String>> = spec.resources.iter().map(model_of).collect();
        let mut schema = Schema {
            spec,
            resource_models,
            links: Vec::new(),
            field_tables: Vec::new(),
        };
        schema.links = schema.find_links();
        schema.field_tables = schema
            .spec
            .models
            .iter()
            .map(|model| {
                let mut by_name: Vec<usize> = (0..model.fields.len()).collect();
                by_name.sort_by(|&a, &b| model.fields[a].wire_name.cmp(&model.fields[b].wire_name));
                let links = model
                    .fields
                    .iter()
                    .map(|f| {
                        schema
                            .links
                            .iter()
                            .position(|l| l.model == model.name && l.field == f.wire_name)
                    })
                    .collect();
                FieldTable { by_name, links }
            })
            .collect();
        schema
    }

    /// The field table of a model of the spec (`None` for a model from elsewhere).
    pub(crate) fn field_table(&self, model: &Model) -> Option<&FieldTable> {
        // By identity: a look-alike model from another spec must not borrow this one's table.
        let at = self
            .spec
            .models
            .iter()
            .position(|m| std::ptr::eq(m, model))?;
        self.field_tables.get(at)
    }

    /// A link by its index in [`FieldTable::links`].
    pub(crate) fn link_at(&self, index: usize) -> Option<&Link> {
        self.links.get(index)
    }

    pub(crate) fn model(&self, name: &str) -> Option<&Model> {
        self.spec.model(name)
    }

    /// The model a resource's records follow.
    pub(crate) fn resource_model(&self, resource: usize) -> Option<&Model> {
        self.resource_models
            .get(resource)
            .and_then(|m| m.as_deref())
            .and_then(|m| self.model(m))
    }

    /// The first resource whose records follow `model`.
    pub(crate) fn resource_of_model(&self, model: &str) -> Option<usize> {
        self.resource_models
            .iter()
            .position(|m| m.as_deref() == Some(model))
    }

    pub(crate) fn link(&self, model: &str, field: &str) -> Option<&Link> {
        self.links
            .iter()
            .find(|l| l.model == model && l.field == field)
    }

    /// The resource that a field named `<singular>_id` points at.
    pub(crate) fn referenced_resource(&self, field: &str) -> Option<usize> {
        let singular = field.strip_suffix("_id")?;
        self.spec.resources.iter().position(|r| {
            r.wire_singular == singular || r.wire_singular.replace('-', "_") == singular
        })
    }

    /// `(resource, field)` pairs worth an index in the store: the foreign keys of linked
    /// collections and every `<singular>_id` field that refers to a resource.
    pub(crate) fn indexed_fields(&self) -> Vec<(String, String)> {
        let mut fields: Vec<(String, String)> = self
            .links
            .iter()
            .map(|l| {
                (
                    self.spec.resources[l.child].name.clone(),
                    l.foreign_key.clone(),
                )
            })
            .collect();
        for (r, resource) in self.spec.resources.iter().enumerate() {
            let Some(model) = self.resource_model(r) else {
                continue;
            };
            for field in &model.fields {
                if field.wire_name != "id" && self.referenced_resource(&field.wire_name).is_some() {
                    fields.push((resource.name.clone(), field.wire_name.clone()));
                }
            }
        }
        fields.sort();
        fields.dedup();
        fields
    }

    /// Item key of a wrapped nested list: the singular of the resource with that plural, else
    /// the field name without a trailing `s`.
    pub(crate) fn item_key(&self, field: &str) -> String {
        match self.spec.resources.iter().find(|r| r.wire_plural == field) {
            Some(r) => r.wire_singular.clone(),
            None => field
                .strip_suffix('s')
                .filter(|s| !s.is_empty())
                .unwrap_or(field)
                .to_owned(),
        }
    }

    /// Resources in an order where the resources a record refers to come first.
    pub(crate) fn seed_order(&self) -> Vec<usize> {
        let deps: Vec<Vec<usize>> = (0..self.spec.resources.len())
            .map(|r| self.dependencies(r))
            .collect();
        let mut done = vec![false; deps.len()];
        let mut order = Vec::new();
        while order.len() < deps.len() {
            let ready =
                (0..deps.len()).find(|&r| !done[r] && deps[r].iter().all(|&d| done[d] || d == r));
            // A cycle: take the first remaining resource in spec order.
            let next = ready.or_else(|| (0..deps.len()).find(|&r| !done[r]));
            let Some(next) = next else { break };
            done[next] = true;
            order.push(next);
        }
        order
    }

    fn dependencies(&self, resource: usize) -> Vec<usize> {
        let Some(model) = self.resource_model(resource) else {
            return Vec::new();
        };
        let mut deps = Vec::new();
        for field in &model.fields {
            if field.wire_name != "id"
                && let Some(r) = self.referenced_resource(&field.wire_name)
            {
                deps.push(r);
            }
            if let TypeRef::List(inner) = &field.ty
                && let TypeRef::Model(name) = inner.as_ref()
                && self.link(&model.name, &field.wire_name).is_none()
                && let Some(r) = self.resource_of_model(name)
            {
                deps.push(r);
            }
        }
        deps.retain(|&d| d != resource);
        deps
    }

    fn find_links(&self) -> Vec<Link> {
        let mut links = Vec::new();
        for (r, resource) in self.spec.resources.iter().enumerate() {
            let Some(model) = self.resource_model(r) else {
                continue;
            };
            let foreign_key = format!("{}_id", resource.wire_singular.replace('-', "_"));
            for field in &model.fields {
                let TypeRef::List(inner) = &field.ty else {
                    continue;
                };
                let TypeRef::Model(child_model) = inner.as_ref() else {
                    continue;
                };
                let child = self.spec.resources.iter().position(|c| {
                    c.wire_plural == field.wire_name && model_of(c).as_deref() == Some(child_model)
                });
                let Some(child) = child else { continue };
                let has_key = self
                    .model(child_model)
                    .is_some_and(|m| m.fields.iter().any(|f| f.wire_name == foreign_key));
                if has_key
                    && !links
                        .iter()
                        .any(|l: &Link| l.model == model.name && l.field == field.wire_name)
                {
                    links.push(Link {
                        model: model.name.clone(),
                        field: field.wire_name.clone(),
                        child,
                        foreign_key: foreign_key.clone(),
                    });
                }
            }
        }
        links
    }
}

/// The model of a resource: the response of its list or get, else any model its operations use.
fn model_of(resource: &Resource) -> Option<String> {
    let by_kind = |kind: OperationKind| {
        resource
            .operations
            .iter()
            .find(|o| o.kind == kind)
            .and_then(|o| o.response.clone())
    };
    by_kind(OperationKind::List)
        .or_else(|| by_kind(OperationKind::Get))
        .or_else(|| {
            resource
                .operations
                .iter()
                .find_map(|o| o.response.clone().or_else(|| o.request.clone()))
        })
}

/// `bank_account_owner` -> `Bank account owner`.
pub(crate) fn humanize(name: &str) -> String {
    let spaced = name.replace(['_', '-'], " ");
    let mut chars = spaced.trim().chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(vendor: &str) -> Schema {
        Schema::new(crate::builtin::load(vendor).expect("spec"))
    }

    #[test]
    fn billomat_client_links_its_property_values_and_parents_come_first() {
        let s = schema("billomat");
        let link = s.link("Client", "client-property-values").expect("link");
        assert_eq!(s.spec.resources[link.child].name, "client-property-values");
        assert_eq!(link.foreign_key, "client_id");
        let order: Vec<&str> = s
            .seed_order()
            .iter()
            .map(|&r| s.spec.resources[r].name.as_str())
            .collect();
        assert_eq!(order[0], "clients");
        assert_eq!(
            s.referenced_resource("client_id"),
            Some(crate::testing::resource_index(&s.spec, "clients"))
        );
        assert_eq!(
            s.item_key("client-property-values"),
            "client-property-value"
        );
        assert_eq!(s.item_key("taxes"), "taxe");
    }

    #[test]
    fn cloudspot_artikels_follow_categories() {
        let s = schema("cloudspot");
        let order: Vec<&str> = s
            .seed_order()
            .iter()
            .map(|&r| s.spec.resources[r].name.as_str())
            .collect();
        let pos = |name: &str| order.iter().position(|n| *n == name).expect("seeded");
        assert!(pos("categories") < pos("artikels"), "{order:?}");
        assert_eq!(
            s.resource_model(crate::testing::resource_index(&s.spec, "klanten"))
                .map(|m| m.name.as_str()),
            Some("Klant")
        );
        assert_eq!(humanize("bank_account_owner"), "Bank account owner");
    }
}
