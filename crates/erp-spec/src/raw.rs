//! The YAML document exactly as written, before validation.
//!
//! Unknown keys are collected (see [`WithUnknownKeys`]) rather than failing the parse, so that
//! every one of them is reported together with the validation errors; every value that
//! validation may reject is wrapped in [`Spanned`] so the error can point at its line and column. Choices such as `style: page_number`
//! are plain strings here (not serde enums) because serde's tagged enums drop span information;
//! [`crate::validate`] turns them into typed IR values and reports every bad choice at once.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
pub use serde_saphyr::{Location, Spanned};

/// A mapping key with the place it was written, so that errors about an entry point at its
/// key (`widgets:`) rather than at the first line of its body. Ordered by name only.
#[derive(Debug, Clone)]
pub struct Key {
    pub name: String,
    pub at: Location,
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name.cmp(&other.name)
    }
}

impl std::borrow::Borrow<str> for Key {
    fn borrow(&self) -> &str {
        &self.name
    }
}

impl std::ops::Deref for Key {
    type Target = String;

    fn deref(&self) -> &String {
        &self.name
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

thread_local! {
    /// Set while [`unknown_keys`] runs: serde_ignored can only capture plain string keys.
    static PLAIN_KEYS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if PLAIN_KEYS.with(std::cell::Cell::get) {
            return Ok(Key {
                name: String::deserialize(d)?,
                at: Location::UNKNOWN,
            });
        }
        let s = Spanned::<String>::deserialize(d)?;
        Ok(Key {
            name: s.value,
            at: s.referenced,
        })
    }
}

/// The paths of every key in `text` that the spec format does not know, e.g.
/// `["vendor", "colour"]`. When the text does not parse, the keys met before the error: a
/// misspelt required key is met before serde misses the key it should have been.
pub fn unknown_keys(text: &str) -> Vec<Vec<String>> {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            PLAIN_KEYS.with(|flag| flag.set(false));
        }
    }
    PLAIN_KEYS.with(|flag| flag.set(true));
    let _reset = Reset;
    let mut unknown = Vec::new();
    // The parse error itself is the caller's to report, from its own parse.
    let _ =
        serde_saphyr::with_deserializer_from_str_with_options(text, crate::yaml_options(), |d| {
            serde_ignored::deserialize::<_, _, RawSpec>(d, |path| {
                if let Some(path) = segments(&path) {
                    unknown.push(path);
                }
            })
        });
    unknown
}

#[derive(Debug, Deserialize)]
pub struct RawSpec {
    pub vendor: Spanned<RawVendor>,
    pub base_url: Spanned<RawBaseUrl>,
    pub auth: Spanned<RawAuth>,
    pub wire: Spanned<RawWire>,
    pub envelope: Spanned<RawEnvelope>,
    #[serde(default)]
    pub paging: Option<Spanned<RawPaging>>,
    #[serde(default)]
    pub rate_limits: Vec<Spanned<RawRateLimit>>,
    pub errors: Spanned<RawErrors>,
    pub resources: BTreeMap<Key, Spanned<RawResource>>,
    #[serde(default)]
    pub models: BTreeMap<Key, Spanned<RawModel>>,
    #[serde(default)]
    pub enums: BTreeMap<Key, Spanned<RawEnum>>,
    /// URLs of the vendor's own pages (hosted sign-up, account pages) the client builds
    /// without calling the API.
    #[serde(default)]
    pub links: BTreeMap<Key, Spanned<RawLink>>,
    /// How the sandbox imitates the vendor; no generated client reads it.
    #[serde(default)]
    pub sandbox: Option<Spanned<RawSandbox>>,
}

#[derive(Debug, Deserialize)]
pub struct RawVendor {
    pub name: Spanned<String>,
    pub title: String,
    pub docs_url: String,
    pub description: String,
}

#[derive(Debug, Deserialize)]
pub struct RawBaseUrl {
    pub template: Spanned<String>,
    #[serde(default)]
    pub variables: BTreeMap<Key, Spanned<RawVariable>>,
}

#[derive(Debug, Deserialize)]
pub struct RawVariable {
    pub doc: String,
    pub example: String,
}

