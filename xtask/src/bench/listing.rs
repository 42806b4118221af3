//! Runs of the `list_clients` probe against Billomat sandboxes, shared by the throughput and
//! memory goals. Billomat allows 300 calls per 15 minutes; a sandbox starts with a fresh quota,
//! so each one serves only as many lists as fit in it, and a new one is started for the next.

use std::time::Duration;

use super::Bench;
use super::child;
use super::probes::Server;

/// Records per page the probe asks for (Billomat's largest).
const PAGE_SIZE: usize = 1000;
/// Billomat's calls per window, less a margin for the probe's own control request.
const QUOTA: usize = 290;

/// One streamed list, measured from outside.
#[derive(Debug, Clone)]
pub struct ListRun {
    pub seconds: f64,
    pub records_per_second: f64,
    pub max_rss_kib: u64,
    /// Requests the sandbox saw beyond one per page: 429s or other retries.
    pub extra_requests: u64,
}

/// `runs` lists of `records` Billomat clients at page concurrency `k`, `latency_ms` late.
pub fn lists(
    bench: &Bench,
    records: usize,
    latency_ms: u64,
    k: usize,
    runs: usize,
) -> Result<Vec<ListRun>, String> {
    let pages = records.div_ceil(PAGE_SIZE);
    let per_server = (QUOTA / pages.max(1)).max(1);
    let mut out = Vec::new();
    while out.len() < runs {
        let server = Server::start(
            &bench.probes,
            "billomat",
            records,
            latency_ms,
            Some("clients"),
        )?;
        let key = server.credential("X-BillomatApiKey")?;
        let mut seen_before = 0.0;
        for _ in 0..per_server.min(runs - out.len()) {
            let what = format!("list_clients ({records} records, k = {k})");
            let measured = child::run(
                bench.probes.command("list_clients").args([
                    &server.base_url,
                    &server.root,
                    &key,
                    &k.to_string(),
                ]),
                Duration::from_secs(600),
            )?;
            let line = child::json_line(&measured, &what)?;
            let got = child::number(&line, "records", &what)?;
            if got != records as f64 {
                return Err(format!("{what} streamed {got} records, not {records}"));
            }
            let seconds = child::number(&line, "seconds", &what)?;
            let seen = child::number(&line, "requests_seen", &what)?;
            let extra = (seen - seen_before - pages as f64).max(0.0);
            seen_before = seen;
            out.push(ListRun {
                seconds,
                records_per_second: records as f64 / seconds,
                max_rss_kib: measured.max_rss_kib,
                extra_requests: extra as u64,
            });
        }
    }
    Ok(out)
}
