//! Streams every Billomat client from a sandbox (`bench_server` in another process) through the
//! generated client, for `cargo xtask bench`: records per second at a page concurrency, and,
//! measured from outside, the client's own peak memory while streaming.
//!
//! ```sh
//! target/release/examples/list_clients BASE_URL ROOT API_KEY CONCURRENCY
//! ```
//!
//! Pages hold 1000 clients (Billomat's largest), so 100,000 records are 100 calls, within the
//! vendor's quota of 300 per 15 minutes. Records are counted and dropped as they arrive. Prints
//! one JSON line: records, seconds, pages, and the requests the sandbox saw (`requests_seen`); requests
//! beyond the pages are 429s or other retries.

use std::time::Instant;

use erp_billomat::Billomat;
use erp_billomat::futures::TryStreamExt;
use serde_json::{Value, json};

/// Billomat's largest page.
const PAGE_SIZE: u64 = 1000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base_url, root, key, concurrency] = args.as_slice() else {
        return Err("usage: list_clients BASE_URL ROOT API_KEY CONCURRENCY".into());
    };
    let concurrency: usize = concurrency
        .parse()
        .map_err(|e| format!("CONCURRENCY `{concurrency}`: {e}"))?;
    // What `#[tokio::main]` gives an application: a worker per core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let billomat = Billomat::builder("bench")
        .base_url(base_url)
        .auth(Billomat::credentials(key.as_str()))
        .page_size(PAGE_SIZE)
        .page_concurrency(concurrency)
        .build()?;
    let (records, seconds) = runtime.block_on(async {
        let start = Instant::now();
        let mut records = 0u64;
        let mut clients = billomat.clients().list(&Default::default());
        while let Some(client) = clients.try_next().await? {
            records += 1;
            drop(client);
        }
        Ok::<_, erp_billomat::Error>((records, start.elapsed().as_secs_f64()))
    })?;
    let seen: Value = runtime.block_on(async {
        let url = format!("{root}/__sandbox/faults");
        let response = reqwest::get(&url).await?.error_for_status()?;
        response.json::<Value>().await
    })?;
    println!(
        "{}",
        json!({
            "records": records,
            "seconds": seconds,
            "pages": records.div_ceil(PAGE_SIZE),
            "requests_seen": seen["requests_seen"],
        })
    );
    Ok(())
}
