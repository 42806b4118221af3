//! Client configuration and the builder every vendor crate exposes.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::Auth;
use crate::client::Client;
use crate::descriptor::VendorInfo;
use crate::{Error, RetryPolicy};

/// Runtime choices, all with defaults suitable for production.
#[derive(Debug, Clone)]
pub struct Config {
    /// Limit for opening a connection (TCP + TLS). Default 10 s.
    pub connect_timeout: Duration,
    /// Limit for one attempt, from sending to the last byte of the body. Default 30 s.
    pub request_timeout: Duration,
    /// Limit for one call as a whole: every attempt, backoff and rate-limit wait. Default
    /// 5 min. Each page of a list is a call of its own. No wait starts that would end after
    /// it; when it passes, the call fails with `Error::Timeout` naming it.
    pub operation_timeout: Duration,
    pub user_agent: String,
    pub retry: RetryPolicy,
    /// Items per page for paged lists; `None` uses the vendor's default. Clamped to the
    /// vendor's maximum.
    pub page_size: Option<u64>,
    /// Pages of one list fetched at once once its first page reported the total (page-number
    /// and offset paging); `None` uses the vendor spec's `paging.concurrency`, chosen for its
    /// rate budget; 1 fetches one page after another. Items still arrive in order, every
    /// page is checked as in sequential paging, and pages requested ahead are abandoned when
    /// the stream is dropped. Every page passes the client's rate-limit gate.
    pub page_concurrency: Option<usize>,
    /// Most pages one list fetches; a longer chain (a next link that always names a new page)
    /// fails with `Error::Paging` instead of running forever. Default 100,000.
    pub max_pages: u64,
    /// Off by default: a list whose pages contradict the vendor's reported total (a total
    /// that changes between pages, pages that end before it, a page repeated before it) fails
    /// with `Error::Paging`. On, the total is only reported, and the list ends where the pages
    /// end — for accounts that change while they are listed, where "what the pages held" is
    /// good enough. Repeated links and cursors and the page cap fail either way.
    pub lenient_totals: bool,
    /// Largest response body read into memory, in bytes; a larger one fails with
    /// [`Error::ResponseTooLarge`] as soon as it is announced or read past the cap. Default
    /// [`Config::DEFAULT_MAX_RESPONSE_BYTES`]. Streamed downloads ([`crate::ByteStream`]) are
    /// not held in memory and have no cap.
    pub max_response_bytes: u64,
}

impl Config {
    /// 64 MiB: above the largest documented answer of the supported vendors (list pages of a
    /// few MB, Exact Online's 38 MB maximum), small enough that a hostile or broken server
    /// cannot exhaust memory.
    pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;
}

