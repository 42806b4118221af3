//! Bounded memory: a response body larger than the client's cap is refused while it is read,
//! whatever its framing, with a typed error that names the cap and what was read.

use erp_billomat::{Billomat, Error, RetryPolicy};
use erp_clients_tests::hostile::{self, Answer, Body};

const MIB: usize = 1024 * 1024;

/// A Billomat `clients.get` answer whose `name` holds `len` bytes.
fn big_client(len: usize, chunked: bool) -> Answer {
    Answer {
        status: 200,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Body::Generated {
            prefix: br#"{"client":{"id":"1","name":""#.to_vec(),
            len,
            filler: b'x',
            suffix: br#""}}"#.to_vec(),
            chunked,
        },
    }
}

fn api(url: String) -> erp_runtime::ClientBuilder<Billomat> {
    Billomat::builder("s")
        .base_url(url)
        .auth(Billomat::credentials("k"))
        .retry(RetryPolicy::disabled())
}

#[tokio::test]
async fn a_body_over_the_default_cap_is_refused() {
    // Announced by Content-Length: refused before the body is read.
    let server = hostile::serve(|_| big_client(64 * MIB + 1, false)).await;
    let err = api(server.url())
        .build()
        .unwrap()
        .clients()
        .get(1)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("billomat clients.get"), "{text}");
    assert!(
        text.contains(&(64 * MIB).to_string()),
        "names the cap: {text}"
    );
}

#[tokio::test]
async fn a_chunked_body_is_cut_off_at_the_cap() {
    // No Content-Length: only counting what arrives can stop it.
    let server = hostile::serve(|_| big_client(4 * MIB, true)).await;
    let api = api(server.url())
        .max_response_bytes(MIB as u64)
        .build()
        .unwrap();
    let err = api.clients().get(1).await.unwrap_err();
    let Error::ResponseTooLarge {
        limit,
        read,
        announced,
        status,
        ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!((limit, announced, status), (MIB as u64, None, 200));
    assert!(
        read > limit && read <= limit + 64 * 1024,
        "stopped at the cap: read {read}"
    );
}

#[tokio::test]
async fn an_error_body_over_the_cap_keeps_its_status() {
    let server = hostile::serve(|_| Answer {
        status: 500,
        ..big_client(2 * MIB, true)
    })
    .await;
    let api = api(server.url())
        .max_response_bytes(MIB as u64)
        .build()
        .unwrap();
    let err = api.clients().get(1).await.unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { status: 500, .. }),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(500));
}

#[tokio::test]
async fn a_body_at_the_cap_is_read() {
    let len = 1000;
    let total = br#"{"client":{"id":"1","name":""#.len() + len + br#""}}"#.len();
    for chunked in [false, true] {
        let server = hostile::serve(move |_| big_client(len, chunked)).await;
        let api = api(server.url())
            .max_response_bytes(total as u64)
            .build()
            .unwrap();
        let client = api.clients().get(1).await.unwrap();
        assert_eq!(
            client.name.map(|n| n.len()),
            Some(len),
            "chunked: {chunked}"
        );
        let api = api_with_cap(&server, total as u64 - 1);
        let err = api.clients().get(1).await.unwrap_err();
        assert!(
            matches!(err, Error::ResponseTooLarge { .. }),
            "chunked {chunked}: {err:?}"
        );
    }
}

fn api_with_cap(server: &hostile::Server, cap: u64) -> Billomat {
    api(server.url()).max_response_bytes(cap).build().unwrap()
}

#[test]
fn a_zero_cap_is_a_configuration_error() {
    let err = api("http://127.0.0.1:1".into())
        .max_response_bytes(0)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("max_response_bytes"), "{err}");
}
