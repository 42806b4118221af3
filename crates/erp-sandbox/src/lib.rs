//! A local HTTP server that imitates an ERP vendor's API, driven entirely by its spec
//! (`specs/<vendor>.yaml`, validated by `erp-spec`).
//!
//! Every vendor whose spec is in `specs/` when this crate is built is available through
//! [`Sandbox::builtin`]; any other validated spec works with [`Sandbox::new`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use erp_sandbox::{Sandbox, SandboxOptions};
//!
//! let sandbox = Sandbox::builtin("billomat", SandboxOptions::default())?;
//! let credentials = sandbox.credentials();
//! let running = sandbox.start("127.0.0.1:0".parse()?).await?;
//! assert!(running.base_url().ends_with("/api"));
//! assert_eq!(credentials.headers[0].0, "X-BillomatApiKey");
//! running.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # What it imitates
//!
//! - **Routes**: each operation's full path under the path of the spec's base URL (`/api` for
//!   Billomat, `/api/v1` for Cloudspot). Segments must match exactly; a trailing slash counts, so
//!   Cloudspot's `GET /api/v1/artikels` (no slash) is a 404 in Cloudspot's error shape. Unknown
//!   routes are 404 and a known path with another method is 405, both in the vendor's error shape.
//! - **Authentication**: see [`Credentials`]; failures get the spec's `unauthorized` status and
//!   message in the vendor's error body.
//! - **Data**: `seed_records` deterministic, realistic records per listable resource; creates,
//!   updates and deletes change them for the life of the sandbox. Values come from the spec's field
//!   examples (else from the field's type and name) and are made to agree by generic rules driven
//!   by field names, types and examples, never by the vendor:
//!   - *parallel examples*: string and enum fields of one record (or nested item) whose example
//!     lists have the same length (≥ 2) take the same position, so `taal: [nl, fr, en]` goes with
//!     `taal_display: [Nederlands, Français, English]`; positions are dealt so that records (and the
//!     items of one nested list) repeat an example only after all were used;
//!   - *codes follow the id*: examples like `ART-0001`, `ART-0103` (one prefix ending in `-` or `/`,
//!     then digits) give record 2 the code `ART-0002`;
//!   - *VAT pairs*: `<x>_incl` = `<x>_excl` × (1 + rate/100) with the record's `BTW`/`vat`/
//!     `vat_rate`/`tax_rate`, else its parent record's, else 21 %; nested items' `<x>_excl` follow
//!     the parent's (less the item's discount); `inkoop…`/`purchase…` amounts are 40–80 % of the
//!     matching `verkoop…`/`sales…` amounts;
//!   - *net/gross pairs*: `<x>_gross` = `<x>_net` × 1.19 (or the record's own rate);
//!   - *ids and flags follow text*: `<x>_id` is the position of `<x>` among its examples, or the id
//!     of the first record in a sibling list `<x>…` of another resource (`categorie_id` from
//!     `categorieen`); `is_<w>` is true when a field `<w>…` is not empty; `<x>_date` is left out
//!     when `<x>` is empty; a field whose examples are a subset of another's repeats it;
//!   - *children follow parents*: a record referring to another resource's record takes its
//!     organisation name and address and the fields it has no examples for; lists of the
//!     resource's own model hold earlier records, so the records form shallow, bushy trees (at most
//!     four levels, a few children per node, each record in at most one list); one item of a
//!     nested list is the main one (`is_hoofdfoto`).
//!
//!   See the `seed` and `coherence` modules for the exact rules.
//! - **Wire dialect and envelopes** from the spec (all-strings scalars, `"1"`/`"0"` booleans,
//!   one-or-many lists, root-key or `data` envelopes, page metadata). An operation's `root`
//!   replaces the resource's singular as the root key of its request and item bodies (Billomat's
//!   `PUT /invoices/{id}/complete` takes `{"complete": {...}}`); a body under another key is the
//!   vendor's 400. Actions check their request body and answer the record without changing it.
//!   Operations that return `item_or_empty` answer the object, like `item`, unless the
//!   `empty_write_bodies` fault is on.
//! - **Counting without fetching** (Billomat): `HEAD` on a paged list with the same filters answers
//!   `200` with an empty body and the number of matching records in `X-Total-Count`, with
//!   authentication and rate limit as for `GET`. Every page-number-paged list of a JSON vendor with
//!   `resource_root` list envelopes counts this way; other vendors answer `HEAD` with 405.
//! - **Rate limits**: fixed windows with the vendor's headers on every response and a 429 with the
//!   vendor's message when the quota is used up.
//! - **Faults** on demand through [`Faults`], also over HTTP: `POST /__sandbox/faults` (at the
//!   server root, outside the vendor's base path, no authentication) with a JSON object such as
//!   `{"html_502_next": 1, "rate_limit_next": 2, "retry_in_seconds": 3, "hang": true,
//!   "malformed_next": 1, "errors_in_success_next": 1, "unknown_enum_values": true,
//!   "numbers_as_strings": true, "nulls_for_optionals": true, "empty_list_for_unknown_id": true,
//!   "empty_write_bodies": true, "reset": true}`; `GET /__sandbox/faults` shows the state and `requests_seen`.
//!
//! Vendors with XML bodies, OAuth2, OData envelopes, next-link or cursor paging are not imitated
//! yet: their sandbox starts, but every API request gets `501` with a plain-text explanation.
//! Responses are always JSON (Billomat's XML default and `?format=` are ignored).

