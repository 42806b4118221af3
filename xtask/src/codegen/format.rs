//! The last step of generation: generated Rust laid out as `cargo fmt` would leave it.
//!
//! prettyplease lays each file out deterministically, but rustfmt disagrees with it on some
//! layouts, and the workspace's `cargo fmt` must leave generated crates untouched. rustfmt
//! costs a process start per run, which dominated codegen when it ran once per file (an
//! Exact-sized spec has hundreds). So every crate is written to a scratch folder with its real
//! layout and rustfmt is started once per pass for a share of the crates, given only their
//! `src/lib.rs`: it follows `mod` declarations (whatever their `cfg`) to every other file.
//! Passes repeat until nothing changes, because rustfmt does not always reach its fixed point
//! in one pass on prettyplease output.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::CrateFiles;

/// How many passes rustfmt gets to reach its fixed point.
const PASSES: usize = 3;

/// Formats the Rust files of every crate in `crates` in place.
pub(super) fn rustfmt_crates(crates: &mut [&mut CrateFiles]) -> Result<(), String> {
    for files in crates.iter() {
        check_reachable(files)?;
    }
    let scratch = Scratch::new()?;
    for (i, files) in crates.iter().enumerate() {
        for (rel, text) in rust_files(files) {
            scratch.write(&crate_dir(i).join(rel), text)?;
        }
    }
    let mut pending: Vec<usize> = (0..crates.len()).collect();
    for _ in 0..PASSES {
        if pending.is_empty() {
            break;
        }
        let roots: Vec<PathBuf> = pending
            .iter()
            .map(|&i| scratch.path(&crate_dir(i).join("src/lib.rs")))
            .collect();
        run_rustfmt(&roots)?;
        let mut changed = Vec::new();
        for &i in &pending {
            let mut any = false;
            for (rel, text) in crates[i].iter_mut().filter(|(rel, _)| is_rust(rel)) {
                let formatted = scratch.read(&crate_dir(i).join(rel))?;
                if formatted != *text {
                    *text = formatted;
                    any = true;
                }
            }
            if any {
                changed.push(i);
            }
        }
        pending = changed;
    }
    Ok(())
}

fn crate_dir(i: usize) -> PathBuf {
    PathBuf::from(format!("crate-{i}"))
}

fn is_rust(rel: &Path) -> bool {
    rel.extension().is_some_and(|x| x == "rs")
}

fn rust_files(files: &CrateFiles) -> impl Iterator<Item = (&PathBuf, &String)> {
    files.iter().filter(|(rel, _)| is_rust(rel))
}

/// rustfmt reaches a file only through a `mod` declaration in its parent module, so a file the
/// emitters wrote but no module declares would silently stay unformatted: refuse it instead.
fn check_reachable(files: &CrateFiles) -> Result<(), String> {
    for (rel, _) in rust_files(files) {
        if rel == Path::new("src/lib.rs") {
            continue;
        }
        let (parent, name) = parent_module(rel)
            .ok_or_else(|| format!("{}: not inside src/ (generator bug)", rel.display()))?;
        let declared = files.get(&parent).is_some_and(|text| {
            text.lines().any(|line| {
                let line = line.trim_start();
                let line = line.strip_prefix("pub ").unwrap_or(line);
                line.strip_prefix("mod ")
                    .is_some_and(|rest| rest.trim_end() == format!("{name};"))
            })
        });
        if !declared {
            return Err(format!(
                "{}: no `mod {name};` in {} declares it, so it would not be compiled or formatted (generator bug)",
                rel.display(),
                parent.display()
            ));
        }
    }
    Ok(())
}

/// The file declaring the module of `rel`, and the module's name: `src/resources/mod.rs` and
/// `clients` for `src/resources/clients.rs`; `src/lib.rs` and `resources` for
/// `src/resources/mod.rs`.
fn parent_module(rel: &Path) -> Option<(PathBuf, String)> {
    let stem = rel.file_stem()?.to_str()?;
    let dir = rel.parent()?;
    let (dir, name) = if stem == "mod" {
        (dir.parent()?, dir.file_name()?.to_str()?)
    } else {
        (dir, stem)
    };
    let parent = if dir == Path::new("src") {
        PathBuf::from("src/lib.rs")
    } else if dir.starts_with("src") {
        dir.join("mod.rs")
    } else {
        return None;
    };
    Some((parent, name.to_owned()))
}

