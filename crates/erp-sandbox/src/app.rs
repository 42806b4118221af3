//! The state one sandbox shares with its server: spec, routes, records, rate limiter, faults.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use erp_spec::ir::{AuthScheme, BaseUrl, Grant, Spec};
use tokio::sync::watch;

use crate::faults::Faults;
use crate::oauth::{GrantType, OAuthServer, OAuthSettings};
use crate::rate_limit::RateLimits;
use crate::replays::Replays;
use crate::routes::RouteTable;
use crate::schema::Schema;
use crate::store::Store;
use crate::{Credentials, SandboxOptions, SeenRequest};

pub(crate) struct App {
    pub schema: Schema,
    /// Path part of the base URL, without a trailing slash (`/api`, `/api/v1`, or empty), with
    /// variables replaced by their examples.
    pub prefix: String,
    /// The same path by segments; a segment that is a whole variable (`/api/v4/{site}`) matches
    /// any value, which requests carry to the operations (`base.site` in effects).
    base_pattern: Vec<BaseSegment>,
    pub routes: RouteTable,
    /// The authorization server of an OAuth2 vendor.
    pub oauth: Option<OAuthServer>,
    pub credentials: Credentials,
    pub store: Mutex<Store>,
    /// Every rate-limit window of the spec (empty when it has none).
    pub rate: RateLimits,
    pub faults: Faults,
    /// Set to true to stop the server (and release hanging requests).
    pub shutdown: watch::Sender<bool>,
    /// The latest API requests, for tests that check what a client sent.
    pub log: Mutex<VecDeque<SeenRequest>>,
    /// The first answers to idempotency keys.
    replays: Mutex<Replays>,
    /// Requests given an id so far (where the spec declares `errors.request_id`).
    request_ids: std::sync::atomic::AtomicU64,
}

/// Most requests [`App::log`] keeps (the oldest are dropped first).
const LOG_LIMIT: usize = 10_000;

impl App {
    pub(crate) fn new(spec: Spec, options: &SandboxOptions) -> App {
        let schema = Schema::new(spec);
        let spec = &schema.spec;
        let store = crate::seed::seed(&schema, options.seed_records, options.seed);
        let oauth = oauth_server(spec);
        let mut credentials = crate::auth::credentials(spec);
        credentials.oauth2 = oauth.as_ref().map(|o| {
            let s = o.settings();
            crate::OAuth2Credentials {
                client_id: s.client_id.clone(),
                client_secret: s.client_secret.clone(),
                authorize_path: s.authorize_path.clone(),
                token_path: s.token_path.clone(),
            }
        });
        App {
            prefix: base_path(&spec.base_url),
            base_pattern: base_pattern(&spec.base_url),
            routes: RouteTable::new(spec),
            oauth,
            credentials,
            rate: RateLimits::new(spec, options.rate_limit, SystemTime::now()),
            store: Mutex::new(store),
            faults: Faults::default(),
            shutdown: watch::Sender::new(false),
            log: Mutex::new(VecDeque::new()),
            replays: Mutex::new(Replays::default()),
            request_ids: std::sync::atomic::AtomicU64::new(0),
            schema,
        }
    }

    /// The remembered answers to idempotency keys; held while a keyed request runs, so that
    /// two requests with one key cannot both be applied.
    pub(crate) fn replays(&self) -> MutexGuard<'_, Replays> {
        // Every write leaves the map whole: a panic elsewhere cannot leave it half-written.
        self.replays.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn spec(&self) -> &Spec {
        &self.schema.spec
    }

    /// The records (a poisoned lock is still usable: every change is a single insert or remove).
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes one API request in the log.
    /// Logs an API request; returns the id its answer carries in the header the spec names
    /// (`errors.request_id`), if it names one.
    pub(crate) fn remember(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
    ) -> Option<String> {
        let request_id = self.spec().errors.request_id.as_ref().map(|_| {
            let n = (self.request_ids).fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            format!("sbx-{:08x}-{n:06}", std::process::id())
        });
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() == LOG_LIMIT {
            log.pop_front();
        }
        log.push_back(SeenRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_vec(),
            request_id: request_id.clone(),
        });
        request_id
    }

    /// The part of `path` below the base path, starting with `/`, and the values of the base
    /// path's variables; `None` outside of it.
    pub(crate) fn below_prefix<'p>(
        &self,
        path: &'p str,
    ) -> Option<(&'p str, Vec<(String, String)>)> {
        let mut rest = path;
        let mut values = Vec::new();
        for segment in &self.base_pattern {
            let after = rest.strip_prefix('/')?;
            let end = after.find('/').unwrap_or(after.len());
            let (here, tail) = after.split_at(end);
            match segment {
                BaseSegment::Literal(text) if text == here => {}
                BaseSegment::Variable(name) if !here.is_empty() => {
                    values.push((name.clone(), here.to_owned()));
                }
                _ => return None,
            }
            rest = tail;
        }
        Some((rest, values))
    }
}