impl Default for Config {
    fn default() -> Self {
        Config {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            operation_timeout: Duration::from_secs(5 * 60),
            user_agent: concat!("erp-clients/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: RetryPolicy::default(),
            page_size: None,
            page_concurrency: None,
            max_pages: 100_000,
            lenient_totals: false,
            max_response_bytes: Config::DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// Builds a vendor client. `C` is the vendor crate's client type.
///
/// ```
/// use erp_runtime::{auth::ApiKeyHeaders, descriptor::*, Client};
/// # static VENDOR: VendorInfo = VendorInfo {
/// #     name: "demo", title: "Demo", base_url: "https://{account}.example.com/api",
/// #     base_url_variables: &["account"], booleans: BoolEncoding::Native,
/// #     nested_lists: NestedLists::Plain,
/// #     list_envelope: ListEnvelope::Bare, item_envelope: ItemEnvelope::Bare,
/// #     request_envelope: RequestEnvelope::Bare, success_error_paths: &[],
/// #     rate_limits: &[], error_message_paths: &["message"], error_code_paths: &[],
/// #     request_id_header: None,
/// # };
/// let client: Client = Client::builder(&VENDOR)
///     .variable("account", "acme")
///     .auth(ApiKeyHeaders::new().header("X-Key", "secret"))
///     .request_timeout(std::time::Duration::from_secs(5))
///     .build()?;
/// assert_eq!(client.base_url(), "https://acme.example.com/api");
///
/// let missing = Client::builder(&VENDOR).auth(erp_runtime::auth::NoAuth).build();
/// assert!(missing.unwrap_err().to_string().contains("account"));
///
/// let leaky = Client::builder(&VENDOR).base_url("https://me:pw@acme.example.com/api?api_key=k#frag").auth(erp_runtime::auth::NoAuth).build();
/// let message = leaky.unwrap_err().to_string();
/// assert!(!message.contains("pw") && !message.contains("api_key") && !message.contains("frag"), "{message}");
///
/// let tidy: Client = Client::builder(&VENDOR).base_url(" HTTPS://Acme.Example.com:443/api// ").auth(erp_runtime::auth::NoAuth).build()?;
/// assert_eq!(tidy.base_url(), "https://acme.example.com/api");
/// let escape = Client::builder(&VENDOR).base_url("https://acme.example.com/api/../admin").auth(erp_runtime::auth::NoAuth).build();
/// assert!(escape.unwrap_err().to_string().contains("`..`"));
/// # Ok::<(), erp_runtime::Error>(())
/// ```
#[must_use]
pub struct ClientBuilder<C = Client> {
    vendor: &'static VendorInfo,
    base_url: Option<String>,
    variables: BTreeMap<String, String>,
    auth: Option<Arc<dyn Auth>>,
    config: Config,
    http: Option<reqwest::ClientBuilder>,
    _client: PhantomData<fn() -> C>,
}

impl<C: From<Client>> ClientBuilder<C> {
    pub fn new(vendor: &'static VendorInfo) -> Self {
        ClientBuilder {
            vendor,
            base_url: None,
            variables: BTreeMap::new(),
            auth: None,
            config: Config::default(),
            http: None,
            _client: PhantomData,
        }
    }

    /// Replaces the vendor's base URL, e.g. with a sandbox. `https` is required except for
    /// loopback addresses.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Sets a variable of the vendor's base URL template (e.g. Billomat's `billomat_id`).
    pub fn variable(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.variables.insert(name.into(), value.into());
        self
    }

    pub fn auth(mut self, auth: impl Auth) -> Self {
        self.auth = Some(Arc::new(auth));
        self
    }

    /// Uses a shared authentication provider (e.g. one OAuth2 session for several clients).
    pub fn shared_auth(mut self, auth: Arc<dyn Auth>) -> Self {
        self.auth = Some(auth);
        self
    }

    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.config.request_timeout = timeout;
        self
    }

    /// Sets the limit for one call as a whole, retries and waits included (see
    /// [`Config::operation_timeout`]).
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.config.operation_timeout = timeout;
        self
    }

    /// Sets the most pages one list fetches (see [`Config::max_pages`]).
    pub fn max_pages(mut self, pages: u64) -> Self {
        self.config.max_pages = pages;
        self
    }

    /// Lets lists end where their pages end even when the vendor's total says otherwise (see
    /// [`Config::lenient_totals`]; off by default).
    pub fn lenient_totals(mut self, on: bool) -> Self {
        self.config.lenient_totals = on;
        self
    }

    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.config.user_agent = user_agent.into();
        self
    }

    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    pub fn page_size(mut self, size: u64) -> Self {
        self.config.page_size = Some(size);
        self
    }

    /// Pages of a list fetched at once (see [`Config::page_concurrency`]); 1 turns prefetch
    /// off, 0 counts as 1.
    pub fn page_concurrency(mut self, pages: usize) -> Self {
        self.config.page_concurrency = Some(pages.max(1));
        self
    }

    /// Caps the size of a response body held in memory (see [`Config::max_response_bytes`]).
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.config.max_response_bytes = bytes;
        self
    }

