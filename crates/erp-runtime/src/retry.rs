//! Retry policy: classify an attempt's outcome, then decide whether and when to try again.
//!
//! The decision is a pure function ([`RetryPolicy::decide`]) so that every rule is unit-tested
//! without a network. The rule for writes: an attempt that may have been applied (the
//! connection broke after sending, no answer in time, a 5xx) is repeated only when repeating
//! is safe — the operation is idempotent, or the call carries an idempotency key the vendor
//! de-duplicates by. A request that provably never reached the server is always retried; 429
//! is retried for every request, because the vendor rejected it without acting on it; other
//! 4xx and refused redirects are never retried (the same request gets the same answer). No
//! wait starts that would end after the operation's deadline.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How one attempt ended, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The connection could not be opened: the request never reached the vendor.
    ConnectFailed,
    /// The connection broke after the request may have been sent.
    TransportFailed,
    TimedOut,
    /// 429, or a vendor-specific "quota exhausted" answer.
    RateLimited,
    /// A 5xx that may pass (all but 501 and 505).
    ServerError(u16),
    /// Any other status that is not a success.
    ClientError(u16),
    /// The client refused to follow a redirect (a loop, too many hops, another origin): the
    /// same request would be redirected the same way.
    RedirectRefused,
}

impl Outcome {
    /// Whether the vendor may have acted on the request: anything but a refusal that proves
    /// it did not (no connection, 429, 4xx). A redirect counts as "may": a `303` is how some
    /// vendors answer a write they applied.
    pub fn maybe_applied(self) -> bool {
        match self {
            Outcome::ConnectFailed | Outcome::RateLimited | Outcome::ClientError(_) => false,
            Outcome::TransportFailed
            | Outcome::TimedOut
            | Outcome::ServerError(_)
            | Outcome::RedirectRefused => true,
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    RetryAfter(Duration),
    GiveUp,
}

/// Capped exponential backoff with jitter. Part of the client configuration.
///
/// ```
/// use std::time::Duration;
/// use erp_runtime::RetryPolicy;
/// let patient = RetryPolicy { max_attempts: 6, ..RetryPolicy::default() };
/// let never = RetryPolicy::disabled();
/// assert_eq!(never.max_attempts, 1);
/// assert!(patient.max_backoff >= Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first one included. `1` disables retries.
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubled for each further attempt.
    pub initial_backoff: Duration,
    /// Upper bound of one backoff.
    pub max_backoff: Duration,
    /// The longest the client waits for a vendor's rate-limit window to reset (from
    /// `Retry-After`, the vendor's reset header or the client's own metering). A longer wait
    /// fails with `Error::RateLimited` instead, so the caller can decide. The bound applies
    /// to each reset: a request queued behind others for a short window may wait through
    /// several resets.
    pub max_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(20),
            max_rate_limit_wait: Duration::from_secs(15 * 60),
        }
    }
}

impl RetryPolicy {
    /// Never retries; rate-limit waits are not taken either.
    pub fn disabled() -> Self {
        RetryPolicy {
            max_attempts: 1,
            max_rate_limit_wait: Duration::ZERO,
            ..RetryPolicy::default()
        }
    }

    /// Decides after attempt number `attempt` (1-based) ended with `outcome`.
    ///
    /// `repeatable`: sending the request twice does no harm (an idempotent operation, or a
    /// write with an idempotency key). `server_wait` is the wait the vendor asked for
    /// (`Retry-After`, reset header), if any; `time_left` is what remains of the operation's
    /// deadline: a wait that would not end before it is not started.
    ///
    /// ```
    /// use std::time::Duration;
    /// use erp_runtime::retry::{Decision, Outcome, RetryPolicy};
    /// let p = RetryPolicy::default();
    /// let long = Duration::from_secs(60);
    /// // A POST whose answer did not arrive may have been applied: not repeated...
    /// assert_eq!(p.decide(1, false, Outcome::TimedOut, None, long), Decision::GiveUp);
    /// // ...unless an idempotency key makes the repeat harmless.
    /// assert!(matches!(p.decide(1, true, Outcome::TimedOut, None, long), Decision::RetryAfter(_)));
    /// ```
    pub fn decide(
        &self,
        attempt: u32,
        repeatable: bool,
        outcome: Outcome,
        server_wait: Option<Duration>,
        time_left: Duration,
    ) -> Decision {
        if attempt >= self.max_attempts {
            return Decision::GiveUp;
        }
        let retryable = match outcome {
            Outcome::RateLimited => true,
            Outcome::ClientError(_) | Outcome::RedirectRefused => false,
            other => repeatable || !other.maybe_applied(),
        };
        if !retryable {
            return Decision::GiveUp;
        }
        let wait = match server_wait {
            Some(wait) if wait > self.max_rate_limit_wait => return Decision::GiveUp,
            Some(wait) => wait,
            None => self.backoff(attempt),
        };
        if wait >= time_left {
            return Decision::GiveUp;
        }
        Decision::RetryAfter(wait)
    }

    /// Backoff after attempt `attempt`: `initial * 2^(attempt-1)`, capped, with "equal jitter"
    /// (half fixed, half random) so that clients that failed together do not retry together.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let capped = exp.min(self.max_backoff);
        let half = capped / 2;
        half + half.mul_f64(jitter_fraction())
    }
}

