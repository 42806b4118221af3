//! End-to-end tests over real TCP: start sandboxes on 127.0.0.1:0 and talk to them with reqwest.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use erp_sandbox::{Credentials, RateLimitSettings, RunningSandbox, Sandbox, SandboxOptions};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

struct Server {
    running: RunningSandbox,
    credentials: Credentials,
    http: Client,
}

impl Server {
    async fn start(vendor: &str, options: SandboxOptions) -> Server {
        Server::run(Sandbox::builtin(vendor, options).expect("built-in vendor")).await
    }

    async fn run(sandbox: Sandbox) -> Server {
        let credentials = sandbox.credentials();
        let running = sandbox
            .start("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("start");
        Server {
            running,
            credentials,
            // As a JSON client does; Billomat answers in XML otherwise (see `sandbox.accept_required`).
            http: Client::builder()
                .default_headers(
                    [(
                        reqwest::header::ACCEPT,
                        "application/json".parse().expect("value"),
                    )]
                    .into_iter()
                    .collect(),
                )
                .build()
                .expect("client"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url())
    }

    fn authed(&self, request: RequestBuilder) -> RequestBuilder {
        self.credentials
            .headers
            .iter()
            .fold(request, |r, (name, value)| r.header(name, value))
    }

    async fn get(&self, path: &str) -> Response {
        self.authed(self.http.get(self.url(path)))
            .send()
            .await
            .expect("request")
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Response {
        let request = self.authed(self.http.request(method, self.url(path)));
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        request.send().await.expect("request")
    }
}

async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")),
    )
}

fn options(records: usize) -> SandboxOptions {
    SandboxOptions {
        seed_records: records,
        ..Default::default()
    }
}

#[tokio::test]
async fn billomat_list_envelope_has_three_shapes() {
    let server = Server::start("billomat", options(25)).await;
    let response = server.get("/clients").await;
    assert_eq!(response.headers()["content-type"], "application/json");
    let (status, many) = json_of(response).await;
    assert_eq!(status, 200);
    let clients = many["clients"]["client"]
        .as_array()
        .expect("many clients are an array");
    assert_eq!(clients.len(), 25);
    assert_eq!(many["clients"]["@total"], "25");
    assert_eq!(clients[0]["id"], "1");
    assert!(
        clients
            .iter()
            .all(|c| c["archived"] == "0" || c["archived"] == "1")
    );

    let (_, one) = json_of(server.get("/clients?client_number=KD7").await).await;
    assert_eq!(
        one["clients"]["client"]["id"], "7",
        "exactly one client is an object: {one}"
    );
    assert_eq!(one["clients"]["@total"], "1");

    let (_, none) = json_of(server.get("/clients?name=no-such-company").await).await;
    assert_eq!(
        none,
        json!({"clients": {"@page": "1", "@per_page": "100", "@total": "0"}})
    );
}

#[tokio::test]
async fn billomat_paging_meta_and_per_page_cap() {
    let server = Server::start("billomat", options(30)).await;
    let (_, page) = json_of(server.get("/clients?page=2&per_page=10").await).await;
    let items = page["clients"]["client"].as_array().expect("array");
    assert_eq!(items.len(), 10);
    assert_eq!(items[0]["id"], "11");
    assert_eq!(
        (
            &page["clients"]["@page"],
            &page["clients"]["@per_page"],
            &page["clients"]["@total"]
        ),
        (&json!("2"), &json!("10"), &json!("30"))
    );
    let (_, capped) = json_of(server.get("/clients?per_page=5000").await).await;
    assert_eq!(capped["clients"]["@per_page"], "1000");
    let (_, beyond) = json_of(server.get("/clients?page=9&per_page=10").await).await;
    assert_eq!(
        beyond,
        json!({"clients": {"@page": "9", "@per_page": "10", "@total": "30"}})
    );
}

#[tokio::test]
async fn billomat_auth_failures() {
    let server = Server::start("billomat", options(2)).await;
    let url = server.url("/clients");
    let missing = server.http.get(&url).send().await.expect("request");
    assert_eq!(
        json_of(missing).await,
        (
            StatusCode::UNAUTHORIZED,
            json!({"errors": {"error": "Unauthorized"}})
        )
    );
    let wrong = server
        .http
        .get(&url)
        .header("X-BillomatApiKey", "nope")
        .send()
        .await
        .expect("request");
    assert_eq!(wrong.status(), 401);
    let wrong_app = server
        .http
        .get(&url)
        .header("X-BillomatApiKey", "sandbox-billomat-api-key")
        .header("X-AppId", "someone-else")
        .send()
        .await
        .expect("request");
    assert_eq!(wrong_app.status(), 401);
    let key_only = server
        .http
        .get(&url)
        .header("X-BillomatApiKey", "sandbox-billomat-api-key")
        .send()
        .await
        .expect("request");
    assert_eq!(key_only.status(), 200);
    let by_query = server
        .http
        .get(format!("{url}?api_key=sandbox-billomat-api-key"))
        .send()
        .await
        .expect("request");
    assert_eq!(by_query.status(), 200);
}

#[tokio::test]
async fn billomat_create_get_update_delete() {
    let server = Server::start("billomat", options(25)).await;
    use reqwest::Method;
    let body = json!({"client": {"name": "Test Company", "first_name": "Tara", "country_code": "IT", "archived": 0, "due_days": "14"}});
    let (status, created) = json_of(server.send(Method::POST, "/clients", Some(body)).await).await;
    assert_eq!(status, 201);
    let client = &created["client"];
    assert_eq!(client["id"], "26");
    assert_eq!(client["name"], "Test Company");
    assert_eq!(client["due_days"], "14");
    assert_eq!(client["client-property-values"], "");
    assert_eq!(client["street"], "");
    assert_eq!(client["created"], client["updated"]);

    let (status, fetched) = json_of(server.get("/clients/26").await).await;
    assert_eq!((status, &fetched["client"]), (StatusCode::OK, client));

    let update = json!({"client": {"city": "Roma", "archived": "1"}});
    let (status, updated) =
        json_of(server.send(Method::PUT, "/clients/26", Some(update)).await).await;
    assert_eq!(status, 200);
    assert_eq!(
        (&updated["client"]["city"], &updated["client"]["archived"]),
        (&json!("Roma"), &json!("1"))
    );
    assert_eq!(updated["client"]["name"], "Test Company");

    let (status, error) = json_of(
        server
            .send(Method::POST, "/clients", Some(json!({"name": "bare"})))
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        error["errors"]["error"]
            .as_str()
            .expect("message")
            .contains("client"),
        "{error}"
    );
    let unknown = json!({"client": {"colour": "blue"}});
    let (status, error) = json_of(server.send(Method::POST, "/clients", Some(unknown)).await).await;
    assert_eq!(status, 400);
    assert!(
        error["errors"]["error"]
            .as_str()
            .expect("message")
            .contains("colour"),
        "{error}"
    );

    let deleted = server.send(Method::DELETE, "/clients/26", None).await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(deleted.text().await.expect("body"), "");
    let (status, gone) = json_of(server.get("/clients/26").await).await;
    assert_eq!(
        (status, gone),
        (
            StatusCode::NOT_FOUND,
            json!({"errors": {"error": "Resource not found"}})
        )
    );
    let (status, _) = json_of(server.send(Method::PATCH, "/clients/1", None).await).await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn billomat_quota_exhaustion_gives_429_with_headers() {
    let options = SandboxOptions {
        seed_records: 2,
        rate_limit: Some(RateLimitSettings {
            quota: 3,
            window: Duration::from_secs(120),
        }),
        ..Default::default()
    };
    let server = Server::start("billomat", options).await;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("time")
        .as_secs();
    for remaining in ["2", "1", "0"] {
        let response = server.get("/clients").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-rate-limit-remaining"], remaining);
    }
    let limited = server.get("/clients").await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["x-rate-limit-remaining"], "0");
    assert!(limited.headers().get("retry-after").is_none());
    let reset: u64 = limited.headers()["x-rate-limit-reset"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("epoch seconds");
    assert!(
        reset > now && reset <= now + 121,
        "reset {reset}, now {now}"
    );
    let (_, body) = json_of(limited).await;
    let message = body["errors"]["error"].as_str().expect("message");
    assert!(
        message.starts_with("Maximum number of requests (3 per 15 minutes) reached. Try again in "),
        "{message}"
    );
    assert!(message.ends_with(" seconds."), "{message}");
}

#[tokio::test]
async fn cloudspot_list_get_and_unknown_id_in_both_modes() {
    let server = Server::start("cloudspot", options(5)).await;
    let (status, list) = json_of(server.get("/artikels/").await).await;
    assert_eq!(status, 200);
    assert_eq!(list["status"], "OK");
    assert_eq!(list["data"].as_array().map(Vec::len), Some(5));
    assert!(list["data"][0]["id"].is_i64() && list["data"][0]["SKU"].is_string());

    let (status, one) = json_of(server.get("/artikels/?id=3").await).await;
    assert_eq!(status, 200);
    assert_eq!(one["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["data"][0]["id"], 3);

    let (status, missing) = json_of(server.get("/artikels/?id=99").await).await;
    assert_eq!(
        (status, missing),
        (
            StatusCode::NOT_FOUND,
            json!({"message": "Object not found", "status": "NOT_FOUND"})
        )
    );
    server.running.faults().empty_list_for_unknown_id(true);
    let (status, empty) = json_of(server.get("/artikels/?id=99").await).await;
    assert_eq!(
        (status, empty),
        (StatusCode::OK, json!({"status": "OK", "data": []}))
    );

    let (status, klanten) = json_of(server.get("/klanten/").await).await;
    assert_eq!(status, 200);
    assert!(klanten["data"][0].get("id").is_none() && klanten["data"][0]["voornaam"].is_string());

    let no_token = server
        .http
        .get(server.url("/artikels/"))
        .send()
        .await
        .expect("request");
    let expected = json!({"message": "Authentication credentials were not provided or are invalid.", "status": "NOT_AUTHORIZED"});
    assert_eq!(
        json_of(no_token).await,
        (StatusCode::UNAUTHORIZED, expected)
    );
}

#[tokio::test]
async fn cloudspot_requires_the_trailing_slash() {
    let server = Server::start("cloudspot", options(2)).await;
    let (status, body) = json_of(server.get("/artikels").await).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::NOT_FOUND,
            json!({"message": "Object not found", "status": "NOT_FOUND"})
        )
    );
    assert_eq!(server.get("/categories/").await.status(), 200);
}

#[tokio::test]
async fn faults_over_the_handle_and_over_http() {
    let server = Server::start("cloudspot", options(2)).await;
    let faults = server.running.faults();
    let control = format!("http://{}/__sandbox/faults", server.running.addr());
    let state: Value = server
        .http
        .post(&control)
        .json(&json!({"html_502_next": 1, "numbers_as_strings": true, "unknown_enum_values": true}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("state");
    assert_eq!(state["html_502_next"], 1);

    let bad_gateway = server.get("/artikels/").await;
    assert_eq!(bad_gateway.status(), 502);
    assert!(
        bad_gateway.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    assert!(
        bad_gateway
            .text()
            .await
            .expect("body")
            .contains("502 Bad Gateway")
    );

    let (_, lenient) = json_of(server.get("/artikels/").await).await;
    assert_eq!(lenient["data"][0]["id"], "1");
    assert_eq!(lenient["data"][0]["status"], "NIEUWE_WAARDE");

    faults.rate_limit_next(1, Duration::from_secs(2));
    let limited = server.get("/artikels/").await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "2");

    faults.errors_in_success_next(1);
    let (status, body) = json_of(server.get("/artikels/").await).await;
    assert_eq!(status, 200);
    assert!(body["message"].is_string() && body.get("data").is_none());

    assert_eq!(
        faults.requests_seen(),
        4,
        "control requests are not counted"
    );
    faults.reset();
    assert_eq!(faults.requests_seen(), 0);
    let (_, plain) = json_of(server.get("/artikels/").await).await;
    assert_eq!(plain["data"][0]["id"], 1);
}

#[tokio::test]
async fn hanging_requests_time_out_and_shutdown_still_works() {
    let server = Server::start("billomat", options(1)).await;
    server.running.faults().hang(true);
    let result = server
        .authed(server.http.get(server.url("/clients")))
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(result.expect_err("no answer").is_timeout());
    // A request left hanging is released by the shutdown.
    let pending = tokio::spawn(
        server
            .authed(server.http.get(server.url("/clients")))
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    server.running.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(3));
    let released = pending.await.expect("task");
    assert!(released.map(|r| r.status() == 503).unwrap_or(true));
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let server = Server::start("cloudspot", options(1)).await;
    let url = server.url("/artikels/");
    let addr = server.running.addr();
    drop(server);
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "{url} still accepts connections");
}

#[test]
fn handles_are_thread_safe() {
    fn check<T: Send + Sync>() {}
    check::<Sandbox>();
    check::<RunningSandbox>();
    check::<erp_sandbox::Faults>();
}

#[tokio::test]
async fn billomat_updates_answer_the_item_or_nothing_under_the_fault() {
    use reqwest::Method;
    let server = Server::start("billomat", options(3)).await;
    let update = json!({"client": {"city": "Bremen"}});
    let (status, updated) =
        json_of(server.send(Method::PUT, "/clients/2", Some(update)).await).await;
    assert_eq!(status, 200);
    assert_eq!(
        (&updated["client"]["id"], &updated["client"]["city"]),
        (&json!("2"), &json!("Bremen")),
        "item_or_empty renders the item while the fault is off"
    );

    let control = format!("http://{}/__sandbox/faults", server.running.addr());
    let state: Value = server
        .http
        .post(&control)
        .json(&json!({"empty_write_bodies": true}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("state");
    assert_eq!(state["empty_write_bodies"], true);

    let update = json!({"client": {"city": "Hamburg", "name": "Hanse AG"}});
    let response = server.send(Method::PUT, "/clients/2", Some(update)).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("content-type").is_none());
    assert!(response.headers().contains_key("x-rate-limit-remaining"));
    assert_eq!(response.text().await.expect("body"), "");
    let (_, fetched) = json_of(server.get("/clients/2").await).await;
    assert_eq!(
        (&fetched["client"]["city"], &fetched["client"]["name"]),
        (&json!("Hamburg"), &json!("Hanse AG")),
        "the change was applied"
    );
    let (status, created) = json_of(
        server
            .send(
                Method::POST,
                "/clients",
                Some(json!({"client": {"name": "Neu"}})),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, &created["client"]["name"]),
        (StatusCode::CREATED, &json!("Neu"))
    );

    let state: Value = server
        .http
        .get(&control)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("state");
    assert_eq!(state["empty_write_bodies"], true);
    server.running.faults().reset();
    let update = json!({"client": {"city": "Kiel"}});
    let (_, updated) = json_of(server.send(Method::PUT, "/clients/2", Some(update)).await).await;
    assert_eq!(updated["client"]["city"], "Kiel");
}

#[tokio::test]
async fn an_operation_root_key_replaces_the_singular() {
    use reqwest::Method;
    let spec = erp_spec::parse_str("widgets.yaml", include_str!("fixtures/widgets.yaml"))
        .expect("valid fixture");
    let server = Server::run(Sandbox::new(spec, options(4))).await;
    assert_eq!(server.credentials.headers[0].0, "X-Api-Key");

    let options = json!({"complete": {"template_id": "5"}});
    let (status, body) = json_of(
        server
            .send(Method::PUT, "/widgets/3/complete", Some(options))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["complete"]["id"], "3", "{body}");

    let singular = json!({"widget": {"template_id": "5"}});
    let (status, error) = json_of(
        server
            .send(Method::PUT, "/widgets/3/complete", Some(singular))
            .await,
    )
    .await;
    assert_eq!(status, 400);
    let message = error["errors"]["error"]
        .as_str()
        .expect("vendor error shape");
    assert!(message.contains("`complete`"), "{message}");

    let (status, updated) = json_of(
        server
            .send(
                Method::PUT,
                "/widgets/3",
                Some(json!({"widget": {"name": "Zahnrad"}})),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, &updated["widget"]["name"]),
        (StatusCode::OK, &json!("Zahnrad"))
    );

    server.running.faults().empty_write_bodies(true);
    let options = json!({"complete": {"template_id": "5"}});
    let response = server
        .send(Method::PUT, "/widgets/3/complete", Some(options))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.expect("body"), "");
}

#[tokio::test]
async fn billomat_head_counts_without_fetching() {
    let server = Server::start("billomat", options(20)).await;
    let (_, listed) = json_of(server.get("/clients?country_code=DE&per_page=2").await).await;
    let total = listed["clients"]["@total"]
        .as_str()
        .expect("total")
        .to_owned();
    let head = |path: &str| server.authed(server.http.head(server.url(path))).send();

    let response = head("/clients?country_code=DE&per_page=2")
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-total-count"], total.as_str());
    assert!(response.headers().contains_key("x-rate-limit-remaining"));
    assert!(response.headers().get("content-type").is_none());
    assert_eq!(response.text().await.expect("body"), "");

    let response = head("/clients").await.expect("request");
    assert_eq!(response.headers()["x-total-count"], "20");
    let response = head("/clients?name=no-such-company")
        .await
        .expect("request");
    assert_eq!(response.headers()["x-total-count"], "0");

    let unauthorized = server
        .http
        .head(server.url("/clients"))
        .send()
        .await
        .expect("request");
    assert_eq!(unauthorized.status(), 401);
    assert!(unauthorized.headers().get("x-total-count").is_none());
    assert_eq!(head("/contacts").await.expect("request").status(), 400);
    assert_eq!(head("/clients/1").await.expect("request").status(), 405);

    let cloudspot = Server::start("cloudspot", options(2)).await;
    let response = cloudspot
        .authed(cloudspot.http.head(cloudspot.url("/artikels/")))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn billomat_refuses_requests_that_do_not_ask_for_json() {
    let server = Server::start("billomat", options(1)).await;
    let plain = server
        .authed(Client::new().get(server.url("/clients")))
        .send()
        .await
        .expect("request");
    assert_eq!(plain.status(), StatusCode::NOT_ACCEPTABLE);
    let by_query = server
        .authed(Client::new().get(server.url("/clients?format=json")))
        .send()
        .await
        .expect("request");
    assert_eq!(by_query.status(), StatusCode::OK);
    let cloudspot = Server::start("cloudspot", options(1)).await;
    let plain = cloudspot
        .authed(Client::new().get(cloudspot.url("/klanten/")))
        .send()
        .await
        .expect("request");
    assert_eq!(
        plain.status(),
        StatusCode::OK,
        "Cloudspot has no other format"
    );
}
