//! Memory goal: the client's peak resident memory while streaming 100,000 Billomat clients
//! stays within 10% of streaming 10,000 (records are dropped as they arrive; only the pages in
//! flight are held). Measured with `wait4` on the probe, whose server runs elsewhere.

use super::listing::lists;
use super::report::Detail;
use super::results::{Limit, Outcome, Unit};
use super::stats::Summary;
use super::svg::{Plot, Series};
use super::{Bench, Measurement, mib};

/// Billomat's `paging.concurrency`, the default a client gets.
const K: usize = 4;

pub fn measure(bench: &Bench) -> Result<Measurement, String> {
    let sizes: [usize; 3] = if bench.quick {
        [1_000, 3_000, 10_000]
    } else {
        [10_000, 30_000, 100_000]
    };
    let mut points = Vec::new();
    let mut rows = String::from("| records | peak RSS (median ± MAD) |\n|---|---|\n");
    for records in sizes {
        eprintln!("bench: memory, {records} records");
        let runs = lists(bench, records, 0, K, bench.runs)?;
        let rss = Summary::of(
            &runs
                .iter()
                .map(|r| r.max_rss_kib as f64)
                .collect::<Vec<_>>(),
        )
        .ok_or("no list runs")?;
        rows.push_str(&format!(
            "| {records} | {} ± {} |\n",
            mib(rss.median),
            mib(rss.mad)
        ));
        points.push((records as f64, rss.median));
    }
    let (small, large) = (points[0], points[points.len() - 1]);
    let mut m = Measurement::default();
    m.outcomes.push(Outcome::judged(
        format!("Memory, streaming {} vs {} records", large.0, small.0),
        format!("{} peak RSS, {:.0} records", mib(large.1), large.0),
        format!("{} at {:.0} records", mib(small.1), small.0),
        large.1 / small.1,
        Unit::Ratio,
        Limit::AtMost(1.1),
    ));
    let plot = Plot {
        title: "Peak memory of a client streaming Billomat clients".into(),
        x_label: "records streamed".into(),
        y_label: "peak RSS (KiB)".into(),
        series: vec![Series {
            name: format!("k = {K}, pages of 1000"),
            points,
        }],
    };
    m.files.push(("memory.svg".into(), plot.render()));
    m.details.push(Detail {
        heading: "Memory".into(),
        markdown: format!(
            "Peak resident set of the `list_clients` process (`ru_maxrss` from `wait4`) while it \
             streams and drops every record, k = {K}, no injected latency; medians of {} runs.\n\n{rows}",
            bench.runs
        ),
        plot: Some(("memory.svg".into(), "peak RSS against records streamed".into())),
    });
    Ok(m)
}
