//! Every request is traced (span `erp.request` with vendor, operation, attempt, status), and
//! no credential ever reaches a log line, whatever happens to the request.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use erp_billomat::Billomat;
use erp_clients_tests::{options, quick_retries, start};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A minimal subscriber that writes every span, field and event into one string.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<String>>);

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut log = self.0.lock().unwrap();
        let _ = write!(log, "\nspan {}", span.metadata().name());
        span.record(&mut Fields(&mut log));
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, values: &Record<'_>) {
        values.record(&mut Fields(&mut self.0.lock().unwrap()));
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut log = self.0.lock().unwrap();
        let _ = write!(log, "\nevent");
        event.record(&mut Fields(&mut log));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[test]
fn requests_are_traced_without_secrets() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sandbox = start("billomat", options(3)).await;
        let secret = "SECRET-KEY-0123456789";
        let good = Billomat::builder("s")
            .base_url(sandbox.base_url())
            .auth(Billomat::credentials(erp_clients_tests::billomat_key(
                &sandbox,
            )))
            .retry(quick_retries())
            .build()
            .unwrap();
        let bad = Billomat::builder("s")
            .base_url(sandbox.base_url())
            .auth(Billomat::credentials(secret))
            .build()
            .unwrap();
        sandbox
            .faults()
            .rate_limit_next(1, Duration::from_millis(10));
        let _ = good.clients().list_all(&Default::default()).await;
        sandbox.faults().html_502_next(1);
        let _ = good.clients().get(1).await;
        let _ = bad.clients().get(1).await;
    });
    let log = capture.0.lock().unwrap().clone();
    assert!(
        log.contains("span erp.request")
            && log.contains("vendor=\"billomat\"")
            && log.contains("status=200"),
        "{log}"
    );
    assert!(log.contains("retrying"), "retries are logged: {log}");
    assert!(
        !log.contains("SECRET-KEY") && !log.contains("sandbox-billomat-api-key"),
        "a credential reached the log:\n{log}"
    );
}

const IBAN: &str = "DE89370400440532013000";
/// A sensitive value whose URL and form encodings differ from it.
const ACCOUNT: &str = "12 34/56+78&9";
const KEY: &str = "KEY-0123-planted-secret";
/// A sensitive value the vendor sends that the client did not: only its field name tells.
const OTHER_IBAN: &str = "DE12500105170648489890";

/// Every spelling of a planted value that must not appear: as sent, cut short, and in the
/// encodings a server may echo it in.
const PLANTED: &[&str] = &[
    IBAN,
    "DE89370400", // a prefix: what a truncated echo leaves
    "de89370400440532013000",
    ACCOUNT,
    "12+34%2F56%2B78%269",
    "12%2034%2F56%2B78%269",
    "12 34/56+78&amp;9",
    KEY,
    OTHER_IBAN,
    "DE1250010517",
];

/// One failure mode: what the vendor answers to a write carrying the planted values.
struct Mode {
    name: &'static str,
    status: u16,
    content_type: &'static str,
    body: String,
}

