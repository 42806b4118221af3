//! Client-side rate-limit metering against the sandbox's windows: many tasks on one shared
//! client never see a 429 while the quota allows the work, and barely waste requests.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use erp_clients_tests::{billomat, billomat_key, ephemeral, options, quick_retries, start};
use erp_runtime::{Error, Request, RetryPolicy};
use erp_sandbox::{RateLimitSettings, Sandbox, SandboxOptions};
use erp_spec::ir::{RateWindow, ResetUnit, WhenExhausted};

/// What one burst of concurrent calls cost.
struct Burst {
    calls: usize,
    errors: Vec<String>,
    requests: u64,
}

impl Burst {
    fn requests_per_call(&self) -> f64 {
        self.requests as f64 / self.calls as f64
    }
}

/// `tasks` concurrent `list_all` calls on one client against a sandbox that allows `quota`
/// requests per `window`.
async fn burst(tasks: usize, quota: u64, window: Duration) -> Burst {
    let sandbox = start(
        "billomat",
        SandboxOptions {
            // Two records: every `list_all` is exactly one page, i.e. one request needed.
            seed_records: 2,
            rate_limit: Some(RateLimitSettings { quota, window }),
            ..SandboxOptions::default()
        },
    )
    .await;
    let api = billomat(&sandbox);
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move { api.clients().list_all(&Default::default()).await })
        })
        .collect();
    let mut errors = Vec::new();
    for handle in handles {
        match handle.await.expect("the task did not panic") {
            Ok(clients) => assert_eq!(clients.len(), 2),
            Err(e) => errors.push(e.to_string()),
        }
    }
    let burst = Burst {
        calls: tasks,
        errors,
        requests: sandbox.faults().requests_seen(),
    };
    println!(
        "{tasks} concurrent list_all, quota {quota} per {window:?}: {} errors, {} requests ({:.3} per call)",
        burst.errors.len(),
        burst.requests,
        burst.requests_per_call()
    );
    burst
}

fn assert_clean(burst: &Burst) {
    assert!(
        burst.errors.is_empty(),
        "{} of {} calls failed, e.g. {:?}",
        burst.errors.len(),
        burst.calls,
        burst.errors.first()
    );
    assert!(
        burst.requests_per_call() <= 1.05,
        "{} requests for {} calls",
        burst.requests,
        burst.calls
    );
}

/// Three windows' worth of work at once: each window's quota is used to the last request
/// and never beyond.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_on_one_client_never_see_a_429() {
    assert_clean(&burst(90, 30, Duration::from_secs(1)).await);
}

/// The issue's measurement: 200 tasks against 10 requests per second (20 s; run with
/// `cargo test -p erp-clients-tests --test all -- --ignored --nocapture issue_measurement`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "takes 20 s; the issue's figures"]
async fn issue_measurement_200_tasks_at_10_per_second() {
    assert_clean(&burst(200, 10, Duration::from_secs(1)).await);
}

const DAY: u64 = 86_400;

/// Billomat's spec with a second window: a daily quota of `quota` that fails fast, reported in
/// headers of its own.
fn billomat_with_daily_quota(quota: u64) -> erp_spec::ir::Spec {
    let mut spec = Sandbox::builtin("billomat", SandboxOptions::default())
        .expect("billomat spec")
        .spec()
        .clone();
    let mut daily = spec.rate_limits[0].clone();
    daily.window = RateWindow {
        name: "daily",
        limit_header: Some("X-Daily-Limit"),
        remaining_header: Some("X-Daily-Remaining"),
        reset_header: Some("X-Daily-Reset"),
        reset_unit: ResetUnit::EpochSeconds,
        seconds: Some(DAY),
        when_exhausted: WhenExhausted::FailFast,
    };
    daily.window_seconds = DAY;
    spec.rate_limits.push(daily);
    spec.sandbox
        .rate_limits
        .push(erp_spec::ir::SandboxRateLimit {
            name: "daily".to_owned(),
            quota,
            exceeded_message: "Daily quota of {quota} requests reached.".to_owned(),
        });
    spec
}

fn since_epoch(t: SystemTime) -> Duration {
    t.duration_since(UNIX_EPOCH).expect("after 1970")
}

