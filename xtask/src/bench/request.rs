//! Per-request overhead: N sequential small `get`s (one Cloudspot product category) through
//! the full generated client against the same with bare reqwest and serde_json, both against
//! one sandbox in its own process over loopback. Modes alternate run by run.

use std::time::Duration;

use super::child;
use super::probes::Server;
use super::report::Detail;
use super::results::{Limit, Outcome, Unit};
use super::stats::Summary;
use super::{Bench, Measurement};

pub fn measure(bench: &Bench) -> Result<Measurement, String> {
    let server = Server::start(&bench.probes, "cloudspot", 25, 0, None)?;
    let token = server.credential("X-ERP-TOKEN")?;
    let calls = if bench.quick { 300 } else { 3000 };
    let mut wall = [Vec::new(), Vec::new()];
    let mut cpu = [Vec::new(), Vec::new()];
    for run in 0..bench.runs {
        let order = if run % 2 == 0 {
            ["runtime", "bare"]
        } else {
            ["bare", "runtime"]
        };
        for mode in order {
            let what = format!("get_overhead {mode}");
            let measured = child::run(
                bench.probes.command("get_overhead").args([
                    mode,
                    &server.base_url,
                    &token,
                    &calls.to_string(),
                ]),
                Duration::from_secs(300),
            )?;
            let line = child::json_line(&measured, &what)?;
            let i = usize::from(mode == "bare");
            wall[i].push(child::number(&line, "per_call_us", &what)?);
            // The whole process's CPU, warm-up and start-up included, per timed call: an
            // upper bound of the client's own work per request.
            cpu[i].push(measured.cpu.as_secs_f64() * 1e6 / calls as f64);
        }
    }
    let s = |v: &[f64]| Summary::of(v).ok_or_else(|| "no get runs".to_owned());
    let (rw, bw, rc, bc) = (s(&wall[0])?, s(&wall[1])?, s(&cpu[0])?, s(&cpu[1])?);
    let mut m = Measurement::default();
    m.outcomes.push(Outcome::judged(
        "Per-request overhead (small get)",
        format!("{:.1} µs per call, full runtime", rw.median),
        format!("{:.1} µs bare reqwest + serde_json", bw.median),
        rw.median / bw.median,
        Unit::Ratio,
        Limit::AtMost(1.1),
    ));
    m.details.push(Detail {
        heading: "Per-request overhead".into(),
        markdown: format!(
            "{calls} sequential `categories().get(id)` calls per `get_overhead` process after 50 \
             untimed ones, against one Cloudspot sandbox in another process on loopback; medians \
             of {} runs ± MAD.\n\n\
             | | wall per call | client CPU per call |\n|---|---|---|\n\
             | full runtime | {:.1} ± {:.1} µs | {:.1} µs |\n\
             | bare reqwest + serde_json | {:.1} ± {:.1} µs | {:.1} µs |\n\
             | ratio | {:.2}x | {:.2}x |\n",
            bench.runs,
            rw.median,
            rw.mad,
            rc.median,
            bw.median,
            bw.mad,
            bc.median,
            rw.median / bw.median,
            rc.median / bc.median,
        ),
        plot: None,
    });
    Ok(m)
}
