//! The one error type of every vendor crate.

use std::time::{Duration, SystemTime};

use crate::oauth2::TokenErrorKind;
use crate::paging::PagingProblem;

/// Where an error happened: vendor and operation (`billomat`, `clients.list`), and the
/// vendor's id of the answered request where the vendor sends one (`errors.request_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub vendor: &'static str,
    pub operation: String,
    /// The vendor's id of the request that earned the error (e.g. its `X-Request-Id`), which
    /// its support asks for.
    pub request_id: Option<String>,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.vendor, self.operation)?;
        match &self.request_id {
            Some(id) => write!(f, " (request {id})"),
            None => Ok(()),
        }
    }
}

/// Everything that can go wrong when calling a vendor.
///
/// `Display` always includes the vendor and operation, and the vendor's own message when the
/// vendor sent one. No variant ever holds a credential.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request could not be sent or the response could not be read (DNS, TCP, TLS, a
    /// redirect the client refused, ...).
    #[error("{origin}: transport error: {message}{}", tries(*attempts, *elapsed))]
    Transport {
        origin: Box<Origin>,
        message: String,
        #[source]
        source: Option<reqwest::Error>,
        /// Whether an attempt may have reached the vendor and been acted on (see
        /// [`Error::maybe_applied`]).
        maybe_applied: bool,
        /// Attempts made, the first one included.
        attempts: u32,
        /// Time from the start of the call to the error, waits included.
        elapsed: Duration,
    },

    /// The answer's body is larger than the client's cap ([`crate::Config::max_response_bytes`]):
    /// it was refused when announced (`Content-Length`) or as soon as more than `limit` bytes
    /// arrived, so memory stays bounded. A retry would get the same body, so none is made.
    #[error("{origin}: the response body (HTTP {status}) exceeds the cap of {limit} bytes: {}", match announced { Some(n) => format!("{n} bytes announced, none read"), None => format!("stopped after reading {read} bytes") })]
    ResponseTooLarge {
        origin: Box<Origin>,
        status: u16,
        /// The cap, in bytes.
        limit: u64,
        /// Bytes read before stopping (0 when the announced length was refused).
        read: u64,
        /// The `Content-Length` the server announced, when that alone exceeded the cap.
        announced: Option<u64>,
    },

    /// No complete answer arrived in time: within the per-attempt limit on the last attempt,
    /// or before the operation's deadline (all attempts and waits together).
    #[error("{origin}: {}", timed_out(limit, *attempts, *elapsed))]
    Timeout {
        origin: Box<Origin>,
        /// The limit that ran out.
        limit: TimeLimit,
        /// Attempts made, the first one included.
        attempts: u32,
        /// Time from the start of the call to the error, waits included.
        elapsed: Duration,
        /// Whether an attempt may have reached the vendor and been acted on.
        maybe_applied: bool,
    },

    /// The vendor answered with an error status (or an error body with a success status).
    #[error("{origin}: HTTP {status}{}{}", code.as_ref().map(|c| format!(" {c}")).unwrap_or_default(), describe(message.as_deref(), body_excerpt))]
    Api {
        origin: Box<Origin>,
        status: u16,
        message: Option<String>,
        code: Option<String>,
        body_excerpt: String,
    },

    /// The vendor answered that the object does not exist.
    #[error("{origin}: not found{}", message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    NotFound {
        origin: Box<Origin>,
        status: u16,
        message: Option<String>,
    },

    /// The vendor rejected the credentials.
    #[error("{origin}: unauthorized (HTTP {status}){}", message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    Unauthorized {
        origin: Box<Origin>,
        status: u16,
        message: Option<String>,
    },

    /// The vendor's rate limit is exhausted and waiting was not allowed (or retries ran out).
    /// Also returned without sending anything when the client's own metering knows a window is
    /// used up and it fails fast (a daily quota) or resets later than `max_rate_limit_wait`.
    #[error("{origin}: rate limited{}{}{}{}", window.map(|w| format!(" (window `{w}`)")).unwrap_or_default(), retry_after.map(|d| format!(", retry in {}s", d.as_secs())).unwrap_or_default(), reset_at.map(|t| format!(", resets at {}", chrono::DateTime::<chrono::Utc>::from(t).format("%Y-%m-%d %H:%M:%S UTC"))).unwrap_or_default(), message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    RateLimited {
        origin: Box<Origin>,
        retry_after: Option<Duration>,
        reset_at: Option<SystemTime>,
        message: Option<String>,
        /// The rate-limit window (its name in the spec) that is used up, when known.
        window: Option<&'static str>,
    },

    /// The body did not have the expected shape or types.
    #[error("{origin}: cannot decode response at `{path}`: {message} (body: {excerpt})")]
    Decode {
        origin: Box<Origin>,
        path: String,
        message: String,
        excerpt: String,
    },

    /// The caller passed a value the request cannot be built from.
    #[error("{origin}: invalid input `{field}`: {message}")]
    InvalidInput {
        origin: Box<Origin>,
        field: String,
        message: String,
    },

    /// The vendor answered with a body of another kind than the operation expects, such as
    /// an HTML maintenance page with status 200 where JSON was expected.
    #[error("{origin}: expected {expected} but the vendor answered {}HTTP {status} (body: {excerpt})", content_type.as_ref().map(|c| format!("`{c}` with ")).unwrap_or_default())]
    UnexpectedContent {
        origin: Box<Origin>,
        status: u16,
        expected: &'static str,
        content_type: Option<String>,
        excerpt: String,
    },

    /// The client refused the call before sending anything: the spec allows the operation
    /// only under a condition the configuration does not meet (Spreedly deletes subscribers
    /// only on test sites).
    #[error("{origin}: not allowed: {message}")]
    NotAllowed {
        origin: Box<Origin>,
        message: String,
    },

    /// The vendor's pages contradict each other or themselves (a total that the pages do not
    /// add up to, a cursor that repeats), or there are more pages than the configured cap:
    /// the list would be incomplete or endless, so it is an error.
    #[error("{origin}: inconsistent paging: {problem} (after {pages} page{}, {records} record{} handed out{})", plural(*pages), plural(*records), total.map(|t| format!(", {t} in total reported")).unwrap_or_default())]
    Paging {
        origin: Box<Origin>,
        problem: PagingProblem,
        /// Pages fetched, the one that showed the problem included.
        pages: u64,
        /// Records handed to the caller before the problem.
        records: u64,
        /// The total the vendor reported on its first page, if it reports one.
        total: Option<u64>,
    },

    /// A `get` answered with a record other than the one asked for (its key field holds
    /// another value), as a vendor that ignores the id parameter does.
    #[error(
        "{origin}: asked for the record with `{field}` = {requested} but the vendor answered with {received}"
    )]
    WrongRecord {
        origin: Box<Origin>,
        /// The record's key field (its wire name).
        field: &'static str,
        requested: String,
        /// The key the answer's record holds (`no value` when it has none).
        received: String,
    },

    /// The client was configured wrongly (missing base URL variable, bad URL, ...).
    #[error("{vendor}: invalid configuration: {message}")]
    Config {
        vendor: &'static str,
        message: String,
    },

    /// An authentication provider failed (e.g. an OAuth2 token exchange). `kind` says what to
    /// do about it; `message` carries the token endpoint's `error_description`, if any.
    #[error("{vendor}: authentication failed: {message}")]
    Auth {
        vendor: &'static str,
        kind: AuthErrorKind,
        message: String,
    },
}

