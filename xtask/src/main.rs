//! `cargo xtask <task>`: project automation that needs no tools besides cargo and rustfmt.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask codegen [--check] | codegen --spec FILE --out DIR
       | import billomat [--check] [--catalogue PATH] | features
       | bench [--quick] [--builds] [--runs N] [--out DIR]

  codegen          regenerate every vendor crate under crates/ from specs/*.yaml, and remove
                   generated crates whose spec is gone
  codegen --check  exit non-zero and name the stale files and crates when generated code
                   differs from the specs
  import billomat  add to specs/billomat.yaml what Billomat's API catalogue documents and the
                   spec lacks (hand edits are kept), and write specs/billomat.coverage.md;
                   --check only says whether both are current; the catalogue is read from
                   ../shared/billomat-api-catalogue/billomat.json unless --catalogue names it
  codegen --spec FILE --out DIR
                   generate the crate of one spec file into DIR (the bench's synthetic spec)
  features         check that every generated crate builds with no features and with each
                   feature alone
  bench            measure the goals of issue 11 and write BENCHMARKS.md and benchmarks/*.svg;
                   --quick: fewer runs, smaller sizes, written to target/bench/; --builds: also
                   clean and incremental build times (minutes); --runs N: runs per figure";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["codegen"] => report(xtask::codegen::run(&root, xtask::codegen::Mode::Write)),
        ["codegen", "--check"] => report(xtask::codegen::run(&root, xtask::codegen::Mode::Check)),
        ["codegen", "--spec", spec, "--out", out] => {
            report(codegen_one(&PathBuf::from(spec), &PathBuf::from(out)))
        }
        ["features"] => report(xtask::features::check(&root)),
        ["bench", rest @ ..] => match xtask::bench::Options::parse(rest) {
            Ok(options) => report(xtask::bench::run(
                &root,
                &options,
                &format!("cargo xtask {}", args.join(" ")),
            )),
            Err(message) => {
                eprintln!("{message}\n\n{USAGE}");
                ExitCode::from(2)
            }
        },
        ["import", "billomat", rest @ ..] => match import_options(rest) {
            Some((mode, catalogue)) => {
                report(xtask::import::billomat(&root, catalogue.as_deref(), mode))
            }
            None => {
                eprintln!("unknown arguments: {}\n\n{USAGE}", args.join(" "));
                ExitCode::from(2)
            }
        },
        ["help" | "--help" | "-h"] | [] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("unknown arguments: {}\n\n{USAGE}", args.join(" "));
            ExitCode::from(2)
        }
    }
}

/// `[--check] [--catalogue PATH]` in any order.
fn import_options(args: &[&str]) -> Option<(xtask::import::Mode, Option<PathBuf>)> {
    let mut mode = xtask::import::Mode::Write;
    let mut catalogue = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match *arg {
            "--check" => mode = xtask::import::Mode::Check,
            "--catalogue" => catalogue = Some(PathBuf::from(rest.next()?)),
            _ => return None,
        }
    }
    Some((mode, catalogue))
}

/// Generates the crate of one spec file into `out` (through the generator's public API only).
fn codegen_one(spec: &std::path::Path, out: &std::path::Path) -> Result<String, String> {
    let spec = erp_spec::load(spec).map_err(|e| e.to_string())?;
    let files = xtask::codegen::generate(&spec)?;
    for (rel, content) in &files {
        let path = out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, content).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(format!(
        "generated {} files into {}",
        files.len(),
        out.display()
    ))
}

fn report(result: Result<String, String>) -> ExitCode {
    match result {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    // xtask/ sits directly below the workspace root.
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}
