//! The generated crate's `Cargo.toml` and `README.md`.

use std::fmt::Write as _;

use erp_spec::ir::{AuthScheme, Paging, Returns, Spec};

use super::names::client_type;
use super::{GENERATED_FROM, spec_display_path};

pub fn cargo_toml(spec: &Spec) -> String {
    let mut out = String::new();
    let source = spec_display_path(&spec.source);
    let features: Vec<String> = spec
        .resources
        .iter()
        .map(|r| format!("\"{}\"", r.feature))
        .collect();
    let _ = writeln!(out, "# {GENERATED_FROM}{source}.");
    let _ = writeln!(out, "[package]");
    let _ = writeln!(out, "name = \"{}\"", spec.vendor.crate_name());
    let _ = writeln!(
        out,
        "description = \"Typed client for the {} API, generated from {source}.\"",
        spec.vendor.title
    );
    let _ = writeln!(
        out,
        "version.workspace = true\nedition.workspace = true\nlicense.workspace = true\npublish = false\nreadme = \"README.md\""
    );
    let _ = writeln!(
        out,
        "\n# One feature per resource, all on by default: disable default features and pick the"
    );
    let _ = writeln!(out, "# resources you call to build less code.\n[features]");
    let _ = writeln!(out, "default = [{}]", features.join(", "));
    for r in &spec.resources {
        let _ = writeln!(out, "{} = []", r.feature);
    }
    let _ = writeln!(
        out,
        "\n[dependencies]\nerp-runtime = {{ workspace = true }}\nserde = {{ workspace = true }}\n\n# The README's example is compiled as a doctest.\n[dev-dependencies]\ntokio = {{ workspace = true }}"
    );
    out
}

pub fn readme(spec: &Spec) -> String {
    let client = client_type(&spec.vendor.name);
    let krate = spec.vendor.crate_name();
    let source = spec_display_path(&spec.source);
    let mut out = String::new();
    let _ = writeln!(out, "<!-- {GENERATED_FROM}{source}. -->");
    let _ = writeln!(
        out,
        "# {krate}\n\nTyped Rust client for the [{}]({}) API.\n",
        spec.vendor.title, spec.vendor.docs_url
    );
    let _ = writeln!(out, "{}\n", spec.vendor.description.trim());
    let _ = writeln!(
        out,
        "```toml\n[dependencies]\n{krate} = {{ path = \"crates/{krate}\" }}\ntokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n```\n"
    );
    // The crate docs' example, without the lines rustdoc hides (they only make it compile).
    let _ = writeln!(out, "```rust,no_run\n{}```\n", readme_program(spec));
    let auth = match &spec.auth.scheme {
        AuthScheme::Headers(h) => h
            .iter()
            .map(|h| {
                format!(
                    "`{}`{}",
                    h.name,
                    if h.required { "" } else { " (optional)" }
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        AuthScheme::Basic { .. } => "HTTP Basic".to_owned(),
        AuthScheme::OAuth2 { .. } => "OAuth2".to_owned(),
    };
    let paging = match &spec.paging {
        Paging::None => "none (whole lists in one response)".to_owned(),
        Paging::PageNumber {
            page_param,
            size_param,
            default_size,
            max_size,
            ..
        } => {
            format!(
                "`{page_param}` / `{size_param}` (default {default_size}, at most {max_size}); lists are lazy streams"
            )
        }
        Paging::NextLink { field } => format!("next links in `{field}`"),
        Paging::Cursor { param, field } => format!("cursor `{param}` from each item's `{field}`"),
    };
    let _ = writeln!(
        out,
        "- Client type: `{client}` (`{client}::builder(..)`), base URL `{}`",
        spec.base_url.template
    );
    let _ = writeln!(out, "- Authentication: {auth}");
    let _ = writeln!(out, "- Paging: {paging}");
    if let Some(rl) = &spec.rate_limit {
        let _ = writeln!(
            out,
            "- Rate limit: {} requests per {} s; the client reads `{}` / `{}` and waits for the reset",
            rl.quota, rl.window_seconds, rl.remaining_header, rl.reset_header
        );
    }
    let _ = writeln!(
        out,
        "\n## Operations\n\n| Resource (feature) | Method | HTTP | Description |\n|---|---|---|---|"
    );
    for r in &spec.resources {
        for op in &r.operations {
            let call = match op.returns {
                Returns::List if op.paged => {
                    format!("`{0}()` / `{0}_pages()` / `{0}_all()`", op.rust_name)
                }
                Returns::List => format!("`{0}()` / `{0}_all()`", op.rust_name),
                _ => format!("`{}()`", op.rust_name),
            };
            let first = op
                .doc
                .trim()
                .split(". ")
                .next()
                .unwrap_or_default()
                .trim_end_matches('.');
            let _ = writeln!(
                out,
                "| `{}` | {call} | `{} {}` | {first}. |",
                r.feature,
                op.method.as_str(),
                op.path.replace('|', "\\|")
            );
        }
    }
    let _ = writeln!(
        out,
        "\nSee the crate documentation (`cargo doc -p {krate} --open`) for every type and field."
    );
    out
}

/// The crate docs' example as a whole program: its imports, then the rest inside
/// `#[tokio::main] async fn main`, without the lines rustdoc hides.
fn readme_program(spec: &Spec) -> String {
    let krate = spec.vendor.crate_name().replace('-', "_");
    let example = super::lib_rs::usage_example(spec);
    let visible: Vec<&str> = example.lines().filter(|l| !l.starts_with("# ")).collect();
    let (imports, body): (Vec<&str>, Vec<&str>) =
        visible.iter().partition(|l| l.starts_with("use "));
    let mut out = String::new();
    for line in imports {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(
        out,
        "\n#[tokio::main]\nasync fn main() -> {krate}::Result<()> {{"
    );
    for line in body.iter().skip_while(|l| l.trim().is_empty()) {
        if line.trim().is_empty() {
            let _ = writeln!(out);
        } else {
            let _ = writeln!(out, "    {line}");
        }
    }
    let _ = writeln!(out, "    Ok(())\n}}");
    out
}
