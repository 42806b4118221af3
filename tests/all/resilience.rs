//! Retries, rate limits, timeouts and broken answers, against a misbehaving sandbox.

use std::time::{Duration, Instant};

use erp_billomat::models::Client;
use erp_billomat::{Billomat, Error, RetryPolicy};
use erp_clients_tests::{RawReply, billomat, billomat_key, options, raw_server, start};
use erp_sandbox::{RateLimitSettings, SandboxOptions};

#[tokio::test]
async fn a_429_is_waited_out_and_retried() {
    let sandbox = start("billomat", options(3)).await;
    let api = billomat(&sandbox);
    let faults = sandbox.faults();
    let before = faults.requests_seen();
    faults.rate_limit_next(1, Duration::from_secs(1));
    let started = Instant::now();
    let clients = api
        .clients()
        .list_all(&Default::default())
        .await
        .expect("retried after the reset");
    assert_eq!(clients.len(), 3);
    assert_eq!(faults.requests_seen() - before, 2, "one 429, one success");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for the reset: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_exhausted_quota_is_respected_before_the_next_call() {
    let sandbox = start(
        "billomat",
        SandboxOptions {
            seed_records: 2,
            rate_limit: Some(RateLimitSettings {
                quota: 3,
                window: Duration::from_secs(2),
            }),
            ..SandboxOptions::default()
        },
    )
    .await;
    let api = billomat(&sandbox);
    let faults = sandbox.faults();
    let started = Instant::now();
    for _ in 0..5 {
        api.clients()
            .get(1)
            .await
            .expect("every call succeeds, waiting when the window is used up");
    }
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the client waited for a window reset"
    );
    assert!(
        faults.requests_seen() <= 6,
        "at most one 429 was earned: {}",
        faults.requests_seen()
    );
}

