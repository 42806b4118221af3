//! Every generated Cloudspot operation and the leniency its undocumented wire format needs.

use erp_clients_tests::{RawReply, cloudspot, options, raw_server, start};
use erp_cloudspot::models::{ArtikelStatus, VoorraadBijhouden};
use erp_cloudspot::{Cloudspot, Error};

#[tokio::test]
async fn artikels_list_and_get() {
    let sandbox = start("cloudspot", options(12)).await;
    let api = cloudspot(&sandbox);
    let artikels = api.artikels().list_all().await.unwrap();
    assert_eq!(artikels.len(), 12);
    let first = &artikels[0];
    assert!(first.naam.is_some() && first.sku.is_some());
    let fetched = api.artikels().get(first.id.unwrap()).await.unwrap();
    assert_eq!(fetched, *first);
}

#[tokio::test]
async fn categories_and_klanten() {
    let sandbox = start("cloudspot", options(7)).await;
    let api = cloudspot(&sandbox);
    let categories = api.categories().list_all().await.unwrap();
    assert_eq!(categories.len(), 7);
    let one = api
        .categories()
        .get(categories[2].id.unwrap())
        .await
        .unwrap();
    assert_eq!(one.naam, categories[2].naam);
    let klanten = api.klanten().list_all().await.unwrap();
    assert_eq!(klanten.len(), 7);
    assert!(klanten.iter().all(|k| k.achternaam.is_some()));
}

#[tokio::test]
async fn unknown_id_is_not_found_in_both_server_behaviours() {
    let sandbox = start("cloudspot", options(3)).await;
    let api = cloudspot(&sandbox);
    let err = api.artikels().get(999_999).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(
        err.to_string().contains("Object not found"),
        "the vendor's message reaches Display: {err}"
    );
    sandbox.faults().empty_list_for_unknown_id(true);
    let err = api.artikels().get(999_999).await.unwrap_err();
    assert!(
        err.is_not_found(),
        "200 with an empty data array is also not found: {err:?}"
    );
}

#[tokio::test]
async fn decoding_tolerates_strings_nulls_and_unknown_enum_values() {
    let sandbox = start("cloudspot", options(10)).await;
    let api = cloudspot(&sandbox);
    let faults = sandbox.faults();
    faults.numbers_as_strings(true);
    faults.nulls_for_optionals(true);
    faults.unknown_enum_values(true);
    let artikels = api.artikels().list_all().await.expect("lenient decoding");
    assert_eq!(artikels.len(), 10);
    assert!(
        artikels.iter().any(|a| a.id.is_some()),
        "string ids still decode"
    );
    let unknown = artikels.iter().any(|a| {
        matches!(a.status, Some(ArtikelStatus::Unknown(_)))
            || matches!(a.voorraad_bijhouden, Some(VoorraadBijhouden::Unknown(_)))
    });
    assert!(unknown, "unknown enum values are kept, not rejected");
}

#[tokio::test]
async fn missing_token_gets_the_vendor_error() {
    let sandbox = start("cloudspot", options(1)).await;
    let api = Cloudspot::builder()
        .base_url(sandbox.base_url())
        .auth(Cloudspot::credentials("nope"))
        .build()
        .unwrap();
    let err = api.klanten().list_all().await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert!(
        err.vendor_message().is_some(),
        "the vendor's message is kept: {err}"
    );
}

#[tokio::test]
async fn a_get_the_server_answers_with_other_records_returns_the_requested_one_or_not_found() {
    // A server that ignores `?id=` and answers with its whole list.
    let (addr, _) = raw_server(|_| {
        RawReply::json(
            r#"{"status":"OK","data":[{"id":1,"naam":"Een"},{"id":"2","naam":"Twee"},{"id":3,"naam":"Drie"}]}"#,
        )
    })
    .await;
    let api = Cloudspot::builder()
        .base_url(format!("http://{addr}/api/v1"))
        .auth(Cloudspot::credentials("t"))
        .build()
        .unwrap();
    let two = api.artikels().get(2).await.unwrap();
    assert_eq!(
        (two.id, two.naam.as_deref()),
        (Some(2), Some("Twee")),
        "the record with the requested id, not element 0"
    );
    let err = api.artikels().get(42).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}
