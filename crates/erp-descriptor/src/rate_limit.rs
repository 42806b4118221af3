//! A vendor's rate-limit windows, as its response headers describe them.

/// Unit of a rate-limit reset header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResetUnit {
    EpochSeconds,
    EpochMillis,
    DeltaSeconds,
}

/// What the client does when a window's quota is used up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WhenExhausted {
    /// Wait for the reset (bounded by the client's `max_rate_limit_wait`).
    Wait,
    /// Fail at once with the reset time (a daily quota: waiting hours helps nobody).
    FailFast,
}

/// One rate-limit window (per minute, per day, ...) and the headers that report it. Every
/// header is optional: vendors report some of limit, remaining and reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateWindow {
    /// Name for messages, e.g. `minutely`.
    pub name: &'static str,
    pub limit_header: Option<&'static str>,
    pub remaining_header: Option<&'static str>,
    pub reset_header: Option<&'static str>,
    pub reset_unit: ResetUnit,
    /// Length of the window, when the vendor documents it (the client meters requests
    /// against it between headers).
    pub seconds: Option<u64>,
    pub when_exhausted: WhenExhausted,
}
