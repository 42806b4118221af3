//! The `sandbox` section: how the sandbox imitates the vendor, with a default for every key
//! so that a spec needs the section only where the vendor differs from the usual.

use std::collections::BTreeSet;

use serde_saphyr::Spanned;

use super::Validator;
use crate::ir;
use crate::raw::{RawErrorExample, RawSandbox};
use crate::suggest::suggest;

/// Requests a window allows per second of its length when the spec names no quota: enough
/// that the sandbox never throttles a demo or test that did not ask for it (600 a minute).
const DEFAULT_QUOTA_PER_SECOND: u64 = 10;

const DEFAULT_EXCEEDED_MESSAGE: &str =
    "Rate limit of {quota} requests reached. Try again in {seconds} seconds.";

/// Lifetime of the sandbox's OAuth2 access tokens unless the spec says otherwise.
const DEFAULT_ACCESS_TOKEN_SECONDS: u64 = 600;

fn answer(status: u16, message: &str) -> ir::ErrorExample {
    ir::ErrorExample {
        status,
        message: message.to_owned(),
        code: None,
        body: ir::effects::ErrorBody::Structured,
    }
}

impl Validator {
    pub(super) fn sandbox(
        &mut self,
        raw: Option<&Spanned<RawSandbox>>,
        auth: &ir::Auth,
        rate_limits: &[ir::RateLimit],
    ) -> ir::SandboxSettings {
        let s = raw.map(|r| &r.value);
        let errors = s.and_then(|s| s.errors.as_ref()).map(|e| &e.value);
        let mut error = |raw: Option<&Spanned<RawErrorExample>>, default: ir::ErrorExample| {
            raw.map_or(default, |e| self.error_example(&e.value))
        };
        let errors = ir::SandboxErrors {
            not_found: error(
                errors.and_then(|e| e.not_found.as_ref()),
                answer(404, "Not found"),
            ),
            invalid: error(
                errors.and_then(|e| e.invalid.as_ref()),
                answer(400, "Bad request"),
            ),
            unauthorized: error(
                errors.and_then(|e| e.unauthorized.as_ref()),
                answer(401, "Unauthorized"),
            ),
        };
        self.unknown_windows(raw, rate_limits);
        let rate_limits = rate_limits
            .iter()
            .map(|window| {
                let name = window.window.name;
                let own = s.and_then(|s| s.rate_limits.get(name)).map(|r| &r.value);
                let quota = own.and_then(|r| r.quota.as_ref());
                if let Some(q) = quota.filter(|q| q.value == 0) {
                    self.err(&q.referenced, "rate-limit quota must be positive");
                }
                ir::SandboxRateLimit {
                    name: name.to_owned(),
                    quota: quota.map_or_else(
                        || {
                            window
                                .window_seconds
                                .saturating_mul(DEFAULT_QUOTA_PER_SECOND)
                        },
                        |q| q.value,
                    ),
                    exceeded_message: own
                        .and_then(|r| r.exceeded_message.clone())
                        .unwrap_or_else(|| DEFAULT_EXCEEDED_MESSAGE.to_owned()),
                }
            })
            .collect();
        let oauth2 = s.and_then(|s| s.oauth2.as_ref());
        if let Some(o) = oauth2
            && !matches!(auth.scheme, ir::AuthScheme::OAuth2(_))
        {
            self.err(
                &o.referenced,
                "`sandbox.oauth2` sets up the sandbox's OAuth2 server, but `auth.scheme` is not `oauth2`; remove it",
            );
        }
        let access_token_seconds = oauth2.and_then(|o| o.value.access_token_seconds.as_ref());
        if let Some(s) = access_token_seconds.filter(|s| s.value == 0) {
            self.err(&s.referenced, "access_token_seconds must be positive");
        }
        ir::SandboxSettings {
            accept_required: s.is_some_and(|s| s.accept_required),
            format_param: s.and_then(|s| s.format_param.clone()),
            success_members: s
                .map(|s| {
                    s.success_members
                        .iter()
                        .map(|(k, v)| (k.name.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            errors,
            rate_limits,
            oauth2: ir::SandboxOAuth2 {
                access_token_seconds: access_token_seconds
                    .map_or(DEFAULT_ACCESS_TOKEN_SECONDS, |s| s.value),
            },
            empty_list_root: self.empty_list_root(s.and_then(|s| s.empty_list_root.as_ref())),
            // Filled in by `Validator::effects` once resources and models are known.
            resources: Default::default(),
        }
    }

    /// `sandbox.rate_limits` may only name windows that `rate_limits` declares: a quota for a
    /// window the client does not know is a misspelling, not a new window.
    fn unknown_windows(&mut self, raw: Option<&Spanned<RawSandbox>>, windows: &[ir::RateLimit]) {
        let Some(raw) = raw else {
            return;
        };
        let known: BTreeSet<String> = windows.iter().map(|w| w.window.name.to_owned()).collect();
        for key in raw.value.rate_limits.keys() {
            if known.contains(key.as_str()) {
                continue;
            }
            let message = if known.is_empty() {
                format!(
                    "`sandbox.rate_limits` names the window `{key}`, but `rate_limits` declares none"
                )
            } else {
                format!(
                    "`sandbox.rate_limits` names the window `{key}`, which `rate_limits` does not declare{}",
                    suggest(key, &known)
                )
            };
            self.err(&key.at, message);
        }
    }

    fn error_example(&mut self, raw: &RawErrorExample) -> ir::ErrorExample {
        if !(400..=599).contains(&raw.status.value) {
            self.err(
                &raw.status.referenced,
                format!(
                    "error status {} must be between 400 and 599",
                    raw.status.value
                ),
            );
        }
        ir::ErrorExample {
            status: raw.status.value,
            message: raw.message.clone(),
            code: raw.code.clone(),
            body: self.error_body(raw.body.as_ref()),
        }
    }
}