/// One segment of the base path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum BaseSegment {
    Literal(String),
    Variable(String),
}

/// The base path by segments (see [`App::below_prefix`]).
fn base_pattern(base: &BaseUrl) -> Vec<BaseSegment> {
    let template = base.template.as_str();
    let after_scheme = template
        .split_once("://")
        .map_or(template, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|segment| {
            let whole = segment
                .strip_prefix('{')
                .and_then(|s| s.strip_suffix('}'))
                .filter(|name| base.variables.iter().any(|v| v.name == *name));
            match whole {
                Some(name) => BaseSegment::Variable(name.to_owned()),
                None => {
                    let mut text = segment.to_owned();
                    for v in &base.variables {
                        let value = if v.example.is_empty() {
                            &v.name
                        } else {
                            &v.example
                        };
                        text = text.replace(&format!("{{{}}}", v.name), value);
                    }
                    BaseSegment::Literal(text)
                }
            }
        })
        .collect()
}

/// The path of a base URL template with variables replaced by their examples:
/// `https://{billomat_id}.billomat.net/api` -> `/api`.
pub(crate) fn base_path(base: &BaseUrl) -> String {
    let template = base.template.as_str();
    let after_scheme = template
        .split_once("://")
        .map_or(template, |(_, rest)| rest);
    let mut path = after_scheme
        .find('/')
        .map_or("", |i| &after_scheme[i..])
        .to_owned();
    for variable in &base.variables {
        let value = if variable.example.is_empty() {
            &variable.name
        } else {
            &variable.example
        };
        path = path.replace(&format!("{{{}}}", variable.name), value);
    }
    path.trim_end_matches('/').to_owned()
}

/// The path of a URL (`https://host/api/oauth2/token` -> `/api/oauth2/token`).
fn url_path(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme
        .find('/')
        .map_or("/".to_owned(), |i| after_scheme[i..].to_owned())
}

/// The authorization server of an OAuth2 vendor, with the rules its spec declares.
fn oauth_server(spec: &Spec) -> Option<OAuthServer> {
    let AuthScheme::OAuth2(o) = &spec.auth.scheme else {
        return None;
    };
    let mut settings = OAuthSettings::for_vendor(
        &spec.vendor.name,
        url_path(&o.authorize_url),
        url_path(&o.token_url),
    );
    settings.access_token_lifetime = Duration::from_secs(spec.sandbox.oauth2.access_token_seconds);
    settings.rotate_refresh_tokens = o.rotates_refresh_tokens;
    settings.refresh_min_interval = o.refresh_min_interval_seconds.map(Duration::from_secs);
    settings.grant_types = o
        .grants
        .iter()
        .map(|g| match g {
            Grant::AuthorizationCode => GrantType::AuthorizationCode,
            Grant::RefreshToken => GrantType::RefreshToken,
            Grant::ClientCredentials => GrantType::ClientCredentials,
        })
        .collect();
    Some(OAuthServer::new(settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths() {
        let billomat = crate::builtin::load("billomat").expect("spec");
        assert_eq!(base_path(&billomat.base_url), "/api");
        let cloudspot = crate::builtin::load("cloudspot").expect("spec");
        assert_eq!(base_path(&cloudspot.base_url), "/api/v1");
        let mut other = cloudspot.base_url.clone();
        other.template = "https://example.com/api/v1/{division}/".to_owned();
        other.variables = vec![erp_spec::ir::Variable {
            name: "division".into(),
            doc: String::new(),
            example: "42".into(),
        }];
        assert_eq!(base_path(&other), "/api/v1/42");
        other.template = "https://example.com".to_owned();
        assert_eq!(base_path(&other), "");
        assert_eq!(
            url_path("https://start.example.com/api/oauth2/token"),
            "/api/oauth2/token"
        );
        assert_eq!(url_path("https://example.com"), "/");
    }

    #[test]
    fn paths_below_the_prefix() {
        let app = App::new(
            crate::builtin::load("cloudspot").expect("spec"),
            &SandboxOptions::default(),
        );
        let below = |path| app.below_prefix(path).map(|(rest, _)| rest);
        assert_eq!(below("/api/v1/artikels/"), Some("/artikels/"));
        assert_eq!(below("/api/v1"), Some(""));
        assert_eq!(below("/api/v10/artikels/"), None);
        assert_eq!(below("/other"), None);
        let mut spreedly_like = app.spec().base_url.clone();
        spreedly_like.template = "https://example.com/api/v4/{site}".to_owned();
        spreedly_like.variables = vec![erp_spec::ir::Variable {
            name: "site".into(),
            doc: String::new(),
            example: "acme-test".into(),
        }];
        let pattern = base_pattern(&spreedly_like);
        assert_eq!(pattern[2], BaseSegment::Variable("site".into()));
    }
}