/// Runs rustfmt in place over the crates rooted at `roots`, split among as many processes as
/// there are cores.
fn run_rustfmt(roots: &[PathBuf]) -> Result<(), String> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let share = roots.len().div_ceil(cores).max(1);
    std::thread::scope(|scope| {
        let runs: Vec<_> = roots
            .chunks(share)
            .map(|chunk| scope.spawn(move || rustfmt_files(chunk)))
            .collect();
        runs.into_iter().try_for_each(|run| {
            run.join()
                .map_err(|_| "rustfmt: a formatting thread panicked".to_owned())?
        })
    })
}

fn rustfmt_files(files: &[PathBuf]) -> Result<(), String> {
    let program = std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".to_owned());
    let mut command = Command::new(&program);
    command.args(["--edition", "2024", "--style-edition", "2024", "--quiet"]);
    // rustfmt looks for its configuration beside the files it formats, which here are in a
    // scratch folder: point it at the workspace's own, the one `cargo fmt` will use.
    if let Some(config) = workspace_config() {
        command.arg("--config-path").arg(config);
    }
    let output = command
        .args(files)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            format!("cannot run `{program}` ({e}); install it with `rustup component add rustfmt`")
        })?;
    if !output.status.success() {
        return Err(format!(
            "rustfmt rejected generated code (generator bug): {}{}",
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout)
        ));
    }
    Ok(())
}

/// The rustfmt configuration of the folder `cargo xtask` runs in or the nearest folder above it
/// (`rustfmt.toml` or `.rustfmt.toml`), if there is one.
fn workspace_config() -> Option<PathBuf> {
    let here = std::env::current_dir().ok()?;
    here.ancestors()
        .flat_map(|dir| [dir.join("rustfmt.toml"), dir.join(".rustfmt.toml")])
        .find(|path| path.is_file())
}

/// A scratch folder under the system's temporary folder, removed when dropped.
struct Scratch {
    root: PathBuf,
}

impl Scratch {
    fn new() -> Result<Self, String> {
        use std::sync::atomic::{AtomicU64, Ordering};
        // Unique within the process (tests generate in parallel) and across processes.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let root = std::env::temp_dir().join(format!(
            "erp-codegen-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
        Ok(Scratch { root })
    }

    fn path(&self, rel: &Path) -> PathBuf {
        self.root.join(rel)
    }

    fn write(&self, rel: &Path, text: &str) -> Result<(), String> {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn read(&self, rel: &Path) -> Result<String, String> {
        let path = self.path(rel);
        std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crate_of(files: &[(&str, &str)]) -> CrateFiles {
        files
            .iter()
            .map(|(rel, text)| (PathBuf::from(rel), (*text).to_owned()))
            .collect()
    }

    #[test]
    fn every_file_of_every_crate_is_formatted_in_one_go() {
        let mut a = crate_of(&[
            ("Cargo.toml", "[package]\nname  =  \"a\"\n"),
            (
                "src/lib.rs",
                "pub mod models;\n#[cfg(feature = \"x\")]\npub mod resources;\n",
            ),
            ("src/models.rs", "pub struct  A { pub x : u8 }\n"),
            ("src/resources/mod.rs", "pub mod clients;\n"),
            ("src/resources/clients.rs", "fn  f( ) -> u8 { 1 }\n"),
        ]);
        let mut b = crate_of(&[("src/lib.rs", "pub fn  g(){}\n")]);
        rustfmt_crates(&mut [&mut a, &mut b]).unwrap();
        assert_eq!(
            a[Path::new("src/models.rs")],
            "pub struct A {\n    pub x: u8,\n}\n"
        );
        assert_eq!(
            a[Path::new("src/resources/clients.rs")],
            "fn f() -> u8 {\n    1\n}\n"
        );
        assert_eq!(b[Path::new("src/lib.rs")], "pub fn g() {}\n");
        // Not Rust: left as written.
        assert_eq!(a[Path::new("Cargo.toml")], "[package]\nname  =  \"a\"\n");
    }

    #[test]
    fn a_file_no_module_declares_is_refused() {
        let mut a = crate_of(&[
            ("src/lib.rs", "pub mod models;\n"),
            ("src/models.rs", ""),
            ("src/resources/clients.rs", ""),
        ]);
        let error = rustfmt_crates(&mut [&mut a]).unwrap_err();
        assert!(
            error.contains("src/resources/clients.rs") && error.contains("src/resources/mod.rs"),
            "{error}"
        );
    }

    #[test]
    fn code_rustfmt_cannot_parse_is_a_generator_bug() {
        let mut a = crate_of(&[("src/lib.rs", "fn (\n")]);
        let error = rustfmt_crates(&mut [&mut a]).unwrap_err();
        assert!(error.contains("generator bug"), "{error}");
    }
}