/// What went wrong in an authentication provider ([`Error::Auth`]).
///
/// ```
/// use erp_runtime::{AuthErrorKind, Error, oauth2::TokenErrorKind};
/// fn must_log_in_again(e: &Error) -> bool {
///     matches!(
///         e.auth_kind(),
///         Some(AuthErrorKind::NotAuthorized | AuthErrorKind::TokenEndpoint(TokenErrorKind::InvalidGrant))
///     )
/// }
/// # let _ = must_log_in_again;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthErrorKind {
    /// The token endpoint refused the request with an OAuth2 error code (RFC 6749 §5.2).
    /// [`TokenErrorKind::InvalidGrant`] on a refresh means the user must authorize again.
    TokenEndpoint(TokenErrorKind),
    /// The token endpoint could not be reached, or did not answer in time.
    Transport,
    /// The token endpoint answered something other than a token or an OAuth2 error.
    InvalidResponse,
    /// There is no token and no way to get one without the user (no refresh token stored):
    /// run the authorization code flow first.
    NotAuthorized,
    /// A new token is needed, but the configured minimum interval between token requests
    /// has not passed; one may be requested from `retry_at` on.
    RefreshTooSoon { retry_at: SystemTime },
    /// Reading, writing or locking the token store failed. After a refresh this means the new
    /// tokens are not persisted; they are kept in memory and saving is retried first thing.
    Store,
    /// The authorization redirect failed: access denied, `state` mismatch, no redirect in time.
    Authorization,
    /// The provider is configured wrongly (e.g. a plain-http token URL).
    Config,
}

