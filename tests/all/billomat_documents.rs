//! The life cycles of Billomat's documents other than invoices, as `specs/billomat.yaml`
//! declares them (billomat.md §4.6, the catalogue's statuses), and the seed's client tags, all
//! over TCP against the sandbox.

use erp_billomat::futures::TryStreamExt;
use erp_billomat::models::{
    Client, ClientTag, Complete, Confirmation, ConfirmationItem, ConfirmationStatus, CreditNote,
    CreditNoteItem, CreditNotePayment, CreditNoteStatus, DeliveryNote, DeliveryNoteItem,
    DeliveryNoteStatus, Letter, LetterStatus, Offer, OfferItem, OfferStatus, Reminder,
    ReminderStatus,
};
use erp_billomat::resources::client_tags::ClientTagsListQuery;
use erp_billomat::{Billomat, Error};
use erp_clients_tests::{billomat, options, start};
use erp_runtime::Decimal;

fn money(text: &str) -> Decimal {
    text.parse().expect("decimal")
}

async fn new_client(api: &Billomat, name: &str) -> i64 {
    api.clients()
        .create(&Client {
            name: Some(name.into()),
            ..Default::default()
        })
        .await
        .expect("client")
        .id
        .expect("client id")
}

/// A refusal of the sandbox's life cycle: 422 with the spec's message.
fn refused(error: &Error, message: &str) {
    assert_eq!(error.status(), Some(422), "{error}");
    assert!(error.to_string().contains(message), "{error}");
}

/// An offer: a draft gains a line and its totals, completes to OPEN once, is won, settled,
/// taken back to won, lost, cancelled and uncancelled; a completed offer is not deleted, a
/// draft one is, and a draft can be neither won nor given a line after completion.
#[tokio::test]
async fn an_offer_goes_from_draft_to_won_settled_lost_and_cancelled() {
    let sandbox = start("billomat", options(3)).await;
    let api = billomat(&sandbox);
    let client_id = new_client(&api, "Angebot GmbH").await;
    let offers = api.offers();
    let draft = offers
        .create(&Offer {
            client_id,
            ..Default::default()
        })
        .await
        .expect("draft");
    let id = draft.id.expect("offer id");
    assert_eq!(draft.status, Some(OfferStatus::Draft));
    assert_eq!(draft.total_gross, Some(Decimal::ZERO), "{draft:?}");
    assert_eq!(draft.offer_number.as_deref(), Some(&*format!("AN{id}")));

    let line = |offer_id| OfferItem {
        offer_id,
        title: Some("Konzept".into()),
        quantity: Some(money("3")),
        unit_price: Some(money("100.00")),
        ..Default::default()
    };
    api.offer_items().create(&line(id)).await.expect("line");
    let with_line = offers.get(id).await.expect("get");
    assert_eq!(with_line.total_net, Some(money("300.00")));
    assert_eq!(with_line.total_gross, Some(money("357.00")));

    let early = offers.win(id).await.expect_err("a draft is not won");
    refused(&early, "Only a completed offer can be marked as won.");

    offers
        .complete(id, &Complete::default())
        .await
        .expect("complete");
    let status = |o: Offer| o.status;
    assert_eq!(
        status(offers.get(id).await.expect("get")),
        Some(OfferStatus::Open)
    );
    refused(
        &offers
            .complete(id, &Complete::default())
            .await
            .expect_err("completed once"),
        "Only a draft offer can be completed.",
    );
    refused(
        &api.offer_items()
            .create(&line(id))
            .await
            .expect_err("no lines after completion"),
        "Lines can only be added to a draft offer.",
    );
    refused(
        &offers
            .delete(id)
            .await
            .expect_err("only drafts are deleted"),
        "Only a draft offer can be deleted.",
    );
    refused(
        &offers.unclear(id).await.expect_err("not settled"),
        "The offer is not settled.",
    );

    offers.win(id).await.expect("win");
    assert_eq!(
        status(offers.get(id).await.expect("get")),
        Some(OfferStatus::Won)
    );
    offers.clear(id).await.expect("clear");
    assert_eq!(
        status(offers.get(id).await.expect("get")),
        Some(OfferStatus::Cleared)
    );
    offers.unclear(id).await.expect("unclear");
    assert_eq!(
        status(offers.get(id).await.expect("get")),
        Some(OfferStatus::Won)
    );
    offers.lose(id).await.expect("lose");
    assert_eq!(
        status(offers.get(id).await.expect("get")),
        Some(OfferStatus::Lost)
    );
    offers.cancel(id).await.expect("cancel");
    assert_eq!(
        status(offers.get(id).await.expect("get")),
        Some(OfferStatus::Canceled)
    );
    refused(
        &offers.cancel(id).await.expect_err("cancelled once"),
        "The offer is already cancelled.",
    );
    refused(
        &offers
            .lose(id)
            .await
            .expect_err("a cancelled offer is not lost"),
        "Only a completed offer can be marked as lost.",
    );
    offers.uncancel(id).await.expect("uncancel");
    assert_eq!(
        status(offers.get(id).await.expect("get")),
        Some(OfferStatus::Open)
    );
    refused(
        &offers.uncancel(id).await.expect_err("not cancelled"),
        "The offer is not cancelled.",
    );

    let other = offers
        .create(&Offer {
            client_id,
            ..Default::default()
        })
        .await
        .expect("second draft")
        .id
        .expect("id");
    offers.delete(other).await.expect("a draft is deleted");
    assert!(offers.get(other).await.expect_err("gone").is_not_found());
    sandbox.shutdown().await;
}

