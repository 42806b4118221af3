//! Codes and tokens the server issued, their state, and the counters.
//!
//! Everything that belongs to one authorization (a code, the tokens issued for it, their
//! refreshes) shares a *grant* number, so a reused code can revoke what it produced and the
//! minimum refresh interval can look at the latest access token of the chain.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::{Duration, SystemTime};

use super::answers::OAuthError;
use super::bearer::Rejection;
use super::settings::{GrantType, OAuthSettings};

/// How long an expired or retired token is remembered, so that a late request gets "expired",
/// "revoked" or "already used" instead of "unknown".
pub(super) const RETENTION: Duration = Duration::from_secs(3600);

/// Most entries per kind (codes, access tokens, refresh tokens); beyond it the oldest go, so a
/// client that loops on the token endpoint cannot make the sandbox grow without bound.
pub(super) const MAX_ENTRIES: usize = 10_000;

/// Stands in for "never" when a lifetime added to a time overflows.
const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Token requests by their `grant_type` parameter, whether they succeeded or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct GrantCounts {
    pub authorization_code: u64,
    pub refresh_token: u64,
    pub client_credentials: u64,
    /// Missing, unknown or unreadable grant types.
    pub other: u64,
}

impl GrantCounts {
    fn count(&mut self, grant_type: Option<&str>) {
        let counter = match grant_type.and_then(GrantType::parse) {
            Some(GrantType::AuthorizationCode) => &mut self.authorization_code,
            Some(GrantType::RefreshToken) => &mut self.refresh_token,
            Some(GrantType::ClientCredentials) => &mut self.client_credentials,
            None => &mut self.other,
        };
        *counter += 1;
    }
}

/// What the server did, for tests and the control endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct OAuthCounters {
    pub authorize_requests: u64,
    pub codes_issued: u64,
    pub token_requests: GrantCounts,
    /// Token requests answered with an error.
    pub token_errors: u64,
    /// Successful refresh-token grants.
    pub refreshes: u64,
    pub access_tokens_issued: u64,
    pub bearer_accepted: u64,
    pub bearer_rejected: u64,
}

/// How many codes and tokens are remembered (live or within [`RETENTION`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Remembered {
    pub codes: usize,
    pub access_tokens: usize,
    pub refresh_tokens: usize,
}

/// The tokens of one successful token request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Issued {
    pub access_token: String,
    pub refresh_token: Option<String>,
}

struct Code {
    client_id: String,
    redirect_uri: String,
    grant: u64,
    issued_at: SystemTime,
    expires_at: SystemTime,
    /// Kept after the exchange so that a second one is recognised (RFC 6749 §4.1.2).
    used: bool,
}

