//! The HTTP client shared by every vendor crate: one place for sending, retrying, rate-limit
//! waits, error mapping and typed decoding.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::Instrument;

use crate::auth::{Auth, AuthContext, AuthTarget};
use crate::codec::Codec;
use crate::config::{ClientBuilder, Config};
use crate::descriptor::{Operation, Paging, VendorInfo};
use crate::envelope::{self, PageMeta};
use crate::error::{Error, Origin, excerpt};
use crate::paging::{self, Items, Page, Pages};
use crate::rate_limit::{self, Gate};
use crate::request::{Request, encode_segment};
use crate::retry::{Decision, Outcome};

/// Longest body excerpt kept in an error.
const EXCERPT_CHARS: usize = 200;

/// A configured connection to one vendor. Cheap to clone; clones share connections,
/// credentials and rate-limit state.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    vendor: &'static VendorInfo,
    base_url: String,
    http: reqwest::Client,
    auth: Arc<dyn Auth>,
    codec: &'static dyn Codec,
    config: Config,
    gate: Gate,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("vendor", &self.inner.vendor.name)
            .field("base_url", &self.inner.base_url)
            .field("auth", &self.inner.auth)
            .field("config", &self.inner.config)
            .finish()
    }
}

/// A successful answer, before decoding.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub status: u16,
    pub body: Vec<u8>,
    /// The URL that answered, against which relative next-page links resolve.
    pub url: String,
}

impl Client {
    pub fn builder(vendor: &'static VendorInfo) -> ClientBuilder<Client> {
        ClientBuilder::new(vendor)
    }

    pub(crate) fn from_parts(
        vendor: &'static VendorInfo,
        base_url: String,
        http: reqwest::Client,
        auth: Arc<dyn Auth>,
        codec: &'static dyn Codec,
        config: Config,
    ) -> Self {
        Client {
            inner: Arc::new(Inner {
                vendor,
                base_url,
                http,
                auth,
                codec,
                config,
                gate: Gate::default(),
            }),
        }
    }

