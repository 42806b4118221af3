//! The code generator: specs IR -> one vendor crate per spec.
//!
//! Each emitter builds a `syn::File` with `quote!` and lays it out with prettyplease; then
//! [`format`] passes every crate through rustfmt at once. The output is deterministic: the
//! same specs always give byte-identical files.

mod docs;
mod format;
mod lib_rs;
mod manifest;
mod models;
mod names;
mod resources;
mod types;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use erp_spec::ir::Spec;

/// Whether to write the generated files or only compare them with what is on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

/// All files of one generated crate, keyed by path relative to the crate directory.
pub type CrateFiles = BTreeMap<PathBuf, String>;

/// Generates the files of one vendor crate.
pub fn generate(spec: &Spec) -> Result<CrateFiles, String> {
    let mut files = draft(spec)?;
    format::rustfmt_crates(&mut [&mut files])?;
    Ok(files)
}

/// The files of one vendor crate, Rust laid out by prettyplease but not yet by rustfmt.
fn draft(spec: &Spec) -> Result<CrateFiles, String> {
    let mut files = CrateFiles::new();
    files.insert("Cargo.toml".into(), manifest::cargo_toml(spec));
    files.insert("README.md".into(), manifest::readme(spec));
    files.insert("src/lib.rs".into(), lay_out(spec, lib_rs::emit(spec))?);
    files.insert("src/models.rs".into(), lay_out(spec, models::emit(spec))?);
    files.insert(
        "src/resources/mod.rs".into(),
        lay_out(spec, resources::emit_mod(spec))?,
    );
    for resource in &spec.resources {
        let path = PathBuf::from(format!("src/resources/{}.rs", resource.rust_name));
        files.insert(
            path,
            lay_out(spec, resources::emit_resource(spec, resource))?,
        );
    }
    Ok(files)
}

/// One file's code, parsed and laid out by prettyplease under the generated-file header.
fn lay_out(spec: &Spec, tokens: proc_macro2::TokenStream) -> Result<String, String> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| {
        format!(
            "{}: generated code does not parse (generator bug): {e}",
            spec.source
        )
    })?;
    Ok(format!(
        "{}\n{}",
        header(spec),
        add_blank_lines(&prettyplease::unparse(&file))
    ))
}

/// prettyplease packs items together; put the blank lines back that a person would write
/// between items, so generated code reads like hand-written code.
fn add_blank_lines(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + code.len() / 8);
    let mut prev = "";
    for line in code.lines() {
        let cur = line.trim_start();
        let top_level = !line.starts_with(' ');
        let prev_trim = prev.trim();
        let prev_is_decoration = prev_trim.starts_with("///")
            || prev_trim.starts_with("#[")
            || prev_trim.starts_with("//");
        let prev_opens = prev_trim.ends_with('{')
            || prev_trim.ends_with('(')
            || prev_trim.ends_with('[')
            || prev_trim.ends_with(',');
        let starts_item = cur.starts_with("///") || (cur.starts_with("#[") && !prev_is_decoration);
        // Doc comments are text, never reflowed: a blank line would split a code example.
        let in_docs = prev_trim.starts_with("//") && cur.starts_with("//");
        let needs_blank = !prev_trim.is_empty()
            && !in_docs
            && ((starts_item && !prev_is_decoration && !prev_opens)
                || (prev_trim.starts_with("#![") && !cur.starts_with("#!["))
                || (top_level
                    && !prev.starts_with(' ')
                    && (prev_trim == "}" || prev_trim == "};" || prev_trim.ends_with(");"))
                    && !cur.starts_with('}'))
                || (top_level
                    && prev_trim.starts_with("use ")
                    && !cur.starts_with("use ")
                    && !cur.starts_with('}')));
        if needs_blank {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        prev = line;
    }
    out
}

fn header(spec: &Spec) -> String {
    format!(
        "// {GENERATED_FROM}{}.\n// Edit the spec and run the generator again.",
        spec_display_path(&spec.source)
    )
}

