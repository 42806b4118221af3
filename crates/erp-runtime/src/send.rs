//! The request pipeline: one call from descriptor and [`Request`] to a successful answer, with
//! URL building, body encoding, authentication, rate-limit waits and retries.

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use tracing::Instrument;

use crate::auth::{AuthContext, AuthTarget};
use crate::body::{form_pairs, read_capped};
use crate::classify::{self, Failure};
use crate::client::Client;
use crate::decode::{EXCERPT_CHARS, codec_of};
use crate::descriptor::{BodyKind, Operation, Returns, http_method};
use crate::envelope;
use crate::error::{Error, Origin, TimeLimit, excerpt, shown_url};
use crate::idempotency;
use crate::rate_limit::Permit;
use crate::redact::Redactor;
use crate::request::{Body, Request, encode_segment};
use crate::retry::{Decision, Outcome};

/// A successful (2xx) answer.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    /// The URL that answered, against which relative next-page links resolve.
    pub url: String,
    pub body: AnswerBody,
    /// Scrubs the call's sensitive values from errors made while decoding the body.
    pub redactor: Redactor,
    /// The vendor's id of this request (`errors.request_id`), for errors about the answer.
    pub request_id: Option<String>,
}

pub(crate) enum AnswerBody {
    /// Read whole.
    Full(Bytes),
    /// Not read yet (byte streams are handed to the caller as they arrive).
    Unread(reqwest::Response),
}

impl Answer {
    /// The whole body (empty for an unread one: only byte streams leave it unread).
    pub fn bytes(&self) -> &[u8] {
        match &self.body {
            AnswerBody::Full(bytes) => bytes,
            AnswerBody::Unread(_) => &[],
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `e`, an error about this answer, marked with its request id and scrubbed of the
    /// call's sensitive values.
    pub fn error(&self, e: Error) -> Error {
        self.redactor
            .error(e.with_request_id(self.request_id.as_deref()))
    }
}

/// The vendor's id of a request, from the response header its spec names.
pub(crate) fn request_id(op: &'static Operation, headers: &HeaderMap) -> Option<String> {
    let value = headers.get(op.vendor().request_id_header?)?.to_str().ok()?;
    // An id is short visible text; anything else is not shown.
    (!value.is_empty() && value.len() <= 200).then(|| value.to_owned())
}

/// A request body encoded for the wire.
enum Encoded {
    Bytes { bytes: Bytes, content_type: String },
    Form(Vec<(String, String)>),
}

/// The operation's deadline passed before an answer arrived.
fn deadline_passed(
    op: &'static Operation,
    deadline: Duration,
    attempts: u32,
    started: Instant,
    maybe_applied: bool,
) -> Error {
    Error::Timeout {
        origin: origin(op),
        limit: TimeLimit::Operation(deadline),
        attempts,
        elapsed: started.elapsed(),
        maybe_applied,
    }
}

/// The last attempt's error with what the whole call took: the attempts sent, the time since
/// the call started, and whether any attempt may have been applied (not only the last one).
fn with_tries(mut error: Error, sent: u32, took: Duration, any_applied: bool) -> Error {
    if let Error::Transport {
        attempts,
        elapsed,
        maybe_applied,
        ..
    }
    | Error::Timeout {
        attempts,
        elapsed,
        maybe_applied,
        ..
    } = &mut error
    {
        *attempts = sent;
        *elapsed = took;
        *maybe_applied |= any_applied;
    }
    error
}

/// Where an error of `op` happened (boxed: it keeps every `Result<_, Error>` small).
pub(crate) fn origin(op: &'static Operation) -> Box<Origin> {
    Box::new(Origin {
        vendor: op.vendor().name,
        operation: op.qualified_name(),
        request_id: None,
    })
}

fn invalid(op: &'static Operation, field: &str, message: impl Into<String>) -> Error {
    Error::InvalidInput {
        origin: origin(op),
        field: field.to_owned(),
        message: message.into(),
    }
}

/// The body of `req` as `op`'s body kind wants it.
fn encode_body(op: &'static Operation, req: &Request) -> Result<Option<Encoded>, Error> {
    let body = match (&req.body, op.body) {
        (None, _) => return Ok(None),
        (Some(_), BodyKind::None) => {
            return Err(invalid(op, "body", "this operation takes no request body"));
        }
        (Some(body), _) => body,
    };
    let wrong = || {
        invalid(
            op,
            "body",
            format!("this operation takes a {:?} body", op.body),
        )
    };
    Ok(Some(match (op.body, body) {
        (BodyKind::Structured, Body::Value(value)) => {
            let wrapped = envelope::request_body(op, value.clone());
            let bytes = codec_of(op)?
                .encode(&wrapped)
                .map_err(|m| invalid(op, "body", m))?;
            Encoded::Bytes {
                bytes: bytes.into(),
                content_type: op.format.media_type().to_owned(),
            }
        }
        (BodyKind::Form, Body::Value(value)) => Encoded::Form(
            form_pairs(value, op.vendor().booleans).map_err(|m| invalid(op, "body", m))?,
        ),
        (BodyKind::Multipart, Body::Multipart(form)) => {
            let (bytes, content_type) = form.encode().map_err(|m| invalid(op, "body", m))?;
            Encoded::Bytes {
                bytes: bytes.into(),
                content_type,
            }
        }
        (
            BodyKind::Bytes { content_type },
            Body::Bytes {
                bytes,
                content_type: given,
            },
        ) => Encoded::Bytes {
            bytes: bytes.clone(),
            content_type: given
                .clone()
                .or(content_type.map(str::to_owned))
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
        },
        _ => return Err(wrong()),
    }))
}

/// What every attempt of one call sends alike.
#[derive(Clone, Copy)]
struct Prepared<'a> {
    url: &'a str,
    query: &'a [(String, String)],
    body: Option<&'a Encoded>,
    /// The idempotency-key header and the call's key.
    idempotency: Option<(&'static str, &'a str)>,
}

enum Attempt {
    Done(Answer),
    Failed {
        status: u16,
        headers: HeaderMap,
        body: Bytes,
        /// The credentials this attempt sent, for `Auth::invalidate`.
        sent: AuthTarget,
    },
}

impl Client {
    /// The full URL of `op` with `req`'s path parameters. Placeholders may sit anywhere in a
    /// segment (`/Accounts(guid'{id}')`); each value is percent-encoded so that it stays
    /// inside its place.
    pub(crate) fn url(&self, op: &'static Operation, req: &Request) -> Result<String, Error> {
        let mut path = op.path.to_owned();
        for (name, value) in &req.path_params {
            // URL normalisation would turn `.` and `..` (even percent-encoded) into another
            // path, i.e. another resource: refuse them rather than act on the wrong object.
            if value.is_empty() || value == "." || value == ".." {
                return Err(invalid(
                    op,
                    name,
                    format!("{value:?} is not a usable path segment"),
                ));
            }
            path = path.replace(&format!("{{{name}}}"), &encode_segment(value));
        }
        if let Some(start) = path.find('{') {
            let name: String = path[start + 1..]
                .chars()
                .take_while(|c| *c != '}')
                .collect();
            return Err(invalid(op, &name, "path parameter missing"));
        }
        Ok(format!("{}{}", self.base_url(), path))
    }