    pub fn vendor(&self) -> &'static VendorInfo {
        self.inner.vendor
    }

    /// The resolved base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Calls an operation that returns one object.
    pub async fn item<T: DeserializeOwned>(
        &self,
        op: &'static Operation,
        req: Request,
    ) -> Result<T, Error> {
        let raw = self.execute(op, &req, None).await?;
        self.decode_item(op, &raw)
    }

    /// Calls an operation that returns one object or, as some vendors do after a write, an
    /// empty body (`Ok(None)`).
    pub async fn item_or_empty<T: DeserializeOwned>(
        &self,
        op: &'static Operation,
        req: Request,
    ) -> Result<Option<T>, Error> {
        let raw = self.execute(op, &req, None).await?;
        if raw.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        self.decode_item(op, &raw).map(Some)
    }

    fn decode_item<T: DeserializeOwned>(
        &self,
        op: &'static Operation,
        raw: &RawResponse,
    ) -> Result<T, Error> {
        let value = self.decode_body(op, raw)?;
        match envelope::item(op, value).map_err(|m| self.shape_error(op, raw, m))? {
            Some((item, path)) => decode_value(op, item, &path),
            None => Err(Error::NotFound {
                origin: origin(op),
                status: raw.status,
                message: None,
            }),
        }
    }

    /// Calls an operation whose answer carries no data the caller needs.
    pub async fn unit(&self, op: &'static Operation, req: Request) -> Result<(), Error> {
        self.execute(op, &req, None).await.map(drop)
    }

    /// Lazily streams every item of a list, fetching pages as they are consumed.
    pub fn items<T: DeserializeOwned + Send + 'static>(
        &self,
        op: &'static Operation,
        req: Request,
    ) -> Items<T> {
        paging::items(self.clone(), op, req)
    }

    /// Lazily streams the pages of a list (with the totals the vendor reports).
    pub fn pages<T: DeserializeOwned + Send + 'static>(
        &self,
        op: &'static Operation,
        req: Request,
    ) -> Pages<T> {
        paging::pages(self.clone(), op, req)
    }

    /// Fetches every item of a list into memory. Meant for small lists; use [`Client::items`]
    /// to process large ones as they arrive.
    pub async fn all<T: DeserializeOwned + Send + 'static>(
        &self,
        op: &'static Operation,
        req: Request,
    ) -> Result<Vec<T>, Error> {
        use futures::TryStreamExt;
        self.items(op, req).try_collect().await
    }

    /// One list page: sends `req` (or follows `link`) and decodes its items.
    pub(crate) async fn fetch_page<T: DeserializeOwned>(
        &self,
        op: &'static Operation,
        req: &Request,
        link: Option<&str>,
    ) -> Result<(Page<T>, RawPageInfo), Error> {
        let raw = self.execute(op, req, link).await?;
        let value = self.decode_body(op, &raw)?;
        let list = envelope::list(op, value).map_err(|m| self.shape_error(op, &raw, m))?;
        let info = RawPageInfo {
            fingerprint: fingerprint(&list.items),
            url: raw.url.clone(),
            last_cursor: match op.vendor.paging {
                Paging::Cursor { field, .. } => list
                    .items
                    .last()
                    .and_then(|item| envelope::lookup(item, field))
                    .and_then(|v| match v {
                        Value::String(s) if !s.is_empty() => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    }),
                _ => None,
            },
        };
        let mut items = Vec::with_capacity(list.items.len());
        for (i, item) in list.items.into_iter().enumerate() {
            items.push(decode_value(op, item, &format!("{}[{i}]", list.path))?);
        }
        let PageMeta {
            page,
            per_page,
            total,
            next_link,
        } = list.meta;
        Ok((
            Page {
                items,
                number: page,
                per_page,
                total,
                next_link,
            },
            info,
        ))
    }

    fn decode_body(&self, op: &'static Operation, raw: &RawResponse) -> Result<Value, Error> {
        self.inner
            .codec
            .decode(&raw.body)
            .map_err(|m| self.shape_error(op, raw, m))
    }

    /// An error excerpt of a raw body: redacted when the codec can read it, the raw text
    /// otherwise (an HTML error page from a proxy).
    fn body_excerpt(&self, op: &'static Operation, body: &[u8]) -> String {
        match self.inner.codec.decode(body) {
            Ok(value) => redacted_excerpt(&value, op.redact),
            Err(_) => excerpt(&String::from_utf8_lossy(body), EXCERPT_CHARS),
        }
    }

    fn shape_error(&self, op: &'static Operation, raw: &RawResponse, message: String) -> Error {
        Error::Decode {
            origin: origin(op),
            path: ".".to_owned(),
            message,
            excerpt: self.body_excerpt(op, &raw.body),
        }
    }

    fn url(&self, op: &'static Operation, req: &Request) -> Result<String, Error> {
        let mut path = op.path.to_owned();
        for (name, value) in &req.path_params {
            // URL normalisation would turn `.` and `..` (even percent-encoded) into another
            // path, i.e. another resource: refuse them rather than act on the wrong object.
            if value.is_empty() || value == "." || value == ".." {
                return Err(Error::InvalidInput {
                    origin: origin(op),
                    field: (*name).to_owned(),
                    message: format!("{value:?} is not a usable path segment"),
                });
            }
            path = path.replace(&format!("{{{name}}}"), &encode_segment(value));
        }
        if let Some(start) = path.find('{') {
            let name: String = path[start + 1..]
                .chars()
                .take_while(|c| *c != '}')
                .collect();
            return Err(Error::InvalidInput {
                origin: origin(op),
                field: name,
                message: "path parameter missing".to_owned(),
            });
        }
        Ok(format!("{}{}", self.inner.base_url, path))
    }

    /// Sends one call with retries, rate-limit waits and error mapping. `link` replaces the
    /// URL and query (absolute next-page links).
    pub(crate) async fn execute(
        &self,
        op: &'static Operation,
        req: &Request,
        link: Option<&str>,
    ) -> Result<RawResponse, Error> {
        if let Some((field, message)) = &req.invalid {
            return Err(Error::InvalidInput {
                origin: origin(op),
                field: field.clone(),
                message: message.clone(),
            });
        }
        let url = match link {
            Some(link) => self.checked_link(op, link)?,
            None => self.url(op, req)?,
        };
        let query = if link.is_some() {
            Vec::new()
        } else {
            req.query_pairs(op.vendor.booleans)
        };
        let body = match &req.body {
            Some(body) => Some(
                self.inner
                    .codec
                    .encode(&envelope::request_body(op, body.clone()))
                    .map_err(|m| Error::InvalidInput {
                        origin: origin(op),
                        field: "body".to_owned(),
                        message: m,
                    })?,
            ),
            None => None,
        };
        let policy = &self.inner.config.retry;
        let mut auth_retried = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some(wait) = self.inner.gate.wait_needed().await {
                if wait > policy.max_rate_limit_wait {
                    return Err(Error::RateLimited {
                        origin: origin(op),
                        retry_after: Some(wait),
                        reset_at: SystemTime::now().checked_add(wait),
                        message: None,
                    });
                }
                tracing::info!(
                    vendor = op.vendor.name,
                    operation = op.name,
                    wait_ms = wait.as_millis() as u64,
                    "rate-limit window exhausted; waiting for reset"
                );
                tokio::time::sleep(wait).await;
            }
            let span = tracing::debug_span!("erp.request", vendor = op.vendor.name, operation = %op.qualified_name(), method = op.method.as_str(), attempt, status = tracing::field::Empty);
            let result = self
                .attempt(op, &url, &query, body.as_deref())
                .instrument(span.clone())
                .await;
            let (outcome, server_wait, error) = match result {
                Ok(Attempt::Done(raw)) => {
                    span.record("status", raw.status);
                    return Ok(raw);
                }
                Ok(Attempt::Failed {
                    status,
                    headers,
                    body,
                    sent,
                }) => {
                    span.record("status", status);
                    if status == 401 && !auth_retried && self.inner.auth.invalidate(&sent).await {
                        auth_retried = true;
                        attempt -= 1;
                        continue;
                    }
                    self.classify_status(op, status, &headers, &body)
                }
                Err(failure) => failure,
            };
            match policy.decide(attempt, op.idempotent, outcome, server_wait) {
                Decision::RetryAfter(wait) => {
                    tracing::warn!(vendor = op.vendor.name, operation = op.name, attempt, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
                    tokio::time::sleep(wait).await;
                }
                Decision::GiveUp => return Err(error),
            }
        }
    }

    /// A next-page link (already resolved against the page that named it) is followed only on
    /// the base URL's own origin: credentials must never be sent to a host a body named.
    fn checked_link(&self, op: &'static Operation, link: &str) -> Result<String, Error> {
        let bad = |m: &str| Error::Decode {
            origin: origin(op),
            path: "next link".to_owned(),
            message: m.to_owned(),
            excerpt: excerpt(link, EXCERPT_CHARS),
        };
        let base =
            reqwest::Url::parse(&self.inner.base_url).map_err(|_| bad("invalid base URL"))?;
        let next = base.join(link).map_err(|_| bad("invalid next-page link"))?;
        if next.origin() != base.origin() {
            return Err(bad(
                "next-page link points to another host; not following it",
            ));
        }
        Ok(next.to_string())
    }

    async fn attempt(
        &self,
        op: &'static Operation,
        url: &str,
        query: &[(String, String)],
        body: Option<&[u8]>,
    ) -> Result<Attempt, (Outcome, Option<Duration>, Error)> {
        let inner = &self.inner;
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(inner.codec.accept()));
        if body.is_some() || inner.vendor.send_content_type_on_get {
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static(inner.codec.content_type()),
            );
        }
        let ctx = AuthContext {
            http: inner.http.clone(),
            vendor: inner.vendor.name,
        };
        let mut sent = AuthTarget::new(headers);
        inner
            .auth
            .authorize(&ctx, &mut sent)
            .await
            .map_err(|e| (Outcome::ClientError(0), None, e))?;
        let mut builder = inner
            .http
            .request(op.method.to_http(), url)
            .headers(sent.headers.clone());
        if !query.is_empty() {
            builder = builder.query(query);
        }
        if !sent.query.is_empty() {
            let credentials: Vec<(&str, &str)> = sent
                .query
                .iter()
                .map(|(n, v)| (n.as_str(), v.expose()))
                .collect();
            builder = builder.query(&credentials);
        }
        if let Some(body) = body {
            builder = builder.body(body.to_vec());
        }
        let response = builder
            .send()
            .await
            .map_err(|e| self.transport_failure(op, e))?;
        let status = response.status().as_u16();
        let answered_url = response.url().to_string();
        let headers = response.headers().clone();
        if let Some(spec) = &inner.vendor.rate_limit {
            let status = rate_limit::parse_status(spec, &headers, SystemTime::now());
            inner.gate.record(&status).await;
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_failure(op, e))?
            .to_vec();
        tracing::debug!(status, bytes = body.len(), "response");
        if !(200..300).contains(&status) {
            return Ok(Attempt::Failed {
                status,
                headers,
                body,
                sent,
            });
        }
        let success_with_errors = inner
            .vendor
            .errors_in_success
            .then(|| inner.codec.decode(&body).ok())
            .flatten()
            .filter(|v| v.get("errors").is_some());
        if let Some(value) = success_with_errors {
            let (message, code) = envelope::error_details(
                inner.vendor.error_message_paths,
                inner.vendor.error_code_paths,
                &value,
            );
            let error = Error::Api {
                origin: origin(op),
                status,
                message,
                code,
                body_excerpt: redacted_excerpt(&value, op.redact),
            };
            return Err((Outcome::ClientError(status), None, error));
        }
        Ok(Attempt::Done(RawResponse {
            status,
            body,
            url: answered_url,
        }))
    }

    fn transport_failure(
        &self,
        op: &'static Operation,
        e: reqwest::Error,
    ) -> (Outcome, Option<Duration>, Error) {
        if e.is_timeout() {
            let after = self.inner.config.request_timeout;
            (
                Outcome::TimedOut,
                None,
                Error::Timeout {
                    origin: origin(op),
                    after,
                },
            )
        } else {
            let outcome = if e.is_connect() {
                Outcome::ConnectFailed
            } else {
                Outcome::TransportFailed
            };
            let message = error_chain(&e);
            (
                outcome,
                None,
                Error::Transport {
                    origin: origin(op),
                    message,
                    source: Some(e.without_url()),
                },
            )
        }
    }

    fn classify_status(
        &self,
        op: &'static Operation,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
    ) -> (Outcome, Option<Duration>, Error) {
        let vendor = self.inner.vendor;
        let text = String::from_utf8_lossy(body);
        let parsed = self.inner.codec.decode(body).ok();
        let (message, code) = parsed
            .as_ref()
            .map(|v| {
                envelope::error_details(vendor.error_message_paths, vendor.error_code_paths, v)
            })
            .unwrap_or_default();
        // A non-JSON body (an HTML error page) has no message; a short plain-text body is one.
        let message = message.or_else(|| {
            (parsed.is_none()
                && !text.trim_start().starts_with('<')
                && !text.trim().is_empty()
                && text.len() < 500)
                .then(|| text.trim().to_owned())
        });
        let origin = origin(op);
        match status {
            429 => {
                let now = SystemTime::now();
                let status_headers = vendor
                    .rate_limit
                    .as_ref()
                    .map(|spec| rate_limit::parse_status(spec, headers, now))
                    .unwrap_or_default();
                // Every hint the vendor gave counts; the longest wins, and a hint of zero (a
                // reset already in the past, clock skew) is no hint at all.
                let wait = [
                    rate_limit::retry_after(headers, now),
                    status_headers.reset_in,
                    message.as_deref().and_then(rate_limit::seconds_in_message),
                ]
                .into_iter()
                .flatten()
                .filter(|w| !w.is_zero())
                .max();
                let reset_at = status_headers
                    .reset_at
                    .or_else(|| wait.and_then(|w| now.checked_add(w)));
                (
                    Outcome::RateLimited,
                    wait,
                    Error::RateLimited {
                        origin,
                        retry_after: wait,
                        reset_at,
                        message,
                    },
                )
            }
            401 => (
                Outcome::ClientError(status),
                None,
                Error::Unauthorized {
                    origin,
                    status,
                    message,
                },
            ),
            404 => (
                Outcome::ClientError(status),
                None,
                Error::NotFound {
                    origin,
                    status,
                    message,
                },
            ),
            _ => {
                // 501 (not implemented) and 505 (HTTP version) will not change on a retry.
                let outcome = if (500..600).contains(&status) && !matches!(status, 501 | 505) {
                    Outcome::ServerError(status)
                } else {
                    Outcome::ClientError(status)
                };
                let server_wait = if status == 503 {
                    rate_limit::retry_after(headers, SystemTime::now())
                } else {
                    None
                };
                (
                    outcome,
                    server_wait,
                    Error::Api {
                        origin,
                        status,
                        message,
                        code,
                        body_excerpt: match &parsed {
                            Some(value) => redacted_excerpt(value, op.redact),
                            None => excerpt(&text, EXCERPT_CHARS),
                        },
                    },
                )
            }
        }
    }
}

