//! OAuth2 token-endpoint errors (RFC 6749 §5.2) and the runtime errors built from them.

use std::fmt;

use crate::error::AuthErrorKind;
use crate::{Error, Secret};

/// The `error` code of a token-endpoint error response.
///
/// ```
/// use erp_runtime::oauth2::TokenErrorKind;
/// assert_eq!(TokenErrorKind::from_code("invalid_grant"), TokenErrorKind::InvalidGrant);
/// assert_eq!(TokenErrorKind::from_code("slow_down").to_string(), "slow_down");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenErrorKind {
    /// The request is malformed (missing or repeated parameter, ...).
    InvalidRequest,
    /// The client could not be authenticated: wrong client id or secret, or the wrong way of
    /// sending them ([`ClientAuth`](super::ClientAuth)).
    InvalidClient,
    /// The authorization code or refresh token is invalid, expired, revoked or already used
    /// (refresh tokens rotate). The user must authorize again.
    InvalidGrant,
    /// The client may not use this grant type.
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    /// Any other code, as the server wrote it.
    Other(String),
}

impl TokenErrorKind {
    pub fn from_code(code: &str) -> Self {
        match code {
            "invalid_request" => TokenErrorKind::InvalidRequest,
            "invalid_client" => TokenErrorKind::InvalidClient,
            "invalid_grant" => TokenErrorKind::InvalidGrant,
            "unauthorized_client" => TokenErrorKind::UnauthorizedClient,
            "unsupported_grant_type" => TokenErrorKind::UnsupportedGrantType,
            "invalid_scope" => TokenErrorKind::InvalidScope,
            other => TokenErrorKind::Other(other.to_owned()),
        }
    }

    /// The code as it travels on the wire.
    pub fn code(&self) -> &str {
        match self {
            TokenErrorKind::InvalidRequest => "invalid_request",
            TokenErrorKind::InvalidClient => "invalid_client",
            TokenErrorKind::InvalidGrant => "invalid_grant",
            TokenErrorKind::UnauthorizedClient => "unauthorized_client",
            TokenErrorKind::UnsupportedGrantType => "unsupported_grant_type",
            TokenErrorKind::InvalidScope => "invalid_scope",
            TokenErrorKind::Other(code) => code,
        }
    }
}

impl fmt::Display for TokenErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Builds [`Error::Auth`] values for one provider.
pub(crate) fn auth_error(
    vendor: &'static str,
    kind: AuthErrorKind,
    message: impl Into<String>,
) -> Error {
    Error::Auth {
        vendor,
        kind,
        message: message.into(),
    }
}

/// Longest part of a server's `error_description` kept in an error.
const DESCRIPTION_CHARS: usize = 300;

/// The server's `error_description`, shortened, with every secret we sent replaced: a server
/// that echoes the refresh token it refuses must not put it into our logs.
pub(crate) fn scrub(description: &str, sent: &[&Secret]) -> String {
    let mut text = crate::error::excerpt(description, DESCRIPTION_CHARS);
    for secret in sent {
        // Very short values would mangle the text and cannot be secrets worth the name.
        if secret.expose().len() >= 4 {
            text = text.replace(secret.expose(), "[redacted]");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        for code in [
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unauthorized_client",
            "unsupported_grant_type",
            "invalid_scope",
            "temporarily_unavailable",
        ] {
            assert_eq!(TokenErrorKind::from_code(code).code(), code);
        }
    }

    #[test]
    fn descriptions_lose_echoed_secrets() {
        let token = Secret::from("rt-12345");
        assert_eq!(
            scrub(
                "Refresh token rt-12345 is\n invalid.",
                &[&token, &Secret::from("")]
            ),
            "Refresh token [redacted] is invalid."
        );
    }
}