    /// Builds the HTTP client from this reqwest builder instead of the default one: its own
    /// settings (timeouts, proxy, TLS roots, pool) apply, except two that the runtime always
    /// sets, because they decide where credentials go: redirects are followed only within the
    /// origin they start from, and no `Referer` is sent.
    ///
    /// It takes a builder, not a finished `reqwest::Client`, on purpose: a finished client's
    /// redirect policy cannot be read or changed, and reqwest's default one follows a
    /// redirect to another host with every credential header except `Authorization` (an API
    /// key header, the body of a 307/308, a `Referer`), which no check after the answer can
    /// take back.
    ///
    /// ```
    /// # use erp_runtime::{auth::NoAuth, descriptor::*, Client};
    /// # static VENDOR: VendorInfo = VendorInfo {
    /// #     name: "demo", title: "Demo", base_url: "https://example.com/api",
    /// #     base_url_variables: &[], booleans: BoolEncoding::Native,
    /// #     nested_lists: NestedLists::Plain,
    /// #     list_envelope: ListEnvelope::Bare, item_envelope: ItemEnvelope::Bare,
    /// #     request_envelope: RequestEnvelope::Bare, success_error_paths: &[],
    /// #     rate_limits: &[], error_message_paths: &["message"], error_code_paths: &[],
    /// #     request_id_header: None,
    /// # };
    /// let http = reqwest::Client::builder().pool_max_idle_per_host(4);
    /// let client: Client = Client::builder(&VENDOR).auth(NoAuth).http_client(http).build()?;
    /// # Ok::<(), erp_runtime::Error>(())
    /// ```
    ///
    /// A finished client is refused at compile time:
    ///
    /// ```compile_fail
    /// # use erp_runtime::{auth::NoAuth, descriptor::*, Client};
    /// # static VENDOR: VendorInfo = VendorInfo {
    /// #     name: "demo", title: "Demo", base_url: "https://example.com/api",
    /// #     base_url_variables: &[], booleans: BoolEncoding::Native,
    /// #     nested_lists: NestedLists::Plain,
    /// #     list_envelope: ListEnvelope::Bare, item_envelope: ItemEnvelope::Bare,
    /// #     request_envelope: RequestEnvelope::Bare, success_error_paths: &[],
    /// #     rate_limits: &[], error_message_paths: &["message"], error_code_paths: &[],
    /// #     request_id_header: None,
    /// # };
    /// let client: Client = Client::builder(&VENDOR).auth(NoAuth).http_client(reqwest::Client::new()).build()?;
    /// # Ok::<(), erp_runtime::Error>(())
    /// ```
    pub fn http_client(mut self, http: reqwest::ClientBuilder) -> Self {
        self.http = Some(http);
        self
    }

    pub fn build(self) -> Result<C, Error> {
        let vendor = self.vendor.name;
        let config_error = |message: String| Error::Config { vendor, message };
        let auth = self
            .auth
            .ok_or_else(|| config_error("no credentials given; call `.auth(...)`".to_owned()))?;
        let base_url = match self.base_url.clone() {
            Some(url) => url,
            None => resolve_template(self.vendor, &self.variables)?,
        };
        let base_url = normalise_base_url(&base_url).map_err(config_error)?;
        if self.config.retry.max_attempts == 0 {
            return Err(config_error(
                "retry.max_attempts must be at least 1".to_owned(),
            ));
        }
        if self.config.operation_timeout.is_zero() || self.config.max_pages == 0 {
            return Err(config_error(
                "operation_timeout and max_pages must be greater than zero".to_owned(),
            ));
        }
        if self.config.max_response_bytes == 0 {
            return Err(config_error(
                "max_response_bytes must be at least 1".to_owned(),
            ));
        }
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.config.connect_timeout)
                .timeout(self.config.request_timeout)
                .user_agent(self.config.user_agent.clone()),
        };
        let http = credential_safe(http, same_origin_redirects())
            .build()
            .map_err(|e| config_error(format!("cannot build the HTTP client: {e}")))?;
        Ok(C::from(Client::from_parts(
            self.vendor,
            base_url,
            self.variables,
            http,
            auth,
            self.config,
        )))
    }
}

