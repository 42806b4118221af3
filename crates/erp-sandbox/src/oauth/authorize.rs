//! The authorization endpoint (RFC 6749 §4.1.1–4.1.2): approves at once, as if the user had
//! logged in and consented, and redirects back with a code.

use std::time::SystemTime;

use super::answers::OAuthError;
use super::params::Params;
use super::settings::{GrantType, OAuthSettings};
use super::store::Store;
use crate::reply::Reply;

/// Answers an authorization request given its query parameters.
pub(super) fn authorize(
    settings: &OAuthSettings,
    store: &mut Store,
    query: &[(String, String)],
    now: SystemTime,
) -> Reply {
    store.counters.authorize_requests += 1;
    let params = Params::new(query.to_vec());
    // Without a known client and a registered redirect URI there is nowhere safe to send the
    // user agent: RFC 6749 §4.1.2.1 says to show the error instead of redirecting.
    let redirect_uri = match trusted_redirect(settings, &params) {
        Ok(uri) => uri,
        Err(error) => return error.reply(),
    };
    // A duplicated `state` is reported by `approve`; then no state goes back.
    let state = params.get("state").ok().flatten();
    match approve(settings, store, &params, redirect_uri, now) {
        Ok(code) => redirect(redirect_uri, &[("code", &code)], state),
        Err(error) => redirect(
            redirect_uri,
            &[
                ("error", error.error),
                ("error_description", &error.description),
            ],
            state,
        ),
    }
}

/// The redirect URI of a request whose client is known, when the settings allow it.
fn trusted_redirect<'p>(
    settings: &OAuthSettings,
    params: &'p Params,
) -> Result<&'p str, OAuthError> {
    let client_id = params.required("client_id")?;
    if client_id != settings.client_id {
        return Err(OAuthError::invalid_request(format!(
            "unknown client_id `{client_id}`"
        )));
    }
    // Required even though RFC 6749 makes it optional for one registered URI: loopback URIs
    // are registered by pattern, so there is no single default to fall back to.
    let uri = params.required("redirect_uri")?;
    if !settings.redirect_allowed(uri) {
        return Err(OAuthError::invalid_request(format!(
            "redirect_uri `{uri}` is not registered for this client \
             (loopback http URIs on any port are, and {} listed ones)",
            settings.redirect_uris.len()
        )));
    }
    Ok(uri)
}

/// The code for a request whose redirect URI is trusted, or the error to redirect with.
fn approve(
    settings: &OAuthSettings,
    store: &mut Store,
    params: &Params,
    redirect_uri: &str,
    now: SystemTime,
) -> Result<String, OAuthError> {
    match params.required("response_type")? {
        "code" => {}
        other => {
            return Err(OAuthError::unsupported_response_type(format!(
                "response_type `{other}` is not supported; use `code`"
            )));
        }
    }
    if !settings.allows(GrantType::AuthorizationCode) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use the authorization code grant",
        ));
    }
    // Checked for duplicates only: scopes are accepted and not enforced.
    params.get("state")?;
    params.get("scope")?;
    store.purge(now);
    Ok(store.issue_code(settings, redirect_uri, now))
}

/// `302` to `uri` with `pairs` (and `state`) added to its query.
fn redirect(uri: &str, pairs: &[(&str, &str)], state: Option<&str>) -> Reply {
    let mut pairs = pairs.to_vec();
    pairs.extend(state.map(|state| ("state", state)));
    // Encoding string pairs cannot fail; an empty query would still redirect correctly.
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let separator = match uri.chars().last() {
        Some('?' | '&') => "",
        _ if uri.contains('?') => "&",
        _ => "?",
    };
    Reply::empty(302)
        .with_header("Location", format!("{uri}{separator}{query}"))
        .with_header("Cache-Control", "no-store")
}
