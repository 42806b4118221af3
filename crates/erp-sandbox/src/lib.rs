//! A local HTTP server that imitates an ERP vendor's API, driven entirely by its spec
//! (`specs/<vendor>.yaml`, validated by `erp-spec`).
//!
//! Every vendor whose spec is in `specs/` when this crate is built is available through
//! [`Sandbox::builtin`]; any other validated spec works with [`Sandbox::new`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use erp_sandbox::{Sandbox, SandboxOptions};
//!
//! let sandbox = Sandbox::builtin("billomat", SandboxOptions::default())?;
//! let credentials = sandbox.credentials();
//! let running = sandbox.start("127.0.0.1:0".parse()?).await?;
//! assert!(running.base_url().ends_with("/api"));
//! assert_eq!(credentials.headers[0].0, "X-BillomatApiKey");
//! running.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # What it imitates
//!
//! - **Routes**: each operation's full path under the path of the spec's base URL (`/api` for
//!   Billomat, `/api/v1` for Cloudspot). Segments must match exactly; a trailing slash counts, so
//!   Cloudspot's `GET /api/v1/artikels` (no slash) is a 404 in Cloudspot's error shape. Unknown
//!   routes are 404 and a known path with another method is 405, both in the vendor's error shape.
//! - **Authentication**: see [`Credentials`]; failures get the status and message of the spec's
//!   `sandbox.errors.unauthorized` in the vendor's error body.
//! - **Data**: `seed_records` deterministic, realistic records per listable resource; creates,
//!   updates and deletes change them for the life of the sandbox. Values come from the spec's field
//!   examples, else from the field's type alone (a field's name means nothing to the sandbox), and
//!   agree with each other as each field's `sandbox:` part declares, never by vendor:
//!   - *drawing*: `drawn_with` fields take the example at the same position (`taal_display` with
//!     `taal`); positions are dealt so that records (and the items of one nested list) repeat an
//!     example only after all were used; `range`, `chance` and `like` shape made-up values;
//!   - *references*: a field declared `references: <resource>` holds the id of an existing record;
//!     a list of a resource's records whose model refers back is filled from those records when
//!     rendered (Billomat's `client-property-values`);
//!   - *relations*: `copy` (from the same record, a referenced record, the parent of a nested
//!     item or the first item of a list), `index_of`, `template`, `computed`, `true_if`,
//!     `only_with` and `first_only`; declarations on `read_only` fields are the server's own
//!     computations and also apply to records created or changed over HTTP, together with
//!     `stamp` (creation and change times) and `sequence` (the next number);
//!   - *trees*: lists of the resource's own model hold earlier records, so the records form
//!     shallow, bushy trees (at most four levels, a few children per node, each record in at most
//!     one list).
//!
//!   See the `seed` and `realism` modules and `specs/README.md` for the exact rules.
//! - **Wire dialect and envelopes** from the spec (all-strings scalars, `"1"`/`"0"` booleans,
//!   one-or-many lists, root-key or `data` envelopes, page metadata). An operation's `root`
//!   replaces the resource's singular as the root key of its request and item bodies (Billomat's
//!   `PUT /invoices/{id}/complete` takes `{"complete": {...}}`); a body under another key is the
//!   vendor's 400. Actions check their request body and answer the record without changing it.
//!   Operations that return `item_or_empty` answer the object, like `item`, unless the
//!   `empty_write_bodies` fault is on.
//! - **Keys, outcomes and effects** (see the `keys` and `effects` modules and `specs/README.md`):
//!   records addressed by a key the client chooses or the server makes (`hex40`, `guid`) through
//!   a key index beside the rows; per operation a success status, a `Location` header and an
//!   empty body; ordered refusals (`when` conditions, `find` look-ups) with structured or
//!   plain-text bodies, checked before the generic required-field check; a resource's own answer
//!   for an unknown record (`sandbox.not_found`); field changes to the record and to found records; conditions on the
//!   base URL's variables (a base path segment that is a variable serves any value). Empty XML
//!   lists take `sandbox.empty_list_root` as their root.
//! - **Idempotency keys** (see the `replays` module): an operation whose spec declares an
//!   `idempotency_key` header answers a repeated key with its first answer and applies nothing
//!   again, as vendors that de-duplicate writes do.
//! - **Counting without fetching** (Billomat): `HEAD` on a paged list with the same filters answers
//!   `200` with an empty body and the number of matching records in `X-Total-Count`, with
//!   authentication and rate limit as for `GET`. Every page-number-paged list of a JSON vendor with
//!   `resource_root` list envelopes counts this way; other vendors answer `HEAD` with 405.
//! - **Rate limits**: every window the spec declares (per quarter hour, per day, ...), each a fixed
//!   window with its own headers on every response and its quota and message from
//!   `sandbox.rate_limits`; a request passes only when every window has room (a refused one is
//!   counted in none) and otherwise gets a 429 with the message of the window that refused it.
//! - **Faults** on demand through [`Faults`], also over HTTP: `POST /__sandbox/faults` (at the
//!   server root, outside the vendor's base path, no authentication) with a JSON object such as
//!   `{"html_502_next": 1, "rate_limit_next": 2, "retry_in_seconds": 3, "hang": true,
//!   "malformed_next": 1, "errors_in_success_next": 1, "unknown_enum_values": true,
//!   "numbers_as_strings": true, "nulls_for_optionals": true, "empty_list_for_unknown_id": true,
//!   "empty_write_bodies": true, "lose_answers_next": 1, "truncate_next": 1, "html_200_next": 1,
//!   "latency_ms": 20, "drip_ms": 100, "text_answer_next": {"n": 1, "status": 504, "text": "Gateway
//!   Time-out"}, "xml_nil_on_values": true, "xml_untyped_leaves_as": "SubscriptionPlan::Version",
//!   "reset": true}`; `GET /__sandbox/faults` shows the state and `requests_seen`. The two `xml_`
//!   switches turn on Rails oddities of real answers: `nil="true"` on leaves that hold a value,
//!   and a `type` attribute on leaves otherwise written without one.
//!
//! - **Every style a spec can express** (see `paging`, `codec`, `auth` and `oauth`, each keyed by
//!   the IR's enums, never by a vendor's name): page-number, offset, next-link (body or `Link`
//!   header) and cursor paging (body or last item, with a has-more flag); JSON and Rails-style XML
//!   bodies; structured, form and multipart request bodies; file downloads (`bytes`,
//!   `byte_stream`: a deterministic document of about 64 KiB per record) and text; path
//!   parameters inside a segment (`things({id})`, `{id}.xml`); API keys in headers (an optional
//!   header sent empty counts as absent) or the query, prefixed tokens, bearer tokens, Basic, and
//!   an OAuth2 authorization server (auto-approving authorize endpoint, code exchange, refresh
//!   with rotation, expiry, revocation; `POST /__sandbox/oauth` and [`OAuthControls`]).
//! - **For tests**: [`RunningSandbox::records`] (the truth to compare lists with) and
//!   [`RunningSandbox::requests`] (what a client sent, page by page).
//!
//! A vendor whose spec asks for its format (`accept_required`) answers 406 to requests that do
//! not; the other format of such a vendor (Billomat's XML default) is not imitated.