    /// A next-page link (already resolved against the page that named it) is followed only on
    /// the base URL's own origin: credentials must never be sent to a host a body named.
    fn checked_link(&self, op: &'static Operation, link: &str) -> Result<String, Error> {
        let bad = |m: &str| Error::Decode {
            origin: origin(op),
            path: "next link".to_owned(),
            message: m.to_owned(),
            excerpt: excerpt(&shown_url(link), EXCERPT_CHARS),
        };
        let base = reqwest::Url::parse(self.base_url()).map_err(|_| bad("invalid base URL"))?;
        let next = base.join(link).map_err(|_| bad("invalid next-page link"))?;
        if next.origin() != base.origin() {
            return Err(bad(
                "next-page link points to another host; not following it",
            ));
        }
        Ok(next.to_string())
    }

    /// Sends one call with retries, rate-limit waits and error mapping. `link` replaces the
    /// URL and query (next-page links).
    pub(crate) async fn send(
        &self,
        op: &'static Operation,
        req: &Request,
        link: Option<&str>,
    ) -> Result<Answer, Error> {
        let redactor = self.redactor(op, req);
        match self.send_scrubbing(op, req, link, &redactor).await {
            Ok(mut answer) => {
                answer.redactor = redactor;
                Ok(answer)
            }
            Err(e) => Err(redactor.error(e)),
        }
    }

