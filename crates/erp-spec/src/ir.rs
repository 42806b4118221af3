//! The validated intermediate representation that emitters and the sandbox consume.
//!
//! Everything here is resolved: type references point at known models or enums, Rust names are
//! computed and unique, and vendor-wide defaults have been applied to every operation.
//!
//! The descriptor types (paging styles, envelopes, body and response kinds, methods) are the
//! ones of `erp-descriptor`, shared with the runtime, so they are defined once.

pub use erp_descriptor::{
    BodyKind, BoolEncoding, CursorSource, ItemEnvelope, LinkSource, ListEnvelope, Method,
    NestedLists, PageSize, Paging, RateWindow, RequestEnvelope, ResetUnit, Returns, WhenExhausted,
    WireFormat,
};

pub mod effects;

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
    /// The vendor's paging style; each list operation has its own, resolved.
    pub paging: Paging,
    pub rate_limits: Vec<RateLimit>,
    pub errors: Errors,
    pub resources: Vec<Resource>,
    pub models: Vec<Model>,
    pub enums: Vec<Enum>,
    /// URL templates of the vendor's own pages, built by the client without a request.
    pub links: Vec<Link>,
    /// How the sandbox imitates the vendor (the spec's `sandbox` section, defaults applied).
    /// Generated clients never read it: it is not part of what the vendor promises a client.
    pub sandbox: SandboxSettings,
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
}

#[derive(Debug, Clone)]
pub enum AuthScheme {
    /// One or more headers carrying keys (Billomat, Cloudspot's token header is the one-header case).
    Headers(Vec<AuthHeader>),
    /// One or more query parameters carrying keys (`?api_key=...`).
    Query(Vec<AuthHeader>),
    /// `Authorization: Bearer <token>` with a token the user already has.
    Bearer,
    Basic {
        username_doc: String,
        password_doc: String,
    },
    OAuth2(OAuth2),
}

/// A header (or query parameter) that carries a credential.
#[derive(Debug, Clone)]
pub struct AuthHeader {
    /// Header or query parameter name.
    pub name: String,
    /// Rust parameter name, e.g. `api_key`.
    pub param: String,
    pub required: bool,
    pub doc: String,
    /// Text before the value (`Token token=`, `Bearer `); empty for none.
    pub prefix: String,
    /// A query parameter the vendor also accepts the value in (`?api_key=`).
    pub also_query: Option<String>,
}

/// An OAuth2 authorization server.
#[derive(Debug, Clone)]
pub struct OAuth2 {
    pub authorize_url: String,
    pub token_url: String,
    pub grants: Vec<Grant>,
    pub scopes: Vec<String>,
    /// The vendor refuses refreshes closer together than this.
    pub refresh_min_interval_seconds: Option<u64>,
    /// Whether each refresh returns a new refresh token and retires the old one.
    pub rotates_refresh_tokens: bool,
}

