//! Classifying a failed attempt: what went wrong (a typed [`Error`]), whether a retry may
//! help (an [`Outcome`] for the retry policy) and how long the vendor asked us to wait.

use std::time::{Duration, Instant, SystemTime};

use reqwest::header::HeaderMap;

use crate::body::ReadError;
use crate::decode::{EXCERPT_CHARS, codec_of, redacted_excerpt};
use crate::descriptor::Operation;
use crate::envelope;
use crate::error::{Error, TimeLimit, excerpt};
use crate::rate_limit;
use crate::retry::Outcome;
use crate::send::origin;

/// A classified failure: the retry policy's input and the error the caller gets.
pub(crate) type Failure = (Outcome, Option<Duration>, Error);

/// A non-2xx answer.
pub(crate) fn status(
    op: &'static Operation,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Failure {
    let vendor = op.vendor();
    let text = String::from_utf8_lossy(body);
    let parsed = codec_of(op).ok().and_then(|c| c.decode(body).ok());
    let (message, code) = parsed
        .as_ref()
        .map(|v| envelope::error_details(vendor.error_message_paths, vendor.error_code_paths, v))
        .unwrap_or_default();
    // A body the codec cannot read (an HTML error page) has no message; short plain text is
    // one, its lines (several messages, as Spreedly's 422s) joined like a list of messages.
    let message = message.or_else(|| {
        (parsed.is_none()
            && !text.trim_start().starts_with('<')
            && !text.trim().is_empty()
            && text.len() < 500)
            .then(|| plain_text_message(&text))
    });
    let origin = origin(op);
    match status {
        429 => {
            let (mut reset_in, mut reset_at, mut window) = (None, None, None);
            for w in vendor.rate_limits {
                let s = rate_limit::parse_status(w, headers, now);
                reset_in = reset_in.max(s.reset_in);
                reset_at = reset_at.max(s.reset_at);
                // The window that says it is used up is the one to name.
                if s.remaining == Some(0) && window.is_none() {
                    window = Some(w.name);
                }
            }
            // Every hint the vendor gave counts; the longest wins, and a hint of zero (a
            // reset already in the past, clock skew) is no hint at all.
            let wait = [
                rate_limit::retry_after(headers, now),
                reset_in,
                message.as_deref().and_then(rate_limit::seconds_in_message),
            ]
            .into_iter()
            .flatten()
            .filter(|w| !w.is_zero())
            .max();
            let reset_at = reset_at.or_else(|| wait.and_then(|w| now.checked_add(w)));
            (
                Outcome::RateLimited,
                wait,
                Error::RateLimited {
                    origin,
                    retry_after: wait,
                    reset_at,
                    message,
                    window,
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
                rate_limit::retry_after(headers, now)
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

/// A plain-text error body as one message: each non-blank line trimmed, joined by `; `.
fn plain_text_message(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A body that could not be read whole: over the cap (a retry would get the same body) or
/// broken off.
pub(crate) fn unread_body(
    op: &'static Operation,
    status: u16,
    e: ReadError,
    limit: u64,
    timeout: Duration,
    started: Instant,
) -> Failure {
    match e {
        ReadError::TooLarge { read, announced } => (
            Outcome::ClientError(status),
            None,
            Error::ResponseTooLarge {
                origin: origin(op),
                status,
                limit,
                read,
                announced,
            },
        ),
        ReadError::Transport(e) => transport(op, e, timeout, started),
    }
}

/// A request that got no complete answer, as the error of one attempt (the send loop fills in
/// the attempts and the time they took). Whether it may have been applied follows from what
/// failed: a connection that never opened (refused, DNS, TLS, a connect timeout) carried
/// nothing; anything later may have carried the whole request.
pub(crate) fn transport(
    op: &'static Operation,
    e: reqwest::Error,
    timeout: Duration,
    started: Instant,
) -> Failure {
    let outcome = if e.is_redirect() {
        Outcome::RedirectRefused
    } else if e.is_connect() {
        Outcome::ConnectFailed
    } else if e.is_timeout() {
        Outcome::TimedOut
    } else {
        Outcome::TransportFailed
    };
    let (maybe_applied, elapsed) = (outcome.maybe_applied(), started.elapsed());
    if e.is_timeout() {
        return (
            outcome,
            None,
            Error::Timeout {
                origin: origin(op),
                limit: TimeLimit::Attempt(timeout),
                attempts: 1,
                elapsed,
                maybe_applied,
            },
        );
    }
    let message = error_chain(&e);
    (
        outcome,
        None,
        Error::Transport {
            origin: origin(op),
            message,
            source: Some(e.without_url()),
            maybe_applied,
            attempts: 1,
            elapsed,
        },
    )
}

/// The messages of an error and its sources, without URLs (they may carry query values).
pub(crate) fn error_chain(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    let head = if e.is_redirect() {
        "redirect not followed"
    } else if e.is_connect() {
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
