//! The `auth` section: schemes, credential headers and parameters, OAuth2 servers.

use std::collections::BTreeSet;

use serde_saphyr::Spanned;

use super::{Validator, http_header_name_invalid};
use crate::ir;
use crate::raw::{RawAuth, RawAuthHeader, RawOAuth2};

#[derive(Clone, Copy, PartialEq)]
enum Scheme {
    Headers,
    TokenHeader,
    Query,
    Bearer,
    Basic,
    OAuth2,
}

impl Validator {
    pub(super) fn auth(&mut self, raw: &Spanned<RawAuth>) -> ir::Auth {
        let a = &raw.value;
        let scheme = self.choice(
            "auth scheme",
            &a.scheme,
            &[
                ("api_key_headers", Scheme::Headers),
                ("token_header", Scheme::TokenHeader),
                ("api_key_query", Scheme::Query),
                ("bearer", Scheme::Bearer),
                ("basic", Scheme::Basic),
                ("oauth2", Scheme::OAuth2),
            ],
        );
        let name = a.scheme.value.as_str();
        let at = a.scheme.referenced;
        // Sections that belong to another scheme are mistakes, not decoration.
        let sections = [
            (
                "headers",
                !a.headers.is_empty(),
                [Scheme::Headers, Scheme::TokenHeader].as_slice(),
            ),
            ("params", !a.params.is_empty(), &[Scheme::Query]),
            ("basic", a.basic.is_some(), &[Scheme::Basic]),
            ("oauth2", a.oauth2.is_some(), &[Scheme::OAuth2]),
        ];
        if let Some(scheme) = scheme {
            for (section, present, used_by) in sections {
                if present && !used_by.contains(&scheme) {
                    self.err(&at, format!("auth scheme `{name}` does not use `{section}`; remove it or choose the scheme that uses it"));
                }
            }
        }
        let scheme = match scheme {
            Some(Scheme::Headers | Scheme::TokenHeader) => {
                if a.headers.is_empty() {
                    self.err(
                        &at,
                        format!("auth scheme `{name}` needs at least one entry in `headers`"),
                    );
                }
                if scheme == Some(Scheme::TokenHeader) && a.headers.len() > 1 {
                    self.err(&at, "auth scheme `token_header` takes exactly one header; use `api_key_headers` for several");
                }
                ir::AuthScheme::Headers(self.credential_entries(&a.headers, "header", true))
            }
            Some(Scheme::Query) => {
                if a.params.is_empty() {
                    self.err(
                        &at,
                        "auth scheme `api_key_query` needs at least one entry in `params`",
                    );
                }
                ir::AuthScheme::Query(self.credential_entries(&a.params, "query parameter", false))
            }
            Some(Scheme::Bearer) => ir::AuthScheme::Bearer,
            Some(Scheme::Basic) => match &a.basic {
                Some(b) => ir::AuthScheme::Basic {
                    username_doc: b.value.username_doc.clone(),
                    password_doc: b.value.password_doc.clone(),
                },
                None => {
                    self.err(&at, "auth scheme `basic` needs a `basic` section");
                    ir::AuthScheme::Bearer
                }
            },
            Some(Scheme::OAuth2) => match &a.oauth2 {
                Some(o) => ir::AuthScheme::OAuth2(self.oauth2(o)),
                None => {
                    self.err(&at, "auth scheme `oauth2` needs an `oauth2` section");
                    ir::AuthScheme::Bearer
                }
            },
            None => ir::AuthScheme::Bearer,
        };
        ir::Auth {
            scheme,
            doc: a.doc.clone(),
        }
    }

    /// Headers or query parameters that carry credentials.
    fn credential_entries(
        &mut self,
        raw: &[Spanned<RawAuthHeader>],
        what: &str,
        is_header: bool,
    ) -> Vec<ir::AuthHeader> {
        let mut params = BTreeSet::new();
        let single_header = is_header && raw.len() == 1;
        raw.iter()
            .map(|h| {
                let h = &h.value;
                if let Some(prefix) = h.prefix.as_ref().filter(|_| !single_header) {
                    self.err(
                        &h.name.referenced,
                        format!("`prefix: {prefix:?}` needs a scheme with exactly one header (`token_header`)"),
                    );
                }
                let param = self.rust_ident(&h.param.referenced, "auth param", &h.param.value);
                if !params.insert(param.clone()) {
                    self.err(
                        &h.param.referenced,
                        format!("auth param `{param}` is used twice"),
                    );
                }
                let invalid = if is_header {
                    http_header_name_invalid(&h.name.value)
                } else {
                    h.name.value.is_empty() || h.name.value.contains(['&', '=', '#', '?', ' '])
                };
                if invalid {
                    self.err(
                        &h.name.referenced,
                        format!("`{}` is not a valid {what} name", h.name.value),
                    );
                }
                ir::AuthHeader {
                    name: h.name.value.clone(),
                    param,
                    required: h.required,
                    doc: h.doc.clone(),
                    prefix: h.prefix.clone().unwrap_or_default(),
                    also_query: h.also_query.as_ref().map(|q| q.value.clone()),
                }
            })
            .collect()
    }

    fn oauth2(&mut self, raw: &Spanned<RawOAuth2>) -> ir::OAuth2 {
        let o = &raw.value;
        for url in [&o.authorize_url, &o.token_url] {
            if !url.value.starts_with("https://") {
                self.err(
                    &url.referenced,
                    format!("OAuth2 URL `{}` must start with `https://`", url.value),
                );
            }
        }
        let mut grants: Vec<ir::Grant> = o
            .grants
            .iter()
            .filter_map(|g| {
                self.choice(
                    "OAuth2 grant",
                    g,
                    &[
                        ("authorization_code", ir::Grant::AuthorizationCode),
                        ("refresh_token", ir::Grant::RefreshToken),
                        ("client_credentials", ir::Grant::ClientCredentials),
                    ],
                )
            })
            .collect();
        if o.grants.is_empty() {
            grants = vec![ir::Grant::AuthorizationCode, ir::Grant::RefreshToken];
        }
        grants.sort();
        grants.dedup();
        ir::OAuth2 {
            authorize_url: o.authorize_url.value.clone(),
            token_url: o.token_url.value.clone(),
            grants,
            scopes: o.scopes.clone(),
            refresh_min_interval_seconds: o.refresh_min_interval_seconds,
            rotates_refresh_tokens: o.rotates_refresh_tokens,
        }
    }
}