#![warn(missing_docs)]

mod app;
mod auth;
mod builtin;
mod codec;
mod control;
mod decode;
mod effects;
#[cfg(test)]
mod effects_tests;
mod errors;
mod faults;
mod keys;
mod oauth;
mod ops;
mod ordered_json;
mod paging;
mod pdf;
mod query;
mod rate_limit;
mod realism;
mod render;
mod replays;
mod reply;
mod rng;
mod routes;
mod schema;
mod seed;
mod server;
mod store;
#[cfg(test)]
mod testing;
// Not wired into the pipeline yet (server.rs/ops.rs/render.rs take it up); the expectation
// turns into a warning once it is used, so this attribute cannot outlive its reason.
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "XML rendering and parsing are wired in by a later change"
    )
)]
mod xml;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use faults::Faults;

use app::App;

/// How a sandbox is seeded and limited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxOptions {
    /// Records generated per resource that has a list operation (default 25).
    pub seed_records: usize,
    /// Seed of the data generator; the same seed gives the same records (default 1).
    pub seed: u64,
    /// Quota and window of the spec's first rate-limit window; `None` uses the spec's. Further
    /// windows (a daily quota) keep the spec's settings. Ignored for vendors without a rate limit
    /// in their spec.
    pub rate_limit: Option<RateLimitSettings>,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            seed_records: 25,
            seed: 1,
            rate_limit: None,
        }
    }
}

/// A rate limit that replaces the quota and length of the spec's first window (e.g. a quota of 3
/// in tests); other windows keep the spec's (a test that needs a small daily quota puts it in the
/// spec it builds the sandbox from).
///
/// With these settings the first window starts when the sandbox is built; with the spec's
/// settings windows are aligned to the Unix epoch (Billomat: XX:00, XX:15, XX:30, XX:45).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// Requests allowed per window.
    pub quota: u64,
    /// Length of a window.
    pub window: Duration,
}

