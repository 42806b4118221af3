//! Credentials never leave the configured origin on a redirect, whatever HTTP client the
//! caller hands in: origin A answers 301/302/307/308 pointing at origin B, and B records
//! everything it receives.

use erp_billomat::models::Client as BillomatClient;
use erp_billomat::{Billomat, RetryPolicy};
use erp_clients_tests::hostile::{self, Answer};
use erp_runtime::auth::{Auth, Basic, Bearer};

const KEY: &str = "KEY-4711-never-elsewhere";
const TOKEN: &str = "TOKEN-0815-never-elsewhere";
const PASSWORD: &str = "PASSWORD-never-elsewhere";
const IBAN: &str = "DE89370400440532013000";

/// A fresh provider of each kind: an API key header, `Authorization: Bearer` and Basic.
fn auths() -> Vec<(&'static str, Box<dyn AuthBox>)> {
    vec![
        ("api key header", Box::new(Billomat::credentials(KEY))),
        ("bearer", Box::new(Bearer::new(TOKEN))),
        ("basic", Box::new(Basic::new("user", PASSWORD))),
    ]
}

/// Lets a table hold providers of different types and still hand each to `.auth(..)`.
trait AuthBox {
    fn apply(
        self: Box<Self>,
        builder: erp_runtime::ClientBuilder<Billomat>,
    ) -> erp_runtime::ClientBuilder<Billomat>;
}

impl<A: Auth> AuthBox for A {
    fn apply(
        self: Box<Self>,
        builder: erp_runtime::ClientBuilder<Billomat>,
    ) -> erp_runtime::ClientBuilder<Billomat> {
        builder.auth(*self)
    }
}

type HttpClient = Box<dyn Fn() -> Option<reqwest::ClientBuilder>>;

/// The built-in client, a caller's plain one, and a caller's one that asks for everything
/// this test forbids.
fn http_clients() -> Vec<(&'static str, HttpClient)> {
    vec![
        ("built-in client", Box::new(|| None)),
        ("user client", Box::new(|| Some(reqwest::Client::builder()))),
        (
            "user client following redirects with Referer",
            Box::new(|| {
                Some(
                    reqwest::Client::builder()
                        .redirect(reqwest::redirect::Policy::limited(10))
                        .referer(true),
                )
            }),
        ),
    ]
}

#[tokio::test]
async fn credentials_body_and_referer_never_reach_another_origin() {
    let elsewhere = hostile::serve(|_| Answer::json(200, r#"{"client":{"id":"1"}}"#)).await;
    for status in [301, 302, 307, 308] {
        let target = format!("{}/stolen", elsewhere.url());
        let origin = hostile::serve(move |_| Answer::redirect(status, &target)).await;
        for (client_name, http) in http_clients() {
            for (auth_name, auth) in auths() {
                let mut builder = Billomat::builder("s")
                    .base_url(origin.url())
                    .retry(RetryPolicy::disabled());
                if let Some(http) = http() {
                    builder = builder.http_client(http);
                }
                let api = auth.apply(builder).build().unwrap();
                let case = format!("{status}, {client_name}, {auth_name}");
                let get = api.clients().get(1).await;
                let new = BillomatClient {
                    name: Some("Acme".into()),
                    bank_iban: Some(IBAN.into()),
                    ..BillomatClient::default()
                };
                let create = api.clients().create(&new).await;
                for request in elsewhere.received() {
                    let seen = request.text();
                    for planted in [KEY, TOKEN, PASSWORD, IBAN, "dXNlcj"] {
                        assert!(!seen.contains(planted), "{case}: B saw {planted}:\n{seen}");
                    }
                    assert!(
                        request.header("referer").is_none(),
                        "{case}: Referer:\n{seen}"
                    );
                    assert!(request.header("authorization").is_none(), "{case}:\n{seen}");
                }
                assert!(
                    elsewhere.received().is_empty(),
                    "{case}: nothing is sent to another origin with credentials stripped after the fact either"
                );
                let (get, create) = (get.unwrap_err(), create.unwrap_err());
                for err in [get, create] {
                    assert!(err.to_string().contains("another origin"), "{case}: {err}");
                }
            }
        }
    }
}

#[tokio::test]
async fn a_redirect_within_the_origin_is_followed_by_every_client() {
    let origin = hostile::serve(|request| {
        if request.target.starts_with("/moved/") {
            Answer::json(200, r#"{"client":{"id":"1","name":"Acme"}}"#)
        } else {
            Answer::redirect(307, &format!("/moved{}", request.target))
        }
    })
    .await;
    for (client_name, http) in http_clients() {
        let mut builder = Billomat::builder("s")
            .base_url(origin.url())
            .auth(Billomat::credentials(KEY))
            .retry(RetryPolicy::disabled());
        if let Some(http) = http() {
            builder = builder.http_client(http);
        }
        let client = builder.build().unwrap().clients().get(1).await;
        assert_eq!(
            client.unwrap().name.as_deref(),
            Some("Acme"),
            "{client_name}"
        );
    }
    let moved = origin.received();
    assert!(
        moved
            .iter()
            .filter(|r| r.target.starts_with("/moved/"))
            .all(|r| r.header("x-billomatapikey") == Some(KEY) && r.header("referer").is_none()),
        "{moved:?}"
    );
}

#[tokio::test]
async fn the_token_endpoint_never_redirects_the_client_secret() {
    use erp_runtime::oauth2::{ClientAuth, Flow, OAuth2, OAuth2Config};
    let elsewhere = hostile::serve(|_| {
        Answer::json(
            200,
            r#"{"access_token":"stolen","token_type":"Bearer","expires_in":3600}"#,
        )
    })
    .await;
    for status in [301, 302, 307, 308] {
        for client_auth in [ClientAuth::RequestBody, ClientAuth::BasicHeader] {
            let target = format!("{}/stolen", elsewhere.url());
            let origin = hostile::serve(move |_| Answer::redirect(status, &target)).await;
            let config = OAuth2Config::new("demo", format!("{}/token", origin.url()), "my-app")
                .client_secret(PASSWORD)
                .client_auth(client_auth)
                .flow(Flow::ClientCredentials);
            let auth = OAuth2::builder(config)
                .http_client(reqwest::Client::builder())
                .build()
                .unwrap();
            let err = auth.access_token().await.unwrap_err();
            let case = format!("{status}, {client_auth:?}: {err}");
            assert_eq!(origin.received().len(), 1, "{case}");
            assert!(
                elsewhere.received().is_empty(),
                "{case}: {:?}",
                elsewhere.received()
            );
        }
    }
}