/// A credit note: a draft takes no payment, completes to OPEN with its totals, is paid out in
/// two parts to PAID (what is open shrinks with each), then takes no more payments; it is
/// cancelled and uncancelled, and only a draft is deleted.
#[tokio::test]
async fn a_credit_note_goes_from_draft_through_payments_to_paid() {
    let sandbox = start("billomat", options(3)).await;
    let api = billomat(&sandbox);
    let client_id = new_client(&api, "Gutschrift GmbH").await;
    let notes = api.credit_notes();
    let draft = notes
        .create(&CreditNote {
            client_id,
            ..Default::default()
        })
        .await
        .expect("draft");
    let id = draft.id.expect("credit note id");
    assert_eq!(draft.status, Some(CreditNoteStatus::Draft));
    assert_eq!(draft.open_amount, Some(Decimal::ZERO), "{draft:?}");
    assert_eq!(
        draft.credit_note_number.as_deref(),
        Some(&*format!("GU{id}"))
    );
    api.credit_note_items()
        .create(&CreditNoteItem {
            credit_note_id: id,
            quantity: Some(money("1")),
            unit_price: Some(money("50.00")),
            ..Default::default()
        })
        .await
        .expect("line");
    let pay = |amount: &str| CreditNotePayment {
        credit_note_id: id,
        amount: money(amount),
        ..Default::default()
    };
    refused(
        &api.credit_note_payments()
            .create(&pay("1"))
            .await
            .expect_err("a draft takes no payment"),
        "Payments can only be recorded for open credit notes.",
    );
    notes
        .complete(id, &Complete::default())
        .await
        .expect("complete");
    let open = notes.get(id).await.expect("get");
    assert_eq!(open.status, Some(CreditNoteStatus::Open));
    assert_eq!(open.total_gross, Some(money("59.50")));
    assert_eq!(open.open_amount, Some(money("59.50")));
    refused(
        &notes.delete(id).await.expect_err("only drafts are deleted"),
        "Only a draft credit note can be deleted.",
    );

    api.credit_note_payments()
        .create(&pay("20.00"))
        .await
        .expect("part");
    let part = notes.get(id).await.expect("get");
    assert_eq!(part.status, Some(CreditNoteStatus::Open));
    assert_eq!(part.paid_amount, Some(money("20.00")));
    assert_eq!(part.open_amount, Some(money("39.50")));
    api.credit_note_payments()
        .create(&pay("39.50"))
        .await
        .expect("rest");
    let paid = notes.get(id).await.expect("get");
    assert_eq!(paid.status, Some(CreditNoteStatus::Paid));
    assert_eq!(paid.open_amount, Some(Decimal::ZERO));
    refused(
        &api.credit_note_payments()
            .create(&pay("1"))
            .await
            .expect_err("paid out"),
        "Payments can only be recorded for open credit notes.",
    );

    notes.cancel(id).await.expect("cancel");
    assert_eq!(
        notes.get(id).await.expect("get").status,
        Some(CreditNoteStatus::Canceled)
    );
    notes.uncancel(id).await.expect("uncancel");
    assert_eq!(
        notes.get(id).await.expect("get").status,
        Some(CreditNoteStatus::Open)
    );
    sandbox.shutdown().await;
}

