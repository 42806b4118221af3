//! The primitives of `tests/conformance/conf_actions.yaml` through the sandbox's dispatcher:
//! keys, outcomes, refusals in order, effects on the record and on a found record, plain-text
//! errors, the empty-list root and a guard by a base-URL variable.

use serde_json::Value;

use crate::SandboxOptions;
use crate::app::App;
use crate::ops::{Request, dispatch};
use crate::reply::{Body, Reply};

fn app() -> App {
    let spec = erp_spec::parse_str(
        "conf_actions.yaml",
        include_str!("../../../tests/conformance/conf_actions.yaml"),
    )
    .expect("valid spec");
    App::new(
        spec,
        &SandboxOptions {
            seed_records: 6,
            ..Default::default()
        },
    )
}

fn call(app: &App, method: &str, path: &str, site: &str, body: &str) -> Reply {
    let base = [("site".to_owned(), site.to_owned())];
    let link = format!("http://127.0.0.1:9/v4/{site}{path}");
    dispatch(
        app,
        &Request {
            method,
            path,
            query: &[],
            base: &base,
            body: body.as_bytes(),
            link_base: &link,
            content_type: Some("application/xml"),
            headers: None,
        },
    )
}

fn text(reply: &Reply) -> &str {
    match &reply.body {
        Body::Text(t) | Body::Xml(t) => t,
        _ => "",
    }
}

fn header<'r>(reply: &'r Reply, name: &str) -> Option<&'r str> {
    reply
        .headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn member(app: &App, key: &str) -> Value {
    let store = app.store();
    let id = store.by_key("members", key).expect("member");
    store.get("members", id).cloned().expect("record")
}

const NEW: &str = "<member><member-id>8889</member-id><name>freddy</name></member>";

#[test]
fn client_keys_outcomes_and_duplicates() {
    let app = app();
    let created = call(&app, "POST", "/members.xml", "acme-test", NEW);
    assert_eq!(created.status, 201);
    assert_eq!(
        header(&created, "Location"),
        Some("http://127.0.0.1:9/v4/acme-test/members/8889.xml")
    );
    assert!(
        text(&created).contains("<member-id>8889</member-id>"),
        "{}",
        text(&created)
    );
    let again = call(&app, "POST", "/members.xml", "acme-test", NEW);
    assert_eq!(
        (again.status, text(&again)),
        (403, "A member with a member-id of 8889 already exists.")
    );
    assert_eq!(
        call(&app, "GET", "/members/8889.xml", "acme-test", "").status,
        200
    );
    let missing = call(&app, "GET", "/members/401.xml", "acme-test", "");
    assert_eq!(
        (missing.status, text(&missing)),
        (404, "There is no member with an id of 401")
    );
    // Renamed on update; the old key is gone.
    let renamed = call(
        &app,
        "PUT",
        "/members/8889.xml",
        "acme-test",
        "<member><new-member-id>9000</new-member-id></member>",
    );
    assert_eq!(renamed.status, 200);
    assert_eq!(
        call(&app, "GET", "/members/8889.xml", "acme-test", "").status,
        404
    );
    assert_eq!(member(&app, "9000")["name"], "freddy");
    // Deletes only on test sites.
    let refused = call(&app, "DELETE", "/members/9000.xml", "acme", "");
    assert_eq!(
        (refused.status, text(&refused)),
        (403, "Only test sites delete members.")
    );
    assert_eq!(
        call(&app, "DELETE", "/members/9000.xml", "acme-test", "").status,
        200
    );
}

