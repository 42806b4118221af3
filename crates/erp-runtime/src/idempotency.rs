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
    use super::*;

    #[test]
    fn keys_are_uuids_and_never_repeat() {
        let keys: std::collections::HashSet<String> = (0..10_000).map(|_| new_key()).collect();
        assert_eq!(keys.len(), 10_000);
        let key = keys.iter().next().unwrap();
        let parsed = uuid::Uuid::parse_str(key).unwrap();
        assert_eq!(parsed.get_version_num(), 4, "{key}");
    }
}