/// A credit note payment that says `mark_credit_note_as_paid` makes the note PAID whatever is
/// still open.
#[tokio::test]
async fn a_credit_note_payment_marked_as_paid_closes_the_note() {
    let sandbox = start("billomat", options(2)).await;
    let api = billomat(&sandbox);
    let client_id = new_client(&api, "Markiert GmbH").await;
    let notes = api.credit_notes();
    let id = notes
        .create(&CreditNote {
            client_id,
            ..Default::default()
        })
        .await
        .expect("draft")
        .id
        .expect("id");
    api.credit_note_items()
        .create(&CreditNoteItem {
            credit_note_id: id,
            quantity: Some(money("2")),
            unit_price: Some(money("10.00")),
            ..Default::default()
        })
        .await
        .expect("line");
    notes
        .complete(id, &Complete::default())
        .await
        .expect("complete");
    api.credit_note_payments()
        .create(&CreditNotePayment {
            credit_note_id: id,
            amount: money("1.00"),
            mark_credit_note_as_paid: Some(true),
            ..Default::default()
        })
        .await
        .expect("payment");
    let note = notes.get(id).await.expect("get");
    assert_eq!(note.status, Some(CreditNoteStatus::Paid));
    assert_eq!(note.paid_amount, Some(money("1.00")));
    sandbox.shutdown().await;
}

/// An order confirmation: draft with a line, COMPLETED once, settled and back, cancelled and
/// uncancelled; a draft is not settled, a completed one is not deleted.
#[tokio::test]
async fn a_confirmation_is_completed_settled_and_cancelled() {
    let sandbox = start("billomat", options(3)).await;
    let api = billomat(&sandbox);
    let client_id = new_client(&api, "Auftrag GmbH").await;
    let confirmations = api.confirmations();
    let draft = confirmations
        .create(&Confirmation {
            client_id,
            ..Default::default()
        })
        .await
        .expect("draft");
    let id = draft.id.expect("id");
    assert_eq!(draft.status, Some(ConfirmationStatus::Draft));
    assert_eq!(
        draft.confirmation_number.as_deref(),
        Some(&*format!("AB{id}"))
    );
    api.confirmation_items()
        .create(&ConfirmationItem {
            confirmation_id: id,
            quantity: Some(money("4")),
            unit_price: Some(money("2.50")),
            ..Default::default()
        })
        .await
        .expect("line");
    assert_eq!(
        confirmations.get(id).await.expect("get").total_gross,
        Some(money("11.90"))
    );
    refused(
        &confirmations
            .clear(id)
            .await
            .expect_err("a draft is not settled"),
        "Only a completed order confirmation can be marked as settled.",
    );
    confirmations
        .complete(id, &Complete::default())
        .await
        .expect("complete");
    let status = |c: Confirmation| c.status;
    assert_eq!(
        status(confirmations.get(id).await.expect("get")),
        Some(ConfirmationStatus::Completed)
    );
    refused(
        &confirmations
            .complete(id, &Complete::default())
            .await
            .expect_err("completed once"),
        "Only a draft order confirmation can be completed.",
    );
    refused(
        &confirmations
            .delete(id)
            .await
            .expect_err("only drafts are deleted"),
        "Only a draft order confirmation can be deleted.",
    );
    confirmations.clear(id).await.expect("clear");
    assert_eq!(
        status(confirmations.get(id).await.expect("get")),
        Some(ConfirmationStatus::Cleared)
    );
    confirmations.unclear(id).await.expect("unclear");
    assert_eq!(
        status(confirmations.get(id).await.expect("get")),
        Some(ConfirmationStatus::Completed)
    );
    confirmations.cancel(id).await.expect("cancel");
    assert_eq!(
        status(confirmations.get(id).await.expect("get")),
        Some(ConfirmationStatus::Canceled)
    );
    confirmations.uncancel(id).await.expect("uncancel");
    assert_eq!(
        status(confirmations.get(id).await.expect("get")),
        Some(ConfirmationStatus::Completed)
    );
    sandbox.shutdown().await;
}

