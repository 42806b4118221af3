//! The client's own decoding work on a list page, without HTTP: Billomat clients in the
//! vendor's dialect (every scalar a string, `""` for unset, a wrapped nested list holding one
//! item as an object or several as an array) from body bytes to a value tree and on to typed
//! models through the lenient decoder. Run with `cargo bench -p erp-clients-tests`.

use erp_billomat::models::Client;
use serde_json::{Value, json};

fn main() {
    divan::main();
}

/// One client as Billomat sends it; `i` varies ids, names and the nested list's shape.
fn client(i: usize) -> Value {
    let property = |n: usize| {
        json!({
            "id": (7_000_000 + 10 * i + n).to_string(), "client_id": (1_000_000 + i).to_string(),
            "client_property_id": "16022", "type": "TEXTFIELD", "name": "Domain",
            "value": format!("example-{i}.com"), "customfield": "",
        })
    };
    let properties = match i % 3 {
        0 => json!(""),
        1 => json!({ "client-property-value": property(0) }),
        _ => json!({ "client-property-value": [property(0), property(1)] }),
    };
    // Members that are the same in every record, as Billomat writes them.
    const FIXED: &[(&str, &str)] = &[
        ("created", "2020-05-15T14:31:37+02:00"),
        ("updated", "2020-05-27T21:00:10+02:00"),
        ("archived", "0"),
        ("dig_exclude", "0"),
        ("number_pre", "KD"),
        ("number_length", "0"),
        ("salutation", ""),
        ("first_name", "Max"),
        ("last_name", "Muster"),
        ("street", "Hauptstraße 1"),
        ("zip", "12345"),
        ("city", "Berlin"),
        ("state", ""),
        ("country_code", "DE"),
        ("address", "Firma\nHauptstraße 1\n12345 Berlin"),
        ("phone", ""),
        ("fax", ""),
        ("mobile", ""),
        ("www", ""),
        ("tax_number", ""),
        ("vat_number", ""),
        ("bank_account_owner", ""),
        ("bank_number", ""),
        ("bank_name", ""),
        ("bank_account_number", ""),
        ("bank_swift", ""),
        ("bank_iban", ""),
        ("currency_code", ""),
        ("enable_customerportal", "0"),
        ("default_payment_types", ""),
        ("sepa_mandate", ""),
        ("sepa_mandate_date", ""),
        ("locale", ""),
        ("tax_rule", "COUNTRY"),
        ("net_gross", "SETTINGS"),
        ("price_group", "0"),
        ("debitor_account_number", ""),
        ("reduction", "0"),
        ("discount_rate_type", "SETTINGS"),
        ("discount_rate", ""),
        ("discount_days_type", "SETTINGS"),
        ("discount_days", "7"),
        ("due_days_type", "SETTINGS"),
        ("due_days", "14"),
        ("reminder_due_days_type", "SETTINGS"),
        ("reminder_due_days", "7"),
        ("offer_validity_days_type", "SETTINGS"),
        ("offer_validity_days", "28"),
        ("dunning_run", "1"),
        ("note", ""),
        ("revenue_gross", "0"),
        ("revenue_net", "0"),
        ("customfield", ""),
    ];
    let mut members: serde_json::Map<String, Value> = FIXED
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect();
    members.insert("id".into(), (1_000_000 + i).to_string().into());
    members.insert("number".into(), i.to_string().into());
    members.insert("client_number".into(), format!("KD{i}").into());
    members.insert("name".into(), format!("Firma {i} GmbH").into());
    members.insert("email".into(), format!("info@firma{i}.de").into());
    members.insert("client-property-values".into(), properties);
    Value::Object(members)
}

fn page(size: usize) -> Vec<u8> {
    let items: Vec<Value> = (0..size).map(client).collect();
    let body = json!({"clients": {
        "client": items, "@page": "1", "@per_page": size.to_string(), "@total": size.to_string(),
    }});
    serde_json::to_vec(&body).expect("a page serializes")
}

fn decode(items: &[Value]) -> Vec<Client> {
    items
        .iter()
        .map(|item| erp_billomat::from_json(item).expect("a client decodes"))
        .collect()
}

/// The typed step alone: value tree to models.
#[divan::bench(args = [100, 1000], sample_count = 50)]
fn models_from_values(bencher: divan::Bencher, size: usize) {
    let body: Value = serde_json::from_slice(&page(size)).expect("JSON");
    let items = body["clients"]["client"].as_array().expect("items").clone();
    bencher
        .counter(divan::counter::ItemsCount::new(size))
        .bench_local(|| decode(&items));
}

/// The whole decoding path of a page: bytes to value tree to models.
#[divan::bench(args = [100, 1000], sample_count = 50)]
fn models_from_bytes(bencher: divan::Bencher, size: usize) {
    let bytes = page(size);
    bencher
        .counter(divan::counter::ItemsCount::new(size))
        .bench_local(|| {
            let mut body: Value = serde_json::from_slice(&bytes).expect("JSON");
            let items = body["clients"]["client"].take();
            decode(items.as_array().expect("items"))
        });
}
