//! Lookups derived from the spec that several modules need (models of resources, linked
//! collections, references between resources). References are what fields declare with
//! `sandbox: {references: <resource>}`, never guessed from field names.

use erp_spec::ir::{Field, Model, Spec, TypeRef};

/// A nested collection filled from another resource's records at render time: a list of
/// resource C's records inside a record of resource P, where C's model has a field declared
/// `references: P`, holds the C records that refer to it (Billomat's
/// `client.client-property-values` lists the `client-property-values` whose `client_id` is the
/// client's id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    /// Model holding the collection field.
    pub model: String,
    /// Wire name of the collection field.
    pub field: String,
    /// Index of the resource whose records fill it.
    pub child: usize,
    /// Field of the child holding the parent's key.
    pub foreign_key: String,
    /// The parent's field the foreign key holds: its `sandbox.key` (Spreedly's `customer-id`)
    /// or `id`.
    pub parent_key: String,
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
        let resource_models: Vec<Option<String>> = spec
            .resources
            .iter()
            .map(|r| r.record_model().map(str::to_owned))
            .collect();
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

    /// The resource a field declares it `references`.
    pub(crate) fn reference(&self, field: &Field) -> Option<usize> {
        let name = field.sandbox.references.as_deref()?;
        self.spec.resources.iter().position(|r| r.name == name)
    }

    /// `(resource, field)` pairs worth an index in the store: the foreign keys of linked
    /// collections and every field that `references` a resource.
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
                if self.reference(field).is_some() {
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
            if let Some(r) = self.reference(field) {
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
            for field in &model.fields {
                let TypeRef::List(inner) = &field.ty else {
                    continue;
                };
                let TypeRef::Model(child_model) = inner.as_ref() else {
                    continue;
                };
                // The child resource whose records follow the item model and refer back here.
                let found = (0..self.spec.resources.len()).find_map(|c| {
                    let m = self.resource_model(c).filter(|m| &m.name == child_model)?;
                    let key = m.fields.iter().find(|f| {
                        f.sandbox.references.as_deref() == Some(resource.name.as_str())
                    })?;
                    Some((c, key.wire_name.clone()))
                });
                let Some((child, foreign_key)) = found.filter(|(c, _)| *c != r) else {
                    continue;
                };
                let parent_key = self
                    .spec
                    .sandbox
                    .key(&resource.name)
                    .map_or_else(|| "id".to_owned(), |k| k.field.clone());
                links.push(Link {
                    model: model.name.clone(),
                    field: field.wire_name.clone(),
                    child,
                    foreign_key,
                    parent_key,
                });
            }
        }
        links.sort_by(|a, b| (&a.model, &a.field).cmp(&(&b.model, &b.field)));
        links.dedup_by(|a, b| a.model == b.model && a.field == b.field);
        links
    }
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
        let at = |name: &str| order.iter().position(|r| *r == name).expect(name);
        assert!(at("clients") < at("client-property-values"), "{order:?}");
        assert!(at("clients") < at("contacts"), "{order:?}");
        let property_values = s.model("ClientPropertyValue").expect("model");
        let client_id = property_values
            .fields
            .iter()
            .find(|f| f.wire_name == "client_id")
            .expect("client_id");
        assert_eq!(
            s.reference(client_id),
            Some(crate::testing::resource_index(&s.spec, "clients"))
        );
        assert_eq!(
            s.item_key("client-property-values"),
            "client-property-value"
        );
        // A resource's own singular wins; other nested lists drop the plural `s`.
        assert_eq!(s.item_key("taxes"), "tax");
        assert_eq!(s.item_key("boxes"), "boxe");
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
