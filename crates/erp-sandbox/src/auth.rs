//! The credentials a sandbox accepts, and checking them on each request.
//!
//! Values are deterministic: a header with Rust parameter `api_key` of vendor `billomat` takes
//! `sandbox-billomat-api-key`. Required headers must be present and equal; optional headers may be
//! left out but must be equal when sent. A header whose parameter is `api_key` may also be sent as
//! the query parameter `?api_key=` (Billomat documents this). Basic auth takes
//! `sandbox-<vendor>-user` / `sandbox-<vendor>-password`.

use axum::http::HeaderMap;
use erp_spec::ir::{AuthScheme, Spec};

use crate::Credentials;

/// Query parameter that may carry the value of a header whose parameter is `api_key`.
const API_KEY_QUERY: &str = "api_key";

fn dashed(name: &str) -> String {
    name.replace('_', "-")
}

/// The credentials the sandbox of `spec` accepts.
pub(crate) fn credentials(spec: &Spec) -> Credentials {
    let vendor = dashed(&spec.vendor.name);
    match &spec.auth.scheme {
        AuthScheme::Headers(headers) => Credentials {
            headers: headers
                .iter()
                .map(|h| {
                    (
                        h.name.clone(),
                        format!("sandbox-{vendor}-{}", dashed(&h.param)),
                    )
                })
                .collect(),
            basic: None,
        },
        AuthScheme::Basic { .. } => Credentials {
            headers: Vec::new(),
            basic: Some((
                format!("sandbox-{vendor}-user"),
                format!("sandbox-{vendor}-password"),
            )),
        },
        AuthScheme::OAuth2 { .. } => Credentials {
            headers: Vec::new(),
            basic: None,
        },
    }
}

/// True when the request carries acceptable credentials.
pub(crate) fn check(
    spec: &Spec,
    accepted: &Credentials,
    headers: &HeaderMap,
    query: &[(String, String)],
) -> bool {
    match &spec.auth.scheme {
        AuthScheme::Headers(declared) => declared.iter().all(|h| {
            let expected = accepted
                .headers
                .iter()
                .find(|(name, _)| *name == h.name)
                .map(|(_, v)| v.as_str());
            let sent = headers
                .get(h.name.as_str())
                .map(|v| v.to_str().unwrap_or("\u{0}"));
            let sent = sent.or_else(|| {
                (h.param == API_KEY_QUERY)
                    .then(|| {
                        query
                            .iter()
                            .find(|(k, _)| k == API_KEY_QUERY)
                            .map(|(_, v)| v.as_str())
                    })
                    .flatten()
            });
            match sent {
                Some(value) => Some(value) == expected,
                None => !h.required,
            }
        }),
        AuthScheme::Basic { .. } => {
            let Some((user, password)) = &accepted.basic else {
                return false;
            };
            let expected = base64(format!("{user}:{password}").as_bytes());
            headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().split_once(' '))
                .is_some_and(|(scheme, token)| {
                    scheme.eq_ignore_ascii_case("basic") && token.trim() == expected
                })
        }
        // Not supported yet: the app answers 501 before authentication.
        AuthScheme::OAuth2 { .. } => false,
    }
}

/// Standard base64 with padding (only used to build the expected Basic header).
fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(TABLE[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
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

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (input, output) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), output);
        }
    }
}
