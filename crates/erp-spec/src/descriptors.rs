//! The runtime descriptors of a validated spec: the values a generated crate holds as
//! `static`s, built here once so that the generator writes them and test drivers use them
//! through the same function.
//!
//! Descriptors are `'static` (the runtime keeps references to them), so building them leaks
//! their slices and the three structs; strings are interned. Build them once per spec and
//! process: the generator and test drivers do.

use std::collections::BTreeSet;

use erp_descriptor::{self as d, intern};

use crate::ir::{Operation, OperationKind, Resource, Returns, Spec};

/// A vendor's descriptors, in spec order.
#[derive(Debug)]
pub struct Descriptors {
    pub vendor: &'static d::VendorInfo,
    pub resources: Vec<ResourceDescriptors>,
}

/// One resource's descriptors.
#[derive(Debug)]
pub struct ResourceDescriptors {
    pub info: &'static d::ResourceInfo,
    /// In the order of `Resource::operations`.
    pub operations: Vec<&'static d::Operation>,
}

impl Descriptors {
    /// The descriptor of `resource.operation`.
    pub fn operation(&self, resource: &str, operation: &str) -> Option<&'static d::Operation> {
        self.resources
            .iter()
            .filter(|r| r.info.name == resource)
            .flat_map(|r| r.operations.iter().copied())
            .find(|op| op.name == operation)
    }
}

fn leak<T>(items: Vec<T>) -> &'static [T] {
    Box::leak(items.into_boxed_slice())
}

fn strings(items: &[String]) -> &'static [&'static str] {
    leak(items.iter().map(|s| intern(s)).collect())
}

fn pairs(items: &[(String, String)]) -> &'static [(&'static str, &'static str)] {
    leak(items.iter().map(|(k, v)| (intern(k), intern(v))).collect())
}

/// The vendor descriptor of `spec`.
pub fn vendor_info(spec: &Spec) -> d::VendorInfo {
    d::VendorInfo {
        name: intern(&spec.vendor.name),
        title: intern(&spec.vendor.title),
        base_url: intern(&spec.base_url.template),
        base_url_variables: leak(
            spec.base_url
                .variables
                .iter()
                .map(|v| intern(&v.name))
                .collect(),
        ),
        booleans: spec.wire.booleans,
        nested_lists: spec.wire.nested_lists,
        list_envelope: spec.envelope.list,
        item_envelope: spec.envelope.item,
        request_envelope: spec.envelope.request,
        success_error_paths: strings(&spec.errors.in_success),
        rate_limits: leak(spec.rate_limits.iter().map(|r| r.window).collect()),
        error_message_paths: strings(&spec.errors.message_paths),
        error_code_paths: strings(&spec.errors.code_paths),
        request_id_header: spec.errors.request_id.as_deref().map(intern),
    }
}

/// The resource descriptor of `resource`.
pub fn resource_info(vendor: &'static d::VendorInfo, resource: &Resource) -> d::ResourceInfo {
    d::ResourceInfo {
        vendor,
        name: intern(&resource.name),
        wire_plural: intern(&resource.wire_plural),
    }
}

/// The operation descriptor of `op`.
pub fn operation(spec: &Spec, resource: &'static d::ResourceInfo, op: &Operation) -> d::Operation {
    d::Operation {
        resource,
        name: intern(&op.name),
        method: op.method,
        path: intern(&op.path),
        root: intern(&op.root),
        format: op.format,
        body: op.body,
        returns: op.returns,
        accept: intern(&op.accept),
        headers: pairs(&op.headers),
        paging: op.paging,
        idempotent: op.idempotent,
        redact: strings(&sensitive_wire_names(spec, op)),
        key: item_key(spec, op)
            .or_else(|| created_key(spec, resource.name, op))
            .map(intern),
        idempotency_key: op.idempotency_key.as_deref().map(intern),
    }
}

/// The field that identifies the record a `get` returns: its only path parameter (or, with
/// none, its only required query parameter, as in `GET /artikels/?id=42`) when the response
/// model has a field of that wire name. Anything less certain names no key, and the runtime
/// then checks nothing.
pub fn item_key<'s>(spec: &'s Spec, op: &'s Operation) -> Option<&'s str> {
    if op.kind != OperationKind::Get || !matches!(op.returns, Returns::Item | Returns::ItemOrEmpty)
    {
        return None;
    }
    let param = match op.path_params.as_slice() {
        [only] => only,
        [] => {
            let mut required = op.query.iter().filter(|q| q.required);
            match (required.next(), required.next()) {
                (Some(only), None) => only,
                _ => return None,
            }
        }
        _ => return None,
    };
    let model = spec.model(op.response.as_deref()?)?;
    model
        .fields
        .iter()
        .find(|f| f.wire_name == param.wire_name)
        .map(|f| f.wire_name.as_str())
}

/// The field a record made by a create shows its key in: the key its resource's `get`
/// identifies records by, when the create's response model has that field. A 2xx answer
/// without it that holds only the vendor's error members is then told from a record.
fn created_key<'s>(spec: &'s Spec, resource: &str, op: &'s Operation) -> Option<&'s str> {
    if op.kind != OperationKind::Create
        || !matches!(op.returns, Returns::Item | Returns::ItemOrEmpty)
    {
        return None;
    }
    let get = (spec
        .resources
        .iter()
        .find(|r| r.name == resource)?
        .operations
        .iter())
    .find(|o| o.kind == OperationKind::Get)?;
    let key = item_key(spec, get)?;
    let model = spec.model(op.response.as_deref()?)?;
    model
        .fields
        .iter()
        .find(|f| f.wire_name == key)
        .map(|f| f.wire_name.as_str())
}

/// Every descriptor of `spec`.
pub fn descriptors(spec: &Spec) -> Descriptors {
    let vendor: &'static d::VendorInfo = Box::leak(Box::new(vendor_info(spec)));
    let resources = spec
        .resources
        .iter()
        .map(|r| {
            let info: &'static d::ResourceInfo = Box::leak(Box::new(resource_info(vendor, r)));
            let operations = r
                .operations
                .iter()
                .map(|op| &*Box::leak(Box::new(operation(spec, info, op))))
                .collect();
            ResourceDescriptors { info, operations }
        })
        .collect();
    Descriptors { vendor, resources }
}

/// Wire names of the sensitive fields anywhere in an operation's request or response models.
pub fn sensitive_wire_names(spec: &Spec, op: &Operation) -> Vec<String> {
    let models = spec.reachable_models(op.request.iter().chain(&op.response).map(String::as_str));
    let names: BTreeSet<String> = models
        .iter()
        .flat_map(|m| &m.fields)
        .filter(|f| f.sensitive)
        .map(|f| f.wire_name.clone())
        .collect();
    names.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_get_and_a_create_know_the_key_a_list_does_not() {
        let text = include_str!("../../../tests/conformance/conf_offsets.yaml");
        let spec = crate::parse_str("conf_offsets.yaml", text).expect("spec");
        let things = spec
            .resources
            .iter()
            .find(|r| r.name == "things")
            .expect("things");
        let op = |name: &str| {
            let op = things
                .operations
                .iter()
                .find(|o| o.name == name)
                .expect(name);
            item_key(&spec, op).or_else(|| created_key(&spec, &things.name, op))
        };
        assert_eq!(op("get"), Some("id"));
        assert_eq!(op("create"), Some("id"));
        assert_eq!(op("list"), None);
        assert_eq!(op("delete"), None);
    }
}
