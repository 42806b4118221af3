//! Unit tests of the authorization server, with time moved by hand.

use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, header};
use serde_json::Value;

use super::*;

const REDIRECT: &str = "http://127.0.0.1:8765/callback";
/// base64("sandbox-acme-client-id:sandbox-acme-client-secret")
const BASIC_OK: &str = "Basic c2FuZGJveC1hY21lLWNsaWVudC1pZDpzYW5kYm94LWFjbWUtY2xpZW50LXNlY3JldA==";
/// base64("sandbox-acme-client-id:wrong")
const BASIC_WRONG: &str = "Basic c2FuZGJveC1hY21lLWNsaWVudC1pZDp3cm9uZw==";

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Settings like a typical vendor's: 600 s access tokens, 30-day rotating refresh tokens.
fn settings() -> OAuthSettings {
    let mut settings = OAuthSettings::for_vendor("acme", "/api/oauth2/auth", "/api/oauth2/token");
    settings.access_token_lifetime = secs(600);
    settings.refresh_token_lifetime = Some(secs(30 * 24 * 3600));
    settings.grant_types = GrantType::ALL.to_vec();
    settings
}

fn server() -> OAuthServer {
    OAuthServer::new(settings())
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn header_value<'r>(reply: &'r Reply, name: &str) -> Option<&'r str> {
    reply
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The query pairs of a redirect's `Location`.
fn location_query(reply: &Reply) -> Vec<(String, String)> {
    let location = header_value(reply, "Location").expect("Location");
    let query = location.split_once('?').map_or("", |(_, q)| q);
    serde_urlencoded::from_str(query).expect("query")
}

fn query_value(query: &[(String, String)], name: &str) -> Option<String> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

fn authorize_query(redirect_uri: &str) -> Vec<(String, String)> {
    pairs(&[
        ("response_type", "code"),
        ("client_id", "sandbox-acme-client-id"),
        ("redirect_uri", redirect_uri),
        ("state", "xyz 1"),
    ])
}

/// Authorizes with [`REDIRECT`] and answers the code.
fn code(server: &OAuthServer, now: SystemTime) -> String {
    let reply = server.authorize(&authorize_query(REDIRECT), now);
    assert_eq!(reply.status, 302, "{reply:?}");
    let query = location_query(&reply);
    assert_eq!(query_value(&query, "state").as_deref(), Some("xyz 1"));
    query_value(&query, "code").expect("code")
}

fn form_headers(authorization: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        "application/x-www-form-urlencoded".parse().expect("value"),
    );
    if let Some(value) = authorization {
        headers.insert(header::AUTHORIZATION, value.parse().expect("value"));
    }
    headers
}

fn form(list: &[(&str, &str)]) -> Vec<u8> {
    serde_urlencoded::to_string(list)
        .expect("form")
        .into_bytes()
}

const CLIENT: [(&str, &str); 2] = [
    ("client_id", "sandbox-acme-client-id"),
    ("client_secret", "sandbox-acme-client-secret"),
];

/// A token request authenticated in the body.
fn token(server: &OAuthServer, list: &[(&str, &str)], now: SystemTime) -> Reply {
    let mut all = list.to_vec();
    all.extend(CLIENT);
    server.token(&form_headers(None), &form(&all), now)
}

fn exchange(server: &OAuthServer, code: &str, now: SystemTime) -> Reply {
    token(
        server,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
        ],
        now,
    )
}

fn refresh(server: &OAuthServer, refresh_token: &str, now: SystemTime) -> Reply {
    token(
        server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
        now,
    )
}

/// `(access_token, refresh_token)` of a successful token answer.
fn tokens(reply: &Reply) -> (String, String) {
    assert_eq!(reply.status, 200, "{reply:?}");
    let body = reply.json_value();
    let text = |name: &str| body[name].as_str().unwrap_or_default().to_owned();
    (text("access_token"), text("refresh_token"))
}

fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("value"),
    );
    headers
}