/// What the paging engine needs from a page besides its typed items.
pub(crate) struct RawPageInfo {
    pub fingerprint: u64,
    /// The URL of this page, for resolving a relative next-page link.
    pub url: String,
    /// The cursor field of the last item, for cursor paging.
    pub last_cursor: Option<String>,
}

enum Attempt {
    Done(RawResponse),
    Failed {
        status: u16,
        headers: HeaderMap,
        body: Vec<u8>,
        /// The credentials this attempt sent, for `Auth::invalidate`.
        sent: AuthTarget,
    },
}

pub(crate) fn origin(op: &'static Operation) -> Origin {
    Origin {
        vendor: op.vendor.name,
        operation: op.qualified_name(),
    }
}

/// The messages of an error and its sources, without URLs (they may carry query values).
pub(crate) fn error_chain(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    let head = if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "reading the body failed"
    } else {
        "request failed"
    };
    if parts.is_empty() {
        head.to_owned()
    } else {
        format!("{head}: {}", parts.join(": "))
    }
}

fn decode_value<T: DeserializeOwned>(
    op: &'static Operation,
    value: Value,
    prefix: &str,
) -> Result<T, Error> {
    serde_path_to_error::deserialize(&value).map_err(|e| {
        let inner = e.path().to_string();
        let path = match (prefix.is_empty(), inner.as_str()) {
            (true, p) => p.to_owned(),
            (false, ".") => prefix.to_owned(),
            (false, p) => format!("{prefix}.{p}"),
        };
        Error::Decode {
            origin: origin(op),
            path,
            message: e.into_inner().to_string(),
            excerpt: redacted_excerpt(&value, op.redact),
        }
    })
}

