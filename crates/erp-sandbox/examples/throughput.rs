//! Reproducible sandbox measurement: seeds `N` records per resource for a built-in vendor, then
//! serves lists over real TCP and prints seed time, records per second and response sizes.
//!
//! ```sh
//! cargo run --release -p erp-sandbox --example throughput -- billomat 10000
//! cargo run --release -p erp-sandbox --example throughput -- cloudspot 100000
//! /usr/bin/time -v target/release/examples/throughput billomat 100000   # peak memory
//! /usr/bin/time -v target/release/examples/throughput billomat 100000 --seed-only
//! ```
//!
//! Everything runs on one thread (a current-thread tokio runtime): the sandbox and a minimal
//! hand-written HTTP/1.1 client share one core, so the times are the sandbox's own cost plus a
//! socket round trip, without a client library's decoding. Responses are parsed with serde_json
//! (default recursion limit, as clients do) outside the timed sections to count items and to
//! show whether a client could decode them.
//!
//! Billomat: ten pages of 1000 clients (`/clients?per_page=1000&page=1..=10`), one page deep in
//! the store (the last full page) and the contacts of one client. Cloudspot (no paging): the whole
//! `artikels`, `categories` and `klanten` lists.

use std::time::{Duration, Instant};

use erp_sandbox::{RateLimitSettings, Sandbox, SandboxOptions};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Client {
    stream: TcpStream,
    host: String,
    headers: String,
}

struct Fetched {
    status: u16,
    body: Vec<u8>,
    elapsed: Duration,
}

impl Client {
    /// One keep-alive GET; the body must carry a `Content-Length` (the sandbox always sends one).
    async fn get(&mut self, path: &str) -> Result<Fetched, String> {
        let start = Instant::now();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n{}\r\n",
            self.host, self.headers
        );
        self.stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("write: {e}"))?;
        let mut buffer = Vec::with_capacity(64 * 1024);
        let mut chunk = vec![0u8; 256 * 1024];
        let header_end = loop {
            if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = self
                .stream
                .read(&mut chunk)
                .await
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("connection closed in the headers".into());
            }
            buffer.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| format!("no status line: {head}"))?;
        let length = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .ok_or_else(|| format!("no Content-Length: {head}"))?;
        let mut body = buffer.split_off(header_end);
        body.reserve(length.saturating_sub(body.len()));
        while body.len() < length {
            let n = self
                .stream
                .read(&mut chunk)
                .await
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("connection closed in the body".into());
            }
            body.extend_from_slice(&chunk[..n]);
        }
        Ok(Fetched {
            status,
            body,
            elapsed: start.elapsed(),
        })
    }
}

/// Items of a list body: Billomat's `{"clients": {"client": [...]}}` or Cloudspot's `{"data": [...]}`.
fn count_items(body: &Value) -> usize {
    let list = body.get("data").or_else(|| {
        body.as_object()?
            .values()
            .next()?
            .as_object()?
            .iter()
            .find(|(k, _)| !k.starts_with('@'))
            .map(|(_, v)| v)
    });
    match list {
        Some(Value::Array(items)) => items.len(),
        Some(Value::Object(_)) => 1,
        _ => 0,
    }
}