/// Which time limit ran out ([`Error::Timeout`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeLimit {
    /// The per-attempt limit (`request_timeout`), on the last attempt.
    Attempt(Duration),
    /// The operation's deadline (`operation_timeout`), across all attempts and waits.
    Operation(Duration),
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// ` (3 attempts in 1.2s)` after a retried failure; nothing after a single attempt.
fn tries(attempts: u32, elapsed: Duration) -> String {
    if attempts > 1 {
        format!(" ({attempts} attempts in {elapsed:.1?})")
    } else {
        String::new()
    }
}

fn timed_out(limit: &TimeLimit, attempts: u32, elapsed: Duration) -> String {
    let spent = format!(
        "{attempts} attempt{} in {elapsed:.1?}",
        plural(attempts.into())
    );
    match limit {
        TimeLimit::Attempt(limit) => {
            format!("no response within {limit:?} per attempt ({spent})")
        }
        TimeLimit::Operation(limit) => {
            format!("no answer before the operation deadline of {limit:?} ({spent})")
        }
    }
}

fn describe(message: Option<&str>, excerpt: &str) -> String {
    match message {
        Some(m) => format!(": {m}"),
        None if excerpt.is_empty() => String::new(),
        None => format!(" (body: {excerpt})"),
    }
}

/// `$then` with `$origin` bound to the error's origin, or `$none` for the variants without one;
/// one list of variants for shared and mutable access.
macro_rules! on_origin {
    ($error:expr, $origin:ident => $then:expr, $none:expr) => {
        match $error {
            Error::Transport {
                origin: $origin, ..
            }
            | Error::ResponseTooLarge {
                origin: $origin, ..
            }
            | Error::Timeout {
                origin: $origin, ..
            }
            | Error::Api {
                origin: $origin, ..
            }
            | Error::NotFound {
                origin: $origin, ..
            }
            | Error::Unauthorized {
                origin: $origin, ..
            }
            | Error::RateLimited {
                origin: $origin, ..
            }
            | Error::Decode {
                origin: $origin, ..
            }
            | Error::InvalidInput {
                origin: $origin, ..
            }
            | Error::UnexpectedContent {
                origin: $origin, ..
            }
            | Error::NotAllowed {
                origin: $origin, ..
            }
            | Error::Paging {
                origin: $origin, ..
            }
            | Error::WrongRecord {
                origin: $origin, ..
            } => $then,
            Error::Config { .. } | Error::Auth { .. } => $none,
        }
    };
}

impl Error {
    /// Where the error happened: vendor, operation and, for an answered call, the vendor's
    /// request id. `None` for `Config` and `Auth`, which happen outside any one operation.
    pub fn origin(&self) -> Option<&Origin> {
        on_origin!(self, origin => Some(origin), None)
    }

    /// The vendor's id of the request that earned this error, when the vendor sent one in
    /// the header its spec names (`errors.request_id`). `Display` shows it too.
    pub fn request_id(&self) -> Option<&str> {
        self.origin()?.request_id.as_deref()
    }

    /// This error, marked with the vendor's id of the request whose answer it is about (a
    /// mark already there stays).
    pub(crate) fn with_request_id(mut self, id: Option<&str>) -> Self {
        if let Some(id) = id {
            on_origin!(&mut self, origin => {
                origin.request_id.get_or_insert_with(|| id.to_owned());
            }, ())
        }
        self
    }

