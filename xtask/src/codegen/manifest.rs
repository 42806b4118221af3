//! The generated crate's `Cargo.toml` and `README.md`.

use std::fmt::Write as _;

use erp_spec::ir::{AuthScheme, Paging, Returns, Spec};

use super::names::client_type;
use super::{GENERATED_FROM, spec_display_path};

pub fn cargo_toml(spec: &Spec) -> String {
    let mut out = String::new();
    let source = spec_display_path(&spec.source);
    // Resources of one group share its feature.
    let features: std::collections::BTreeSet<&str> =
        spec.resources.iter().map(|r| r.feature.as_str()).collect();
    let quoted: Vec<String> = features.iter().map(|f| format!("\"{f}\"")).collect();
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
        "\n# One feature per resource group (or resource), all on by default: disable default features"
    );
    let _ = writeln!(
        out,
        "# and pick the ones you call to build less code.\n[features]"
    );
    let _ = writeln!(out, "default = [{}]", quoted.join(", "));
    for feature in &features {
        let _ = writeln!(out, "{feature} = []");
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
        "```toml\n[dependencies]\n{krate} = {{ path = \"{}/{krate}\" }}\ntokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n```\n",
        super::crates_dir_of(&spec.source)
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
        AuthScheme::Query(p) => p
            .iter()
            .map(|p| format!("query parameter `{}`", p.name))
            .collect::<Vec<_>>()
            .join(", "),
        AuthScheme::Bearer => "bearer token".to_owned(),
        AuthScheme::Basic { .. } => "HTTP Basic".to_owned(),
        AuthScheme::OAuth2(_) => "OAuth2 (authorization code with refresh)".to_owned(),
    };
    let paging = describe_paging(&spec.paging);
    let _ = writeln!(
        out,
        "- Client type: `{client}` (`{client}::builder(..)`), base URL `{}`",
        spec.base_url.template
    );
    let _ = writeln!(out, "- Authentication: {auth}");
    let _ = writeln!(out, "- Paging: {paging}");
    for rl in &spec.rate_limits {
        let headers: Vec<String> = [rl.window.remaining_header, rl.window.reset_header]
            .into_iter()
            .flatten()
            .map(|h| format!("`{h}`"))
            .collect();
        let action = match rl.window.when_exhausted {
            erp_spec::ir::WhenExhausted::Wait => "waits for the reset",
            erp_spec::ir::WhenExhausted::FailFast => "fails at once with the reset time",
        };
        // The quota is the sandbox's (`sandbox.rate_limits`), not a promise of the vendor's:
        // the client learns what is left from the headers.
        let _ = writeln!(
            out,
            "- Rate limit ({}, {} s window): the client reads {} and {action}",
            rl.window.name,
            rl.window_seconds,
            headers.join(" / ")
        );
    }
    let _ = writeln!(
        out,
        "\n## Operations\n\n| Resource (feature) | Method | HTTP | Description |\n|---|---|---|---|"
    );
    for r in &spec.resources {
        for op in &r.operations {
            let call = match op.returns {
                Returns::List if op.paging.is_paged() => {
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

/// One line on how lists are paged.
/// How many pages are fetched at once, when more than one.
fn at_once(paging: &Paging) -> String {
    match paging.concurrency() {
        1 => String::new(),
        n => format!(", up to {n} at once once the total is known"),
    }
}

fn describe_paging(paging: &Paging) -> String {
    use erp_spec::ir::{CursorSource, LinkSource};
    let size = |s: Option<erp_spec::ir::PageSize>| {
        s.map(|s| format!(", `{}` pages of {} (at most {})", s.param, s.default, s.max))
            .unwrap_or_default()
    };
    let text = match paging {
        Paging::None => return "none (whole lists in one response)".to_owned(),
        Paging::PageNumber {
            page_param,
            size: s,
            ..
        } => {
            format!(
                "page numbers in `{page_param}`{}{}",
                size(Some(*s)),
                at_once(paging)
            )
        }
        Paging::OffsetLimit {
            offset_param,
            size: s,
            ..
        } => {
            format!(
                "offsets in `{offset_param}`{}{}",
                size(Some(*s)),
                at_once(paging)
            )
        }
        Paging::NextLink {
            link: LinkSource::Body(path),
            size: s,
        } => {
            format!("next links in `{path}`{}", size(*s))
        }
        Paging::NextLink {
            link: LinkSource::LinkHeader,
            size: s,
        } => {
            format!("next links in the `Link` header{}", size(*s))
        }
        Paging::Cursor {
            param,
            cursor,
            size: s,
            ..
        } => {
            let from = match cursor {
                CursorSource::Body(path) => format!("`{path}` of each page"),
                CursorSource::LastItem(field) => format!("the last item's `{field}`"),
            };
            format!("cursor `{param}` from {from}{}", size(*s))
        }
    };
    format!("{text}; lists are lazy streams")
}
