//! Throughput of the list path: fetch one page of Billomat clients from the sandbox over
//! loopback and decode it into typed models (envelope, one-or-many, string scalars, nested
//! wrapped lists). Run with `cargo bench -p erp-clients-tests --bench list_page`.
//!
//! The number includes the sandbox rendering the page and HTTP on 127.0.0.1, so it is an upper
//! bound for the client's own work; compare runs on the same machine.

use erp_billomat::Billomat;
use erp_clients_tests::{billomat_key, options, start};

fn main() {
    divan::main();
}

#[divan::bench(args = [100, 1000], sample_count = 20)]
fn fetch_and_decode_page(bencher: divan::Bencher, page_size: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let sandbox = runtime.block_on(start("billomat", options(page_size)));
    let api = Billomat::builder("bench")
        .base_url(sandbox.base_url())
        .auth(Billomat::credentials(billomat_key(&sandbox)))
        .page_size(page_size as u64)
        .build()
        .expect("client");
    bencher
        .counter(divan::counter::ItemsCount::new(page_size))
        .bench_local(|| {
            let clients = runtime
                .block_on(api.clients().list_all(&Default::default()))
                .expect("list");
            assert_eq!(clients.len(), page_size);
            clients
        });
}
