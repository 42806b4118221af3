//! Authentication providers.
//!
//! A provider adds credentials to each outgoing request attempt, as headers and/or query
//! parameters ([`AuthTarget`]). The trait is asynchronous and gets the runtime's HTTP client, so
//! that a token-based provider ([`OAuth2`](crate::oauth2::OAuth2)) can fetch or refresh a token
//! before the request goes out, without any change to generated code.
//!
//! | provider | sends |
//! |---|---|
//! | [`ApiKeyHeaders`] | one or more secret headers (`X-BillomatApiKey: …`) |
//! | [`ApiKeyQuery`] | one or more secret query parameters (`?api_key=…`) |
//! | [`TokenHeader`] | one header with an optional prefix (`Authorization: Token token=…`) |
//! | [`Bearer`] | `Authorization: Bearer …` with a fixed token |
//! | [`Basic`] | `Authorization: Basic …` |
//! | [`OAuth2`](crate::oauth2::OAuth2) | `Authorization: Bearer …` with refresh |
//! | [`NoAuth`] | nothing |
//!
//! Every provider's `Debug` is redacted and every header value it sets is marked sensitive, so
//! neither `tracing` nor reqwest's `Debug` output shows it.

use std::fmt;

use futures::future::BoxFuture;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};

use crate::{Error, Secret};

/// What a provider may use while authorizing a request.
#[derive(Debug, Clone)]
pub struct AuthContext {
    /// The runtime's HTTP client (timeouts and TLS settings already applied).
    pub http: reqwest::Client,
    pub vendor: &'static str,
}

/// The credential-carrying parts of one request attempt.
///
/// The runtime fills `headers` with its own headers (`Accept`, ...) before calling
/// [`Auth::authorize`], sends `query` after the operation's own query parameters, and hands the
/// same value back to [`Auth::invalidate`] when the vendor rejects the attempt.
///
/// ```
/// use erp_runtime::auth::AuthTarget;
/// let mut target = AuthTarget::default();
/// target.query.push(("api_key".into(), "s3cret".into()));
/// assert!(!format!("{target:?}").contains("s3cret"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct AuthTarget {
    pub headers: HeaderMap,
    /// Query parameters; values are secrets and never printed.
    pub query: Vec<(String, Secret)>,
}

impl AuthTarget {
    /// A target that starts with these headers and no query credentials.
    pub fn new(headers: HeaderMap) -> Self {
        AuthTarget {
            headers,
            query: Vec::new(),
        }
    }
}

/// Adds credentials to requests.
pub trait Auth: Send + Sync + fmt::Debug + 'static {
    /// Adds the credentials to one request attempt.
    fn authorize<'a>(
        &'a self,
        ctx: &'a AuthContext,
        target: &'a mut AuthTarget,
    ) -> BoxFuture<'a, Result<(), Error>>;

    /// Called when the vendor rejected the credentials of an attempt; `rejected` is what that
    /// attempt sent. Returns whether trying the request once more may succeed.
    ///
    /// A provider that can obtain fresh credentials drops its cached ones, but only if
    /// `rejected` still holds the current ones: another task may have refreshed them already,
    /// and throwing away that newer token would cost another refresh. Static credentials
    /// return `false` (the default).
    fn invalidate<'a>(&'a self, rejected: &'a AuthTarget) -> BoxFuture<'a, bool> {
        let _ = rejected;
        Box::pin(async { false })
    }
}

/// A header value holding a secret, marked sensitive so that it is never printed.
pub(crate) fn header_value(
    vendor: &'static str,
    name: &str,
    secret: &Secret,
) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(secret.expose())
        // The message must not contain the value: it is a credential.
        .map_err(|_| Error::Config {
            vendor,
            message: format!(
                "the value for header `{name}` contains characters not allowed in HTTP headers"
            ),
        })?;
    value.set_sensitive(true);
    Ok(value)
}

fn header_name(vendor: &'static str, name: &str) -> Result<HeaderName, Error> {
    HeaderName::from_bytes(name.as_bytes()).map_err(|_| Error::Config {
        vendor,
        message: format!("`{name}` is not a valid header name"),
    })
}

/// Sets `Authorization: <scheme> <token>`, marked sensitive.
pub(crate) fn set_authorization(
    vendor: &'static str,
    headers: &mut HeaderMap,
    scheme: &str,
    token: &Secret,
) -> Result<(), Error> {
    let value = Secret::from(format!("{scheme} {}", token.expose()));
    headers.insert(
        AUTHORIZATION,
        header_value(vendor, "Authorization", &value)?,
    );
    Ok(())
}