#[tokio::test]
async fn an_exhausted_daily_window_fails_at_once_with_its_reset_and_sends_nothing() {
    // The sandbox's daily window ends at 00:00 UTC: do not straddle it (the last call would
    // land in a fresh day).
    let to_midnight = DAY - since_epoch(SystemTime::now()).as_secs() % DAY;
    if to_midnight < 10 {
        tokio::time::sleep(Duration::from_secs(to_midnight + 1)).await;
    }
    let spec = billomat_with_daily_quota(3);
    let descriptors = erp_spec::descriptors::descriptors(&spec);
    let get = descriptors
        .operation("clients", "get")
        .expect("billomat has clients.get");
    let sandbox = Sandbox::new(spec, options(2))
        .start(ephemeral())
        .await
        .expect("sandbox");
    let api = erp_runtime::Client::builder(descriptors.vendor)
        .base_url(sandbox.base_url())
        .auth(erp_billomat::Billomat::credentials(billomat_key(&sandbox)))
        // Waiting would be allowed for two days: only `fail_fast` explains an error at once.
        .retry(RetryPolicy {
            max_rate_limit_wait: Duration::from_secs(2 * DAY),
            ..quick_retries()
        })
        .build()
        .expect("client");
    let call = || api.item::<serde_json::Value>(get, Request::new().path("id", 1));
    for _ in 0..3 {
        call().await.expect("within the daily quota");
    }
    let faults = sandbox.faults();
    assert_eq!(faults.requests_seen(), 3);
    // A safety net against a client that waits for the reset after all, not a timing claim.
    let err = tokio::time::timeout(Duration::from_secs(30), call())
        .await
        .expect("the call fails instead of waiting for midnight")
        .expect_err("the daily quota is used up");
    assert_eq!(faults.requests_seen(), 3, "nothing was sent: {err}");
    let Error::RateLimited {
        window: Some("daily"),
        reset_at: Some(reset_at),
        retry_after: Some(_),
        ..
    } = &err
    else {
        panic!("expected RateLimited naming the daily window, got {err:?}")
    };
    let midnight = (since_epoch(SystemTime::now()).as_secs() / DAY + 1) * DAY;
    let off = since_epoch(*reset_at).abs_diff(Duration::from_secs(midnight));
    assert!(
        off < Duration::from_secs(2),
        "resets at the next 00:00 UTC: {reset_at:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("`daily`") && text.contains("00:00:00 UTC"),
        "{text}"
    );
    println!("{text}");
}

/// A 429 the client did not see coming (another process used the quota) feeds its meter: calls
/// made afterwards wait for the reset instead of earning 429s of their own.
#[tokio::test]
async fn a_429_empties_the_meter_until_the_reset() {
    let sandbox = start(
        "billomat",
        SandboxOptions {
            seed_records: 2,
            rate_limit: Some(RateLimitSettings {
                quota: 10,
                window: Duration::from_secs(3),
            }),
            ..SandboxOptions::default()
        },
    )
    .await;
    let client = |retry: RetryPolicy| {
        erp_billomat::Billomat::builder("sandbox")
            .base_url(sandbox.base_url())
            .auth(erp_billomat::Billomat::credentials(billomat_key(&sandbox)))
            .retry(retry)
            .build()
            .expect("client")
    };
    // One attempt per call: a 429 the meter lets through is an error here.
    let api = client(RetryPolicy {
        max_attempts: 1,
        ..quick_retries()
    });
    api.clients().get(1).await.expect("the meter learns 9 left");
    // Another process (its own meter) uses the other 9.
    let other = client(quick_retries());
    for _ in 0..9 {
        other.clients().get(1).await.expect("within the quota");
    }
    let err = api
        .clients()
        .get(1)
        .await
        .expect_err("the vendor's window is used up; our meter did not know");
    assert!(
        matches!(
            err,
            Error::RateLimited {
                window: Some("quarter-hourly"),
                ..
            }
        ),
        "a 429 from the sandbox (if not, the setup straddled a window): {err:?}"
    );
    let faults = sandbox.faults();
    assert_eq!(faults.requests_seen(), 11);
    let later: Vec<_> = (0..5)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move { api.clients().get(1).await })
        })
        .collect();
    for call in later {
        call.await
            .expect("no panic")
            .expect("held until the reset, then sent once");
    }
    assert_eq!(faults.requests_seen(), 16, "one request per later call");
}

/// The spec's quarter-hour window is known from earlier answers when a 429 says "back in a
/// second": the client believes the 429 (as the tour shows), not the quarter hour.
#[tokio::test]
async fn a_429_with_an_earlier_reset_than_the_known_window_is_waited_out() {
    let sandbox = start("billomat", options(2)).await;
    let api = billomat(&sandbox);
    api.clients()
        .get(1)
        .await
        .expect("learns the quarter-hour window");
    let faults = sandbox.faults();
    faults.rate_limit_next(1, Duration::from_secs(1));
    // With the quarter hour as the reset, the 5 s allowed by `quick_retries` would be exceeded
    // and the call would fail.
    api.clients()
        .get(1)
        .await
        .expect("retried after the 429's reset");
    assert_eq!(faults.requests_seen(), 3, "one success, one 429, one retry");
}
