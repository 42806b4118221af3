//! The coverage report of an import: every catalogue endpoint with the operation that serves
//! it or the reason it has none, and every method of billomapy (the client Billomat users come
//! from, see `../shared/vendors/billomat.md` §10) with our equivalent.

use std::fmt::Write as _;

use erp_spec::ir::Spec;

use super::billomat::{Outcome, Row};

/// billomapy 2.5.3's resources (billomat.md §10): resource, whether its list takes a parent id,
/// and which of get, create, update, delete it offers, and its actions.
const BILLOMAPY: &[(&str, [bool; 4], &[&str])] = &[
    ("clients", [true, true, true, true], &[]),
    ("client-property-values", [true, true, false, false], &[]),
    ("client-tags", [true, true, false, true], &[]),
    ("contacts", [true, true, true, true], &[]),
    ("suppliers", [true, true, true, true], &[]),
    ("supplier-property-values", [true, true, false, false], &[]),
    ("supplier-tags", [true, true, false, true], &[]),
    ("articles", [true, true, true, true], &[]),
    ("article-property-values", [true, true, false, false], &[]),
    ("article-tags", [true, true, false, true], &[]),
    ("units", [true, true, true, true], &[]),
    (
        "invoices",
        [true, true, true, true],
        &[
            "complete",
            "pdf",
            "upload_signature",
            "email",
            "cancel",
            "uncancel",
        ],
    ),
    ("invoice-items", [true, true, true, true], &[]),
    ("invoice-comments", [true, true, true, true], &[]),
    ("invoice-payments", [true, true, false, true], &[]),
    ("invoice-tags", [true, true, false, true], &[]),
    ("recurrings", [true, true, true, true], &[]),
    ("recurring-items", [true, true, true, true], &[]),
    ("recurring-tags", [true, true, false, true], &[]),
    ("recurring-email-receivers", [true, true, false, true], &[]),
    ("incomings", [true, true, true, true], &[]),
    ("incoming-comments", [true, true, false, true], &[]),
    ("incoming-payments", [true, true, false, true], &[]),
    ("incoming-property-values", [true, true, false, false], &[]),
    ("incoming-tags", [true, true, false, true], &[]),
    ("inbox-documents", [true, true, false, true], &[]),
    (
        "offers",
        [true, true, true, true],
        &[
            "complete", "pdf", "email", "cancel", "uncancel", "win", "lose", "clear", "unclear",
        ],
    ),
    ("offer-items", [true, true, true, true], &[]),
    ("offer-comments", [true, true, true, true], &[]),
    ("offer-tags", [true, true, false, true], &[]),
    (
        "credit-notes",
        [true, true, true, true],
        &["complete", "pdf", "upload_signature", "email"],
    ),
    ("credit-note-items", [true, true, true, true], &[]),
    ("credit-note-comments", [true, true, true, true], &[]),
    ("credit-note-payments", [true, true, false, true], &[]),
    ("credit-note-tags", [true, true, false, true], &[]),
    (
        "confirmations",
        [true, true, true, true],
        &[
            "complete", "pdf", "email", "cancel", "uncancel", "clear", "unclear",
        ],
    ),
    ("confirmation-items", [true, true, true, true], &[]),
    ("confirmation-comments", [true, true, true, true], &[]),
    ("confirmation-tags", [true, true, false, true], &[]),
    (
        "reminders",
        [true, true, true, true],
        &["complete", "pdf", "email"],
    ),
    ("reminder-items", [true, true, true, true], &[]),
    ("reminder-tags", [true, true, false, true], &[]),
    (
        "delivery-notes",
        [true, true, true, true],
        &["complete", "pdf", "email"],
    ),
    ("delivery-note-items", [true, true, true, true], &[]),
    ("delivery-note-comments", [true, true, true, true], &[]),
    ("delivery-note-tags", [true, true, false, true], &[]),
    ("letters", [true, true, true, true], &[]),
    ("letter-comments", [true, true, true, true], &[]),
    ("letter-tags", [true, true, false, true], &[]),
    ("email-templates", [true, true, true, true], &[]),
    ("templates", [true, true, true, true], &[]),
    ("users", [true, false, false, false], &[]),
];

