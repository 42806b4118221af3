//! The HTTP side: one axum fallback handler that runs every request through the pipeline
//! faults -> authentication -> rate limit -> operation.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;

use erp_spec::ir::{Spec, WireFormat};

use crate::app::App;
use crate::faults::DRIP_BYTES;
use crate::ops;
use crate::rate_limit::{Decision, seconds_text};
use crate::reply::Reply;
use crate::{auth, control, errors};

/// Largest request body read (bigger bodies get the vendor's "invalid" error).
const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// The page a load balancer sends when the backend is down.
pub(crate) const BAD_GATEWAY_HTML: &str = "<html><body><h1>502 Bad Gateway</h1></body></html>";

/// The page a captive portal or an expired single-sign-on session sends with `200 OK`.
pub(crate) const SIGN_IN_HTML: &str = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\
     <body><form method=\"post\" action=\"/login\"><input name=\"user\"></form></body></html>";

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new().fallback(handle).with_state(app)
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|q| q.0)
        .unwrap_or_default()
}

async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    let body = axum::body::to_bytes(body, BODY_LIMIT).await;
    if path.starts_with("/__sandbox/") {
        let reply = match &body {
            Ok(bytes) => control::handle(
                &app.faults,
                app.oauth.as_ref(),
                parts.method.as_str(),
                path,
                bytes,
            ),
            Err(_) => Reply::text(400, "cannot read the request body"),
        };
        return reply.into_response();
    }
    // Counted as being answered until this handler returns (latency included).
    let _answering = app.faults.count_request();
    let query = query_pairs(&parts.uri);
    let request_id = app.remember(parts.method.as_str(), path, &query);
    if app.faults.hanging() {
        let mut shutdown = app.shutdown.subscribe();
        tokio::select! {
            () = app.faults.hang_released() => {}
            _ = shutdown.wait_for(|stop| *stop) => {
                return Reply::text(503, "the sandbox is shutting down").into_response();
            }
        }
    }
    let reply = match &body {
        Ok(bytes) => pipeline(
            &app,
            parts.method.as_str(),
            path,
            &query,
            &parts.headers,
            bytes,
            SystemTime::now(),
        ),
        Err(_) => errors::invalid(
            app.spec(),
            "The request body could not be read (is it larger than 4 MiB?).",
        ),
    };
    let reply = match (&app.spec().errors.request_id, request_id) {
        (Some(header), Some(id)) => reply.with_header(header.clone(), id),
        _ => reply,
    };
    let write = !matches!(parts.method.as_str(), "GET" | "HEAD");
    if write && (200..300).contains(&reply.status) && app.faults.take_lost_answer() {
        // The write is applied (and its answer remembered for its idempotency key), but the
        // answer never leaves: the client cannot tell whether the write happened.
        let mut shutdown = app.shutdown.subscribe();
        let _ = shutdown.wait_for(|stop| *stop).await;
        return Reply::text(503, "the sandbox is shutting down").into_response();
    }
    let latency = app.faults.latency_now();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if app.faults.take_truncated() {
        return truncated(reply.into_response()).await;
    }
    match app.faults.dripping() {
        Some(every) => dripped(reply.into_response(), every, &app.shutdown).await,
        None => reply.into_response(),
    }
}

/// `response` with its status and headers at once and its body [`DRIP_BYTES`] at a time,
/// `every` apart; the stream ends early (with a broken connection) when the sandbox stops.
async fn dripped(
    response: Response,
    every: Duration,
    shutdown: &tokio::sync::watch::Sender<bool>,
) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let chunks: Vec<axum::body::Bytes> = (0..bytes.len())
        .step_by(DRIP_BYTES)
        .map(|at| bytes.slice(at..(at + DRIP_BYTES).min(bytes.len())))
        .collect();
    let stopped = shutdown.subscribe();
    let stream =
        futures::stream::unfold((chunks.into_iter(), false), move |(mut chunks, started)| {
            let mut stopped = stopped.clone();
            async move {
                let chunk = chunks.next()?;
                if started {
                    tokio::select! {
                        () = tokio::time::sleep(every) => {}
                        _ = stopped.wait_for(|stop| *stop) => {
                            let cut = std::io::Error::new(
                                std::io::ErrorKind::ConnectionAborted,
                                "sandbox stopped while dripping",
                            );
                            return Some((Err(cut), (Vec::new().into_iter(), true)));
                        }
                    }
                }
                Some((Ok::<_, std::io::Error>(chunk), (chunks, true)))
            }
        });
    Response::from_parts(parts, axum::body::Body::from_stream(stream))
}

