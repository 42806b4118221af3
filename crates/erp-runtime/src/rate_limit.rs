//! Client-side rate limiting: the vendor's rate-limit headers, and a meter per declared window
//! that hands out a permit before each request goes out, so that a client (and all its clones)
//! does not earn a 429 while the vendor's quota allows the work.
//!
//! # Design
//!
//! Each [`RateWindow`] of the vendor gets a `Meter`: a mirror of the vendor's fixed window
//! (a token bucket refilled once per window), fed by the headers of every response.
//!
//! - **Capacity** is the limit header, or else learned: after a counted (2xx) request the
//!   vendor's `remaining + 1` is a lower bound of the quota, so the learned value is never too
//!   high.
//! - **Permits**: a request takes one permit from every window before it goes out. While a
//!   window's state is unknown (first request, a window whose capacity is still unknown after
//!   a reset, a window without reset information), one request goes out alone as a *probe* and
//!   the others wait for its answer: 200 tasks starting at once do not fire 200 requests into a
//!   quota of 10.
//! - **Header feedback**: a remaining value lower than ours wins (another process shares the
//!   quota), less the requests still in flight that the vendor may not have counted yet; a
//!   reset moment later than ours means the vendor's window moved on and we follow it; a
//!   response naming a window that already ended (a late answer) is ignored. A 429 sets the
//!   window to zero until its reset and, with the server's hint, pauses the whole client.
//! - **Refill**: at the window's reset (plus a margin for clock skew) the meter refills to the
//!   capacity, less the requests in flight (they may be counted in the new window); the next
//!   reset is presumed one window length later until the vendor confirms it.
//! - **Fairness**: a request that has to wait takes a ticket; a permit goes to a ticket only
//!   while fewer waiters ahead of it than permits are left, so arrivals cannot overtake the
//!   queue (FIFO-ish: the order of grants, not of wake-ups, is what counts).
//! - **No herd**: waiters for a reset wake staggered in queue order over a short spread with
//!   jitter (`WAKE_SPREAD`), and only as many as the new window holds find a permit; the rest
//!   keep waiting without sending anything.
//! - **Exhaustion**: a `FailFast` window that is used up fails at once with its reset time; a
//!   `Wait` window whose reset is further away than `RetryPolicy::max_rate_limit_wait` fails
//!   with the reset time too. The bound applies to each reset: a request queued behind others
//!   waits through several short windows, as long as each reset is within the bound.
//!
//! The decisions are pure functions of the state, an injected clock and an injected jitter
//! (`Meters::decide`, `Meters::observe`), unit-tested without sleeping; `Gate` only adds
//! the lock, the wake-ups and the sleeping.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::descriptor::{RateWindow, ResetUnit, WhenExhausted};

/// What one response said about the rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimitStatus {
    /// The window's quota, from the limit header.
    pub limit: Option<u64>,
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
    let count = |name: Option<&str>| {
        name.and_then(|h| header_str(headers, h))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let limit = count(window.limit_header);
    let remaining = count(window.remaining_header);
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
        limit,
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

/// Added to every reset before the meter refills: the vendor's clock and ours are not exactly
/// aligned, and a request sent a moment early earns a 429.
const RESET_MARGIN: Duration = Duration::from_millis(250);

/// Waiters for a reset wake spread over this long after the window opens, in queue order with
/// jitter, so the new window's requests do not all leave in the same instant.
const WAKE_SPREAD: Duration = Duration::from_millis(100);

/// A waiter that waits for news (a probe's answer, a waiter ahead taking its permit) looks
/// again after this long even without a wake-up: a safety net, never the normal path.
const RECHECK: Duration = Duration::from_millis(500);

/// How far apart two reset moments may be and still name the same window: epoch values are
/// exact, but a delta in whole seconds shifts by up to a second between two responses.
fn same_reset_tolerance(unit: ResetUnit) -> Duration {
    match unit {
        ResetUnit::EpochSeconds | ResetUnit::EpochMillis => Duration::from_millis(50),
        ResetUnit::DeltaSeconds => Duration::from_millis(1_100),
    }
}

/// `at + by`, or `at` itself where the clock ends (a reset that far away is refused anyway).
fn later(at: Instant, by: Duration) -> Instant {
    at.checked_add(by).unwrap_or(at)
}

/// The client's mirror of one vendor window.
#[derive(Debug, Clone)]
pub(crate) struct Meter {
    window: RateWindow,
    /// Requests per window: the limit header, else the highest lower bound the vendor showed
    /// (`remaining + 1` after a counted request): never more than the vendor allows.
    capacity: Option<u64>,
    /// Permits left in the current window; `None` until the vendor told us (then a probe goes
    /// out alone).
    tokens: Option<u64>,
    /// When the current window ends.
    resets_at: Option<Instant>,
    /// `resets_at` is the vendor's word for this window, not our presumption (previous reset
    /// plus the window length).
    confirmed: bool,
    /// When the current window began (the previous reset): an answer naming a reset at or
    /// before it describes an older window.
    started_at: Option<Instant>,
    /// Bumped whenever the meter moves to a new window; a permit remembers the epoch it was
    /// granted in, to tell late answers when the vendor sends no reset.
    epoch: u64,
    /// A probe is out: the window is unknown and one request went to find out.
    probing: bool,
    /// The vendor answered a probe without any of this window's headers: nothing to meter
    /// with until a header shows up.
    silent: bool,
}

/// What a window says to a request at some place in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// A permit is there (or the window is not metered).
    Free,
    /// Nothing is known: this request may go out alone to learn the window.
    Probe,
    /// Used up until the vendor's reset at this moment.
    Until(Instant),
    /// Wait for news: a probe's answer, a confirmation of the reset, the waiters ahead.
    News,
}

