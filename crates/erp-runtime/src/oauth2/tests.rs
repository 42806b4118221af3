//! Behaviour of OAuth2 sessions against an in-process token server over real TCP. Expiry is
//! driven by a [`ManualClock`]; nothing sleeps except where a test needs requests to overlap.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use futures::future::BoxFuture;

use super::*;
use crate::auth::{Auth, AuthContext, AuthTarget};
use crate::oauth2::store::tests::TempDir;
use crate::test_server::{Reply, Seen, get_item, serve};

const START: u64 = 1_700_000_000;
const CLIENT_SECRET: &str = "cs-SECRET";

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(UNIX_EPOCH + Duration::from_secs(START)))
}

type Respond = dyn Fn(usize, &Seen) -> Reply + Send + Sync;

/// A token endpoint that records what it was sent and answers with `respond(n, request)`,
/// `n` counting calls from 1.
struct TokenServer {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl TokenServer {
    async fn start(respond: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_logging(respond, Arc::default()).await
    }

    /// Also appends `token <grant_type>` to `events`.
    async fn start_logging(
        respond: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static,
        events: Arc<Mutex<Vec<String>>>,
    ) -> Self {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = Arc::clone(&seen);
        let respond: Arc<Respond> = Arc::new(respond);
        let addr = serve(move |request| {
            let n = {
                let mut log = log.lock().unwrap();
                log.push(request.clone());
                log.len()
            };
            let grant = request.form("grant_type").unwrap_or_default();
            events.lock().unwrap().push(format!("token {grant}"));
            respond(n, &request)
        })
        .await;
        TokenServer {
            url: format!("http://{addr}/oauth2/token"),
            seen,
        }
    }

