//! The fault matrix (issue 7): every vendor spec in `specs/` runs its first list, a get and a
//! create through each of the sandbox's faults, over real TCP, with no per-vendor code.
//!
//! Each cell must end in exactly the sandbox's records (ids compared: none lost, none twice)
//! or in the typed error the fault calls for; a create is applied at most once (records
//! counted before and after); every call ends within [`BOUND`]; a message the vendor sent is
//! in the error's `Display`.
//!
//! The outcomes are printed and compared with `tests/FAULT_MATRIX.md`, so the committed table
//! cannot go stale; `WRITE_FAULT_MATRIX=1 cargo test --test all fault_matrix` rewrites it.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use erp_runtime::{Client, Error, Request};
use erp_spec::ir::{self, OperationKind};
use futures::StreamExt;
use serde_json::Value;

use crate::conformance::{Vendor, builder_for, id_of, key_field, model, specs_in, start_with};

/// Records seeded per resource: with [`PAGE_SIZE`] a list spans many pages.
const RECORDS: usize = 400;
/// The page size asked for (vendors that fix theirs send their own).
const PAGE_SIZE: u64 = 20;
/// Every call must end within this (a bound against hangs, not a speed assertion).
const BOUND: Duration = Duration::from_secs(30);
/// The per-attempt limit where a fault withholds the answer.
const ATTEMPT: Duration = Duration::from_millis(250);
/// The operation deadline where a fault withholds the answer.
const DEADLINE: Duration = Duration::from_millis(600);
/// The vendor's message of the injected plain-text refusal.
const TEXT_REFUSAL: &str = "undefined method `delete' for nil:NilClass";
/// The message the sandbox puts into an error body sent with status 200.
const ERROR_IN_200: &str = "The request could not be processed";
/// How late every answer is where the fault is a slow network.
const LATENCY: Duration = Duration::from_millis(20);
/// The pause between the 16-byte chunks of a dripped body: longer than an attempt may take,
/// so every answer of more than 16 bytes is cut off by the limits, however fast the machine.
const DRIP: Duration = Duration::from_millis(300);
/// How far past [`DEADLINE`] a call that meets no answer in time may end (a debug build on a
/// busy machine is slow to wake up; a call without the deadline would take minutes).
const DEADLINE_SLACK: Duration = Duration::from_secs(2);

/// One column of the matrix: a fault the sandbox injects, or a client setting that meets one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    Truncated,
    Html502,
    Html200,
    Text503,
    RateLimit,
    Malformed,
    Text200,
    Text422,
    ErrorsIn200,
    LostAnswer,
    OverCap,
    Slow,
    Drip,
    Hang,
    TokenRevoked,
}

const FAULTS: &[Fault] = &[
    Fault::None,
    Fault::Truncated,
    Fault::Html502,
    Fault::Html200,
    Fault::Text503,
    Fault::RateLimit,
    Fault::Malformed,
    Fault::Text200,
    Fault::Text422,
    Fault::ErrorsIn200,
    Fault::LostAnswer,
    Fault::OverCap,
    Fault::TokenRevoked,
    Fault::Slow,
    Fault::Drip,
    // Last: a hung write may be applied once the hang ends, after its client gave up.
    Fault::Hang,
];