fn error_of(reply: &Reply) -> (u16, String) {
    let body = reply.json_value();
    (
        reply.status,
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

fn invalid(reply: &Reply, status: u16, error: &str) {
    assert_eq!(error_of(reply), (status, error.to_owned()), "{reply:?}");
    assert!(reply.json_value()["error_description"].is_string());
}

#[test]
fn full_dance() {
    let server = server();
    let now = t0();
    let answer = exchange(&server, &code(&server, now), now);
    assert_eq!(header_value(&answer, "Cache-Control"), Some("no-store"));
    let body = answer.json_value();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 600);
    let (access, first_refresh) = tokens(&answer);
    assert!(access.len() >= 32 && first_refresh.len() >= 32 && access != first_refresh);

    assert_eq!(
        server.check_bearer(&bearer(&access), now + secs(599)),
        Ok(())
    );
    let expired = server.check_bearer(&bearer(&access), now + secs(600));
    assert_eq!(expired, Err(Rejection::Expired));

    let later = now + secs(601);
    let (access2, second_refresh) = tokens(&refresh(&server, &first_refresh, later));
    assert_ne!(second_refresh, first_refresh, "refresh tokens rotate");
    assert_eq!(server.check_bearer(&bearer(&access2), later), Ok(()));
    invalid(
        &refresh(&server, &first_refresh, later),
        400,
        "invalid_grant",
    );

    server.revoke_access_tokens();
    let revoked = server.check_bearer(&bearer(&access2), later);
    assert_eq!(revoked, Err(Rejection::Revoked));
    let (access3, _) = tokens(&refresh(&server, &second_refresh, later));
    assert_eq!(server.check_bearer(&bearer(&access3), later), Ok(()));

    let counters = server.counters();
    assert_eq!(counters.codes_issued, 1);
    assert_eq!(counters.token_requests.authorization_code, 1);
    assert_eq!(counters.token_requests.refresh_token, 3);
    assert_eq!((counters.refreshes, counters.token_errors), (2, 1));
    assert_eq!((counters.bearer_accepted, counters.bearer_rejected), (3, 2));
}

#[test]
fn answer_members_come_in_order_and_expires_in_may_be_a_string() {
    let mut settings = settings();
    settings.expires_in_as_string = true;
    let server = OAuthServer::new(settings);
    let answer = exchange(&server, &code(&server, t0()), t0());
    let crate::reply::Body::Json(text) = &answer.body else {
        panic!("not JSON: {answer:?}");
    };
    let order: Vec<usize> = ["access_token", "token_type", "expires_in", "refresh_token"]
        .iter()
        .map(|name| text.find(&format!("\"{name}\"")).expect("member"))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert_eq!(answer.json_value()["expires_in"], "600");
}

#[test]
fn bad_client_credentials() {
    let server = server();
    let now = t0();
    let grant = [("grant_type", "client_credentials")];
    let wrong_secret = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", "sandbox-acme-client-id"),
        ("client_secret", "nope"),
    ]);
    let reply = server.token(&form_headers(None), &wrong_secret, now);
    invalid(&reply, 401, "invalid_client");
    assert_eq!(header_value(&reply, "WWW-Authenticate"), None);
    assert_eq!(header_value(&reply, "Cache-Control"), Some("no-store"));

    let reply = server.token(&form_headers(Some(BASIC_WRONG)), &form(&grant), now);
    invalid(&reply, 401, "invalid_client");
    assert!(header_value(&reply, "WWW-Authenticate").is_some_and(|v| v.starts_with("Basic")));

    let unknown = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", "someone-else"),
        ("client_secret", "sandbox-acme-client-secret"),
    ]);
    invalid(
        &server.token(&form_headers(None), &unknown, now),
        401,
        "invalid_client",
    );
    invalid(
        &server.token(&form_headers(None), &form(&grant), now),
        401,
        "invalid_client",
    );
    let bearer_header = form_headers(Some("Bearer abc"));
    invalid(
        &server.token(&bearer_header, &form(&grant), now),
        401,
        "invalid_client",
    );
    assert_eq!(server.counters().access_tokens_issued, 0);
}