/// A short excerpt of a decoded body for an error, with the values of sensitive fields
/// (the spec's `sensitive: true`) replaced: an IBAN must not reach a log through an error.
fn redacted_excerpt(value: &Value, sensitive: &[&str]) -> String {
    fn redact(value: &mut Value, sensitive: &[&str]) {
        match value {
            Value::Object(map) => {
                for (key, member) in map.iter_mut() {
                    if sensitive.contains(&key.as_str()) {
                        *member = Value::from("[redacted]");
                    } else {
                        redact(member, sensitive);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| redact(item, sensitive)),
            _ => {}
        }
    }
    if sensitive.is_empty() {
        return excerpt(&value.to_string(), EXCERPT_CHARS);
    }
    let mut copy = value.clone();
    redact(&mut copy, sensitive);
    excerpt(&copy.to_string(), EXCERPT_CHARS)
}

/// Identifies a page's content, to stop when a vendor serves the same page twice.
/// Walks the values instead of serializing them: no allocation per item on the paging path.
fn fingerprint(items: &[Value]) -> u64 {
    use std::hash::{Hash, Hasher};
    fn feed(value: &Value, h: &mut impl Hasher) {
        match value {
            Value::Null => 0u8.hash(h),
            Value::Bool(b) => (1u8, b).hash(h),
            Value::Number(n) => (2u8, n.to_string()).hash(h),
            Value::String(s) => (3u8, s).hash(h),
            Value::Array(items) => {
                (4u8, items.len()).hash(h);
                items.iter().for_each(|i| feed(i, h));
            }
            Value::Object(map) => {
                (5u8, map.len()).hash(h);
                for (k, v) in map {
                    k.hash(h);
                    feed(v, h);
                }
            }
        }
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    items.len().hash(&mut hasher);
    items.iter().for_each(|item| feed(item, &mut hasher));
    hasher.finish()
}