impl Fault {
    fn label(self) -> &'static str {
        match self {
            Fault::None => "no fault",
            Fault::Truncated => "answer cut off, connection dropped (`truncate_next`)",
            Fault::Html502 => "HTML 502 once (`html_502_next`)",
            Fault::Html200 => "HTML sign-in page with 200 (`html_200_next`)",
            Fault::Text503 => "plain-text 503 once (`text_answer_next`)",
            Fault::RateLimit => "429 with reset once (`rate_limit_next`)",
            Fault::Malformed => "malformed item (`malformed_next`)",
            Fault::Text200 => "plain text with 200 (`text_answer_next`)",
            Fault::Text422 => "plain-text 422 with a message (`text_answer_next`)",
            Fault::ErrorsIn200 => "errors in a 200 body (`errors_in_success_next`)",
            Fault::LostAnswer => {
                "write answer lost (`lose_answers_next`, create: 250 ms per attempt)"
            }
            Fault::OverCap => "body over the cap (`max_response_bytes` 16)",
            Fault::Slow => "every answer 20 ms late (`latency`)",
            Fault::Drip => {
                "body dripped, 16 bytes per 300 ms (`drip`, 250 ms per attempt, 600 ms deadline)"
            }
            Fault::Hang => "hung response (`hang`, 250 ms per attempt, 600 ms deadline)",
            Fault::TokenRevoked => "access token revoked after page 1 (OAuth2)",
        }
    }

    /// Arms the fault for the next call.
    fn arm(self, v: &Vendor) {
        let faults = v.sandbox.faults();
        match self {
            Fault::None | Fault::OverCap | Fault::TokenRevoked => {}
            Fault::Truncated => faults.truncate_next(1),
            Fault::Html502 => faults.html_502_next(1),
            Fault::Html200 => faults.html_200_next(1),
            Fault::Slow => faults.latency(LATENCY),
            Fault::Drip => faults.drip(Some(DRIP)),
            Fault::Text503 => faults.text_answer_next(1, 503, "upstream timed out"),
            Fault::RateLimit => faults.rate_limit_next(1, Duration::from_millis(200)),
            Fault::Malformed => faults.malformed_next(1),
            Fault::Text200 => faults.text_answer_next(1, 200, "service under maintenance"),
            Fault::Text422 => faults.text_answer_next(1, 422, TEXT_REFUSAL),
            Fault::ErrorsIn200 => faults.errors_in_success_next(1),
            Fault::LostAnswer => faults.lose_answers_next(1),
            Fault::Hang => faults.hang(true),
        }
    }

    /// The client a cell's `call` uses.
    async fn client(self, v: &Vendor, call: Call) -> Client {
        let mut b = builder_for(&v.spec, &v.d, &v.sandbox, false)
            .await
            .page_size(PAGE_SIZE);
        b = match self {
            // Short limits where no answer comes (a large unpaged list may take longer than
            // them in a debug build, so reads that are answered keep the default ones).
            Fault::Hang | Fault::Drip => b.request_timeout(ATTEMPT).operation_timeout(DEADLINE),
            Fault::LostAnswer if call == Call::Create => {
                b.request_timeout(ATTEMPT).operation_timeout(DEADLINE)
            }
            Fault::OverCap => b.max_response_bytes(16),
            _ => b,
        };
        b.build().expect("client")
    }
}

/// The name of an error's variant (what the matrix shows).
fn variant(e: &Error) -> String {
    match e {
        Error::Transport { .. } => "Transport".into(),
        Error::ResponseTooLarge { .. } => "ResponseTooLarge".into(),
        Error::Timeout { .. } => "Timeout".into(),
        Error::Api { status, .. } => format!("Api {status}"),
        Error::NotFound { .. } => "NotFound".into(),
        Error::Unauthorized { .. } => "Unauthorized".into(),
        Error::RateLimited { .. } => "RateLimited".into(),
        Error::Decode { .. } => "Decode".into(),
        Error::InvalidInput { .. } => "InvalidInput".into(),
        Error::UnexpectedContent { .. } => "UnexpectedContent".into(),
        Error::NotAllowed { .. } => "NotAllowed".into(),
        Error::Paging { .. } => "Paging".into(),
        Error::WrongRecord { .. } => "WrongRecord".into(),
        Error::Config { .. } => "Config".into(),
        Error::Auth { .. } => "Auth".into(),
        other => format!("{other:?}"),
    }
}

/// Which call of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    List,
    Get,
    Create,
}

