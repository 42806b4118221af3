//! The whole dance over real TCP: a small axum router serves the two endpoints and one
//! protected API path, and reqwest plays the client (redirects not followed, as a native app
//! reads the code from its loopback listener).

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::Value;

use super::*;

const API_PATH: &str = "/api/v1/me";

async fn serve(State(server): State<Arc<OAuthServer>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(parts.uri.query().unwrap_or_default()).unwrap_or_default();
    let now = SystemTime::now();
    let path = parts.uri.path();
    let method = parts.method.as_str();
    let reply = match server.handle(method, path, &query, &parts.headers, &body, now) {
        Some(reply) => reply,
        None if path == API_PATH => match server.check_bearer(&parts.headers, now) {
            Ok(()) => Reply::text(200, "hello"),
            Err(rejection) => Reply::text(401, rejection.description())
                .with_header("WWW-Authenticate", rejection.www_authenticate()),
        },
        None => Reply::text(404, "not found"),
    };
    reply.into_response()
}

struct Harness {
    base: String,
    http: reqwest::Client,
}

impl Harness {
    async fn token(&self, form: &[(&str, &str)]) -> (u16, Value, reqwest::header::HeaderMap) {
        let response = self
            .http
            .post(format!("{}/api/oauth2/token", self.base))
            .form(form)
            .send()
            .await
            .expect("token request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, response.json().await.expect("JSON"), headers)
    }

    async fn api(&self, access_token: &str) -> u16 {
        let response = self
            .http
            .get(format!("{}{API_PATH}", self.base))
            .bearer_auth(access_token)
            .send()
            .await
            .expect("API request");
        response.status().as_u16()
    }
}

fn text(body: &Value, name: &str) -> String {
    body[name].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn authorization_code_dance_over_tcp() {
    let mut settings = OAuthSettings::for_vendor("acme", "/api/oauth2/auth", "/api/oauth2/token");
    settings.access_token_lifetime = std::time::Duration::from_secs(600);
    let server = Arc::new(OAuthServer::new(settings));
    let router = Router::new()
        .fallback(serve)
        .with_state(Arc::clone(&server));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let task = tokio::spawn(async move { axum::serve(listener, router).await });
    let harness = Harness {
        base: format!("http://{addr}"),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
    };

    let redirect_uri = "http://127.0.0.1:53682/callback";
    let authorized = harness
        .http
        .get(format!("{}/api/oauth2/auth", harness.base))
        .query(&[
            ("response_type", "code"),
            ("client_id", "sandbox-acme-client-id"),
            ("redirect_uri", redirect_uri),
            ("state", "s&1"),
        ])
        .send()
        .await
        .expect("authorize");
    assert_eq!(authorized.status().as_u16(), 302);
    let location = authorized.headers()["location"].to_str().expect("Location");
    let location = reqwest::Url::parse(location).expect("URL");
    assert!(location.as_str().starts_with(redirect_uri));
    let param = |name: &str| {
        location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("state").as_deref(), Some("s&1"));
    let code = param("code").expect("code");

    // First token by HTTP Basic.
    let response = harness
        .http
        .post(format!("{}/api/oauth2/token", harness.base))
        .basic_auth("sandbox-acme-client-id", Some("sandbox-acme-client-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        (body["token_type"].clone(), body["expires_in"].clone()),
        ("bearer".into(), 600.into())
    );
    let (access, refresh_token) = (text(&body, "access_token"), text(&body, "refresh_token"));
    assert_eq!(harness.api(&access).await, 200);

    server.expire_access_tokens(SystemTime::now());
    assert_eq!(harness.api(&access).await, 401);

    // Refresh with the client in the form body; the refresh token rotates.
    let client = [
        ("client_id", "sandbox-acme-client-id"),
        ("client_secret", "sandbox-acme-client-secret"),
    ];
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.as_str()),
    ];
    form.extend(client);
    let (status, body, headers) = harness.token(&form).await;
    assert_eq!(
        (status, headers["cache-control"].to_str().ok()),
        (200, Some("no-store"))
    );
    let (access2, refresh2) = (text(&body, "access_token"), text(&body, "refresh_token"));
    assert_ne!(refresh2, refresh_token);
    assert_eq!(harness.api(&access2).await, 200);

    let (status, body, _) = harness.token(&form).await;
    assert_eq!(
        (status, text(&body, "error")),
        (400, "invalid_grant".to_owned())
    );

    server.revoke_access_tokens();
    assert_eq!(harness.api(&access2).await, 401);
    let counters = server.counters();
    assert_eq!(
        (counters.refreshes, counters.token_requests.refresh_token),
        (1, 2)
    );
    task.abort();
}