fn modes() -> Vec<Mode> {
    let mode = |name, status, content_type, body: String| Mode {
        name,
        status,
        content_type,
        body,
    };
    let echo = format!(
        r#"{{"client":{{"id":"1","bank_iban":"{IBAN}","bank_account_number":"12 34/56+78&9"}}}}"#
    );
    vec![
        mode(
            "200 with trailing garbage",
            200,
            "application/json",
            format!("{echo} <!-- cache -->"),
        ),
        mode(
            "200 cut off inside the echoed IBAN",
            200,
            "application/json",
            echo[..echo.find(IBAN).unwrap() + 10].to_owned(),
        ),
        mode(
            "truncated 422 echoing the request",
            422,
            "application/json",
            format!(
                r#"{{"errors":{{"error":"invalid bank_iban","request":"{}"#,
                &IBAN[..12]
            ),
        ),
        mode(
            "422 JSON message naming the value",
            422,
            "application/json",
            format!(r#"{{"errors":{{"error":"bank_iban {IBAN} is not valid"}}}}"#),
        ),
        mode(
            "plain-text 400",
            400,
            "text/plain",
            format!("invalid bank_iban {IBAN}"),
        ),
        mode(
            "plain-text 400, lower case",
            400,
            "text/plain",
            format!("invalid bank_iban {}", IBAN.to_lowercase()),
        ),
        mode(
            "form-encoded echo",
            400,
            "application/x-www-form-urlencoded",
            "bank_account_number=12+34%2F56%2B78%269&bank_iban=x".to_owned(),
        ),
        mode(
            "percent-encoded echo",
            400,
            "text/plain",
            "rejected: 12%2034%2F56%2B78%269".to_owned(),
        ),
        mode(
            "XML error",
            400,
            "application/xml",
            format!(
                "<error><message>invalid bank_iban {IBAN}</message><account>12 34/56+78&amp;9</account></error>"
            ),
        ),
        mode(
            "HTML page with 200",
            200,
            "text/html",
            format!("<html><body>bank_iban={IBAN}</body></html>"),
        ),
        mode(
            "502 page, retried",
            502,
            "text/plain",
            format!("upstream rejected {IBAN}"),
        ),
        mode(
            "401 echoing the key",
            401,
            "text/plain",
            format!("unknown API key {KEY}"),
        ),
        mode(
            "200 cut off after another record's IBAN",
            200,
            "application/json",
            format!(r#"{{"client":{{"id":"1","bank_iban" : "{OTHER_IBAN}","name":"Ac"#),
        ),
        mode(
            "200 cut off inside another record's IBAN",
            200,
            "application/json",
            format!(
                r#"{{"client":{{"id":"1","bank_iban":"{}"#,
                &OTHER_IBAN[..14]
            ),
        ),
        mode(
            "XML body naming another IBAN",
            400,
            "application/xml",
            format!("<client><bank_iban>{OTHER_IBAN}</bank_iban></client>"),
        ),
        mode(
            "form body naming another IBAN",
            400,
            "text/plain",
            format!("name=x&bank_iban={OTHER_IBAN}&y=1"),
        ),
        mode(
            "long 400 that the excerpt cuts",
            400,
            "text/html",
            format!("<p>{}{IBAN}</p>", "x".repeat(185)),
        ),
    ]
}

#[test]
fn no_sensitive_value_or_credential_reaches_display_debug_or_logs() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut leaks = Vec::new();
    let mut shown = Vec::new();
    for mode in modes() {
        capture.0.lock().unwrap().clear();
        let (status, content_type, body) = (mode.status, mode.content_type, mode.body.clone());
        let err = runtime.block_on(async move {
            let server = erp_clients_tests::hostile::serve(move |_| {
                erp_clients_tests::hostile::Answer::typed(status, content_type, body.clone())
            })
            .await;
            let api = Billomat::builder("s")
                .base_url(server.url())
                .auth(Billomat::credentials(KEY))
                .retry(quick_retries())
                .build()
                .unwrap();
            let client = erp_billomat::models::Client {
                name: Some("Acme".into()),
                bank_iban: Some(IBAN.into()),
                bank_account_number: Some(ACCOUNT.into()),
                ..Default::default()
            };
            // An update: idempotent, so a 502 is retried and the retry is logged.
            api.clients().update(1, &client).await.map(drop)
        });
        let Err(err) = err else {
            leaks.push(format!("{}: no error", mode.name));
            continue;
        };
        let log = capture.0.lock().unwrap().clone();
        shown.push((mode.name, err.to_string(), log.clone()));
        for (output, text) in [
            ("Display", err.to_string()),
            ("Debug", format!("{err:?}")),
            ("log", log),
        ] {
            for planted in PLANTED {
                if text.contains(planted) {
                    leaks.push(format!("{}: {output} shows {planted:?}: {text}", mode.name));
                }
            }
        }
    }
    // A Basic user name that is the secret (Spreedly's site token, password `X`), echoed.
    let token = "f00dfeedbeefcafe0123";
    let err = runtime.block_on(async move {
        let server = erp_clients_tests::hostile::serve(move |_| {
            erp_clients_tests::hostile::Answer::typed(
                401,
                "text/plain",
                format!("no site for token {token}"),
            )
        })
        .await;
        let api = Billomat::builder("s")
            .base_url(server.url())
            .auth(erp_runtime::auth::Basic::new(token, "X"))
            .retry(quick_retries())
            .build()
            .unwrap();
        api.clients().get(1).await.unwrap_err()
    });
    for text in [err.to_string(), format!("{err:?}")] {
        if text.contains(token) {
            leaks.push(format!("Basic user name echoed in a 401: {text}"));
        }
    }
    let request = erp_runtime::Request::new().body(&erp_billomat::models::Client {
        bank_iban: Some(IBAN.into()),
        ..Default::default()
    });
    if format!("{request:?}").contains(IBAN) {
        leaks.push(format!("Request Debug shows the IBAN: {request:?}"));
    }
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
    // The errors still say what went wrong, only without the values; and the retry of the
    // 502 was logged, so the log was looked at.
    let of = |name: &str| shown.iter().find(|(n, ..)| *n == name).unwrap();
    let form = &of("form body naming another IBAN").1;
    assert!(form.ends_with("name=x&bank_iban=[redacted]&y=1"), "{form}");
    let plain = &of("plain-text 400").1;
    assert!(
        plain.ends_with("HTTP 400: invalid bank_iban [redacted]"),
        "{plain}"
    );
    let (_, retried, log) = of("502 page, retried");
    assert!(
        retried.contains("upstream rejected [redacted]"),
        "{retried}"
    );
    assert!(
        log.contains("retrying") && log.contains("[redacted]"),
        "{log}"
    );
}