/// A reminder (of a seeded invoice) completes to OPEN once, is cancelled and uncancelled, and
/// only a draft is deleted.
#[tokio::test]
async fn a_reminder_is_completed_and_cancelled() {
    let sandbox = start("billomat", options(3)).await;
    let api = billomat(&sandbox);
    let invoice_id = api
        .invoices()
        .list(&Default::default())
        .try_next()
        .await
        .expect("list")
        .and_then(|i| i.id)
        .expect("a seeded invoice");
    let reminders = api.reminders();
    let make = || Reminder {
        invoice_id,
        ..Default::default()
    };
    let draft = reminders.create(&make()).await.expect("draft");
    let id = draft.id.expect("id");
    assert_eq!(draft.status, Some(ReminderStatus::Draft));
    reminders
        .complete(id, &Complete::default())
        .await
        .expect("complete");
    assert_eq!(
        reminders.get(id).await.expect("get").status,
        Some(ReminderStatus::Open)
    );
    refused(
        &reminders
            .complete(id, &Complete::default())
            .await
            .expect_err("completed once"),
        "Only a draft reminder can be completed.",
    );
    refused(
        &reminders
            .delete(id)
            .await
            .expect_err("only drafts are deleted"),
        "Only a draft reminder can be deleted.",
    );
    reminders.cancel(id).await.expect("cancel");
    assert_eq!(
        reminders.get(id).await.expect("get").status,
        Some(ReminderStatus::Canceled)
    );
    reminders.uncancel(id).await.expect("uncancel");
    assert_eq!(
        reminders.get(id).await.expect("get").status,
        Some(ReminderStatus::Open)
    );
    let other = reminders
        .create(&make())
        .await
        .expect("draft")
        .id
        .expect("id");
    reminders.delete(other).await.expect("a draft is deleted");
    sandbox.shutdown().await;
}

