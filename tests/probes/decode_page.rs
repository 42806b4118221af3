//! Decoding cost of one list page, as a whole process (so that CPU time and peak memory are
//! measured from outside; `cargo xtask bench` runs it):
//!
//! ```sh
//! cargo build --release -p erp-clients-tests --example decode_page
//! target/release/examples/decode_page write billomat 1000 /tmp/page.json
//! target/release/examples/decode_page lenient billomat /tmp/page.json 200
//! target/release/examples/decode_page plain billomat /tmp/page.json 200
//! ```
//!
//! `lenient` decodes the page N times through the runtime's list path
//! (`erp_runtime::paging::decode_page`: envelope, page meta, lenient typed models); `plain`
//! decodes the same bytes N times with plain `#[derive(Deserialize)]` structs of the same
//! fields, typed as serde_json alone can read them, the baseline the lenient path is measured
//! against. `write` makes a page of N synthetic records in the vendor's dialect.
//!
//! Two vendors: Billomat (every scalar a string, `""` for unset, wrapped one-or-many nested
//! lists, an envelope with page meta), where leniency has work to do, and Cloudspot (native
//! JSON types, a plain `data` envelope), where it should cost next to nothing.

use std::collections::BTreeMap;
use std::time::Instant;

use erp_billomat::models::Client;
use erp_cloudspot::models::Klant;
use serde::Deserialize;
use serde_json::{Value, json};

const USAGE: &str = "usage: decode_page write VENDOR SIZE FILE | (lenient|plain) VENDOR FILE N
  VENDOR is billomat or cloudspot";

/// Decodes a page and says how many items it held.
type Decoder = fn(&[u8]) -> Result<usize, Box<dyn std::error::Error>>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, vendor, a, b] = args.as_slice() else {
        return Err(USAGE.into());
    };
    if mode == "write" {
        let size = a.parse()?;
        let page = match vendor.as_str() {
            "billomat" => erp_clients_tests::billomat_clients_page(size),
            "cloudspot" => cloudspot_klanten_page(size),
            other => return Err(format!("unknown vendor `{other}`\n{USAGE}").into()),
        };
        std::fs::write(b, page).map_err(|e| format!("{b}: {e}"))?;
        return Ok(());
    }
    let bytes = std::fs::read(a).map_err(|e| format!("{a}: {e}"))?;
    let runs: usize = b.parse()?;
    let decode: Decoder = match (mode.as_str(), vendor.as_str()) {
        ("lenient", "billomat") => |bytes| {
            let page: erp_runtime::Page<Client> = erp_runtime::paging::decode_page(
                &erp_billomat::resources::clients::LIST,
                bytes,
                "https://example.invalid/api/clients",
            )?;
            Ok(page.items.len())
        },
        ("plain", "billomat") => |bytes| {
            Ok(serde_json::from_slice::<PlainPage>(bytes)?
                .clients
                .client
                .len())
        },
        ("lenient", "cloudspot") => |bytes| {
            let page: erp_runtime::Page<Klant> = erp_runtime::paging::decode_page(
                &erp_cloudspot::resources::klanten::LIST,
                bytes,
                "https://example.invalid/api/v1/klanten/",
            )?;
            Ok(page.items.len())
        },
        ("plain", "cloudspot") => {
            |bytes| Ok(serde_json::from_slice::<PlainKlanten>(bytes)?.data.len())
        }
        _ => return Err(format!("unknown mode or vendor `{mode} {vendor}`\n{USAGE}").into()),
    };
    let start = Instant::now();
    let mut items = 0;
    for _ in 0..runs {
        items += decode(&bytes)?;
    }
    // One JSON line for the harness; the loop's own time beside the process's CPU time.
    println!(
        "{}",
        json!({"items": items, "seconds": start.elapsed().as_secs_f64()})
    );
    Ok(())
}

