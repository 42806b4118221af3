//! What the authorization server accepts and issues: one registered client and its rules.

use std::time::Duration;

/// An OAuth2 grant type the token endpoint may accept (RFC 6749 §4.1, §4.4, §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    /// Every grant type, in the order they are documented.
    pub(crate) const ALL: [GrantType; 3] = [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
    ];

    /// The `grant_type` parameter value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
        }
    }

    /// The grant type named by a `grant_type` parameter value (exact, as RFC 6749 defines them).
    pub(crate) fn parse(text: &str) -> Option<GrantType> {
        GrantType::ALL.into_iter().find(|g| g.as_str() == text)
    }
}

/// Where the token endpoint accepts the client's id and secret (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClientAuthMethods {
    /// `client_id` and `client_secret` as form parameters.
    pub form_body: bool,
    /// `Authorization: Basic base64(client_id:client_secret)`. When false, a token request with
    /// any `Authorization` header is refused with 401, as some vendors do.
    pub basic: bool,
}

/// Settings of one [`OAuthServer`](super::OAuthServer): its only client and the token rules.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct OAuthSettings {
    pub client_id: String,
    pub client_secret: String,
    /// Lifetime of access tokens; `expires_in` of token answers.
    pub access_token_lifetime: Duration,
    /// Lifetime of an unused refresh token; `None` keeps it until it is used (rotation) or revoked.
    pub refresh_token_lifetime: Option<Duration>,
    /// A refresh answers a new refresh token and the old one stops working. Without rotation the
    /// same refresh token is answered again and stays valid.
    pub rotate_refresh_tokens: bool,
    /// Grant types the token endpoint accepts; others are `unsupported_grant_type`. Refresh tokens
    /// are issued only when `refresh_token` is among them.
    pub grant_types: Vec<GrantType>,
    /// Path of the authorization endpoint as the server sees it, e.g. `/api/oauth2/auth`.
    pub authorize_path: String,
    /// Path of the token endpoint as the server sees it, e.g. `/api/oauth2/token`.
    pub token_path: String,
    /// Redirect URIs accepted besides loopback ones (`http://127.0.0.1:<any port>/…`,
    /// `http://localhost:<any port>/…`, `http://[::1]:<any port>/…`), compared exactly.
    pub redirect_uris: Vec<String>,
    pub client_auth: ClientAuthMethods,
    /// How long an authorization code can be exchanged.
    pub code_lifetime: Duration,
    /// Write `expires_in` as a JSON string (`"600"`) instead of a number, as some vendors do.
    pub expires_in_as_string: bool,
    /// A refresh is refused while the grant's latest access token is valid and younger than this
    /// (a vendor rule; switchable at run time with
    /// [`enforce_refresh_min_interval`](super::OAuthServer::enforce_refresh_min_interval)).
    pub refresh_min_interval: Option<Duration>,
}

impl std::fmt::Debug for OAuthSettings {
    // The secret is a known sandbox value, but Debug output ends up in logs: keep the habit.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSettings")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("access_token_lifetime", &self.access_token_lifetime)
            .field("refresh_token_lifetime", &self.refresh_token_lifetime)
            .field("rotate_refresh_tokens", &self.rotate_refresh_tokens)
            .field("grant_types", &self.grant_types)
            .field("authorize_path", &self.authorize_path)
            .field("token_path", &self.token_path)
            .field("redirect_uris", &self.redirect_uris)
            .field("client_auth", &self.client_auth)
            .field("code_lifetime", &self.code_lifetime)
            .field("expires_in_as_string", &self.expires_in_as_string)
            .field("refresh_min_interval", &self.refresh_min_interval)
            .finish()
    }
}

impl OAuthSettings {
    /// Deterministic settings for `vendor` (the spec's vendor name; `_` is written `-`):
    /// client `sandbox-<vendor>-client-id` / `sandbox-<vendor>-client-secret`, one-hour access
    /// tokens, rotating refresh tokens without a lifetime, the authorization-code and
    /// refresh-token grants, client authentication in the body or with HTTP Basic, 60 s codes,
    /// numeric `expires_in`, no minimum refresh interval. The pipeline overrides what the spec
    /// says; nothing here depends on which vendor it is.
    pub(crate) fn for_vendor(
        vendor: &str,
        authorize_path: impl Into<String>,
        token_path: impl Into<String>,
    ) -> OAuthSettings {
        let vendor = vendor.replace('_', "-");
        OAuthSettings {
            client_id: format!("sandbox-{vendor}-client-id"),
            client_secret: format!("sandbox-{vendor}-client-secret"),
            access_token_lifetime: Duration::from_secs(3600),
            refresh_token_lifetime: None,
            rotate_refresh_tokens: true,
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            authorize_path: authorize_path.into(),
            token_path: token_path.into(),
            redirect_uris: Vec::new(),
            client_auth: ClientAuthMethods {
                form_body: true,
                basic: true,
            },
            code_lifetime: Duration::from_secs(60),
            expires_in_as_string: false,
            refresh_min_interval: None,
        }
    }

    /// True when the token endpoint accepts `grant`.
    pub(crate) fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// True when the authorization endpoint may send the user agent to `uri`: a listed URI, or
    /// a loopback `http` URI on any port (RFC 8252 §7.3: native apps and test harnesses pick the
    /// port at run time). URIs with a fragment never are (RFC 6749 §3.1.2).
    pub(crate) fn redirect_allowed(&self, uri: &str) -> bool {
        !uri.contains('#') && (self.redirect_uris.iter().any(|r| r == uri) || is_loopback(uri))
    }
}

/// `http://127.0.0.1[:port]/…`, `http://localhost[:port]/…` or `http://[::1][:port]/…`.
fn is_loopback(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    // The authority ends at the path or the query; userinfo (`127.0.0.1@evil`) is not a host.
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|host| match authority.strip_prefix(host) {
            Some("") => true,
            Some(port) => port.strip_prefix(':').is_some_and(is_port),
            None => false,
        })
}

fn is_port(text: &str) -> bool {
    !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_follow_the_vendor_name() {
        let settings = OAuthSettings::for_vendor("big_erp", "/oauth/auth", "/oauth/token");
        assert_eq!(settings.client_id, "sandbox-big-erp-client-id");
        assert_eq!(settings.client_secret, "sandbox-big-erp-client-secret");
        assert!(!format!("{settings:?}").contains("client-secret"));
    }

    #[test]
    fn loopback_redirects_on_any_port_and_listed_ones() {
        let mut settings = OAuthSettings::for_vendor("acme", "/a", "/t");
        settings.redirect_uris = vec!["https://app.example/callback".to_owned()];
        for ok in [
            "http://127.0.0.1:8123/callback",
            "http://localhost:1/",
            "http://[::1]:65535/cb?x=1",
            "http://localhost",
            "https://app.example/callback",
        ] {
            assert!(settings.redirect_allowed(ok), "{ok}");
        }
        for bad in [
            "https://app.example/callback/other",
            "https://127.0.0.1:8123/callback",
            "http://localhost.evil.example/",
            "http://127.0.0.1@evil.example/",
            "http://127.0.0.1:/cb",
            "http://127.0.0.1:123456/cb",
            "http://127.0.0.1:8123/cb#fragment",
            "",
        ] {
            assert!(!settings.redirect_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn grant_type_names_round_trip() {
        for grant in GrantType::ALL {
            assert_eq!(GrantType::parse(grant.as_str()), Some(grant));
        }
        assert_eq!(GrantType::parse("password"), None);
        assert_eq!(GrantType::parse("Authorization_Code"), None);
    }
}
