//! The token cache of one [`OAuth2`](super::OAuth2) session: when a token may be used, and the
//! single-flight renewal that replaces it.
//!
//! # Design
//!
//! - **Fast path.** A request whose cached token is good takes a short `std` mutex, copies the
//!   token and goes; no `await`, no contention with a refresh in progress.
//! - **Single flight.** Otherwise the caller queues on one `tokio` mutex per session (the
//!   *gate*). Whoever gets it first renews; everyone queued behind re-checks the cache when
//!   they get the gate and finds the new token, so N concurrent callers cause one token
//!   request. A queue (rather than a shared future) keeps it simple and fair, and it extends
//!   naturally to other processes: the renewal runs inside [`TokenStore::exclusive`], which for
//!   [`FileTokenStore`](super::FileTokenStore) is a lock file.
//! - **No half renewals.** The renewal runs in a spawned task that owns the gate, so a caller
//!   that gives up (a timeout, a dropped future) cannot cancel it between the token endpoint
//!   rotating the refresh token and the store saving the new one.
//! - **Store first.** Under the lock the store is re-read before asking the endpoint: another
//!   process may have refreshed already, and then its token is used and its (rotated) refresh
//!   token is the only one that still works. New tokens are saved before they are used; if
//!   saving fails the request fails, and the tokens stay in memory as *unsaved* and are saved
//!   first thing on the next attempt.
//! - **Minimum interval.** Some servers allow a new token only every so often
//!   ([`OAuth2Config::min_refresh_interval`](super::OAuth2Config::min_refresh_interval)). When
//!   a refresh is due before that, the current token is used while it is still valid; once it
//!   has expired (or was rejected), the request fails at once with
//!   [`AuthErrorKind::RefreshTooSoon`] carrying the time from which a new token may be
//!   requested. Failing is preferred to waiting: the wait can be minutes, longer than any
//!   request timeout, and asking early would only earn an error from the server.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use reqwest::header::AUTHORIZATION;

use super::endpoint::{self, Grant};
use super::error::auth_error;
use super::store::TokenStore;
use super::{Flow, OAuth2Config, TokenErrorKind, TokenSet};
use crate::auth::AuthTarget;
use crate::error::AuthErrorKind;
use crate::{Error, Secret};

/// Where the session gets the current time; injectable so expiry logic is testable without
/// sleeping.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    fn now(&self) -> SystemTime;
}

/// The system clock, the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
}

/// A clock that moves only when told to; for tests.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use erp_runtime::oauth2::{Clock, ManualClock};
/// let clock = ManualClock::new(UNIX_EPOCH);
/// clock.advance(Duration::from_secs(600));
/// assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(600));
/// ```
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<SystemTime>,
}

impl ManualClock {
    pub fn new(start: SystemTime) -> Self {
        ManualClock {
            now: Mutex::new(start),
        }
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }

