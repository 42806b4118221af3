//! Requests to the token endpoint (RFC 6749 §4.1.3, §4.4, §6) and lenient parsing of answers.

use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, AUTHORIZATION};
use serde_json::Value;

use super::cache::Session;
use super::error::{auth_error, scrub};
use super::{ClientAuth, TokenErrorKind, TokenSet};
use crate::error::AuthErrorKind;
use crate::{Error, Secret};

/// One grant, with what it sends.
pub(super) enum Grant<'a> {
    AuthorizationCode {
        code: &'a Secret,
        redirect_uri: &'a str,
        verifier: Option<&'a Secret>,
    },
    RefreshToken(&'a Secret),
    ClientCredentials,
}

impl Grant<'_> {
    fn grant_type(&self) -> &'static str {
        match self {
            Grant::AuthorizationCode { .. } => "authorization_code",
            Grant::RefreshToken(_) => "refresh_token",
            Grant::ClientCredentials => "client_credentials",
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Grant::AuthorizationCode { .. } => "authorization code",
            Grant::RefreshToken(_) => "refresh token",
            Grant::ClientCredentials => "client credentials",
        }
    }
}

/// Sends one token request. No retries: a refresh whose answer was lost may already have
/// rotated the refresh token, and repeating it would only earn `invalid_grant`.
pub(super) async fn request(session: &Session, grant: Grant<'_>) -> Result<TokenSet, Error> {
    let config = &session.config;
    let vendor = config.vendor;
    let scope = config.scopes.join(" ");
    let mut form: Vec<(&str, &str)> = vec![("grant_type", grant.grant_type())];
    // Everything secret this request carries, to scrub from whatever the server answers.
    let mut sent: Vec<&Secret> = vec![&config.client_secret];
    match &grant {
        Grant::AuthorizationCode {
            code,
            redirect_uri,
            verifier,
        } => {
            form.push(("code", code.expose()));
            form.push(("redirect_uri", redirect_uri));
            sent.push(code);
            if let Some(verifier) = verifier {
                form.push(("code_verifier", verifier.expose()));
                sent.push(verifier);
            }
        }
        Grant::RefreshToken(token) => {
            form.push(("refresh_token", token.expose()));
            sent.push(token);
        }
        Grant::ClientCredentials => {
            if !scope.is_empty() {
                form.push(("scope", &scope));
            }
        }
    }
    let mut builder = session
        .http
        .post(&config.token_url)
        .header(ACCEPT, "application/json");
    match config.client_auth {
        ClientAuth::RequestBody => {
            form.push(("client_id", &config.client_id));
            if !config.client_secret.is_empty() {
                form.push(("client_secret", config.client_secret.expose()));
            }
        }
        ClientAuth::BasicHeader => {
            // RFC 6749 §2.3.1: both parts are form-urlencoded before they are joined.
            let pair = format!(
                "{}:{}",
                form_urlencode(&config.client_id),
                form_urlencode(config.client_secret.expose())
            );
            let value = Secret::from(format!("Basic {}", crate::base64::encode(pair.as_bytes())));
            builder = builder.header(
                AUTHORIZATION,
                crate::auth::header_value(vendor, "Authorization", &value)?,
            );
        }
    }
    tracing::debug!(vendor, grant_type = grant.grant_type(), "requesting tokens");
    // The expiry counts from before sending (the token may be older than its answer), the
    // minimum interval from after the answer (the server counts from when it issued it).
    let sent_at = session.clock.now();
    let response = builder
        .form(&form)
        .send()
        .await
        .map_err(|e| transport(vendor, &e))?;
    let status = response.status().as_u16();
    // Token answers are small; the cap keeps a hostile endpoint from exhausting memory.
    let body = crate::body::read_capped(response, TOKEN_ANSWER_CAP)
        .await
        .map_err(|e| match e {
            crate::body::ReadError::Transport(e) => transport(vendor, &e),
            crate::body::ReadError::TooLarge { .. } => auth_error(
                vendor,
                AuthErrorKind::InvalidResponse,
                format!("the token endpoint's answer exceeds {TOKEN_ANSWER_CAP} bytes"),
            ),
        })?;
    let received_at = session.clock.now();
    if (200..300).contains(&status) {
        parse_tokens(vendor, &body, sent_at, received_at)
    } else {
        Err(parse_refusal(
            vendor,
            grant.describe(),
            status,
            &body,
            &sent,
        ))
    }
}

/// Largest token endpoint answer read: a token set is a few kB even with an ID token.
const TOKEN_ANSWER_CAP: u64 = 1024 * 1024;

fn transport(vendor: &'static str, e: &reqwest::Error) -> Error {
    let message = if e.is_timeout() {
        "the token endpoint did not answer in time".to_owned()
    } else {
        // Without URLs: the message must stay free of anything a URL might carry.
        format!(
            "cannot reach the token endpoint: {}",
            crate::classify::error_chain(e)
        )
    };
    auth_error(vendor, AuthErrorKind::Transport, message)
}