impl Meter {
    fn new(window: RateWindow) -> Meter {
        // Counting needs a count: a window that only reports its reset is left to the 429
        // path (the pause below), as is one without headers (the descriptor has no quota).
        let metered = window.limit_header.is_some() || window.remaining_header.is_some();
        Meter {
            window,
            capacity: None,
            tokens: None,
            resets_at: None,
            confirmed: false,
            started_at: None,
            epoch: 0,
            probing: false,
            silent: !metered,
        }
    }

    fn length(&self) -> Option<Duration> {
        self.window
            .seconds
            .filter(|s| *s > 0)
            .map(Duration::from_secs)
    }

    /// Moves to the next window once the current one has reset (with the margin).
    fn roll_if_due(&mut self, now: Instant, in_flight: u64) {
        let Some(end) = self.resets_at else { return };
        if now < later(end, RESET_MARGIN) {
            return;
        }
        self.started_at = Some(end);
        self.epoch += 1;
        // Requests still in flight may be counted in the new window: their permits come off.
        self.tokens = self.capacity.map(|c| c.saturating_sub(in_flight));
        // Fixed windows follow each other: presume the next reset one length after this one
        // (the first answer in the new window confirms or corrects it).
        self.resets_at = self.length().map(|len| {
            let behind = now.saturating_duration_since(end).as_nanos();
            let steps = u32::try_from(behind / len.as_nanos().max(1) + 1).unwrap_or(u32::MAX);
            end.checked_add(len.saturating_mul(steps))
                .unwrap_or(now + len)
        });
        self.confirmed = false;
    }

    /// What this window says to a request with `ahead` waiters before it.
    fn slot(&self, ahead: u64, in_flight: u64) -> Slot {
        if self.silent {
            return Slot::Free;
        }
        match self.tokens {
            None if self.probing || ahead > 0 => Slot::News,
            None => Slot::Probe,
            Some(t) if t > ahead => Slot::Free,
            // The waiters ahead take what is left; then this one waits for the reset.
            Some(t) if t > 0 => Slot::News,
            Some(_) => match self.resets_at {
                // A presumed reset is waited for only when no answer can confirm it.
                Some(at) if self.confirmed || in_flight == 0 => Slot::Until(at),
                Some(_) => Slot::News,
                // Used up and no idea when it resets: once nothing is in flight, one request
                // goes out to ask (it may earn a 429, which then tells the reset).
                None if in_flight == 0 && !self.probing && ahead == 0 => Slot::Probe,
                None => Slot::News,
            },
        }
    }

