//! The client's own decoding work on a list page, without HTTP: Billomat clients in the
//! vendor's dialect (every scalar a string, `""` for unset, a wrapped nested list holding one
//! item as an object or several as an array) from body bytes to a value tree and on to typed
//! models through the lenient decoder. Run with `cargo bench -p erp-clients-tests`.

use erp_billomat::models::Client;
use erp_clients_tests::billomat_clients_page as page;
use serde_json::Value;

fn main() {
    divan::main();
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