struct Access {
    grant: u64,
    issued_at: SystemTime,
    expires_at: SystemTime,
    revoked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retired {
    Rotated,
    Revoked,
}

struct Refresh {
    client_id: String,
    grant: u64,
    issued_at: SystemTime,
    expires_at: Option<SystemTime>,
    retired: Option<(SystemTime, Retired)>,
    /// The access token issued with it, for the minimum refresh interval.
    last_access: String,
}

impl Refresh {
    /// When the entry may be forgotten; `None` while it can still be used indefinitely.
    fn forget_at(&self) -> Option<SystemTime> {
        let retired = self.retired.map(|(at, _)| later(at, RETENTION));
        let expired = self.expires_at.map(|at| later(at, RETENTION));
        match (retired, expired) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

pub(super) struct Store {
    /// Per-server random keys: tokens are unguessable without a random-number dependency.
    seed: RandomState,
    minted: u64,
    grants: u64,
    codes: HashMap<String, Code>,
    access: HashMap<String, Access>,
    refresh: HashMap<String, Refresh>,
    pub(super) max_entries: usize,
    pub(super) counters: OAuthCounters,
    /// Accepted bearer checks left before every access token expires (a fault).
    pub(super) expire_after_checks: Option<u32>,
    pub(super) enforce_refresh_interval: bool,
}

/// `at + lifetime`, saturating at a century for absurd lifetimes instead of panicking.
fn later(at: SystemTime, lifetime: Duration) -> SystemTime {
    at.checked_add(lifetime)
        .or_else(|| at.checked_add(CENTURY))
        .unwrap_or(at)
}

/// Drops the oldest entries while `map` has more than `max`.
fn cap<V>(map: &mut HashMap<String, V>, max: usize, issued_at: impl Fn(&V) -> SystemTime) {
    while map.len() > max {
        let oldest = map
            .iter()
            .min_by_key(|(_, v)| issued_at(v))
            .map(|(k, _)| k.clone());
        match oldest {
            Some(key) => map.remove(&key),
            None => break,
        };
    }
}

impl Store {
    pub(super) fn new(enforce_refresh_interval: bool) -> Store {
        Store {
            seed: RandomState::new(),
            minted: 0,
            grants: 0,
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            max_entries: MAX_ENTRIES,
            counters: OAuthCounters::default(),
            expire_after_checks: None,
            enforce_refresh_interval,
        }
    }

    /// A fresh opaque value: 128 bits from a counter hashed with the per-server keys.
    fn mint(&mut self) -> String {
        self.minted += 1;
        let high = self.seed.hash_one((self.minted, 0u8));
        let low = self.seed.hash_one((self.minted, 1u8));
        format!("{high:016x}{low:016x}")
    }

    pub(super) fn new_grant(&mut self) -> u64 {
        self.grants += 1;
        self.grants
    }

    pub(super) fn count_token_request(&mut self, grant_type: Option<&str>) {
        self.counters.token_requests.count(grant_type);
    }

    pub(super) fn remembered(&self) -> Remembered {
        Remembered {
            codes: self.codes.len(),
            access_tokens: self.access.len(),
            refresh_tokens: self.refresh.len(),
        }
    }

    /// Forgets expired codes and tokens that expired or were retired more than [`RETENTION`] ago.
    /// Entries are only added by issuing, so issuing calls this and the maps stay bounded.
    pub(super) fn purge(&mut self, now: SystemTime) {
        self.codes.retain(|_, c| now < c.expires_at);
        self.access
            .retain(|_, a| now < later(a.expires_at, RETENTION));
        self.refresh
            .retain(|_, r| r.forget_at().is_none_or(|at| now < at));
    }

    pub(super) fn issue_code(
        &mut self,
        settings: &OAuthSettings,
        redirect_uri: &str,
        now: SystemTime,
    ) -> String {
        let code = self.mint();
        let grant = self.new_grant();
        let entry = Code {
            client_id: settings.client_id.clone(),
            redirect_uri: redirect_uri.to_owned(),
            grant,
            issued_at: now,
            expires_at: later(now, settings.code_lifetime),
            used: false,
        };
        self.codes.insert(code.clone(), entry);
        cap(&mut self.codes, self.max_entries, |c| c.issued_at);
        self.counters.codes_issued += 1;
        code
    }

    /// Exchanges a code once: answers its grant. A second exchange revokes what the first one
    /// issued (RFC 6749 §4.1.2: the code may have been stolen).
    pub(super) fn redeem_code(
        &mut self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        now: SystemTime,
    ) -> Result<u64, OAuthError> {
        let entry = self
            .codes
            .get_mut(code)
            .ok_or_else(|| OAuthError::invalid_grant("The authorization code is invalid."))?;
        if entry.client_id != client_id {
            return Err(OAuthError::invalid_grant(
                "The authorization code was issued to another client.",
            ));
        }
        if entry.used {
            let grant = entry.grant;
            self.revoke_grant(grant, now);
            return Err(OAuthError::invalid_grant(
                "The authorization code has already been used.",
            ));
        }
        entry.used = true;
        if now >= entry.expires_at {
            return Err(OAuthError::invalid_grant(
                "The authorization code has expired.",
            ));
        }
        if entry.redirect_uri != redirect_uri {
            return Err(OAuthError::invalid_grant(
                "redirect_uri differs from the one of the authorization request.",
            ));
        }
        Ok(entry.grant)
    }

    /// A new access token, and a refresh token when `with_refresh`, for `grant`.
    pub(super) fn issue(
        &mut self,
        settings: &OAuthSettings,
        client_id: &str,
        grant: u64,
        with_refresh: bool,
        now: SystemTime,
    ) -> Issued {
        let access_token = self.issue_access(settings, grant, now);
        let refresh_token = with_refresh
            .then(|| self.issue_refresh(settings, client_id, grant, &access_token, now));
        Issued {
            access_token,
            refresh_token,
        }
    }

    fn issue_access(&mut self, settings: &OAuthSettings, grant: u64, now: SystemTime) -> String {
        let token = self.mint();
        let entry = Access {
            grant,
            issued_at: now,
            expires_at: later(now, settings.access_token_lifetime),
            revoked: false,
        };
        self.access.insert(token.clone(), entry);
        cap(&mut self.access, self.max_entries, |a| a.issued_at);
        self.counters.access_tokens_issued += 1;
        token
    }

    fn issue_refresh(
        &mut self,
        settings: &OAuthSettings,
        client_id: &str,
        grant: u64,
        access_token: &str,
        now: SystemTime,
    ) -> String {
        let token = self.mint();
        let entry = Refresh {
            client_id: client_id.to_owned(),
            grant,
            issued_at: now,
            expires_at: settings.refresh_token_lifetime.map(|l| later(now, l)),
            retired: None,
            last_access: access_token.to_owned(),
        };
        self.refresh.insert(token.clone(), entry);
        cap(&mut self.refresh, self.max_entries, |r| r.issued_at);
        token
    }

    /// The refresh-token grant: a new access token and, with rotation, a new refresh token that
    /// replaces `token`.
    pub(super) fn refresh(
        &mut self,
        settings: &OAuthSettings,
        token: &str,
        client_id: &str,
        now: SystemTime,
    ) -> Result<Issued, OAuthError> {
        let grant = self.usable_refresh(settings, token, client_id, now)?;
        let access_token = self.issue_access(settings, grant, now);
        let refresh_token = if settings.rotate_refresh_tokens {
            if let Some(old) = self.refresh.get_mut(token) {
                old.retired = Some((now, Retired::Rotated));
            }
            self.issue_refresh(settings, client_id, grant, &access_token, now)
        } else {
            if let Some(same) = self.refresh.get_mut(token) {
                same.last_access = access_token.clone();
            }
            token.to_owned()
        };
        self.counters.refreshes += 1;
        Ok(Issued {
            access_token,
            refresh_token: Some(refresh_token),
        })
    }

    /// The grant of `token` when it may be used now.
    fn usable_refresh(
        &self,
        settings: &OAuthSettings,
        token: &str,
        client_id: &str,
        now: SystemTime,
    ) -> Result<u64, OAuthError> {
        let entry = self
            .refresh
            .get(token)
            .ok_or_else(|| OAuthError::invalid_grant("Refresh token is invalid."))?;
        if entry.client_id != client_id {
            return Err(OAuthError::invalid_grant(
                "Refresh token was issued to another client.",
            ));
        }
        match entry.retired {
            Some((_, Retired::Rotated)) => {
                return Err(OAuthError::invalid_grant(
                    "Refresh token has already been used; use the one issued with it.",
                ));
            }
            Some((_, Retired::Revoked)) => {
                return Err(OAuthError::invalid_grant("Refresh token has been revoked."));
            }
            None => {}
        }
        if entry.expires_at.is_some_and(|at| now >= at) {
            return Err(OAuthError::invalid_grant("Refresh token has expired."));
        }
        self.check_refresh_interval(settings, entry, now)?;
        Ok(entry.grant)
    }

    /// Refuses a refresh while the chain's latest access token is valid and too young. A token
    /// that expired (also by force) or was revoked never blocks: the client must be able to
    /// recover from a 401.
    fn check_refresh_interval(
        &self,
        settings: &OAuthSettings,
        entry: &Refresh,
        now: SystemTime,
    ) -> Result<(), OAuthError> {
        let Some(min) = settings
            .refresh_min_interval
            .filter(|_| self.enforce_refresh_interval)
        else {
            return Ok(());
        };
        let Some(latest) = self.access.get(&entry.last_access) else {
            return Ok(());
        };
        let age = now.duration_since(latest.issued_at).unwrap_or_default();
        if latest.revoked || now >= latest.expires_at || age >= min {
            return Ok(());
        }
        Err(OAuthError::invalid_request(format!(
            "A new access token can be requested {} seconds after the previous one; {} seconds left.",
            min.as_secs(),
            (min - age).as_secs().max(1)
        )))
    }

    /// The verdict on an access token presented to the API.
    pub(super) fn check(&mut self, token: &str, now: SystemTime) -> Result<(), Rejection> {
        let entry = self.access.get(token).ok_or(Rejection::Unknown)?;
        if entry.revoked {
            return Err(Rejection::Revoked);
        }
        if now >= entry.expires_at {
            return Err(Rejection::Expired);
        }
        self.count_down_expiry(now)
    }

    /// The "expire after n requests" fault: the check after the n-th accepted one expires every
    /// access token, as a token running out in the middle of a listing does.
    fn count_down_expiry(&mut self, now: SystemTime) -> Result<(), Rejection> {
        match self.expire_after_checks {
            Some(0) => {
                self.expire_after_checks = None;
                self.expire_access(now);
                Err(Rejection::Expired)
            }
            Some(n) => {
                self.expire_after_checks = Some(n - 1);
                Ok(())
            }
            None => Ok(()),
        }
    }

    pub(super) fn revoke_access(&mut self) {
        for entry in self.access.values_mut() {
            entry.revoked = true;
        }
    }

    pub(super) fn revoke_refresh(&mut self, now: SystemTime) {
        for entry in self.refresh.values_mut() {
            entry.retired.get_or_insert((now, Retired::Revoked));
        }
    }

    /// Every access token that is still valid expires at `now`.
    pub(super) fn expire_access(&mut self, now: SystemTime) {
        for entry in self.access.values_mut() {
            entry.expires_at = entry.expires_at.min(now);
        }
    }

    fn revoke_grant(&mut self, grant: u64, now: SystemTime) {
        for entry in self.access.values_mut().filter(|a| a.grant == grant) {
            entry.revoked = true;
        }
        for entry in self.refresh.values_mut().filter(|r| r.grant == grant) {
            entry.retired.get_or_insert((now, Retired::Revoked));
        }
    }
}