    /// Feeds the meter with what one answer (HTTP status `http_status`) said about this
    /// window. `others` is the number of other requests in flight (the vendor may not have
    /// counted them yet), `granted_epoch` the epoch the request's permit came from.
    fn observe(
        &mut self,
        status: &RateLimitStatus,
        http_status: u16,
        now: Instant,
        others: u64,
        granted_epoch: u64,
    ) {
        // A 2xx was counted by the vendor; a 429 was refused (and not counted).
        let counted = (200..300).contains(&http_status);
        let refused = http_status == 429;
        if status.limit.is_none() && status.remaining.is_none() {
            // A probe answered without a count for this window: do not probe forever.
            if counted && self.tokens.is_none() {
                self.silent = true;
            }
            return;
        }
        self.silent = false;
        if let Some(limit) = status.limit {
            self.capacity = Some(limit);
        } else if let (true, Some(remaining)) = (counted, status.remaining) {
            let bound = remaining.saturating_add(1);
            self.capacity = Some(self.capacity.map_or(bound, |c| c.max(bound)));
        }
        let reset = status.reset_in.and_then(|d| now.checked_add(d));
        let tolerance = same_reset_tolerance(self.window.reset_unit);
        // A reset already past (parsed as zero) names a window that is over, once we moved on.
        let ended = status.reset_in.is_some_and(|d| d.is_zero()) && self.started_at.is_some();
        let stale = ended
            || match reset {
                Some(at) => self
                    .started_at
                    .is_some_and(|start| at <= later(start, tolerance)),
                None => granted_epoch < self.epoch,
            };
        if stale {
            return;
        }
        let newer = match (reset, self.resets_at) {
            (Some(at), Some(current)) => self.confirmed && at > later(current, tolerance),
            _ => false,
        };
        if newer {
            // The vendor's window moved on before ours did (clocks, rounding): follow it.
            self.started_at = self.resets_at;
            self.epoch += 1;
            self.tokens = None;
        }
        match reset {
            Some(at) => {
                let current = self.resets_at.filter(|_| self.confirmed && !newer);
                self.resets_at = Some(match current {
                    None => at,
                    // Readings of one window differ by rounding: the later one is safe.
                    Some(c) if at.max(c) - at.min(c) <= tolerance => c.max(at),
                    // An earlier reset from a refusal is the vendor's word on when to come
                    // back; from any other answer it does not lift a window known to be used
                    // up (that answer may predate the refusal).
                    Some(c) if !refused && self.tokens == Some(0) => c,
                    Some(_) => at,
                });
                self.confirmed = true;
            }
            None if self.resets_at.is_none() => {
                // No reset header: meter a window of the declared length from now.
                self.resets_at = self.length().and_then(|len| now.checked_add(len));
                self.confirmed = false;
            }
            None => {}
        }
        let vendor = match status.remaining {
            Some(remaining) => Some(remaining.saturating_sub(others)),
            // Only a limit: assume the window is fresh but for this request and the others. An
            // answer that was not counted (a 429 above all) says nothing about what is left.
            None if counted => self.capacity.map(|c| c.saturating_sub(others + 1)),
            None => None,
        };
        // A lower count than ours is the vendor's truth (another process shares the quota); a
        // higher one is not: our own requests in flight are not in it yet.
        self.tokens = match (self.tokens, vendor) {
            (Some(ours), Some(theirs)) if status.remaining.is_some() => Some(ours.min(theirs)),
            (Some(ours), _) => Some(ours),
            (None, theirs) => theirs,
        };
    }
}

/// Why a request may not go out now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// The window that is used up; `None` for a pause a 429 asked for.
    pub window: Option<&'static str>,
    /// Time until the reset.
    pub wait: Duration,
    /// The window fails fast (a daily quota) rather than being too far away.
    pub fail_fast: bool,
}

/// A permit as the meters granted it: the epoch of each window, and the windows it probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant {
    epochs: Vec<u64>,
    probes: Vec<bool>,
}

/// The outcome of asking for a permit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Go(Grant),
    /// Ask again at `until`; with `on_news`, also as soon as the state changes. A wait for a
    /// reset ignores news: it is staggered, and waking it early would undo the stagger.
    Wait {
        until: Instant,
        on_news: bool,
    },
    Refuse(Refusal),
}

/// Every window of one client, the queue of waiting requests and the requests in flight.
#[derive(Debug)]
pub(crate) struct Meters {
    meters: Vec<Meter>,
    /// Tickets of requests that wait for a permit, in arrival order.
    waiting: BTreeSet<u64>,
    next_ticket: u64,
    in_flight: u64,
    /// A 429 asked the whole client to hold until then (its hint is not tied to one window).
    paused_until: Option<Instant>,
}

impl Meters {
    pub(crate) fn new(windows: &[RateWindow]) -> Meters {
        Meters {
            meters: windows.iter().copied().map(Meter::new).collect(),
            waiting: BTreeSet::new(),
            next_ticket: 0,
            in_flight: 0,
            paused_until: None,
        }
    }

    pub(crate) fn ticket(&mut self) -> u64 {
        self.next_ticket += 1;
        self.next_ticket
    }