/// A delivery note: a draft gains a line, completes to CREATED once and is then neither given
/// lines nor deleted; a letter completes to COMPLETED once.
#[tokio::test]
async fn a_delivery_note_and_a_letter_are_completed_once() {
    let sandbox = start("billomat", options(3)).await;
    let api = billomat(&sandbox);
    let client_id = new_client(&api, "Lieferung GmbH").await;
    let notes = api.delivery_notes();
    let draft = notes
        .create(&DeliveryNote {
            client_id,
            ..Default::default()
        })
        .await
        .expect("draft");
    let id = draft.id.expect("id");
    assert_eq!(draft.status, Some(DeliveryNoteStatus::Draft));
    assert_eq!(
        draft.delivery_note_number.as_deref(),
        Some(&*format!("LS{id}"))
    );
    let line = || DeliveryNoteItem {
        delivery_note_id: id,
        quantity: Some(money("5")),
        unit_price: Some(money("1.00")),
        ..Default::default()
    };
    api.delivery_note_items()
        .create(&line())
        .await
        .expect("line");
    assert_eq!(
        notes.get(id).await.expect("get").total_net,
        Some(money("5.00"))
    );
    notes
        .complete(id, &Complete::default())
        .await
        .expect("complete");
    assert_eq!(
        notes.get(id).await.expect("get").status,
        Some(DeliveryNoteStatus::Created)
    );
    refused(
        &notes
            .complete(id, &Complete::default())
            .await
            .expect_err("completed once"),
        "Only a draft delivery note can be completed.",
    );
    refused(
        &api.delivery_note_items()
            .create(&line())
            .await
            .expect_err("no lines after completion"),
        "Lines can only be added to a draft delivery note.",
    );
    refused(
        &notes.delete(id).await.expect_err("only drafts are deleted"),
        "Only a draft delivery note can be deleted.",
    );

    let letters = api.letters();
    let letter = letters
        .create(&Letter {
            client_id: Some(client_id),
            subject: Some("Hallo".into()),
            ..Default::default()
        })
        .await
        .expect("letter");
    let letter_id = letter.id.expect("id");
    assert_eq!(letter.status, Some(LetterStatus::Draft));
    letters
        .complete(letter_id, &Complete::default())
        .await
        .expect("complete");
    assert_eq!(
        letters.get(letter_id).await.expect("get").status,
        Some(LetterStatus::Completed)
    );
    refused(
        &letters
            .complete(letter_id, &Complete::default())
            .await
            .expect_err("completed once"),
        "Only a draft letter can be completed.",
    );
    sandbox.shutdown().await;
}

/// The seed's client tags: listed by `client_id` (exactly the client's tags, none of the
/// seeded ones), created, fetched and deleted.
#[tokio::test]
async fn client_tags_list_by_client_create_and_delete() {
    let sandbox = start("billomat", options(6)).await;
    let api = billomat(&sandbox);
    let tags = api.client_tags();
    let seeded: Vec<ClientTag> = tags
        .list(&ClientTagsListQuery::default())
        .try_collect()
        .await
        .expect("list");
    assert_eq!(seeded.len(), 6, "every seeded tag is listed");

    let mine = new_client(&api, "Tag GmbH").await;
    let other = new_client(&api, "Andere GmbH").await;
    let tag = |client_id, name: &str| ClientTag {
        client_id,
        name: name.into(),
        ..Default::default()
    };
    let a = tags.create(&tag(mine, "Stammkunde")).await.expect("create");
    let b = tags.create(&tag(mine, "Premium")).await.expect("create");
    tags.create(&tag(other, "Neu")).await.expect("create");
    assert_eq!(a.client_id, mine);
    assert_eq!(a.name, "Stammkunde");
    let (a, b) = (a.id.expect("id"), b.id.expect("id"));
    assert_eq!(tags.get(a).await.expect("get").name, "Stammkunde");

    let of = |client_id| ClientTagsListQuery {
        client_id: Some(client_id),
    };
    let listed: Vec<Option<i64>> = tags
        .list(&of(mine))
        .map_ok(|t| t.id)
        .try_collect()
        .await
        .expect("filtered list");
    assert_eq!(listed, vec![Some(a), Some(b)]);

    tags.delete(a).await.expect("delete");
    assert!(tags.get(a).await.expect_err("gone").is_not_found());
    let left: Vec<Option<i64>> = tags
        .list(&of(mine))
        .map_ok(|t| t.id)
        .try_collect()
        .await
        .expect("filtered list");
    assert_eq!(left, vec![Some(b)]);
    let all: Vec<ClientTag> = tags
        .list(&ClientTagsListQuery::default())
        .try_collect()
        .await
        .expect("list");
    assert_eq!(all.len(), 6 + 2, "the seeded tags and the two still there");
    sandbox.shutdown().await;
}