/// An OAuth2 grant type the vendor supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grant {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl Grant {
    /// The `grant_type` value of RFC 6749.
    pub fn as_str(self) -> &'static str {
        match self {
            Grant::AuthorizationCode => "authorization_code",
            Grant::RefreshToken => "refresh_token",
            Grant::ClientCredentials => "client_credentials",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalars {
    /// Numbers and booleans are JSON numbers and booleans (but decoding stays lenient).
    Native,
    /// Every scalar travels as a string (Billomat).
    Strings,
}

#[derive(Debug, Clone)]
pub struct Wire {
    pub format: WireFormat,
    pub scalars: Scalars,
    pub booleans: BoolEncoding,
    pub empty_string_is_null: bool,
    pub one_or_many: bool,
    pub nested_lists: NestedLists,
    /// Headers sent with every request (`Content-Type: application/json` even on a GET).
    pub headers: Vec<(String, String)>,
    /// The idempotency-key header of every operation that is not idempotent.
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Envelope {
    pub list: ListEnvelope,
    pub item: ItemEnvelope,
    pub request: RequestEnvelope,
}

#[derive(Debug, Clone)]
pub struct RateLimit {
    /// The window as the client sees it (headers, units, what to do when it is used up).
    pub window: RateWindow,
    /// The window's length (also `window.seconds`): the client bounds reset hints by it, the
    /// sandbox counts requests in it.
    pub window_seconds: u64,
}

#[derive(Debug, Clone)]
pub struct Errors {
    /// Dotted paths into an error body where the vendor's message may be, tried in order.
    pub message_paths: Vec<String>,
    pub code_paths: Vec<String>,
    /// Dotted paths whose presence in a 2xx body means the call failed.
    pub in_success: Vec<String>,
    /// The response header with the vendor's id of the request, shown in errors.
    pub request_id: Option<String>,
}

/// What only the sandbox reads, with every default applied.
#[derive(Debug, Clone)]
pub struct SandboxSettings {
    /// Without an `Accept` for the vendor's format the vendor answers in another one (the
    /// sandbox refuses such requests).
    pub accept_required: bool,
    /// A query parameter that also selects the format (`?format=json`).
    pub format_param: Option<String>,
    /// Members the sandbox puts beside the data (Cloudspot's `status: OK`).
    pub success_members: Vec<(String, String)>,
    pub errors: SandboxErrors,
    /// One per window of [`Spec::rate_limits`], in the same order.
    pub rate_limits: Vec<SandboxRateLimit>,
    pub oauth2: SandboxOAuth2,
    /// The root element of every empty XML list (`nil-classes`); `None`: the list's own.
    pub empty_list_root: Option<String>,
    /// The `sandbox:` parts of resources and their operations, by resource name (resources
    /// without any are absent).
    pub resources: std::collections::BTreeMap<String, effects::ResourceSandbox>,
}

impl SandboxSettings {
    /// The key of a resource's records other than the integer `id`, if it has one.
    pub fn key(&self, resource: &str) -> Option<&effects::RecordKey> {
        self.resources.get(resource)?.key.as_ref()
    }

    /// The `sandbox:` part of an operation, if it has one.
    pub fn operation(&self, resource: &str, op: &str) -> Option<&effects::OperationSandbox> {
        self.resources.get(resource)?.operations.get(op)
    }

    /// The sandbox's quota and message for the rate-limit window called `name`.
    pub fn rate_limit(&self, name: &str) -> Option<&SandboxRateLimit> {
        self.rate_limits.iter().find(|r| r.name == name)
    }
}

/// The vendor's error answers as the sandbox gives them.
#[derive(Debug, Clone)]
pub struct SandboxErrors {
    pub not_found: ErrorExample,
    /// Its message is replaced by the sandbox's reason for refusing a request.
    pub invalid: ErrorExample,
    /// Missing or wrong credentials.
    pub unauthorized: ErrorExample,
}

#[derive(Debug, Clone)]
pub struct ErrorExample {
    pub status: u16,
    /// `{<path parameter>}` is filled in (`There is no subscriber with a customer id of {id}`).
    pub message: String,
    pub code: Option<String>,
    /// Structured (the vendor's error shape) or plain text.
    pub body: effects::ErrorBody,
}

/// The sandbox's side of one rate-limit window.
#[derive(Debug, Clone)]
pub struct SandboxRateLimit {
    /// The window's name, as in [`RateWindow::name`].
    pub name: String,
    /// Requests allowed per window.
    pub quota: u64,
    /// The message of the vendor's 429 body; `{quota}` and `{seconds}` are filled in.
    pub exceeded_message: String,
}

/// The sandbox's OAuth2 authorization server (used with `AuthScheme::OAuth2` only).
#[derive(Debug, Clone)]
pub struct SandboxOAuth2 {
    /// How long the sandbox's access tokens live.
    pub access_token_seconds: u64,
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
    /// Resource group (a service of a large vendor); the cargo feature when set.
    pub group: Option<String>,
    /// Generate `get_or_create` from the resource's `get` and `create` (a 404 only leads to
    /// the create).
    pub get_or_create: bool,
    pub operations: Vec<Operation>,
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
    /// Model of the request body (structured, form or multipart fields).
    pub request: Option<String>,
    pub response: Option<String>,
    /// Format of the structured bodies (the vendor's unless the operation says otherwise).
    pub format: WireFormat,
    pub body: BodyKind,
    pub returns: Returns,
    /// The `Accept` header value.
    pub accept: String,
    /// Headers sent with each request, the vendor's included.
    pub headers: Vec<(String, String)>,
    /// The paging of a list (the vendor's unless overridden; `None` when not paged).
    pub paging: Paging,
    pub idempotent: bool,
    /// The header of the idempotency key the client sends with this operation, if the vendor
    /// honours one (the vendor's `wire.idempotency_key` for writes, or the operation's own).
    pub idempotency_key: Option<String>,
    /// Root key of request and item bodies in `resource_root` envelopes.
    pub root: String,
    /// A condition on the client's base-URL variables, checked before anything is sent.
    pub requires: Option<Requirement>,
}

/// `requires: {base_var, contains}`: the operation is refused client-side unless the base-URL
/// variable `base_var` contains `contains` (Spreedly's destructive calls on test sites only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub base_var: String,
    pub contains: String,
}

/// A URL of the vendor's own pages (`links.<name>`): a template over the base-URL variables
/// and its own parameters, with optional query parameters.
#[derive(Debug, Clone)]
pub struct Link {
    /// Key in the spec; also the generated method's name.
    pub name: String,
    pub doc: String,
    pub template: String,
    /// Path parameters in the order of their first use in the template.
    pub params: Vec<Param>,
    pub query: Vec<Param>,
}

impl Resource {
    /// Whether the resource is one record read without an id: a `get` with no path parameter
    /// and no required query parameter (Billomat's `settings`).
    pub fn is_singleton(&self) -> bool {
        self.operations
            .iter()
            .any(|o| o.kind == OperationKind::Get && o.addresses_nothing())
    }

    /// The model of the resource's records: the response of its list or get, else any model
    /// its operations use.
    pub fn record_model(&self) -> Option<&str> {
        let by_kind = |kind: OperationKind| {
            self.operations
                .iter()
                .find(|o| o.kind == kind)
                .and_then(|o| o.response.as_deref())
        };
        by_kind(OperationKind::List)
            .or_else(|| by_kind(OperationKind::Get))
            .or_else(|| {
                self.operations
                    .iter()
                    .find_map(|o| o.response.as_deref().or(o.request.as_deref()))
            })
    }
}

impl Operation {
    /// Whether the operation names no record: no path parameter and no required query
    /// parameter (a singleton's `get`, Billomat's `clients/myself`).
    pub fn addresses_nothing(&self) -> bool {
        self.path_params.is_empty() && self.query.iter().all(|q| !q.required)
    }

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
    /// How the sandbox applies the parameter (`sandbox: {filter: ..}`); clients never read it.
    pub filter: FilterMode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeRef {
    String,
    Integer,
    Number,
    /// Exact decimal (money): `rust_decimal::Decimal`.
    Decimal,
    Boolean,
    Date,
    DateTime,
    /// `uuid::Uuid`.
    Guid,
    /// Binary data, base64 in JSON.
    Bytes,
    Json,
    List(Box<TypeRef>),
    Model(String),
    Enum(String),
}

impl TypeRef {
    /// The type as a spec writes it (`list<Client>`), for messages.
    pub fn spec_name(&self) -> String {
        match self {
            TypeRef::String => "string".into(),
            TypeRef::Integer => "integer".into(),
            TypeRef::Number => "number".into(),
            TypeRef::Decimal => "decimal".into(),
            TypeRef::Boolean => "boolean".into(),
            TypeRef::Date => "date".into(),
            TypeRef::DateTime => "datetime".into(),
            TypeRef::Guid => "guid".into(),
            TypeRef::Bytes => "bytes".into(),
            TypeRef::Json => "json".into(),
            TypeRef::List(inner) => format!("list<{}>", inner.spec_name()),
            TypeRef::Model(name) | TypeRef::Enum(name) => name.clone(),
        }
    }

    /// A number a `computed` expression can read or give: integer, number or decimal.
    pub fn is_numeric(&self) -> bool {
        matches!(self, TypeRef::Integer | TypeRef::Number | TypeRef::Decimal)
    }

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
    /// Other wire names accepted when decoding (never sent).
    pub aliases: Vec<String>,
    /// How the sandbox makes up values of this field (its `sandbox:` part); clients never
    /// read it.
    pub sandbox: FieldSandbox,
}

/// A field's `sandbox:` part: sample values and the relations that make a seeded record read
/// like real data. Every relation is declared; the sandbox gives a field no meaning from its
/// name. Field names here are wire names of the same model unless said otherwise.
#[derive(Debug, Clone, Default)]
pub struct FieldSandbox {
    /// Sample values (`examples: [..]`), as written.
    pub examples: Vec<String>,
    /// `drawn_with`: takes the example at the same position as this field's (lists of equal
    /// length); chains form one group.
    pub drawn_with: Option<String>,
    /// `references`: holds the id of a record of this resource (by its key in `resources`).
    pub references: Option<String>,
    /// The value follows other values (`copy`, `index_of`, `template`, `computed`, `true_if`,
    /// `first_only`).
    pub derive: Option<Derive>,
    /// `only_with`: left out when this field is empty.
    pub only_with: Option<String>,
    /// `range: [min, max]` for numbers and dates.
    pub range: Option<Range>,
    /// `chance`: probability of `true` for a boolean.
    pub chance: Option<f64>,
    /// `like`: what a string without examples looks like.
    pub like: Option<Like>,
    /// `stamp`: a read-only datetime the server sets to its time.
    pub stamp: Option<Stamp>,
    /// `sequence: true`: an integer the server numbers itself when a create does not send it.
    pub sequence: bool,
    /// `on_create: "<value>"`: a read-only field's value on a record created over HTTP (instead
    /// of 0 or false), in the effect value language over the record's own fields.
    pub on_create: Option<crate::expr::effect::Term>,
}

/// How a field's value follows other values.
#[derive(Debug, Clone, PartialEq)]
pub enum Derive {
    /// `copy: <path>`.
    Copy(CopyFrom),
    /// `index_of: <field>`: the 1-based position of that field's value among its examples.
    IndexOf(String),
    /// `template: "..."`.
    Template(crate::expr::Template),
    /// `computed: "..."`.
    Computed(crate::expr::Expr),
    /// `true_if: <field>`: true exactly when that field is not empty.
    TrueIf(String),
    /// `first_only: true`: true for the first item of its list only.
    FirstOnly,
}

impl Derive {
    /// The fields of the same record the value reads: what must be worked out before it.
    pub fn reads(&self) -> Vec<&str> {
        match self {
            Derive::Copy(CopyFrom::Field(f)) | Derive::IndexOf(f) | Derive::TrueIf(f) => vec![f],
            Derive::Copy(CopyFrom::Referenced { reference, .. }) => vec![reference],
            Derive::Copy(CopyFrom::FirstItem { list, .. }) => vec![list],
            Derive::Copy(CopyFrom::Parent(_)) | Derive::FirstOnly => Vec::new(),
            Derive::Template(t) => t.fields(),
            Derive::Computed(e) => e
                .operands()
                .into_iter()
                .filter_map(|o| match o {
                    crate::expr::Operand::Field(f) => Some(f.as_str()),
                    crate::expr::Operand::Parent(_) | crate::expr::Operand::Scoped { .. } => None,
                })
                .collect(),
        }
    }
}

/// Where a `copy` takes its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyFrom {
    /// `<field>` of the same record.
    Field(String),
    /// `<reference>.<field>`: `field` of the record that the field `reference` (declared with
    /// `references`) points at.
    Referenced { reference: String, field: String },
    /// `parent.<field>`: of the record or item that holds this nested item.
    Parent(String),
    /// `<list>.<field>`: of the first item of the record's list `list` (never empty then).
    FirstItem { list: String, field: String },
}

/// `range: [min, max]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Range {
    /// Numbers drawn in steps of `step`: the finest decimal written in the bounds (`[0, 60]`
    /// whole numbers, `[0.5, 30.0]` tenths).
    Number { min: f64, max: f64, step: f64 },
    /// Dates `(year, month, day)`, both ends included.
    Date {
        min: (i32, u32, u32),
        max: (i32, u32, u32),
    },
}

/// `like`: the shape of a made-up string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Like {
    Email,
    Phone,
    Url,
    Iban,
    Bic,
    /// `digits:N`
    Digits(usize),
}

/// `stamp`: when the server sets a read-only datetime to its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    /// On create.
    Created,
    /// On create and on every update.
    Updated,
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
