//! `cargo xtask bench`: measures the performance goals in one run on one machine, each against
//! a baseline measured in the same run, and writes BENCHMARKS.md with its plots.
//!
//! The figures come from probe processes (`tests/probes/`, built once in release) run as
//! children, so that CPU time and peak memory are each probe's own (`child`); servers run in
//! processes of their own (`probes::Server`). Nothing here asserts on time: `cargo test` only
//! checks the harness's pieces (statistics, plots, the report, the synthetic spec).

mod builds;
mod child;
mod codegen_time;
mod context;
mod decode;
mod listing;
mod memory;
mod probes;
mod report;
mod request;
mod results;
mod stats;
mod svg;
mod synthetic;
mod throughput;

use std::path::{Path, PathBuf};

use report::{Detail, Report};
use results::{Limit, Outcome, Unit};

/// Command-line options of `cargo xtask bench`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Fewer runs and smaller sizes; writes to target/bench/ instead of the repository.
    pub quick: bool,
    /// Also measure clean and incremental builds (minutes).
    pub builds: bool,
    /// Runs per figure (default 5, quick 3).
    pub runs: Option<usize>,
    /// Where BENCHMARKS.md and benchmarks/ go.
    pub out: Option<PathBuf>,
}

impl Options {
    /// `[--quick] [--builds] [--runs N] [--out DIR]` in any order.
    pub fn parse(args: &[&str]) -> Result<Options, String> {
        let mut options = Options::default();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            match *arg {
                "--quick" => options.quick = true,
                "--builds" => options.builds = true,
                "--runs" => {
                    let text = rest.next().ok_or("--runs needs a count")?;
                    let runs: usize = text
                        .parse()
                        .map_err(|_| format!("--runs takes a count, not `{text}`"))?;
                    if runs == 0 {
                        return Err("--runs must be at least 1".into());
                    }
                    options.runs = Some(runs);
                }
                "--out" => {
                    options.out = Some(PathBuf::from(rest.next().ok_or("--out needs a directory")?))
                }
                other => return Err(format!("unknown bench option `{other}`")),
            }
        }
        Ok(options)
    }
}

/// What one measurement found.
#[derive(Debug, Default)]
struct Measurement {
    outcomes: Vec<Outcome>,
    details: Vec<Detail>,
    /// Files for `benchmarks/` (name, content).
    files: Vec<(String, String)>,
}

/// What every measurement may use.
struct Bench<'a> {
    root: &'a Path,
    probes: probes::Probes,
    runs: usize,
    quick: bool,
    /// Scratch space: target/bench/.
    scratch: PathBuf,
    load_start: f64,
}

/// A measurement, by the name shown when it fails.
type Step = (&'static str, fn(&Bench) -> Result<Measurement, String>);

const STEPS: [Step; 5] = [
    ("decode", decode::measure),
    ("per-request overhead", request::measure),
    ("throughput", throughput::measure),
    ("memory", memory::measure),
    ("codegen", codegen_time::measure),
];

/// Runs every measurement, prints the table and writes the report. A measurement that fails is
/// reported and the others still run; the command then fails.
pub fn run(root: &Path, options: &Options, command: &str) -> Result<String, String> {
    let mut context = context::Context::start(root);
    let scratch = probes::target_dir(root).join("bench");
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let bench = Bench {
        root,
        probes: probes::Probes::build(root)?,
        runs: options.runs.unwrap_or(if options.quick { 3 } else { 5 }),
        quick: options.quick,
        scratch: scratch.clone(),
        load_start: context.load_start,
    };
    let mut all = Measurement::default();
    let mut failures = Vec::new();
    let builds: Step = ("builds", builds::measure);
    let steps = STEPS.iter().chain(options.builds.then_some(&builds));
    for (name, step) in steps {
        match step(&bench) {
            Ok(m) => {
                all.outcomes.extend(m.outcomes);
                all.details.extend(m.details);
                all.files.extend(m.files);
            }
            Err(e) => {
                eprintln!("bench: {name} failed: {e}");
                failures.push(format!("{name}: {e}"));
            }
        }
    }
    if !options.builds {
        for (goal, limit) in [
            ("Build, clean: runtime + erp-cloudspot", 60.0),
            ("Build, incremental after a one-line spec edit", 15.0),
        ] {
            all.outcomes.push(Outcome::pending(
                goal,
                Unit::Seconds,
                Limit::Below(limit),
                "not run (pass --builds)",
            ));
        }
    }
    all.outcomes.push(Outcome::pending(
        "Build, clean: Exact's crate",
        Unit::Seconds,
        Limit::Below(60.0),
        "pending issue 8",
    ));
    context.finish();
    let out = match (&options.out, options.quick) {
        (Some(dir), _) => root.join(dir),
        (None, true) => scratch,
        (None, false) => root.to_path_buf(),
    };
    let report = Report {
        context,
        outcomes: all.outcomes,
        details: all.details,
        command: command.to_owned(),
    };
    let written = write(&out, &report, &all.files)?;
    let table = report::console(&report.outcomes);
    if failures.is_empty() {
        Ok(format!("{table}\nwrote {written}"))
    } else {
        Err(format!(
            "{table}\nwrote {written}\n{} measurement(s) failed:\n  {}",
            failures.len(),
            failures.join("\n  ")
        ))
    }
}

/// Writes BENCHMARKS.md (keeping its hand-written analysis) and the plots; returns the path.
fn write(out: &Path, report: &Report, files: &[(String, String)]) -> Result<String, String> {
    let plots = out.join("benchmarks");
    std::fs::create_dir_all(&plots).map_err(|e| format!("{}: {e}", plots.display()))?;
    for (name, content) in files {
        let path = plots.join(name);
        std::fs::write(&path, content).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let path = out.join("BENCHMARKS.md");
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    let text = report::markdown(report, report::kept_analysis(&existing));
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path.display().to_string())
}

/// Seconds as milliseconds with two decimals.
fn ms(seconds: f64) -> String {
    format!("{:.2} ms", seconds * 1e3)
}

/// KiB as MiB with one decimal.
fn mib(kib: f64) -> String {
    format!("{:.1} MiB", kib / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        assert_eq!(Options::parse(&[]).unwrap(), Options::default());
        let o = Options::parse(&["--runs", "7", "--quick", "--builds", "--out", "x"]).unwrap();
        assert_eq!(
            o,
            Options {
                quick: true,
                builds: true,
                runs: Some(7),
                out: Some(PathBuf::from("x")),
            }
        );
        assert!(Options::parse(&["--runs"]).is_err());
        assert!(Options::parse(&["--runs", "0"]).is_err());
        assert!(Options::parse(&["--fast"]).unwrap_err().contains("--fast"));
    }

    #[test]
    fn units() {
        assert_eq!(ms(0.012_345), "12.35 ms");
        assert_eq!(mib(10_240.0), "10.0 MiB");
    }
}