/// A client with documents is not deleted (Billomat deletes a client only while it has none):
/// an invoice, or only an offer, keeps it; once its draft documents are deleted, so is it.
#[tokio::test]
async fn a_client_with_documents_is_not_deleted() {
    use erp_billomat::models::Invoice;
    let sandbox = start("billomat", options(3)).await;
    let api = billomat(&sandbox);
    let message = "The client cannot be deleted while documents of it exist.";
    let client_id = new_client(&api, "Dokumente GmbH").await;
    let invoice = api
        .invoices()
        .create(&Invoice {
            client_id,
            ..Default::default()
        })
        .await
        .expect("invoice")
        .id
        .expect("id");
    refused(
        &api.clients()
            .delete(client_id)
            .await
            .expect_err("the client has an invoice"),
        message,
    );
    assert_eq!(
        api.clients().get(client_id).await.expect("kept").id,
        Some(client_id)
    );
    api.invoices()
        .delete(invoice)
        .await
        .expect("a draft invoice");

    let offer = api
        .offers()
        .create(&Offer {
            client_id,
            ..Default::default()
        })
        .await
        .expect("offer")
        .id
        .expect("id");
    refused(
        &api.clients()
            .delete(client_id)
            .await
            .expect_err("the client has an offer"),
        message,
    );
    api.offers().delete(offer).await.expect("a draft offer");

    // Contacts and tags are not documents: they do not keep the client.
    api.client_tags()
        .create(&ClientTag {
            client_id,
            name: "Ehemalig".into(),
            ..Default::default()
        })
        .await
        .expect("tag");
    api.clients()
        .delete(client_id)
        .await
        .expect("no documents left");
    assert!(
        api.clients()
            .get(client_id)
            .await
            .expect_err("gone")
            .is_not_found()
    );
    sandbox.shutdown().await;
}

/// `PUT /clients/{id}/customfield` sets the client's free metadata field, which the get of
/// `/clients/{id}/customfield` and the client itself then show.
#[tokio::test]
async fn a_client_customfield_is_set_and_read_back() {
    let sandbox = start("billomat", options(2)).await;
    let api = billomat(&sandbox);
    let id = new_client(&api, "Metadaten GmbH").await;
    let set = api
        .clients()
        .set_customfield(
            id,
            &Client {
                customfield: Some("crm-4711".into()),
                ..Default::default()
            },
        )
        .await
        .expect("set")
        .expect("the sandbox answers the client");
    assert_eq!(set.customfield.as_deref(), Some("crm-4711"));
    assert_eq!(set.id, Some(id));
    let read = api.clients().customfield(id).await.expect("customfield");
    assert_eq!(read.customfield.as_deref(), Some("crm-4711"));
    let client = api.clients().get(id).await.expect("get");
    assert_eq!(client.customfield.as_deref(), Some("crm-4711"));
    assert_eq!(client.name.as_deref(), Some("Metadaten GmbH"));
    let missing = api
        .clients()
        .set_customfield(id + 1000, &Client::default())
        .await
        .expect_err("no such client");
    assert!(missing.is_not_found(), "{missing}");
    sandbox.shutdown().await;
}

