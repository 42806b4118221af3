//! The results as a console table and as BENCHMARKS.md. The file is rewritten on every real
//! run except what follows its [`ANALYSIS`] heading, which people write (where the time goes in
//! each missed goal, from callgrind) and the harness keeps.

use std::fmt::Write;

use super::context::Context;
use super::results::Outcome;

/// The heading after which BENCHMARKS.md is hand-written and kept.
pub const ANALYSIS: &str = "## Where the time goes";

/// Everything one run found.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub context: Context,
    pub outcomes: Vec<Outcome>,
    /// Extra figures per measurement, as markdown under a heading of their own.
    pub details: Vec<Detail>,
    /// The command line that produced it (`cargo xtask bench --runs 5`).
    pub command: String,
}

/// A measurement's own figures (a table per k, sizes), and its plot if it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    pub heading: String,
    pub markdown: String,
    /// A file in `benchmarks/` and its alternative text.
    pub plot: Option<(String, String)>,
}

/// A fixed-width table of the outcomes for the terminal.
pub fn console(outcomes: &[Outcome]) -> String {
    let rows: Vec<[String; 5]> = outcomes
        .iter()
        .map(|o| {
            [
                o.goal.clone(),
                o.limit.show(o.unit),
                o.figure_text(),
                o.status_text().replace("**", ""),
                o.measured.clone(),
            ]
        })
        .collect();
    let header = [
        "goal".to_owned(),
        "target".to_owned(),
        "figure".to_owned(),
        "status".to_owned(),
        "measured".to_owned(),
    ];
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}

/// BENCHMARKS.md: `kept` is the text of the previous file from [`ANALYSIS`] on, if any.
pub fn markdown(report: &Report, kept: Option<&str>) -> String {
    let c = &report.context;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Benchmarks\n\n\
         The goals of issue 11, each a ratio against a baseline measured in the same run on the\n\
         same machine (medians of the runs; spread in the details). Written by\n\
         `{}`; everything above \"{}\" is rewritten by the next run.\n\n\
         Reproduce: `cargo xtask bench` (about ten minutes on two cores; `--builds` adds the\n\
         clean and incremental build times, `--quick` is a smoke run that writes to\n\
         `target/bench/` instead, `--runs N` sets the runs per figure).\n",
        report.command,
        ANALYSIS.trim_start_matches("## ")
    );
    let _ = writeln!(out, "## Machine\n\n| | |\n|---|---|");
    let _ = writeln!(out, "| date | {} |", c.date);
    let _ = writeln!(out, "| commit | `{}` |", c.commit);
    let _ = writeln!(out, "| rustc | {} |", c.rustc);
    let _ = writeln!(out, "| CPU | {} ({} cores) |", c.cpu, c.cores);
    let _ = writeln!(
        out,
        "| load average (1 min) | {:.2} at the start, {:.2} at the end |\n",
        c.load_start, c.load_end
    );
    let _ = writeln!(
        out,
        "## Goals\n\n| goal | target | measured | baseline | figure | status |\n|---|---|---|---|---|---|"
    );
    for o in &report.outcomes {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            o.goal,
            o.limit.show(o.unit),
            cell(&o.measured),
            cell(&o.baseline),
            o.figure_text(),
            o.status_text()
        );
    }
    out.push('\n');
    for d in &report.details {
        let _ = writeln!(out, "## {}\n\n{}", d.heading, d.markdown.trim_end());
        if let Some((file, alt)) = &d.plot {
            let _ = writeln!(out, "\n![{alt}](benchmarks/{file})");
        }
        out.push('\n');
    }
    match kept {
        Some(text) => out.push_str(text.trim_end()),
        None => {
            let _ = write!(
                out,
                "{ANALYSIS}\n\nFor each missed goal: the top functions by instructions \
                 (`valgrind --tool=callgrind` on the probe, `callgrind_annotate`) and what would \
                 close it."
            );
        }
    }
    out.push('\n');
    out
}

/// The hand-written end of an existing BENCHMARKS.md, from its [`ANALYSIS`] heading on.
pub fn kept_analysis(existing: &str) -> Option<&str> {
    let at = existing
        .match_indices(ANALYSIS)
        .find(|(i, _)| *i == 0 || existing.as_bytes()[i - 1] == b'\n')?
        .0;
    Some(&existing[at..])
}

fn cell(text: &str) -> String {
    if text.is_empty() {
        "-".to_owned()
    } else {
        text.replace('|', "\\|")
    }
}

#[cfg(test)]
mod tests {
    use super::super::results::{Limit, Unit};
    use super::*;

    fn report() -> Report {
        Report {
            context: Context {
                commit: "abc1234567".into(),
                rustc: "rustc 1.95.0".into(),
                cpu: "Some CPU".into(),
                cores: 2,
                date: "2026-12-04".into(),
                load_start: 0.5,
                load_end: 1.25,
            },
            outcomes: vec![
                Outcome::judged(
                    "Decode, Billomat",
                    "12.0 ms CPU".into(),
                    "10.0 ms CPU".into(),
                    1.2,
                    Unit::Ratio,
                    Limit::AtMost(1.3),
                ),
                Outcome::pending(
                    "Build, Exact",
                    Unit::Seconds,
                    Limit::Below(60.0),
                    "pending issue 8",
                ),
            ],
            details: vec![Detail {
                heading: "Throughput".into(),
                markdown: "| k | records/s |\n|---|---|\n| 1 | 17000 |\n".into(),
                plot: Some(("throughput.svg".into(), "records/s against k".into())),
            }],
            command: "cargo xtask bench".into(),
        }
    }

    #[test]
    fn renders_every_goal_and_keeps_the_analysis() {
        let first = markdown(&report(), None);
        assert!(
            first.contains(
                "| Decode, Billomat | <= 1.3x | 12.0 ms CPU | 10.0 ms CPU | 1.20x | met |"
            )
        );
        assert!(first.contains("| Build, Exact | < 60 s | - | - | - | pending issue 8 |"));
        assert!(first.contains("| commit | `abc1234567` |"));
        assert!(first.contains("![records/s against k](benchmarks/throughput.svg)"));
        assert_eq!(first.matches(ANALYSIS).count(), 1);
        let kept = format!("{ANALYSIS}\n\nDecoding: most time in serde_json.");
        let second = markdown(&report(), Some(&kept));
        assert!(second.ends_with("Decoding: most time in serde_json.\n"));
        assert_eq!(
            kept_analysis(&second).map(str::trim_end),
            Some(kept.as_str())
        );
        // Deterministic: the same report gives the same text.
        assert_eq!(markdown(&report(), None), first);
    }

    #[test]
    fn console_table_aligns_columns() {
        let table = console(&report().outcomes);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        let column = lines[0].find("target").unwrap();
        assert_eq!(lines[1].find("<= 1.3x"), Some(column));
        assert!(lines[2].contains("pending issue 8"));
    }

    #[test]
    fn the_heading_counts_only_at_a_line_start() {
        assert_eq!(kept_analysis("text ## Where the time goes"), None);
        assert_eq!(
            kept_analysis("a\n## Where the time goes\nx"),
            Some("## Where the time goes\nx")
        );
    }
}