/// Named secrets in the order added, shown in `Debug` by name only: the one list behind
/// [`ApiKeyHeaders`] and [`ApiKeyQuery`].
#[derive(Clone, Default)]
struct NamedSecrets(Vec<(String, Secret)>);

impl NamedSecrets {
    /// Adds `name`, replacing an entry that `same` says has the same name.
    fn set(&mut self, name: String, value: Secret, same: fn(&str, &str) -> bool) {
        self.0.retain(|(n, _)| !same(n, &name));
        self.0.push((name, value));
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }

    fn iter(&self) -> impl Iterator<Item = &(String, Secret)> {
        self.0.iter()
    }
}

impl fmt::Debug for NamedSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.names().map(|n| (n, "[redacted]")))
            .finish()
    }
}

/// Credentials sent as one or more request headers (API keys, company tokens).
///
/// ```
/// use erp_runtime::auth::ApiKeyHeaders;
/// let auth = ApiKeyHeaders::new().header("X-BillomatApiKey", "secret-key");
/// assert!(!format!("{auth:?}").contains("secret-key"));
/// ```
#[derive(Clone, Default)]
pub struct ApiKeyHeaders {
    headers: NamedSecrets,
}

impl ApiKeyHeaders {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a header carrying a secret (header names ignore case).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Secret>) -> Self {
        self.headers
            .set(name.into(), value.into(), |a, b| a.eq_ignore_ascii_case(b));
        self
    }

    /// Names of the headers this provider sends.
    pub fn header_names(&self) -> impl Iterator<Item = &str> {
        self.headers.names()
    }
}

impl fmt::Debug for ApiKeyHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.headers.fmt(f)
    }
}

impl Auth for ApiKeyHeaders {
    fn authorize<'a>(
        &'a self,
        ctx: &'a AuthContext,
        target: &'a mut AuthTarget,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            for (name, secret) in self.headers.iter() {
                let header = header_name(ctx.vendor, name)?;
                target
                    .headers
                    .insert(header, header_value(ctx.vendor, name, secret)?);
            }
            Ok(())
        })
    }
}

/// Credentials sent as one or more query parameters (`?api_key=…`).
///
/// Prefer a header where the vendor offers one: URLs end up in proxy and server logs. The runtime
/// never puts a request URL into its own errors or logs.
///
/// ```
/// use erp_runtime::auth::ApiKeyQuery;
/// let auth = ApiKeyQuery::new().param("api_key", "secret-key").param("company", "c-1");
/// assert_eq!(auth.param_names().collect::<Vec<_>>(), ["api_key", "company"]);
/// assert!(!format!("{auth:?}").contains("secret-key"));
/// ```
#[derive(Clone, Default)]
pub struct ApiKeyQuery {
    params: NamedSecrets,
}

impl ApiKeyQuery {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a query parameter carrying a secret (parameter names are exact).
    pub fn param(mut self, name: impl Into<String>, value: impl Into<Secret>) -> Self {
        self.params.set(name.into(), value.into(), |a, b| a == b);
        self
    }

    /// Names of the query parameters this provider sends.
    pub fn param_names(&self) -> impl Iterator<Item = &str> {
        self.params.names()
    }
}

impl fmt::Debug for ApiKeyQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.params.fmt(f)
    }
}

impl Auth for ApiKeyQuery {
    fn authorize<'a>(
        &'a self,
        _ctx: &'a AuthContext,
        target: &'a mut AuthTarget,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            for (name, secret) in self.params.iter() {
                target.query.retain(|(n, _)| n != name);
                target.query.push((name.clone(), secret.clone()));
            }
            Ok(())
        })
    }
}

/// A token in one header, after an optional prefix: `Authorization: Token token=abc`.
///
/// ```
/// use erp_runtime::auth::TokenHeader;
/// let auth = TokenHeader::new("Authorization", "abc").prefix("Token token=");
/// assert_eq!(format!("{auth:?}"), r#"TokenHeader { name: "Authorization", prefix: "Token token=", token: "[redacted]" }"#);
/// ```
#[derive(Clone)]
pub struct TokenHeader {
    name: String,
    prefix: String,
    token: Secret,
}

impl TokenHeader {
    /// The header `name` with the bare token as its value.
    pub fn new(name: impl Into<String>, token: impl Into<Secret>) -> Self {
        TokenHeader {
            name: name.into(),
            prefix: String::new(),
            token: token.into(),
        }
    }

