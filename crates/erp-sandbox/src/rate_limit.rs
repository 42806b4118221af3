//! Fixed-window rate limiting with the vendor's headers and "exceeded" message.
//!
//! With the spec's settings, windows are aligned to the Unix epoch, so a 900-second window starts
//! at XX:00, XX:15, XX:30 and XX:45 like Billomat's. With [`RateLimitSettings`] from the options,
//! the first window starts when the sandbox is built (so short test windows are predictable).

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use erp_spec::ir::{RateLimit, ResetUnit, SandboxRateLimit};

use crate::RateLimitSettings;

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision {
    pub allowed: bool,
    pub remaining: u64,
    pub reset_at: SystemTime,
}

/// A per-sandbox request counter over fixed windows.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    spec: RateLimit,
    quota: u64,
    /// The vendor's 429 message, with `{quota}` and `{seconds}` to fill in.
    exceeded_message: String,
    window_ms: u128,
    anchor: SystemTime,
    /// `(window index, requests counted in it)`.
    used: Mutex<(u128, u64)>,
}

fn millis_since(earlier: SystemTime, later: SystemTime) -> u128 {
    later
        .duration_since(earlier)
        .unwrap_or(Duration::ZERO)
        .as_millis()
}

fn ceil_seconds(ms: u128) -> u128 {
    ms.div_ceil(1000)
}

impl RateLimiter {
    /// A limiter for the window `spec` with the sandbox's `imitation` of it (its quota and
    /// message), unless `settings` replace the quota and window.
    pub(crate) fn new(
        spec: &RateLimit,
        imitation: &SandboxRateLimit,
        settings: Option<RateLimitSettings>,
        now: SystemTime,
    ) -> RateLimiter {
        let (quota, window, anchor) = match settings {
            Some(s) => (s.quota, s.window, now),
            None => (
                imitation.quota,
                Duration::from_secs(spec.window_seconds),
                UNIX_EPOCH,
            ),
        };
        RateLimiter {
            spec: spec.clone(),
            quota,
            exceeded_message: imitation.exceeded_message.clone(),
            window_ms: window.as_millis().max(1),
            anchor,
            used: Mutex::new((0, 0)),
        }
    }

    fn window(&self, now: SystemTime) -> (u128, SystemTime) {
        let index = millis_since(self.anchor, now) / self.window_ms;
        let end_ms = (index + 1) * self.window_ms;
        let end = self.anchor + Duration::from_millis(u64::try_from(end_ms).unwrap_or(u64::MAX));
        (index, end)
    }

    fn decide(&self, now: SystemTime, consume: bool) -> Decision {
        let (index, reset_at) = self.window(now);
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        if used.0 != index {
            *used = (index, 0);
        }
        let allowed = used.1 < self.quota;
        if allowed && consume {
            used.1 += 1;
        }
        Decision {
            allowed,
            remaining: self.quota.saturating_sub(used.1),
            reset_at,
        }
    }

    /// Counts one request.
    pub(crate) fn hit(&self, now: SystemTime) -> Decision {
        self.decide(now, true)
    }

    /// The current state without counting.
    pub(crate) fn peek(&self, now: SystemTime) -> Decision {
        self.decide(now, false)
    }

    /// The vendor's rate-limit headers for a decision.
    pub(crate) fn headers(&self, decision: &Decision, now: SystemTime) -> Vec<(String, String)> {
        let window = &self.spec.window;
        let reset = match window.reset_unit {
            ResetUnit::EpochSeconds => ceil_seconds(millis_since(UNIX_EPOCH, decision.reset_at)),
            ResetUnit::EpochMillis => millis_since(UNIX_EPOCH, decision.reset_at),
            ResetUnit::DeltaSeconds => ceil_seconds(millis_since(now, decision.reset_at)),
        };
        [
            (window.remaining_header, decision.remaining.to_string()),
            (window.reset_header, reset.to_string()),
            (window.limit_header, self.quota.to_string()),
        ]
        .into_iter()
        .filter_map(|(name, value)| name.map(|n| (n.to_owned(), value)))
        .collect()
    }

    /// The vendor's message for an exhausted quota.
    pub(crate) fn exceeded_message(&self, retry_in: Duration) -> String {
        self.exceeded_message
            .replace("{quota}", &self.quota.to_string())
            .replace("{seconds}", &seconds_text(retry_in))
    }
}

/// Whole seconds to wait, rounded up, at least one.
pub(crate) fn seconds_text(wait: Duration) -> String {
    ceil_seconds(wait.as_millis()).max(1).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Billomat's window and the sandbox's quota and message for it.
    fn spec() -> (RateLimit, SandboxRateLimit) {
        let spec = crate::builtin::load("billomat").expect("spec");
        let window = spec
            .rate_limits
            .first()
            .cloned()
            .expect("billomat has a rate limit");
        let imitation = spec
            .sandbox
            .rate_limit(window.window.name)
            .cloned()
            .expect("one per window");
        (window, imitation)
    }

    #[test]
    fn spec_windows_align_to_the_quarter_hour() {
        let (window, imitation) = spec();
        let limiter = RateLimiter::new(&window, &imitation, None, UNIX_EPOCH);
        let now = UNIX_EPOCH + Duration::from_secs(3600 * 24 * 1000 + 901);
        let d = limiter.hit(now);
        assert!(d.allowed);
        assert_eq!(d.remaining, 299);
        assert_eq!(
            d.reset_at,
            UNIX_EPOCH + Duration::from_secs(3600 * 24 * 1000 + 1800)
        );
        let headers = limiter.headers(&d, now);
        assert_eq!(
            headers[0],
            ("X-Rate-Limit-Remaining".to_owned(), "299".to_owned())
        );
        assert_eq!(headers[1].1, (3600 * 24 * 1000 + 1800).to_string());
    }

    #[test]
    fn quota_is_exhausted_then_renewed() {
        let start = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let (window, imitation) = spec();
        let limiter = RateLimiter::new(
            &window,
            &imitation,
            Some(RateLimitSettings {
                quota: 2,
                window: Duration::from_secs(60),
            }),
            start,
        );
        assert!(limiter.hit(start).allowed);
        assert_eq!(limiter.peek(start).remaining, 1);
        assert!(limiter.hit(start + Duration::from_secs(1)).allowed);
        let d = limiter.hit(start + Duration::from_secs(2));
        assert!(!d.allowed);
        assert_eq!(d.remaining, 0);
        assert_eq!(d.reset_at, start + Duration::from_secs(60));
        assert!(limiter.hit(start + Duration::from_secs(61)).allowed);
        assert_eq!(
            limiter.exceeded_message(Duration::from_millis(58_200)),
            "Maximum number of requests (2 per 15 minutes) reached. Try again in 59 seconds."
        );
    }
}
