//! Reading the vendor's rate-limit headers and holding requests while a window is exhausted.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::descriptor::{RateWindow, ResetUnit, WhenExhausted};

/// What one response said about the rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimitStatus {
    pub remaining: Option<u64>,
    /// Time until the window resets, measured when the response arrived.
    pub reset_in: Option<Duration>,
    pub reset_at: Option<SystemTime>,
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Epoch values above this are milliseconds whatever the spec says (in seconds it would be
/// the year 5138): a vendor that switches units must not block a client for millennia.
const EPOCH_MILLIS_THRESHOLD: f64 = 1e11;

/// The reset moment a header value names, in the window's unit.
fn reset_moment(unit: ResetUnit, value: f64, now: SystemTime) -> Option<SystemTime> {
    let since_epoch = |secs: f64| UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(secs).ok()?);
    match unit {
        ResetUnit::EpochSeconds if value > EPOCH_MILLIS_THRESHOLD => since_epoch(value / 1000.0),
        ResetUnit::EpochSeconds => since_epoch(value),
        ResetUnit::EpochMillis => since_epoch(value / 1000.0),
        ResetUnit::DeltaSeconds => now.checked_add(Duration::try_from_secs_f64(value).ok()?),
    }
}

/// Parses the vendor's headers for one window; unparsable values are ignored, never fatal.
pub fn parse_status(window: &RateWindow, headers: &HeaderMap, now: SystemTime) -> RateLimitStatus {
    let remaining = window
        .remaining_header
        .and_then(|h| header_str(headers, h))
        .and_then(|v| v.parse().ok());
    let reset_at = window
        .reset_header
        .and_then(|h| header_str(headers, h))
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|n| n.is_finite() && *n >= 0.0)
        .and_then(|n| reset_moment(window.reset_unit, n, now));
    // A reset in the past means "now" (clock skew); never a negative wait. A reset further
    // away than the window is long is a misread header: the window bounds it.
    let bound = window.seconds.map(Duration::from_secs);
    let reset_in = reset_at.map(|at| {
        let wait = at.duration_since(now).unwrap_or(Duration::ZERO);
        bound.map_or(wait, |b| wait.min(b))
    });
    RateLimitStatus {
        remaining,
        reset_in,
        reset_at,
    }
}

/// `Retry-After` as seconds or as an HTTP date.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = header_str(headers, "retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs.max(0.0)).ok();
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let at = UNIX_EPOCH.checked_add(Duration::from_secs(u64::try_from(at.timestamp()).ok()?))?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// "Try again in 246 seconds." in a vendor's 429 message.
pub fn seconds_in_message(message: &str) -> Option<Duration> {
    let lower = message.to_ascii_lowercase();
    let at = lower.find(" in ")?;
    let rest = lower[at + 4..].trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = rest[digits.len()..].trim_start();
    if !after.starts_with("sec") {
        return None;
    }
    digits.parse().ok().map(Duration::from_secs)
}

/// Shared across clones of a client: when the last response said the window is used up,
/// the next request waits for the reset instead of earning a 429.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    blocked: Mutex<Block>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Block {
    until: Option<Instant>,
    /// Set when the blocking window fails fast (a daily quota): no waiting, an error at once.
    fail_fast: bool,
}

/// What the gate says before a request goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hold {
    pub wait: Duration,
    pub fail_fast: bool,
}

/// Added to every reset wait: the vendor's clock and ours are not exactly aligned.
const RESET_MARGIN: Duration = Duration::from_millis(250);

impl Gate {
    /// Notes a response's rate-limit status. A block only ever grows and ends by itself at the
    /// reset the vendor named: a late response from before the block must not lift it.
    pub(crate) async fn record(&self, status: &RateLimitStatus, when: WhenExhausted) {
        let (Some(0), Some(wait)) = (status.remaining, status.reset_in) else {
            return;
        };
        let now = Instant::now();
        // A reset absurdly far away (a garbage header) must not overflow the clock; a day is
        // beyond any wait the retry policy accepts, so the caller still gets RateLimited.
        let until = now
            .checked_add(wait.saturating_add(RESET_MARGIN))
            .unwrap_or(now + Duration::from_secs(86_400));
        let fail_fast = when == WhenExhausted::FailFast;
        let mut guard = self.blocked.lock().await;
        *guard = match guard.until.filter(|u| *u > now) {
            None => Block {
                until: Some(until),
                fail_fast,
            },
            Some(current) => Block {
                until: Some(current.max(until)),
                fail_fast: guard.fail_fast || fail_fast,
            },
        };
    }

    /// How long the next request must wait, if at all.
    pub(crate) async fn hold(&self) -> Option<Hold> {
        let guard = *self.blocked.lock().await;
        guard
            .until
            .and_then(|until| until.checked_duration_since(Instant::now()))
            .filter(|d| !d.is_zero())
            .map(|wait| Hold {
                wait,
                fail_fast: guard.fail_fast,
            })
    }