    /// Text put before the token (include a trailing space if the scheme needs one).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }
}

impl fmt::Debug for TokenHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenHeader")
            .field("name", &self.name)
            .field("prefix", &self.prefix)
            .field("token", &"[redacted]")
            .finish()
    }
}

impl Auth for TokenHeader {
    fn authorize<'a>(
        &'a self,
        ctx: &'a AuthContext,
        target: &'a mut AuthTarget,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let header = header_name(ctx.vendor, &self.name)?;
            let value = Secret::from(format!("{}{}", self.prefix, self.token.expose()));
            target
                .headers
                .insert(header, header_value(ctx.vendor, &self.name, &value)?);
            Ok(())
        })
    }
}

/// A fixed bearer token: `Authorization: Bearer <token>`. For tokens that expire and refresh,
/// use [`OAuth2`](crate::oauth2::OAuth2).
///
/// ```
/// use erp_runtime::auth::Bearer;
/// assert_eq!(format!("{:?}", Bearer::new("abc")), "Bearer([redacted])");
/// ```
#[derive(Clone)]
pub struct Bearer {
    token: Secret,
}

impl Bearer {
    pub fn new(token: impl Into<Secret>) -> Self {
        Bearer {
            token: token.into(),
        }
    }
}

impl fmt::Debug for Bearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Bearer([redacted])")
    }
}

impl Auth for Bearer {
    fn authorize<'a>(
        &'a self,
        ctx: &'a AuthContext,
        target: &'a mut AuthTarget,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            set_authorization(ctx.vendor, &mut target.headers, "Bearer", &self.token)
        })
    }
}

/// HTTP Basic authentication.
///
/// ```
/// use erp_runtime::auth::Basic;
/// assert_eq!(format!("{:?}", Basic::new("user", "pw")), "Basic([redacted])");
/// ```
#[derive(Clone)]
pub struct Basic {
    username: Secret,
    password: Secret,
}

impl Basic {
    pub fn new(username: impl Into<Secret>, password: impl Into<Secret>) -> Self {
        Basic {
            username: username.into(),
            password: password.into(),
        }
    }
}

impl fmt::Debug for Basic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Basic([redacted])")
    }
}

impl Auth for Basic {
    fn authorize<'a>(
        &'a self,
        ctx: &'a AuthContext,
        target: &'a mut AuthTarget,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let raw = format!("{}:{}", self.username.expose(), self.password.expose());
            let encoded = Secret::from(crate::base64::encode(raw.as_bytes()));
            set_authorization(ctx.vendor, &mut target.headers, "Basic", &encoded)
        })
    }
}

/// No credentials at all (public endpoints, tests).
///
/// ```
/// let _ = erp_runtime::auth::NoAuth;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAuth;