    /// HTTP status of the vendor's answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. }
            | Error::NotFound { status, .. }
            | Error::Unauthorized { status, .. }
            | Error::ResponseTooLarge { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// The vendor's own error message, when it sent one.
    pub fn vendor_message(&self) -> Option<&str> {
        match self {
            Error::Api { message, .. }
            | Error::NotFound { message, .. }
            | Error::Unauthorized { message, .. }
            | Error::RateLimited { message, .. } => message.as_deref(),
            _ => None,
        }
    }

    /// What went wrong in an authentication provider, for [`Error::Auth`].
    pub fn auth_kind(&self) -> Option<&AuthErrorKind> {
        match self {
            Error::Auth { kind, .. } => Some(kind),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// Whether the request may have reached the vendor and been acted on, so that repeating
    /// a write could apply it twice. `false` means it provably was not: it was never sent (no
    /// connection, refused by the client's own checks or rate-limit metering) or the vendor
    /// refused it (4xx, 429). `true` covers a connection that broke after sending, an answer
    /// that did not arrive in time, a 5xx, and a success status whose body was unusable.
    ///
    /// ```
    /// # use erp_runtime::Error;
    /// fn safe_to_send_again(e: &Error) -> bool {
    ///     !e.maybe_applied()
    /// }
    /// # let _ = safe_to_send_again;
    /// ```
    pub fn maybe_applied(&self) -> bool {
        match self {
            Error::Transport { maybe_applied, .. } | Error::Timeout { maybe_applied, .. } => {
                *maybe_applied
            }
            // Answered: a client error was refused, anything else may have been acted on.
            Error::Api { status, .. } | Error::ResponseTooLarge { status, .. } => {
                !(400..500).contains(status)
            }
            Error::Decode { .. } | Error::UnexpectedContent { .. } => true,
            Error::NotFound { .. }
            | Error::Unauthorized { .. }
            | Error::RateLimited { .. }
            | Error::InvalidInput { .. }
            | Error::NotAllowed { .. }
            | Error::Paging { .. }
            | Error::WrongRecord { .. }
            | Error::Config { .. }
            | Error::Auth { .. } => false,
        }
    }

    /// Attempts made before the error, when the call got as far as sending.
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Error::Transport { attempts, .. } | Error::Timeout { attempts, .. } => Some(*attempts),
            _ => None,
        }
    }
}

/// A URL as an error may show it: without its fragment and without user name and password
/// (`https://user:pw@host/` is how credentials hide in a URL). Works on relative links too.
pub(crate) fn shown_url(url: &str) -> String {
    let url = url.split('#').next().unwrap_or_default();
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    format!("{scheme}://{host}{tail}")
}

/// Shortens a body for an error message, on a character boundary, with whitespace collapsed.
pub fn excerpt(body: &str, max_chars: usize) -> String {
    let collapsed: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= max_chars {
        return collapsed;
    }
    let mut out: String = collapsed.chars().take(max_chars).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Box<Origin> {
        Box::new(Origin {
            vendor: "billomat",
            operation: "clients.get".into(),
            request_id: None,
        })
    }

    #[test]
    fn display_shows_the_vendor_message() {
        let e = Error::Api {
            origin: origin(),
            status: 422,
            message: Some("Invoice is not a draft".into()),
            code: None,
            body_excerpt: "{...}".into(),
        };
        assert_eq!(
            e.to_string(),
            "billomat clients.get: HTTP 422: Invoice is not a draft"
        );
    }

    #[test]
    fn display_falls_back_to_the_body_excerpt() {
        let e = Error::Api {
            origin: origin(),
            status: 502,
            message: None,
            code: None,
            body_excerpt: "<html>Bad gateway</html>".into(),
        };
        assert_eq!(
            e.to_string(),
            "billomat clients.get: HTTP 502 (body: <html>Bad gateway</html>)"
        );
    }

    #[test]
    fn shown_urls_lose_userinfo_and_fragment() {
        assert_eq!(
            shown_url("https://me:pw@api.example.com/x?page=2#top"),
            "https://api.example.com/x?page=2"
        );
        assert_eq!(shown_url("/items?page=2#frag"), "/items?page=2");
        assert_eq!(shown_url("https://a@b@host"), "https://host");
    }

    #[test]
    fn excerpt_cuts_on_char_boundaries() {
        assert_eq!(excerpt("ääää  bb", 3), "äää…");
        assert_eq!(excerpt("a\n  b", 10), "a b");
    }
}
