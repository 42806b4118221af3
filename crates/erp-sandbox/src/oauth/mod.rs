//! An OAuth2 authorization server for vendors whose spec uses the `oauth2` auth scheme.
//!
//! It is generic: one registered client with deterministic credentials
//! (`sandbox-<vendor>-client-id` / `sandbox-<vendor>-client-secret`), and every vendor rule comes
//! from [`OAuthSettings`]. Time is always passed in (`now`), so tests can move it.
//!
//! # What it does
//!
//! - **Authorization endpoint** ([`OAuthServer::authorize`]): approves at once (no login page).
//!   `response_type=code`, `client_id` and `redirect_uri` are required; the answer is `302` to
//!   `<redirect_uri>?code=…&state=…`. Errors about the request redirect with `error=…`
//!   (`invalid_request`, `unsupported_response_type`, `unauthorized_client`, RFC 6749 §4.1.2.1);
//!   an unknown client or an unregistered redirect URI is a `400` JSON error and never a redirect.
//!   Registered: every loopback `http` URI on any port, plus [`OAuthSettings::redirect_uris`].
//! - **Token endpoint** ([`OAuthServer::token`]): `POST` with a form body. Client authentication by
//!   form body and/or HTTP Basic as configured (one method per request). Grants:
//!   - `authorization_code`: the code is single-use, bound to the client and the redirect URI,
//!     and lives [`OAuthSettings::code_lifetime`] (60 s by default); a second exchange is
//!     `invalid_grant` and revokes the tokens the first one produced (RFC 6749 §4.1.2);
//!   - `refresh_token`: with rotation a new refresh token replaces the old one, whose reuse is
//!     `invalid_grant`; previously issued access tokens stay valid until they expire;
//!   - `client_credentials`: an access token only.
//!
//!   Answers `200 {"access_token","token_type":"bearer","expires_in","refresh_token"}` or
//!   `400`/`401 {"error","error_description"}`, all with `Cache-Control: no-store`.
//! - **API requests** ([`OAuthServer::check_bearer`]): `Authorization: Bearer <token>` is valid,
//!   or rejected as missing, malformed, unknown, expired or revoked ([`Rejection`]).
//! - **Controls** for tests and faults: revoke every access (or refresh) token, expire every
//!   access token now or after the next `n` accepted API requests, switch the minimum refresh
//!   interval, read [`OAuthCounters`], reset.
//!
//! Tokens are 128-bit values from a counter hashed with per-server random keys. Codes and tokens
//! live in one `Mutex`-protected store; expired ones are remembered for an hour (so a late request
//! is told "expired" rather than "unknown") and then purged; each kind is also capped at
//! 10,000 entries, oldest first.
//!
//! # Wiring it into the pipeline
//!
//! 1. **Build** one server per sandbox whose spec has `AuthScheme::OAuth2` and keep it in `App`
//!    (e.g. `pub oauth: Option<OAuthServer>`):
//!    `OAuthServer::new(OAuthSettings::for_vendor(&spec.vendor.name, authorize_path, token_path))`
//!    where the paths are the path parts of the spec's `authorize_url` and `token_url`
//!    (`https://host/api/oauth2/token` → `/api/oauth2/token`). Then set from the spec what it
//!    declares: `refresh_min_interval` (from `refresh_min_interval_seconds`), and, once the spec
//!    format has them, `access_token_lifetime`, `refresh_token_lifetime`,
//!    `rotate_refresh_tokens`, `grant_types`, `client_auth` (`basic: false` for a vendor that
//!    answers 401 to an `Authorization` header on its token endpoint), `expires_in_as_string`,
//!    `code_lifetime`, `redirect_uris`.
//! 2. **Route** in `server::pipeline`, after the injected 502/429 faults (clients must survive
//!    those on the token endpoint too) and before the `unsupported` 501, the API authentication,
//!    the rate limiter and `below_prefix` (token paths usually lie outside the API base path):
//!    `if let Some(reply) = oauth.handle(method, path, query, headers, body, now) { return reply; }`.
//!    [`OAuthServer::handle`] answers `405` for other methods on its two paths.
//! 3. **Authenticate** API requests with `oauth.check_bearer(headers, now)` instead of
//!    `auth::check`; on `Err(rejection)` answer the vendor's 401 (`errors::unauthorized(spec)`),
//!    optionally with `WWW-Authenticate: rejection.www_authenticate()` if the vendor sends one.
//! 4. **Credentials**: publish `client_id`, `client_secret` and the two URLs (e.g. new fields of
//!    `Credentials`) so that `main.rs` prints them and tests find them.
//! 5. **Faults and control**: expose [`OAuthServer::revoke_access_tokens`],
//!    [`OAuthServer::expire_access_tokens`], [`OAuthServer::expire_access_tokens_after`],
//!    [`OAuthServer::enforce_refresh_min_interval`] and [`OAuthServer::snapshot`] through
//!    `Faults`/`/__sandbox/…`, and call [`OAuthServer::reset`] from a fault reset if wanted.
//!
//! Not imitated: consent screens, scopes (accepted, not enforced), PKCE, token introspection and
//! revocation endpoints, daily token-call quotas.

