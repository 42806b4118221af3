//! OAuth2 (RFC 6749) as an [`Auth`] provider: bearer tokens that refresh themselves.
//!
//! - Grants: authorization code (with `state` and optional PKCE, [`OAuth2::exchange_code`] or
//!   [`OAuth2::run_loopback_redirect`]), refresh token (with rotation: a new refresh token
//!   replaces the old one), client credentials ([`Flow::ClientCredentials`]).
//! - Tokens are refreshed proactively, [`OAuth2Config::refresh_skew`] before they expire, one
//!   refresh at a time per session however many requests wait for it, and reactively once
//!   when the vendor answers 401. A server's minimum interval between token requests is
//!   respected ([`OAuth2Config::min_refresh_interval`]). See the [`cache`] module for the
//!   design.
//! - A [`TokenStore`] keeps the tokens; rotated refresh tokens are saved before the new access
//!   token is used. [`FileTokenStore`] can be shared by several processes: a lock file makes
//!   sure only one of them refreshes.
//! - Errors are [`Error::Auth`] with an [`AuthErrorKind`]; token-endpoint refusals carry the
//!   OAuth2 code as a [`TokenErrorKind`] and the server's description in the message. No
//!   token, code or secret ever appears in `Debug`, `Display`, an error or a log.
//!
//! ```no_run
//! use std::time::Duration;
//! use erp_runtime::oauth2::{ClientAuth, FileTokenStore, OAuth2, OAuth2Config};
//! # use erp_runtime::{descriptor::VendorInfo, Client};
//! # fn demo(vendor: &'static VendorInfo) -> erp_runtime::Result<()> {
//! let config = OAuth2Config::new("demo", "https://login.example.com/oauth2/token", "my-client-id")
//!     .client_secret("my-client-secret")
//!     .authorize_url("https://login.example.com/oauth2/auth")
//!     .redirect_uri("http://127.0.0.1:8765/callback")
//!     .client_auth(ClientAuth::RequestBody)
//!     .min_refresh_interval(Duration::from_secs(570));
//! let auth = OAuth2::builder(config).store(FileTokenStore::new("tokens.json")).build()?;
//! let client: Client = Client::builder(vendor).auth(auth.clone()).build()?;
//! # Ok(()) }
//! ```

pub mod cache;
mod endpoint;
mod error;
mod flow;
mod store;
mod token;

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::auth::{Auth, AuthContext, AuthTarget};
use crate::error::AuthErrorKind;
use crate::{Error, Secret};

pub use cache::{Clock, ManualClock, SystemClock};
pub use error::TokenErrorKind;
pub use flow::{AuthorizationRequest, Pkce};
pub use store::{FileTokenStore, MemoryTokenStore, TokenStore};
pub use token::TokenSet;

/// How the client authenticates itself to the token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// `client_id` and `client_secret` as form fields, no `Authorization` header. Some servers
    /// refuse a request that has the header.
    #[default]
    RequestBody,
    /// `Authorization: Basic` with the (form-encoded) id and secret.
    BasicHeader,
}

/// How a session gets tokens when it has no usable refresh token.
///
/// ```
/// use erp_runtime::oauth2::{Flow, OAuth2, OAuth2Config};
/// let config = OAuth2Config::new("demo", "https://login.example.com/token", "service-account")
///     .client_secret("s3cret")
///     .flow(Flow::ClientCredentials);
/// let auth = OAuth2::new(config)?; // fetches its first token on the first request
/// # Ok::<(), erp_runtime::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flow {
    /// A user authorizes once ([`OAuth2::run_loopback_redirect`] or
    /// [`OAuth2::authorization_request`] + [`OAuth2::exchange_code`]); after that the refresh
    /// token keeps the session going.
    #[default]
    AuthorizationCode,
    /// Machine-to-machine: the client's own credentials buy each new token.
    ClientCredentials,
}

