//! Small things that must not go silently wrong: a list value that the vendor would split
//! differently, a base URL that points somewhere else than it reads.

use erp_billomat::resources::clients::ClientsListQuery;
use erp_billomat::{Billomat, Error, RetryPolicy};
use erp_clients_tests::hostile::{self, Answer};

fn empty_list() -> Answer {
    Answer::json(
        200,
        r#"{"clients":{"@page":"1","@per_page":"100","@total":"0"}}"#,
    )
}

#[tokio::test]
async fn a_list_item_holding_the_separator_is_refused_before_sending() {
    let server = hostile::serve(|_| empty_list()).await;
    let api = Billomat::builder("s")
        .base_url(server.url())
        .auth(Billomat::credentials("k"))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let query = ClientsListQuery {
        tags: vec!["vip".into(), "Smith, John".into()],
        ..Default::default()
    };
    let err = api.clients().list_all(&query).await.unwrap_err();
    let Error::InvalidInput { field, message, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(field, "tags");
    assert!(message.contains("\"Smith, John\""), "{message}");
    assert!(server.received().is_empty(), "nothing was sent");
    let fine = ClientsListQuery {
        tags: vec!["vip".into(), "new".into()],
        ..Default::default()
    };
    api.clients().list_all(&fine).await.unwrap();
    let sent = &server.received()[0].target;
    assert!(sent.contains("tags=vip%2Cnew"), "{sent}");
}

#[tokio::test]
async fn base_urls_are_trimmed_and_dot_segments_refused() {
    let server = hostile::serve(|_| empty_list()).await;
    let build = |url: String| {
        Billomat::builder("s")
            .base_url(url)
            .auth(Billomat::credentials("k"))
            .retry(RetryPolicy::disabled())
            .build()
    };
    let api = build(format!("  {}/api/v2// \n", server.url())).unwrap();
    assert_eq!(api.runtime().base_url(), format!("{}/api/v2", server.url()));
    api.clients().list_all(&Default::default()).await.unwrap();
    assert!(server.received()[0].target.starts_with("/api/v2/clients"));
    for dotted in ["/api/../admin", "/api/%2E%2E/admin", "/api/./v2"] {
        let err = build(format!("{}{dotted}", server.url())).unwrap_err();
        assert!(err.to_string().contains("path segment"), "{dotted}: {err}");
    }
    let err = build("https://me:pw@billomat.example/api/../x#frag".into()).unwrap_err();
    let text = err.to_string();
    assert!(!text.contains("pw") && !text.contains("frag"), "{text}");
}
