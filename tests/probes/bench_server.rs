//! A vendor's sandbox in a process of its own, for `cargo xtask bench`: the client probes run
//! in other processes, so their CPU time and peak memory are theirs alone.
//!
//! ```sh
//! target/release/examples/bench_server billomat 100000 20 clients
//! ```
//!
//! Seeds RECORDS records per resource, delays every answer by LATENCY_MS (the sandbox's
//! `Faults::latency`), prints one JSON line (`base_url`, `root`, the credential headers it
//! accepts) and serves until its standard input closes. Given RESOURCE, it serves that resource
//! alone: Billomat has 58, and 100,000 records of each take minutes to seed and about 13 GB.

use std::io::{BufRead, Write};
use std::time::Duration;

use erp_sandbox::{Sandbox, SandboxOptions};
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (vendor, records, latency_ms, only) = match args.as_slice() {
        [v, r, l] => (v, r, l, None),
        [v, r, l, only] => (v, r, l, Some(only)),
        _ => return Err("usage: bench_server VENDOR RECORDS LATENCY_MS [RESOURCE]".into()),
    };
    let records: usize = records
        .parse()
        .map_err(|e| format!("RECORDS `{records}`: {e}"))?;
    let latency_ms: u64 = latency_ms
        .parse()
        .map_err(|e| format!("LATENCY_MS `{latency_ms}`: {e}"))?;
    // As many workers as cores, as a server would have.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let options = erp_clients_tests::options(records);
    let mut spec = Sandbox::builtin(vendor, SandboxOptions::default())?
        .spec()
        .clone();
    if let Some(only) = only {
        spec.resources.retain(|r| &r.name == only);
        if spec.resources.is_empty() {
            return Err(format!("{vendor} has no resource `{only}`").into());
        }
    }
    let sandbox =
        runtime.block_on(Sandbox::new(spec, options).start(erp_clients_tests::ephemeral()))?;
    sandbox.faults().latency(Duration::from_millis(latency_ms));
    let headers: serde_json::Map<String, serde_json::Value> = sandbox
        .credentials()
        .headers
        .into_iter()
        .map(|(name, value)| (name, value.into()))
        .collect();
    let line = json!({
        "base_url": sandbox.base_url(),
        "root": sandbox.url(""),
        "headers": headers,
    });
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    drop(out);
    // Serve until the harness closes our standard input (or ends us).
    for line in std::io::stdin().lock().lines() {
        line?;
    }
    runtime.block_on(sandbox.shutdown());
    Ok(())
}
