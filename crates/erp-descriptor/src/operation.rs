//! Vendors, resources and operations.

use crate::{
    BodyKind, BoolEncoding, ItemEnvelope, ListEnvelope, NestedLists, Paging, RateWindow,
    RequestEnvelope, Returns, WireFormat,
};

/// HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// Everything the runtime needs to know about one vendor.
#[derive(Debug, PartialEq, Eq)]
pub struct VendorInfo {
    /// Identifier, e.g. `billomat`.
    pub name: &'static str,
    pub title: &'static str,
    /// Base URL with `{variable}` placeholders.
    pub base_url: &'static str,
    pub base_url_variables: &'static [&'static str],
    pub booleans: BoolEncoding,
    /// How list fields of models arrive; the runtime's lenient decoder unwraps wrapped ones.
    pub nested_lists: NestedLists,
    pub list_envelope: ListEnvelope,
    pub item_envelope: ItemEnvelope,
    pub request_envelope: RequestEnvelope,
    /// Dotted paths whose presence in a 2xx body means the call failed (Billomat's `errors`).
    pub success_error_paths: &'static [&'static str],
    pub rate_limits: &'static [RateWindow],
    /// Dotted paths to the vendor's error message, tried in order.
    pub error_message_paths: &'static [&'static str],
    pub error_code_paths: &'static [&'static str],
    /// The response header that carries the vendor's id of a request (`X-Request-Id`); errors
    /// of an answered call show it, so that the vendor's support can find the request.
    pub request_id_header: Option<&'static str>,
}

/// One resource of a vendor: a group of operations on the same kind of record.
#[derive(Debug, PartialEq, Eq)]
pub struct ResourceInfo {
    pub vendor: &'static VendorInfo,
    /// Resource name as in the spec, e.g. `client-property-values`.
    pub name: &'static str,
    /// List root key (`clients`).
    pub wire_plural: &'static str,
}

/// One endpoint of a vendor.
#[derive(Debug, PartialEq, Eq)]
pub struct Operation {
    pub resource: &'static ResourceInfo,
    /// Operation name as in the spec, e.g. `list`.
    pub name: &'static str,
    pub method: Method,
    /// Path below the base URL; `{param}` placeholders may sit anywhere in a segment
    /// (`/Accounts(guid'{id}')`, `/{id}.xml`).
    pub path: &'static str,
    /// Root key of request and item bodies in `resource_root` envelopes (`client`).
    pub root: &'static str,
    /// Format of the structured bodies.
    pub format: WireFormat,
    pub body: BodyKind,
    pub returns: Returns,
    /// The `Accept` header sent.
    pub accept: &'static str,
    /// Headers sent with every request of this operation (vendor-wide ones included).
    pub headers: &'static [(&'static str, &'static str)],
    pub paging: Paging,
    /// Safe to send twice (GET, PUT, DELETE unless the spec says otherwise).
    pub idempotent: bool,
    /// Wire names of sensitive fields in this operation's bodies, never shown in errors.
    pub redact: &'static [&'static str],
    /// For a `get`: the wire name of the field that identifies the returned record; the
    /// request's path or query parameter of the same name holds the value asked for. The
    /// runtime answers only with a record whose field holds that value, so a vendor that
    /// ignores the parameter cannot hand back another record. For a `create`: the field the
    /// new record shows its key in, so that a 2xx body holding only the vendor's error members
    /// (and no key) is read as the vendor's error, not as the created record.
    pub key: Option<&'static str>,
    /// The header that carries an idempotency key (`Idempotency-Key`), when the vendor honours
    /// one for this operation. The runtime sends one key per call, the same on every retry,
    /// which makes retrying the call safe even when an attempt may have been applied.
    pub idempotency_key: Option<&'static str>,
}

impl Operation {
    /// The vendor of this operation.
    pub fn vendor(&self) -> &'static VendorInfo {
        self.resource.vendor
    }

    /// `resource.operation`, as shown in errors and spans.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.resource.name, self.name)
    }
}