/// `response` with its status and headers, the first half of its body, then a broken
/// connection (the body stream fails, so the server drops it mid-answer).
async fn truncated(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = bytes.slice(..bytes.len() / 2);
    // A stream has no length: the answer is chunked and ends without its last chunk.
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> = vec![
        Ok(half),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "sandbox fault: answer cut off",
        )),
    ];
    Response::from_parts(
        parts,
        axum::body::Body::from_stream(futures::stream::iter(chunks)),
    )
}

/// Whether the request asks for the vendor's format: by `Accept`, or by the spec's format
/// query parameter (`?format=json`). Asking for a media type one of the operations declares
/// (`application/pdf`) counts too.
fn asks_for_format(spec: &Spec, headers: &HeaderMap, query: &[(String, String)]) -> bool {
    let media = spec.wire.format.media_type();
    let declared = || {
        spec.resources
            .iter()
            .flat_map(|r| &r.operations)
            .map(|op| op.accept.as_str())
            .filter(|a| *a != "*/*")
    };
    let accept = headers
        .get_all(axum::http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(media) || declared().any(|a| v.contains(a)));
    let name = match spec.wire.format {
        WireFormat::Json => "json",
        WireFormat::Xml => "xml",
    };
    let by_param = spec
        .sandbox
        .format_param
        .as_deref()
        .is_some_and(|param| query.iter().any(|(k, v)| k == param && v == name));
    accept || by_param
}

