//! Idempotency keys: one fresh key per logical call of an operation whose vendor de-duplicates
//! writes by a key header. The send loop generates it once and sends it on every attempt.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A new key in the UUID v4 text form vendors expect (`Idempotency-Key: 5f0c…`).
///
/// Its 122 random bits come from std's randomly seeded hashers (each `RandomState` is new
/// keying material), mixed with a process-wide counter, the clock and the process id, so
/// that two calls never share a key even within one clock tick. Unpredictability is not
/// needed: a key only has to be unique per call.
pub(crate) fn new_key() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let half = |salt: u8| {
        let mut h = RandomState::new().build_hasher();
        h.write_u8(salt);
        h.write_u64(count);
        h.write_u128(nanos);
        h.write_u32(std::process::id());
        h.finish()
    };
    let bits = (u128::from(half(1)) << 64) | u128::from(half(2));
    uuid::Builder::from_random_bytes(bits.to_be_bytes())
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;
    use crate::descriptor::*;
    use crate::test_server::{Reply, get_item, serve};

    /// A `POST` of the test vendor whose spec declares an idempotency-key header.
    fn keyed_post() -> &'static Operation {
        Box::leak(Box::new(Operation {
            method: Method::Post,
            idempotent: false,
            body: BodyKind::Structured,
            idempotency_key: Some("Idempotency-Key"),
            ..*get_item()
        }))
    }

    #[tokio::test]
    async fn a_keyed_write_is_retried_with_the_same_key_and_each_call_has_its_own() {
        let keys = Arc::new(Mutex::new(Vec::new()));
        let seen = keys.clone();
        let addr = serve(move |request| {
            let mut keys = seen.lock().unwrap();
            keys.push(request.header("idempotency-key").map(str::to_owned));
            // Every first attempt of a call fails as if the vendor broke down mid-way.
            if keys.len() % 2 == 1 {
                Reply::json(503, r#"{"message":"try again"}"#)
            } else {
                Reply::json(201, r#"{"id":1}"#)
            }
        })
        .await;
        let client = crate::Client::builder(get_item().vendor())
            .base_url(format!("http://{addr}"))
            .auth(crate::auth::NoAuth)
            .retry(crate::RetryPolicy {
                initial_backoff: Duration::from_millis(1),
                ..crate::RetryPolicy::default()
            })
            .build()
            .unwrap();
        let body = serde_json::json!({"name": "once"});
        for _ in 0..2 {
            let _: serde_json::Value = client
                .item(keyed_post(), crate::Request::new().body(&body))
                .await
                .expect("the 503 is retried: the key makes it safe");
        }
        let keys = keys.lock().unwrap().clone();
        assert_eq!(keys.len(), 4, "two calls, two attempts each: {keys:?}");
        assert!(keys.iter().all(Option::is_some), "{keys:?}");
        assert_eq!(keys[0], keys[1], "one key for both attempts of a call");
        assert_eq!(keys[2], keys[3]);
        assert_ne!(keys[0], keys[2], "a new key for the next call");
    }

    #[tokio::test]
    async fn the_callers_own_key_is_sent_and_a_bad_one_refused() {
        let keys = Arc::new(Mutex::new(Vec::new()));
        let seen = keys.clone();
        let addr = serve(move |request| {
            let key = request.header("idempotency-key").map(str::to_owned);
            seen.lock().unwrap().push(key);
            Reply::json(201, r#"{"id":1}"#)
        })
        .await;
        let client = crate::test_server::client(addr, crate::auth::NoAuth);
        let body = serde_json::json!({"name": "once"});
        let _: serde_json::Value = client
            .item(
                keyed_post(),
                crate::Request::new()
                    .body(&body)
                    .idempotency_key("order-17"),
            )
            .await
            .unwrap();
        assert_eq!(keys.lock().unwrap()[0].as_deref(), Some("order-17"));
        let err = client
            .item::<serde_json::Value>(
                keyed_post(),
                crate::Request::new()
                    .body(&body)
                    .idempotency_key("line\nbreak"),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, crate::Error::InvalidInput { .. }), "{err:?}");
        assert_eq!(keys.lock().unwrap().len(), 1, "nothing sent");
    }

    #[test]
    fn keys_are_uuids_and_never_repeat() {
        let keys: std::collections::HashSet<String> = (0..10_000).map(|_| new_key()).collect();
        assert_eq!(keys.len(), 10_000);
        let key = keys.iter().next().unwrap();
        let parsed = uuid::Uuid::parse_str(key).unwrap();
        assert_eq!(parsed.get_version_num(), 4, "{key}");
    }
}