/// Credit notes and reminders change only as drafts, and only a completed one takes its signed
/// PDF (the catalogue says both).
#[tokio::test]
async fn credit_notes_and_reminders_change_as_drafts_and_are_signed_once_completed() {
    use erp_billomat::models::Signature;
    use erp_runtime::Base64;
    let sandbox = start("billomat", options(3)).await;
    let api = billomat(&sandbox);
    let client_id = new_client(&api, "Signatur GmbH").await;
    let signature = || Signature {
        base64file: Base64(b"%PDF-1.4 signed".to_vec()),
        ..Default::default()
    };
    let notes = api.credit_notes();
    let id = notes
        .create(&CreditNote {
            client_id,
            ..Default::default()
        })
        .await
        .expect("draft")
        .id
        .expect("id");
    let label = |text: &str| CreditNote {
        client_id,
        label: Some(text.into()),
        ..Default::default()
    };
    notes
        .update(id, &label("Entwurf"))
        .await
        .expect("a draft changes");
    assert_eq!(
        notes.get(id).await.expect("get").label.as_deref(),
        Some("Entwurf")
    );
    refused(
        &notes
            .upload_signature(id, &signature())
            .await
            .expect_err("a draft is not signed"),
        "A draft credit note cannot be signed.",
    );
    notes
        .complete(id, &Complete::default())
        .await
        .expect("complete");
    refused(
        &notes
            .update(id, &label("Später"))
            .await
            .expect_err("a completed note does not change"),
        "Only a draft credit note can be changed.",
    );
    assert_eq!(
        notes.get(id).await.expect("get").label.as_deref(),
        Some("Entwurf")
    );
    notes
        .upload_signature(id, &signature())
        .await
        .expect("a completed note is signed");

    let invoice_id = api
        .invoices()
        .list(&Default::default())
        .try_next()
        .await
        .expect("list")
        .and_then(|i| i.id)
        .expect("a seeded invoice");
    let reminders = api.reminders();
    let reminder = reminders
        .create(&Reminder {
            invoice_id,
            ..Default::default()
        })
        .await
        .expect("draft")
        .id
        .expect("id");
    refused(
        &reminders
            .upload_signature(reminder, &signature())
            .await
            .expect_err("a draft is not signed"),
        "A draft reminder cannot be signed.",
    );
    reminders
        .complete(reminder, &Complete::default())
        .await
        .expect("complete");
    refused(
        &reminders
            .update(
                reminder,
                &Reminder {
                    invoice_id,
                    subject: Some("Später".into()),
                    ..Default::default()
                },
            )
            .await
            .expect_err("a completed reminder does not change"),
        "Only a draft reminder can be changed.",
    );
    reminders
        .upload_signature(reminder, &signature())
        .await
        .expect("a completed reminder is signed");
    sandbox.shutdown().await;
}

/// Deleting a draft's line takes its amount off the document's totals; a completed document
/// keeps its lines.
#[tokio::test]
async fn a_drafts_lines_are_deleted_with_their_amount_and_a_completed_documents_are_kept() {
    let sandbox = start("billomat", options(2)).await;
    let api = billomat(&sandbox);
    let client_id = new_client(&api, "Positionen GmbH").await;
    let offers = api.offers();
    let id = offers
        .create(&Offer {
            client_id,
            ..Default::default()
        })
        .await
        .expect("draft")
        .id
        .expect("id");
    let line = |quantity: &str, price: &str| OfferItem {
        offer_id: id,
        quantity: Some(money(quantity)),
        unit_price: Some(money(price)),
        ..Default::default()
    };
    let first = api
        .offer_items()
        .create(&line("2", "10.00"))
        .await
        .expect("line")
        .id
        .expect("id");
    let second = api
        .offer_items()
        .create(&line("1", "5.00"))
        .await
        .expect("line")
        .id
        .expect("id");
    assert_eq!(
        offers.get(id).await.expect("get").total_net,
        Some(money("25.00"))
    );
    api.offer_items()
        .delete(first)
        .await
        .expect("a draft's line");
    let after = offers.get(id).await.expect("get");
    assert_eq!(after.total_net, Some(money("5.00")));
    assert_eq!(after.total_gross, Some(money("5.95")));
    offers
        .complete(id, &Complete::default())
        .await
        .expect("complete");
    refused(
        &api.offer_items()
            .delete(second)
            .await
            .expect_err("a completed offer keeps its lines"),
        "Lines can only be removed from a draft offer.",
    );
    assert_eq!(
        api.offer_items().get(second).await.expect("kept").id,
        Some(second)
    );
    assert_eq!(
        offers.get(id).await.expect("get").total_net,
        Some(money("5.00"))
    );
    sandbox.shutdown().await;
}