#[test]
fn basic_and_body_client_authentication() {
    let server = server();
    let now = t0();
    let grant = [("grant_type", "client_credentials")];
    let by_basic = server.token(&form_headers(Some(BASIC_OK)), &form(&grant), now);
    assert_eq!(by_basic.status, 200, "{by_basic:?}");
    assert_eq!(token(&server, &grant, now).status, 200);

    // The body may repeat the id, but not add a second authentication method.
    let with_id = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", "sandbox-acme-client-id"),
    ]);
    assert_eq!(
        server
            .token(&form_headers(Some(BASIC_OK)), &with_id, now)
            .status,
        200
    );
    let mut both = grant.to_vec();
    both.extend(CLIENT);
    let reply = server.token(&form_headers(Some(BASIC_OK)), &form(&both), now);
    invalid(&reply, 400, "invalid_request");

    let mut body_only = settings();
    body_only.client_auth.basic = false;
    let body_only = OAuthServer::new(body_only);
    let reply = body_only.token(&form_headers(Some(BASIC_OK)), &form(&both), now);
    invalid(&reply, 401, "invalid_client");
    assert_eq!(token(&body_only, &grant, now).status, 200);

    let mut basic_only = settings();
    basic_only.client_auth.form_body = false;
    let basic_only = OAuthServer::new(basic_only);
    invalid(&token(&basic_only, &grant, now), 401, "invalid_client");
    let reply = basic_only.token(&form_headers(Some(BASIC_OK)), &form(&grant), now);
    assert_eq!(reply.status, 200);
}

#[test]
fn redirect_uris_are_checked_before_anything_is_redirected() {
    let mut settings = settings();
    settings.redirect_uris = vec!["https://app.example/cb?tenant=1".to_owned()];
    let server = OAuthServer::new(settings);
    let now = t0();
    for uri in ["https://evil.example/cb", "http://127.0.0.1:1/cb#x"] {
        let reply = server.authorize(&authorize_query(uri), now);
        invalid(&reply, 400, "invalid_request");
        assert_eq!(header_value(&reply, "Location"), None);
    }
    let mut unknown_client = authorize_query(REDIRECT);
    unknown_client[1].1 = "someone-else".to_owned();
    let reply = server.authorize(&unknown_client, now);
    assert_eq!(
        (reply.status, header_value(&reply, "Location")),
        (400, None)
    );

    let listed = server.authorize(&authorize_query("https://app.example/cb?tenant=1"), now);
    let location = header_value(&listed, "Location").expect("Location");
    assert!(
        location.starts_with("https://app.example/cb?tenant=1&code="),
        "{location}"
    );
    let any_port = server.authorize(&authorize_query("http://localhost:40000/"), now);
    assert_eq!(any_port.status, 302);
}

#[test]
fn request_errors_redirect_with_error_and_state() {
    let server = server();
    let now = t0();
    let mut implicit = authorize_query(REDIRECT);
    implicit[0].1 = "token".to_owned();
    let reply = server.authorize(&implicit, now);
    assert_eq!(reply.status, 302);
    let query = location_query(&reply);
    let error = query_value(&query, "error");
    assert_eq!(error.as_deref(), Some("unsupported_response_type"));
    assert_eq!(query_value(&query, "state").as_deref(), Some("xyz 1"));
    assert!(query_value(&query, "code").is_none());

    let missing: Vec<_> = authorize_query(REDIRECT).into_iter().skip(1).collect();
    let query = location_query(&server.authorize(&missing, now));
    assert_eq!(
        query_value(&query, "error").as_deref(),
        Some("invalid_request")
    );

    let mut no_code_grant = settings();
    no_code_grant.grant_types = vec![GrantType::ClientCredentials];
    let reply = OAuthServer::new(no_code_grant).authorize(&authorize_query(REDIRECT), now);
    let query = location_query(&reply);
    assert_eq!(
        query_value(&query, "error").as_deref(),
        Some("unauthorized_client")
    );
}

#[test]
fn codes_are_single_use_bound_to_the_redirect_and_short_lived() {
    let server = server();
    let now = t0();
    let code1 = code(&server, now);
    let (access, refresh_token) = tokens(&exchange(&server, &code1, now));
    invalid(
        &exchange(&server, &code1, now + secs(1)),
        400,
        "invalid_grant",
    );
    // The reuse may come from a thief: what the first exchange issued is revoked.
    let revoked = server.check_bearer(&bearer(&access), now + secs(1));
    assert_eq!(revoked, Err(Rejection::Revoked));
    invalid(
        &refresh(&server, &refresh_token, now + secs(1)),
        400,
        "invalid_grant",
    );

    let code2 = code(&server, now);
    let other_redirect = token(
        &server,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code2),
            ("redirect_uri", "http://127.0.0.1:9999/callback"),
        ],
        now,
    );
    invalid(&other_redirect, 400, "invalid_grant");

    let code3 = code(&server, now);
    invalid(
        &exchange(&server, &code3, now + secs(60)),
        400,
        "invalid_grant",
    );
    let code4 = code(&server, now);
    assert_eq!(exchange(&server, &code4, now + secs(59)).status, 200);
    invalid(&exchange(&server, "made-up", now), 400, "invalid_grant");
}