/// Whether the error `e` is what `fault` calls for on `call`, with the vendor's message in its
/// `Display` where the fault sends one.
fn expected_error(fault: Fault, call: Call, idempotent: bool, e: &Error) -> Result<(), String> {
    let shown = e.to_string();
    let with = |ok: bool, message: Option<&str>| match (ok, message) {
        (false, _) => Err(format!(
            "{fault:?} on {call:?} gave {}: {shown}",
            variant(e)
        )),
        (true, Some(m)) if !shown.contains(m) => {
            Err(format!("the vendor's message `{m}` is not in `{shown}`"))
        }
        _ => Ok(()),
    };
    match fault {
        Fault::Hang | Fault::Drip => with(matches!(e, Error::Timeout { .. }), None),
        // Not the vendor's answer: a success status does not make it data.
        Fault::Html200 => with(
            matches!(
                e,
                Error::UnexpectedContent { status: 200, .. } | Error::Decode { .. }
            ),
            Some("Sign in"),
        ),
        Fault::LostAnswer => with(
            call == Call::Create && matches!(e, Error::Timeout { .. }) && e.maybe_applied(),
            None,
        ),
        Fault::OverCap => with(matches!(e, Error::ResponseTooLarge { .. }), None),
        // A get that checks the key it asked for sees a malformed one as another record's
        // (`NotFound` where the answer is list-shaped: none of its records is the one asked for).
        Fault::Malformed => with(
            matches!(
                e,
                Error::Decode { .. } | Error::WrongRecord { .. } | Error::NotFound { .. }
            ),
            None,
        ),
        Fault::Text200 => with(
            matches!(
                e,
                Error::UnexpectedContent { status: 200, .. } | Error::Decode { .. }
            ),
            Some("service under maintenance"),
        ),
        Fault::Text422 => with(e.status() == Some(422), Some(TEXT_REFUSAL)),
        // The vendor's error shape where data was expected: an error of the vendor, or (where
        // the spec declares no error members in 2xx bodies) a body that does not fit.
        Fault::ErrorsIn200 => with(
            matches!(e, Error::Api { status: 200, .. } | Error::Decode { .. }),
            Some(ERROR_IN_200),
        ),
        // A create without an idempotency key is not retried after a 5xx: it may have been
        // applied behind a gateway.
        Fault::Html502 | Fault::Text503 if call == Call::Create => {
            with(e.status().is_some_and(|s| s >= 500) && !idempotent, None)
        }
        Fault::TokenRevoked => with(
            matches!(e, Error::Unauthorized { .. } | Error::Auth { .. }),
            None,
        ),
        // A read is retried; a write without an idempotency key is not, and may have happened.
        Fault::Truncated => with(
            call == Call::Create
                && !idempotent
                && matches!(e, Error::Transport { .. })
                && e.maybe_applied(),
            None,
        ),
        // Retried, or waited out: the call must succeed.
        Fault::None | Fault::Html502 | Fault::Text503 | Fault::RateLimit | Fault::Slow => {
            with(false, None)
        }
    }
}

/// Where the spec names a request-id header (`errors.request_id`), an error made from an
/// answer carries that answer's id (the sandbox logs which id it gave), in `Display` too; an
/// error never carries another id.
fn request_id_shown(v: &Vendor, e: &Error) -> Result<(), String> {
    let last = v
        .sandbox
        .requests()
        .last()
        .and_then(|r| r.request_id.clone());
    let answered = e.status().is_some()
        || matches!(
            e,
            Error::Decode { .. }
                | Error::UnexpectedContent { .. }
                | Error::WrongRecord { .. }
                | Error::Paging { .. }
        );
    match (e.request_id(), &last) {
        (Some(id), _) if last.as_deref() != Some(id) => Err(format!(
            "the error names request {id}, the last answer was {last:?}: {e}"
        )),
        (Some(id), _) if !e.to_string().contains(id) => {
            Err(format!("request id {id} is not in `{e}`"))
        }
        (None, Some(id)) if answered => Err(format!(
            "the answer's request id {id} is not in the error: {e}"
        )),
        _ => Ok(()),
    }
}

/// Runs `call` within [`BOUND`]; where the client has the short limits of a withheld answer,
/// within [`DEADLINE`] (and a little slack): the deadline covers every attempt and every byte.
async fn bounded<T>(what: Call, fault: Fault, call: impl Future<Output = T>) -> Result<T, String> {
    let started = std::time::Instant::now();
    let out = tokio::time::timeout(BOUND, call)
        .await
        .map_err(|_| format!("the {what:?} did not end within {BOUND:?}"))?;
    let short = matches!(fault, Fault::Hang | Fault::Drip)
        || (fault == Fault::LostAnswer && what == Call::Create);
    let took = started.elapsed();
    if short && took > DEADLINE + DEADLINE_SLACK {
        return Err(format!(
            "the {what:?} took {took:?}, past its {DEADLINE:?} deadline"
        ));
    }
    Ok(out)
}

