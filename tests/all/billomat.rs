//! Every generated Billomat operation, paging, envelope shapes and vendor errors.

use erp_billomat::futures::TryStreamExt;
use erp_billomat::models::{Client, ClientPropertyValue, Contact, NetGross};
use erp_billomat::resources::clients::ClientsListQuery;
use erp_billomat::resources::contacts::ContactsListQuery;
use erp_billomat::{Billomat, Error};
use erp_clients_tests::{billomat, options, start};

#[tokio::test]
async fn clients_full_crud_round_trip() {
    let sandbox = start("billomat", options(5)).await;
    let api = billomat(&sandbox);
    let new = Client {
        name: Some("Tour Test GmbH".into()),
        first_name: Some("Tara".into()),
        country_code: Some("IT".into()),
        archived: Some(false),
        net_gross: Some(NetGross::Gross),
        ..Default::default()
    };
    let created = api.clients().create(&new).await.expect("create");
    let id = created.id.expect("the vendor assigns an id");
    assert_eq!(created.name.as_deref(), Some("Tour Test GmbH"));
    assert_eq!(created.net_gross, Some(NetGross::Gross));
    assert!(created.created.is_some(), "server timestamps decode");

    let fetched = api.clients().get(id).await.expect("get");
    assert_eq!(fetched.first_name.as_deref(), Some("Tara"));

    let change = Client {
        street: Some("Via Ticino 1".into()),
        ..Default::default()
    };
    let updated = api
        .clients()
        .update(id, &change)
        .await
        .expect("update")
        .expect("the sandbox echoes the object");
    assert_eq!(updated.street.as_deref(), Some("Via Ticino 1"));
    assert_eq!(
        updated.name.as_deref(),
        Some("Tour Test GmbH"),
        "a partial update keeps other fields"
    );

    api.clients().delete(id).await.expect("delete");
    let gone = api.clients().get(id).await.expect_err("deleted");
    assert!(gone.is_not_found(), "{gone}");
    assert!(
        gone.to_string().contains("billomat clients.get: not found"),
        "{gone}"
    );
}

#[tokio::test]
async fn paging_walks_every_page_and_keeps_filters() {
    let sandbox = start("billomat", options(60)).await;
    let api = Billomat::builder("sandbox")
        .base_url(sandbox.base_url())
        .auth(Billomat::credentials(erp_clients_tests::billomat_key(
            &sandbox,
        )))
        .page_size(4)
        .build()
        .unwrap();
    let everyone = api
        .clients()
        .list_all(&ClientsListQuery::default())
        .await
        .unwrap();
    assert_eq!(everyone.len(), 60);
    let germans_expected = everyone
        .iter()
        .filter(|c| c.country_code.as_deref() == Some("DE"))
        .count();
    assert!(
        germans_expected > 8,
        "the seed must give at least three pages of DE clients, got {germans_expected}"
    );

    let query = ClientsListQuery {
        country_code: Some("DE".into()),
        ..Default::default()
    };
    let pages: Vec<_> = api
        .clients()
        .list_pages(&query)
        .try_collect()
        .await
        .unwrap();
    assert!(pages.len() >= 3, "{} pages", pages.len());
    assert_eq!(pages.len() as u64, pages[0].page_count().unwrap());
    for (i, page) in pages.iter().enumerate() {
        assert_eq!(page.number, Some(i as u64 + 1));
        assert_eq!(page.total, Some(germans_expected as u64));
        assert!(
            page.items
                .iter()
                .all(|c| c.country_code.as_deref() == Some("DE")),
            "filter lost on page {}",
            i + 1
        );
    }
    let streamed: Vec<Client> = api.clients().list(&query).try_collect().await.unwrap();
    assert_eq!(streamed.len(), germans_expected);
    let mut ids: Vec<_> = streamed.iter().map(|c| c.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), germans_expected, "no item twice");
}

