//! The state one sandbox shares with its server: spec, routes, records, rate limiter, faults.

use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use erp_spec::ir::{AuthScheme, BaseUrl, Spec, WireFormat};
use tokio::sync::watch;

use crate::faults::Faults;
use crate::rate_limit::RateLimits;
use crate::routes::RouteTable;
use crate::schema::Schema;
use crate::store::Store;
use crate::{Credentials, SandboxOptions};

pub(crate) struct App {
    pub schema: Schema,
    /// Path part of the base URL, without a trailing slash (`/api`, `/api/v1`, or empty).
    pub prefix: String,
    pub routes: RouteTable,
    /// Spec features this version cannot imitate; requests get 501 when not empty.
    pub unsupported: Vec<&'static str>,
    pub credentials: Credentials,
    pub store: Mutex<Store>,
    /// Every rate-limit window of the spec (empty when it has none).
    pub rate: RateLimits,
    pub faults: Faults,
    /// Set to true to stop the server (and release hanging requests).
    pub shutdown: watch::Sender<bool>,
}

impl App {
    pub(crate) fn new(spec: Spec, options: &SandboxOptions) -> App {
        let schema = Schema::new(spec);
        let spec = &schema.spec;
        let store = crate::seed::seed(&schema, options.seed_records, options.seed);
        App {
            prefix: base_path(&spec.base_url),
            routes: RouteTable::new(spec),
            unsupported: unsupported(spec),
            credentials: crate::auth::credentials(spec),
            rate: RateLimits::new(&spec.rate_limits, options.rate_limit, SystemTime::now()),
            store: Mutex::new(store),
            faults: Faults::default(),
            shutdown: watch::Sender::new(false),
            schema,
        }
    }

    pub(crate) fn spec(&self) -> &Spec {
        &self.schema.spec
    }

    /// The records (a poisoned lock is still usable: every change is a single insert or remove).
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The part of `path` below the base path, starting with `/`; `None` outside of it.
    pub(crate) fn below_prefix<'p>(&self, path: &'p str) -> Option<&'p str> {
        let rest = path.strip_prefix(self.prefix.as_str())?;
        (rest.is_empty() || rest.starts_with('/')).then_some(rest)
    }
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

/// Spec features this sandbox version cannot imitate yet.
pub(crate) fn unsupported(spec: &Spec) -> Vec<&'static str> {
    let mut out = Vec::new();
    if spec.wire.format == WireFormat::Xml {
        out.push("XML bodies");
    }
    if matches!(spec.auth.scheme, AuthScheme::OAuth2(_)) {
        out.push("OAuth2 authentication");
    }
    out
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
        assert!(unsupported(&billomat).is_empty() && unsupported(&cloudspot).is_empty());
    }

    #[test]
    fn paths_below_the_prefix() {
        let app = App::new(
            crate::builtin::load("cloudspot").expect("spec"),
            &SandboxOptions::default(),
        );
        assert_eq!(app.below_prefix("/api/v1/artikels/"), Some("/artikels/"));
        assert_eq!(app.below_prefix("/api/v1"), Some(""));
        assert_eq!(app.below_prefix("/api/v10/artikels/"), None);
        assert_eq!(app.below_prefix("/other"), None);
    }
}