/// The operations a vendor's matrix row uses.
struct Targets<'s> {
    list: Option<(&'s ir::Resource, &'s ir::Operation)>,
    get: Option<(&'s ir::Resource, &'s ir::Operation)>,
    create: Option<(&'s ir::Resource, &'s ir::Operation)>,
}

/// The first operation of `kind` of `r` that needs no query parameter.
fn of_kind(kind: OperationKind, r: &ir::Resource) -> Option<&ir::Operation> {
    r.operations
        .iter()
        .find(|o| o.kind == kind && o.query.iter().all(|q| !q.required))
}

fn targets(v: &Vendor) -> Targets<'_> {
    let list = v.probe();
    // A get of the listed resource when it has one, else of the first resource with one.
    let listed = list.map(|(r, _)| r);
    let get = listed
        .into_iter()
        .chain(&v.spec.resources)
        .filter(|r| !r.is_singleton())
        .find_map(|r| {
            // Required query parameters (`?id=`) are filled from the record, as path ones are.
            let get = r.operations.iter().find(|o| o.kind == OperationKind::Get)?;
            Some((r, get))
        });
    let create = listed
        .into_iter()
        .chain(&v.spec.resources)
        .find_map(|r| of_kind(OperationKind::Create, r).map(|o| (r, o)));
    Targets { list, get, create }
}

/// What a cell's call ended in, for the table; `Err` is a broken cell.
type Cell = Result<String, String>;

async fn list(v: &Vendor, client: &Client, fault: Fault, t: &Targets<'_>) -> Cell {
    let Some((r, op)) = t.list else {
        return Ok("—".into());
    };
    let key = key_field(&v.spec, &r.name);
    let expected: BTreeSet<String> = v
        .sandbox
        .records(&r.name)
        .iter()
        .filter_map(|rec| id_of(rec, key))
        .collect();
    let refreshes = || v.sandbox.oauth().map_or(0, |o| o.refreshes());
    let refreshed_before = refreshes();
    fault.arm(v);
    let result: Result<Vec<Value>, Error> = bounded(Call::List, fault, async {
        if fault != Fault::TokenRevoked {
            return client.all::<Value>(v.op(r, op), Request::new()).await;
        }
        let Some(oauth) = v.sandbox.oauth() else {
            return Ok(Vec::new());
        };
        // Page by page: the tokens are revoked once the first page is in.
        let mut pages = Box::pin(client.pages::<Value>(v.op(r, op), Request::new()));
        let mut items = Vec::new();
        while let Some(page) = pages.next().await {
            if items.is_empty() {
                oauth.revoke_access_tokens();
            }
            items.extend(page?.items);
        }
        Ok(items)
    })
    .await?;
    match result {
        Ok(items) => {
            if fault == Fault::TokenRevoked && v.sandbox.oauth().is_none() {
                return Ok("—".into());
            }
            let ids: Vec<String> = items.iter().filter_map(|i| id_of(i, key)).collect();
            let unique: BTreeSet<String> = ids.iter().cloned().collect();
            let whole = ids.len() == items.len() && unique.len() == ids.len();
            let (missing, extra) = (
                expected.difference(&unique).count(),
                unique.difference(&expected).count(),
            );
            // Decoded as plain JSON values, the malformed item may be the one whose key field
            // got a value of the wrong type: every record is there, one under that key.
            if fault == Fault::Malformed && whole && (missing, extra) == (1, 1) {
                return Ok("all records, one with its malformed key".into());
            }
            if !whole || unique != expected {
                return Err(format!(
                    "{fault:?}: listed {} items ({} with an id, {} distinct), the vendor holds {} (missing {:?}, extra {:?})",
                    items.len(),
                    ids.len(),
                    unique.len(),
                    expected.len(),
                    expected.difference(&unique).take(5).collect::<Vec<_>>(),
                    unique.difference(&expected).take(5).collect::<Vec<_>>()
                ));
            }
            match fault {
                Fault::None
                | Fault::Truncated
                | Fault::Html502
                | Fault::Text503
                | Fault::RateLimit
                | Fault::Slow => {}
                // A fault that changes no GET answer.
                Fault::LostAnswer => {}
                // Decoded as plain JSON values: a wrong type in another field is not an error.
                Fault::Malformed => {}
                // Small pages drip in within the limits.
                Fault::Drip => {}
                // A session that refreshes its token may go on listing, but it must have.
                Fault::TokenRevoked => {
                    let n = refreshes() - refreshed_before;
                    if n == 0 {
                        return Err("listed on with revoked tokens and no refresh".into());
                    }
                    return Ok(format!("all records, {n} refresh(es) after the revocation"));
                }
                other => return Err(format!("{other:?} on the list gave every record")),
            }
            Ok("all records".into())
        }
        Err(e) => expected_error(fault, Call::List, true, &e)
            .and_then(|()| request_id_shown(v, &e))
            .map(|()| variant(&e)),
    }
}