#![warn(missing_docs)]

mod app;
mod auth;
mod builtin;
mod coherence;
mod control;
mod decode;
mod derive;
mod errors;
mod faults;
mod ops;
mod ordered_json;
mod query;
mod rate_limit;
mod render;
mod reply;
mod routes;
mod schema;
mod seed;
mod server;
mod store;
#[cfg(test)]
mod testing;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

pub use faults::Faults;

use app::App;

/// How a sandbox is seeded and limited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxOptions {
    /// Records generated per resource that has a list operation (default 25).
    pub seed_records: usize,
    /// Seed of the data generator; the same seed gives the same records (default 1).
    pub seed: u64,
    /// Quota and window of the rate limit; `None` uses the spec's. Ignored for vendors without a
    /// rate limit in their spec.
    pub rate_limit: Option<RateLimitSettings>,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            seed_records: 25,
            seed: 1,
            rate_limit: None,
        }
    }
}

/// A rate limit that replaces the spec's quota and window (e.g. a quota of 3 in tests).
///
/// With these settings the first window starts when the sandbox is built; with the spec's
/// settings windows are aligned to the Unix epoch (Billomat: XX:00, XX:15, XX:30, XX:45).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// Requests allowed per window.
    pub quota: u64,
    /// Length of a window.
    pub window: Duration,
}

/// The credentials a sandbox accepts.
///
/// Header values are `sandbox-<vendor>-<header parameter>` with `_` written as `-`: Billomat takes
/// `X-BillomatApiKey: sandbox-billomat-api-key` (also as `?api_key=`), and optionally
/// `X-AppId: sandbox-billomat-app-id` and `X-AppSecret: sandbox-billomat-app-secret` (may be left
/// out, must match when sent); Cloudspot takes `X-ERP-TOKEN: sandbox-cloudspot-token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Every header the vendor's auth scheme uses, as `(header name, accepted value)`; optional
    /// headers are listed too.
    pub headers: Vec<(String, String)>,
    /// `(user, password)` for vendors with HTTP Basic authentication:
    /// `sandbox-<vendor>-user` / `sandbox-<vendor>-password`.
    pub basic: Option<(String, String)>,
}

