//! Where the data sits inside a vendor's bodies.

/// Where the items of a list response are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListEnvelope {
    /// The array at a dotted path of the body (`data`, `result.items`); `total` is a dotted
    /// path of the body to the number of items over all pages, if the vendor reports one.
    DataField {
        key: &'static str,
        total: Option<&'static str>,
    },
    /// `{"<plural>": {"<singular>": [...] | {...} | absent, "<total>": "3", ...}}`; the paging
    /// members are named inside the plural object.
    ResourceRoot {
        total: Option<&'static str>,
        page: Option<&'static str>,
        per_page: Option<&'static str>,
    },
    /// The body's only member holds the list, whatever its name (XML list roots, where an
    /// empty list may come back as `<nil-classes type="array"/>`).
    AnyRoot,
    /// OData v2/v3: `{"d": {"results": [...], "__count": "7"}}` or `{"d": [...]}`.
    OData,
    /// The body is the array.
    Bare,
}

/// Where the object of a single-item response is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemEnvelope {
    /// The object at a dotted path of the body.
    DataField(&'static str),
    /// `{"<key>": [{...}]}`: the first element; an empty array means "not found".
    FirstOfList(&'static str),
    /// `{"<root>": {...}}`, the root being the operation's root key.
    ResourceRoot,
    /// The body's only member, whatever its name.
    AnyRoot,
    /// `{"d": {...}}`, or `{"d": {"results": [{...}]}}`.
    OData,
    Bare,
}

/// How structured request bodies are wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestEnvelope {
    Bare,
    /// `{"<root>": {...}}`, the root being the operation's root key.
    ResourceRoot,
}