/// Everything a session needs to know about the authorization server.
///
/// ```
/// use std::time::Duration;
/// use erp_runtime::oauth2::{ClientAuth, OAuth2Config};
/// let config = OAuth2Config::new("demo", "https://login.example.com/token", "my-app")
///     .client_secret("s3cret")
///     .scope("accounts.read")
///     .client_auth(ClientAuth::BasicHeader)
///     .refresh_skew(Duration::from_secs(60));
/// assert_eq!(config.refresh_skew, Duration::from_secs(60));
/// assert!(!format!("{config:?}").contains("s3cret"));
/// ```
#[derive(Debug, Clone)]
pub struct OAuth2Config {
    /// Name shown in errors and logs (usually the vendor crate's vendor name).
    pub vendor: &'static str,
    pub token_url: String,
    /// Needed for the authorization code flow only.
    pub authorize_url: Option<String>,
    pub client_id: String,
    /// Empty for public clients (then none is sent).
    pub client_secret: Secret,
    pub redirect_uri: Option<String>,
    pub scopes: Vec<String>,
    pub client_auth: ClientAuth,
    pub flow: Flow,
    /// A token is refreshed this long before it expires, so that a request never leaves with
    /// a token that dies on the way. Default 30 s.
    pub refresh_skew: Duration,
    /// The server allows a new token only this long after the previous one. A refresh due
    /// earlier keeps using the current token while it is valid, and fails with
    /// [`AuthErrorKind::RefreshTooSoon`] once it is not. Default none.
    pub min_refresh_interval: Option<Duration>,
}

impl OAuth2Config {
    pub fn new(
        vendor: &'static str,
        token_url: impl Into<String>,
        client_id: impl Into<String>,
    ) -> Self {
        OAuth2Config {
            vendor,
            token_url: token_url.into(),
            authorize_url: None,
            client_id: client_id.into(),
            client_secret: Secret::default(),
            redirect_uri: None,
            scopes: Vec::new(),
            client_auth: ClientAuth::default(),
            flow: Flow::default(),
            refresh_skew: Duration::from_secs(30),
            min_refresh_interval: None,
        }
    }

    pub fn client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.client_secret = secret.into();
        self
    }

    pub fn authorize_url(mut self, url: impl Into<String>) -> Self {
        self.authorize_url = Some(url.into());
        self
    }

    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(uri.into());
        self
    }

    /// Adds one scope (sent space-separated).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes.push(scope.into());
        self
    }

    pub fn client_auth(mut self, client_auth: ClientAuth) -> Self {
        self.client_auth = client_auth;
        self
    }

    pub fn flow(mut self, flow: Flow) -> Self {
        self.flow = flow;
        self
    }

    pub fn refresh_skew(mut self, skew: Duration) -> Self {
        self.refresh_skew = skew;
        self
    }

    pub fn min_refresh_interval(mut self, interval: Duration) -> Self {
        self.min_refresh_interval = Some(interval);
        self
    }
}

/// An OAuth2 session and [`Auth`] provider: sends `Authorization: Bearer <access token>` and
/// keeps the token fresh. Cheap to clone; clones share the session (tokens, single-flight
/// refresh), so one session can serve several clients.
#[derive(Clone)]
pub struct OAuth2 {
    session: Arc<cache::Session>,
}

impl fmt::Debug for OAuth2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2")
            .field("config", &self.session.config)
            .field("store", &self.session.store)
            .finish()
    }
}

impl OAuth2 {
    /// A session with the tokens in memory only and the system clock.
    pub fn new(config: OAuth2Config) -> Result<Self, Error> {
        Self::builder(config).build()
    }

    /// ```
    /// use erp_runtime::oauth2::{MemoryTokenStore, OAuth2, OAuth2Config, TokenSet};
    /// let config = OAuth2Config::new("demo", "https://login.example.com/token", "my-app");
    /// let store = MemoryTokenStore::with_tokens(TokenSet::from_refresh_token("from-last-login"));
    /// let auth = OAuth2::builder(config).store(store).build()?;
    /// # Ok::<(), erp_runtime::Error>(())
    /// ```
    pub fn builder(config: OAuth2Config) -> OAuth2Builder {
        OAuth2Builder {
            config,
            store: None,
            clock: None,
            http: None,
        }
    }

