//! Fixed-window rate limiting with the vendor's headers and "exceeded" message, for every
//! window the spec declares (a request passes only when every window has room; a refused
//! request is counted in none, so a minutely 429 does not eat the daily quota).
//!
//! With the spec's settings, windows are aligned to the Unix epoch, so a 900-second window starts
//! at XX:00, XX:15, XX:30 and XX:45 like Billomat's, and a daily one at 00:00 UTC. With
//! [`RateLimitSettings`] from the options, the *first* declared window takes the settings' quota
//! and length and starts when the sandbox is built (so short test windows are predictable); the
//! other windows keep the spec's.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use erp_spec::ir::{RateLimit, ResetUnit, SandboxRateLimit, Spec};

use crate::RateLimitSettings;

/// The outcome of counting one request in one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision {
    pub allowed: bool,
    pub remaining: u64,
    pub reset_at: SystemTime,
}

/// One window: its spec (headers, message), quota, length and anchor.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    spec: RateLimit,
    quota: u64,
    /// The vendor's 429 message, with `{quota}` and `{seconds}` to fill in.
    exceeded_message: String,
    window_ms: u128,
    anchor: SystemTime,
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
        }
    }

    fn window(&self, now: SystemTime) -> (u128, SystemTime) {
        let index = millis_since(self.anchor, now) / self.window_ms;
        let end_ms = (index + 1) * self.window_ms;
        let end = self.anchor + Duration::from_millis(u64::try_from(end_ms).unwrap_or(u64::MAX));
        (index, end)
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

/// Every window of a sandbox, counted together under one lock so that "all windows have
/// room, count the request in each" is one step.
#[derive(Debug)]
pub(crate) struct RateLimits {
    limiters: Vec<RateLimiter>,
    /// Per window: `(window index, requests counted in it)`.
    used: Mutex<Vec<(u128, u64)>>,
}

impl RateLimits {
    /// The spec's windows with the sandbox's quota and message for each; `settings` replace
    /// the first one's quota and length.
    pub(crate) fn new(
        spec: &Spec,
        settings: Option<RateLimitSettings>,
        now: SystemTime,
    ) -> RateLimits {
        let windows: Vec<(RateLimit, SandboxRateLimit)> = spec
            .rate_limits
            .iter()
            // Validation gives every window its imitation (defaults included).
            .filter_map(|w| Some((w.clone(), spec.sandbox.rate_limit(w.window.name)?.clone())))
            .collect();
        RateLimits::from_windows(&windows, settings, now)
    }

    fn from_windows(
        windows: &[(RateLimit, SandboxRateLimit)],
        settings: Option<RateLimitSettings>,
        now: SystemTime,
    ) -> RateLimits {
        let limiters: Vec<RateLimiter> = windows
            .iter()
            .enumerate()
            .map(|(i, (spec, imitation))| {
                RateLimiter::new(spec, imitation, settings.filter(|_| i == 0), now)
            })
            .collect();
        RateLimits {
            used: Mutex::new(vec![(0, 0); limiters.len()]),
            limiters,
        }
    }

    /// One decision per window, in spec order; counts the request in every window only when
    /// every window allows it.
    fn decide(&self, now: SystemTime, consume: bool) -> Vec<Decision> {
        // A poisoned lock still holds valid counters (each update is one assignment).
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        let windows: Vec<(u128, SystemTime)> =
            self.limiters.iter().map(|l| l.window(now)).collect();
        for ((index, _), counter) in windows.iter().zip(used.iter_mut()) {
            if counter.0 != *index {
                *counter = (*index, 0);
            }
        }
        let room: Vec<bool> = self
            .limiters
            .iter()
            .zip(used.iter())
            .map(|(l, counter)| counter.1 < l.quota)
            .collect();
        if consume && room.iter().all(|r| *r) {
            for counter in used.iter_mut() {
                counter.1 += 1;
            }
        }
        self.limiters
            .iter()
            .zip(used.iter())
            .zip(windows)
            .zip(room)
            .map(|(((l, counter), (_, reset_at)), allowed)| Decision {
                allowed,
                remaining: l.quota.saturating_sub(counter.1),
                reset_at,
            })
            .collect()
    }

    /// Counts one request.
    pub(crate) fn hit(&self, now: SystemTime) -> Vec<Decision> {
        self.decide(now, true)
    }

    /// The current state without counting.
    pub(crate) fn peek(&self, now: SystemTime) -> Vec<Decision> {
        self.decide(now, false)
    }

    /// The window that refuses the request, if any: of the used-up windows the one that resets
    /// last (waiting for an earlier reset would not help).
    pub(crate) fn refusing(&self, decisions: &[Decision]) -> Option<(&RateLimiter, Decision)> {
        self.limiters
            .iter()
            .zip(decisions)
            .filter(|(_, d)| !d.allowed)
            .max_by_key(|(_, d)| d.reset_at)
            .map(|(l, d)| (l, *d))
    }

    /// The first window (the one an injected 429 speaks for).
    pub(crate) fn first(&self) -> Option<&RateLimiter> {
        self.limiters.first()
    }

    /// Every window's headers for its decision.
    pub(crate) fn headers(&self, decisions: &[Decision], now: SystemTime) -> Vec<(String, String)> {
        self.limiters
            .iter()
            .zip(decisions)
            .flat_map(|(l, d)| l.headers(d, now))
            .collect()
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

    /// A daily window with its own headers, as a vendor with two quotas has.
    fn daily(quota: u64) -> (RateLimit, SandboxRateLimit) {
        let (mut daily, mut imitation) = spec();
        daily.window.name = "daily";
        daily.window.limit_header = Some("X-Daily-Limit");
        daily.window.remaining_header = Some("X-Daily-Remaining");
        daily.window.reset_header = Some("X-Daily-Reset");
        daily.window_seconds = 86_400;
        imitation.name = "daily".to_owned();
        imitation.quota = quota;
        imitation.exceeded_message = "Daily quota of {quota} reached.".to_owned();
        (daily, imitation)
    }

    #[test]
    fn spec_windows_align_to_the_quarter_hour() {
        let limits = RateLimits::from_windows(&[spec()], None, UNIX_EPOCH);
        let now = UNIX_EPOCH + Duration::from_secs(3600 * 24 * 1000 + 901);
        let d = limits.hit(now)[0];
        assert!(d.allowed);
        assert_eq!(d.remaining, 299);
        assert_eq!(
            d.reset_at,
            UNIX_EPOCH + Duration::from_secs(3600 * 24 * 1000 + 1800)
        );
        let headers = limits.headers(&[d], now);
        assert_eq!(
            headers[0],
            ("X-Rate-Limit-Remaining".to_owned(), "299".to_owned())
        );
        assert_eq!(headers[1].1, (3600 * 24 * 1000 + 1800).to_string());
    }

    #[test]
    fn quota_is_exhausted_then_renewed() {
        let start = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let limits = RateLimits::from_windows(
            &[spec()],
            Some(RateLimitSettings {
                quota: 2,
                window: Duration::from_secs(60),
            }),
            start,
        );
        assert!(limits.hit(start)[0].allowed);
        assert_eq!(limits.peek(start)[0].remaining, 1);
        assert!(limits.hit(start + Duration::from_secs(1))[0].allowed);
        let d = limits.hit(start + Duration::from_secs(2));
        assert!(!d[0].allowed);
        assert_eq!(d[0].remaining, 0);
        assert_eq!(d[0].reset_at, start + Duration::from_secs(60));
        assert!(limits.hit(start + Duration::from_secs(61))[0].allowed);
        let (limiter, _) = limits.refusing(&d).expect("refused");
        assert_eq!(
            limiter.exceeded_message(Duration::from_millis(58_200)),
            "Maximum number of requests (2 per 15 minutes) reached. Try again in 59 seconds."
        );
    }

    #[test]
    fn every_window_is_enforced_with_its_own_headers() {
        let start = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let settings = RateLimitSettings {
            quota: 10,
            window: Duration::from_secs(1),
        };
        let limits = RateLimits::from_windows(&[spec(), daily(2)], Some(settings), start);
        let first = limits.hit(start);
        assert!(first.iter().all(|d| d.allowed));
        let headers = limits.headers(&first, start);
        let value = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(value("X-Rate-Limit-Remaining").as_deref(), Some("9"));
        assert_eq!(value("X-Daily-Remaining").as_deref(), Some("1"));
        assert_eq!(value("X-Daily-Limit").as_deref(), Some("2"));
        let midnight = (1_700_000_000u64 / 86_400 + 1) * 86_400;
        assert_eq!(value("X-Daily-Reset"), Some(midnight.to_string()));
        assert!(limits.hit(start).iter().all(|d| d.allowed));
        // The settings apply to the first window only: the daily quota of 2 is used up.
        let refused = limits.hit(start);
        let (limiter, d) = limits.refusing(&refused).expect("the daily window refuses");
        assert_eq!(limiter.spec.window.name, "daily");
        assert_eq!(d.reset_at, UNIX_EPOCH + Duration::from_secs(midnight));
        assert_eq!(
            limits.peek(start)[0].remaining,
            8,
            "a refused request is not counted in the other windows"
        );
        // The first window renews every second, the daily one does not.
        assert!(!limits.hit(start + Duration::from_secs(5))[1].allowed);
    }
}
