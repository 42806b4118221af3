//! Helpers shared by the integration tests and the tour: start a vendor's sandbox in-process
//! and build the generated client against it.

use std::net::SocketAddr;
use std::time::Duration;

use erp_sandbox::{RunningSandbox, Sandbox, SandboxOptions};

/// The loopback address with an ephemeral port.
pub fn ephemeral() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Starts the built-in sandbox of `vendor` with `records` seeded records per resource.
pub async fn start(vendor: &str, options: SandboxOptions) -> RunningSandbox {
    let sandbox =
        Sandbox::builtin(vendor, options).unwrap_or_else(|e| panic!("sandbox for {vendor}: {e}"));
    sandbox
        .start(ephemeral())
        .await
        .unwrap_or_else(|e| panic!("cannot start the {vendor} sandbox: {e}"))
}

pub fn options(records: usize) -> SandboxOptions {
    SandboxOptions {
        seed_records: records,
        ..SandboxOptions::default()
    }
}

/// Retries that keep tests fast: short backoff, short rate-limit waits.
pub fn quick_retries() -> erp_runtime::RetryPolicy {
    erp_runtime::RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        max_rate_limit_wait: Duration::from_secs(5),
    }
}

/// A Billomat client for the sandbox.
pub fn billomat(sandbox: &RunningSandbox) -> erp_billomat::Billomat {
    erp_billomat::Billomat::builder("sandbox")
        .base_url(sandbox.base_url())
        .auth(erp_billomat::Billomat::credentials(billomat_key(sandbox)))
        .retry(quick_retries())
        .build()
        .expect("billomat client")
}

/// A Cloudspot client for the sandbox.
pub fn cloudspot(sandbox: &RunningSandbox) -> erp_cloudspot::Cloudspot {
    erp_cloudspot::Cloudspot::builder()
        .base_url(sandbox.base_url())
        .auth(erp_cloudspot::Cloudspot::credentials(cloudspot_token(
            sandbox,
        )))
        .retry(quick_retries())
        .build()
        .expect("cloudspot client")
}

/// The value the sandbox accepts for credential header `name` (as it prints on start-up).
pub fn credential(sandbox: &RunningSandbox, name: &str) -> String {
    sandbox
        .credentials()
        .headers
        .into_iter()
        .find(|(header, _)| header.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
        .unwrap_or_else(|| panic!("the sandbox accepts no header `{name}`"))
}

/// The API key the Billomat sandbox accepts.
pub fn billomat_key(sandbox: &RunningSandbox) -> String {
    credential(sandbox, "X-BillomatApiKey")
}

/// The token the Cloudspot sandbox accepts.
pub fn cloudspot_token(sandbox: &RunningSandbox) -> String {
    credential(sandbox, "X-ERP-TOKEN")
}

/// The README's Rust examples compile (doctests), so the README stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
