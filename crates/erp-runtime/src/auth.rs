//! Authentication providers.
//!
//! A provider adds credentials to each outgoing request. The trait is asynchronous and gets the
//! runtime's HTTP client, so that a token-based provider (OAuth2 with refresh) can fetch or
//! refresh a token before the request goes out, without any change to generated code.

use std::fmt;

use futures::future::BoxFuture;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::{Error, Secret};

/// What a provider may use while authorizing a request.
#[derive(Debug, Clone)]
pub struct AuthContext {
    /// The runtime's HTTP client (timeouts and TLS settings already applied).
    pub http: reqwest::Client,
    pub vendor: &'static str,
}

/// Adds credentials to requests.
pub trait Auth: Send + Sync + fmt::Debug + 'static {
    /// Adds the credentials to the headers of one request attempt.
    fn authorize<'a>(
        &'a self,
        ctx: &'a AuthContext,
        headers: &'a mut HeaderMap,
    ) -> BoxFuture<'a, Result<(), Error>>;

    /// Called when the vendor rejected the credentials. A provider that can obtain fresh
    /// credentials (a refreshed token) drops its cached ones and returns `true`, and the request
    /// is tried once more; static credentials return `false`.
    fn invalidate(&self) -> bool {
        false
    }
}

fn header_value(vendor: &'static str, name: &str, secret: &Secret) -> Result<HeaderValue, Error> {
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

/// Credentials sent as one or more request headers (API keys, company tokens).
///
/// ```
/// use erp_runtime::auth::ApiKeyHeaders;
/// let auth = ApiKeyHeaders::new().header("X-BillomatApiKey", "secret-key");
/// assert!(!format!("{auth:?}").contains("secret-key"));
/// ```
#[derive(Clone, Default)]
pub struct ApiKeyHeaders {
    headers: Vec<(String, Secret)>,
}

impl ApiKeyHeaders {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a header carrying a secret.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Secret>) -> Self {
        let name = name.into();
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        self.headers.push((name, value.into()));
        self
    }

    /// Names of the headers this provider sends.
    pub fn header_names(&self) -> impl Iterator<Item = &str> {
        self.headers.iter().map(|(n, _)| n.as_str())
    }
}

impl fmt::Debug for ApiKeyHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.headers.iter().map(|(n, _)| (n, "[redacted]")))
            .finish()
    }
}

impl Auth for ApiKeyHeaders {
    fn authorize<'a>(
        &'a self,
        ctx: &'a AuthContext,
        headers: &'a mut HeaderMap,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            for (name, secret) in &self.headers {
                let header =
                    HeaderName::from_bytes(name.as_bytes()).map_err(|_| Error::Config {
                        vendor: ctx.vendor,
                        message: format!("`{name}` is not a valid header name"),
                    })?;
                headers.insert(header, header_value(ctx.vendor, name, secret)?);
            }
            Ok(())
        })
    }
}

/// HTTP Basic authentication.
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
        headers: &'a mut HeaderMap,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let raw = format!("{}:{}", self.username.expose(), self.password.expose());
            let value = Secret::from(format!("Basic {}", base64(raw.as_bytes())));
            headers.insert(
                reqwest::header::AUTHORIZATION,
                header_value(ctx.vendor, "Authorization", &value)?,
            );
            Ok(())
        })
    }
}

/// No credentials at all (public endpoints, tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAuth;

impl Auth for NoAuth {
    fn authorize<'a>(
        &'a self,
        _ctx: &'a AuthContext,
        _headers: &'a mut HeaderMap,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async { Ok(()) })
    }
}

/// Standard base64 with padding; small enough not to justify a dependency.
pub(crate) fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[tokio::test]
    async fn headers_are_marked_sensitive_and_debug_is_redacted() {
        let auth = ApiKeyHeaders::new()
            .header("X-Key", "s3cret")
            .header("x-key", "other");
        let ctx = AuthContext {
            http: reqwest::Client::new(),
            vendor: "test",
        };
        let mut headers = HeaderMap::new();
        auth.authorize(&ctx, &mut headers).await.unwrap();
        assert_eq!(headers.len(), 1);
        assert!(headers["x-key"].is_sensitive());
        assert!(!format!("{auth:?}{:?}", Basic::new("u", "s3cret")).contains("s3cret"));
    }
}
