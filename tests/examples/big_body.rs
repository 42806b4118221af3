//! Peak memory of one `get` whose body is large: run under `/usr/bin/time -v`.
//!
//! `cargo run --release -p erp-clients-tests --example big_body -- <MiB> [chunked] [cap-MiB]`
//! serves a Billomat `clients.get` answer whose `name` holds `<MiB>` MiB on loopback (the
//! server writes it 64 KiB at a time and never holds it) and fetches it once through the
//! generated client; `cap-MiB` raises the client's response-size cap.

use erp_billomat::Billomat;
use erp_clients_tests::hostile::{self, Answer, Body};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mib: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let chunked = args.next().is_some_and(|a| a == "chunked");
    let cap: Option<u64> = args.next().and_then(|a| a.parse().ok());
    let server = hostile::serve(move |_| Answer {
        status: 200,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Body::Generated {
            prefix: br#"{"client":{"id":"1","name":""#.to_vec(),
            len: mib * 1024 * 1024,
            filler: b'x',
            suffix: br#""}}"#.to_vec(),
            chunked,
        },
    })
    .await;
    let mut builder = Billomat::builder("s")
        .base_url(server.url())
        .auth(Billomat::credentials("k"))
        .retry(erp_runtime::RetryPolicy::disabled())
        .request_timeout(std::time::Duration::from_secs(300));
    if let Some(cap) = cap {
        builder = builder.max_response_bytes(cap * 1024 * 1024);
    }
    let api = builder.build().expect("client");
    match api.clients().get(1).await {
        Ok(client) => println!(
            "ok: name of {} bytes",
            client.name.as_deref().map_or(0, str::len)
        ),
        Err(e) => println!("error: {e}"),
    }
}
