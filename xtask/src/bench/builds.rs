//! Build goals (behind `--builds`, they take minutes): a clean debug build of the runtime and a
//! small vendor crate (erp-cloudspot) under 60 s, and its incremental rebuild after a one-line
//! spec edit (regenerated) under 15 s, in a target directory of their own under target/bench/
//! so that the workspace's own build is neither reused nor disturbed.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::probes::cargo;
use super::report::Detail;
use super::results::{Limit, Outcome, Unit};
use super::{Bench, Measurement, child};

const SPEC: &str = "specs/cloudspot.yaml";
/// The line the incremental build edits (a doc string, so the crate still builds).
const EDITED: &str = "    doc: Products of the token's company.";

pub fn measure(bench: &Bench) -> Result<Measurement, String> {
    let target = bench.scratch.join("builds");
    if target.exists() {
        std::fs::remove_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
    }
    eprintln!("bench: clean debug build of erp-cloudspot (minutes)");
    let clean = build(bench.root, &target)?;
    eprintln!("bench: incremental build after a spec edit");
    let (codegen, incremental) = with_edited_spec(bench.root, || build(bench.root, &target))?;
    let mut m = Measurement::default();
    m.outcomes.push(Outcome::judged(
        "Build, clean: runtime + erp-cloudspot",
        format!(
            "{:.1} s wall, {:.1} s CPU",
            clean.wall.as_secs_f64(),
            clean.cpu.as_secs_f64()
        ),
        String::new(),
        clean.wall.as_secs_f64(),
        Unit::Seconds,
        Limit::Below(60.0),
    ));
    m.outcomes.push(Outcome::judged(
        "Build, incremental after a one-line spec edit",
        format!(
            "{:.1} s (plus {:.1} s codegen)",
            incremental.wall.as_secs_f64(),
            codegen
        ),
        String::new(),
        incremental.wall.as_secs_f64(),
        Unit::Seconds,
        Limit::Below(15.0),
    ));
    m.details.push(Detail {
        heading: "Builds".into(),
        markdown: format!(
            "`cargo build -p erp-cloudspot` (debug) in an emptied `target/bench/builds/`, once; \
             then a doc line of `{SPEC}` is changed, `cargo xtask codegen` run and the build \
             repeated, and the spec restored and regenerated. Exact's crate: pending issue 8. \
             Load average at the start of the run: {:.2}.\n",
            bench.load_start
        ),
        plot: None,
    });
    Ok(m)
}

fn build(root: &Path, target: &Path) -> Result<child::Measured, String> {
    let mut command = Command::new(cargo());
    command
        .args(["build", "--quiet", "-p", "erp-cloudspot"])
        .env("CARGO_TARGET_DIR", target)
        .current_dir(root);
    child::run(&mut command, Duration::from_secs(1800))
}

/// Runs `f` with one doc line of the Cloudspot spec changed and regenerated; restores the spec
/// and regenerates again whatever `f` did. Returns the codegen seconds and `f`'s result.
fn with_edited_spec<T>(
    root: &Path,
    f: impl FnOnce() -> Result<T, String>,
) -> Result<(f64, T), String> {
    let path = root.join(SPEC);
    let original = std::fs::read_to_string(&path).map_err(|e| format!("{SPEC}: {e}"))?;
    if !original.contains(EDITED) {
        return Err(format!(
            "{SPEC} no longer has the line `{EDITED}` the build goal edits"
        ));
    }
    let edited = original.replacen(EDITED, &format!("{EDITED} (edited by the bench)"), 1);
    std::fs::write(&path, edited).map_err(|e| format!("{SPEC}: {e}"))?;
    let result = regenerate(root).and_then(|codegen| Ok((codegen, f()?)));
    let restored = std::fs::write(&path, &original)
        .map_err(|e| format!("restoring {SPEC}: {e}"))
        .and_then(|()| regenerate(root));
    let value = result?;
    restored?;
    Ok(value)
}

fn regenerate(root: &Path) -> Result<f64, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the xtask binary: {e}"))?;
    let mut command = Command::new(exe);
    command.arg("codegen").current_dir(root);
    Ok(child::run(&mut command, Duration::from_secs(600))?
        .wall
        .as_secs_f64())
}
