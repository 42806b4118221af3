//! Real response samples from public repositories (`../shared/fixtures`) decode with the
//! generated models, through the vendor's lenient decoder (`erp_billomat::from_json`, what the
//! client applies to responses). In CI the folder must exist: a missing folder fails instead of
//! skipping.

use std::path::PathBuf;

use erp_billomat::from_json;
use erp_billomat::models::{Client, ClientPropertyValue, Contact};
use serde_json::Value;

fn fixture_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/billomat/j-frost-billomat-ts");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing; CI must have ../shared beside the checkout",
        dir.display()
    );
    eprintln!("skipping: {} not found (outside CI)", dir.display());
    None
}

fn read(name: &str) -> Option<Value> {
    let dir = fixture_dir()?;
    let text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}")))
}

fn items(list: &Value, root: &str, item: &str) -> Vec<Value> {
    match &list[root][item] {
        Value::Array(items) => items.clone(),
        obj @ Value::Object(_) => vec![obj.clone()],
        _ => Vec::new(),
    }
}

#[test]
fn billomat_clients_decode_with_nested_one_item_collections() {
    let Some(list) = read("clients-list-response.json") else {
        return;
    };
    let clients: Vec<Client> = items(&list, "clients", "client")
        .iter()
        .map(|v| from_json(v).unwrap())
        .collect();
    assert_eq!(clients.len(), 3);
    let first = &clients[0];
    assert_eq!(first.id, Some(3527529));
    assert_eq!(first.archived, Some(false));
    assert_eq!(first.zip, None, "\"\" means not set");
    assert_eq!(
        first.client_property_values.len(),
        1,
        "wrapped single nested item"
    );
    assert_eq!(
        first.client_property_values[0].value.as_deref(),
        Some("example.com")
    );
    assert_eq!(
        first.created.unwrap().to_rfc3339(),
        "2020-05-15T14:31:37+02:00"
    );
}

#[test]
fn billomat_created_client_with_empty_nested_collection() {
    let Some(body) = read("clients-create-response.json") else {
        return;
    };
    let client: Client = from_json(&body["client"]).unwrap();
    assert!(
        client.client_property_values.is_empty(),
        "\"\" is an empty collection"
    );
}

#[test]
fn billomat_contacts_and_property_values() {
    let Some(contact) = read("contacts-get-response.json") else {
        return;
    };
    let contact: Contact = from_json(&contact["contact"]).unwrap();
    assert_eq!(contact.client_id, Some(1111111));
    let Some(list) = read("client-property-values-list-response.json") else {
        return;
    };
    let values: Vec<ClientPropertyValue> =
        items(&list, "client-property-values", "client-property-value")
            .iter()
            .map(|v| from_json(v).unwrap())
            .collect();
    assert_eq!(values.len(), 3);
}

#[test]
fn members_the_spec_does_not_describe_are_kept() {
    let Some(body) = read("clients-get-response.json") else {
        return;
    };
    let mut raw = body["client"].clone();
    raw["brand_new_field"] = Value::from("kept");
    let client: Client = from_json(&raw).unwrap();
    assert_eq!(
        client.extra.get("brand_new_field"),
        Some(&Value::from("kept"))
    );
}
