//! The token endpoint (RFC 6749 §3.2, §4.1.3, §4.4.2, §6): exchanges codes, refresh tokens and
//! client credentials for tokens.

use std::time::SystemTime;

use axum::http::HeaderMap;

use super::answers::{OAuthError, no_store};
use super::client_auth::authenticate;
use super::params::Params;
use super::settings::{GrantType, OAuthSettings};
use super::store::{Issued, Store};
use crate::ordered_json::Out;
use crate::reply::Reply;

/// Answers a token request given its headers and (form) body.
pub(super) fn token(
    settings: &OAuthSettings,
    store: &mut Store,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Reply {
    let reply = match exchange(settings, store, headers, body, now) {
        Ok(issued) => issued_reply(settings, &issued),
        Err(error) => {
            store.counters.token_errors += 1;
            error.reply()
        }
    };
    no_store(reply)
}

fn exchange(
    settings: &OAuthSettings,
    store: &mut Store,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<Issued, OAuthError> {
    let params = Params::form(headers, body);
    let named = params
        .as_ref()
        .ok()
        .and_then(|p| p.get("grant_type").ok().flatten());
    store.count_token_request(named);
    let params = params?;
    let grant = grant_type(settings, &params)?;
    let client_id = authenticate(settings, headers, &params)?;
    store.purge(now);
    match grant {
        GrantType::AuthorizationCode => code_grant(settings, store, &params, &client_id, now),
        GrantType::RefreshToken => {
            let token = params.required("refresh_token")?;
            store.refresh(settings, token, &client_id, now)
        }
        GrantType::ClientCredentials => {
            // RFC 6749 §4.4.3: no refresh token; the client can always ask again.
            let grant = store.new_grant();
            Ok(store.issue(settings, &client_id, grant, false, now))
        }
    }
}

fn grant_type(settings: &OAuthSettings, params: &Params) -> Result<GrantType, OAuthError> {
    let name = params.required("grant_type")?;
    GrantType::parse(name)
        .filter(|grant| settings.allows(*grant))
        .ok_or_else(|| {
            OAuthError::unsupported_grant_type(format!("grant_type `{name}` is not supported"))
        })
}

fn code_grant(
    settings: &OAuthSettings,
    store: &mut Store,
    params: &Params,
    client_id: &str,
    now: SystemTime,
) -> Result<Issued, OAuthError> {
    let code = params.required("code")?;
    // Required: the authorization endpoint always had one (RFC 6749 §4.1.3).
    let redirect_uri = params.required("redirect_uri")?;
    let grant = store.redeem_code(code, client_id, redirect_uri, now)?;
    let with_refresh = settings.allows(GrantType::RefreshToken);
    Ok(store.issue(settings, client_id, grant, with_refresh, now))
}

/// `{"access_token","token_type","expires_in","refresh_token"}` in that order.
fn issued_reply(settings: &OAuthSettings, issued: &Issued) -> Reply {
    let seconds = settings.access_token_lifetime.as_secs().to_string();
    let expires_in = if settings.expires_in_as_string {
        Out::String(seconds)
    } else {
        Out::Number(seconds)
    };
    let mut members = vec![
        (
            "access_token".to_owned(),
            Out::str(issued.access_token.as_str()),
        ),
        ("token_type".to_owned(), Out::str("bearer")),
        ("expires_in".to_owned(), expires_in),
    ];
    if let Some(refresh) = &issued.refresh_token {
        members.push(("refresh_token".to_owned(), Out::str(refresh.as_str())));
    }
    Reply::json(200, &Out::Object(members))
}