/// Deleting a payment takes it off what was paid, and a paid invoice or credit note is open
/// again.
#[tokio::test]
async fn a_deleted_payment_reopens_a_paid_document() {
    use erp_billomat::models::{Invoice, InvoiceItem, InvoicePayment, InvoiceStatus};
    let sandbox = start("billomat", options(2)).await;
    let api = billomat(&sandbox);
    let client_id = new_client(&api, "Zahlung GmbH").await;
    let invoices = api.invoices();
    let id = invoices
        .create(&Invoice {
            client_id,
            ..Default::default()
        })
        .await
        .expect("draft")
        .id
        .expect("id");
    api.invoice_items()
        .create(&InvoiceItem {
            invoice_id: id,
            quantity: Some(money("1")),
            unit_price: Some(money("100.00")),
            ..Default::default()
        })
        .await
        .expect("line");
    invoices
        .complete(id, &Complete::default())
        .await
        .expect("complete");
    let payment = api
        .invoice_payments()
        .create(&InvoicePayment {
            invoice_id: id,
            amount: money("119.00"),
            ..Default::default()
        })
        .await
        .expect("payment")
        .id
        .expect("id");
    assert_eq!(
        invoices.get(id).await.expect("get").status,
        Some(InvoiceStatus::Paid)
    );
    api.invoice_payments()
        .delete(payment)
        .await
        .expect("delete the payment");
    let open = invoices.get(id).await.expect("get");
    assert_eq!(open.status, Some(InvoiceStatus::Open));
    assert_eq!(open.paid_amount, Some(Decimal::ZERO));
    assert_eq!(open.open_amount, Some(money("119.00")));

    let notes = api.credit_notes();
    let note = notes
        .create(&CreditNote {
            client_id,
            ..Default::default()
        })
        .await
        .expect("draft")
        .id
        .expect("id");
    api.credit_note_items()
        .create(&CreditNoteItem {
            credit_note_id: note,
            quantity: Some(money("1")),
            unit_price: Some(money("10.00")),
            ..Default::default()
        })
        .await
        .expect("line");
    notes
        .complete(note, &Complete::default())
        .await
        .expect("complete");
    let paid_out = api
        .credit_note_payments()
        .create(&CreditNotePayment {
            credit_note_id: note,
            amount: money("11.90"),
            ..Default::default()
        })
        .await
        .expect("payment")
        .id
        .expect("id");
    assert_eq!(
        notes.get(note).await.expect("get").status,
        Some(CreditNoteStatus::Paid)
    );
    api.credit_note_payments()
        .delete(paid_out)
        .await
        .expect("delete the payment");
    let reopened = notes.get(note).await.expect("get");
    assert_eq!(reopened.status, Some(CreditNoteStatus::Open));
    assert_eq!(reopened.open_amount, Some(money("11.90")));
    sandbox.shutdown().await;
}

/// Billomat's sample order confirmation (../shared/fixtures, billomat.md §13) decodes into the
/// typed read-only fields: status, number, decimal totals and the one-item tax list. Outside CI
/// a missing folder skips, as in `fixtures.rs`.
#[test]
fn the_sample_confirmation_decodes_into_the_typed_fields() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/billomat/j-frost-billomat-ts");
    if !dir.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is missing",
            dir.display()
        );
        return;
    }
    let text = std::fs::read_to_string(dir.join("confirmations-get-response.json"))
        .expect("the sample confirmation");
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
    let confirmation: Confirmation =
        erp_billomat::from_json(&value["confirmation"]).expect("decodes");
    assert_eq!(confirmation.status, Some(ConfirmationStatus::Draft));
    assert_eq!(confirmation.confirmation_number.as_deref(), Some("AB1"));
    assert_eq!(confirmation.total_gross, Some(Decimal::ZERO));
    assert_eq!(confirmation.customfield, None, "\"\" is absent");
    let taxes = confirmation.taxes;
    assert_eq!(taxes.len(), 1, "one tax as an object is a list of one");
    assert_eq!(taxes[0].rate, Some(money("16")));
    assert!(confirmation.updated.is_some());
}
