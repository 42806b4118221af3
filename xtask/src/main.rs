//! `cargo xtask <task>`: project automation that needs no tools besides cargo and rustfmt.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask codegen [--check] | features

  codegen          regenerate every vendor crate under crates/ from specs/*.yaml, and remove
                   generated crates whose spec is gone
  codegen --check  exit non-zero and name the stale files and crates when generated code
                   differs from the specs
  features         check that every generated crate builds with no features and with each
                   feature alone";

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
        ["features"] => report(xtask::features::check(&root)),
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