    /// Decides for the request holding `ticket`: a permit now, a moment to ask again, or a
    /// refusal. `max_wait` bounds the wait for one reset; `jitter` is a fraction in [0, 1).
    pub(crate) fn decide(
        &mut self,
        ticket: u64,
        now: Instant,
        max_wait: Duration,
        jitter: f64,
    ) -> Verdict {
        for meter in &mut self.meters {
            meter.roll_if_due(now, self.in_flight);
        }
        if let Some(until) = self.paused_until {
            if until > now {
                let wait = until - now;
                if wait > max_wait {
                    return self.refuse(ticket, None, wait, false);
                }
                self.waiting.insert(ticket);
                return Verdict::Wait {
                    until: later(until, WAKE_SPREAD.mul_f64(jitter)),
                    on_news: false,
                };
            }
            self.paused_until = None;
        }
        let ahead = self.waiting.range(..ticket).count() as u64;
        let mut probes = vec![false; self.meters.len()];
        // The reset furthest away decides the wait (every window must have a permit).
        let mut reset: Option<(Instant, usize)> = None;
        let mut news = false;
        for (i, meter) in self.meters.iter().enumerate() {
            match meter.slot(ahead, self.in_flight) {
                Slot::Free => {}
                Slot::Probe => probes[i] = true,
                Slot::News => news = true,
                Slot::Until(at) => {
                    // Within the margin after its reset a fail-fast window is about to refill:
                    // that short wait is taken like any other.
                    if meter.window.when_exhausted == WhenExhausted::FailFast && at > now {
                        let wait = at.saturating_duration_since(now);
                        return self.refuse(ticket, Some(meter.window.name), wait, true);
                    }
                    if reset.is_none_or(|(latest, _)| at > latest) {
                        reset = Some((at, i));
                    }
                }
            }
        }
        if let Some((at, i)) = reset {
            let wait = at.saturating_duration_since(now);
            let meter = &self.meters[i];
            if wait > max_wait {
                return self.refuse(ticket, Some(meter.window.name), wait, false);
            }
            let until = later(at, RESET_MARGIN + stagger(meter, ahead, jitter));
            self.waiting.insert(ticket);
            return Verdict::Wait {
                until,
                on_news: false,
            };
        }
        if news {
            self.waiting.insert(ticket);
            return Verdict::Wait {
                until: later(now, RECHECK),
                on_news: true,
            };
        }
        self.waiting.remove(&ticket);
        self.in_flight += 1;
        for (meter, probe) in self.meters.iter_mut().zip(&probes) {
            if *probe {
                meter.probing = true;
            } else if let Some(t) = meter.tokens.as_mut() {
                *t = t.saturating_sub(1);
            }
        }
        Verdict::Go(Grant {
            epochs: self.meters.iter().map(|m| m.epoch).collect(),
            probes,
        })
    }

    fn refuse(
        &mut self,
        ticket: u64,
        window: Option<&'static str>,
        wait: Duration,
        fail_fast: bool,
    ) -> Verdict {
        self.waiting.remove(&ticket);
        Verdict::Refuse(Refusal {
            window,
            wait,
            fail_fast,
        })
    }

    /// A waiter gave up (its future was dropped).
    pub(crate) fn leave(&mut self, ticket: u64) -> bool {
        self.waiting.remove(&ticket)
    }

    /// The answer to a granted request arrived: `statuses` holds what it said about each
    /// window (in the order of the windows), `http_status` its status.
    pub(crate) fn observe(
        &mut self,
        grant: &Grant,
        http_status: u16,
        statuses: &[RateLimitStatus],
        now: Instant,
    ) {
        self.in_flight = self.in_flight.saturating_sub(1);
        for (i, meter) in self.meters.iter_mut().enumerate() {
            if grant.probes.get(i).copied().unwrap_or(false) {
                meter.probing = false;
            }
            if let Some(status) = statuses.get(i) {
                let epoch = grant.epochs.get(i).copied().unwrap_or(0);
                meter.observe(status, http_status, now, self.in_flight, epoch);
            }
        }
    }

    /// A granted request ended without an answer (transport error, cancelled).
    pub(crate) fn abandon(&mut self, grant: &Grant) {
        self.in_flight = self.in_flight.saturating_sub(1);
        for (meter, probe) in self.meters.iter_mut().zip(&grant.probes) {
            if *probe {
                meter.probing = false;
            }
        }
    }

    /// A 429 with a hint: hold every request of the client until then.
    pub(crate) fn pause(&mut self, until: Instant) {
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
    }
}

/// How long after a window opens a waiter wakes: in queue order, the waiters the new window
/// holds spread over `WAKE_SPREAD` (jittered within their place, so equal places do not
/// collide); the others after the spread, where they find the window full and wait for the
/// next reset without sending anything.
fn stagger(meter: &Meter, ahead: u64, jitter: f64) -> Duration {
    // Never spread over more than a quarter of a short window.
    let spread = meter
        .length()
        .map_or(WAKE_SPREAD, |len| WAKE_SPREAD.min(len / 4));
    let batch = meter.capacity.unwrap_or(1).max(1);
    let place = (ahead as f64 + jitter) / batch as f64;
    spread.mul_f64(place.min(2.0))
}