#[test]
fn client_credentials_issue_no_refresh_token() {
    let server = server();
    let answer = token(&server, &[("grant_type", "client_credentials")], t0());
    let body = answer.json_value();
    assert_eq!(answer.status, 200);
    assert!(body.get("refresh_token").is_none());
    let access = body["access_token"].as_str().unwrap_or_default();
    assert_eq!(server.check_bearer(&bearer(access), t0()), Ok(()));

    let without = OAuthServer::new(OAuthSettings::for_vendor("acme", "/a", "/t"));
    let reply = token(&without, &[("grant_type", "client_credentials")], t0());
    invalid(&reply, 400, "unsupported_grant_type");
    invalid(
        &token(&without, &[("grant_type", "password")], t0()),
        400,
        "unsupported_grant_type",
    );
    invalid(&token(&without, &[], t0()), 400, "invalid_request");
    assert_eq!(without.counters().token_requests.other, 2);
}

#[test]
fn token_requests_must_be_forms() {
    let server = server();
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        "application/json".parse().expect("value"),
    );
    let reply = server.token(&headers, br#"{"grant_type":"client_credentials"}"#, t0());
    invalid(&reply, 400, "invalid_request");
    let twice = [
        ("grant_type", "client_credentials"),
        ("grant_type", "client_credentials"),
    ];
    invalid(&token(&server, &twice, t0()), 400, "invalid_request");
}

#[test]
fn refresh_tokens_without_rotation_stay_and_expire_with_their_lifetime() {
    let mut settings = settings();
    settings.rotate_refresh_tokens = false;
    settings.refresh_token_lifetime = Some(secs(3600));
    let server = OAuthServer::new(settings);
    let now = t0();
    let (_, refresh_token) = tokens(&exchange(&server, &code(&server, now), now));
    let (_, again) = tokens(&refresh(&server, &refresh_token, now + secs(10)));
    assert_eq!(again, refresh_token);
    assert_eq!(refresh(&server, &refresh_token, now + secs(20)).status, 200);
    invalid(
        &refresh(&server, &refresh_token, now + secs(3600)),
        400,
        "invalid_grant",
    );
}

#[test]
fn minimum_refresh_interval_is_switchable_and_yields_to_expiry() {
    let mut settings = settings();
    settings.refresh_min_interval = Some(secs(570));
    let server = OAuthServer::new(settings);
    let now = t0();
    let (_, refresh_token) = tokens(&exchange(&server, &code(&server, now), now));
    invalid(
        &refresh(&server, &refresh_token, now + secs(100)),
        400,
        "invalid_request",
    );
    // The refused request did not use up the refresh token.
    let (_, refresh_token) = tokens(&refresh(&server, &refresh_token, now + secs(570)));
    let soon = now + secs(600);
    invalid(
        &refresh(&server, &refresh_token, soon),
        400,
        "invalid_request",
    );
    server.expire_access_tokens(soon);
    let (_, refresh_token) = tokens(&refresh(&server, &refresh_token, soon));
    server.enforce_refresh_min_interval(false);
    assert_eq!(refresh(&server, &refresh_token, soon).status, 200);
}

#[test]
fn access_tokens_expire_on_demand() {
    let server = server();
    let now = t0();
    let (access, refresh_token) = tokens(&exchange(&server, &code(&server, now), now));
    server.expire_access_tokens_after(2);
    assert_eq!(server.check_bearer(&bearer(&access), now), Ok(()));
    assert_eq!(server.check_bearer(&bearer(&access), now), Ok(()));
    assert_eq!(
        server.check_bearer(&bearer(&access), now),
        Err(Rejection::Expired)
    );
    assert_eq!(
        server.check_bearer(&bearer(&access), now),
        Err(Rejection::Expired)
    );
    let (fresh, refresh_token) = tokens(&refresh(&server, &refresh_token, now));
    assert_eq!(server.check_bearer(&bearer(&fresh), now), Ok(()));

    server.expire_access_tokens(now + secs(5));
    let expired = server.check_bearer(&bearer(&fresh), now + secs(5));
    assert_eq!(expired, Err(Rejection::Expired));
    server.revoke_refresh_tokens(now);
    invalid(
        &refresh(&server, &refresh_token, now + secs(6)),
        400,
        "invalid_grant",
    );
}

