//! The credentials a sandbox accepts, and checking them on each request.
//!
//! Values are deterministic: a credential with Rust parameter `api_key` of vendor `billomat`
//! takes `sandbox-billomat-api-key` (after the spec's `prefix`, if any). Required headers (or
//! query parameters) must be present and equal; optional ones may be left out, and an optional
//! header sent empty counts as left out (some clients always send every header), but one sent
//! with a value must be equal. A header with `also_query` may come as that query parameter
//! instead. Basic auth takes `sandbox-<vendor>-user` / `sandbox-<vendor>-password`; a bearer
//! token is `sandbox-<vendor>-token`. OAuth2 vendors check the tokens their authorization
//! server issued (see `oauth`).

use axum::http::HeaderMap;
use erp_spec::ir::{AuthHeader, AuthScheme, Spec};

use crate::Credentials;

fn dashed(name: &str) -> String {
    name.replace('_', "-")
}

/// The accepted value of a credential (without its prefix).
fn value_for(vendor: &str, entry: &AuthHeader) -> (String, String) {
    (
        entry.name.clone(),
        format!("sandbox-{vendor}-{}", dashed(&entry.param)),
    )
}

/// The credentials the sandbox of `spec` accepts.
pub(crate) fn credentials(spec: &Spec) -> Credentials {
    let vendor = dashed(&spec.vendor.name);
    let mut out = Credentials::default();
    match &spec.auth.scheme {
        AuthScheme::Headers(headers) => {
            out.headers = headers.iter().map(|h| value_for(&vendor, h)).collect();
        }
        AuthScheme::Query(params) => {
            out.query = params.iter().map(|p| value_for(&vendor, p)).collect();
        }
        AuthScheme::Bearer => out.bearer = Some(format!("sandbox-{vendor}-token")),
        AuthScheme::Basic { .. } => {
            out.basic = Some((
                format!("sandbox-{vendor}-user"),
                format!("sandbox-{vendor}-password"),
            ));
        }
        AuthScheme::OAuth2(_) => {}
    }
    out
}

fn query_value<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Whether each declared credential is acceptable: `sent` is what the request carries for it.
fn entries_accepted<'r>(
    declared: &[AuthHeader],
    accepted: &[(String, String)],
    sent: impl Fn(&AuthHeader) -> Option<&'r str>,
) -> bool {
    declared.iter().all(|entry| {
        let expected = accepted
            .iter()
            .find(|(name, _)| *name == entry.name)
            .map(|(_, v)| format!("{}{v}", entry.prefix));
        match sent(entry).filter(|v| entry.required || !v.is_empty()) {
            Some(value) => Some(value) == expected.as_deref(),
            None => !entry.required,
        }
    })
}

fn authorization<'h>(headers: &'h HeaderMap, scheme: &str) -> Option<&'h str> {
    let (name, token) = headers
        .get("authorization")?
        .to_str()
        .ok()?
        .trim()
        .split_once(' ')?;
    name.eq_ignore_ascii_case(scheme).then(|| token.trim())
}

/// True when the request carries acceptable credentials (OAuth2 vendors are checked by their
/// authorization server instead).
pub(crate) fn check(
    spec: &Spec,
    accepted: &Credentials,
    headers: &HeaderMap,
    query: &[(String, String)],
) -> bool {
    match &spec.auth.scheme {
        AuthScheme::Headers(declared) => entries_accepted(declared, &accepted.headers, |h| {
            let header = headers
                .get(h.name.as_str())
                // A value that is not text can never be the expected one.
                .map(|v| v.to_str().unwrap_or("\u{0}"));
            header.or_else(|| h.also_query.as_deref().and_then(|q| query_value(query, q)))
        }),
        AuthScheme::Query(declared) => {
            entries_accepted(declared, &accepted.query, |p| query_value(query, &p.name))
        }
        AuthScheme::Bearer => accepted
            .bearer
            .as_deref()
            .is_some_and(|token| authorization(headers, "bearer") == Some(token)),
        AuthScheme::Basic { .. } => {
            let Some((user, password)) = &accepted.basic else {
                return false;
            };
            let expected = crate::codec::base64(format!("{user}:{password}").as_bytes());
            authorization(headers, "basic") == Some(expected.as_str())
        }
        AuthScheme::OAuth2(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().expect("header value"));
        }
        map
    }

    #[test]
    fn billomat_key_is_required_and_app_headers_are_optional() {
        let spec = crate::builtin::load("billomat").expect("spec");
        let creds = credentials(&spec);
        assert_eq!(
            creds.headers[0],
            (
                "X-BillomatApiKey".to_owned(),
                "sandbox-billomat-api-key".to_owned()
            )
        );
        assert_eq!(creds.headers[1].1, "sandbox-billomat-app-id");
        assert!(check(
            &spec,
            &creds,
            &headers(&[("x-billomatapikey", "sandbox-billomat-api-key")]),
            &[]
        ));
        assert!(!check(&spec, &creds, &headers(&[]), &[]));
        assert!(!check(
            &spec,
            &creds,
            &headers(&[("X-BillomatApiKey", "wrong")]),
            &[]
        ));
        let with_app = headers(&[
            ("X-BillomatApiKey", "sandbox-billomat-api-key"),
            ("X-AppId", "sandbox-billomat-app-id"),
            ("X-AppSecret", "wrong"),
        ]);
        assert!(!check(&spec, &creds, &with_app, &[]));
        let query = [("api_key".to_owned(), "sandbox-billomat-api-key".to_owned())];
        assert!(check(&spec, &creds, &headers(&[]), &query));
        let empty_app_headers = headers(&[
            ("X-BillomatApiKey", "sandbox-billomat-api-key"),
            ("X-AppId", ""),
            ("X-AppSecret", ""),
        ]);
        assert!(
            check(&spec, &creds, &empty_app_headers, &[]),
            "optional headers sent empty are absent"
        );
        let empty_key = headers(&[("X-BillomatApiKey", "")]);
        assert!(
            !check(&spec, &creds, &empty_key, &[]),
            "a required one is not"
        );
    }

    #[test]
    fn cloudspot_token() {
        let spec = crate::builtin::load("cloudspot").expect("spec");
        let creds = credentials(&spec);
        assert_eq!(
            creds.headers,
            vec![(
                "X-ERP-TOKEN".to_owned(),
                "sandbox-cloudspot-token".to_owned()
            )]
        );
        assert!(check(
            &spec,
            &creds,
            &headers(&[("X-ERP-TOKEN", "sandbox-cloudspot-token")]),
            &[]
        ));
        let query = [("api_key".to_owned(), "sandbox-cloudspot-token".to_owned())];
        assert!(!check(&spec, &creds, &headers(&[]), &query));
    }
}