/// Client-side metering shared by every clone of a client (it lives in the client's shared
/// state): requests take a permit before they go out, answers feed it.
#[derive(Debug)]
pub(crate) struct Gate {
    meters: Mutex<Meters>,
    /// Wakes waiters when the state changed (an answer, a permit taken or returned).
    changed: Notify,
}

/// The right to send one request; hand the answer to [`Gate::record`]. Dropped without an
/// answer, it gives its place back (a probe lets the next request probe).
#[derive(Debug)]
pub(crate) struct Permit<'g> {
    gate: &'g Gate,
    grant: Option<Grant>,
}

/// A place in the queue, left when the waiting future is dropped.
struct Ticket<'g> {
    gate: &'g Gate,
    number: u64,
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if self.gate.lock().leave(self.number) {
            self.gate.changed.notify_waiters();
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Some(grant) = self.grant.take() {
            self.gate.lock().abandon(&grant);
            self.gate.changed.notify_waiters();
        }
    }
}

impl Gate {
    pub(crate) fn new(windows: &[RateWindow]) -> Gate {
        Gate {
            meters: Mutex::new(Meters::new(windows)),
            changed: Notify::new(),
        }
    }

    /// The state; a poisoned lock is still consistent (every change is a few assignments).
    fn lock(&self) -> MutexGuard<'_, Meters> {
        self.meters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a permit of every window, or refuses (fail-fast window used up, reset further
    /// away than `max_wait`).
    pub(crate) async fn acquire(&self, max_wait: Duration) -> Result<Permit<'_>, Refusal> {
        let ticket = Ticket {
            gate: self,
            number: self.lock().ticket(),
        };
        loop {
            // Registered before the state is read, so no change between the two is missed.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let verdict = self.lock().decide(
                ticket.number,
                Instant::now(),
                max_wait,
                crate::retry::jitter_fraction(),
            );
            match verdict {
                Verdict::Go(grant) => {
                    // Others may now move up the queue.
                    self.changed.notify_waiters();
                    return Ok(Permit {
                        gate: self,
                        grant: Some(grant),
                    });
                }
                Verdict::Refuse(refusal) => return Err(refusal),
                Verdict::Wait {
                    until,
                    on_news: false,
                } => tokio::time::sleep_until(until).await,
                Verdict::Wait {
                    until,
                    on_news: true,
                } => {
                    tokio::select! {
                        () = tokio::time::sleep_until(until) => {}
                        () = &mut changed => {}
                    }
                }
            }
        }
    }

    /// Feeds the meters with an answer's rate-limit headers.
    pub(crate) fn record(&self, permit: &mut Permit<'_>, http_status: u16, headers: &HeaderMap) {
        let Some(grant) = permit.grant.take() else {
            return;
        };
        let (now_wall, now) = (SystemTime::now(), Instant::now());
        let mut meters = self.lock();
        let statuses: Vec<RateLimitStatus> = meters
            .meters
            .iter()
            .map(|m| parse_status(&m.window, headers, now_wall))
            .collect();
        meters.observe(&grant, http_status, &statuses, now);
        drop(meters);
        self.changed.notify_waiters();
    }

    /// Holds every request of the client for `wait` (a 429's hint).
    pub(crate) fn pause(&self, wait: Duration) {
        let now = Instant::now();
        // A hint beyond the clock's range is clamped to a day: beyond any wait a policy takes.
        let until = now
            .checked_add(wait)
            .unwrap_or(now + Duration::from_secs(86_400));
        self.lock().pause(until);
        self.changed.notify_waiters();
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

    // The meters: pure decisions with an injected clock (`t0 + ...`) and jitter; nothing sleeps.

    const MAX_WAIT: Duration = Duration::from_secs(60);

    const SECONDLY: RateWindow = RateWindow {
        name: "secondly",
        seconds: Some(1),
        ..BILLOMAT
    };

    const DAILY: RateWindow = RateWindow {
        name: "daily",
        limit_header: Some("X-Daily-Limit"),
        remaining_header: Some("X-Daily-Remaining"),
        reset_header: Some("X-Daily-Reset"),
        reset_unit: ResetUnit::EpochSeconds,
        seconds: Some(86_400),
        when_exhausted: WhenExhausted::FailFast,
    };

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn seen(remaining: u64, reset_in: Duration) -> RateLimitStatus {
        RateLimitStatus {
            remaining: Some(remaining),
            reset_in: Some(reset_in),
            ..RateLimitStatus::default()
        }
    }

    /// Asks for a permit for a new request.
    fn ask(m: &mut Meters, now: Instant) -> (u64, Verdict) {
        let ticket = m.ticket();
        (ticket, m.decide(ticket, now, MAX_WAIT, 0.5))
    }

    fn granted(v: Verdict) -> Grant {
        match v {
            Verdict::Go(grant) => grant,
            other => panic!("expected a permit, got {other:?}"),
        }
    }

    fn waits_until(v: &Verdict) -> Option<Instant> {
        match v {
            Verdict::Wait { until, .. } => Some(*until),
            _ => None,
        }
    }

    /// A meter whose probe learned a window of `capacity` (so `capacity - 1` are left),
    /// resetting at `t0 + reset_in`.
    fn learned(window: RateWindow, capacity: u64, t0: Instant, reset_in: Duration) -> Meters {
        let mut m = Meters::new(&[window]);
        let probe = granted(ask(&mut m, t0).1);
        m.observe(&probe, 200, &[seen(capacity - 1, reset_in)], t0);
        m
    }

    #[test]
    fn the_first_request_probes_alone_and_its_answer_opens_the_window() {
        let t0 = Instant::now();
        let mut m = Meters::new(&[SECONDLY]);
        let probe = granted(ask(&mut m, t0).1);
        assert_eq!(probe.probes, vec![true]);
        let (second, verdict) = ask(&mut m, t0);
        assert!(
            matches!(verdict, Verdict::Wait { on_news: true, .. }),
            "nothing known yet: the others wait for the probe's answer, {verdict:?}"
        );
        m.observe(&probe, 200, &[seen(9, ms(800))], t0 + ms(5));
        assert_eq!(m.meters[0].capacity, Some(10), "learned from remaining + 1");
        granted(m.decide(second, t0 + ms(6), MAX_WAIT, 0.5));
        for _ in 0..8 {
            granted(ask(&mut m, t0 + ms(7)).1);
        }
        let (_, verdict) = ask(&mut m, t0 + ms(8));
        let until = waits_until(&verdict).expect("the tenth permit was the last");
        assert!(until >= t0 + ms(805) + RESET_MARGIN, "{verdict:?}");
        assert!(matches!(verdict, Verdict::Wait { on_news: false, .. }));
    }

    #[test]
    fn waiters_for_a_reset_wake_staggered_in_queue_order() {
        let t0 = Instant::now();
        let mut m = learned(SECONDLY, 4, t0, ms(500));
        for _ in 0..3 {
            granted(ask(&mut m, t0).1);
        }
        let wakes: Vec<Instant> = (0..7)
            .map(|_| waits_until(&ask(&mut m, t0).1).expect("used up"))
            .collect();
        let opens = t0 + ms(500) + RESET_MARGIN;
        assert!(wakes.windows(2).all(|w| w[0] < w[1]), "queue order");
        assert!(
            wakes[0] >= opens && wakes[3] < opens + WAKE_SPREAD,
            "{wakes:?}"
        );
        assert!(
            wakes[4..].iter().all(|w| *w >= opens + WAKE_SPREAD),
            "those the new window cannot hold wake after the spread"
        );
    }

    #[test]
    fn at_the_reset_waiters_go_first_and_arrivals_do_not_overtake() {
        let t0 = Instant::now();
        let mut m = learned(SECONDLY, 2, t0, ms(500));
        let last = granted(ask(&mut m, t0).1);
        m.observe(&last, 200, &[seen(0, ms(490))], t0 + ms(10));
        let waiters: Vec<u64> = (0..3).map(|_| ask(&mut m, t0).0).collect();
        let later = t0 + ms(500) + RESET_MARGIN + ms(1);
        let (_, newcomer) = ask(&mut m, later);
        assert!(
            waits_until(&newcomer).is_some(),
            "two permits, three waiters ahead: {newcomer:?}"
        );
        granted(m.decide(waiters[0], later, MAX_WAIT, 0.5));
        granted(m.decide(waiters[1], later, MAX_WAIT, 0.5));
        let third = m.decide(waiters[2], later, MAX_WAIT, 0.5);
        assert!(
            matches!(third, Verdict::Wait { .. }),
            "the refilled window holds two: {third:?}"
        );
        assert_eq!(m.waiting.len(), 2, "the third waiter and the newcomer");
    }

    #[test]
    fn a_fail_fast_window_refuses_at_once_with_its_reset() {
        let t0 = Instant::now();
        let mut m = Meters::new(&[SECONDLY, DAILY]);
        let probe = granted(ask(&mut m, t0).1);
        let day_left = Duration::from_secs(3_600);
        let daily = RateLimitStatus {
            limit: Some(2),
            ..seen(1, day_left)
        };
        m.observe(&probe, 200, &[seen(9, ms(900)), daily], t0);
        assert_eq!(m.meters[1].capacity, Some(2), "from the limit header");
        granted(ask(&mut m, t0).1);
        let (_, verdict) = ask(&mut m, t0 + ms(10));
        assert_eq!(
            verdict,
            Verdict::Refuse(Refusal {
                window: Some("daily"),
                wait: day_left - ms(10),
                fail_fast: true,
            })
        );
        assert_eq!(
            m.meters[0].tokens,
            Some(8),
            "a refused request takes no permit"
        );
        assert!(m.waiting.is_empty());
        // Just past its reset (within the margin) the window is about to refill: wait.
        let just_after = t0 + day_left + ms(1);
        let (_, verdict) = ask(&mut m, just_after);
        assert!(
            waits_until(&verdict).is_some_and(|u| u >= t0 + day_left + RESET_MARGIN),
            "{verdict:?}"
        );
    }

    #[test]
    fn a_reset_beyond_the_allowed_wait_is_refused_and_a_nearer_one_waited_for() {
        let t0 = Instant::now();
        let mut m = learned(BILLOMAT, 1, t0, Duration::from_secs(120));
        let ticket = m.ticket();
        let verdict = m.decide(ticket, t0, Duration::from_secs(60), 0.0);
        assert_eq!(
            verdict,
            Verdict::Refuse(Refusal {
                window: Some("quarter-hourly"),
                wait: Duration::from_secs(120),
                fail_fast: false,
            })
        );
        let verdict = m.decide(ticket, t0, Duration::from_secs(180), 0.0);
        assert_eq!(
            waits_until(&verdict),
            Some(t0 + Duration::from_secs(120) + RESET_MARGIN)
        );
    }

    #[test]
    fn a_lower_remaining_is_trusted_and_a_higher_one_is_not() {
        let t0 = Instant::now();
        let mut m = learned(SECONDLY, 10, t0, ms(900));
        let a = granted(ask(&mut m, t0).1);
        let b = granted(ask(&mut m, t0).1);
        assert_eq!(m.meters[0].tokens, Some(7));
        // Another process took five: the vendor says 3 left after `a`, `b` is still out.
        m.observe(&a, 200, &[seen(3, ms(890))], t0 + ms(10));
        assert_eq!(m.meters[0].tokens, Some(2));
        m.observe(&b, 200, &[seen(8, ms(880))], t0 + ms(20));
        assert_eq!(m.meters[0].tokens, Some(2), "ours is lower: keep it");
    }

    #[test]
    fn late_answers_from_an_ended_window_change_nothing() {
        let t0 = Instant::now();
        let mut m = learned(SECONDLY, 3, t0, ms(500));
        let late = granted(ask(&mut m, t0).1);
        let after = t0 + ms(500) + RESET_MARGIN;
        granted(ask(&mut m, after).1);
        assert_eq!(
            m.meters[0].tokens,
            Some(1),
            "refilled to 3, less 1 in flight, less 1"
        );
        // The late answer still names the old reset (now in the past).
        m.observe(&late, 200, &[seen(0, Duration::ZERO)], after + ms(1));
        assert_eq!(m.meters[0].tokens, Some(1));
        // Without a reset header, the permit's epoch tells the same.
        let no_reset = RateLimitStatus {
            remaining: Some(0),
            ..RateLimitStatus::default()
        };
        let mut m = learned(SECONDLY, 3, t0, ms(500));
        let late = granted(ask(&mut m, t0).1);
        granted(ask(&mut m, after).1);
        m.observe(&late, 200, &[no_reset], after + ms(1));
        assert_eq!(m.meters[0].tokens, Some(1));
    }

    #[test]
    fn a_vendor_window_that_moved_on_first_is_followed() {
        let t0 = Instant::now();
        let mut m = learned(SECONDLY, 5, t0, ms(500));
        let a = granted(ask(&mut m, t0 + ms(490)).1);
        let b = granted(ask(&mut m, t0 + ms(490)).1);
        // `a` arrived after the vendor's reset: it names the next one, 4 left there.
        m.observe(&a, 200, &[seen(4, ms(990))], t0 + ms(510));
        assert_eq!(m.meters[0].tokens, Some(3), "4 left, less `b` in flight");
        assert_eq!(m.meters[0].resets_at, Some(t0 + ms(1_500)));
        // `b` was counted in the old window: its answer is late now.
        m.observe(&b, 200, &[seen(0, ms(0))], t0 + ms(511));
        assert_eq!(m.meters[0].tokens, Some(3));
    }

    #[test]
    fn requests_in_flight_at_the_reset_come_off_the_new_window() {
        let t0 = Instant::now();
        let mut m = learned(SECONDLY, 5, t0, ms(500));
        for _ in 0..3 {
            granted(ask(&mut m, t0 + ms(499)).1);
        }
        m.decide(m.next_ticket, t0 + ms(500) + RESET_MARGIN, MAX_WAIT, 0.5);
        assert_eq!(
            m.meters[0].tokens,
            Some(1),
            "5 less 3 in flight less this one"
        );
        assert!(
            !m.meters[0].confirmed,
            "the next reset is presumed until an answer"
        );
        assert_eq!(
            m.meters[0].resets_at,
            Some(t0 + ms(1_500)),
            "one window length later"
        );
    }

    #[test]
    fn a_429_empties_the_window_until_its_reset() {
        let t0 = Instant::now();
        let mut m = Meters::new(&[SECONDLY]);
        let probe = granted(ask(&mut m, t0).1);
        m.observe(&probe, 429, &[seen(0, ms(700))], t0);
        assert_eq!(
            m.meters[0].capacity, None,
            "a 429 was not counted: no capacity"
        );
        let (ticket, verdict) = ask(&mut m, t0 + ms(1));
        let until = waits_until(&verdict).expect("used up");
        let opens = t0 + ms(700) + RESET_MARGIN;
        assert!(until >= opens && until < opens + WAKE_SPREAD, "{verdict:?}");
        let verdict = m.decide(ticket, t0 + ms(700) + RESET_MARGIN, MAX_WAIT, 0.5);
        assert_eq!(
            granted(verdict).probes,
            vec![true],
            "capacity still unknown after the reset: one request probes"
        );
    }

    #[test]
    fn a_429_naming_an_earlier_reset_is_believed_and_other_answers_do_not_lift_it() {
        let t0 = Instant::now();
        let mut m = learned(BILLOMAT, 300, t0, Duration::from_secs(600));
        let refused = granted(ask(&mut m, t0).1);
        let late = granted(ask(&mut m, t0).1);
        m.observe(&refused, 429, &[seen(0, ms(2_000))], t0 + ms(1));
        assert_eq!(
            m.meters[0].resets_at,
            Some(t0 + ms(2_001)),
            "the refusal's reset"
        );
        assert_eq!(m.meters[0].tokens, Some(0));
        // An answer processed before the refusal names yet another, earlier reset.
        m.observe(&late, 200, &[seen(12, ms(1_000))], t0 + ms(2));
        assert_eq!(m.meters[0].resets_at, Some(t0 + ms(2_001)));
        assert_eq!(m.meters[0].tokens, Some(0));
        let (_, verdict) = ask(&mut m, t0 + ms(3));
        assert!(
            waits_until(&verdict).is_some_and(|u| u < t0 + ms(2_001) + RESET_MARGIN + WAKE_SPREAD),
            "waits for the refusal's reset, not the window's: {verdict:?}"
        );
    }

    #[test]
    fn a_pause_holds_every_request_and_is_refused_beyond_the_allowed_wait() {
        let t0 = Instant::now();
        let mut m = Meters::new(&[]);
        m.pause(t0 + Duration::from_secs(2));
        let (ticket, verdict) = ask(&mut m, t0);
        assert!(waits_until(&verdict).is_some_and(|u| u >= t0 + Duration::from_secs(2)));
        let refused = m.decide(ticket, t0, Duration::from_secs(1), 0.5);
        assert!(matches!(
            refused,
            Verdict::Refuse(Refusal { window: None, .. })
        ));
        granted(m.decide(ticket, t0 + Duration::from_secs(2), MAX_WAIT, 0.5));
    }

    #[test]
    fn a_probe_without_an_answer_lets_the_next_request_probe() {
        let t0 = Instant::now();
        let mut m = Meters::new(&[SECONDLY]);
        let probe = granted(ask(&mut m, t0).1);
        let (next, verdict) = ask(&mut m, t0);
        assert!(waits_until(&verdict).is_some());
        m.abandon(&probe);
        assert_eq!(m.in_flight, 0);
        assert_eq!(
            granted(m.decide(next, t0, MAX_WAIT, 0.5)).probes,
            vec![true]
        );
    }

    #[test]
    fn a_window_the_vendor_never_reports_is_not_metered() {
        let t0 = Instant::now();
        let mut m = Meters::new(&[SECONDLY]);
        let probe = granted(ask(&mut m, t0).1);
        m.observe(&probe, 200, &[RateLimitStatus::default()], t0);
        for _ in 0..100 {
            granted(ask(&mut m, t0).1);
        }
        let reset_only = RateWindow {
            remaining_header: None,
            ..SECONDLY
        };
        let mut m = Meters::new(&[reset_only]);
        for _ in 0..10 {
            granted(ask(&mut m, t0).1);
        }
    }
}