    pub fn config(&self) -> &OAuth2Config {
        &self.session.config
    }

    /// A usable access token, refreshed first if needed. [`Auth::authorize`] uses this; call
    /// it directly to check a session (e.g. right after start-up).
    ///
    /// ```no_run
    /// # async fn check(auth: erp_runtime::oauth2::OAuth2) {
    /// use erp_runtime::AuthErrorKind;
    /// match auth.access_token().await {
    ///     Ok(_) => println!("session ready"),
    ///     Err(e) if e.auth_kind() == Some(&AuthErrorKind::NotAuthorized) => println!("please log in"),
    ///     Err(e) => eprintln!("{e}"),
    /// }
    /// # }
    /// ```
    pub async fn access_token(&self) -> Result<Secret, Error> {
        self.session.access_token().await
    }
}

/// Builds an [`OAuth2`] session.
#[must_use]
pub struct OAuth2Builder {
    config: OAuth2Config,
    store: Option<Arc<dyn TokenStore>>,
    clock: Option<Arc<dyn Clock>>,
    http: Option<reqwest::ClientBuilder>,
}

impl OAuth2Builder {
    /// Where tokens are kept. Default: [`MemoryTokenStore`].
    pub fn store(mut self, store: impl TokenStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Where the time comes from. Default: [`SystemClock`].
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Builds the HTTP client for the token endpoint from this reqwest builder. Whatever it
    /// sets, the client follows no redirects (a redirect could carry the secrets of the form
    /// to another host) and sends no `Referer`; see [`crate::ClientBuilder::http_client`] for
    /// why this takes a builder. The default has the runtime's default timeouts.
    pub fn http_client(mut self, http: reqwest::ClientBuilder) -> Self {
        self.http = Some(http);
        self
    }

    pub fn build(self) -> Result<OAuth2, Error> {
        let config = self.config;
        let vendor = config.vendor;
        let config_error = |m: String| error::auth_error(vendor, AuthErrorKind::Config, m);
        if config.client_id.is_empty() {
            return Err(config_error("client_id is empty".to_owned()));
        }
        check_url("token_url", &config.token_url).map_err(config_error)?;
        if let Some(url) = &config.authorize_url {
            check_url("authorize_url", url).map_err(config_error)?;
        }
        let http = match self.http {
            Some(http) => http,
            None => {
                let defaults = crate::Config::default();
                reqwest::Client::builder()
                    .connect_timeout(defaults.connect_timeout)
                    .timeout(defaults.request_timeout)
                    .user_agent(defaults.user_agent)
            }
        };
        let http = crate::config::credential_safe(http, reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| config_error(format!("cannot build the HTTP client: {e}")))?;
        let store = self
            .store
            .unwrap_or_else(|| Arc::new(MemoryTokenStore::new()));
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        Ok(OAuth2 {
            session: Arc::new(cache::Session::new(config, store, clock, http)),
        })
    }
}

/// Secrets go only to https URLs, or plain http on this machine (sandbox, tests).
fn check_url(name: &str, url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("invalid {name}: {e}"))?;
    let host = parsed.host_str().unwrap_or_default();
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!(
            "{name} must use https (plain http only for loopback addresses)"
        )),
    }
}

impl Auth for OAuth2 {
    fn authorize<'a>(
        &'a self,
        ctx: &'a AuthContext,
        target: &'a mut AuthTarget,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let token = self.session.access_token().await?;
            crate::auth::set_authorization(ctx.vendor, &mut target.headers, "Bearer", &token)
        })
    }

    fn invalidate<'a>(&'a self, rejected: &'a AuthTarget) -> BoxFuture<'a, bool> {
        Box::pin(self.session.invalidate(rejected))
    }
}