/// A fraction in [0, 1) from a cheap xorshift generator; not for cryptography.
pub(crate) fn jitter_fraction() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        x = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9E37_79B9, |d| d.as_nanos() as u64)
            | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOREVER: Duration = Duration::MAX;

    fn policy() -> RetryPolicy {
        RetryPolicy::default()
    }

    #[test]
    fn writes_that_may_have_been_applied_are_repeated_only_when_repeatable() {
        for outcome in [
            Outcome::TransportFailed,
            Outcome::TimedOut,
            Outcome::ServerError(503),
        ] {
            assert!(outcome.maybe_applied(), "{outcome:?}");
            assert_eq!(
                policy().decide(1, false, outcome, None, FOREVER),
                Decision::GiveUp,
                "{outcome:?} without a key"
            );
            assert!(
                matches!(
                    policy().decide(1, true, outcome, None, FOREVER),
                    Decision::RetryAfter(_)
                ),
                "{outcome:?} with a key"
            );
        }
        for outcome in [Outcome::ConnectFailed, Outcome::RateLimited] {
            assert!(!outcome.maybe_applied(), "{outcome:?}");
        }
    }

    #[test]
    fn refused_redirects_are_never_retried() {
        assert_eq!(
            policy().decide(1, true, Outcome::RedirectRefused, None, FOREVER),
            Decision::GiveUp
        );
    }

    #[test]
    fn no_wait_outlasts_the_deadline() {
        let p = policy();
        let wait = Duration::from_secs(3);
        assert_eq!(
            p.decide(
                1,
                true,
                Outcome::RateLimited,
                Some(wait),
                Duration::from_secs(2)
            ),
            Decision::GiveUp,
            "a reset after the deadline is not waited for"
        );
        assert_eq!(
            p.decide(
                1,
                true,
                Outcome::RateLimited,
                Some(wait),
                Duration::from_secs(4)
            ),
            Decision::RetryAfter(wait)
        );
        assert_eq!(
            p.decide(1, true, Outcome::ServerError(500), None, Duration::ZERO),
            Decision::GiveUp,
            "no backoff once the deadline has passed"
        );
    }

    #[test]
    fn client_errors_are_never_retried() {
        for status in [400, 401, 403, 404, 409, 422] {
            assert_eq!(
                policy().decide(1, true, Outcome::ClientError(status), None, FOREVER),
                Decision::GiveUp
            );
        }
    }

    #[test]
    fn server_errors_are_retried_only_when_idempotent() {
        assert!(matches!(
            policy().decide(1, true, Outcome::ServerError(503), None, FOREVER),
            Decision::RetryAfter(_)
        ));
        assert_eq!(
            policy().decide(1, false, Outcome::ServerError(503), None, FOREVER),
            Decision::GiveUp
        );
        assert_eq!(
            policy().decide(1, false, Outcome::TimedOut, None, FOREVER),
            Decision::GiveUp
        );
        assert_eq!(
            policy().decide(1, false, Outcome::TransportFailed, None, FOREVER),
            Decision::GiveUp
        );
    }

    #[test]
    fn unsent_and_rate_limited_requests_are_retried_even_when_not_idempotent() {
        assert!(matches!(
            policy().decide(1, false, Outcome::ConnectFailed, None, FOREVER),
            Decision::RetryAfter(_)
        ));
        let wait = Duration::from_secs(3);
        assert_eq!(
            policy().decide(1, false, Outcome::RateLimited, Some(wait), FOREVER),
            Decision::RetryAfter(wait)
        );
    }

    #[test]
    fn a_wait_longer_than_allowed_gives_up() {
        let p = RetryPolicy {
            max_rate_limit_wait: Duration::from_secs(10),
            ..policy()
        };
        assert_eq!(
            p.decide(
                1,
                true,
                Outcome::RateLimited,
                Some(Duration::from_secs(11)),
                FOREVER
            ),
            Decision::GiveUp
        );
    }

    #[test]
    fn attempts_are_bounded() {
        let p = policy();
        assert!(matches!(
            p.decide(
                p.max_attempts - 1,
                true,
                Outcome::ServerError(500),
                None,
                FOREVER
            ),
            Decision::RetryAfter(_)
        ));
        assert_eq!(
            p.decide(
                p.max_attempts,
                true,
                Outcome::ServerError(500),
                None,
                FOREVER
            ),
            Decision::GiveUp
        );
        assert_eq!(
            RetryPolicy::disabled().decide(1, true, Outcome::ConnectFailed, None, FOREVER),
            Decision::GiveUp
        );
    }

    #[test]
    fn backoff_grows_and_is_capped_with_jitter_in_range() {
        let p = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(800),
            ..policy()
        };
        for attempt in 1..10 {
            let expected =
                Duration::from_millis(100 * (1 << (attempt - 1))).min(Duration::from_millis(800));
            for _ in 0..50 {
                let b = p.backoff(attempt);
                assert!(
                    b >= expected / 2 && b <= expected,
                    "attempt {attempt}: {b:?} vs {expected:?}"
                );
            }
        }
    }
}
