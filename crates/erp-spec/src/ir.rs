//! The validated intermediate representation that emitters and the sandbox consume.
//!
//! Everything here is resolved: type references point at known models or enums, Rust names are
//! computed and unique, and vendor-wide defaults have been applied to every operation.

/// One vendor, fully validated.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Path of the YAML file, as given to the loader (used in generated headers).
    pub source: String,
    pub vendor: Vendor,
    pub base_url: BaseUrl,
    pub auth: Auth,
    pub wire: Wire,
    pub envelope: Envelope,
    pub paging: Paging,
    pub rate_limit: Option<RateLimit>,
    pub errors: Errors,
    pub resources: Vec<Resource>,
    pub models: Vec<Model>,
    pub enums: Vec<Enum>,
}

#[derive(Debug, Clone)]
pub struct Vendor {
    /// Lower snake-case identifier, e.g. `cloudspot`; the crate is `erp-<name>` (dashes).
    pub name: String,
    pub title: String,
    pub docs_url: String,
    pub description: String,
}

impl Vendor {
    pub fn crate_name(&self) -> String {
        format!("erp-{}", self.name.replace('_', "-"))
    }
}

#[derive(Debug, Clone)]
pub struct BaseUrl {
    pub template: String,
    pub variables: Vec<Variable>,
}

#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub doc: String,
    pub example: String,
}

#[derive(Debug, Clone)]
pub struct Auth {
    pub scheme: AuthScheme,
    pub doc: String,
    pub unauthorized: ErrorExample,
}

#[derive(Debug, Clone)]
pub enum AuthScheme {
    /// One or more headers carrying keys (Billomat, Cloudspot's token header is the one-header case).
    Headers(Vec<AuthHeader>),
    Basic {
        username_doc: String,
        password_doc: String,
    },
    OAuth2 {
        authorize_url: String,
        token_url: String,
        refresh_min_interval_seconds: Option<u64>,
    },
}