    #[cfg(test)]
    async fn wait_needed(&self) -> Option<Duration> {
        self.hold().await.map(|h| h.wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BILLOMAT: RateWindow = RateWindow {
        name: "quarter-hourly",
        limit_header: None,
        remaining_header: Some("X-Rate-Limit-Remaining"),
        reset_header: Some("X-Rate-Limit-Reset"),
        reset_unit: ResetUnit::EpochSeconds,
        seconds: None,
        when_exhausted: WhenExhausted::Wait,
    };

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn epoch_second_reset_becomes_a_wait() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let s = parse_status(
            &BILLOMAT,
            &headers(&[
                ("X-Rate-Limit-Remaining", "0"),
                ("X-Rate-Limit-Reset", "1030"),
            ]),
            now,
        );
        assert_eq!(s.remaining, Some(0));
        assert_eq!(s.reset_in, Some(Duration::from_secs(30)));
    }

    #[test]
    fn a_reset_in_the_past_is_no_wait_and_garbage_is_ignored() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let s = parse_status(&BILLOMAT, &headers(&[("X-Rate-Limit-Reset", "900")]), now);
        assert_eq!(s.reset_in, Some(Duration::ZERO));
        let s = parse_status(
            &BILLOMAT,
            &headers(&[
                ("X-Rate-Limit-Remaining", "many"),
                ("X-Rate-Limit-Reset", "soon"),
            ]),
            now,
        );
        assert_eq!(s, RateLimitStatus::default());
    }

    #[test]
    fn millisecond_resets_are_supported() {
        let spec = RateWindow {
            reset_unit: ResetUnit::EpochMillis,
            ..BILLOMAT
        };
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let s = parse_status(&spec, &headers(&[("X-Rate-Limit-Reset", "1002500")]), now);
        assert_eq!(s.reset_in, Some(Duration::from_millis(2_500)));
    }

    #[test]
    fn milliseconds_where_seconds_were_declared_are_not_millennia() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let millis = "1700000002500";
        let s = parse_status(&BILLOMAT, &headers(&[("X-Rate-Limit-Reset", millis)]), now);
        assert_eq!(s.reset_in, Some(Duration::from_millis(2_500)));
        let windowed = RateWindow {
            reset_unit: ResetUnit::DeltaSeconds,
            seconds: Some(60),
            ..BILLOMAT
        };
        let s = parse_status(&windowed, &headers(&[("X-Rate-Limit-Reset", "60000")]), now);
        assert_eq!(
            s.reset_in,
            Some(Duration::from_secs(60)),
            "bounded by the window"
        );
    }

    #[test]
    fn retry_after_in_seconds_and_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_after(&headers(&[("Retry-After", "7")]), now),
            Some(Duration::from_secs(7))
        );
        let date = chrono::DateTime::from_timestamp(1_700_000_010, 0)
            .unwrap()
            .to_rfc2822();
        assert_eq!(
            retry_after(&headers(&[("Retry-After", &date)]), now),
            Some(Duration::from_secs(10))
        );
    }

    #[tokio::test]
    async fn the_gate_blocks_until_the_reset_and_ignores_late_responses() {
        let gate = Gate::default();
        assert_eq!(gate.wait_needed().await, None);
        gate.record(
            &RateLimitStatus {
                remaining: Some(0),
                reset_in: Some(Duration::from_secs(30)),
                reset_at: None,
            },
            WhenExhausted::Wait,
        )
        .await;
        let wait = gate.wait_needed().await.unwrap();
        assert!(
            wait > Duration::from_secs(29) && wait <= Duration::from_secs(31),
            "{wait:?}"
        );
        gate.record(
            &RateLimitStatus {
                remaining: Some(12),
                reset_in: Some(Duration::from_secs(5)),
                reset_at: None,
            },
            WhenExhausted::Wait,
        )
        .await;
        assert!(
            gate.wait_needed().await.unwrap() > Duration::from_secs(29),
            "a stale response does not lift the block"
        );
        gate.record(
            &RateLimitStatus {
                remaining: Some(0),
                reset_in: Some(Duration::MAX),
                reset_at: None,
            },
            WhenExhausted::Wait,
        )
        .await;
        assert!(
            gate.wait_needed().await.unwrap() >= Duration::from_secs(86_000),
            "huge resets are clamped, not a panic"
        );
    }

    #[test]
    fn seconds_are_read_from_the_vendor_message() {
        let m =
            "Maximum number of requests (300 per 15 minutes) reached. Try again in 246 seconds.";
        assert_eq!(seconds_in_message(m), Some(Duration::from_secs(246)));
        assert_eq!(seconds_in_message("Try again later"), None);
        assert_eq!(
            seconds_in_message("Try again in 99999999999999999999999 seconds"),
            None
        );
    }
}