/// The credentials a sandbox accepts.
///
/// Header values are `sandbox-<vendor>-<header parameter>` with `_` written as `-`: Billomat takes
/// `X-BillomatApiKey: sandbox-billomat-api-key` (also as `?api_key=`), and optionally
/// `X-AppId: sandbox-billomat-app-id` and `X-AppSecret: sandbox-billomat-app-secret` (may be left
/// out, must match when sent); Cloudspot takes `X-ERP-TOKEN: sandbox-cloudspot-token`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// Every header the vendor's auth scheme uses, as `(header name, accepted value)`; optional
    /// headers are listed too. A header with a `prefix` in the spec is sent as prefix + value.
    pub headers: Vec<(String, String)>,
    /// Every query parameter of an `api_key_query` scheme, as `(name, accepted value)`.
    pub query: Vec<(String, String)>,
    /// The token of a `bearer` scheme: `sandbox-<vendor>-token`.
    pub bearer: Option<String>,
    /// `(user, password)` for vendors with HTTP Basic authentication:
    /// `sandbox-<vendor>-user` / `sandbox-<vendor>-password`.
    pub basic: Option<(String, String)>,
    /// The registered client of an OAuth2 vendor's authorization server.
    pub oauth2: Option<OAuth2Credentials>,
}

/// One API request as the sandbox received it (see [`RunningSandbox::requests`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The full path, base path included.
    pub path: String,
    /// Query parameters in the order sent, decoded.
    pub query: Vec<(String, String)>,
    /// The id its answer carried in the header the spec names (`errors.request_id`).
    pub request_id: Option<String>,
}

impl SeenRequest {
    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The one client an OAuth2 vendor's sandbox registers, and where its endpoints are (paths on
/// the sandbox's own address: see [`RunningSandbox::url`]). Redirect URIs on loopback
/// (`http://127.0.0.1:<any port>/...`) are accepted; authorization is approved at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth2Credentials {
    /// `sandbox-<vendor>-client-id`.
    pub client_id: String,
    /// `sandbox-<vendor>-client-secret`.
    pub client_secret: String,
    /// Path of the authorization endpoint (the path of the spec's `authorize_url`).
    pub authorize_path: String,
    /// Path of the token endpoint (the path of the spec's `token_url`).
    pub token_path: String,
}

/// Controls of an OAuth2 vendor's authorization server, for tests and demos.
#[derive(Clone)]
pub struct OAuthControls {
    app: Arc<App>,
}

impl std::fmt::Debug for OAuthControls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthControls").finish_non_exhaustive()
    }
}

impl OAuthControls {
    fn server(&self) -> &oauth::OAuthServer {
        self.app
            .oauth
            .as_ref()
            .expect("OAuthControls exist only for OAuth2 vendors")
    }

    /// Revokes every access token issued so far (the next API request with one gets 401).
    pub fn revoke_access_tokens(&self) {
        self.server().revoke_access_tokens();
    }

    /// Lets the next `n` authenticated API requests pass, then expires every access token
    /// ("token expired in the middle of paging").
    pub fn expire_access_tokens_after(&self, n: u32) {
        self.server().expire_access_tokens_after(n);
    }

    /// Expires every access token now.
    pub fn expire_access_tokens(&self) {
        self.server().expire_access_tokens(SystemTime::now());
    }

    /// Switches the spec's minimum interval between refreshes on or off.
    pub fn enforce_refresh_min_interval(&self, on: bool) {
        self.server().enforce_refresh_min_interval(on);
    }

    /// Token requests answered so far, of any grant.
    pub fn token_requests(&self) -> u64 {
        let t = self.server().counters().token_requests;
        t.authorization_code + t.refresh_token + t.client_credentials + t.other
    }

    /// Successful refresh-token grants so far.
    pub fn refreshes(&self) -> u64 {
        self.server().counters().refreshes
    }
}