#[derive(Debug, Clone)]
pub struct AuthHeader {
    pub name: String,
    /// Rust parameter name, e.g. `api_key`.
    pub param: String,
    pub required: bool,
    pub doc: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireFormat {
    Json,
    Xml,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalars {
    /// Numbers and booleans are JSON numbers and booleans (but decoding stays lenient).
    Native,
    /// Every scalar travels as a string (Billomat).
    Strings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Booleans {
    Native,
    /// `"1"` / `"0"` on the wire.
    OneZero,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NestedLists {
    /// A nested list is a plain array.
    Plain,
    /// A nested list is wrapped in an object keyed by the item name (`{"tax": [...]}`).
    Wrapped,
}

#[derive(Debug, Clone)]
pub struct Wire {
    pub format: WireFormat,
    pub scalars: Scalars,
    pub booleans: Booleans,
    pub empty_string_is_null: bool,
    pub one_or_many: bool,
    pub nested_lists: NestedLists,
    pub send_content_type_on_get: bool,
    /// Without an `Accept` for this format the vendor answers in another one.
    pub accept_required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListEnvelope {
    /// `{"<key>": [...]}`.
    DataField { key: String },
    /// `{"<plural>": {"<singular>": [...] | {...} | absent, "@total": ...}}`.
    ResourceRoot {
        total: Option<String>,
        page: Option<String>,
        per_page: Option<String>,
    },
    /// `{"d": {"results": [...], "__next": ...}}`.
    OData,
    /// The body is the array itself.
    Bare,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemEnvelope {
    /// `{"<key>": {...}}`.
    DataField {
        key: String,
    },
    /// `{"<key>": [{...}]}`: take the first element (Cloudspot's get-by-query).
    FirstOfList {
        key: String,
    },
    /// `{"<singular>": {...}}`.
    ResourceRoot,
    /// `{"d": {...}}`.
    OData,
    Bare,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestEnvelope {
    Bare,
    /// `{"<singular>": {...}}`.
    ResourceRoot,
}

#[derive(Debug, Clone)]
pub struct Envelope {
    pub list: ListEnvelope,
    pub item: ItemEnvelope,
    pub request: RequestEnvelope,
    pub errors_in_success: bool,
    pub success_members: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paging {
    None,
    PageNumber {
        page_param: String,
        size_param: String,
        first_page: u64,
        default_size: u64,
        max_size: u64,
    },
    NextLink {
        field: String,
    },
    Cursor {
        param: String,
        field: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetUnit {
    EpochSeconds,
    EpochMillis,
    DeltaSeconds,
}

#[derive(Debug, Clone)]
pub struct RateLimit {
    pub remaining_header: String,
    pub reset_header: String,
    pub reset: ResetUnit,
    pub limit_header: Option<String>,
    pub window_seconds: u64,
    pub quota: u64,
    pub exceeded_message: String,
}

#[derive(Debug, Clone)]
pub struct Errors {
    /// Dotted paths into an error body where the vendor's message may be, tried in order.
    pub message_paths: Vec<String>,
    pub code_paths: Vec<String>,
    pub not_found: ErrorExample,
    pub invalid: ErrorExample,
}

#[derive(Debug, Clone)]
pub struct ErrorExample {
    pub status: u16,
    pub message: String,
    pub code: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Resource {
    /// Key in the spec, e.g. `client-property-values`.
    pub name: String,
    /// snake_case Rust module / accessor name.
    pub rust_name: String,
    /// UpperCamelCase Rust type name of the resource handle.
    pub type_name: String,
    /// Cargo feature that enables this resource.
    pub feature: String,
    pub doc: String,
    pub path: String,
    pub wire_singular: String,
    pub wire_plural: String,
    pub operations: Vec<Operation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    List,
    Get,
    Create,
    Update,
    Delete,
    Action,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    /// No body is read (or an empty body is expected).
    None,
    /// One object in the vendor's item envelope.
    Item,
    /// One object, or an empty body (the vendor does not promise to echo the object).
    ItemOrEmpty,
    /// A list in the vendor's list envelope.
    List,
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub name: String,
    pub rust_name: String,
    pub kind: OperationKind,
    pub doc: String,
    pub method: Method,
    /// Full path below the base URL, with `{param}` placeholders.
    pub path: String,
    pub path_params: Vec<Param>,
    pub query: Vec<Param>,
    pub request: Option<String>,
    pub response: Option<String>,
    pub returns: Returns,
    pub paged: bool,
    pub idempotent: bool,
    /// Body root key overriding the resource's `wire_singular`, if the spec sets one.
    pub root: Option<String>,
}

impl Operation {
    /// UpperCamel name of the generated query struct, if the operation has query parameters.
    pub fn query_type_name(&self, resource: &Resource) -> String {
        use heck::ToUpperCamelCase;
        format!(
            "{}{}Query",
            resource.type_name,
            self.name.to_upper_camel_case()
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterMode {
    Equals,
    Contains,
    AnyOf,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub wire_name: String,
    pub rust_name: String,
    pub ty: TypeRef,
    pub required: bool,
    pub doc: String,
    pub filter: FilterMode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeRef {
    String,
    Integer,
    Number,
    Boolean,
    Date,
    DateTime,
    Json,
    List(Box<TypeRef>),
    Model(String),
    Enum(String),
}

impl TypeRef {
    pub fn is_list(&self) -> bool {
        matches!(self, TypeRef::List(_))
    }

    /// The element type of a (possibly nested) list, or the type itself.
    pub fn innermost(&self) -> &TypeRef {
        match self {
            TypeRef::List(inner) => inner.innermost(),
            other => other,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub doc: String,
    pub fields: Vec<Field>,
    /// Features of the resources that use this model (directly or through other models).
    pub features: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub wire_name: String,
    pub rust_name: String,
    pub ty: TypeRef,
    pub doc: String,
    pub required: bool,
    pub sensitive: bool,
    pub read_only: bool,
    pub examples: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Enum {
    pub name: String,
    pub doc: String,
    pub variants: Vec<Variant>,
    pub features: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Variant {
    pub wire: String,
    pub rust_name: String,
    pub doc: String,
}

impl Spec {
    pub fn model(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == name)
    }

    pub fn enumeration(&self, name: &str) -> Option<&Enum> {
        self.enums.iter().find(|e| e.name == name)
    }

    pub fn resource(&self, name: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.name == name)
    }

    /// Every model reachable from the `roots` through fields (lists included), each once, in
    /// name order. Unknown names are skipped.
    pub fn reachable_models<'a>(
        &'a self,
        roots: impl IntoIterator<Item = &'a str>,
    ) -> Vec<&'a Model> {
        let mut seen = std::collections::BTreeMap::new();
        let mut stack: Vec<&str> = roots.into_iter().collect();
        while let Some(name) = stack.pop() {
            let Some(model) = self.model(name).filter(|_| !seen.contains_key(name)) else {
                continue;
            };
            seen.insert(name, model);
            stack.extend(model.fields.iter().filter_map(|f| match f.ty.innermost() {
                TypeRef::Model(m) => Some(m.as_str()),
                _ => None,
            }));
        }
        seen.into_values().collect()
    }
}