#[test]
fn refusals_in_order_and_effects() {
    let app = app();
    call(&app, "POST", "/members.xml", "acme-test", NEW);
    let trial_plan = app
        .store()
        .records("plans")
        .find(|(_, p)| p["kind"] == "trial")
        .map(|(id, _)| id)
        .expect("a trial plan");
    let regular = app
        .store()
        .records("plans")
        .find(|(_, p)| p["kind"] == "regular")
        .map(|(id, _)| id)
        .expect("regular");
    let trial = |plan: &str| {
        call(
            &app,
            "POST",
            "/members/8889/trials.xml",
            "acme-test",
            &format!("<plan>{plan}</plan>"),
        )
    };
    let r = trial("<id></id>");
    assert_eq!((r.status, text(&r)), (422, "You must specify the plan id"));
    let r = trial("<id>999</id>");
    assert_eq!((r.status, text(&r)), (404, "No plan 999"));
    let r = trial(&format!("<id>{trial_plan}</id>"));
    assert_eq!(
        (r.status, text(&r)),
        (403, "The member is not eligible for a trial")
    );
    {
        let mut store = app.store();
        let row = store.by_key("members", "8889").expect("row");
        store.update("members", row, |m| m["trial-allowed"] = Value::Bool(true));
    }
    let r = trial(&format!("<id>{regular}</id>"));
    assert_eq!(
        (r.status, text(&r)),
        (403, "The plan must be a trial plan.")
    );
    let r = trial(&format!("<id>{trial_plan}</id>"));
    assert_eq!(r.status, 200, "{}", text(&r));
    let m = member(&app, "8889");
    assert_eq!(
        (&m["active"], &m["on-trial"], &m["trial-allowed"]),
        (&Value::Bool(true), &Value::Bool(true), &Value::Bool(false))
    );
    let until = chrono::DateTime::parse_from_rfc3339(m["active-until"].as_str().expect("until"))
        .expect("datetime");
    let days = (until.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
    assert!(
        (166..=168).contains(&days),
        "a 7-day trial ends in {days} hours"
    );

    // Credit: 201, empty body, the sum kept; below zero refused in the structured body.
    let credit = |amount: &str| {
        call(
            &app,
            "POST",
            "/members/8889/credits.xml",
            "acme-test",
            &format!("<credit><amount>{amount}</amount></credit>"),
        )
    };
    let r = credit("2.34");
    assert_eq!((r.status, &r.body), (201, &Body::Empty));
    assert_eq!(member(&app, "8889")["credit"], "2.34");
    let r = credit("-5.00");
    assert_eq!(r.status, 422);
    assert!(
        text(&r).contains("<errors>")
            && text(&r)
                .contains("<error>The total credit must be greater than or equal to 0.</error>"),
        "{}",
        text(&r)
    );
    assert_eq!(member(&app, "8889")["credit"], "2.34");
}

#[test]
fn generated_tokens_and_effects_on_a_found_record() {
    let app = app();
    call(&app, "POST", "/members.xml", "acme-test", NEW);
    let created = call(
        &app,
        "POST",
        "/bills.xml",
        "acme-test",
        "<bill><member-id>8889</member-id><amount>24.00</amount></bill>",
    );
    assert_eq!(created.status, 201, "{}", text(&created));
    let location = header(&created, "Location").expect("location").to_owned();
    let token = location
        .trim_end_matches(".xml")
        .rsplit('/')
        .next()
        .expect("token")
        .to_owned();
    assert_eq!(token.len(), 40);
    let nobody = call(
        &app,
        "POST",
        "/bills.xml",
        "acme-test",
        "<bill><member-id>nobody</member-id></bill>",
    );
    assert_eq!((nobody.status, text(&nobody)), (404, "No member nobody"));
    let paid = call(
        &app,
        "PUT",
        &format!("/bills/{token}/pay.xml"),
        "acme-test",
        "",
    );
    assert_eq!(paid.status, 200, "{}", text(&paid));
    assert!(
        text(&paid).contains("<closed type=\"boolean\">true</closed>"),
        "{}",
        text(&paid)
    );
    assert_eq!(member(&app, "8889")["active"], Value::Bool(true));
    let again = call(
        &app,
        "PUT",
        &format!("/bills/{token}/pay.xml"),
        "acme-test",
        "",
    );
    assert_eq!(
        (again.status, text(&again)),
        (403, "Unable to pay a bill which has already been closed.")
    );
    // A delete's effects reach the found record: an open bill's amount becomes credit; a
    // closed bill is kept.
    assert_eq!(
        call(
            &app,
            "DELETE",
            &format!("/bills/{token}.xml"),
            "acme-test",
            ""
        )
        .status,
        403
    );
    let open = call(
        &app,
        "POST",
        "/bills.xml",
        "acme-test",
        "<bill><member-id>8889</member-id><amount>9.99</amount></bill>",
    );
    let open_token = header(&open, "Location")
        .and_then(|l| l.trim_end_matches(".xml").rsplit('/').next())
        .expect("token")
        .to_owned();
    let credit = |app: &App| {
        member(app, "8889")["credit"]
            .as_f64()
            .or_else(|| member(app, "8889")["credit"].as_str()?.parse().ok())
            .unwrap_or(0.0)
    };
    let before = credit(&app);
    let deleted = call(
        &app,
        "DELETE",
        &format!("/bills/{open_token}.xml"),
        "acme-test",
        "",
    );
    assert_eq!(deleted.status, 200, "{}", text(&deleted));
    assert!(
        (credit(&app) - before - 9.99).abs() < 1e-9,
        "{}",
        credit(&app)
    );
    assert_eq!(
        call(
            &app,
            "GET",
            &format!("/bills/{open_token}.xml"),
            "acme-test",
            ""
        )
        .status,
        404
    );
    // Seeded bills refer to seeded members by their key.
    let store = app.store();
    for (_, bill) in store.records("bills") {
        let key = bill["member-id"].as_str().expect("member key");
        assert!(store.by_key("members", key).is_some(), "{bill}");
    }
}

#[test]
fn empty_lists_have_the_declared_root_and_unauthorized_is_plain_text() {
    let app = app();
    let empty = call(&app, "GET", "/members.xml", "acme-test", "");
    assert!(text(&empty).contains("<members"), "{}", text(&empty));
    for id in 1..=6 {
        app.store().remove("members", id);
    }
    let empty = call(&app, "GET", "/members.xml", "acme-test", "");
    assert!(
        text(&empty).contains("<nil-classes type=\"array\"/>"),
        "{}",
        text(&empty)
    );
    let denied = crate::errors::unauthorized(app.spec());
    assert_eq!(
        (denied.status, text(&denied)),
        (401, "HTTP Basic: Access denied.")
    );
}

#[test]
fn cursor_paging_without_a_size_serves_fifty_after_since_id() {
    use erp_spec::ir::{CursorSource, Paging};
    let paging = Paging::Cursor {
        param: "since_id",
        cursor: CursorSource::LastItem("id"),
        has_more: None,
        size: None,
    };
    let records: Vec<Value> = (1..=120).map(|id| serde_json::json!({"id": id})).collect();
    let after =
        |field: &str, cursor: &str| crate::paging::after_cursor(records.iter(), field, cursor);
    let first = crate::paging::slice(&paging, &[], after).expect("slice");
    assert_eq!(first.range(records.len()), 0..50);
    let query = [("since_id".to_owned(), "32".to_owned())];
    let next = crate::paging::slice(&paging, &query, after).expect("slice");
    assert_eq!(
        next.range(records.len()),
        32..82,
        "the 50 with ids above 32"
    );
}

fn order_for(member: &str) -> String {
    format!("<order><member>{member}</member><amount>5.00</amount></order>")
}

#[test]
fn nested_body_paths_and_records_made_by_or_create() {
    let app = app();
    let members = app.store().records("members").count();
    // An unknown member is created from the body's object, with its create rules: the client's
    // key, the server's `on_create` value and 0/false for other read-only fields.
    let created = call(
        &app,
        "POST",
        "/orders.xml",
        "acme-test",
        &order_for("<member-id>7001</member-id><name>Ann</name><level>Pro</level>"),
    );
    assert_eq!(created.status, 201, "{}", text(&created));
    assert!(text(&created).contains("<member-id>7001</member-id>"));
    assert!(text(&created).contains("<member-name>Ann</member-name>"));
    assert_eq!(app.store().records("members").count(), members + 1);
    let made = member(&app, "7001");
    assert_eq!(made["name"], "Ann");
    assert_eq!(made["welcomed"], true);
    assert_eq!(made["on-trial"], false);
    // A known member is found, not made again nor changed.
    let again = call(
        &app,
        "POST",
        "/orders.xml",
        "acme-test",
        &order_for("<member-id>7001</member-id><name>Other</name>"),
    );
    assert_eq!(again.status, 201, "{}", text(&again));
    assert_eq!(app.store().records("members").count(), members + 1);
    assert_eq!(member(&app, "7001")["name"], "Ann");
    assert!(text(&again).contains("<member-name>Other</member-name>"));
    // A condition reads the nested path; a message fills it in.
    let banned = call(
        &app,
        "POST",
        "/orders.xml",
        "acme-test",
        &order_for("<member-id>7002</member-id><name>Bo</name><level>Banned</level>"),
    );
    assert_eq!(
        (banned.status, text(&banned)),
        (403, "Member 7002 may not order.")
    );
    // Nothing to find and nothing to make from (no object, or one without its required
    // name): the find's refusal, and nothing is stored.
    for body in [
        "<order><amount>5.00</amount></order>".to_owned(),
        order_for("<member-id>7003</member-id>"),
    ] {
        let refused = call(&app, "POST", "/orders.xml", "acme-test", &body);
        assert_eq!(
            (refused.status, text(&refused)),
            (422, "You must specify the member."),
            "{body}"
        );
    }
    assert_eq!(app.store().records("members").count(), members + 1);
    assert!(app.store().by_key("members", "7002").is_none());
}

#[test]
fn on_create_values_apply_over_http_only() {
    let app = app();
    // Seeded members follow the seed rules: booleans are true for some of them only.
    assert!(
        app.store()
            .records("members")
            .any(|(_, m)| m.get("welcomed") == Some(&Value::Bool(false)))
            || app.store().records("members").count() < 3
    );
    assert_eq!(
        call(&app, "POST", "/members.xml", "acme-test", NEW).status,
        201
    );
    assert_eq!(member(&app, "8889")["welcomed"], true);
}
