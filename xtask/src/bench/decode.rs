//! Decode goals: the CPU time of decoding one list page through the runtime's lenient typed
//! path against plain `#[derive(Deserialize)]` structs of the same fields from the same bytes,
//! for a vendor with quirks (Billomat) and one without (Cloudspot). Each run is a
//! `decode_page` probe process decoding the page many times; lenient and plain alternate so
//! that drift in the machine's load falls on both.

use std::time::Duration;

use super::child;
use super::report::Detail;
use super::results::{Limit, Outcome, Unit};
use super::stats::Summary;
use super::{Bench, Measurement, ms};

/// Records on the page (Billomat's largest page).
const PAGE: usize = 1000;

struct Case {
    vendor: &'static str,
    goal: &'static str,
    limit: f64,
    /// Decodes of the page per process: enough for a few hundred milliseconds of CPU.
    decodes: usize,
}

const CASES: [Case; 2] = [
    Case {
        vendor: "billomat",
        goal: "Decode, Billomat (quirks)",
        limit: 1.3,
        decodes: 60,
    },
    Case {
        vendor: "cloudspot",
        goal: "Decode, Cloudspot (no quirks)",
        limit: 1.1,
        decodes: 300,
    },
];

pub fn measure(bench: &Bench) -> Result<Measurement, String> {
    let mut m = Measurement::default();
    let mut rows = String::from(
        "| vendor | page | decodes per run | lenient CPU per page | plain CPU per page | ratio (per-run min–max) |\n|---|---|---|---|---|---|\n",
    );
    for case in &CASES {
        let file = bench.scratch.join(format!("{}-page.json", case.vendor));
        let file_arg = file.display().to_string();
        child::run(
            bench.probes.command("decode_page").args([
                "write",
                case.vendor,
                &PAGE.to_string(),
                &file_arg,
            ]),
            Duration::from_secs(60),
        )?;
        let decodes = if bench.quick {
            case.decodes / 5
        } else {
            case.decodes
        };
        let mut lenient = Vec::new();
        let mut plain = Vec::new();
        let mut ratios = Vec::new();
        for run in 0..bench.runs {
            let order = if run % 2 == 0 {
                ["lenient", "plain"]
            } else {
                ["plain", "lenient"]
            };
            let mut cpu = [0.0; 2];
            for mode in order {
                let measured = child::run(
                    bench.probes.command("decode_page").args([
                        mode,
                        case.vendor,
                        &file_arg,
                        &decodes.to_string(),
                    ]),
                    Duration::from_secs(300),
                )?;
                let what = format!("decode_page {mode} {}", case.vendor);
                let line = child::json_line(&measured, &what)?;
                let items = child::number(&line, "items", &what)?;
                if items != (PAGE * decodes) as f64 {
                    return Err(format!(
                        "{what} decoded {items} items, not {}",
                        PAGE * decodes
                    ));
                }
                let per_page = measured.cpu.as_secs_f64() / decodes as f64;
                cpu[usize::from(mode == "plain")] = per_page;
            }
            lenient.push(cpu[0]);
            plain.push(cpu[1]);
            ratios.push(cpu[0] / cpu[1]);
        }
        let (l, p, r) = (summary(&lenient)?, summary(&plain)?, summary(&ratios)?);
        let ratio = l.median / p.median;
        m.outcomes.push(Outcome::judged(
            case.goal,
            format!("{} CPU per 1000-record page, lenient typed", ms(l.median)),
            format!("{} plain derive", ms(p.median)),
            ratio,
            Unit::Ratio,
            Limit::AtMost(case.limit),
        ));
        rows.push_str(&format!(
            "| {} | {PAGE} records, {} KiB | {decodes} | {} ± {} | {} ± {} | {ratio:.2}x ({:.2}–{:.2}) |\n",
            case.vendor,
            std::fs::metadata(&file).map_or(0, |f| f.len() / 1024),
            ms(l.median),
            ms(l.mad),
            ms(p.median),
            ms(p.mad),
            r.min,
            r.max
        ));
    }
    m.details.push(Detail {
        heading: "Decode".into(),
        markdown: format!(
            "CPU time (user + system) of a `decode_page` process over its decodes, divided per page; \
             medians of {} runs ± MAD. Lenient is `erp_runtime::paging::decode_page` (envelope, page \
             meta, lenient typed models); plain is `serde_json::from_slice` into derives of the same \
             fields, typed as the wire sends them.\n\n{rows}",
            bench.runs
        ),
        plot: None,
    });
    Ok(m)
}

fn summary(values: &[f64]) -> Result<Summary, String> {
    Summary::of(values).ok_or_else(|| "no decode runs".to_owned())
}