fn has(spec: &Spec, resource: &str, op: &str) -> bool {
    spec.resource(resource)
        .is_some_and(|r| r.operations.iter().any(|o| o.name == op))
}

/// billomapy's methods: (resource, method kind, our operation).
fn billomapy_methods() -> Vec<(&'static str, String, String)> {
    let mut methods = Vec::new();
    for (resource, [get, create, update, delete], actions) in BILLOMAPY {
        // `get_<x>_per_page` and `get_all_<x>`: one list with paging does both.
        methods.push((*resource, "one page".to_owned(), "list".to_owned()));
        methods.push((*resource, "all pages".to_owned(), "list".to_owned()));
        if *resource == "incoming-payments" {
            methods.push((
                *resource,
                "one page by incoming".to_owned(),
                "list".to_owned(),
            ));
        }
        for (on, kind) in [
            (get, "get"),
            (create, "create"),
            (update, "update"),
            (delete, "delete"),
        ] {
            if *on {
                methods.push((*resource, kind.to_owned(), kind.to_owned()));
            }
        }
        for action in *actions {
            methods.push((*resource, (*action).to_owned(), (*action).to_owned()));
        }
    }
    methods
}

/// Covered endpoints (of those with a method) and billomapy methods, in one line.
pub fn headline(rows: &[Row], spec: &Spec) -> String {
    let (covered, documented) = endpoint_counts(rows, spec);
    let methods = billomapy_methods();
    let ours = methods.iter().filter(|(r, _, op)| has(spec, r, op)).count();
    let resources = BILLOMAPY
        .iter()
        .filter(|(r, _, _)| spec.resource(r).is_some())
        .count();
    format!(
        "catalogue entries {covered}/{} as operations ({:.1} %; {:.1} % of the {documented} with a method, the rest listed with reasons), billomapy resources {resources}/{}, methods {ours}/{}",
        rows.len(),
        100.0 * covered as f64 / rows.len() as f64,
        100.0 * covered as f64 / documented.max(1) as f64,
        BILLOMAPY.len(),
        methods.len()
    )
}

fn endpoint_counts(rows: &[Row], spec: &Spec) -> (usize, usize) {
    let covered = rows
        .iter()
        .filter(|r| matches!(&r.outcome, Outcome::Operation { resource, operation, .. } if has(spec, resource, operation)))
        .count();
    let documented = rows.iter().filter(|r| r.method != "-").count();
    (covered, documented)
}

/// The report as Markdown.
pub fn report(rows: &[Row], spec: &Spec) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Billomat coverage\n\nWritten by `cargo xtask import billomat` from `../shared/billomat-api-catalogue/billomat.json`\nand `specs/billomat.yaml`; do not edit. {}.\n",
        headline(rows, spec)
    );
    let _ = writeln!(
        out,
        "## Catalogue endpoints\n\n| Page | Method | Path | Operation or reason |\n|---|---|---|---|"
    );
    for r in rows {
        let what = match &r.outcome {
            Outcome::Operation {
                resource,
                operation,
                note,
            } => {
                let mut text = if has(spec, resource, operation) {
                    format!("`{resource}.{operation}`")
                } else {
                    format!("**missing**: `{resource}.{operation}` is not in the spec")
                };
                if let Some(note) = note {
                    let _ = write!(text, " ({note})");
                }
                text
            }
            Outcome::Left(reason) => format!("left out: {reason}"),
        };
        let path = r.path.replace('|', "\\|").replace("&amp;", "&");
        let _ = writeln!(out, "| {} | {} | `{path}` | {what} |", r.page, r.method);
    }
    let _ = writeln!(
        out,
        "\n## billomapy 2.5.3 methods\n\n| Resource | billomapy | Ours |\n|---|---|---|"
    );
    for (resource, kind, op) in billomapy_methods() {
        let ours = if has(spec, resource, &op) {
            format!("`{resource}.{op}`")
        } else {
            "**missing**".to_owned()
        };
        let _ = writeln!(out, "| `{resource}` | {kind} | {ours} |");
    }
    out
}
