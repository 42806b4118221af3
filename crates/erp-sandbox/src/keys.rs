//! Record keys other than the server's integer `id` (`resources.<r>.sandbox.key`): the key a
//! client chooses on create (Spreedly's `customer-id`), or one the server makes up (a 40-hex
//! token, a GUID). Rows keep their internal ids; the store's key index resolves a key to its row.

use erp_spec::ir::TypeRef;
use erp_spec::ir::effects::{KeyOrigin, RecordKey};
use serde_json::{Map, Value};

use crate::store::{Store, key_text};

/// 64 well-mixed bits from `x` (splitmix64): generated keys are deterministic per row.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn salt(resource: &str) -> u64 {
    resource.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
    })
}

/// The key the server gives row `id` of `resource`.
pub(crate) fn generated(origin: KeyOrigin, resource: &str, id: i64) -> Option<String> {
    let seed = salt(resource) ^ (id as u64);
    let words: Vec<u64> = (0..3u64).map(|i| mix(seed.wrapping_add(i))).collect();
    match origin {
        KeyOrigin::Client => None,
        KeyOrigin::Hex40 => {
            let hex = format!("{:016x}{:016x}{:016x}", words[0], words[1], words[2]);
            Some(hex[..40].to_owned())
        }
        KeyOrigin::Guid => {
            let hex = format!("{:016x}{:016x}", words[0], words[1]);
            Some(format!(
                "{}-{}-4{}-a{}-{}",
                &hex[0..8],
                &hex[8..12],
                &hex[13..16],
                &hex[17..20],
                &hex[20..32]
            ))
        }
    }
}

/// Gives a seeded record a key no other record has: the server's for generated keys; for a
/// client's key, what was drawn unless it is missing or taken, else the row id.
pub(crate) fn seed_key(
    key: &RecordKey,
    ty: &TypeRef,
    resource: &str,
    id: i64,
    record: &mut Map<String, Value>,
    store: &Store,
) {
    if let Some(made) = generated(key.origin, resource, id) {
        record.insert(key.field.clone(), Value::String(made));
        return;
    }
    let drawn = record.get(&key.field).and_then(key_text);
    if drawn.is_some_and(|k| store.by_key(resource, &k).is_none()) {
        return;
    }
    let value = match ty {
        TypeRef::Integer => Value::from(id),
        _ => Value::String(id.to_string()),
    };
    record.insert(key.field.clone(), value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_their_shape_and_differ_by_row() {
        let a = generated(KeyOrigin::Hex40, "invoices", 1).expect("token");
        let b = generated(KeyOrigin::Hex40, "invoices", 2).expect("token");
        assert_eq!(a.len(), 40);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
        let guid = generated(KeyOrigin::Guid, "accounts", 1).expect("guid");
        assert!(crate::decode::is_guid(&guid), "{guid}");
        assert_eq!(generated(KeyOrigin::Client, "x", 1), None);
    }

    #[test]
    fn seeded_client_keys_are_unique() {
        let key = RecordKey {
            field: "customer-id".into(),
            origin: KeyOrigin::Client,
            duplicate: erp_spec::ir::effects::Refusal {
                status: 403,
                message: erp_spec::expr::Template::parse("taken").expect("template"),
                body: erp_spec::ir::effects::ErrorBody::Text,
                code: None,
            },
        };
        let mut store = Store::default().with_keys([("s", "customer-id")]);
        let mut first = Map::new();
        first.insert("customer-id".into(), Value::from("44"));
        seed_key(&key, &TypeRef::String, "s", 1, &mut first, &store);
        store.insert("s", 1, Value::Object(first));
        let mut second = Map::new();
        second.insert("customer-id".into(), Value::from("44"));
        seed_key(&key, &TypeRef::String, "s", 2, &mut second, &store);
        assert_eq!(second["customer-id"], "2");
    }
}
