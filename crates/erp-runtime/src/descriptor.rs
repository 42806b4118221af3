//! Static descriptions of a vendor and its operations.
//!
//! Generated crates hold one [`VendorInfo`] and one [`Operation`] per endpoint, as `static`s;
//! everything the runtime does (URLs, envelopes, paging, rate limits, error parsing) is driven
//! by these values, so no policy lives in generated code.

/// The wire format of a vendor's bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireFormat {
    Json,
    Xml,
}

/// How booleans travel on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolEncoding {
    Native,
    /// `1` / `0` (Billomat).
    OneZero,
}

/// Where the items of a list response are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListEnvelope {
    /// `{"<key>": [...]}`.
    DataField(&'static str),
    /// `{"<plural>": {"<singular>": [...] | {...} | absent, "<total>": "3", ...}}`.
    ResourceRoot {
        total: Option<&'static str>,
        page: Option<&'static str>,
        per_page: Option<&'static str>,
    },
    /// `{"d": {"results": [...], "__next": "..."}}`.
    OData,
    /// The body is the array.
    Bare,
}

/// Where the object of a single-item response is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemEnvelope {
    DataField(&'static str),
    /// `{"<key>": [{...}]}`: the first element; an empty array means "not found".
    FirstOfList(&'static str),
    /// `{"<singular>": {...}}`.
    ResourceRoot,
    OData,
    Bare,
}

/// How request bodies are wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestEnvelope {
    Bare,
    /// `{"<singular>": {...}}`.
    ResourceRoot,
}

/// The vendor's paging style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    None,
    PageNumber {
        page_param: &'static str,
        size_param: &'static str,
        first_page: u64,
        default_size: u64,
        max_size: u64,
    },
    /// Follow an absolute link found at this dotted path of the list body.
    NextLink {
        field: &'static str,
    },
    /// Send `param=<field of the last item>` to get the next page.
    Cursor {
        param: &'static str,
        field: &'static str,
    },
}

/// Unit of a rate-limit reset header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetUnit {
    EpochSeconds,
    EpochMillis,
    DeltaSeconds,
}

/// The vendor's rate-limit response headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitHeaders {
    pub remaining: &'static str,
    pub reset: &'static str,
    pub reset_unit: ResetUnit,
}

/// Everything the runtime needs to know about one vendor.
#[derive(Debug)]
pub struct VendorInfo {
    /// Identifier, e.g. `billomat`.
    pub name: &'static str,
    pub title: &'static str,
    /// Base URL with `{variable}` placeholders.
    pub base_url: &'static str,
    pub base_url_variables: &'static [&'static str],
    pub format: WireFormat,
    pub booleans: BoolEncoding,
    pub send_content_type_on_get: bool,
    pub list_envelope: ListEnvelope,
    pub item_envelope: ItemEnvelope,
    pub request_envelope: RequestEnvelope,
    /// A 2xx body with a top-level `errors` member is a failure.
    pub errors_in_success: bool,
    pub paging: Paging,
    pub rate_limit: Option<RateLimitHeaders>,
    /// Dotted paths to the vendor's error message, tried in order.
    pub error_message_paths: &'static [&'static str],
    pub error_code_paths: &'static [&'static str],
}

/// HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

    pub(crate) fn to_http(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

/// What an operation's response body holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    None,
    Item,
    /// One object or an empty body.
    ItemOrEmpty,
    List,
}

/// One endpoint of a vendor.
#[derive(Debug)]
pub struct Operation {
    pub vendor: &'static VendorInfo,
    /// Resource name as in the spec, e.g. `client-property-values`.
    pub resource: &'static str,
    /// Operation name as in the spec, e.g. `list`.
    pub name: &'static str,
    pub method: Method,
    /// Path below the base URL with `{param}` placeholders.
    pub path: &'static str,
    /// Item / request root key (`client`).
    pub wire_singular: &'static str,
    /// List root key (`clients`).
    pub wire_plural: &'static str,
    pub returns: Returns,
    pub paged: bool,
    /// Safe to send twice (GET, PUT, DELETE unless the spec says otherwise).
    pub idempotent: bool,
    /// Wire names of sensitive fields in this operation's bodies, never shown in errors.
    pub redact: &'static [&'static str],
}

impl Operation {
    /// `resource.operation`, as shown in errors and spans.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.resource, self.name)
    }
}