/// A sandbox for one vendor, seeded and ready to [`start`](Sandbox::start).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use erp_sandbox::{Sandbox, SandboxOptions};
///
/// let sandbox = Sandbox::builtin("cloudspot", SandboxOptions { seed_records: 3, ..Default::default() })?;
/// let faults = sandbox.faults();
/// let running = sandbox.start("127.0.0.1:0".parse()?).await?;
/// assert_eq!(running.base_url(), format!("http://{}/api/v1", running.addr()));
/// faults.html_502_next(1); // the next request gets an HTML 502 page
/// running.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct Sandbox {
    app: Arc<App>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("vendor", &self.app.spec().vendor.name)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Builds and seeds a sandbox for a validated spec.
    pub fn new(spec: erp_spec::ir::Spec, options: SandboxOptions) -> Sandbox {
        Sandbox {
            app: Arc::new(App::new(spec, &options)),
        }
    }

    /// Builds a sandbox for a vendor whose spec was embedded at compile time (`specs/<vendor>.yaml`).
    ///
    /// Fails with a readable message for an unknown vendor or an invalid spec.
    pub fn builtin(vendor: &str, options: SandboxOptions) -> Result<Sandbox, String> {
        Ok(Sandbox::new(builtin::load(vendor)?, options))
    }

    /// The embedded vendors (spec file stems), sorted.
    pub fn builtin_vendors() -> Vec<&'static str> {
        builtin::vendors()
    }

    /// The spec this sandbox imitates.
    pub fn spec(&self) -> &erp_spec::ir::Spec {
        self.app.spec()
    }

    /// The credentials the sandbox accepts.
    pub fn credentials(&self) -> Credentials {
        self.app.credentials.clone()
    }

    /// A handle to inject faults; it stays valid after [`start`](Sandbox::start).
    pub fn faults(&self) -> Faults {
        self.app.faults.clone()
    }

    /// Controls of the authorization server, for OAuth2 vendors.
    pub fn oauth(&self) -> Option<OAuthControls> {
        self.app.oauth.as_ref().map(|_| OAuthControls {
            app: Arc::clone(&self.app),
        })
    }

    /// Binds `addr` (use `127.0.0.1:0` for an ephemeral port) and serves in the background of the
    /// current tokio runtime until [`RunningSandbox::shutdown`] or until the handle is dropped.
    pub async fn start(self, addr: SocketAddr) -> std::io::Result<RunningSandbox> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let router = server::router(Arc::clone(&self.app));
        let mut stop = self.app.shutdown.subscribe();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                // An error means the sandbox is gone: stop as well.
                let _ = stop.wait_for(|stop| *stop).await;
            };
            // Serving only fails when accepting fails for good; there is nobody to report to.
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await;
        });
        Ok(RunningSandbox {
            app: self.app,
            addr,
            task: Some(task),
        })
    }
}

/// A started sandbox. Dropping it stops the server too.
pub struct RunningSandbox {
    app: Arc<App>,
    addr: SocketAddr,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for RunningSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSandbox")
            .field("vendor", &self.app.spec().vendor.name)
            .field("addr", &self.addr)
            .finish()
    }
}

impl RunningSandbox {
    /// The base URL a client should use, e.g. `http://127.0.0.1:PORT/api` for Billomat or
    /// `http://127.0.0.1:PORT/api/v1` for Cloudspot (the path of the spec's base URL, with
    /// variables in it replaced by their examples). An unspecified bind address is shown as the
    /// loopback address.
    pub fn base_url(&self) -> String {
        let mut addr = self.addr;
        match addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => addr.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            IpAddr::V6(ip) if ip.is_unspecified() => addr.set_ip(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            _ => {}
        }
        format!("http://{addr}{}", self.app.prefix)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL of `path` on this server (`url("/api/oauth2/token")`), for endpoints outside the
    /// base URL such as an OAuth2 vendor's token endpoint.
    pub fn url(&self, path: &str) -> String {
        let base = self.base_url();
        let root = &base[..base.len() - self.app.prefix.len()];
        format!("{root}{path}")
    }

    /// Controls of the authorization server, for OAuth2 vendors.
    pub fn oauth(&self) -> Option<OAuthControls> {
        self.app.oauth.as_ref().map(|_| OAuthControls {
            app: Arc::clone(&self.app),
        })
    }

    /// The credentials the sandbox accepts.
    pub fn credentials(&self) -> Credentials {
        self.app.credentials.clone()
    }

    /// A handle to inject faults.
    pub fn faults(&self) -> Faults {
        self.app.faults.clone()
    }

    /// The records of `resource` as the sandbox holds them (its canonical form, by id): the
    /// truth a test compares a client's lists with.
    pub fn records(&self, resource: &str) -> Vec<serde_json::Value> {
        self.app
            .store()
            .records(resource)
            .map(|(_, record)| record.clone())
            .collect()
    }

    /// The API requests received so far (the latest 10,000), oldest first.
    pub fn requests(&self) -> Vec<SeenRequest> {
        let log = self.app.log.lock().unwrap_or_else(|e| e.into_inner());
        log.iter().cloned().collect()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.app
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Stops accepting, lets requests in flight finish (hanging requests are released with 503)
    /// and waits up to five seconds for the server to end.
    pub async fn shutdown(mut self) {
        self.app.shutdown.send_replace(true);
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.app.shutdown.send_replace(true);
    }
}
