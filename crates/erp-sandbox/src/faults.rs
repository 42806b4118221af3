//! Fault injection: a cheap, clonable, thread-safe handle shared with the running server.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;

use crate::xml::XmlQuirks;

/// Bytes per chunk of a dripped body ([`Faults::drip`]).
pub(crate) const DRIP_BYTES: usize = 16;

/// Switches that make the sandbox misbehave on purpose, and a counter of the requests it received.
///
/// Get one from [`Sandbox::faults`](crate::Sandbox::faults) or
/// [`RunningSandbox::faults`](crate::RunningSandbox::faults); every clone controls the same
/// sandbox, also after it started. The same switches can be set over HTTP with
/// `POST /__sandbox/faults` (see the crate documentation).
///
/// "Next n" faults count down once per request they change. They are checked in this order:
/// hang, HTML 502, HTML 200, injected plain-text answers, injected 429, then (after authentication and the rate limit) errors in a
/// 200 body; malformed items and the leniency switches change successful list/get bodies, and
/// `empty_write_bodies` empties the bodies of successful updates and actions;
/// `lose_answers_next` withholds the answer of a successful write after applying it;
/// `truncate_next` cuts any answer off after half its body. `latency` delays every answer and
/// `drip` sends every body a few bytes at a time.
#[derive(Clone, Debug)]
pub struct Faults {
    inner: Arc<State>,
}

/// A request being answered (see [`Faults::most_requests_at_once`]).
pub(crate) struct Answering(Arc<State>);

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.answering.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Debug)]
struct State {
    requests: AtomicU64,
    /// Vendor requests being answered now, and the most there ever were at once.
    answering: AtomicU64,
    most_answering: AtomicU64,
    rate_limit_next: AtomicU32,
    rate_limit_retry_ms: AtomicU64,
    html_502_next: AtomicU32,
    html_200_next: AtomicU32,
    /// Milliseconds every answer waits before it is sent.
    latency_ms: AtomicU64,
    /// Milliseconds between the chunks of a dripped body; 0: off.
    drip_ms: AtomicU64,
    /// `(n, status, text)`: the next `n` requests get `status` with the plain-text body.
    text_answer_next: Mutex<Option<(u32, u16, String)>>,
    malformed_next: AtomicU32,
    errors_in_success_next: AtomicU32,
    hang: watch::Sender<bool>,
    unknown_enum_values: AtomicBool,
    numbers_as_strings: AtomicBool,
    nulls_for_optionals: AtomicBool,
    empty_list_for_unknown_id: AtomicBool,
    empty_write_bodies: AtomicBool,
    xml_nil_on_values: AtomicBool,
    xml_untyped_leaves_as: Mutex<Option<String>>,
    lost_answers_next: AtomicU32,
    truncate_next: AtomicU32,
}

/// The render-time leniency switches, read once per response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Leniency {
    pub unknown_enum_values: bool,
    pub numbers_as_strings: bool,
    pub nulls_for_optionals: bool,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            inner: Arc::new(State {
                requests: AtomicU64::new(0),
                answering: AtomicU64::new(0),
                most_answering: AtomicU64::new(0),
                rate_limit_next: AtomicU32::new(0),
                rate_limit_retry_ms: AtomicU64::new(1000),
                html_502_next: AtomicU32::new(0),
                html_200_next: AtomicU32::new(0),
                latency_ms: AtomicU64::new(0),
                drip_ms: AtomicU64::new(0),
                text_answer_next: Mutex::new(None),
                malformed_next: AtomicU32::new(0),
                errors_in_success_next: AtomicU32::new(0),
                hang: watch::Sender::new(false),
                unknown_enum_values: AtomicBool::new(false),
                numbers_as_strings: AtomicBool::new(false),
                nulls_for_optionals: AtomicBool::new(false),
                empty_list_for_unknown_id: AtomicBool::new(false),
                empty_write_bodies: AtomicBool::new(false),
                xml_nil_on_values: AtomicBool::new(false),
                xml_untyped_leaves_as: Mutex::new(None),
                lost_answers_next: AtomicU32::new(0),
                truncate_next: AtomicU32::new(0),
            }),
        }
    }
}