mod answers;
mod authorize;
mod bearer;
mod client_auth;
mod params;
mod settings;
mod store;
mod token;

#[cfg(test)]
mod tcp_tests;
#[cfg(test)]
mod tests;

use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use axum::http::HeaderMap;

use crate::reply::Reply;

pub(crate) use bearer::Rejection;
// The pipeline builds settings and reads counters with these; until it is wired some are unused.
#[allow(unused_imports)]
pub(crate) use settings::{ClientAuthMethods, GrantType, OAuthSettings};
#[allow(unused_imports)]
pub(crate) use store::{GrantCounts, OAuthCounters, Remembered};

use store::Store;

/// Which OAuth2 endpoint a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Authorize,
    Token,
}

/// An OAuth2 authorization server for one client; share it (`Arc`) between requests.
pub(crate) struct OAuthServer {
    settings: OAuthSettings,
    store: Mutex<Store>,
}

impl std::fmt::Debug for OAuthServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthServer")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl OAuthServer {
    pub(crate) fn new(settings: OAuthSettings) -> OAuthServer {
        let enforce = settings.refresh_min_interval.is_some();
        OAuthServer {
            settings,
            store: Mutex::new(Store::new(enforce)),
        }
    }

    pub(crate) fn settings(&self) -> &OAuthSettings {
        &self.settings
    }

    /// The store (a poisoned lock is still usable: each change leaves the maps consistent).
    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The endpoint `path` (exactly, as the server sees it) is, if any.
    pub(crate) fn endpoint(&self, path: &str) -> Option<Endpoint> {
        if path == self.settings.authorize_path {
            Some(Endpoint::Authorize)
        } else if path == self.settings.token_path {
            Some(Endpoint::Token)
        } else {
            None
        }
    }

    /// Answers a request to one of the two endpoints (`GET` authorize, `POST` token; other
    /// methods get 405); `None` for any other path, which the pipeline handles as before.
    pub(crate) fn handle(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Option<Reply> {
        let reply = match (self.endpoint(path)?, method) {
            (Endpoint::Authorize, "GET") => self.authorize(query, now),
            (Endpoint::Token, "POST") => self.token(headers, body, now),
            (Endpoint::Authorize, _) => method_not_allowed("GET"),
            (Endpoint::Token, _) => method_not_allowed("POST"),
        };
        Some(reply)
    }

    /// The authorization endpoint, given the request's query parameters.
    pub(crate) fn authorize(&self, query: &[(String, String)], now: SystemTime) -> Reply {
        authorize::authorize(&self.settings, &mut self.store(), query, now)
    }

    /// The token endpoint, given the request's headers and form body.
    pub(crate) fn token(&self, headers: &HeaderMap, body: &[u8], now: SystemTime) -> Reply {
        token::token(&self.settings, &mut self.store(), headers, body, now)
    }

    /// Whether an API request carries a valid access token.
    pub(crate) fn check_bearer(
        &self,
        headers: &HeaderMap,
        now: SystemTime,
    ) -> Result<(), Rejection> {
        let mut store = self.store();
        let verdict = bearer::bearer_token(headers).and_then(|token| store.check(token, now));
        match verdict {
            Ok(()) => store.counters.bearer_accepted += 1,
            Err(_) => store.counters.bearer_rejected += 1,
        }
        verdict
    }

    /// Revokes every access token issued so far; refresh tokens keep working, so a client that
    /// refreshes on 401 recovers (a token revoked in the middle of a listing).
    pub(crate) fn revoke_access_tokens(&self) {
        self.store().revoke_access();
    }

    /// Revokes every refresh token issued so far: the client must authorize again.
    pub(crate) fn revoke_refresh_tokens(&self, now: SystemTime) {
        self.store().revoke_refresh(now);
    }

    /// Every access token issued so far expires at `now` (as if its lifetime had passed).
    pub(crate) fn expire_access_tokens(&self, now: SystemTime) {
        self.store().expire_access(now);
    }

    /// The next `n` API requests with a valid token pass; the one after finds every access token
    /// expired (401 on page `n + 1` of a listing). Tokens issued later are not affected.
    pub(crate) fn expire_access_tokens_after(&self, n: u32) {
        self.store().expire_after_checks = Some(n);
    }

    /// Switches the minimum refresh interval of the settings on or off (on by default when the
    /// settings have one); tests that refresh often turn it off.
    pub(crate) fn enforce_refresh_min_interval(&self, on: bool) {
        self.store().enforce_refresh_interval = on;
    }

    pub(crate) fn counters(&self) -> OAuthCounters {
        self.store().counters
    }

    /// How many codes and tokens are remembered.
    pub(crate) fn remembered(&self) -> Remembered {
        self.store().remembered()
    }

    /// Forgets what expired long enough ago; issuing does this anyway.
    pub(crate) fn purge(&self, now: SystemTime) {
        self.store().purge(now);
    }

    /// Forgets every code and token, zeroes the counters and turns the switches back to their
    /// initial state.
    pub(crate) fn reset(&self) {
        *self.store() = Store::new(self.settings.refresh_min_interval.is_some());
    }

    /// Counters and switches as JSON, for a control endpoint.
    pub(crate) fn snapshot(&self) -> serde_json::Value {
        let store = self.store();
        let c = store.counters;
        let remembered = store.remembered();
        serde_json::json!({
            "authorize_requests": c.authorize_requests,
            "codes_issued": c.codes_issued,
            "token_requests": {
                "authorization_code": c.token_requests.authorization_code,
                "refresh_token": c.token_requests.refresh_token,
                "client_credentials": c.token_requests.client_credentials,
                "other": c.token_requests.other,
            },
            "token_errors": c.token_errors,
            "refreshes": c.refreshes,
            "access_tokens_issued": c.access_tokens_issued,
            "bearer_accepted": c.bearer_accepted,
            "bearer_rejected": c.bearer_rejected,
            "expire_access_tokens_after": store.expire_after_checks,
            "enforce_refresh_min_interval": store.enforce_refresh_interval,
            "remembered": {
                "codes": remembered.codes,
                "access_tokens": remembered.access_tokens,
                "refresh_tokens": remembered.refresh_tokens,
            },
        })
    }
}

fn method_not_allowed(allowed: &'static str) -> Reply {
    let error = answers::OAuthError {
        status: 405,
        ..answers::OAuthError::invalid_request(format!("use {allowed}"))
    };
    error.reply().with_header("Allow", allowed)
}