#[derive(Debug, Deserialize)]
pub struct RawAuth {
    pub scheme: Spanned<String>,
    pub doc: String,
    #[serde(default)]
    pub headers: Vec<Spanned<RawAuthHeader>>,
    /// Query parameters carrying credentials (`api_key_query`).
    #[serde(default)]
    pub params: Vec<Spanned<RawAuthHeader>>,
    #[serde(default)]
    pub basic: Option<Spanned<RawBasic>>,
    #[serde(default)]
    pub oauth2: Option<Spanned<RawOAuth2>>,
}

#[derive(Debug, Deserialize)]
pub struct RawAuthHeader {
    pub name: Spanned<String>,
    pub param: Spanned<String>,
    #[serde(default = "yes")]
    pub required: bool,
    pub doc: String,
    /// Text sent before the value (`Token token=`).
    #[serde(default)]
    pub prefix: Option<String>,
    /// A query parameter the vendor also accepts the value in (`?api_key=`).
    #[serde(default)]
    pub also_query: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
pub struct RawBasic {
    pub username_doc: String,
    pub password_doc: String,
}

#[derive(Debug, Deserialize)]
pub struct RawOAuth2 {
    pub authorize_url: Spanned<String>,
    pub token_url: Spanned<String>,
    /// `authorization_code`, `refresh_token`, `client_credentials` (default: the first two).
    #[serde(default)]
    pub grants: Vec<Spanned<String>>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub refresh_min_interval_seconds: Option<u64>,
    /// Each refresh returns a new refresh token and retires the old one (default true).
    #[serde(default = "yes")]
    pub rotates_refresh_tokens: bool,
}

#[derive(Debug, Deserialize)]
pub struct RawWire {
    pub format: Spanned<String>,
    pub scalars: Spanned<String>,
    pub booleans: Spanned<String>,
    #[serde(default)]
    pub empty_string_is_null: bool,
    #[serde(default)]
    pub one_or_many: bool,
    #[serde(default = "plain")]
    pub nested_lists: Spanned<String>,
    /// Headers sent with every request, e.g. `Content-Type: application/json` even on GETs.
    #[serde(default)]
    pub headers: BTreeMap<Key, Spanned<String>>,
    /// The idempotency-key header every operation that is not idempotent sends.
    #[serde(default)]
    pub idempotency_key: Option<Spanned<RawIdempotencyKey>>,
}

/// `idempotency_key: {header: Idempotency-Key}`: the vendor recognises a repeated write by a
/// key the client sends in this header, and answers it without applying it again.
#[derive(Debug, Deserialize)]
pub struct RawIdempotencyKey {
    pub header: Spanned<String>,
}

#[derive(Debug, Deserialize)]
pub struct RawEnvelope {
    pub list: Spanned<RawListEnvelope>,
    pub item: Spanned<RawItemEnvelope>,
    pub request: Spanned<String>,
}

#[derive(Debug, Deserialize)]
pub struct RawListEnvelope {
    pub style: Spanned<String>,
    #[serde(default)]
    pub key: Option<Spanned<String>>,
    #[serde(default)]
    pub total: Option<String>,
    #[serde(default)]
    pub page: Option<String>,
    #[serde(default)]
    pub per_page: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct RawItemEnvelope {
    pub style: Spanned<String>,
    #[serde(default)]
    pub key: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
pub struct RawPaging {
    pub style: Spanned<String>,
    #[serde(default)]
    pub page_param: Option<Spanned<String>>,
    #[serde(default)]
    pub first_page: Option<Spanned<u64>>,
    #[serde(default)]
    pub offset_param: Option<Spanned<String>>,
    #[serde(default)]
    pub size_param: Option<Spanned<String>>,
    #[serde(default)]
    pub default_size: Option<Spanned<u64>>,
    #[serde(default)]
    pub max_size: Option<Spanned<u64>>,
    /// `next_link`: a dotted path of the body to the next page's URL.
    #[serde(default)]
    pub next_link: Option<Spanned<String>>,
    /// `next_link`: the link is in the `Link: <...>; rel="next"` header.
    #[serde(default)]
    pub link_header: Option<Spanned<bool>>,
    #[serde(default)]
    pub cursor_param: Option<Spanned<String>>,
    /// `cursor`: a dotted path of the body to the next cursor.
    #[serde(default)]
    pub cursor_path: Option<Spanned<String>>,
    /// `cursor`: a field of the last item is the next cursor (`since_id` paging).
    #[serde(default)]
    pub cursor_field: Option<Spanned<String>>,
    /// `cursor`: a dotted path of the body to a boolean "more pages follow".
    #[serde(default)]
    pub has_more: Option<Spanned<String>>,
    /// The vendor's page size when it takes no size parameter (Spreedly: 50).
    #[serde(default)]
    pub fixed_size: Option<Spanned<u64>>,
    /// `page_number`, `offset_limit`: pages fetched at once once the first page reported the
    /// total (default 1, one after another).
    #[serde(default)]
    pub concurrency: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
pub struct RawRateLimit {
    /// Name of the window for messages (`minutely`, `daily`).
    pub name: Spanned<String>,
    #[serde(default)]
    pub remaining_header: Option<String>,
    #[serde(default)]
    pub reset_header: Option<String>,
    #[serde(default)]
    pub reset: Option<Spanned<String>>,
    #[serde(default)]
    pub limit_header: Option<String>,
    /// `wait` (default) or `fail_fast` when the window is used up.
    #[serde(default)]
    pub when_exhausted: Option<Spanned<String>>,
    /// The window's length: the client bounds reset hints by it, the sandbox counts in it.
    pub window_seconds: Spanned<u64>,
}

#[derive(Debug, Deserialize)]
pub struct RawErrors {
    pub message: Vec<Spanned<String>>,
    #[serde(default)]
    pub code: Vec<Spanned<String>>,
    /// Dotted paths whose presence in a 2xx body means failure (`errors`).
    #[serde(default)]
    pub in_success: Vec<Spanned<String>>,
    /// The response header that carries the vendor's id of a request (`X-Request-Id`).
    #[serde(default)]
    pub request_id: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
pub struct RawResource {
    pub doc: String,
    pub path: Spanned<String>,
    #[serde(default)]
    pub wire_singular: Option<Spanned<String>>,
    #[serde(default)]
    pub wire_plural: Option<Spanned<String>>,
    /// Resource group (a service of a large vendor); one cargo feature per group.
    #[serde(default)]
    pub group: Option<Spanned<String>>,
    /// Generate `get_or_create`: the `get`, and on a 404 only, the `create`.
    #[serde(default)]
    pub get_or_create: Option<Spanned<bool>>,
    pub operations: BTreeMap<Key, Spanned<RawOperation>>,
    /// How the sandbox keys the resource's records (see `raw_effects`); no client reads it.
    #[serde(default)]
    pub sandbox: Option<Spanned<crate::raw_effects::RawResourceSandbox>>,
}

#[derive(Debug, Deserialize)]
pub struct RawOperation {
    pub doc: String,
    #[serde(default)]
    pub method: Option<Spanned<String>>,
    /// Path below the resource path; `{name}` segments must be declared in `path_params`.
    #[serde(default)]
    pub path: Option<Spanned<String>>,
    #[serde(default)]
    pub path_params: BTreeMap<Key, Spanned<RawParam>>,
    #[serde(default)]
    pub query: BTreeMap<Key, Spanned<RawParam>>,
    #[serde(default)]
    pub request: Option<Spanned<String>>,
    #[serde(default)]
    pub response: Option<Spanned<String>>,
    /// How the response body is shaped: `none`, `item`, `item_or_empty`, `list`, `bytes`,
    /// `byte_stream` or `text`.
    #[serde(default)]
    pub returns: Option<Spanned<String>>,
    /// What the request body is: `structured` (default with a `request` model), `form`,
    /// `multipart`, `bytes` or `none`.
    #[serde(default)]
    pub body: Option<Spanned<String>>,
    /// Content type of a `bytes` body.
    #[serde(default)]
    pub content_type: Option<Spanned<String>>,
    /// Format of the structured bodies when it is not the vendor's.
    #[serde(default)]
    pub format: Option<Spanned<String>>,
    /// The `Accept` header, when it is not the format's media type.
    #[serde(default)]
    pub accept: Option<Spanned<String>>,
    /// Headers of this operation (added to, or replacing, the vendor's).
    #[serde(default)]
    pub headers: BTreeMap<Key, Spanned<String>>,
    #[serde(default)]
    pub paged: Option<bool>,
    /// Paging of this list when it differs from the vendor's.
    #[serde(default)]
    pub paging: Option<Spanned<RawPaging>>,
    /// Root key of the request and response bodies in `resource_root` envelopes when it is not
    /// the resource's `wire_singular` (Billomat's actions: `{"complete": {...}}`).
    #[serde(default)]
    pub root: Option<Spanned<String>>,
    #[serde(default)]
    pub idempotent: Option<bool>,
    /// The idempotency-key header of this operation (replacing the vendor's, in `wire`).
    #[serde(default)]
    pub idempotency_key: Option<Spanned<RawIdempotencyKey>>,
    /// A condition on the client's configuration checked before anything is sent.
    #[serde(default)]
    pub requires: Option<Spanned<RawRequires>>,
    /// The sandbox's outcome, refusals and effects (see `raw_effects`); no client reads it.
    #[serde(default)]
    pub sandbox: Option<Spanned<crate::raw_effects::RawOperationSandbox>>,
}

/// `requires: {base_var: site, contains: test}`.
#[derive(Debug, Deserialize)]
pub struct RawRequires {
    pub base_var: Spanned<String>,
    pub contains: Spanned<String>,
}

/// A URL template of the vendor's own pages (`links.<name>`).
#[derive(Debug, Deserialize)]
pub struct RawLink {
    pub doc: String,
    pub template: Spanned<String>,
    #[serde(default)]
    pub params: BTreeMap<Key, Spanned<RawParam>>,
    /// Optional query parameters, each an `Option` argument of the generated method.
    #[serde(default)]
    pub query: BTreeMap<Key, Spanned<RawParam>>,
}

#[derive(Debug, Deserialize)]
pub struct RawParam {
    #[serde(rename = "type")]
    pub ty: Spanned<String>,
    #[serde(default)]
    pub required: bool,
    pub doc: String,
    #[serde(default)]
    pub rust_name: Option<Spanned<String>>,
    /// How the sandbox imitates this parameter (query parameters only).
    #[serde(default)]
    pub sandbox: Option<Spanned<RawParamSandbox>>,
}

#[derive(Debug, Deserialize)]
pub struct RawParamSandbox {
    /// How the sandbox applies this filter: `equals` (default), `contains` or `any_of` (comma list).
    #[serde(default)]
    pub filter: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
pub struct RawModel {
    pub doc: String,
    pub fields: BTreeMap<Key, Spanned<RawField>>,
}

#[derive(Debug, Deserialize)]
pub struct RawField {
    #[serde(rename = "type")]
    pub ty: Spanned<String>,
    pub doc: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub rust_name: Option<Spanned<String>>,
    #[serde(default)]
    pub sensitive: bool,
    /// Set by the server; never sent on create or update.
    #[serde(default)]
    pub read_only: bool,
    /// Other wire names the vendor uses for the field (`in_grace_period` for `in-grace-period`).
    #[serde(default)]
    pub aliases: Vec<Spanned<String>>,
    /// How the sandbox imitates this field.
    #[serde(default)]
    pub sandbox: Option<Spanned<RawFieldSandbox>>,
}

/// A field's `sandbox:` part: sample values and declared relations (see `ir::FieldSandbox`).
#[derive(Debug, Deserialize)]
pub struct RawFieldSandbox {
    /// Sample values for the sandbox's generated records.
    #[serde(default)]
    pub examples: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub drawn_with: Option<Spanned<String>>,
    #[serde(default)]
    pub references: Option<Spanned<String>>,
    #[serde(default)]
    pub copy: Option<Spanned<String>>,
    #[serde(default)]
    pub index_of: Option<Spanned<String>>,
    #[serde(default)]
    pub template: Option<Spanned<String>>,
    #[serde(default)]
    pub computed: Option<Spanned<String>>,
    #[serde(default)]
    pub true_if: Option<Spanned<String>>,
    #[serde(default)]
    pub only_with: Option<Spanned<String>>,
    #[serde(default)]
    pub first_only: Option<Spanned<bool>>,
    /// `[min, max]`: numbers or dates, read as written (the field's type decides).
    #[serde(default)]
    pub range: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub chance: Option<Spanned<f64>>,
    #[serde(default)]
    pub like: Option<Spanned<String>>,
    #[serde(default)]
    pub stamp: Option<Spanned<String>>,
    #[serde(default)]
    pub sequence: Option<Spanned<bool>>,
    /// A read-only field's value on create, in the effect value language.
    #[serde(default)]
    pub on_create: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
pub struct RawEnum {
    pub doc: String,
    /// Wire value -> documentation of that value.
    pub values: BTreeMap<Key, Spanned<String>>,
    /// Optional Rust variant names for wire values whose derived name is poor.
    #[serde(default)]
    pub rust_names: BTreeMap<Key, Spanned<String>>,
}

/// The top-level `sandbox` section: what only the sandbox reads, kept apart from the keys that
/// describe the vendor to a client so that a spec reads as the client's contract.
#[derive(Debug, Deserialize)]
pub struct RawSandbox {
    /// The vendor answers in another format unless `Accept` asks for this one (Billomat
    /// defaults to XML); the sandbox refuses requests that do not ask.
    #[serde(default)]
    pub accept_required: bool,
    /// A query parameter that also selects the format (`?format=json`).
    #[serde(default)]
    pub format_param: Option<String>,
    /// Extra members the vendor puts beside the data, e.g. Cloudspot's `status: OK`.
    #[serde(default)]
    pub success_members: BTreeMap<Key, String>,
    #[serde(default)]
    pub errors: Option<Spanned<RawSandboxErrors>>,
    /// Quota and message per window, keyed by the `name` of a `rate_limits` entry.
    #[serde(default)]
    pub rate_limits: BTreeMap<Key, Spanned<RawSandboxRateLimit>>,
    #[serde(default)]
    pub oauth2: Option<Spanned<RawSandboxOAuth2>>,
    /// The root element of every empty XML list (`nil-classes`), whatever the list.
    #[serde(default)]
    pub empty_list_root: Option<Spanned<String>>,
}

/// The vendor's error answers the sandbox gives; each has a default.
#[derive(Debug, Deserialize)]
pub struct RawSandboxErrors {
    #[serde(default)]
    pub not_found: Option<Spanned<RawErrorExample>>,
    #[serde(default)]
    pub invalid: Option<Spanned<RawErrorExample>>,
    /// Missing or wrong credentials.
    #[serde(default)]
    pub unauthorized: Option<Spanned<RawErrorExample>>,
}

#[derive(Debug, Deserialize)]
pub struct RawErrorExample {
    pub status: Spanned<u16>,
    pub message: String,
    #[serde(default)]
    pub code: Option<String>,
    /// `structured` (the vendor's error shape, default) or `text` (the message as plain text).
    #[serde(default)]
    pub body: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
pub struct RawSandboxRateLimit {
    /// Requests allowed per window.
    #[serde(default)]
    pub quota: Option<Spanned<u64>>,
    /// The message of the vendor's 429 body; `{quota}` and `{seconds}` are filled in.
    #[serde(default)]
    pub exceeded_message: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct RawSandboxOAuth2 {
    /// Lifetime of the sandbox's access tokens.
    #[serde(default)]
    pub access_token_seconds: Option<Spanned<u64>>,
}

fn yes() -> bool {
    true
}

fn plain() -> Spanned<String> {
    Spanned::new(
        "plain".to_owned(),
        serde_saphyr::Location::UNKNOWN,
        serde_saphyr::Location::UNKNOWN,
    )
}

/// A parsed value plus the paths of the keys the format does not know (`vendor.colour`).
///
/// serde's `deny_unknown_fields` stops at the first unknown key; collecting them instead lets
/// one run report a spec's every mistake.
#[derive(Debug)]
pub struct WithUnknownKeys<T> {
    pub value: T,
    pub unknown: Vec<Vec<String>>,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for WithUnknownKeys<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut unknown = Vec::new();
        let value = serde_ignored::deserialize(d, |path| unknown.extend(segments(&path)))?;
        Ok(WithUnknownKeys { value, unknown })
    }
}

/// The keys of `path` as written in the YAML; `None` for serde-saphyr's own span marker.
///
/// A [`Spanned`] value is a newtype holding a map `{marker, value, referenced, defined}`, so
/// serde's path to what it holds has an extra `value` step right below a newtype. That step is
/// dropped here, by its position rather than its name: a spec key may be called `value` too.
fn segments(path: &serde_ignored::Path<'_>) -> Option<Vec<String>> {
    use serde_ignored::Path;
    let mut out = match path {
        Path::Root => return Some(Vec::new()),
        Path::Seq { parent, .. }
        | Path::Map { parent, .. }
        | Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => segments(parent)?,
    };
    match path {
        Path::Seq { index, .. } => out.push(format!("[{index}]")),
        Path::Map { parent, key } => match (parent, key.as_str()) {
            (Path::NewtypeStruct { .. }, "value") => {}
            (Path::NewtypeStruct { .. }, k) if k.starts_with("__serde_saphyr") => return None,
            _ => out.push(key.clone()),
        },
        _ => {}
    }
    Some(out)
}