/// A page of `size` Cloudspot clients as the vendor sends them: native JSON types, nothing to
/// be lenient about, in the `data` envelope beside `"status": "OK"`.
fn cloudspot_klanten_page(size: usize) -> Vec<u8> {
    let klant = |i: usize| {
        let company = i.is_multiple_of(2);
        json!({
            "aanspreektitel": if i.is_multiple_of(3) { "Mevr." } else { "Mijnh." },
            "voornaam": format!("Voornaam {i}"),
            "achternaam": format!("Achternaam {i}"),
            "bedrijfsnaam": if company { json!(format!("Bedrijf {i} BV")) } else { Value::Null },
            "BTW_nummer": if company { json!(format!("BE0{:09}", 100_000_000 + i)) } else { Value::Null },
            "ondernemingsnummer": if company { json!(format!("0{:09}", 100_000_000 + i)) } else { Value::Null },
            "is_bedrijf": company,
            "klantennummer": 10_000 + i,
            "geboortedatum": format!("19{:02}-{:02}-{:02}", 50 + i % 50, 1 + i % 12, 1 + i % 28),
            "geboorteplaats": "Gent",
            "straat": "Kerkstraat",
            "huisnummer": (1 + i % 200).to_string(),
            "busnummer": if i.is_multiple_of(5) { json!("b") } else { Value::Null },
            "postcode": "9000",
            "plaats": "Gent",
            "land": "BE",
        })
    };
    let items: Vec<Value> = (0..size).map(klant).collect();
    serde_json::to_vec(&json!({"status": "OK", "data": items})).expect("a page serializes")
}

#[derive(Deserialize)]
struct PlainKlanten {
    data: Vec<PlainKlant>,
    #[serde(rename = "status")]
    _status: Option<String>,
}

/// The generated `Klant`'s fields with the same types (the enum as its text) and `extra` map.
#[derive(Deserialize, Default)]
#[serde(default)]
#[allow(dead_code)]
struct PlainKlant {
    aanspreektitel: Option<String>,
    achternaam: Option<String>,
    bedrijfsnaam: Option<String>,
    #[serde(rename = "BTW_nummer")]
    btw_nummer: Option<String>,
    busnummer: Option<String>,
    geboortedatum: Option<erp_runtime::chrono::NaiveDate>,
    geboorteplaats: Option<String>,
    huisnummer: Option<String>,
    is_bedrijf: Option<bool>,
    klantennummer: Option<i64>,
    land: Option<String>,
    ondernemingsnummer: Option<String>,
    plaats: Option<String>,
    postcode: Option<String>,
    straat: Option<String>,
    voornaam: Option<String>,
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
struct PlainPage {
    clients: PlainClients,
}

#[derive(Deserialize)]
struct PlainClients {
    client: Vec<PlainClient>,
    #[serde(rename = "@total")]
    _total: Option<String>,
    #[serde(rename = "@page")]
    _page: Option<String>,
    #[serde(rename = "@per_page")]
    _per_page: Option<String>,
}

/// The generated model's fields, each as the wire sends it (a string); the nested list, whose
/// shape varies (`""`, one object, an array), as free-form JSON; the same `extra` map.
#[derive(Deserialize, Default)]
#[serde(default)]
#[allow(dead_code)]
struct PlainClient {
    id: Option<String>,
    address: Option<String>,
    archived: Option<String>,
    bank_account_number: Option<String>,
    bank_account_owner: Option<String>,
    bank_iban: Option<String>,
    bank_name: Option<String>,
    bank_number: Option<String>,
    bank_swift: Option<String>,
    city: Option<String>,
    client_number: Option<String>,
    #[serde(rename = "client-property-values")]
    client_property_values: Option<Value>,
    country_code: Option<String>,
    created: Option<String>,
    currency_code: Option<String>,
    customfield: Option<String>,
    debitor_account_number: Option<String>,
    default_payment_types: Option<String>,
    dig_exclude: Option<String>,
    discount_days: Option<String>,
    discount_days_type: Option<String>,
    discount_rate: Option<String>,
    discount_rate_type: Option<String>,
    due_days: Option<String>,
    due_days_type: Option<String>,
    dunning_run: Option<String>,
    email: Option<String>,
    enable_customerportal: Option<String>,
    fax: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    locale: Option<String>,
    mobile: Option<String>,
    name: Option<String>,
    net_gross: Option<String>,
    note: Option<String>,
    number: Option<String>,
    number_length: Option<String>,
    number_pre: Option<String>,
    offer_validity_days: Option<String>,
    offer_validity_days_type: Option<String>,
    phone: Option<String>,
    price_group: Option<String>,
    reduction: Option<String>,
    reminder_due_days: Option<String>,
    reminder_due_days_type: Option<String>,
    revenue_gross: Option<String>,
    revenue_net: Option<String>,
    salutation: Option<String>,
    sepa_mandate: Option<String>,
    sepa_mandate_date: Option<String>,
    state: Option<String>,
    street: Option<String>,
    tax_number: Option<String>,
    tax_rule: Option<String>,
    updated: Option<String>,
    vat_number: Option<String>,
    www: Option<String>,
    zip: Option<String>,
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}
