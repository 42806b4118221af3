//! The tokens a session holds, as kept in memory and in a [`TokenStore`](super::TokenStore).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::Secret;

/// An access token with what belongs to it.
///
/// Serialized (by [`FileTokenStore`](super::FileTokenStore)) as JSON with times in Unix
/// seconds: `{"access_token":"…","refresh_token":"…","expires_at":1767225600,…}`. `Debug`
/// never shows a token.
///
/// ```
/// use erp_runtime::oauth2::TokenSet;
/// // A session that starts from a refresh token obtained elsewhere: the empty, already
/// // expired access token is replaced on first use.
/// let tokens = TokenSet::from_refresh_token("rt-from-a-previous-login");
/// assert!(tokens.access_token.is_empty());
/// assert!(!format!("{tokens:?}").contains("rt-from"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenSet {
    pub access_token: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// When the access token stops working; `None` when the server did not say (then the
    /// token is refreshed only after the vendor rejects it).
    #[serde(default, with = "unix_floor", skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<SystemTime>,
    /// When the token endpoint answered; the minimum refresh interval counts from here.
    #[serde(default, with = "unix_ceil", skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<SystemTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Scopes granted, space-separated, if the server said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl TokenSet {
    /// An access token without expiry or refresh token.
    pub fn new(access_token: impl Into<Secret>) -> Self {
        TokenSet {
            access_token: access_token.into(),
            refresh_token: None,
            expires_at: None,
            issued_at: None,
            token_type: None,
            scope: None,
        }
    }

    /// Only a refresh token; the first request refreshes.
    pub fn from_refresh_token(refresh_token: impl Into<Secret>) -> Self {
        TokenSet {
            refresh_token: Some(refresh_token.into()),
            expires_at: Some(UNIX_EPOCH),
            ..TokenSet::new("")
        }
    }

    /// Sets the expiry.
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Sets the refresh token.
    pub fn refresh_token(mut self, token: impl Into<Secret>) -> Self {
        self.refresh_token = Some(token.into());
        self
    }

    /// Sets when the token was issued.
    pub fn issued_at(mut self, at: SystemTime) -> Self {
        self.issued_at = Some(at);
        self
    }
}

// Times are whole seconds on disk. Rounding is chosen to err on the safe side when another
// process reads them back: an expiry rounds down (refresh a little early), an issue time
// rounds up (never request a new token before the minimum interval).
mod unix_floor {
    use super::*;

    pub fn serialize<S: serde::Serializer>(
        t: &Option<SystemTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        super::serialize_secs(t, s, false)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        super::deserialize_secs(d)
    }
}

mod unix_ceil {
    use super::*;

    pub fn serialize<S: serde::Serializer>(
        t: &Option<SystemTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        super::serialize_secs(t, s, true)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        super::deserialize_secs(d)
    }
}

fn serialize_secs<S: serde::Serializer>(
    t: &Option<SystemTime>,
    s: S,
    round_up: bool,
) -> Result<S::Ok, S::Error> {
    match t {
        None => s.serialize_none(),
        Some(t) => {
            // Times before 1970 do not occur in tokens; they are stored as 0.
            let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
            let up = u64::from(round_up && since.subsec_nanos() > 0);
            s.serialize_u64(since.as_secs().saturating_add(up))
        }
    }
}

fn deserialize_secs<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<SystemTime>, D::Error> {
    Ok(Option::<u64>::deserialize(d)?
        .and_then(|secs| UNIX_EPOCH.checked_add(Duration::from_secs(secs))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_as_unix_seconds_rounding_to_the_safe_side() {
        let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_500);
        let tokens = TokenSet::new("at")
            .refresh_token("rt")
            .expires_at(at)
            .issued_at(at);
        let json = serde_json::to_value(&tokens).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"access_token": "at", "refresh_token": "rt",
                "expires_at": 1_700_000_000u64, "issued_at": 1_700_000_001u64})
        );
        let back: TokenSet = serde_json::from_value(json).unwrap();
        assert_eq!(
            back.expires_at,
            Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        );
        assert_eq!(back.refresh_token, Some(Secret::from("rt")));
        let minimal: TokenSet = serde_json::from_str(r#"{"access_token":"x"}"#).unwrap();
        assert_eq!(minimal, TokenSet::new("x"));
    }
}
