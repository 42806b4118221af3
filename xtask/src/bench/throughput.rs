//! Throughput goal: page prefetch against sequential paging, 100,000 Billomat clients from a
//! sandbox whose every answer is 20 ms late (a real vendor's round trip), at page concurrency
//! k = 1, 2, 4, 8; the goal compares the spec's k (4) with k = 1 and wants no 429s.

use super::listing::{ListRun, lists};
use super::report::Detail;
use super::results::{Limit, Outcome, Status, Unit};
use super::stats::Summary;
use super::svg::{Plot, Series};
use super::{Bench, Measurement};

const LATENCY_MS: u64 = 20;
const CONCURRENCY: [usize; 4] = [1, 2, 4, 8];
/// Billomat's `paging.concurrency`.
const SPEC_K: usize = 4;

pub fn measure(bench: &Bench) -> Result<Measurement, String> {
    let records = if bench.quick { 10_000 } else { 100_000 };
    let mut rows = String::from(
        "| k | records/s (median, IQR) | seconds per list | extra requests (429s, retries) | speed-up |\n|---|---|---|---|---|\n",
    );
    let mut medians = Vec::new();
    let mut extra_total = 0;
    for k in CONCURRENCY {
        eprintln!("bench: throughput, {records} records, k = {k}");
        let runs: Vec<ListRun> = lists(bench, records, LATENCY_MS, k, bench.runs)?;
        let rate = Summary::of(
            &runs
                .iter()
                .map(|r| r.records_per_second)
                .collect::<Vec<_>>(),
        )
        .ok_or("no list runs")?;
        let secs = Summary::of(&runs.iter().map(|r| r.seconds).collect::<Vec<_>>())
            .ok_or("no list runs")?;
        let extra: u64 = runs.iter().map(|r| r.extra_requests).sum();
        extra_total += extra;
        medians.push((k, rate.median));
        rows.push_str(&format!(
            "| {k} | {:.0} ({:.0}) | {:.2} | {extra} | {:.2}x |\n",
            rate.median,
            rate.iqr(),
            secs.median,
            rate.median / medians[0].1
        ));
    }
    let rate_at = |k: usize| {
        medians
            .iter()
            .find(|(x, _)| *x == k)
            .map_or(f64::NAN, |m| m.1)
    };
    let mut outcome = Outcome::judged(
        format!("Throughput, {records} records, prefetch k = {SPEC_K} vs k = 1"),
        format!(
            "{:.0} records/s at k = {SPEC_K}, {extra_total} extra requests (429s)",
            rate_at(SPEC_K)
        ),
        format!("{:.0} records/s at k = 1", rate_at(1)),
        rate_at(SPEC_K) / rate_at(1),
        Unit::Ratio,
        Limit::AtLeast(4.0),
    );
    if extra_total > 0 {
        outcome.status = Status::Missed;
    }
    let mut m = Measurement::default();
    m.outcomes.push(outcome);
    let plot = Plot {
        title: format!("Billomat clients streamed, {LATENCY_MS} ms per answer"),
        x_label: "pages fetched at once (k)".into(),
        y_label: "records per second".into(),
        series: vec![Series {
            name: format!("{records} records, pages of 1000"),
            points: medians.iter().map(|&(k, r)| (k as f64, r)).collect(),
        }],
    };
    m.files.push(("throughput.svg".into(), plot.render()));
    m.details.push(Detail {
        heading: "Throughput".into(),
        markdown: format!(
            "`list_clients` streams {records} Billomat clients (pages of 1000) from a sandbox in \
             another process that delays every answer by {LATENCY_MS} ms, with \
             `page_concurrency(k)`; medians of {} runs. A sandbox serves at most as many lists as \
             fit in Billomat's quota (300 calls per 15 minutes), so any 429 would be the \
             client's doing; extra requests count requests beyond one per page.\n\n{rows}",
            bench.runs
        ),
        plot: Some((
            "throughput.svg".into(),
            "records per second against k".into(),
        )),
    });
    Ok(m)
}