/// A folder of specs and the folder their crates are generated into.
#[derive(Debug, Clone, Copy)]
struct SpecSet {
    specs: &'static str,
    crates: &'static str,
}

/// The vendors' specs, and the synthetic specs of the conformance suite (generated like any
/// vendor so that every style the format can express is compiled, not only served).
const SPEC_SETS: [SpecSet; 2] = [
    SpecSet {
        specs: "specs",
        crates: "crates",
    },
    SpecSet {
        specs: "tests/conformance",
        crates: "tests/conformance/crates",
    },
];

/// The spec path relative to the workspace (`specs/billomat.yaml`), whatever path it was loaded by.
pub(crate) fn spec_display_path(source: &str) -> String {
    SPEC_SETS
        .iter()
        .filter_map(|set| source.rfind(&format!("{}/", set.specs)))
        .min()
        .map_or_else(|| source.to_owned(), |i| source[i..].to_owned())
}

/// The folder a spec's crate is generated into (`crates`, `tests/conformance/crates`).
pub(crate) fn crates_dir_of(source: &str) -> &'static str {
    let shown = spec_display_path(source);
    SPEC_SETS
        .iter()
        .find(|set| shown.starts_with(&format!("{}/", set.specs)))
        .map_or("crates", |set| set.crates)
}

/// Loads every spec and writes or checks every generated crate. Returns a summary line.
pub fn run(root: &Path, mode: Mode) -> Result<String, String> {
    // Every crate is drafted first so that rustfmt starts once for all of them.
    let mut sets = Vec::new();
    for set in SPEC_SETS {
        if !root.join(set.specs).is_dir() {
            continue;
        }
        let specs = erp_spec::load_dir(&root.join(set.specs)).map_err(|e| e.to_string())?;
        let crates = specs.iter().map(draft).collect::<Result<Vec<_>, _>>()?;
        sets.push((set, specs, crates));
    }
    let mut all: Vec<&mut CrateFiles> = sets
        .iter_mut()
        .flat_map(|(_, _, crates)| crates.iter_mut())
        .collect();
    format::rustfmt_crates(&mut all)?;
    let mut names = Vec::new();
    let mut stale = Vec::new();
    let mut written = 0;
    for (set, specs, crates) in &sets {
        let (set_names, set_written) = apply_set(root, *set, specs, crates, mode, &mut stale)?;
        names.extend(set_names);
        written += set_written;
    }
    if !stale.is_empty() {
        return Err(format!(
            "generated code is out of date with its specs ({} files):\n  {}\nrun `cargo xtask codegen` and commit the result",
            stale.len(),
            stale.join("\n  ")
        ));
    }
    Ok(match mode {
        Mode::Check => format!("generated crates are up to date: {}", names.join(", ")),
        Mode::Write => format!("generated {} ({written} files changed)", names.join(", ")),
    })
}