/// Nesting depth of a JSON text (arrays and objects), counted on the bytes so that it works
/// where serde_json's recursion limit refuses the document.
fn json_depth(text: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in text {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

struct Totals {
    records: usize,
    bytes: usize,
    elapsed: Duration,
}

async fn measure(client: &mut Client, label: &str, paths: &[String]) -> Result<Totals, String> {
    let mut totals = Totals {
        records: 0,
        bytes: 0,
        elapsed: Duration::ZERO,
    };
    let mut depth = 0;
    let mut decode_error = None;
    // FNV-1a over every body: equal digests mean byte-identical answers (before/after checks).
    let mut digest: u64 = 0xcbf2_9ce4_8422_2325;
    for path in paths {
        let fetched = client.get(path).await?;
        if fetched.status != 200 {
            return Err(format!(
                "{path}: status {}: {}",
                fetched.status,
                String::from_utf8_lossy(&fetched.body)
            ));
        }
        totals.elapsed += fetched.elapsed;
        totals.bytes += fetched.body.len();
        for &b in &fetched.body {
            digest = (digest ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        depth = depth.max(json_depth(&fetched.body));
        match serde_json::from_slice::<Value>(&fetched.body) {
            Ok(body) => totals.records += count_items(&body),
            Err(e) => decode_error = Some(e.to_string()),
        }
    }
    let seconds = totals.elapsed.as_secs_f64();
    println!(
        "{label:<34} {:>3} req {:>7} records {:>9.1} KiB {:>9.3} s {:>10.0} records/s  depth {depth:>3}  digest {digest:016x}{}",
        paths.len(),
        totals.records,
        totals.bytes as f64 / 1024.0,
        seconds,
        totals.records as f64 / seconds.max(1e-9),
        decode_error.map_or_else(String::new, |e| format!("  DECODE FAILS: {e}")),
    );
    Ok(totals)
}

fn usage() -> String {
    "usage: throughput <vendor> <records> [pages (billomat, default 10)] [--seed-only]".to_owned()
}

fn main() -> Result<(), String> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // `--seed-only`: stop after seeding, so that peak memory is the store's alone.
    let seed_only = args.iter().any(|a| a == "--seed-only");
    args.retain(|a| a != "--seed-only");
    let vendor = args.first().ok_or_else(usage)?.clone();
    let records: usize = args
        .get(1)
        .ok_or_else(usage)?
        .parse()
        .map_err(|e| format!("records: {e}"))?;
    let pages: usize = match args.get(2) {
        Some(p) => p.parse().map_err(|e| format!("pages: {e}"))?,
        None => 10,
    };
    let options = SandboxOptions {
        seed_records: records,
        seed: 1,
        // The measurement must not run into the vendor's quota.
        rate_limit: Some(RateLimitSettings {
            quota: u64::MAX,
            window: Duration::from_secs(3600),
        }),
    };
    let start = Instant::now();
    let sandbox = Sandbox::builtin(&vendor, options)?;
    let seeded = start.elapsed();
    println!(
        "{vendor}: seeded {records} records per resource in {:.3} s",
        seeded.as_secs_f64()
    );
    if seed_only {
        return Ok(());
    }
    let credentials = sandbox.credentials();
    let headers: String = credentials
        .headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let running = sandbox
            .start("127.0.0.1:0".parse().map_err(|e| format!("{e}"))?)
            .await
            .map_err(|e| e.to_string())?;
        let base = running.base_url();
        let prefix = base
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
            .unwrap_or_default();
        let stream = TcpStream::connect(running.addr())
            .await
            .map_err(|e| e.to_string())?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let mut client = Client {
            stream,
            host: running.addr().to_string(),
            headers,
        };
        match vendor.as_str() {
            "billomat" => {
                let per_page = 1000;
                let paged: Vec<String> = (1..=pages)
                    .map(|p| format!("{prefix}/clients?per_page={per_page}&page={p}"))
                    .collect();
                measure(
                    &mut client,
                    &format!("clients, {pages} pages of {per_page}"),
                    &paged,
                )
                .await?;
                let last = (records / per_page).max(1);
                let deep = vec![format!("{prefix}/clients?per_page={per_page}&page={last}")];
                measure(&mut client, &format!("clients, page {last}"), &deep).await?;
                let filtered = vec![format!(
                    "{prefix}/clients?per_page={per_page}&country_code=DE"
                )];
                measure(&mut client, "clients, country_code=DE, page 1", &filtered).await?;
                let sorted = vec![format!(
                    "{prefix}/clients?per_page={per_page}&order_by=name+ASC,id+DESC"
                )];
                measure(&mut client, "clients, order_by=name, page 1", &sorted).await?;
                let contacts = vec![format!("{prefix}/contacts?client_id=1&per_page={per_page}")];
                measure(&mut client, "contacts of client 1", &contacts).await?;
            }
            "cloudspot" => {
                for resource in ["artikels", "categories", "klanten"] {
                    let all = vec![format!("{prefix}/{resource}/")];
                    measure(&mut client, &format!("{resource}, whole list"), &all).await?;
                }
            }
            other => return Err(format!("no requests defined for vendor `{other}`")),
        }
        running.shutdown().await;
        Ok(())
    })
}
