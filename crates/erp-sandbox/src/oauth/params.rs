//! Request parameters of the OAuth2 endpoints (query or form body) with the RFC 6749 §3.1 rules:
//! a parameter sent without a value counts as absent, and no parameter may be sent twice.

use axum::http::{HeaderMap, header};

use super::answers::OAuthError;

/// The `Content-Type` a token request must have (RFC 6749 §4.1.3, §6).
const FORM: &str = "application/x-www-form-urlencoded";

/// Parameters of one request, in the order they were sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub(super) fn new(pairs: Vec<(String, String)>) -> Params {
        Params { pairs }
    }

    /// The parameters of a form body; anything but a form is `invalid_request`.
    pub(super) fn form(headers: &HeaderMap, body: &[u8]) -> Result<Params, OAuthError> {
        if !is_form(headers) {
            return Err(OAuthError::invalid_request(format!(
                "the token request must be sent as `Content-Type: {FORM}`"
            )));
        }
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map(Params::new)
            .map_err(|e| OAuthError::invalid_request(format!("the form body cannot be read: {e}")))
    }

    /// The value of `name`, `None` when absent or empty; sent twice is `invalid_request`.
    pub(super) fn get(&self, name: &str) -> Result<Option<&str>, OAuthError> {
        let mut values = self.pairs.iter().filter(|(k, _)| k == name);
        let first = values.next();
        if values.next().is_some() {
            return Err(OAuthError::invalid_request(format!(
                "parameter `{name}` is sent more than once"
            )));
        }
        Ok(first.map(|(_, v)| v.as_str()).filter(|v| !v.is_empty()))
    }

    /// The value of `name`; absent or empty is `invalid_request`.
    pub(super) fn required(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)?.ok_or_else(|| {
            OAuthError::invalid_request(format!("required parameter `{name}` is missing"))
        })
    }
}

/// True when the media type (before any `; charset=…`) is the form type, in any case.
fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(FORM))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form_headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            content_type.parse().expect("header value"),
        );
        headers
    }

    #[test]
    fn empty_counts_as_absent_and_twice_is_refused() {
        let params = Params::form(
            &form_headers("Application/X-WWW-Form-Urlencoded; charset=UTF-8"),
            b"a=1&b=&c=x+y%21&c=2",
        )
        .expect("form");
        assert_eq!(params.get("a"), Ok(Some("1")));
        assert_eq!(params.get("b"), Ok(None));
        assert_eq!(params.get("missing"), Ok(None));
        assert_eq!(
            params.required("b").map_err(|e| e.error),
            Err("invalid_request")
        );
        assert_eq!(params.get("c").map_err(|e| e.error), Err("invalid_request"));
    }

    #[test]
    fn only_forms_are_read() {
        let json = Params::form(&form_headers("application/json"), b"{}");
        assert_eq!(json.map_err(|e| e.status), Err(400));
        assert!(Params::form(&HeaderMap::new(), b"a=1").is_err());
    }
}
