//! Pages fetched at once over real TCP: Billomat's spec asks for 4 once the first page
//! reported `@total`. The list is the same as one page after another, the sandbox answers
//! exactly that many requests together, dropping the stream stops the fetching, and the
//! rate-limit gate still holds for pages in flight.

use std::time::Duration;

use erp_billomat::Billomat;
use erp_billomat::models::Client;
use erp_clients_tests::{billomat_key, options, quick_retries, start};
use erp_sandbox::{RateLimitSettings, RunningSandbox, SandboxOptions};
use futures::{StreamExt, TryStreamExt};

fn client(sandbox: &RunningSandbox, concurrency: Option<usize>) -> Billomat {
    let builder = Billomat::builder("sandbox")
        .base_url(sandbox.base_url())
        .auth(Billomat::credentials(billomat_key(sandbox)))
        .retry(quick_retries())
        .page_size(10);
    match concurrency {
        Some(pages) => builder.page_concurrency(pages),
        None => builder,
    }
    .build()
    .expect("client")
}

async fn ids(api: &Billomat) -> Vec<i64> {
    let clients: Vec<Client> = api
        .clients()
        .list(&Default::default())
        .try_collect()
        .await
        .expect("list");
    clients.iter().filter_map(|c| c.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn billomat_lists_four_pages_at_once_with_the_same_result() {
    let sandbox = start("billomat", options(200)).await;
    let faults = sandbox.faults();
    faults.latency(Duration::from_millis(30));

    let sequential = ids(&client(&sandbox, Some(1))).await;
    assert_eq!(faults.most_requests_at_once(), 1);
    assert_eq!(sequential.len(), 200);

    faults.reset();
    faults.latency(Duration::from_millis(30));
    let at_once = ids(&client(&sandbox, None)).await;
    assert_eq!(at_once, sequential, "the same records in the same order");
    assert_eq!(
        faults.most_requests_at_once(),
        4,
        "the spec's `paging.concurrency`"
    );
    assert_eq!(faults.requests_seen(), 20, "each of the 20 pages once");

    faults.reset();
    faults.latency(Duration::from_millis(30));
    let _ = ids(&client(&sandbox, Some(7))).await;
    assert_eq!(
        faults.most_requests_at_once(),
        7,
        "the client's own setting"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_stream_stops_the_pages_ahead() {
    let sandbox = start("billomat", options(200)).await;
    let faults = sandbox.faults();
    faults.latency(Duration::from_millis(30));
    let api = client(&sandbox, None);
    let first: Vec<Client> = api
        .clients()
        .list(&Default::default())
        .take(15)
        .try_collect()
        .await
        .expect("15 clients");
    assert_eq!(first.len(), 15);
    // Page 1 alone, then pages 2 to 5 at once; nothing after the stream is gone.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(faults.requests_seen(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_at_once_stay_inside_the_quota() {
    let sandbox = start(
        "billomat",
        SandboxOptions {
            seed_records: 200,
            rate_limit: Some(RateLimitSettings {
                quota: 6,
                window: Duration::from_millis(500),
            }),
            ..SandboxOptions::default()
        },
    )
    .await;
    let api = client(&sandbox, Some(8));
    assert_eq!(ids(&api).await.len(), 200);
    assert_eq!(
        sandbox.faults().requests_seen(),
        20,
        "no page was answered with a 429 and sent again"
    );
}