    fn calls(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    fn request(&self, n: usize) -> Seen {
        self.seen.lock().unwrap()[n - 1].clone()
    }
}

/// Issues `at-SECRET-n` and `rt-SECRET-n` on the nth call, `expires_in` as a string as some
/// servers send it.
fn issuing(n: usize, _: &Seen) -> Reply {
    Reply::json(
        200,
        format!(
            r#"{{"access_token":"at-SECRET-{n}","token_type":"bearer","expires_in":"600","refresh_token":"rt-SECRET-{n}"}}"#
        ),
    )
}

fn config(server: &TokenServer) -> OAuth2Config {
    OAuth2Config::new("test", &server.url, "client-1").client_secret(CLIENT_SECRET)
}

fn seeded(refresh: &str) -> MemoryTokenStore {
    MemoryTokenStore::with_tokens(TokenSet::from_refresh_token(refresh))
}

fn session(config: OAuth2Config, store: impl TokenStore, clock: &Arc<ManualClock>) -> OAuth2 {
    OAuth2::builder(config)
        .store(store)
        .clock(Arc::clone(clock))
        .build()
        .unwrap()
}

fn ctx() -> AuthContext {
    AuthContext {
        http: reqwest::Client::new(),
        vendor: "test",
    }
}

async fn bearer(auth: &OAuth2) -> Result<String, crate::Error> {
    let mut target = AuthTarget::default();
    auth.authorize(&ctx(), &mut target).await?;
    let value = &target.headers[reqwest::header::AUTHORIZATION];
    assert!(value.is_sensitive());
    Ok(value.to_str().unwrap().to_owned())
}

fn sent(bearer: &str) -> AuthTarget {
    let mut target = AuthTarget::default();
    target.headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(bearer).unwrap(),
    );
    target
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_callers_cause_exactly_one_token_request() {
    // The answer is slow so that all callers are waiting while it is under way.
    let server = TokenServer::start(|n, s| issuing(n, s).delayed(Duration::from_millis(150))).await;
    let auth = session(config(&server), seeded("rt-SECRET-0"), &clock());
    let callers: Vec<_> = (0..20)
        .map(|_| {
            let auth = auth.clone();
            tokio::spawn(async move { bearer(&auth).await })
        })
        .collect();
    for caller in callers {
        assert_eq!(caller.await.unwrap().unwrap(), "Bearer at-SECRET-1");
    }
    assert_eq!(server.calls(), 1);
    let request = server.request(1);
    assert_eq!(request.form("grant_type").as_deref(), Some("refresh_token"));
    assert_eq!(
        request.form("refresh_token").as_deref(),
        Some("rt-SECRET-0")
    );
    assert_eq!(
        request.form("client_secret").as_deref(),
        Some(CLIENT_SECRET)
    );
    assert_eq!(request.header("authorization"), None);
    assert!(
        request
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
    );
}

#[tokio::test]
async fn tokens_refresh_proactively_before_expiry_and_rotate() {
    let server = TokenServer::start(issuing).await;
    let clock = clock();
    let auth = session(config(&server), seeded("rt-SECRET-0"), &clock);
    assert_eq!(bearer(&auth).await.unwrap(), "Bearer at-SECRET-1");
    clock.advance(Duration::from_secs(560));
    assert_eq!(bearer(&auth).await.unwrap(), "Bearer at-SECRET-1");
    assert_eq!(server.calls(), 1);
    // 575 s: within the 30 s skew of the 600 s lifetime.
    clock.advance(Duration::from_secs(15));
    assert_eq!(bearer(&auth).await.unwrap(), "Bearer at-SECRET-2");
    assert_eq!(server.calls(), 2);
    // The rotated refresh token replaced the first one.
    assert_eq!(
        server.request(2).form("refresh_token").as_deref(),
        Some("rt-SECRET-1")
    );
}

#[tokio::test]
async fn the_minimum_refresh_interval_is_respected() {
    let server = TokenServer::start(|n, _| {
        Reply::json(
            200,
            format!(r#"{{"access_token":"at-{n}","expires_in":100,"refresh_token":"rt-{n}"}}"#),
        )
    })
    .await;
    let clock = clock();
    let config = config(&server).min_refresh_interval(Duration::from_secs(570));
    let auth = session(config, seeded("rt-0"), &clock);
    assert_eq!(bearer(&auth).await.unwrap(), "Bearer at-1");
    // Due (inside the skew) but not allowed: the still valid token is used.
    clock.advance(Duration::from_secs(80));
    assert_eq!(bearer(&auth).await.unwrap(), "Bearer at-1");
    // Expired and still not allowed: a clear error, and no token request.
    clock.advance(Duration::from_secs(30));
    let err = bearer(&auth).await.unwrap_err();
    assert!(
        matches!(
            err.auth_kind(),
            Some(AuthErrorKind::RefreshTooSoon { retry_at })
                if *retry_at >= UNIX_EPOCH + Duration::from_secs(START + 570)
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("every 570 s"), "{err}");
    assert_eq!(server.calls(), 1);
    clock.advance(Duration::from_secs(461));
    assert_eq!(bearer(&auth).await.unwrap(), "Bearer at-2");
}

#[tokio::test]
async fn invalidating_a_stale_token_does_not_refresh_again() {
    let server = TokenServer::start(issuing).await;
    let auth = session(config(&server), seeded("rt-SECRET-0"), &clock());
    assert_eq!(bearer(&auth).await.unwrap(), "Bearer at-SECRET-1");
    assert!(auth.invalidate(&sent("Bearer at-SECRET-1")).await);
    assert_eq!(bearer(&auth).await.unwrap(), "Bearer at-SECRET-2");
    assert_eq!(server.calls(), 2);
    // A request that went out with the old token comes back 401 late: the newer token stays,
    // and a retry (with it) may help.
    assert!(auth.invalidate(&sent("Bearer at-SECRET-1")).await);
    assert_eq!(bearer(&auth).await.unwrap(), "Bearer at-SECRET-2");
    assert_eq!(server.calls(), 2);
    // Credentials that are not ours at all cannot be renewed.
    assert!(!auth.invalidate(&AuthTarget::default()).await);
}

#[tokio::test]
async fn a_401_from_the_vendor_refreshes_once_and_retries() {
    let server = TokenServer::start(issuing).await;
    let api = serve(|seen| match seen.header("authorization") {
        Some("Bearer at-SECRET-2") => Reply::json(200, r#"{"ok":true}"#),
        _ => Reply::json(401, r#"{"message":"token expired"}"#),
    })
    .await;
    let auth = session(config(&server), seeded("rt-SECRET-0"), &clock());
    let client = crate::test_server::client(api, auth);
    let body: serde_json::Value = client
        .item(get_item(), crate::Request::new())
        .await
        .unwrap();
    assert_eq!(body["ok"], true);
    assert_eq!(server.calls(), 2);
}

#[tokio::test]
async fn a_token_without_expiry_is_refreshed_only_when_rejected() {
    let server = TokenServer::start(|n, _| {
        Reply::json(
            200,
            format!(r#"{{"access_token":"at-{n}","refresh_token":"rt-{n}"}}"#),
        )
    })
    .await;
    let clock = clock();
    let auth = session(config(&server), seeded("rt-0"), &clock);
    assert_eq!(bearer(&auth).await.unwrap(), "Bearer at-1");
    clock.advance(Duration::from_secs(365 * 24 * 3600));
    assert_eq!(bearer(&auth).await.unwrap(), "Bearer at-1");
    assert!(auth.invalidate(&sent("Bearer at-1")).await);
    assert_eq!(bearer(&auth).await.unwrap(), "Bearer at-2");
}

/// A store that logs each save (with the refresh token saved) into shared events, and can be
/// told to fail saves.
#[derive(Debug, Default)]
struct Recording {
    inner: MemoryTokenStore,
    events: Arc<Mutex<Vec<String>>>,
    failing_saves: AtomicUsize,
}

impl TokenStore for Recording {
    fn load(&self) -> BoxFuture<'_, std::io::Result<Option<TokenSet>>> {
        self.inner.load()
    }

    fn save<'a>(&'a self, tokens: &'a TokenSet) -> BoxFuture<'a, std::io::Result<()>> {
        let refresh = tokens
            .refresh_token
            .as_ref()
            .map(|t| t.expose().to_owned())
            .unwrap_or_default();
        if self
            .failing_saves
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            self.events
                .lock()
                .unwrap()
                .push(format!("save {refresh} failed"));
            return Box::pin(async { Err(std::io::Error::other("disk full")) });
        }
        self.events.lock().unwrap().push(format!("save {refresh}"));
        self.inner.save(tokens)
    }
}

#[tokio::test]
async fn rotated_tokens_are_saved_before_they_are_used() {
    let events: Arc<Mutex<Vec<String>>> = Arc::default();
    let server = TokenServer::start_logging(issuing, Arc::clone(&events)).await;
    let api_events = Arc::clone(&events);
    let api = serve(move |seen| {
        let token = seen.header("authorization").unwrap_or_default().to_owned();
        api_events.lock().unwrap().push(format!("api {token}"));
        Reply::json(200, "{}")
    })
    .await;
    let store = Arc::new(Recording {
        inner: seeded("rt-SECRET-0"),
        events: Arc::clone(&events),
        failing_saves: AtomicUsize::new(1),
    });
    let auth = session(config(&server), Arc::clone(&store), &clock());
    let client = crate::test_server::client(api, auth);

    // The first save fails: the request fails, and the new token is not used.
    let err = client
        .item::<serde_json::Value>(get_item(), crate::Request::new())
        .await
        .unwrap_err();
    assert_eq!(err.auth_kind(), Some(&AuthErrorKind::Store), "{err:?}");
    assert!(err.to_string().contains("disk full"), "{err}");
    // The next request saves the kept tokens first, without another token request.
    let _: serde_json::Value = client
        .item(get_item(), crate::Request::new())
        .await
        .unwrap();
    assert_eq!(
        *events.lock().unwrap(),
        [
            "token refresh_token",
            "save rt-SECRET-1 failed",
            "save rt-SECRET-1",
            "api Bearer at-SECRET-1",
        ]
    );
    assert_eq!(
        store.load().await.unwrap().unwrap().refresh_token,
        Some(Secret::from("rt-SECRET-1"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_file_refresh_once_between_them() {
    let dir = TempDir::new("oauth2-file");
    let path = dir.0.join("tokens.json");
    let expired = TokenSet::new("at-SECRET-0")
        .refresh_token("rt-SECRET-0")
        .issued_at(UNIX_EPOCH + Duration::from_secs(START - 700))
        .expires_at(UNIX_EPOCH + Duration::from_secs(START - 100));
    FileTokenStore::new(&path).save(&expired).await.unwrap();
    let server = TokenServer::start(|n, s| issuing(n, s).delayed(Duration::from_millis(150))).await;
    let clock = clock();
    // Two sessions as two processes would have them: separate caches, separate file handles.
    let first = session(config(&server), FileTokenStore::new(&path), &clock);
    let second = session(config(&server), FileTokenStore::new(&path), &clock);
    let (a, b) = tokio::join!(
        tokio::spawn(async move { bearer(&first).await }),
        tokio::spawn(async move { bearer(&second).await })
    );
    assert_eq!(a.unwrap().unwrap(), "Bearer at-SECRET-1");
    assert_eq!(b.unwrap().unwrap(), "Bearer at-SECRET-1");
    assert_eq!(server.calls(), 1);
    let text = std::fs::read_to_string(&path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["access_token"], "at-SECRET-1");
    assert_eq!(json["refresh_token"], "rt-SECRET-1");
    assert_eq!(json["expires_at"], START + 600);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn invalid_grant_is_typed_and_not_retried_with_the_same_token() {
    let server = TokenServer::start(|_, _| {
        Reply::json(
            400,
            r#"{"error":"invalid_grant","error_description":"Refresh token is invalid."}"#,
        )
    })
    .await;
    let auth = session(config(&server), seeded("rt-SECRET-0"), &clock());
    let err = bearer(&auth).await.unwrap_err();
    assert_eq!(
        err.auth_kind(),
        Some(&AuthErrorKind::TokenEndpoint(TokenErrorKind::InvalidGrant))
    );
    assert_eq!(
        err.to_string(),
        "test: authentication failed: the token endpoint refused the refresh token: invalid_grant: Refresh token is invalid. (HTTP 400)"
    );
    let again = bearer(&auth).await.unwrap_err();
    assert_eq!(again.auth_kind(), err.auth_kind());
    assert_eq!(
        server.calls(),
        1,
        "a refused refresh token is not sent twice"
    );
}

#[tokio::test]
async fn without_tokens_the_authorization_code_flow_is_asked_for() {
    let server = TokenServer::start(issuing).await;
    let auth = session(config(&server), MemoryTokenStore::new(), &clock());
    let err = bearer(&auth).await.unwrap_err();
    assert_eq!(err.auth_kind(), Some(&AuthErrorKind::NotAuthorized));
    assert_eq!(server.calls(), 0);
}

#[tokio::test]
async fn client_credentials_buy_each_token_with_basic_client_auth() {
    let server = TokenServer::start(issuing).await;
    let config = config(&server)
        .flow(Flow::ClientCredentials)
        .client_auth(ClientAuth::BasicHeader)
        .scope("read")
        .scope("write");
    let auth = session(config, MemoryTokenStore::new(), &clock());
    assert_eq!(bearer(&auth).await.unwrap(), "Bearer at-SECRET-1");
    let request = server.request(1);
    assert_eq!(
        request.form("grant_type").as_deref(),
        Some("client_credentials")
    );
    assert_eq!(request.form("scope").as_deref(), Some("read write"));
    assert_eq!(request.form("client_secret"), None);
    // base64("client-1:cs-SECRET")
    assert_eq!(
        request.header("authorization"),
        Some("Basic Y2xpZW50LTE6Y3MtU0VDUkVU")
    );
}

#[tokio::test]
async fn a_caller_giving_up_does_not_cancel_the_refresh() {
    let server = TokenServer::start(|n, s| issuing(n, s).delayed(Duration::from_millis(200))).await;
    let store = Arc::new(seeded("rt-SECRET-0"));
    let auth = session(config(&server), Arc::clone(&store), &clock());
    let gave_up = tokio::time::timeout(Duration::from_millis(20), bearer(&auth)).await;
    assert!(gave_up.is_err());
    tokio::time::sleep(Duration::from_millis(400)).await;
    // The rotated refresh token was saved although nobody waited for it.
    assert_eq!(
        store.load().await.unwrap().unwrap().refresh_token,
        Some(Secret::from("rt-SECRET-1"))
    );
    assert_eq!(bearer(&auth).await.unwrap(), "Bearer at-SECRET-1");
    assert_eq!(server.calls(), 1);
}

fn code_flow_config(server: &TokenServer, redirect_uri: &str) -> OAuth2Config {
    config(server)
        .authorize_url("https://login.example.com/oauth2/auth?prompt=consent")
        .redirect_uri(redirect_uri)
        .scope("accounts")
}

fn query_param(url: &str, name: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn the_code_exchange_checks_state_and_sends_the_pkce_verifier() {
    let server = TokenServer::start(issuing).await;
    let auth = session(
        code_flow_config(&server, "https://app.example.com/cb"),
        MemoryTokenStore::new(),
        &clock(),
    );
    let request = auth.authorization_request(Pkce::S256).unwrap();
    let url = request.url();
    assert!(url.starts_with("https://login.example.com/oauth2/auth?prompt=consent&response_type=code&client_id=client-1&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&scope=accounts&state="), "{url}");
    let state = query_param(url, "state").unwrap();
    assert_eq!(state.len(), 22);
    let challenge = query_param(url, "code_challenge").unwrap();
    // A second request gets a new state.
    let other = auth.authorization_request(Pkce::Disabled).unwrap();
    assert_ne!(query_param(other.url(), "state").unwrap(), state);
    assert_eq!(query_param(other.url(), "code_challenge"), None);

    let err = auth
        .exchange_code(&request, "code-SECRET", "forged")
        .await
        .unwrap_err();
    assert_eq!(err.auth_kind(), Some(&AuthErrorKind::Authorization));
    assert_eq!(server.calls(), 0);

    auth.exchange_code(&request, "code-SECRET", &state)
        .await
        .unwrap();
    let sent = server.request(1);
    assert_eq!(
        sent.form("grant_type").as_deref(),
        Some("authorization_code")
    );
    assert_eq!(sent.form("code").as_deref(), Some("code-SECRET"));
    assert_eq!(
        sent.form("redirect_uri").as_deref(),
        Some("https://app.example.com/cb")
    );
    let verifier = sent.form("code_verifier").unwrap();
    assert_eq!(verifier.len(), 43);
    assert_eq!(
        crate::base64::encode_url(&flow::sha256(verifier.as_bytes())),
        challenge
    );
    assert_eq!(bearer(&auth).await.unwrap(), "Bearer at-SECRET-1");
}

/// Plays the browser: follows the authorization URL's redirect_uri with `query`, after a
/// stray request for another path. Returns the HTML page the loopback server answered.
fn browser(
    query: impl Fn(&str) -> String + Send + 'static,
) -> (
    impl FnOnce(&str) + Send,
    tokio::sync::oneshot::Receiver<String>,
) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let show = move |url: &str| {
        let redirect = query_param(url, "redirect_uri").unwrap();
        let state = query_param(url, "state").unwrap();
        let target = format!("{redirect}?{}", query(&state));
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let origin = reqwest::Url::parse(&redirect).unwrap();
            let stray = origin.join("/favicon.ico").unwrap();
            assert_eq!(http.get(stray).send().await.unwrap().status(), 404);
            let page = http.get(target).send().await.unwrap().text().await.unwrap();
            let _ = tx.send(page);
        });
    };
    (show, rx)
}

#[tokio::test]
async fn the_loopback_redirect_completes_a_login() {
    let server = TokenServer::start(issuing).await;
    let auth = session(
        code_flow_config(&server, "http://127.0.0.1:0/callback"),
        MemoryTokenStore::new(),
        &clock(),
    );
    let (show, page) = browser(|state| format!("code=code-SECRET&state={state}"));
    auth.run_loopback_redirect(Pkce::S256, Duration::from_secs(10), show)
        .await
        .unwrap();
    assert!(page.await.unwrap().contains("Signed in"));
    let sent = server.request(1);
    assert_eq!(sent.form("code").as_deref(), Some("code-SECRET"));
    let redirect = sent.form("redirect_uri").unwrap();
    assert!(
        redirect.starts_with("http://127.0.0.1:") && redirect.ends_with("/callback"),
        "{redirect}"
    );
    assert!(!redirect.contains(":0/"));
    assert_eq!(bearer(&auth).await.unwrap(), "Bearer at-SECRET-1");
}

#[tokio::test]
async fn the_loopback_redirect_reports_a_denial_and_a_forged_state() {
    let server = TokenServer::start(issuing).await;
    let auth = session(
        code_flow_config(&server, "http://127.0.0.1:0/callback"),
        MemoryTokenStore::new(),
        &clock(),
    );
    let (show, page) = browser(|_| "error=access_denied&error_description=User+said+<no>".into());
    let err = auth
        .run_loopback_redirect(Pkce::S256, Duration::from_secs(10), show)
        .await
        .unwrap_err();
    assert_eq!(err.auth_kind(), Some(&AuthErrorKind::Authorization));
    assert!(
        err.to_string()
            .contains("answered `access_denied`: User said <no>"),
        "{err}"
    );
    assert!(page.await.unwrap().contains("User said &lt;no&gt;"));

    let (show, _page) = browser(|_| "code=code-SECRET&state=forged".into());
    let err = auth
        .run_loopback_redirect(Pkce::S256, Duration::from_secs(10), show)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("`state`"), "{err}");
    assert_eq!(server.calls(), 0);

    let err = auth
        .run_loopback_redirect(Pkce::S256, Duration::from_millis(50), |_| {})
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no authorization redirect"),
        "{err}"
    );
}

#[tokio::test]
async fn configuration_mistakes_are_caught_early() {
    for (config, expected) in [
        (
            OAuth2Config::new("test", "http://login.example.com/token", "c"),
            "token_url must use https",
        ),
        (
            OAuth2Config::new("test", "https://login.example.com/token", ""),
            "client_id is empty",
        ),
        (
            OAuth2Config::new("test", "https://login.example.com/token", "c")
                .authorize_url("ftp://login.example.com/auth"),
            "authorize_url must use https",
        ),
    ] {
        let err = OAuth2::new(config).unwrap_err();
        assert_eq!(err.auth_kind(), Some(&AuthErrorKind::Config));
        assert!(err.to_string().contains(expected), "{err}");
    }
    let auth = OAuth2::new(
        OAuth2Config::new("test", "https://login.example.com/token", "c")
            .redirect_uri("https://app.example.com/cb"),
    )
    .unwrap();
    let err = auth
        .run_loopback_redirect(Pkce::S256, Duration::from_secs(1), |_| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("http://127.0.0.1:PORT/"), "{err}");
    let err = auth.authorization_request(Pkce::S256).unwrap_err();
    assert!(err.to_string().contains("authorize_url"), "{err}");
}

#[tokio::test]
async fn no_secret_appears_in_debug_or_display() {
    // A server that quotes the grant it refuses in its description.
    let server = TokenServer::start(|_, seen| {
        let grant = seen.form("refresh_token").or(seen.form("code"));
        let description = format!("{} was revoked", grant.unwrap_or_default());
        let body = serde_json::json!({"error": "invalid_grant", "error_description": description});
        Reply::json(400, body.to_string())
    })
    .await;
    let dir = TempDir::new("oauth2-debug");
    let tokens = TokenSet::new("at-SECRET-0").refresh_token("rt-SECRET-0");
    let file = FileTokenStore::new(dir.0.join("t.json"));
    file.save(&tokens).await.unwrap();
    let config = code_flow_config(&server, "http://127.0.0.1:0/cb");
    let memory = session(config.clone(), seeded("rt-SECRET-0"), &clock());
    let filed = session(config.clone(), file.clone(), &clock());
    let request = memory.authorization_request(Pkce::S256).unwrap();
    let refused = bearer(&memory).await.unwrap_err();
    let exchange = memory
        .exchange_code(&request, "code-SECRET", request.state().expose())
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("[redacted] was revoked"),
        "{refused}"
    );
    assert!(
        exchange.to_string().contains("[redacted] was revoked"),
        "{exchange}"
    );
    let refused_again = filed.access_token().await;
    let shown = [
        format!("{config:?}"),
        format!("{memory:?}"),
        format!("{filed:?}"),
        format!("{tokens:?}"),
        format!("{file:?}"),
        format!("{:?}", MemoryTokenStore::with_tokens(tokens.clone())),
        format!("{request:?}"),
        format!("{refused} {refused:?}"),
        format!("{exchange} {exchange:?}"),
        format!("{refused_again:?}"),
    ];
    for text in shown {
        assert!(!text.contains("SECRET"), "{text}");
    }
    assert!(!format!("{request:?}").contains(request.state().expose()));
}