    pub fn set(&self, to: SystemTime) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// When a token is used, refreshed or neither.
#[derive(Debug, Clone, Copy)]
pub(super) struct Policy {
    pub skew: Duration,
    pub min_interval: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Send the token as it is.
    Use,
    /// Get a new token now.
    Refresh,
    /// A new token is needed, the current one is unusable, and the server allows a new one
    /// only from `retry_at` on.
    TooSoon { retry_at: SystemTime },
}

impl Policy {
    pub(super) fn judge(&self, tokens: &TokenSet, rejected: bool, now: SystemTime) -> Verdict {
        let unusable = rejected
            || tokens.access_token.is_empty()
            || tokens.expires_at.is_some_and(|at| now >= at);
        // Unknown expiry: only a rejection (401) makes it due.
        let due = unusable
            || tokens
                .expires_at
                .is_some_and(|at| now.checked_add(self.skew).is_none_or(|soon| soon >= at));
        if !due {
            return Verdict::Use;
        }
        let allowed_from = tokens
            .issued_at
            .zip(self.min_interval)
            .and_then(|(issued, min)| issued.checked_add(min));
        match allowed_from {
            Some(retry_at) if now < retry_at && unusable => Verdict::TooSoon { retry_at },
            // Due for a proactive refresh but not yet allowed: the token still works.
            Some(retry_at) if now < retry_at => Verdict::Use,
            _ => Verdict::Refresh,
        }
    }
}

#[derive(Default)]
struct State {
    tokens: Option<TokenSet>,
    /// The vendor rejected `tokens.access_token`; it is not sent again.
    rejected: bool,
    /// Tokens the endpoint issued whose saving failed; they hold the only valid refresh token.
    unsaved: Option<TokenSet>,
    /// A refresh token the endpoint refused (`invalid_grant`), not offered again: servers count
    /// token calls (some allow a few hundred a day) and a dead token does not come back.
    refused_refresh: Option<Secret>,
}

/// What a renewal does once it holds the locks.
pub(super) enum Renewal {
    /// Make sure there is a usable token, refreshing if needed.
    Refresh,
    /// Exchange an authorization code.
    Code {
        code: Secret,
        redirect_uri: String,
        verifier: Option<Secret>,
    },
}

/// One OAuth2 session: configuration, HTTP client, store and token cache.
pub(super) struct Session {
    pub config: OAuth2Config,
    pub store: Arc<dyn TokenStore>,
    pub clock: Arc<dyn Clock>,
    pub http: reqwest::Client,
    state: Mutex<State>,
    gate: Arc<tokio::sync::Mutex<()>>,
}

impl Session {
    pub fn new(
        config: OAuth2Config,
        store: Arc<dyn TokenStore>,
        clock: Arc<dyn Clock>,
        http: reqwest::Client,
    ) -> Self {
        Session {
            config,
            store,
            clock,
            http,
            state: Mutex::default(),
            gate: Arc::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is consistent after every statement that changes it; a panic elsewhere
        // while it was locked leaves nothing half-done.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn policy(&self) -> Policy {
        Policy {
            skew: self.config.refresh_skew,
            min_interval: self.config.min_refresh_interval,
        }
    }

    fn error(&self, kind: AuthErrorKind, message: impl Into<String>) -> Error {
        auth_error(self.config.vendor, kind, message)
    }

    fn store_error(&self, what: &str, e: &std::io::Error) -> Error {
        self.error(AuthErrorKind::Store, format!("{what}: {e}"))
    }

    /// The cached access token, if it can be sent as it is.
    fn usable(&self) -> Option<Secret> {
        let state = self.state();
        if state.unsaved.is_some() {
            return None;
        }
        let tokens = state.tokens.as_ref()?;
        (self
            .policy()
            .judge(tokens, state.rejected, self.clock.now())
            == Verdict::Use)
            .then(|| tokens.access_token.clone())
    }

    /// A usable access token, renewing it (once, for all concurrent callers) if needed.
    pub async fn access_token(self: &Arc<Self>) -> Result<Secret, Error> {
        if let Some(token) = self.usable() {
            return Ok(token);
        }
        let gate = Arc::clone(&self.gate).lock_owned().await;
        // Whoever held the gate before us may have renewed already.
        if let Some(token) = self.usable() {
            return Ok(token);
        }
        self.renew_detached(gate, Renewal::Refresh).await
    }

    /// Exchanges an authorization code and stores the tokens.
    pub async fn exchange_code(self: &Arc<Self>, renewal: Renewal) -> Result<(), Error> {
        let gate = Arc::clone(&self.gate).lock_owned().await;
        self.renew_detached(gate, renewal).await.map(drop)
    }

    async fn renew_detached(
        self: &Arc<Self>,
        gate: tokio::sync::OwnedMutexGuard<()>,
        renewal: Renewal,
    ) -> Result<Secret, Error> {
        let session = Arc::clone(self);
        let task = tokio::spawn(async move {
            let _gate = gate;
            session.renew(renewal).await
        });
        match task.await {
            Ok(outcome) => outcome,
            // A panic in the renewal is a bug; it surfaces where it would have without the task.
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(self.error(
                AuthErrorKind::Transport,
                "the token renewal was cancelled (the runtime is shutting down)",
            )),
        }
    }

    /// Runs the renewal inside the store's cross-process lock.
    async fn renew(&self, renewal: Renewal) -> Result<Secret, Error> {
        let mut outcome = None;
        let locked = self
            .store
            .exclusive(Box::pin(async {
                outcome = Some(self.renew_locked(renewal).await);
            }))
            .await;
        match (outcome, locked) {
            (Some(outcome), Ok(())) => outcome,
            (Some(outcome), Err(e)) => {
                tracing::warn!(vendor = self.config.vendor, error = %e, "releasing the token store lock failed");
                outcome
            }
            (None, Err(e)) => Err(self.store_error("cannot lock the token store", &e)),
            (None, Ok(())) => Err(self.error(
                AuthErrorKind::Store,
                "the token store returned without running the renewal",
            )),
        }
    }

    async fn renew_locked(&self, renewal: Renewal) -> Result<Secret, Error> {
        let unsaved = self.state().unsaved.clone();
        if let Some(unsaved) = unsaved {
            self.store.save(&unsaved).await.map_err(|e| {
                self.store_error("saving the tokens issued before failed again", &e)
            })?;
            let mut state = self.state();
            state.unsaved = None;
            state.tokens = Some(unsaved);
            state.rejected = false;
            tracing::info!(
                vendor = self.config.vendor,
                "saved the tokens whose saving had failed"
            );
        }
        if let Renewal::Code {
            code,
            redirect_uri,
            verifier,
        } = renewal
        {
            let grant = Grant::AuthorizationCode {
                code: &code,
                redirect_uri: &redirect_uri,
                verifier: verifier.as_ref(),
            };
            let fresh = endpoint::request(self, grant).await?;
            return self.commit(fresh).await;
        }

        // The store is the source of truth: another process may have refreshed meanwhile.
        let stored = self
            .store
            .load()
            .await
            .map_err(|e| self.store_error("cannot read the token store", &e))?;
        let (current, rejected) = {
            let state = self.state();
            match (stored, &state.tokens) {
                (Some(stored), Some(ours)) => {
                    // Our rejection concerns our token only, not a newer one in the store.
                    let same = stored.access_token == ours.access_token;
                    (Some(stored), same && state.rejected)
                }
                (Some(stored), None) => (Some(stored), false),
                (None, ours) => (ours.clone(), state.rejected),
            }
        };
        if let Some(current) = &current {
            match self.policy().judge(current, rejected, self.clock.now()) {
                Verdict::Use => {
                    let mut state = self.state();
                    if state.tokens.as_ref() != Some(current) {
                        state.tokens = Some(current.clone());
                        state.rejected = false;
                    }
                    return Ok(current.access_token.clone());
                }
                Verdict::TooSoon { retry_at } => {
                    let wait = retry_at
                        .duration_since(self.clock.now())
                        .unwrap_or_default()
                        .as_secs();
                    let min = self.config.min_refresh_interval.unwrap_or_default();
                    return Err(self.error(
                        AuthErrorKind::RefreshTooSoon { retry_at },
                        format!(
                            "a new access token is needed, but the token endpoint allows one only every {} s; the next may be requested in {wait} s",
                            min.as_secs()
                        ),
                    ));
                }
                Verdict::Refresh => {}
            }
        }
        let fresh = self.request_new(current.as_ref()).await?;
        self.commit(fresh).await
    }

    /// Asks the token endpoint for new tokens: with the refresh token if there is one, else
    /// (client-credentials sessions) with the client's own credentials.
    async fn request_new(&self, current: Option<&TokenSet>) -> Result<TokenSet, Error> {
        let client_credentials = self.config.flow == Flow::ClientCredentials;
        if let Some(refresh) = current.and_then(|t| t.refresh_token.as_ref()) {
            let refused = self.state().refused_refresh.as_ref() == Some(refresh);
            if !refused {
                match endpoint::request(self, Grant::RefreshToken(refresh)).await {
                    Ok(mut fresh) => {
                        // RFC 6749 §6: a new refresh token replaces the old one (rotation);
                        // without one, the old one stays valid.
                        if fresh.refresh_token.is_none() {
                            fresh.refresh_token = Some(refresh.clone());
                        }
                        return Ok(fresh);
                    }
                    Err(e) if is_invalid_grant(&e) => {
                        self.state().refused_refresh = Some(refresh.clone());
                        if !client_credentials {
                            return Err(e);
                        }
                    }
                    Err(e) => return Err(e),
                }
            } else if !client_credentials {
                return Err(self.error(
                    AuthErrorKind::TokenEndpoint(TokenErrorKind::InvalidGrant),
                    "the token endpoint refused the stored refresh token before (invalid_grant); the user must authorize again",
                ));
            }
        }
        if client_credentials {
            return endpoint::request(self, Grant::ClientCredentials).await;
        }
        Err(self.error(
            AuthErrorKind::NotAuthorized,
            "no refresh token is stored; run the authorization code flow first (OAuth2::authorization_request and exchange_code, or run_loopback_redirect)",
        ))
    }

    /// Saves new tokens, then makes them current. Never the other way round: a rotated refresh
    /// token that lived only in memory would die with the process, and the old one is void.
    async fn commit(&self, fresh: TokenSet) -> Result<Secret, Error> {
        match self.store.save(&fresh).await {
            Ok(()) => {
                let mut state = self.state();
                state.tokens = Some(fresh.clone());
                state.rejected = false;
                state.unsaved = None;
                tracing::debug!(vendor = self.config.vendor, "new tokens saved");
                Ok(fresh.access_token)
            }
            Err(e) => {
                self.state().unsaved = Some(fresh);
                Err(self.store_error(
                    "the token endpoint issued new tokens but saving them failed (they are kept in memory and saving is retried first on the next request)",
                    &e,
                ))
            }
        }
    }

    /// The vendor rejected `rejected`; see [`Auth::invalidate`](crate::auth::Auth::invalidate).
    pub async fn invalidate(&self, rejected: &AuthTarget) -> bool {
        let Some(sent) = rejected
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return false;
        };
        let renewable_now = {
            let mut state = self.state();
            let Some(tokens) = state.tokens.clone() else {
                return false;
            };
            if tokens.access_token.expose() != sent || state.unsaved.is_some() {
                // Replaced meanwhile (another task refreshed): the retry sends the newer one.
                return true;
            }
            state.rejected = true;
            let can_renew = self.config.flow == Flow::ClientCredentials
                || tokens
                    .refresh_token
                    .as_ref()
                    .is_some_and(|rt| state.refused_refresh.as_ref() != Some(rt));
            can_renew && self.policy().judge(&tokens, true, self.clock.now()) == Verdict::Refresh
        };
        if renewable_now {
            return true;
        }
        // We cannot renew now, but another process may have done so.
        let now = self.clock.now();
        matches!(self.store.load().await, Ok(Some(stored))
            if stored.access_token.expose() != sent
                && self.policy().judge(&stored, false, now) == Verdict::Use)
    }
}

fn is_invalid_grant(e: &Error) -> bool {
    matches!(
        e.auth_kind(),
        Some(AuthErrorKind::TokenEndpoint(TokenErrorKind::InvalidGrant))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    const POLICY: Policy = Policy {
        skew: Duration::from_secs(30),
        min_interval: None,
    };

    #[test]
    fn tokens_are_used_until_the_skew_then_refreshed() {
        let tokens = TokenSet::new("a").issued_at(at(0)).expires_at(at(600));
        assert_eq!(POLICY.judge(&tokens, false, at(569)), Verdict::Use);
        assert_eq!(POLICY.judge(&tokens, false, at(570)), Verdict::Refresh);
        assert_eq!(POLICY.judge(&tokens, false, at(700)), Verdict::Refresh);
        assert_eq!(POLICY.judge(&tokens, true, at(1)), Verdict::Refresh);
    }

    #[test]
    fn unknown_expiry_refreshes_only_after_a_rejection() {
        let tokens = TokenSet::new("a").issued_at(at(0));
        assert_eq!(POLICY.judge(&tokens, false, at(1_000_000)), Verdict::Use);
        assert_eq!(POLICY.judge(&tokens, true, at(1)), Verdict::Refresh);
        assert_eq!(
            POLICY.judge(&TokenSet::from_refresh_token("r"), false, at(1)),
            Verdict::Refresh
        );
    }

    #[test]
    fn the_minimum_interval_keeps_a_valid_token_and_fails_an_unusable_one() {
        let policy = Policy {
            skew: Duration::from_secs(30),
            min_interval: Some(Duration::from_secs(590)),
        };
        let tokens = TokenSet::new("a").issued_at(at(0)).expires_at(at(600));
        // Due (within the skew) but not allowed yet: keep using it while valid.
        assert_eq!(policy.judge(&tokens, false, at(575)), Verdict::Use);
        assert_eq!(policy.judge(&tokens, false, at(590)), Verdict::Refresh);
        let short = TokenSet::new("a").issued_at(at(0)).expires_at(at(100));
        assert_eq!(
            policy.judge(&short, false, at(101)),
            Verdict::TooSoon { retry_at: at(590) }
        );
        assert_eq!(
            policy.judge(&tokens, true, at(10)),
            Verdict::TooSoon { retry_at: at(590) }
        );
    }
}