/// Decrements `counter` if it is positive; true when it was.
fn take(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

impl Faults {
    /// The next `n` requests get 429; the rate-limit headers (or `Retry-After` for vendors without
    /// rate-limit headers) and the message say to retry in `retry_in`.
    pub fn rate_limit_next(&self, n: u32, retry_in: Duration) {
        let ms = u64::try_from(retry_in.as_millis()).unwrap_or(u64::MAX);
        self.inner.rate_limit_retry_ms.store(ms, Ordering::SeqCst);
        self.inner.rate_limit_next.store(n, Ordering::SeqCst);
    }

    /// The next `n` requests get `502 Bad Gateway` with an HTML body, as a load balancer sends it.
    pub fn html_502_next(&self, n: u32) {
        self.inner.html_502_next.store(n, Ordering::SeqCst);
    }

    /// The next `n` requests get `200 OK` with an HTML sign-in page, as a captive portal, an
    /// expired single-sign-on session or a misrouted proxy sends it: a success status whose
    /// body is no answer of the vendor's.
    pub fn html_200_next(&self, n: u32) {
        self.inner.html_200_next.store(n, Ordering::SeqCst);
    }

    /// Every answer (faults included) waits `latency` before it is sent, as over a slow
    /// network; `Duration::ZERO` turns it off. Requests are still handled concurrently.
    pub fn latency(&self, latency: Duration) {
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.inner.latency_ms.store(ms, Ordering::SeqCst);
    }

    /// While set, every answer's body is sent 16 bytes at a time with `every`
    /// between them (status and headers at once), as by an overloaded server that answers but
    /// never finishes in time; `None` turns it off.
    pub fn drip(&self, every: Option<Duration>) {
        let ms = every.map_or(0, |d| {
            u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
        });
        self.inner.drip_ms.store(ms, Ordering::SeqCst);
    }

    /// The next `n` requests get `status` with `text` as a plain-text body, before anything
    /// else is looked at: a gateway's `504`, or a server exception leaked as the body of a 422
    /// (``undefined method `delete' for nil:NilClass``), as some vendors send them.
    pub fn text_answer_next(&self, n: u32, status: u16, text: impl Into<String>) {
        let answer = (n > 0).then(|| (n, status, text.into()));
        *self.text_answer() = answer;
    }

    fn text_answer(&self) -> std::sync::MutexGuard<'_, Option<(u32, u16, String)>> {
        // The guarded value is always whole: a panic elsewhere cannot leave it half-written.
        self.inner
            .text_answer_next
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// While on, requests are accepted but not answered (until the switch is turned off or the
    /// sandbox shuts down); use it to test client timeouts.
    pub fn hang(&self, on: bool) {
        self.inner.hang.send_replace(on);
    }

    /// The next `n` successful list/get responses that hold at least one item have one field of
    /// the first item replaced by a value of the wrong type (an integer field becomes
    /// `"not-a-number"`, else the first field becomes an object).
    pub fn malformed_next(&self, n: u32) {
        self.inner.malformed_next.store(n, Ordering::SeqCst);
    }

    /// The next `n` authenticated requests get status 200 with a body in the vendor's error shape
    /// (e.g. `{"errors":{"error":"…"}}`).
    pub fn errors_in_success_next(&self, n: u32) {
        self.inner.errors_in_success_next.store(n, Ordering::SeqCst);
    }

    /// While on, every enum value in response items is replaced by `NIEUWE_WAARDE`.
    pub fn unknown_enum_values(&self, on: bool) {
        self.inner.unknown_enum_values.store(on, Ordering::SeqCst);
    }

    /// While on, numbers in response items are sent as JSON strings (`"12.5"`).
    pub fn numbers_as_strings(&self, on: bool) {
        self.inner.numbers_as_strings.store(on, Ordering::SeqCst);
    }

    /// While on, optional fields without a value are sent as `null`, and so is every second
    /// optional field (other than `id`) of each item.
    pub fn nulls_for_optionals(&self, on: bool) {
        self.inner.nulls_for_optionals.store(on, Ordering::SeqCst);
    }

    /// While on, a get of an unknown id answers 200 with an empty list (`{"status":"OK","data":[]}`)
    /// instead of the vendor's not-found error. Only vendors whose item envelope is the first
    /// element of a list are affected.
    pub fn empty_list_for_unknown_id(&self, on: bool) {
        self.inner
            .empty_list_for_unknown_id
            .store(on, Ordering::SeqCst);
    }

    /// While on, successful updates, other `PUT`/`PATCH` operations except creates, and actions
    /// answer `200` with an empty body (no `Content-Type`) after applying the change, as Billomat
    /// may after a `PUT`. Creates keep their `201` with the object.
    pub fn empty_write_bodies(&self, on: bool) {
        self.inner.empty_write_bodies.store(on, Ordering::SeqCst);
    }

    /// While on, XML leaves that hold a value also say `nil="true"`, as some Rails answers do
    /// (`<active-until type="datetime" nil="true">2010-02-21T19:04:28Z</active-until>`): a
    /// client must keep the value.
    pub fn xml_nil_on_values(&self, on: bool) {
        self.inner.xml_nil_on_values.store(on, Ordering::SeqCst);
    }

    /// While set, XML leaves otherwise written without a `type` attribute carry this one, as
    /// the text leaves of Spreedly's 2013 plan versions carry `type="SubscriptionPlan::Version"`;
    /// `None` turns it off.
    pub fn xml_untyped_leaves_as(&self, ty: Option<String>) {
        *self.untyped_leaves_as() = ty;
    }

    /// The next `n` successful writes (requests other than `GET` and `HEAD`) are applied, but
    /// their answer is never sent: the connection stays open, unanswered, until the sandbox
    /// shuts down. The client times out not knowing whether the write happened; with an
    /// idempotency key its retry gets the remembered answer and nothing is applied twice.
    pub fn lose_answers_next(&self, n: u32) {
        self.inner.lost_answers_next.store(n, Ordering::SeqCst);
    }

    /// The next `n` answers (of any request, after it was handled: a write is applied) are cut
    /// off: their status and headers are sent, then the first half of their body, then the
    /// connection is dropped, as when a server or proxy dies mid-answer.
    pub fn truncate_next(&self, n: u32) {
        self.inner.truncate_next.store(n, Ordering::SeqCst);
    }

    /// Turns every fault off and sets the request counters back to zero.
    pub fn reset(&self) {
        let s = &self.inner;
        s.requests.store(0, Ordering::SeqCst);
        s.most_answering.store(0, Ordering::SeqCst);
        s.rate_limit_next.store(0, Ordering::SeqCst);
        s.rate_limit_retry_ms.store(1000, Ordering::SeqCst);
        s.html_502_next.store(0, Ordering::SeqCst);
        s.html_200_next.store(0, Ordering::SeqCst);
        s.latency_ms.store(0, Ordering::SeqCst);
        s.drip_ms.store(0, Ordering::SeqCst);
        *self.text_answer() = None;
        s.malformed_next.store(0, Ordering::SeqCst);
        s.errors_in_success_next.store(0, Ordering::SeqCst);
        s.hang.send_replace(false);
        s.unknown_enum_values.store(false, Ordering::SeqCst);
        s.numbers_as_strings.store(false, Ordering::SeqCst);
        s.nulls_for_optionals.store(false, Ordering::SeqCst);
        s.empty_list_for_unknown_id.store(false, Ordering::SeqCst);
        s.empty_write_bodies.store(false, Ordering::SeqCst);
        s.xml_nil_on_values.store(false, Ordering::SeqCst);
        *self.untyped_leaves_as() = None;
        s.lost_answers_next.store(0, Ordering::SeqCst);
        s.truncate_next.store(0, Ordering::SeqCst);
    }

    /// How many vendor API requests the server received (every request except the
    /// `/__sandbox/…` control endpoints), including the ones answered by a fault.
    pub fn requests_seen(&self) -> u64 {
        self.inner.requests.load(Ordering::SeqCst)
    }

    /// The most vendor API requests that were being answered at the same time (since the
    /// last [`reset`](Faults::reset)): how many pages a client really fetches at once.
    pub fn most_requests_at_once(&self) -> u64 {
        self.inner.most_answering.load(Ordering::SeqCst)
    }

    /// Counts a vendor request, which is being answered until the guard is dropped.
    pub(crate) fn count_request(&self) -> Answering {
        let s = &self.inner;
        s.requests.fetch_add(1, Ordering::SeqCst);
        let now = s.answering.fetch_add(1, Ordering::SeqCst) + 1;
        s.most_answering.fetch_max(now, Ordering::SeqCst);
        Answering(self.inner.clone())
    }

    pub(crate) fn take_rate_limit(&self) -> Option<Duration> {
        take(&self.inner.rate_limit_next)
            .then(|| Duration::from_millis(self.inner.rate_limit_retry_ms.load(Ordering::SeqCst)))
    }

    pub(crate) fn take_lost_answer(&self) -> bool {
        take(&self.inner.lost_answers_next)
    }

    pub(crate) fn take_truncated(&self) -> bool {
        take(&self.inner.truncate_next)
    }

    pub(crate) fn take_html_502(&self) -> bool {
        take(&self.inner.html_502_next)
    }

    pub(crate) fn take_html_200(&self) -> bool {
        take(&self.inner.html_200_next)
    }

    /// How long answers wait before they are sent (zero: not at all).
    pub(crate) fn latency_now(&self) -> Duration {
        Duration::from_millis(self.inner.latency_ms.load(Ordering::SeqCst))
    }

    /// The pause between the chunks of dripped bodies, while dripping is on.
    pub(crate) fn dripping(&self) -> Option<Duration> {
        let ms = self.inner.drip_ms.load(Ordering::SeqCst);
        (ms > 0).then(|| Duration::from_millis(ms))
    }

    /// The status and text of the next injected plain-text answer, counting it down.
    pub(crate) fn take_text_answer(&self) -> Option<(u16, String)> {
        let mut answer = self.text_answer();
        let (n, status, text) = answer.as_mut()?;
        let taken = (*status, text.clone());
        *n -= 1;
        if *n == 0 {
            *answer = None;
        }
        Some(taken)
    }

    pub(crate) fn take_malformed(&self) -> bool {
        take(&self.inner.malformed_next)
    }

    pub(crate) fn take_errors_in_success(&self) -> bool {
        take(&self.inner.errors_in_success_next)
    }

    pub(crate) fn hanging(&self) -> bool {
        *self.inner.hang.borrow()
    }

    /// Resolves when the hang switch is off.
    pub(crate) async fn hang_released(&self) {
        let mut rx = self.inner.hang.subscribe();
        // An error means the sender is gone, which cannot happen while `self` holds it.
        let _ = rx.wait_for(|on| !*on).await;
    }

    pub(crate) fn leniency(&self) -> Leniency {
        let s = &self.inner;
        Leniency {
            unknown_enum_values: s.unknown_enum_values.load(Ordering::SeqCst),
            numbers_as_strings: s.numbers_as_strings.load(Ordering::SeqCst),
            nulls_for_optionals: s.nulls_for_optionals.load(Ordering::SeqCst),
        }
    }

    pub(crate) fn empty_list_for_unknown_id_on(&self) -> bool {
        self.inner.empty_list_for_unknown_id.load(Ordering::SeqCst)
    }

    /// The XML quirks switched on, read once per response.
    pub(crate) fn xml_quirks(&self) -> XmlQuirks {
        XmlQuirks {
            nil_on_values: self.inner.xml_nil_on_values.load(Ordering::SeqCst),
            untyped_as: self.untyped_leaves_as().clone(),
        }
    }

    /// The lock of the `type` for untyped leaves; a poisoned lock still holds a valid setting.
    fn untyped_leaves_as(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.inner
            .xml_untyped_leaves_as
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn empty_write_bodies_on(&self) -> bool {
        self.inner.empty_write_bodies.load(Ordering::SeqCst)
    }

    /// The current state as JSON (for the HTTP control endpoint).
    pub(crate) fn snapshot(&self) -> serde_json::Value {
        let s = &self.inner;
        serde_json::json!({
            "requests_seen": s.requests.load(Ordering::SeqCst),
            "rate_limit_next": s.rate_limit_next.load(Ordering::SeqCst),
            "retry_in_ms": s.rate_limit_retry_ms.load(Ordering::SeqCst),
            "html_502_next": s.html_502_next.load(Ordering::SeqCst),
            "html_200_next": s.html_200_next.load(Ordering::SeqCst),
            "latency_ms": s.latency_ms.load(Ordering::SeqCst),
            "drip_ms": s.drip_ms.load(Ordering::SeqCst),
            "hang": *s.hang.borrow(),
            "malformed_next": s.malformed_next.load(Ordering::SeqCst),
            "errors_in_success_next": s.errors_in_success_next.load(Ordering::SeqCst),
            "truncate_next": s.truncate_next.load(Ordering::SeqCst),
            "unknown_enum_values": s.unknown_enum_values.load(Ordering::SeqCst),
            "numbers_as_strings": s.numbers_as_strings.load(Ordering::SeqCst),
            "nulls_for_optionals": s.nulls_for_optionals.load(Ordering::SeqCst),
            "empty_list_for_unknown_id": s.empty_list_for_unknown_id.load(Ordering::SeqCst),
            "empty_write_bodies": s.empty_write_bodies.load(Ordering::SeqCst),
            "xml_nil_on_values": s.xml_nil_on_values.load(Ordering::SeqCst),
            "xml_untyped_leaves_as": self.untyped_leaves_as().clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_n_faults_count_down_and_reset_clears() {
        let faults = Faults::default();
        let clone = faults.clone();
        faults.html_502_next(2);
        assert!(clone.take_html_502());
        assert!(clone.take_html_502());
        assert!(!clone.take_html_502());
        faults.rate_limit_next(1, Duration::from_millis(1500));
        assert_eq!(clone.take_rate_limit(), Some(Duration::from_millis(1500)));
        assert_eq!(clone.take_rate_limit(), None);
        faults.truncate_next(1);
        assert!(clone.take_truncated());
        assert!(!clone.take_truncated());
        faults.truncate_next(3);
        faults.html_200_next(1);
        assert!(clone.take_html_200());
        assert!(!clone.take_html_200());
        faults.html_200_next(5);
        faults.latency(Duration::from_millis(20));
        faults.drip(Some(Duration::from_micros(10)));
        assert_eq!(clone.latency_now(), Duration::from_millis(20));
        // A pause below a millisecond is one millisecond, not "off".
        assert_eq!(clone.dripping(), Some(Duration::from_millis(1)));
        faults.numbers_as_strings(true);
        faults.hang(true);
        faults.empty_write_bodies(true);
        faults.count_request();
        assert!(clone.leniency().numbers_as_strings && clone.hanging());
        assert!(clone.empty_write_bodies_on());
        assert_eq!(clone.requests_seen(), 1);
        faults.reset();
        assert_eq!(clone.leniency(), Leniency::default());
        assert!(!clone.hanging());
        assert!(!clone.empty_write_bodies_on());
        assert!(!clone.take_truncated());
        assert!(!clone.take_html_200());
        assert_eq!(
            (clone.latency_now(), clone.dripping()),
            (Duration::ZERO, None)
        );
        assert_eq!(clone.requests_seen(), 0);
    }
}
