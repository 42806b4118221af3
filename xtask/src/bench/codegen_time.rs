//! Codegen goals: `cargo xtask codegen` over every spec, and the generator on a synthetic
//! Exact-sized spec (see [`super::synthetic`]), each under 3 s. Both run this xtask binary as a
//! child (`codegen`, `codegen --spec FILE --out DIR`), rustfmt passes included, cargo's own
//! start-up not.

use std::process::Command;
use std::time::Duration;

use super::report::Detail;
use super::results::{Limit, Outcome, Unit};
use super::stats::Summary;
use super::{Bench, Measurement, child, synthetic};

const LIMIT_S: f64 = 3.0;

pub fn measure(bench: &Bench) -> Result<Measurement, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the xtask binary: {e}"))?;
    // The generator is slow enough that 3 runs give a stable median.
    let runs = if bench.quick { 1 } else { bench.runs.min(3) };
    let dir = bench.scratch.join("synthetic");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let spec = dir.join(format!("{}.yaml", synthetic::VENDOR));
    std::fs::write(&spec, synthetic::spec_text())
        .map_err(|e| format!("{}: {e}", spec.display()))?;
    let out = dir.join("crate");

    let mut m = Measurement::default();
    let mut rows =
        String::from("| what | wall (median, min–max) | CPU (median) |\n|---|---|---|\n");
    let cases: [(&str, Vec<String>); 2] = [
        ("Codegen, all specs", vec!["codegen".into()]),
        (
            "Codegen, synthetic Exact-sized spec",
            vec![
                "codegen".into(),
                "--spec".into(),
                spec.display().to_string(),
                "--out".into(),
                out.display().to_string(),
            ],
        ),
    ];
    for (goal, args) in cases {
        eprintln!("bench: {goal}");
        let mut wall = Vec::new();
        let mut cpu = Vec::new();
        for _ in 0..runs {
            let mut command = Command::new(&exe);
            command.args(&args).current_dir(bench.root);
            let measured = child::run(&mut command, Duration::from_secs(600))?;
            wall.push(measured.wall.as_secs_f64());
            cpu.push(measured.cpu.as_secs_f64());
        }
        let w = Summary::of(&wall).ok_or("no codegen runs")?;
        let c = Summary::of(&cpu).ok_or("no codegen runs")?;
        rows.push_str(&format!(
            "| {goal} | {:.2} s ({:.2}–{:.2}) | {:.2} s |\n",
            w.median, w.min, w.max, c.median
        ));
        m.outcomes.push(Outcome::judged(
            goal,
            format!("{:.2} s wall, {:.2} s CPU", w.median, c.median),
            String::new(),
            w.median,
            Unit::Seconds,
            Limit::Below(LIMIT_S),
        ));
    }
    m.details.push(Detail {
        heading: "Codegen".into(),
        markdown: format!(
            "The xtask binary (debug, as `cargo xtask` builds it) run as a child; the synthetic spec \
             has {} entities of {} properties with list, get, create, update and delete each, \
             written to `target/bench/synthetic/`; medians of {runs} runs.\n\n{rows}",
            synthetic::ENTITIES,
            synthetic::PROPERTIES + 1
        ),
        plot: None,
    });
    Ok(m)
}