async fn get(v: &Vendor, client: &Client, fault: Fault, t: &Targets<'_>) -> Cell {
    let Some((r, op)) = t.get else {
        return Ok("—".into());
    };
    if fault == Fault::TokenRevoked {
        return Ok("—".into());
    }
    let key = key_field(&v.spec, &r.name);
    let records = v.sandbox.records(&r.name);
    let Some(record) = records.get(records.len() / 2) else {
        return Err("no record to get".into());
    };
    let req = v.address(r, op, record)?;
    fault.arm(v);
    let result: Result<Value, Error> =
        bounded(Call::Get, fault, client.item(v.op(r, op), req)).await?;
    match result {
        Ok(item) if id_of(&item, key) == id_of(record, key) => match fault {
            Fault::None
            | Fault::Truncated
            | Fault::Html502
            | Fault::Text503
            | Fault::RateLimit
            | Fault::Slow
            | Fault::Drip
            | Fault::LostAnswer
            | Fault::Malformed => Ok("the record".into()),
            other => Err(format!("{other:?} on the get gave the record")),
        },
        Ok(item) => Err(format!(
            "{fault:?}: asked for {:?}, got {:?}",
            id_of(record, key),
            id_of(&item, key)
        )),
        Err(e) => expected_error(fault, Call::Get, true, &e)
            .and_then(|()| request_id_shown(v, &e))
            .map(|()| variant(&e)),
    }
}

/// A create through the fault; `nth` picks the referenced records a create accepts.
async fn create(
    v: &Vendor,
    client: &Client,
    fault: Fault,
    t: &Targets<'_>,
    nth: usize,
    serial: usize,
) -> Cell {
    let Some((r, op)) = t.create else {
        return Ok("—".into());
    };
    if fault == Fault::TokenRevoked {
        return Ok("—".into());
    }
    let request_model = model(&v.spec, op.request.as_ref()).ok_or("create names no model")?;
    let body = v.create_body(r, request_model, nth, &format!("fault-matrix-{serial}"));
    let before = v.sandbox.records(&r.name).len();
    fault.arm(v);
    let result: Result<Value, Error> = bounded(
        Call::Create,
        fault,
        client.item(v.op(r, op), Request::new().body(&body)),
    )
    .await?;
    // A hung write is counted while it hangs (its client gave up), then let go.
    let after = v.sandbox.records(&r.name).len();
    if fault == Fault::Hang {
        v.sandbox.faults().hang(false);
    }
    let grown = after
        .checked_sub(before)
        .ok_or("a create removed records")?;
    let outcome = match &result {
        Ok(_) if grown == 1 => "created once".to_owned(),
        Ok(_) => {
            return Err(format!(
                "{fault:?}: a create succeeded, {grown} records added"
            ));
        }
        Err(e) if grown > 1 => {
            return Err(format!("{fault:?}: {grown} records added, then {e}"));
        }
        Err(e) => {
            expected_error(fault, Call::Create, op.idempotency_key.is_some(), e)?;
            request_id_shown(v, e)?;
            // The error says whether the write may have happened: never "not applied" when it was.
            if grown == 1 && !e.maybe_applied() && !matches!(e, Error::ResponseTooLarge { .. }) {
                return Err(format!("applied, but the error says it was not: {e}"));
            }
            format!(
                "{}, {}",
                variant(e),
                if grown == 1 {
                    "applied once"
                } else {
                    "not applied"
                }
            )
        }
    };
    match (fault, &result) {
        (Fault::None | Fault::Html502 | Fault::Text503 | Fault::RateLimit | Fault::Slow, Ok(_)) => {
        }
        // With an idempotency key the retry gets the first answer.
        (Fault::LostAnswer | Fault::Truncated, Ok(_)) if op.idempotency_key.is_some() => {}
        (Fault::Malformed, Ok(_)) => {}
        // A small answer drips in within the limits.
        (Fault::Drip, Ok(_)) => {}
        (_, Err(_)) => {}
        (other, Ok(_)) => return Err(format!("{other:?} on the create gave a record")),
    }
    Ok(outcome)
}

