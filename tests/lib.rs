//! Helpers shared by the integration tests and the tour: start a vendor's sandbox in-process
//! and build the generated client against it.

use std::net::SocketAddr;
use std::time::Duration;

use erp_sandbox::{RunningSandbox, Sandbox, SandboxOptions};
use serde_json::{Value, json};

pub mod hostile;

/// The loopback address with an ephemeral port.
pub fn ephemeral() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Starts the built-in sandbox of `vendor` with `records` seeded records per resource.
pub async fn start(vendor: &str, options: SandboxOptions) -> RunningSandbox {
    let sandbox =
        Sandbox::builtin(vendor, options).unwrap_or_else(|e| panic!("sandbox for {vendor}: {e}"));
    sandbox
        .start(ephemeral())
        .await
        .unwrap_or_else(|e| panic!("cannot start the {vendor} sandbox: {e}"))
}

pub fn options(records: usize) -> SandboxOptions {
    SandboxOptions {
        seed_records: records,
        ..SandboxOptions::default()
    }
}

/// Retries that keep tests fast: short backoff, short rate-limit waits.
pub fn quick_retries() -> erp_runtime::RetryPolicy {
    erp_runtime::RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        max_rate_limit_wait: Duration::from_secs(5),
    }
}

/// A Billomat client for the sandbox.
pub fn billomat(sandbox: &RunningSandbox) -> erp_billomat::Billomat {
    erp_billomat::Billomat::builder("sandbox")
        .base_url(sandbox.base_url())
        .auth(erp_billomat::Billomat::credentials(billomat_key(sandbox)))
        .retry(quick_retries())
        .build()
        .expect("billomat client")
}

/// A Cloudspot client for the sandbox.
pub fn cloudspot(sandbox: &RunningSandbox) -> erp_cloudspot::Cloudspot {
    erp_cloudspot::Cloudspot::builder()
        .base_url(sandbox.base_url())
        .auth(erp_cloudspot::Cloudspot::credentials(cloudspot_token(
            sandbox,
        )))
        .retry(quick_retries())
        .build()
        .expect("cloudspot client")
}

/// The value the sandbox accepts for credential header `name` (as it prints on start-up).
pub fn credential(sandbox: &RunningSandbox, name: &str) -> String {
    sandbox
        .credentials()
        .headers
        .into_iter()
        .find(|(header, _)| header.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
        .unwrap_or_else(|| panic!("the sandbox accepts no header `{name}`"))
}

/// The API key the Billomat sandbox accepts.
pub fn billomat_key(sandbox: &RunningSandbox) -> String {
    credential(sandbox, "X-BillomatApiKey")
}

/// The token the Cloudspot sandbox accepts.
pub fn cloudspot_token(sandbox: &RunningSandbox) -> String {
    credential(sandbox, "X-ERP-TOKEN")
}

/// The README's Rust examples compile (doctests), so the README stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// One client as Billomat sends it (benchmarks and measurements); `i` varies ids, names and the nested list's shape.
pub fn billomat_client(i: usize) -> Value {
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

/// A page of `size` Billomat clients as the vendor sends it (`{"clients": {"client": [...]}}`).
pub fn billomat_clients_page(size: usize) -> Vec<u8> {
    let items: Vec<Value> = (0..size).map(billomat_client).collect();
    let body = json!({"clients": {
        "client": items, "@page": "1", "@per_page": size.to_string(), "@total": size.to_string(),
    }});
    serde_json::to_vec(&body).expect("a page serializes")
}

/// What a [`raw_server`] does with one connection.
#[derive(Debug, Clone)]
pub enum RawReply {
    /// Writes these bytes (a whole HTTP/1.1 response) and closes the connection.
    Bytes(Vec<u8>),
    /// Sends a `200` head announcing a large body, then one byte every `every`, forever: a
    /// server that is alive but never finishes.
    Drip { every: Duration },
}

impl RawReply {
    /// A `200` JSON answer with `body`.
    pub fn json(body: &str) -> Self {
        RawReply::Bytes(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    }
}

/// A loopback HTTP server for failures the sandbox does not imitate: `reply` gets each
/// request's head (request line and headers) and says what to send. The returned counter
/// counts connections, i.e. requests (every answer closes its connection).
pub async fn raw_server(
    reply: impl Fn(&str) -> RawReply + Send + Sync + 'static,
) -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind(ephemeral()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    let reply = std::sync::Arc::new(reply);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buffer = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buffer[..n]),
                    }
                }
                match reply(&String::from_utf8_lossy(&head)) {
                    RawReply::Bytes(bytes) => {
                        let _ = socket.write_all(&bytes).await;
                        let _ = socket.shutdown().await;
                    }
                    RawReply::Drip { every } => {
                        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n[";
                        if socket.write_all(head.as_bytes()).await.is_err() {
                            return;
                        }
                        loop {
                            tokio::time::sleep(every).await;
                            if socket.write_all(b" ").await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    (addr, hits)
}