/// A sandbox for one vendor, seeded and ready to [`start`](Sandbox::start).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use erp_sandbox::{Sandbox, SandboxOptions};
///
/// let sandbox = Sandbox::builtin("cloudspot", SandboxOptions { seed_records: 3, ..Default::default() })?;
/// let faults = sandbox.faults();
/// let running = sandbox.start("127.0.0.1:0".parse()?).await?;
/// assert_eq!(running.base_url(), format!("http://{}/api/v1", running.addr()));
/// faults.html_502_next(1); // the next request gets an HTML 502 page
/// running.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct Sandbox {
    app: Arc<App>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("vendor", &self.app.spec().vendor.name)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Builds and seeds a sandbox for a validated spec.
    pub fn new(spec: erp_spec::ir::Spec, options: SandboxOptions) -> Sandbox {
        Sandbox {
            app: Arc::new(App::new(spec, &options)),
        }
    }

    /// Builds a sandbox for a vendor whose spec was embedded at compile time (`specs/<vendor>.yaml`).
    ///
    /// Fails with a readable message for an unknown vendor or an invalid spec.
    pub fn builtin(vendor: &str, options: SandboxOptions) -> Result<Sandbox, String> {
        Ok(Sandbox::new(builtin::load(vendor)?, options))
    }

    /// The embedded vendors (spec file stems), sorted.
    pub fn builtin_vendors() -> Vec<&'static str> {
        builtin::vendors()
    }

    /// The spec this sandbox imitates.
    pub fn spec(&self) -> &erp_spec::ir::Spec {
        self.app.spec()
    }

    /// The credentials the sandbox accepts.
    pub fn credentials(&self) -> Credentials {
        self.app.credentials.clone()
    }

    /// A handle to inject faults; it stays valid after [`start`](Sandbox::start).
    pub fn faults(&self) -> Faults {
        self.app.faults.clone()
    }

    /// Why this sandbox answers every request with 501, if it does (spec features not imitated yet).
    pub fn unsupported(&self) -> Option<String> {
        (!self.app.unsupported.is_empty()).then(|| self.app.unsupported.join(", "))
    }

    /// Binds `addr` (use `127.0.0.1:0` for an ephemeral port) and serves in the background of the
    /// current tokio runtime until [`RunningSandbox::shutdown`] or until the handle is dropped.
    pub async fn start(self, addr: SocketAddr) -> std::io::Result<RunningSandbox> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let router = server::router(Arc::clone(&self.app));
        let mut stop = self.app.shutdown.subscribe();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                // An error means the sandbox is gone: stop as well.
                let _ = stop.wait_for(|stop| *stop).await;
            };
            // Serving only fails when accepting fails for good; there is nobody to report to.
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await;
        });
        Ok(RunningSandbox {
            app: self.app,
            addr,
            task: Some(task),
        })
    }
}

/// A started sandbox. Dropping it stops the server too.
pub struct RunningSandbox {
    app: Arc<App>,
    addr: SocketAddr,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for RunningSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSandbox")
            .field("vendor", &self.app.spec().vendor.name)
            .field("addr", &self.addr)
            .finish()
    }
}

impl RunningSandbox {
    /// The base URL a client should use, e.g. `http://127.0.0.1:PORT/api` for Billomat or
    /// `http://127.0.0.1:PORT/api/v1` for Cloudspot (the path of the spec's base URL, with
    /// variables in it replaced by their examples). An unspecified bind address is shown as the
    /// loopback address.
    pub fn base_url(&self) -> String {
        let mut addr = self.addr;
        match addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => addr.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            IpAddr::V6(ip) if ip.is_unspecified() => addr.set_ip(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            _ => {}
        }
        format!("http://{addr}{}", self.app.prefix)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The credentials the sandbox accepts.
    pub fn credentials(&self) -> Credentials {
        self.app.credentials.clone()
    }

    /// A handle to inject faults.
    pub fn faults(&self) -> Faults {
        self.app.faults.clone()
    }

    /// Stops accepting, lets requests in flight finish (hanging requests are released with 503)
    /// and waits up to five seconds for the server to end.
    pub async fn shutdown(mut self) {
        self.app.shutdown.send_replace(true);
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.app.shutdown.send_replace(true);
    }
}
