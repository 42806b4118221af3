//! Descriptors for unit tests.

use crate::descriptor::*;

/// A JSON vendor with bare envelopes, to be adjusted with struct update syntax.
pub(crate) fn vendor() -> VendorInfo {
    VendorInfo {
        name: "test",
        title: "Test",
        base_url: "https://example.com/api",
        base_url_variables: &[],
        booleans: BoolEncoding::Native,
        nested_lists: NestedLists::Plain,
        list_envelope: ListEnvelope::Bare,
        item_envelope: ItemEnvelope::Bare,
        request_envelope: RequestEnvelope::Bare,
        success_error_paths: &[],
        rate_limits: &[],
        error_message_paths: &["message"],
        error_code_paths: &[],
        request_id_header: None,
    }
}

/// A `GET /things` operation of `vendor` (leaked: tests only).
pub(crate) fn operation(
    vendor: VendorInfo,
    paging: Paging,
    returns: Returns,
) -> &'static Operation {
    let vendor: &'static VendorInfo = Box::leak(Box::new(vendor));
    let resource: &'static ResourceInfo = Box::leak(Box::new(ResourceInfo {
        vendor,
        name: "things",
        wire_plural: "clients",
    }));
    Box::leak(Box::new(Operation {
        resource,
        name: "list",
        method: Method::Get,
        path: "/things",
        root: "client",
        format: WireFormat::Json,
        body: BodyKind::None,
        returns,
        accept: "application/json",
        headers: &[],
        paging,
        idempotent: true,
        redact: &[],
        key: None,
        idempotency_key: None,
    }))
}