/// A successful answer. Lenient where servers differ (`expires_in` as a number or a string,
/// `token_type` in any case or absent); strict where a mistake would be silent (no token, a
/// token type this provider cannot send). The body never reaches an error: it holds tokens.
pub(super) fn parse_tokens(
    vendor: &'static str,
    body: &[u8],
    sent_at: SystemTime,
    received_at: SystemTime,
) -> Result<TokenSet, Error> {
    let invalid = |message: &str| auth_error(vendor, AuthErrorKind::InvalidResponse, message);
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| invalid("the token endpoint's answer is not JSON"))?;
    let text = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let access_token = text("access_token")
        .ok_or_else(|| invalid("the token endpoint's answer has no access_token"))?;
    let token_type = text("token_type");
    if let Some(kind) = token_type.filter(|t| !t.eq_ignore_ascii_case("bearer")) {
        return Err(invalid(&format!(
            "the token endpoint issued a `{}` token; only bearer tokens are supported",
            crate::error::excerpt(kind, 40)
        )));
    }
    let lifetime = value.get("expires_in").and_then(seconds);
    if lifetime.is_none() && value.get("expires_in").is_some() {
        tracing::debug!(
            vendor,
            "unusable expires_in in the token answer; the token is refreshed when rejected"
        );
    }
    Ok(TokenSet {
        access_token: Secret::from(access_token),
        refresh_token: text("refresh_token").map(Secret::from),
        expires_at: lifetime.and_then(|d| sent_at.checked_add(d)),
        issued_at: Some(received_at),
        token_type: token_type.map(str::to_owned),
        scope: text("scope").map(str::to_owned),
    })
}

/// `expires_in` as a number (`600`, `600.0`) or a string (`"600"`); zero, negative or
/// unreadable values count as unknown, so that the token is not refreshed before every request.
fn seconds(value: &Value) -> Option<Duration> {
    let secs = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (secs.is_finite() && secs >= 1.0).then(|| Duration::from_secs(secs as u64))
}

/// An error answer: the OAuth2 `error` code becomes the kind, the `error_description` (with
/// every secret we sent scrubbed from it) the message.
pub(super) fn parse_refusal(
    vendor: &'static str,
    what: &str,
    status: u16,
    body: &[u8],
    sent: &[&Secret],
) -> Error {
    let value: Option<Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| {
        value
            .as_ref()
            .and_then(|v| v.get(name))
            .and_then(Value::as_str)
            .map(|s| scrub(s, sent))
            .filter(|s| !s.is_empty())
    };
    match field("error") {
        Some(code) => {
            let kind = TokenErrorKind::from_code(&code);
            let message = match field("error_description") {
                Some(description) => format!(
                    "the token endpoint refused the {what}: {code}: {description} (HTTP {status})"
                ),
                None => format!("the token endpoint refused the {what}: {code} (HTTP {status})"),
            };
            auth_error(vendor, AuthErrorKind::TokenEndpoint(kind), message)
        }
        None => auth_error(
            vendor,
            AuthErrorKind::InvalidResponse,
            format!(
                "the token endpoint answered HTTP {status} to the {what}, without an OAuth2 error"
            ),
        ),
    }
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub(super) fn form_urlencode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn answers_are_parsed_leniently() {
        let parse = |body: &str| parse_tokens("t", body.as_bytes(), at(100), at(101));
        let tokens = parse(
            r#"{"access_token":"a","token_type":"bearer","expires_in":"600","refresh_token":"r"}"#,
        )
        .unwrap();
        assert_eq!(tokens.expires_at, Some(at(700)));
        assert_eq!(tokens.issued_at, Some(at(101)));
        assert_eq!(tokens.refresh_token, Some(Secret::from("r")));
        let tokens =
            parse(r#"{"access_token":"a","token_type":"Bearer","expires_in":3600.0}"#).unwrap();
        assert_eq!(tokens.expires_at, Some(at(3700)));
        assert_eq!(tokens.refresh_token, None);
        for unknown in [r#""soon""#, "0", "-5", "null", r#""""#] {
            let body = format!(r#"{{"access_token":"a","expires_in":{unknown}}}"#);
            assert_eq!(parse(&body).unwrap().expires_at, None, "{unknown}");
        }
        assert_eq!(parse(r#"{"access_token":"a"}"#).unwrap().expires_at, None);
    }

    #[test]
    fn bad_answers_are_refused_without_showing_them() {
        for body in [
            "<html>maintenance</html>",
            r#"{"token_type":"bearer","refresh_token":"s3cret"}"#,
            r#"{"access_token":"s3cret","token_type":"mac"}"#,
        ] {
            let err = parse_tokens("t", body.as_bytes(), at(0), at(0)).unwrap_err();
            assert_eq!(err.auth_kind(), Some(&AuthErrorKind::InvalidResponse));
            assert!(!err.to_string().contains("s3cret"), "{err}");
        }
    }

    #[test]
    fn refusals_are_typed_and_scrubbed() {
        let token = Secret::from("rt-secret");
        let err = parse_refusal(
            "vendor",
            "refresh token",
            400,
            br#"{"error":"invalid_grant","error_description":"Refresh token rt-secret is invalid."}"#,
            &[&token],
        );
        assert_eq!(
            err.auth_kind(),
            Some(&AuthErrorKind::TokenEndpoint(TokenErrorKind::InvalidGrant))
        );
        assert_eq!(
            err.to_string(),
            "vendor: authentication failed: the token endpoint refused the refresh token: invalid_grant: Refresh token [redacted] is invalid. (HTTP 400)"
        );
        let err = parse_refusal("vendor", "refresh token", 502, b"<html>", &[]);
        assert_eq!(err.auth_kind(), Some(&AuthErrorKind::InvalidResponse));
    }

    #[test]
    fn form_encoding_follows_the_html_rules() {
        assert_eq!(form_urlencode("a b+c/é:~"), "a+b%2Bc%2F%C3%A9%3A%7E");
    }
}