/// One vendor's row block: each fault's three cells.
async fn vendor_rows(spec: ir::Spec) -> (String, Vec<(Fault, [String; 3])>, Vec<String>) {
    let v = start_with(spec, RECORDS).await;
    let name = v.spec.vendor.name.clone();
    let t = targets(&v);
    let mut failures = Vec::new();
    // The first referenced records (of the first twenty) a plain create accepts.
    let plain = Fault::None.client(&v, Call::Create).await;
    let mut nth = 0;
    if let Some((r, op)) = t.create {
        let request_model = model(&v.spec, op.request.as_ref()).expect("create model");
        while nth < 20 {
            let body = v.create_body(r, request_model, nth, &format!("fault-matrix-probe-{nth}"));
            let created: Result<Value, Error> =
                client_call(&plain, v.op(r, op), Request::new().body(&body)).await;
            if created.is_ok() {
                break;
            }
            nth += 1;
        }
    }
    let oauth2 = v.sandbox.oauth().is_some();
    let mut rows = Vec::new();
    for (serial, &fault) in FAULTS.iter().enumerate() {
        if fault == Fault::TokenRevoked && !oauth2 {
            continue;
        }
        // Every client before any fault: an OAuth2 session logs in when it is built.
        let read = fault.client(&v, Call::List).await;
        let write = match fault {
            Fault::LostAnswer => fault.client(&v, Call::Create).await,
            _ => read.clone(),
        };
        let cells = [
            list(&v, &read, fault, &t).await,
            get(&v, &read, fault, &t).await,
            create(&v, &write, fault, &t, nth, serial).await,
        ];
        v.sandbox.faults().reset();
        let cells = cells.map(|c| match c {
            Ok(text) => text,
            Err(problem) => {
                failures.push(format!("{name}: {}: {problem}", fault.label()));
                format!("FAILED: {problem}")
            }
        });
        rows.push((fault, cells));
    }
    v.sandbox.shutdown().await;
    (name, rows, failures)
}

async fn client_call(
    client: &Client,
    op: &'static erp_runtime::descriptor::Operation,
    req: Request,
) -> Result<Value, Error> {
    client.item(op, req).await
}

fn matrix_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("FAULT_MATRIX.md")
}

