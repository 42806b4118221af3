//! Memory goal: the client's peak resident memory while streaming 100,000 Billomat clients
//! stays within 10% of streaming 10,000 (records are dropped as they arrive; only the pages in
//! flight are held). Measured with `wait4` on the probe, whose server runs elsewhere, at the
//! spec's page concurrency (what a client gets) and, for comparison, one page at a time.

use super::listing::lists;
use super::report::Detail;
use super::results::{Limit, Outcome, Unit};
use super::stats::Summary;
use super::svg::{Plot, Series};
use super::{Bench, Measurement, mib};

/// Billomat's `paging.concurrency` (the goal's figure), then sequential paging.
const CONCURRENCY: [usize; 2] = [4, 1];

pub fn measure(bench: &Bench) -> Result<Measurement, String> {
    let sizes: [usize; 3] = if bench.quick {
        [1_000, 3_000, 10_000]
    } else {
        [10_000, 30_000, 100_000]
    };
    let mut series = Vec::new();
    let mut cells = vec![Vec::new(); sizes.len()];
    for k in CONCURRENCY {
        let mut points = Vec::new();
        for (i, records) in sizes.into_iter().enumerate() {
            eprintln!("bench: memory, {records} records, k = {k}");
            let runs = lists(bench, records, 0, k, bench.runs)?;
            let rss = Summary::of(
                &runs
                    .iter()
                    .map(|r| r.max_rss_kib as f64)
                    .collect::<Vec<_>>(),
            )
            .ok_or("no list runs")?;
            cells[i].push(format!("{} ± {}", mib(rss.median), mib(rss.mad)));
            points.push((records as f64, rss.median));
        }
        series.push(Series {
            name: format!("k = {k}, pages of 1000"),
            points,
        });
    }
    let mut rows =
        String::from("| records | peak RSS, k = 4 (median ± MAD) | k = 1 |\n|---|---|---|\n");
    for (records, cells) in sizes.iter().zip(&cells) {
        rows.push_str(&format!("| {records} | {} |\n", cells.join(" | ")));
    }
    let ratio = |s: &Series| s.points[s.points.len() - 1].1 / s.points[0].1;
    let goal = &series[0];
    let (small, large) = (goal.points[0], goal.points[goal.points.len() - 1]);
    let mut m = Measurement::default();
    m.outcomes.push(Outcome::judged(
        format!("Memory, streaming {:.0} vs {:.0} records", large.0, small.0),
        format!("{} peak RSS, {:.0} records, k = 4", mib(large.1), large.0),
        format!("{} at {:.0} records", mib(small.1), small.0),
        ratio(goal),
        Unit::Ratio,
        Limit::AtMost(1.1),
    ));
    let sequential = ratio(&series[1]);
    let plot = Plot {
        title: "Peak memory of a client streaming Billomat clients".into(),
        x_label: "records streamed".into(),
        y_label: "peak RSS (KiB)".into(),
        series,
    };
    m.files.push(("memory.svg".into(), plot.render()));
    m.details.push(Detail {
        heading: "Memory".into(),
        markdown: format!(
            "Peak resident set of the `list_clients` process (`ru_maxrss` from `wait4`) while it \
             streams and drops every record, no injected latency; medians of {} runs. With one \
             page at a time the ratio is {sequential:.2}x.\n\n{rows}",
            bench.runs
        ),
        plot: Some((
            "memory.svg".into(),
            "peak RSS against records streamed".into(),
        )),
    });
    Ok(m)
}
