//! Decoding cost of one Billomat clients page, as a whole process (for timing and peak memory
//! from outside):
//!
//! ```sh
//! cargo run --release -p erp-clients-tests --example decode_page -- write 1000 /tmp/page.json
//! cargo run --release -p erp-clients-tests --example decode_page -- lenient /tmp/page.json 200
//! cargo run --release -p erp-clients-tests --example decode_page -- plain /tmp/page.json 200
//! ```
//!
//! `lenient` decodes the page N times through the runtime's list path
//! (`erp_runtime::paging::decode_page`: envelope, page meta, lenient typed models); `plain`
//! decodes the same bytes N times with plain `#[derive(Deserialize)]` structs of the same
//! fields, typed as serde_json alone can read them (Billomat sends every scalar as a string),
//! the baseline the lenient path is measured against. `write` makes a page of N synthetic
//! clients in the vendor's dialect.

use std::collections::BTreeMap;

use erp_billomat::models::Client;
use serde::Deserialize;
use serde_json::Value;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, a, b] = args.as_slice() else {
        return Err("usage: decode_page (write SIZE FILE | lenient FILE N | plain FILE N)".into());
    };
    if mode == "write" {
        std::fs::write(b, erp_clients_tests::billomat_clients_page(a.parse()?))?;
        return Ok(());
    }
    let bytes = std::fs::read(a)?;
    let runs: usize = b.parse()?;
    let mut items = 0;
    for _ in 0..runs {
        items += match mode.as_str() {
            "lenient" => {
                let page: erp_runtime::Page<Client> = erp_runtime::paging::decode_page(
                    &erp_billomat::resources::clients::LIST,
                    &bytes,
                    "https://example.invalid/api/clients",
                )?;
                page.items.len()
            }
            "plain" => serde_json::from_slice::<PlainPage>(&bytes)?
                .clients
                .client
                .len(),
            other => return Err(format!("unknown mode `{other}`").into()),
        };
    }
    println!("{items} items decoded");
    Ok(())
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