/// The matrix of every spec in `folder`, as Markdown rows; panics on a broken cell.
async fn matrix_of(folder: &str) -> String {
    let specs = specs_in(folder);
    assert!(!specs.is_empty(), "no spec in {folder}/");
    let tasks: Vec<_> = specs
        .into_iter()
        .map(|spec| tokio::spawn(vendor_rows(spec)))
        .collect();
    let mut blocks = Vec::new();
    for task in tasks {
        blocks.push(task.await.expect("a vendor's matrix"));
    }
    let mut table =
        String::from("| vendor | fault | list | get | create |\n|---|---|---|---|---|\n");
    let mut failures = Vec::new();
    for (vendor, rows, broken) in blocks {
        failures.extend(broken);
        for (fault, [l, g, c]) in rows {
            table.push_str(&format!(
                "| {vendor} | {} | {l} | {g} | {c} |\n",
                fault.label()
            ));
        }
    }
    println!("fault matrix ({folder}):\n{table}");
    assert!(
        failures.is_empty(),
        "fault matrix ({folder}):\n{}",
        failures.join("\n")
    );
    table
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_spec_survives_every_fault() {
    let vendors = matrix_of("specs").await;
    // The conformance specs stand for the shapes no vendor has yet (OAuth2, OData, cursors).
    let shapes = matrix_of("tests/conformance").await;
    let table = format!(
        "# Fault matrix\n\n\
         Generated by `tests/all/fault_matrix.rs` (`WRITE_FAULT_MATRIX=1 cargo test --test all fault_matrix`);\n\
         the test fails when this file differs from what it observes. Every spec runs its first list (all\n\
         pages, {RECORDS} records per resource, {PAGE_SIZE} a page where the client chooses), a get and a\n\
         create against the sandbox over TCP; every call is bounded by 30 s. A list cell is either every\n\
         record of the sandbox (ids compared: no loss, no duplicate) or a typed error (the `Error` variant\n\
         shown); a create cell says whether the record was applied (never twice); where the fault carries a\n\
         message, the error's `Display` holds it; where a spec names a request-id header\n\
         (`errors.request_id`), every error made from an answer shows that answer's id. A call that\n\
         meets no answer in time ends within its deadline (and {DEADLINE_SLACK:?} of slack).\n\
         `—`: the vendor has no such operation.\n\n\
         ## Vendors (`specs/`)\n\n{vendors}\n\
         ## Conformance specs (`tests/conformance/`)\n\n{shapes}"
    );
    let path = matrix_path();
    if std::env::var_os("WRITE_FAULT_MATRIX").is_some() {
        std::fs::write(&path, &table).expect("write FAULT_MATRIX.md");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == table,
        "{} is stale: run `WRITE_FAULT_MATRIX=1 cargo test --test all fault_matrix` and commit it",
        path.display()
    );
}

/// `errors.request_id` end to end: the sandbox's id of the failing answer (not an earlier one)
/// is in the error and its `Display`; a vendor that names no such header shows none.
#[tokio::test]
async fn an_error_names_the_request_id_of_its_answer() {
    let mut with_ids = 0;
    for spec in specs_in("tests/conformance") {
        let declares = spec.errors.request_id.is_some();
        let v = start_with(spec, 3).await;
        let Targets {
            get: Some((r, op)), ..
        } = targets(&v)
        else {
            continue;
        };
        let record = v.sandbox.records(&r.name).remove(0);
        let req = v.address(r, op, &record).expect("address");
        // One answered request first, so that "the last id" and "some id" differ.
        let _: Value = v.client.item(v.op(r, op), req.clone()).await.expect("get");
        v.sandbox.faults().text_answer_next(1, 422, TEXT_REFUSAL);
        let e = v.client.item::<Value>(v.op(r, op), req).await.unwrap_err();
        let seen = v.sandbox.requests();
        let ids: Vec<Option<String>> = seen.iter().map(|s| s.request_id.clone()).collect();
        if declares {
            let last = ids
                .last()
                .cloned()
                .flatten()
                .expect("the sandbox sent an id");
            assert_ne!(ids[ids.len() - 2].as_deref(), Some(last.as_str()));
            assert_eq!(e.request_id(), Some(last.as_str()), "{e}");
            assert!(e.to_string().contains(&format!("(request {last})")), "{e}");
            assert!(e.to_string().contains(TEXT_REFUSAL), "{e}");
            with_ids += 1;
        } else {
            assert!(ids.iter().all(Option::is_none), "{}", v.spec.vendor.name);
            assert_eq!(e.request_id(), None, "{e}");
        }
        v.sandbox.shutdown().await;
    }
    assert!(
        with_ids > 0,
        "no conformance spec declares `errors.request_id`"
    );
}