fn resolve_template(
    vendor: &'static VendorInfo,
    variables: &BTreeMap<String, String>,
) -> Result<String, Error> {
    let mut url = vendor.base_url.to_owned();
    for name in vendor.base_url_variables {
        let value = variables.get(*name).ok_or_else(|| Error::Config {
            vendor: vendor.name,
            message: format!(
                "base URL variable `{name}` is not set; call `.variable(\"{name}\", ...)`"
            ),
        })?;
        if value.is_empty()
            || !value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            return Err(Error::Config {
                vendor: vendor.name,
                message: format!(
                    "base URL variable `{name}` = {value:?} may only hold letters, digits, `-`, `_` and `.`"
                ),
            });
        }
        url = url.replace(&format!("{{{name}}}"), value);
    }
    if let Some(unknown) = variables
        .keys()
        .find(|k| !vendor.base_url_variables.contains(&k.as_str()))
    {
        return Err(Error::Config {
            vendor: vendor.name,
            message: format!(
                "unknown base URL variable `{unknown}`; this vendor has {:?}",
                vendor.base_url_variables
            ),
        });
    }
    Ok(url)
}

/// The base URL as requests use it: surrounding whitespace and trailing slashes removed,
/// scheme and host in their canonical form (`HTTPS://API.Example.com:443/v1/` becomes
/// `https://api.example.com/v1`), checked by [`check_scheme`]. A `.` or `..` path segment is
/// refused rather than resolved: `/api/../admin` would silently send every call (with its
/// credentials) to `/admin`, which is surely not what was meant.
fn normalise_base_url(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let after_scheme = raw.split_once("://").map_or(raw, |(_, rest)| rest);
    let path = after_scheme
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .split_once('/')
        .map_or("", |(_, path)| path);
    let dot_segment = path.split('/').any(|segment| {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        decoded == "." || decoded == ".."
    });
    if dot_segment {
        let shown = crate::error::shown_url(raw);
        let shown = shown.split('?').next().unwrap_or_default();
        return Err(format!(
            "base URL `{shown}` has a `.` or `..` path segment; give the path it stands for"
        ));
    }
    let parsed = check_scheme(raw)?;
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// Credentials must not travel in clear text, except to this machine (sandbox, tests).
fn check_scheme(url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("invalid base URL: {e}"))?;
    // Credentials can hide in a URL (`user:pw@host`, `?api_key=`): never echo those parts,
    // nor the fragment.
    let url = {
        let mut shown = parsed.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        shown.set_query(None);
        shown.set_fragment(None);
        shown.to_string()
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!(
            "base URL `{url}` must not carry credentials; pass them with `.auth(..)`"
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "base URL `{url}` must not have a query or fragment; pass credentials with `.auth(..)`"
        ));
    }
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" => {
            let host = parsed.host_str().unwrap_or_default();
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if loopback {
                Ok(parsed)
            } else {
                Err(format!(
                    "base URL `{url}` must use https (plain http is allowed only for loopback addresses)"
                ))
            }
        }
        other => Err(format!("base URL `{url}` has unsupported scheme `{other}`")),
    }
}

/// The two settings of every HTTP client that carries credentials, applied last so that no
/// other setting of a caller's builder can undo them: `redirects` decides which redirect
/// may be followed (reqwest re-sends every header but `Authorization` and `Cookie`, and the
/// body on a 307/308), and no `Referer` tells another server which URL was called.
pub(crate) fn credential_safe(
    builder: reqwest::ClientBuilder,
    redirects: reqwest::redirect::Policy,
) -> reqwest::ClientBuilder {
    builder.redirect(redirects).referer(false)
}

/// Redirects are followed only within the origin they start from (same scheme, host and port):
/// credential headers such as `X-BillomatApiKey` must never travel to another host, nor from
/// https down to http. At most five hops.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().map(reqwest::Url::origin);
        if attempt.previous().len() > 5 {
            attempt.error("too many redirects")
        } else if first.is_some_and(|origin| origin != attempt.url().origin()) {
            attempt
                .error("the vendor redirected to another origin; not following it with credentials")
        } else {
            attempt.follow()
        }
    })
}