impl Auth for NoAuth {
    fn authorize<'a>(
        &'a self,
        _ctx: &'a AuthContext,
        _target: &'a mut AuthTarget,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> AuthContext {
        AuthContext {
            http: reqwest::Client::new(),
            vendor: "test",
        }
    }

    #[tokio::test]
    async fn headers_are_marked_sensitive_and_debug_is_redacted() {
        let auth = ApiKeyHeaders::new()
            .header("X-Key", "s3cret")
            .header("x-key", "other");
        let mut target = AuthTarget::default();
        auth.authorize(&ctx(), &mut target).await.unwrap();
        assert_eq!(target.headers.len(), 1);
        assert!(target.headers["x-key"].is_sensitive());
        assert!(!format!("{auth:?}{:?}", Basic::new("u", "s3cret")).contains("s3cret"));
    }

    #[tokio::test]
    async fn every_provider_sets_what_it_should_and_prints_nothing_secret() {
        let providers: Vec<(Box<dyn Auth>, &str, &str)> = vec![
            (
                Box::new(TokenHeader::new("Authorization", "s3cret").prefix("Token token=")),
                "authorization",
                "Token token=s3cret",
            ),
            (
                Box::new(Bearer::new("s3cret")),
                "authorization",
                "Bearer s3cret",
            ),
            (
                Box::new(Basic::new("user", "s3cret")),
                "authorization",
                "Basic dXNlcjpzM2NyZXQ=",
            ),
            (
                Box::new(ApiKeyHeaders::new().header("X-Token", "s3cret")),
                "x-token",
                "s3cret",
            ),
        ];
        for (auth, header, expected) in providers {
            let mut target = AuthTarget::default();
            auth.authorize(&ctx(), &mut target).await.unwrap();
            let value = &target.headers[header];
            assert_eq!(value.to_str().unwrap(), expected);
            assert!(value.is_sensitive(), "{auth:?}");
            // HeaderMap's Debug prints sensitive values as `Sensitive`.
            let shown = format!("{auth:?} {target:?}");
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(
                !auth.invalidate(&target).await,
                "static credentials cannot refresh"
            );
        }
    }

    #[tokio::test]
    async fn query_keys_replace_same_named_parameters() {
        let auth = ApiKeyQuery::new()
            .param("api_key", "first")
            .param("api_key", "s3cret")
            .param("company", "c1");
        let mut target = AuthTarget::default();
        target.query.push(("company".into(), "stale".into()));
        auth.authorize(&ctx(), &mut target).await.unwrap();
        let pairs: Vec<(&str, &str)> = target
            .query
            .iter()
            .map(|(n, v)| (n.as_str(), v.expose()))
            .collect();
        assert_eq!(pairs, [("api_key", "s3cret"), ("company", "c1")]);
        assert!(!format!("{auth:?} {target:?}").contains("s3cret"));
    }

    #[tokio::test]
    async fn invalid_header_values_are_reported_without_the_value() {
        let auth = TokenHeader::new("X-Token", "bad\nvalue");
        let err = auth
            .authorize(&ctx(), &mut AuthTarget::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("X-Token"));
        assert!(!err.to_string().contains("bad"));
    }

    #[tokio::test]
    async fn the_client_appends_query_credentials_and_never_shows_them() {
        use crate::test_server::{Reply, client, get_item, serve};
        let addr =
            serve(|seen| Reply::json(200, serde_json::json!({"target": seen.target}).to_string()))
                .await;
        let auth = ApiKeyQuery::new().param("api_key", "s3cret&x");
        let echoed: serde_json::Value = client(addr, auth.clone())
            .item(get_item(), crate::Request::new().query_param("page", 2))
            .await
            .unwrap();
        assert_eq!(echoed["target"], "/things?page=2&api_key=s3cret%26x");

        // Nothing listens on a port we just freed: the transport error must not show the URL.
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let closed_addr = closed.local_addr().unwrap();
        drop(closed);
        let err = client(closed_addr, auth)
            .item::<serde_json::Value>(get_item(), crate::Request::new())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Transport { .. }), "{err:?}");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    /// A provider whose token changes on every invalidation, recording what it was shown.
    #[derive(Debug, Default)]
    struct Rotating {
        current: std::sync::Mutex<u32>,
        rejected: std::sync::Mutex<Vec<String>>,
    }

    impl Auth for Rotating {
        fn authorize<'a>(
            &'a self,
            ctx: &'a AuthContext,
            target: &'a mut AuthTarget,
        ) -> BoxFuture<'a, Result<(), Error>> {
            let token = Secret::from(format!("t{}", self.current.lock().unwrap()));
            Box::pin(
                async move { set_authorization(ctx.vendor, &mut target.headers, "Bearer", &token) },
            )
        }

        fn invalidate<'a>(&'a self, rejected: &'a AuthTarget) -> BoxFuture<'a, bool> {
            let sent = rejected.headers[AUTHORIZATION].to_str().unwrap().to_owned();
            self.rejected.lock().unwrap().push(sent);
            *self.current.lock().unwrap() += 1;
            Box::pin(async { true })
        }
    }

    #[tokio::test]
    async fn a_401_hands_the_rejected_credentials_to_invalidate_and_retries_once() {
        use crate::test_server::{Reply, get_item, serve};
        let addr = serve(|seen| match seen.header("authorization") {
            Some("Bearer t1") => Reply::json(200, "{}"),
            _ => Reply::json(401, r#"{"message":"bad token"}"#),
        })
        .await;
        let auth = std::sync::Arc::new(Rotating::default());
        let client = crate::Client::builder(get_item().vendor())
            .base_url(format!("http://{addr}"))
            .shared_auth(auth.clone())
            .build()
            .unwrap();
        let _: serde_json::Value = client
            .item(get_item(), crate::Request::new())
            .await
            .unwrap();
        assert_eq!(*auth.rejected.lock().unwrap(), ["Bearer t0"]);
        // t2 is rejected too: one retry per call, then the vendor's 401 surfaces.
        *auth.current.lock().unwrap() = 2;
        let err = client
            .item::<serde_json::Value>(get_item(), crate::Request::new())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
        assert_eq!(*auth.rejected.lock().unwrap(), ["Bearer t0", "Bearer t2"]);
    }
}
