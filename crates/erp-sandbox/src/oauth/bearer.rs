//! Access tokens on API requests: `Authorization: Bearer <token>` (RFC 6750 §2.1, the only
//! method vendors document; tokens in the query or the body are not accepted).

use axum::http::{HeaderMap, header};

/// Why an API request's access token is refused. The pipeline answers all of them with the
/// vendor's own 401; the variant only explains it (tests, logs, `WWW-Authenticate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// No `Authorization` header.
    Missing,
    /// An `Authorization` header that is not one `Bearer <token>`.
    Malformed,
    /// A token this server never issued (or forgot, long after it ended).
    Unknown,
    /// A token past its lifetime, or expired on purpose by a test or fault.
    Expired,
    /// A token revoked by a test or fault, or because its authorization code was reused.
    Revoked,
}

impl Rejection {
    /// A human explanation.
    pub(crate) fn description(self) -> &'static str {
        match self {
            Rejection::Missing => "no access token: send `Authorization: Bearer <token>`",
            Rejection::Malformed => "the Authorization header is not `Bearer <token>`",
            Rejection::Unknown => "the access token is invalid",
            Rejection::Expired => "the access token expired",
            Rejection::Revoked => "the access token was revoked",
        }
    }

    /// The `WWW-Authenticate` value RFC 6750 §3 describes, for vendors that send one.
    pub(crate) fn www_authenticate(self) -> String {
        match self {
            // §3.1: a request without credentials gets no error code.
            Rejection::Missing => "Bearer".to_owned(),
            Rejection::Malformed => format!(
                "Bearer error=\"invalid_request\", error_description=\"{}\"",
                self.description().replace('`', "")
            ),
            _ => format!(
                "Bearer error=\"invalid_token\", error_description=\"{}\"",
                self.description()
            ),
        }
    }
}

/// The token of the request's one `Authorization: Bearer …` header.
pub(super) fn bearer_token(headers: &HeaderMap) -> Result<&str, Rejection> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = values.next().ok_or(Rejection::Missing)?;
    if values.next().is_some() {
        return Err(Rejection::Malformed);
    }
    let text = value.to_str().map_err(|_| Rejection::Malformed)?;
    let (scheme, token) = text.trim().split_once(' ').ok_or(Rejection::Malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.contains(' ') {
        return Err(Rejection::Malformed);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(header::AUTHORIZATION, value.parse().expect("header value"));
        }
        map
    }

    #[test]
    fn reads_one_bearer_header() {
        assert_eq!(bearer_token(&headers(&["Bearer abc"])), Ok("abc"));
        assert_eq!(bearer_token(&headers(&["bearer  abc "])), Ok("abc"));
        assert_eq!(bearer_token(&headers(&[])), Err(Rejection::Missing));
        for bad in [
            &["Basic abc"][..],
            &["Bearer"],
            &["Bearer a b"],
            &["Bearer a", "Bearer b"],
        ] {
            assert_eq!(
                bearer_token(&headers(bad)),
                Err(Rejection::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn challenges() {
        assert_eq!(Rejection::Missing.www_authenticate(), "Bearer");
        assert_eq!(
            Rejection::Expired.www_authenticate(),
            "Bearer error=\"invalid_token\", error_description=\"the access token expired\""
        );
        assert!(
            Rejection::Malformed
                .www_authenticate()
                .starts_with("Bearer error=\"invalid_request\"")
        );
    }
}