    /// [`Client::send`]; errors logged on the way are scrubbed by `redactor`, the caller
    /// scrubs the one returned.
    async fn send_scrubbing(
        &self,
        op: &'static Operation,
        req: &Request,
        link: Option<&str>,
        redactor: &Redactor,
    ) -> Result<Answer, Error> {
        if let Some((field, message)) = &req.invalid {
            return Err(invalid(op, field, message.clone()));
        }
        let url = match link {
            Some(link) => self.checked_link(op, link)?,
            None => self.url(op, req)?,
        };
        let query = if link.is_some() {
            Vec::new()
        } else {
            req.query_pairs(op.vendor().booleans)
        };
        let body = encode_body(op, req)?;
        // One key per call, the same on every attempt, so that the vendor recognises a repeat
        // of a write it already applied; that is what makes retrying such a write safe.
        let idempotency = match (op.idempotency_key, &req.idempotency_key) {
            (None, _) => None,
            (Some(header), Some(key)) => {
                if HeaderValue::from_str(key).is_err() || key.is_empty() {
                    return Err(invalid(
                        op,
                        "idempotency_key",
                        "an idempotency key must be non-empty visible ASCII",
                    ));
                }
                Some((header, key.clone()))
            }
            (Some(header), None) => Some((header, idempotency::new_key())),
        };
        let repeatable = op.idempotent || idempotency.is_some();
        let prepared = Prepared {
            url: &url,
            query: &query,
            body: body.as_ref(),
            idempotency: idempotency.as_ref().map(|(h, k)| (*h, k.as_str())),
        };
        let policy = &self.config().retry;
        let deadline = self.config().operation_timeout;
        let started = Instant::now();
        let mut auth_retried = false;
        let mut attempt = 0;
        // Requests actually sent (a repeat after a refreshed token included), for errors.
        let mut sent = 0;
        let mut any_applied = false;
        loop {
            attempt += 1;
            let time_left = deadline.saturating_sub(started.elapsed());
            let mut permit = self.wait_for_rate_limit(op, time_left).await?;
            let time_left = deadline.saturating_sub(started.elapsed());
            if time_left.is_zero() {
                return Err(deadline_passed(op, deadline, sent, started, any_applied));
            }
            sent += 1;
            let span = tracing::debug_span!("erp.request", vendor = op.vendor().name, operation = %op.qualified_name(), method = op.method.as_str(), attempt, status = tracing::field::Empty);
            let result = tokio::time::timeout(
                time_left,
                self.attempt(op, &prepared, &mut permit, started)
                    .instrument(span.clone()),
            )
            .await;
            // Answered (or failed without an answer): the place in flight is free again.
            drop(permit);
            let Ok(result) = result else {
                // The deadline passed while this attempt was under way: it may have been sent.
                return Err(deadline_passed(op, deadline, sent, started, true));
            };
            let (outcome, server_wait, error) = match result {
                Ok(Attempt::Done(answer)) => {
                    span.record("status", answer.status);
                    return Ok(answer);
                }
                Ok(Attempt::Failed {
                    status,
                    headers,
                    body,
                    sent: credentials,
                }) => {
                    span.record("status", status);
                    if status == 401 && !auth_retried && self.auth().invalidate(&credentials).await
                    {
                        auth_retried = true;
                        attempt -= 1;
                        continue;
                    }
                    let (outcome, wait, error) =
                        classify::status(op, status, &headers, &body, SystemTime::now());
                    (
                        outcome,
                        wait,
                        error.with_request_id(request_id(op, &headers).as_deref()),
                    )
                }
                Err(failure) => failure,
            };
            any_applied |= outcome.maybe_applied();
            // Before the retry log line shows it.
            let error = redactor.error(error);
            if let (Outcome::RateLimited, Some(wait)) = (outcome, server_wait) {
                // The vendor said when to come back: every request of this client (all
                // clones) holds until then, not just this one.
                self.gate().pause(wait);
            }
            let time_left = deadline.saturating_sub(started.elapsed());
            match policy.decide(attempt, repeatable, outcome, server_wait, time_left) {
                Decision::RetryAfter(wait) => {
                    tracing::warn!(vendor = op.vendor().name, operation = op.name, attempt, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
                    tokio::time::sleep(wait).await;
                }
                Decision::GiveUp => {
                    return Err(with_tries(error, sent, started.elapsed(), any_applied));
                }
            }
        }
    }

    /// Takes a permit of every rate-limit window (waiting for it when a window is used up),
    /// or fails without sending when the window fails fast (a daily quota) or its reset is
    /// further away than `max_rate_limit_wait`.
    /// The wait is bounded by `time_left` too: no wait outlasts the operation's deadline.
    async fn wait_for_rate_limit(
        &self,
        op: &'static Operation,
        time_left: Duration,
    ) -> Result<Permit<'_>, Error> {
        let max_wait = self.config().retry.max_rate_limit_wait.min(time_left);
        self.gate().acquire(max_wait).await.map_err(|refusal| {
            tracing::info!(
                vendor = op.vendor().name,
                operation = op.name,
                window = refusal.window.unwrap_or("429 hint"),
                wait_ms = refusal.wait.as_millis() as u64,
                fail_fast = refusal.fail_fast,
                "rate-limit window used up; not sending"
            );
            Error::RateLimited {
                origin: origin(op),
                retry_after: Some(refusal.wait),
                reset_at: SystemTime::now().checked_add(refusal.wait),
                message: None,
                window: refusal.window,
            }
        })
    }