/// One set of specs and their generated `crates`: writes (or checks) them, returns their names
/// and the number of files written.
fn apply_set(
    root: &Path,
    set: SpecSet,
    specs: &[Spec],
    crates: &[CrateFiles],
    mode: Mode,
    stale: &mut Vec<String>,
) -> Result<(Vec<String>, usize), String> {
    let mut written = 0;
    for (spec, files) in specs.iter().zip(crates) {
        let dir = root.join(set.crates).join(spec.vendor.crate_name());
        for (rel, content) in files {
            let path = dir.join(rel);
            let current = std::fs::read_to_string(&path).ok();
            if current.as_deref() == Some(content.as_str()) {
                continue;
            }
            match mode {
                Mode::Check => stale.push(format!(
                    "{} ({})",
                    display(root, &path),
                    if current.is_some() {
                        "differs"
                    } else {
                        "missing"
                    }
                )),
                Mode::Write => {
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent)
                            .map_err(|e| format!("{}: {e}", parent.display()))?;
                    }
                    std::fs::write(&path, content)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    written += 1;
                }
            }
        }
        // Files a previous spec generated but the current one does not (a removed resource).
        for extra in leftover_sources(&dir, files) {
            match mode {
                Mode::Check => {
                    stale.push(format!("{} (no longer generated)", display(root, &extra)))
                }
                Mode::Write => {
                    std::fs::remove_file(&extra)
                        .map_err(|e| format!("{}: {e}", extra.display()))?;
                    written += 1;
                }
            }
        }
    }
    // Crates generated from a spec that is gone (a vendor removed or its spec renamed).
    let current: Vec<String> = specs.iter().map(|s| s.vendor.crate_name()).collect();
    let mut refused = Vec::new();
    for orphan in orphaned_crates(root, set.crates, &current) {
        let dir = display(root, &orphan.dir);
        if !orphan.hand_written.is_empty() {
            // Never delete what a person wrote, even inside a generated crate.
            refused.push(format!(
                "{dir}/ was generated from {}, which no longer exists, but also holds files without the generated header ({}); remove or move them, then run `cargo xtask codegen` again",
                orphan.spec,
                orphan
                    .hand_written
                    .iter()
                    .map(|p| display(&orphan.dir, p))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            continue;
        }
        match mode {
            Mode::Check => stale.push(format!(
                "{dir}/ (its spec {} no longer exists)",
                orphan.spec
            )),
            Mode::Write => {
                std::fs::remove_dir_all(&orphan.dir)
                    .map_err(|e| format!("{}: {e}", orphan.dir.display()))?;
                written += orphan.files;
            }
        }
    }
    if !refused.is_empty() {
        return Err(refused.join("\n"));
    }
    Ok((current, written))
}

/// A crate directory whose files say they were generated from a spec file that is gone.
struct Orphan {
    dir: PathBuf,
    /// The spec named in its header, e.g. `specs/acme.yaml`.
    spec: String,
    files: usize,
    /// Files in it that do not carry that header.
    hand_written: Vec<PathBuf>,
}

/// The text every generated file starts with (after its comment marker), then the spec path.
const GENERATED_FROM: &str = "DO NOT EDIT. Generated by `cargo xtask codegen` from ";

/// The spec a generated file names in its first line (`specs/acme.yaml`), if it is one.
pub fn generated_from(content: &str) -> Option<&str> {
    let first = content.lines().next()?;
    let rest = ["// ", "# ", "<!-- "]
        .iter()
        .find_map(|marker| first.strip_prefix(marker))?
        .strip_prefix(GENERATED_FROM)?;
    let spec = rest.split_whitespace().next()?.trim_end_matches('.');
    SPEC_SETS
        .iter()
        .any(|set| spec.starts_with(&format!("{}/", set.specs)))
        .then_some(spec)
}

/// Generated crates under `crates/` that no current spec generates and whose spec is gone.
/// A crate counts as generated only if its `Cargo.toml` carries the header, so hand-written
/// crates (the runtime, the sandbox) are never touched.
fn orphaned_crates(root: &Path, crates: &str, current: &[String]) -> Vec<Orphan> {
    let Ok(entries) = std::fs::read_dir(root.join(crates)) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if current.iter().any(|c| c == name) {
            continue;
        }
        let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let Some(spec) = generated_from(&manifest) else {
            continue;
        };
        if root.join(spec).exists() {
            continue;
        }
        let files = files_below(&dir);
        let hand_written = files
            .iter()
            .filter(|f| {
                std::fs::read_to_string(f)
                    .map(|c| generated_from(&c) != Some(spec))
                    .unwrap_or(true)
            })
            .cloned()
            .collect();
        out.push(Orphan {
            spec: spec.to_owned(),
            files: files.len(),
            hand_written,
            dir,
        });
    }
    out
}

/// Every file below `dir`, sorted; symbolic links count as files (never followed).
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir {
                pending.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

fn display(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn leftover_sources(dir: &Path, files: &CrateFiles) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in ["src", "src/resources"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .collect();
        paths.sort();
        for path in paths {
            let rel = path
                .strip_prefix(dir)
                .map(Path::to_path_buf)
                .unwrap_or_default();
            if !files.contains_key(&rel) {
                out.push(path);
            }
        }
    }
    out
}