#[test]
fn bearer_rejections() {
    let server = server();
    let now = t0();
    assert_eq!(
        server.check_bearer(&HeaderMap::new(), now),
        Err(Rejection::Missing)
    );
    let mut basic = HeaderMap::new();
    basic.insert(header::AUTHORIZATION, BASIC_OK.parse().expect("value"));
    assert_eq!(server.check_bearer(&basic, now), Err(Rejection::Malformed));
    let unknown = server.check_bearer(&bearer("0123456789abcdef"), now);
    assert_eq!(unknown, Err(Rejection::Unknown));
}

#[test]
fn purge_forgets_what_ended_long_ago() {
    let server = server();
    let now = t0();
    let (_, first) = tokens(&exchange(&server, &code(&server, now), now));
    tokens(&refresh(&server, &first, now));
    let _unused_code = code(&server, now);
    let remembered = server.remembered();
    assert_eq!(
        (
            remembered.codes,
            remembered.access_tokens,
            remembered.refresh_tokens
        ),
        (2, 2, 2)
    );
    server.purge(now + secs(61));
    assert_eq!(server.remembered().codes, 0);
    // Expired access tokens and the rotated refresh token are kept an hour for good messages.
    let late = now + secs(600) + store::RETENTION;
    server.purge(late - secs(1));
    assert_eq!(server.remembered().access_tokens, 2);
    server.purge(late);
    let remembered = server.remembered();
    assert_eq!(
        (remembered.access_tokens, remembered.refresh_tokens),
        (0, 1)
    );
    server.purge(now + secs(31 * 24 * 3600) + store::RETENTION);
    assert_eq!(server.remembered(), Remembered::default());
}

#[test]
fn maps_are_capped_oldest_first() {
    let server = server();
    server.store().max_entries = 3;
    let grant = [("grant_type", "client_credentials")];
    let first = tokens(&token(&server, &grant, t0())).0;
    for i in 1..5 {
        assert_eq!(token(&server, &grant, t0() + secs(i)).status, 200);
    }
    assert_eq!(server.remembered().access_tokens, 3);
    let forgotten = server.check_bearer(&bearer(&first), t0() + secs(5));
    assert_eq!(forgotten, Err(Rejection::Unknown));
}

#[test]
fn routing_reset_and_snapshot() {
    let server = server();
    let now = t0();
    let query = authorize_query(REDIRECT);
    let empty = HeaderMap::new();
    let authorize = server.handle("GET", "/api/oauth2/auth", &query, &empty, b"", now);
    assert_eq!(authorize.map(|r| r.status), Some(302));
    let wrong = server.handle("GET", "/api/oauth2/token", &[], &empty, b"", now);
    let wrong = wrong.expect("token path");
    assert_eq!(
        (wrong.status, header_value(&wrong, "Allow")),
        (405, Some("POST"))
    );
    assert!(
        server
            .handle("GET", "/api/v1/me", &[], &empty, b"", now)
            .is_none()
    );
    let body = form(&[("grant_type", "client_credentials")]);
    let token = server.handle(
        "POST",
        "/api/oauth2/token",
        &[],
        &form_headers(Some(BASIC_OK)),
        &body,
        now,
    );
    assert_eq!(token.map(|r| r.status), Some(200));

    let snapshot: Value = server.snapshot();
    assert_eq!(snapshot["token_requests"]["client_credentials"], 1);
    assert_eq!(snapshot["remembered"]["codes"], 1);
    server.expire_access_tokens_after(1);
    server.reset();
    assert_eq!(server.counters(), OAuthCounters::default());
    assert_eq!(server.remembered(), Remembered::default());
    assert_eq!(server.snapshot()["expire_access_tokens_after"], Value::Null);
}