#[tokio::test]
async fn one_item_pages_and_empty_lists_decode() {
    let sandbox = start("billomat", options(10)).await;
    let api = billomat(&sandbox);
    let unique = Client {
        name: Some("Einzigartig Unikat KG".into()),
        ..Default::default()
    };
    api.clients().create(&unique).await.unwrap();
    let one = api
        .clients()
        .list_all(&ClientsListQuery {
            name: Some("Unikat".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        one.len(),
        1,
        "a single item arrives as an object, not an array"
    );
    assert_eq!(one[0].name.as_deref(), Some("Einzigartig Unikat KG"));

    let none = api
        .clients()
        .list_all(&ClientsListQuery {
            name: Some("no such client anywhere".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(none.is_empty());
    let pages: Vec<_> = api
        .clients()
        .list_pages(&ClientsListQuery {
            name: Some("no such client anywhere".into()),
            ..Default::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].total, Some(0));
}

#[tokio::test]
async fn contacts_of_a_client_crud() {
    let sandbox = start("billomat", options(8)).await;
    let api = billomat(&sandbox);
    let client = api
        .clients()
        .create(&Client {
            name: Some("Kontakt AG".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let client_id = client.id.unwrap();
    let contact = Contact {
        client_id: Some(client_id),
        first_name: Some("Mustafa".into()),
        last_name: Some("Mustaman".into()),
        ..Default::default()
    };
    let created = api.contacts().create(&contact).await.unwrap();
    let id = created.id.unwrap();
    assert_eq!(created.client_id, Some(client_id));
    let listed = api
        .contacts()
        .list_all(client_id, &ContactsListQuery::default())
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![Some(id)]
    );
    let by_name = api
        .contacts()
        .list_all(
            client_id,
            &ContactsListQuery {
                last_name: Some("musta".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(by_name.len(), 1);
    let updated = api
        .contacts()
        .update(
            id,
            &Contact {
                street: Some("Thomas-Mann-Straße 7".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .expect("echoed");
    assert_eq!(updated.street.as_deref(), Some("Thomas-Mann-Straße 7"));
    assert_eq!(
        api.contacts().get(id).await.unwrap().last_name.as_deref(),
        Some("Mustaman")
    );
    api.contacts().delete(id).await.unwrap();
    assert!(api.contacts().get(id).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn client_property_values_list_get_create() {
    let sandbox = start("billomat", options(6)).await;
    let api = billomat(&sandbox);
    let seeded = api
        .client_property_values()
        .list_all(&Default::default())
        .await
        .unwrap();
    assert!(!seeded.is_empty());
    let client_id = api.clients().list_all(&Default::default()).await.unwrap()[0]
        .id
        .unwrap();
    let value = ClientPropertyValue {
        client_id: Some(client_id),
        client_property_id: Some(16022),
        value: Some("ext-1237".into()),
        ..Default::default()
    };
    let created = api.client_property_values().create(&value).await.unwrap();
    let fetched = api
        .client_property_values()
        .get(created.id.unwrap())
        .await
        .unwrap();
    assert_eq!(fetched.value.as_deref(), Some("ext-1237"));
    let filtered = api
        .client_property_values()
        .list_all(
            &erp_billomat::resources::client_property_values::ClientPropertyValuesListQuery {
                client_id: Some(client_id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(filtered.iter().all(|v| v.client_id == Some(client_id)));
    assert!(filtered.iter().any(|v| v.id == created.id));
}

#[tokio::test]
async fn wrong_credentials_are_reported_with_the_vendor_message() {
    let sandbox = start("billomat", options(2)).await;
    let api = Billomat::builder("sandbox")
        .base_url(sandbox.base_url())
        .auth(Billomat::credentials("wrong-key"))
        .build()
        .unwrap();
    let err = api.clients().get(1).await.unwrap_err();
    assert!(
        matches!(err, Error::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    let shown = err.to_string();
    assert!(
        shown.starts_with("billomat clients.get: unauthorized (HTTP 401)"),
        "{shown}"
    );
    assert!(
        !shown.contains("wrong-key") && !format!("{err:?}").contains("wrong-key"),
        "the key never appears in errors"
    );
    assert!(
        !format!("{api:?}").contains("wrong-key"),
        "nor in the client's Debug"
    );
}

#[tokio::test]
async fn an_update_answered_with_an_empty_body_is_none() {
    let sandbox = start("billomat", options(2)).await;
    let api = billomat(&sandbox);
    sandbox.faults().empty_write_bodies(true);
    let change = Client {
        note: Some("Stammkunde".into()),
        ..Default::default()
    };
    assert_eq!(
        api.clients()
            .update(1, &change)
            .await
            .expect("an empty 200 is a success"),
        None
    );
    assert_eq!(
        api.clients().get(1).await.unwrap().note.as_deref(),
        Some("Stammkunde"),
        "the change was applied"
    );
}

/// An invoice's life as the sandbox declares it (specs/billomat.yaml, billomat.md §4.6): a draft
/// gains lines and totals, completes to OPEN, refuses deletion, is paid in two parts to PAID,
/// refuses a second completion, and is cancelled and uncancelled.
#[tokio::test]
async fn an_invoice_goes_from_draft_through_payments_to_paid() {
    use erp_billomat::models::{Complete, Invoice, InvoiceItem, InvoicePayment, InvoiceStatus};
    use erp_runtime::Decimal;
    let sandbox = start("billomat", options(5)).await;
    let api = billomat(&sandbox);
    let money = |text: &str| text.parse::<Decimal>().expect("decimal");
    let client = api
        .clients()
        .create(&Client {
            name: Some("Life Cycle GmbH".into()),
            ..Default::default()
        })
        .await
        .expect("client");
    let invoices = api.invoices();
    let draft = invoices
        .create(&Invoice {
            client_id: client.id.expect("client id"),
            ..Default::default()
        })
        .await
        .expect("draft");
    let id = draft.id.expect("invoice id");
    assert_eq!(draft.status, Some(InvoiceStatus::Draft));
    assert_eq!(draft.total_gross, Some(Decimal::ZERO), "{draft:?}");

    api.invoice_items()
        .create(&InvoiceItem {
            invoice_id: id,
            title: Some("Beratung".into()),
            quantity: Some(money("2")),
            unit_price: Some(money("10.00")),
            tax_rate: Some(money("19")),
            ..Default::default()
        })
        .await
        .expect("line");
    let with_line = invoices.get(id).await.expect("get");
    assert_eq!(with_line.total_net, Some(money("20.00")));
    assert_eq!(with_line.total_gross, Some(money("23.80")));
    assert_eq!(with_line.open_amount, Some(money("23.80")));

    let early = api
        .invoice_payments()
        .create(&InvoicePayment {
            invoice_id: id,
            amount: money("5"),
            ..Default::default()
        })
        .await
        .expect_err("a draft takes no payment");
    assert_eq!(early.status(), Some(422));

    invoices
        .complete(id, &Complete::default())
        .await
        .expect("complete");
    assert_eq!(
        invoices.get(id).await.expect("get").status,
        Some(InvoiceStatus::Open)
    );
    let kept = invoices
        .delete(id)
        .await
        .expect_err("only drafts are deleted");
    assert!(
        kept.to_string()
            .contains("Only a draft invoice can be deleted."),
        "{kept}"
    );
    let again = invoices
        .complete(id, &Complete::default())
        .await
        .expect_err("completed once");
    assert_eq!(again.status(), Some(422));

    let pay = |amount: &str| InvoicePayment {
        invoice_id: id,
        amount: money(amount),
        ..Default::default()
    };
    api.invoice_payments()
        .create(&pay("10.00"))
        .await
        .expect("part");
    let part = invoices.get(id).await.expect("get");
    assert_eq!(part.status, Some(InvoiceStatus::Open));
    assert_eq!(part.paid_amount, Some(money("10.00")));
    assert_eq!(part.open_amount, Some(money("13.80")));
    api.invoice_payments()
        .create(&pay("13.80"))
        .await
        .expect("rest");
    let paid = invoices.get(id).await.expect("get");
    assert_eq!(paid.status, Some(InvoiceStatus::Paid));
    assert_eq!(paid.open_amount, Some(Decimal::ZERO));

    invoices.cancel(id).await.expect("cancel");
    assert_eq!(
        invoices.get(id).await.expect("get").status,
        Some(InvoiceStatus::Canceled)
    );
    invoices.uncancel(id).await.expect("uncancel");
    assert_eq!(
        invoices.get(id).await.expect("get").status,
        Some(InvoiceStatus::Open)
    );

    let file = invoices.pdf_file(id).await.expect("pdf file");
    assert_eq!(file.content_type.as_deref(), Some("application/pdf"));
    assert!(!file.bytes.is_empty());
    sandbox.shutdown().await;
}

/// A registered app's headers go out only when the caller configures them (billomapy sends
/// `X-AppId` and `X-AppSecret` empty on every request, billomat.md §2).
#[tokio::test]
async fn app_headers_are_sent_only_when_configured() {
    use erp_clients_tests::hostile::{Answer, serve};
    let server = serve(|_| Answer::json(200, r#"{"client":{"id":"1"}}"#)).await;
    let plain = Billomat::builder("mycompany")
        .base_url(format!("{}/api", server.url()))
        .auth(Billomat::credentials("key-1"))
        .build()
        .expect("client");
    plain.clients().get(1).await.expect("get");
    let app = Billomat::builder("mycompany")
        .base_url(format!("{}/api", server.url()))
        .auth(
            Billomat::credentials("key-1")
                .header("X-AppId", "app-7")
                .header("X-AppSecret", "secret-7"),
        )
        .build()
        .expect("client");
    app.clients().get(1).await.expect("get");
    let seen = server.received();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].header("x-billomatapikey"), Some("key-1"));
    assert_eq!(seen[0].header("x-appid"), None, "{}", seen[0].text());
    assert_eq!(seen[0].header("x-appsecret"), None);
    assert_eq!(seen[1].header("x-appid"), Some("app-7"));
    assert_eq!(seen[1].header("x-appsecret"), Some("secret-7"));
}
