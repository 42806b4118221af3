//! Static descriptions of a vendor and its operations: the types of `erp-descriptor`.
//!
//! Generated crates hold one [`VendorInfo`], one [`ResourceInfo`] per resource and one
//! [`Operation`] per endpoint, as `static`s; everything the runtime does (URLs, bodies,
//! envelopes, paging, rate limits, error parsing) is driven by these values, so no policy lives
//! in generated code. The same types are what the spec validator produces, so a descriptor
//! enum is defined once for every layer.

pub use erp_descriptor::*;

/// The reqwest method of an operation's method.
pub(crate) fn http_method(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
    }
}