#[tokio::test]
async fn a_rate_limit_longer_than_allowed_is_an_error_with_the_reset() {
    let sandbox = start("billomat", options(1)).await;
    let api = Billomat::builder("s")
        .base_url(sandbox.base_url())
        .auth(Billomat::credentials(billomat_key(&sandbox)))
        .retry(RetryPolicy {
            max_rate_limit_wait: Duration::from_secs(1),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    sandbox
        .faults()
        .rate_limit_next(1, Duration::from_secs(120));
    let err = api.clients().get(1).await.unwrap_err();
    match &err {
        Error::RateLimited {
            retry_after: Some(wait),
            message,
            ..
        } => {
            assert!(*wait > Duration::from_secs(100), "{wait:?}");
            assert!(
                message
                    .as_deref()
                    .unwrap_or_default()
                    .contains("Maximum number of requests"),
                "{err}"
            );
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[tokio::test]
async fn a_gateway_error_page_is_retried_for_reads() {
    let sandbox = start("billomat", options(2)).await;
    let api = billomat(&sandbox);
    sandbox.faults().html_502_next(2);
    assert_eq!(
        api.clients()
            .list_all(&Default::default())
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn a_persistent_gateway_error_keeps_status_and_excerpt() {
    let sandbox = start("billomat", options(2)).await;
    let api = billomat(&sandbox);
    sandbox.faults().html_502_next(100);
    let err = api.clients().get(1).await.unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert!(err.to_string().contains("502 Bad Gateway"), "{err}");
}

#[tokio::test]
async fn writes_are_not_repeated_after_a_server_error() {
    let sandbox = start("billomat", options(1)).await;
    let api = billomat(&sandbox);
    let faults = sandbox.faults();
    faults.html_502_next(1);
    let before = faults.requests_seen();
    let err = api
        .clients()
        .create(&Client {
            name: Some("Once Only".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert_eq!(
        faults.requests_seen() - before,
        1,
        "a POST is not retried after a 5xx: it may have been applied"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let sandbox = start("billomat", options(1)).await;
    sandbox.faults().hang(true);
    let api = Billomat::builder("s")
        .base_url(sandbox.base_url())
        .auth(Billomat::credentials(billomat_key(&sandbox)))
        .request_timeout(Duration::from_millis(300))
        .retry(RetryPolicy {
            max_attempts: 2,
            initial_backoff: Duration::from_millis(10),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let started = Instant::now();
    let err = tokio::time::timeout(Duration::from_secs(10), api.clients().get(1))
        .await
        .expect("the client gives up by itself")
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("no response within"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn an_error_body_with_a_success_status_is_an_error() {
    let sandbox = start("billomat", options(1)).await;
    let api = billomat(&sandbox);
    sandbox.faults().errors_in_success_next(1);
    let err = api.clients().get(1).await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 200, .. }), "{err:?}");
    assert!(err.vendor_message().is_some(), "{err}");
}

#[tokio::test]
async fn a_malformed_field_gives_a_decode_error_with_its_path() {
    let sandbox = start("billomat", options(3)).await;
    let api = billomat(&sandbox);
    // Give the first client an IBAN: it must not show up in the error.
    let first = api.clients().list_all(&Default::default()).await.unwrap()[0]
        .id
        .unwrap();
    let iban = "DE89370400440532013000";
    let with_iban = Client {
        bank_iban: Some(iban.into()),
        ..Default::default()
    };
    api.clients().update(first, &with_iban).await.unwrap();
    sandbox.faults().malformed_next(1);
    let err = api
        .clients()
        .list_all(&Default::default())
        .await
        .unwrap_err();
    assert!(
        !err.to_string().contains(iban) && !format!("{err:?}").contains(iban),
        "sensitive values are redacted: {err}"
    );
    let Error::Decode {
        path,
        message,
        excerpt,
        ..
    } = &err
    else {
        panic!("expected a decode error, got {err:?}")
    };
    assert!(
        path.starts_with("clients.client[0]."),
        "path names the item and field: {path}"
    );
    assert!(!message.is_empty() && !excerpt.is_empty(), "{err}");
    assert!(
        err.to_string()
            .starts_with("billomat clients.list: cannot decode response at `clients.client[0]."),
        "{err}"
    );
}

#[tokio::test]
async fn nothing_listening_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let api = Billomat::builder("s")
        .base_url(format!("http://{addr}/api"))
        .auth(Billomat::credentials("k"))
        .retry(RetryPolicy {
            max_attempts: 2,
            initial_backoff: Duration::from_millis(10),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let err = api.clients().get(1).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}

#[test]
fn plain_http_is_refused_for_remote_hosts() {
    let err = Billomat::builder("s")
        .base_url("http://billomat.example.com/api")
        .auth(Billomat::credentials("k"))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("must use https"), "{err}");
    let err = Billomat::builder("bad id!")
        .auth(Billomat::credentials("k"))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("billomat_id"), "{err}");
}

/// A server that answers every request with a redirect to `location`, and counts requests.
async fn redirecting_server(
    location: String,
) -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buffer = [0u8; 4096];
            let _ = socket.read(&mut buffer).await;
            let response = format!(
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = socket.write_all(response.as_bytes()).await;
        }
    });
    (addr, hits)
}

#[tokio::test]
async fn redirects_to_another_host_are_not_followed_with_credentials() {
    let (thief, stolen) = redirecting_server("http://127.0.0.1:9/unused".into()).await;
    let (origin, _) = redirecting_server(format!("http://{thief}/steal")).await;
    let api = erp_cloudspot::Cloudspot::builder()
        .base_url(format!("http://{origin}/api/v1"))
        .auth(erp_cloudspot::Cloudspot::credentials("TOP-SECRET-TOKEN"))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = api.klanten().list_all().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(!err.to_string().contains("TOP-SECRET"), "{err}");
    assert_eq!(
        stolen.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the other host never saw the token"
    );
}

/// A client of a loopback server that is not the sandbox.
fn billomat_at(addr: std::net::SocketAddr) -> erp_runtime::ClientBuilder<Billomat> {
    Billomat::builder("s")
        .base_url(format!("http://{addr}/api"))
        .auth(Billomat::credentials("k"))
}

#[tokio::test]
async fn a_redirect_loop_is_not_retried() {
    let (addr, hits) = raw_server(|_| {
        RawReply::Bytes(
            b"HTTP/1.1 302 Found\r\nLocation: /api/loop\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                .to_vec(),
        )
    })
    .await;
    let api = billomat_at(addr)
        .retry(RetryPolicy {
            initial_backoff: Duration::from_millis(10),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let err = api.clients().get(1).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    let requests = hits.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        requests <= 6,
        "the hops of one attempt, not of every retry: {requests} requests"
    );
}

#[tokio::test]
async fn a_timeout_states_the_attempts_and_the_time_they_took() {
    let (addr, hits) = raw_server(|_| RawReply::Drip {
        every: Duration::from_millis(50),
    })
    .await;
    let api = billomat_at(addr)
        .request_timeout(Duration::from_millis(300))
        .retry(RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(10),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let err = api.clients().get(1).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 3);
    let message = err.to_string();
    assert!(message.contains("3 attempts"), "{message}");
    assert!(message.contains("300ms per attempt"), "{message}");
}

#[tokio::test]
async fn the_operation_deadline_bounds_every_attempt_and_wait() {
    let sandbox = start("billomat", options(1)).await;
    sandbox.faults().hang(true);
    // Four attempts of 1 s with backoff between would take over 4 s.
    let api = Billomat::builder("s")
        .base_url(sandbox.base_url())
        .auth(Billomat::credentials(billomat_key(&sandbox)))
        .request_timeout(Duration::from_secs(1))
        .operation_timeout(Duration::from_millis(1500))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = tokio::time::timeout(Duration::from_secs(20), api.clients().get(1))
        .await
        .expect("the client gives up by itself")
        .unwrap_err();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4), "{took:?}: {err}");
    let Error::Timeout {
        limit, attempts, ..
    } = &err
    else {
        panic!("expected a timeout, got {err:?}")
    };
    assert_eq!(
        *limit,
        erp_runtime::TimeLimit::Operation(Duration::from_millis(1500))
    );
    assert_eq!(*attempts as u64, sandbox.faults().requests_seen(), "{err}");
    assert!(
        err.to_string().contains("operation deadline of 1.5s"),
        "{err}"
    );
}

#[tokio::test]
async fn a_rate_limit_reset_after_the_deadline_is_not_waited_for() {
    let sandbox = start("billomat", options(1)).await;
    let api = Billomat::builder("s")
        .base_url(sandbox.base_url())
        .auth(Billomat::credentials(billomat_key(&sandbox)))
        .operation_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    sandbox.faults().rate_limit_next(1, Duration::from_secs(30));
    let started = Instant::now();
    let err = tokio::time::timeout(Duration::from_secs(20), api.clients().get(1))
        .await
        .expect("the client gives up by itself")
        .unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "{err}");
    assert!(!err.maybe_applied(), "a 429 was not applied");
}

#[tokio::test]
async fn a_write_without_an_answer_may_have_been_applied_and_is_not_repeated() {
    let sandbox = start("billomat", options(1)).await;
    sandbox.faults().hang(true);
    let api = Billomat::builder("s")
        .base_url(sandbox.base_url())
        .auth(Billomat::credentials(billomat_key(&sandbox)))
        .request_timeout(Duration::from_millis(300))
        .retry(RetryPolicy {
            initial_backoff: Duration::from_millis(10),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let err = api
        .clients()
        .create(&Client {
            name: Some("Maybe".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(
        err.maybe_applied(),
        "the server got the whole request: {err}"
    );
    assert_eq!(sandbox.faults().requests_seen(), 1, "a POST is sent once");
    // A read in the same situation is repeated: it is safe to send twice.
    let err = api.clients().get(1).await.unwrap_err();
    assert_eq!(err.attempts(), Some(4), "{err}");
}

#[tokio::test]
async fn a_request_that_never_left_was_not_applied() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let api = billomat_at(addr)
        .retry(RetryPolicy {
            max_attempts: 2,
            initial_backoff: Duration::from_millis(10),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let err = api
        .clients()
        .create(&Client {
            name: Some("Never sent".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(!err.maybe_applied(), "nothing was listening: {err}");
    assert_eq!(
        err.attempts(),
        Some(2),
        "a request that never left is retried, even a POST: {err}"
    );
}

/// Lists Billomat's articles two per page, deleting the first record once the first page is in:
/// the pages that follow shift by one, so a record is skipped. (Articles, not clients: a seeded
/// client has documents, and Billomat does not delete such a client.)
async fn list_while_a_record_is_deleted(lenient: bool) -> (Vec<i64>, Option<Error>) {
    use erp_billomat::futures::StreamExt;
    let sandbox = start("billomat", options(6)).await;
    let api = Billomat::builder("s")
        .base_url(sandbox.base_url())
        .auth(Billomat::credentials(billomat_key(&sandbox)))
        .page_size(2)
        .lenient_totals(lenient)
        .build()
        .unwrap();
    let mut listed = api.articles().list(&Default::default());
    let mut ids = Vec::new();
    let mut error = None;
    while let Some(item) = listed.next().await {
        match item {
            Ok(article) => {
                ids.push(article.id.unwrap());
                if ids.len() == 2 {
                    api.articles().delete(ids[0]).await.unwrap();
                }
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    (ids, error)
}

#[tokio::test]
async fn a_list_whose_total_changes_while_paging_fails_instead_of_skipping_a_record() {
    let (ids, error) = list_while_a_record_is_deleted(false).await;
    let error = error.expect("an error, not a list with a record missing");
    let Error::Paging {
        problem,
        pages,
        records,
        total,
        ..
    } = &error
    else {
        panic!("expected a paging error, got {error:?}")
    };
    assert_eq!(
        *problem,
        erp_runtime::PagingProblem::TotalChanged { from: 6, to: 5 },
        "{error}"
    );
    assert_eq!((*pages, *records, *total), (2, 2, Some(6)), "{error}");
    assert_eq!(ids.len(), 2, "only the consistent first page: {ids:?}");
}

#[tokio::test]
async fn lenient_totals_accept_what_the_pages_held() {
    // What the relaxation costs: the record that moved onto the first page is never seen.
    let (ids, error) = list_while_a_record_is_deleted(true).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(ids.len(), 5, "{ids:?}");
    assert!(
        !ids.contains(&3),
        "record 3 shifted onto page 1 after it was read: {ids:?}"
    );
}

#[tokio::test]
async fn a_get_answered_with_another_record_is_an_error_not_that_record() {
    // A server that answers every get with client 1, whatever the id.
    let (addr, _) =
        raw_server(|_| RawReply::json(r#"{"client":{"id":"1","name":"Somebody else"}}"#)).await;
    let api = billomat_at(addr).build().unwrap();
    assert_eq!(api.clients().get(1).await.unwrap().id, Some(1));
    let err = api.clients().get(7).await.unwrap_err();
    let Error::WrongRecord {
        field,
        requested,
        received,
        ..
    } = &err
    else {
        panic!("expected WrongRecord, got {err:?}")
    };
    assert_eq!(
        (*field, requested.as_str(), received.as_str()),
        ("id", "7", "1")
    );
    assert!(
        !err.is_not_found(),
        "not NotFound: get_or_create must not create a duplicate on it"
    );
}
