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