    fn headers(
        &self,
        op: &'static Operation,
        body: Option<&Encoded>,
        idempotency: Option<(&'static str, &str)>,
    ) -> Result<HeaderMap, Error> {
        let mut headers = HeaderMap::new();
        let config_error = |message: String| Error::Config {
            vendor: op.vendor().name,
            message,
        };
        let accept = HeaderValue::from_str(op.accept)
            .map_err(|_| config_error(format!("`{}` is not a valid Accept value", op.accept)))?;
        headers.insert(ACCEPT, accept);
        for (name, value) in op.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| config_error(format!("`{name}` is not a valid header name")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| config_error(format!("the value of header `{name}` is not valid")))?;
            headers.insert(name, value);
        }
        if let Some(Encoded::Bytes { content_type, .. }) = body {
            let value = HeaderValue::from_str(content_type).map_err(|_| {
                config_error(format!("`{content_type}` is not a valid content type"))
            })?;
            headers.insert(CONTENT_TYPE, value);
        }
        if let Some((name, key)) = idempotency {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| config_error(format!("`{name}` is not a valid header name")))?;
            let key = HeaderValue::from_str(key).map_err(|_| {
                config_error("the idempotency key is not a valid header value".into())
            })?;
            headers.insert(name, key);
        }
        Ok(headers)
    }

    async fn attempt(
        &self,
        op: &'static Operation,
        prepared: &Prepared<'_>,
        permit: &mut Permit<'_>,
        started: Instant,
    ) -> Result<Attempt, Failure> {
        let Prepared {
            url,
            query,
            body,
            idempotency,
        } = *prepared;
        let headers = self
            .headers(op, body, idempotency)
            .map_err(|e| (Outcome::ClientError(0), None, e))?;
        let ctx = AuthContext {
            http: self.http().clone(),
            vendor: op.vendor().name,
        };
        let mut sent = AuthTarget::new(headers);
        self.auth()
            .authorize(&ctx, &mut sent)
            .await
            .map_err(|e| (Outcome::ClientError(0), None, e))?;
        self.credentials().remember(&sent);
        let mut builder = self
            .http()
            .request(http_method(op.method), url)
            .headers(sent.headers.clone());
        if !query.is_empty() {
            builder = builder.query(query);
        }
        if !sent.query.is_empty() {
            // Credentials go last so they replace nothing the operation set.
            let credentials: Vec<(&str, &str)> = sent
                .query
                .iter()
                .map(|(n, v)| (n.as_str(), v.expose()))
                .collect();
            builder = builder.query(&credentials);
        }
        builder = match body {
            Some(Encoded::Bytes { bytes, .. }) => builder.body(bytes.clone()),
            Some(Encoded::Form(pairs)) => builder.form(pairs),
            None => builder,
        };
        let timeout = self.config().request_timeout;
        let response = builder
            .send()
            .await
            .map_err(|e| classify::transport(op, e, timeout, started))?;
        let status = response.status().as_u16();
        let url = response.url().to_string();
        let headers = response.headers().clone();
        let request_id = request_id(op, &headers);
        self.gate().record(permit, status, &headers);
        let success = (200..300).contains(&status);
        if success && op.returns == Returns::ByteStream {
            return Ok(Attempt::Done(Answer {
                status,
                headers,
                url,
                body: AnswerBody::Unread(response),
                redactor: Redactor::none(),
                request_id,
            }));
        }
        let limit = self.config().max_response_bytes;
        let body = read_capped(response, limit).await.map_err(|e| {
            let (outcome, wait, error) =
                classify::unread_body(op, status, e, limit, timeout, started);
            (outcome, wait, error.with_request_id(request_id.as_deref()))
        })?;
        tracing::debug!(status, bytes = body.len(), "response");
        if !success {
            return Ok(Attempt::Failed {
                status,
                headers,
                body,
                sent,
            });
        }
        Ok(Attempt::Done(Answer {
            status,
            headers,
            url,
            body: AnswerBody::Full(body),
            redactor: Redactor::none(),
            request_id,
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::test_server::{Reply, client, get_item, serve};

    #[tokio::test]
    async fn a_refused_next_link_is_shown_without_userinfo_and_fragment() {
        let addr = serve(|_| Reply::json(200, "{}")).await;
        let client = client(addr, crate::auth::NoAuth);
        let link = "https://me:pa55word@elsewhere.example/items?page=2#section";
        let err = client
            .send(get_item(), &crate::Request::new(), Some(link))
            .await
            .err()
            .expect("another origin is refused");
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("elsewhere.example/items?page=2"), "{shown}");
        assert!(
            !shown.contains("pa55word") && !shown.contains("section"),
            "{shown}"
        );
    }
}
