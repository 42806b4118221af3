//! Helpers for unit tests.

use erp_spec::ir::{Operation, Resource, Spec};

/// The resource `name` (resources are not in YAML order).
pub(crate) fn resource<'a>(spec: &'a Spec, name: &str) -> &'a Resource {
    spec.resources
        .iter()
        .find(|r| r.name == name)
        .expect("resource")
}

/// Index of the resource `name`.
pub(crate) fn resource_index(spec: &Spec, name: &str) -> usize {
    spec.resources
        .iter()
        .position(|r| r.name == name)
        .expect("resource")
}

/// The operation `op` of resource `name`.
pub(crate) fn op<'a>(spec: &'a Spec, name: &str, op: &str) -> &'a Operation {
    resource(spec, name)
        .operations
        .iter()
        .find(|o| o.name == op)
        .expect("operation")
}