/// Answers one vendor API request (everything but the hang fault, which needs to wait).
pub(crate) fn pipeline(
    app: &App,
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Reply {
    let spec = app.spec();
    if app.faults.take_html_502() {
        return Reply::html(502, BAD_GATEWAY_HTML);
    }
    if app.faults.take_html_200() {
        return Reply::html(200, SIGN_IN_HTML);
    }
    if let Some((status, text)) = app.faults.take_text_answer() {
        return Reply::text(status, text);
    }
    if let Some(retry_in) = app.faults.take_rate_limit() {
        return too_many_requests(app, retry_in, now);
    }
    if let Some(oauth) = &app.oauth
        && let Some(reply) = oauth.handle(method, path, query, headers, body, now)
    {
        return reply;
    }
    if spec.sandbox.accept_required && !asks_for_format(spec, headers, query) {
        return Reply::text(
            406,
            format!(
                "{} answers in another format unless a request asks for `{}`{}",
                spec.vendor.title,
                spec.wire.format.media_type(),
                spec.sandbox
                    .format_param
                    .as_deref()
                    .map(|p| format!(" (by `Accept` or `?{p}=`)"))
                    .unwrap_or_default()
            ),
        );
    }
    let rejected = match &app.oauth {
        // RFC 6750: say why a bearer token was refused.
        Some(oauth) => oauth.check_bearer(headers, now).err().map(|rejection| {
            errors::unauthorized(spec).with_header("WWW-Authenticate", rejection.www_authenticate())
        }),
        None => (!auth::check(spec, &app.credentials, headers, query))
            .then(|| errors::unauthorized(spec)),
    };
    if let Some(reply) = rejected {
        let decisions = app.rate.peek(now);
        return with_rate_headers(app, reply, &decisions, now);
    }
    let decisions = app.rate.hit(now);
    if let Some((limiter, refused)) = app.rate.refusing(&decisions) {
        let wait = refused
            .reset_at
            .duration_since(now)
            .unwrap_or(Duration::ZERO);
        let message = limiter.exceeded_message(wait);
        return with_rate_headers(
            app,
            errors::reply(spec, 429, &message, Some("TOO_MANY_REQUESTS")),
            &decisions,
            now,
        );
    }
    let reply = if app.faults.take_errors_in_success() {
        errors::reply(
            spec,
            200,
            "The request could not be processed (sandbox fault: error in a 200 body).",
            None,
        )
    } else {
        match app.below_prefix(path) {
            Some((rest, base)) => ops::dispatch(
                app,
                &ops::Request {
                    method,
                    path: rest,
                    base: &base,
                    query,
                    body,
                    link_base: &link_base(headers, path),
                    content_type: headers
                        .get(axum::http::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok()),
                    headers: Some(headers),
                },
            ),
            None => errors::not_found(spec),
        }
    };
    with_rate_headers(app, reply, &decisions, now)
}

/// The URL of a request without its query: absolute when the client named the host.
fn link_base(headers: &HeaderMap, path: &str) -> String {
    match headers.get("host").and_then(|h| h.to_str().ok()) {
        Some(host) if !host.is_empty() && !host.contains(['/', ' ']) => {
            format!("http://{host}{path}")
        }
        _ => path.to_owned(),
    }
}

/// Every window's headers, on every response (as vendors send them).
fn with_rate_headers(
    app: &App,
    mut reply: Reply,
    decisions: &[Decision],
    now: SystemTime,
) -> Reply {
    reply.headers.extend(app.rate.headers(decisions, now));
    reply
}

/// The injected 429: the first window's rate-limit headers and message saying "retry in
/// `retry_in`" (the other windows report their state); vendors without rate-limit headers get
/// `Retry-After` instead.
fn too_many_requests(app: &App, retry_in: Duration, now: SystemTime) -> Reply {
    let spec = app.spec();
    match app.rate.first() {
        Some(limiter) => {
            let mut decisions = app.rate.peek(now);
            if let Some(first) = decisions.first_mut() {
                *first = Decision {
                    allowed: false,
                    remaining: 0,
                    reset_at: now + retry_in,
                };
            }
            let reply = errors::reply(
                spec,
                429,
                &limiter.exceeded_message(retry_in),
                Some("TOO_MANY_REQUESTS"),
            );
            with_rate_headers(app, reply, &decisions, now)
        }
        None => {
            let seconds = seconds_text(retry_in);
            let message = format!("Too many requests. Try again in {seconds} seconds.");
            errors::reply(spec, 429, &message, Some("TOO_MANY_REQUESTS"))
                .with_header("Retry-After", seconds)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RateLimitSettings, SandboxOptions};

    fn app(vendor: &str, options: SandboxOptions) -> App {
        App::new(crate::builtin::load(vendor).expect("spec"), &options)
    }

    /// Request headers as a JSON client sends them, plus `pairs`.
    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert("accept", "application/json".parse().expect("value"));
        for (k, v) in pairs {
            map.insert(*k, v.parse().expect("value"));
        }
        map
    }

    fn header<'r>(reply: &'r Reply, name: &str) -> Option<&'r str> {
        reply
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn billomat_answers_only_requests_that_ask_for_json() {
        let app = app("billomat", SandboxOptions::default());
        let now = SystemTime::now();
        let key = "sandbox-billomat-api-key";
        let mut plain = HeaderMap::new();
        plain.insert("X-BillomatApiKey", key.parse().expect("value"));
        let refused = pipeline(&app, "GET", "/api/clients", &[], &plain, b"", now);
        assert_eq!(refused.status, 406);
        let by_query = [("format".to_owned(), "json".to_owned())];
        assert_eq!(
            pipeline(&app, "GET", "/api/clients", &by_query, &plain, b"", now).status,
            200
        );
        let by_header = headers(&[("X-BillomatApiKey", key)]);
        assert_eq!(
            pipeline(&app, "GET", "/api/clients", &[], &by_header, b"", now).status,
            200
        );
    }

    #[test]
    fn billomat_pipeline_auth_quota_and_faults() {
        let options = SandboxOptions {
            seed_records: 2,
            rate_limit: Some(RateLimitSettings {
                quota: 2,
                window: Duration::from_secs(600),
            }),
            ..Default::default()
        };
        let app = app("billomat", options);
        let now = SystemTime::now();
        let key = headers(&[("X-BillomatApiKey", "sandbox-billomat-api-key")]);
        let denied = pipeline(&app, "GET", "/api/clients", &[], &headers(&[]), b"", now);
        assert_eq!(denied.status, 401);
        assert_eq!(header(&denied, "X-Rate-Limit-Remaining"), Some("2"));
        let ok = pipeline(&app, "GET", "/api/clients", &[], &key, b"", now);
        assert_eq!(
            (ok.status, header(&ok, "X-Rate-Limit-Remaining")),
            (200, Some("1"))
        );
        let unknown = pipeline(&app, "GET", "/api/nothing", &[], &key, b"", now);
        assert_eq!(
            (unknown.status, header(&unknown, "X-Rate-Limit-Remaining")),
            (404, Some("0"))
        );
        let limited = pipeline(&app, "GET", "/api/clients", &[], &key, b"", now);
        assert_eq!(limited.status, 429);
        let message = limited.json_value()["errors"]["error"]
            .as_str()
            .expect("message")
            .to_owned();
        assert!(
            message.starts_with(
                "Maximum number of requests (2 per 15 minutes) reached. Try again in "
            ),
            "{message}"
        );
        assert!(header(&limited, "Retry-After").is_none());
    }

    #[test]
    fn every_declared_window_is_enforced_with_its_own_headers() {
        let mut spec = crate::builtin::load("billomat").expect("spec");
        let mut daily = spec.rate_limits[0].clone();
        daily.window.name = "daily";
        daily.window.remaining_header = Some("X-Daily-Remaining");
        daily.window.reset_header = Some("X-Daily-Reset");
        daily.window_seconds = 86_400;
        spec.rate_limits.push(daily);
        spec.sandbox
            .rate_limits
            .push(erp_spec::ir::SandboxRateLimit {
                name: "daily".to_owned(),
                quota: 1,
                exceeded_message: "Daily quota of {quota} reached.".to_owned(),
            });
        let app = App::new(spec, &SandboxOptions::default());
        let now = SystemTime::now();
        let key = headers(&[("X-BillomatApiKey", "sandbox-billomat-api-key")]);
        let ok = pipeline(&app, "GET", "/api/clients", &[], &key, b"", now);
        assert_eq!(ok.status, 200);
        assert_eq!(header(&ok, "X-Rate-Limit-Remaining"), Some("299"));
        assert_eq!(header(&ok, "X-Daily-Remaining"), Some("0"));
        assert!(header(&ok, "X-Daily-Reset").is_some());
        let limited = pipeline(&app, "GET", "/api/clients", &[], &key, b"", now);
        assert_eq!(limited.status, 429);
        assert_eq!(
            limited.json_value()["errors"]["error"],
            "Daily quota of 1 reached."
        );
        assert_eq!(
            header(&limited, "X-Rate-Limit-Remaining"),
            Some("299"),
            "the refused request is not counted in the quarter-hourly window"
        );
    }

    #[test]
    fn injected_faults_come_before_authentication() {
        let app = app(
            "cloudspot",
            SandboxOptions {
                seed_records: 1,
                ..Default::default()
            },
        );
        let now = SystemTime::now();
        app.faults.html_502_next(1);
        let reply = pipeline(
            &app,
            "GET",
            "/api/v1/artikels/",
            &[],
            &headers(&[]),
            b"",
            now,
        );
        assert_eq!(
            (reply.status, reply.body.clone()),
            (502, crate::reply::Body::Html(BAD_GATEWAY_HTML.to_owned()))
        );
        app.faults.rate_limit_next(1, Duration::from_millis(1500));
        let reply = pipeline(
            &app,
            "GET",
            "/api/v1/artikels/",
            &[],
            &headers(&[]),
            b"",
            now,
        );
        assert_eq!(
            (reply.status, header(&reply, "Retry-After")),
            (429, Some("2"))
        );
        let token = headers(&[("X-ERP-TOKEN", "sandbox-cloudspot-token")]);
        app.faults.errors_in_success_next(1);
        let reply = pipeline(&app, "GET", "/api/v1/artikels/", &[], &token, b"", now);
        assert_eq!(reply.status, 200);
        assert!(reply.json_value()["message"].is_string());
        let reply = pipeline(&app, "GET", "/api/v1/artikels", &[], &token, b"", now);
        assert_eq!(reply.status, 404);
        assert_eq!(reply.json_value()["status"], "NOT_FOUND");
    }
}
