//! OAuth2 error answers (RFC 6749 §4.1.2.1, §5.2) and the headers every token answer carries.

use crate::ordered_json::Out;
use crate::reply::Reply;

/// Realm of the `WWW-Authenticate: Basic` challenge of the token endpoint.
const BASIC_REALM: &str = "Basic realm=\"oauth2 token endpoint\"";

/// An OAuth2 error: the `error` code, a human description and the HTTP status that goes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
    /// Add `WWW-Authenticate: Basic …`: RFC 6749 §5.2 requires it when the client tried to
    /// authenticate with the `Authorization` header.
    pub basic_challenge: bool,
}

impl OAuthError {
    fn new(status: u16, error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status,
            error,
            description: description.into(),
            basic_challenge: false,
        }
    }

    pub(super) fn invalid_request(description: impl Into<String>) -> OAuthError {
        OAuthError::new(400, "invalid_request", description)
    }

    pub(super) fn invalid_client(description: impl Into<String>) -> OAuthError {
        OAuthError::new(401, "invalid_client", description)
    }

    pub(super) fn invalid_grant(description: impl Into<String>) -> OAuthError {
        OAuthError::new(400, "invalid_grant", description)
    }

    pub(super) fn unauthorized_client(description: impl Into<String>) -> OAuthError {
        OAuthError::new(400, "unauthorized_client", description)
    }

    pub(super) fn unsupported_grant_type(description: impl Into<String>) -> OAuthError {
        OAuthError::new(400, "unsupported_grant_type", description)
    }

    pub(super) fn unsupported_response_type(description: impl Into<String>) -> OAuthError {
        OAuthError::new(400, "unsupported_response_type", description)
    }

    pub(super) fn with_basic_challenge(mut self) -> OAuthError {
        self.basic_challenge = true;
        self
    }

    /// `{"error": …, "error_description": …}` with the error's status.
    pub(super) fn reply(&self) -> Reply {
        let body = Out::Object(vec![
            ("error".to_owned(), Out::str(self.error)),
            (
                "error_description".to_owned(),
                Out::str(self.description.as_str()),
            ),
        ]);
        let reply = Reply::json(self.status, &body);
        if self.basic_challenge {
            reply.with_header("WWW-Authenticate", BASIC_REALM)
        } else {
            reply
        }
    }
}

/// Token answers carry credentials: no cache may keep them (RFC 6749 §5.1).
pub(super) fn no_store(reply: Reply) -> Reply {
    reply
        .with_header("Cache-Control", "no-store")
        .with_header("Pragma", "no-cache")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_and_challenge() {
        let reply = OAuthError::invalid_client("bad secret")
            .with_basic_challenge()
            .reply();
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.json_value(),
            serde_json::json!({"error": "invalid_client", "error_description": "bad secret"})
        );
        assert_eq!(
            reply.headers,
            vec![("WWW-Authenticate".to_owned(), BASIC_REALM.to_owned())]
        );
    }
}
