//! The `sandbox` parts of a spec: what they put into the IR, and the defaults that let a spec
//! leave them out.

use erp_spec::ir::{FilterMode, Spec};

const MINI: &str = include_str!("fixtures/mini.yaml");

fn parse(text: &str) -> Spec {
    erp_spec::parse_str("specs/mini.yaml", text).unwrap_or_else(|e| panic!("{e}"))
}

/// The fixture with `from` replaced by `to` (once; `from` must be there).
fn edited(from: &str, to: &str) -> String {
    assert_eq!(MINI.matches(from).count(), 1, "`{from}` must match once");
    MINI.replacen(from, to, 1)
}

#[test]
fn a_spec_without_a_sandbox_section_gets_the_defaults() {
    assert!(!MINI.contains("\nsandbox:"), "the fixture has no section");
    let s = parse(MINI).sandbox;
    assert!(!s.accept_required);
    assert_eq!(s.format_param, None);
    assert!(s.success_members.is_empty());
    let answers = [
        &s.errors.not_found,
        &s.errors.invalid,
        &s.errors.unauthorized,
    ]
    .map(|e| (e.status, e.message.as_str(), e.code.clone()));
    assert_eq!(
        answers,
        [
            (404, "Not found", None),
            (400, "Bad request", None),
            (401, "Unauthorized", None)
        ]
    );
    assert!(s.rate_limits.is_empty());
    assert_eq!(s.oauth2.access_token_seconds, 600);
}

#[test]
fn every_window_gets_a_quota_and_a_message() {
    let text = edited(
        "errors:\n",
        "rate_limits:\n  - {name: minutely, window_seconds: 60}\n  - {name: daily, window_seconds: 86400}\n  - {name: hourly, window_seconds: 3600}\n\nsandbox:\n  rate_limits:\n    daily: {quota: 5000, exceeded_message: Come back tomorrow.}\n    hourly: {quota: 100}\n\nerrors:\n",
    );
    let spec = parse(&text);
    let windows: Vec<(&str, u64, &str)> = spec
        .rate_limits
        .iter()
        .map(|w| {
            let s = spec
                .sandbox
                .rate_limit(w.window.name)
                .expect("one per window");
            (s.name.as_str(), s.quota, s.exceeded_message.as_str())
        })
        .collect();
    let default = "Rate limit of {quota} requests reached. Try again in {seconds} seconds.";
    assert_eq!(
        windows,
        [
            // Ten requests a second of the window when the spec names no quota.
            ("minutely", 600, default),
            ("daily", 5000, "Come back tomorrow."),
            ("hourly", 100, default),
        ]
    );
    // The client's side of the window is untouched by the sandbox's.
    assert_eq!(spec.rate_limits[1].window.seconds, Some(86400));
}

#[test]
fn sandbox_parts_land_in_the_ir() {
    let text = edited(
        "errors:\n  message: [errors.error]\n",
        "errors:\n  message: [errors.error]\n\nsandbox:\n  accept_required: true\n  format_param: format\n  success_members: {status: OK}\n  errors:\n    not_found: {status: 410, message: Gone, code: GONE}\n    unauthorized: {status: 403, message: Forbidden}\n",
    )
    .replacen(
        "name: {type: string, doc: Name.}",
        "name: {type: string, doc: Name., sandbox: {examples: [Sprocket, Gear]}}",
        1,
    );
    let spec = parse(&text);
    let s = &spec.sandbox;
    assert!(s.accept_required);
    assert_eq!(s.format_param.as_deref(), Some("format"));
    assert_eq!(s.success_members, [("status".to_owned(), "OK".to_owned())]);
    assert_eq!(
        (
            s.errors.not_found.status,
            s.errors.not_found.code.as_deref()
        ),
        (410, Some("GONE"))
    );
    assert_eq!(
        s.errors.invalid.status, 400,
        "the default where none is written"
    );
    assert_eq!(s.errors.unauthorized.message, "Forbidden");
    let widget = spec.model("Widget").expect("model");
    let name = widget
        .fields
        .iter()
        .find(|f| f.wire_name == "name")
        .unwrap();
    assert_eq!(name.sandbox.examples, ["Sprocket", "Gear"]);
    let list = spec.resources[0]
        .operations
        .iter()
        .find(|o| o.name == "list")
        .expect("list");
    assert_eq!(list.query[0].filter, FilterMode::Contains);
}
