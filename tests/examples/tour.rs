//! A guided tour of the generated clients against the built-in sandbox.
//!
//! `cargo run --example tour` starts a sandbox per vendor on 127.0.0.1 (ephemeral ports) and
//! walks through listing with paging, get, create, update, delete, a vendor error and a
//! rate-limit wait, a Billomat invoice from draft to paid (with its PDF), and a Spreedly
//! subscriber from free trial to a paid invoice, then prints a summary. Nothing leaves this
//! machine.

use std::time::{Duration, Instant};

use erp_billomat::Billomat;
use erp_billomat::futures::TryStreamExt;
use erp_billomat::models::{Client, Contact, NetGross};
use erp_billomat::resources::clients::ClientsListQuery;
use erp_billomat::resources::contacts::ContactsListQuery;
use erp_clients_tests::{billomat_key, cloudspot_token, options, start};
use erp_cloudspot::Cloudspot;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Result<()> {
    let started = Instant::now();
    let mut summary = Summary::default();
    println!("erp-clients tour: generated clients against the built-in sandbox\n");
    cloudspot(&mut summary).await?;
    billomat(&mut summary).await?;
    spreedly(&mut summary).await?;
    summary.print(started.elapsed());
    Ok(())
}

#[derive(Default)]
struct Summary {
    rows: Vec<(String, String)>,
}

impl Summary {
    fn add(&mut self, what: impl Into<String>, result: impl Into<String>) {
        let (what, result) = (what.into(), result.into());
        println!("  ✓ {what}: {result}");
        self.rows.push((what, result));
    }

    fn print(&self, elapsed: Duration) {
        println!(
            "\nSummary ({} steps in {:.1} s)",
            self.rows.len(),
            elapsed.as_secs_f64()
        );
        let width = self
            .rows
            .iter()
            .map(|(w, _)| w.chars().count())
            .max()
            .unwrap_or(0);
        for (what, result) in &self.rows {
            println!("  {what:<width$}  {result}");
        }
    }
}

async fn cloudspot(summary: &mut Summary) -> Result<()> {
    let sandbox = start("cloudspot", options(25)).await;
    println!("Cloudspot ERP sandbox at {}", sandbox.base_url());
    let api = Cloudspot::builder()
        .base_url(sandbox.base_url())
        .auth(Cloudspot::credentials(cloudspot_token(&sandbox)))
        .build()?;

    let artikels = api.artikels().list_all().await?;
    summary.add(
        "cloudspot artikels.list",
        format!("{} products (the API does not page)", artikels.len()),
    );
    let first = artikels.first().ok_or("no products")?;
    let id = first.id.ok_or("product without id")?;
    let one = api.artikels().get(id).await?;
    summary.add(
        "cloudspot artikels.get",
        format!(
            "#{id} {} (SKU {}), status {}",
            one.naam.as_deref().unwrap_or("?"),
            one.sku.as_deref().unwrap_or("-"),
            one.status
                .as_ref()
                .map_or("unknown".to_owned(), ToString::to_string)
        ),
    );
    let categories = api.categories().list_all().await?;
    summary.add(
        "cloudspot categories.list",
        format!("{} categories", categories.len()),
    );
    let klanten = api.klanten().list_all().await?;
    let companies = klanten
        .iter()
        .filter(|k| k.is_bedrijf == Some(true))
        .count();
    summary.add(
        "cloudspot klanten.list",
        format!("{} clients, {companies} of them companies", klanten.len()),
    );
    match api.artikels().get(987_654).await {
        Err(e) => summary.add("cloudspot vendor error", e.to_string()),
        Ok(_) => return Err("expected a not-found error".into()),
    }
    sandbox.shutdown().await;
    Ok(())
}

async fn billomat(summary: &mut Summary) -> Result<()> {
    let sandbox = start("billomat", options(230)).await;
    println!("\nBillomat sandbox at {}", sandbox.base_url());
    let api = Billomat::builder("mycompany")
        .base_url(sandbox.base_url())
        .auth(Billomat::credentials(billomat_key(&sandbox)))
        .page_size(50)
        .build()?;

    // A long list, page by page, with progress.
    let mut pages = api.clients().list_pages(&ClientsListQuery::default());
    let mut seen = 0;
    while let Some(page) = pages.try_next().await? {
        seen += page.items.len();
        let total = page.total.unwrap_or_default();
        println!(
            "    page {}/{}: {seen}/{total} clients",
            page.number.unwrap_or_default(),
            page.page_count().unwrap_or_default()
        );
    }
    summary.add(
        "billomat clients.list (paged)",
        format!("{seen} clients in pages of 50"),
    );

    let german = ClientsListQuery {
        country_code: Some("DE".into()),
        ..Default::default()
    };
    let germans: Vec<Client> = api.clients().list(&german).try_collect().await?;
    summary.add(
        "billomat clients.list (filtered)",
        format!(
            "{} clients with country_code=DE, filter kept on every page",
            germans.len()
        ),
    );

    let created = api
        .clients()
        .create(&Client {
            name: Some("Tour GmbH".into()),
            first_name: Some("Tara".into()),
            country_code: Some("DE".into()),
            net_gross: Some(NetGross::Net),
            ..Default::default()
        })
        .await?;
    let id = created.id.ok_or("created client without id")?;
    summary.add(
        "billomat clients.create",
        format!(
            "#{id} {} ({})",
            created.name.as_deref().unwrap_or("?"),
            created.client_number.as_deref().unwrap_or("-")
        ),
    );
    let fetched = api.clients().get(id).await?;
    summary.add(
        "billomat clients.get",
        format!(
            "#{id} created {}",
            fetched.created.map(|c| c.to_rfc3339()).unwrap_or_default()
        ),
    );
    let updated = api
        .clients()
        .update(
            id,
            &Client {
                street: Some("Musterstraße 1".into()),
                ..Default::default()
            },
        )
        .await?;
    // Billomat may answer an update with an empty body; then read the client back.
    let updated = match updated {
        Some(client) => client,
        None => api.clients().get(id).await?,
    };
    summary.add(
        "billomat clients.update",
        format!("street is now {:?}", updated.street.unwrap_or_default()),
    );

    let contact = api
        .contacts()
        .create(&Contact {
            client_id: Some(id),
            first_name: Some("Max".into()),
            last_name: Some("Mustermann".into()),
            ..Default::default()
        })
        .await?;
    let contacts = api
        .contacts()
        .list_all(id, &ContactsListQuery::default())
        .await?;
    summary.add(
        "billomat contacts.create/list",
        format!(
            "contact #{} is 1 of {} for client #{id}",
            contact.id.unwrap_or_default(),
            contacts.len()
        ),
    );
    api.contacts()
        .delete(contact.id.ok_or("contact without id")?)
        .await?;
    api.clients().delete(id).await?;
    summary.add("billomat clients.delete", format!("#{id} deleted"));

    match api.clients().get(id).await {
        Err(e) => summary.add("billomat vendor error", e.to_string()),
        Ok(_) => return Err("expected a not-found error".into()),
    }

    let any_id = fetched_any(&api).await?;
    sandbox.faults().rate_limit_next(1, Duration::from_secs(2));
    let waited = Instant::now();
    api.clients().get(any_id).await?;
    summary.add(
        "billomat rate limit",
        format!(
            "429 received, waited {:.1} s for X-Rate-Limit-Reset, then succeeded",
            waited.elapsed().as_secs_f64()
        ),
    );
    invoice_life(&api, any_id, summary).await?;
    sandbox.shutdown().await;
    Ok(())
}

/// An invoice from draft to paid: a line, completion, its PDF, two payments.
async fn invoice_life(api: &Billomat, client_id: i64, summary: &mut Summary) -> Result<()> {
    use erp_billomat::models::{Complete, Invoice, InvoiceItem, InvoicePayment};
    let money = |text: &str| text.parse::<erp_runtime::Decimal>();
    let invoice = api
        .invoices()
        .create(&Invoice {
            client_id,
            title: Some("Beratung Dezember".into()),
            ..Default::default()
        })
        .await?;
    let id = invoice.id.ok_or("invoice without id")?;
    api.invoice_items()
        .create(&InvoiceItem {
            invoice_id: id,
            title: Some("Beratung".into()),
            quantity: Some(money("8")?),
            unit_price: Some(money("95.00")?),
            tax_rate: Some(money("19")?),
            ..Default::default()
        })
        .await?;
    let draft = api.invoices().get(id).await?;
    summary.add(
        "billomat invoices.create + item",
        format!(
            "#{id} {:?}, net {} gross {}",
            draft.status.ok_or("no status")?,
            draft.total_net.unwrap_or_default(),
            draft.total_gross.unwrap_or_default()
        ),
    );
    api.invoices().complete(id, &Complete::default()).await?;
    let open = api.invoices().get(id).await?;
    summary.add(
        "billomat invoices.complete",
        format!(
            "#{id} {:?} as {}",
            open.status.ok_or("no status")?,
            open.invoice_number.unwrap_or_default()
        ),
    );
    let pdf = api.invoices().pdf_file(id).await?;
    summary.add(
        "billomat invoices.pdf_file",
        format!(
            "{} bytes of {}, starts with {:?}",
            pdf.bytes.len(),
            pdf.content_type.as_deref().unwrap_or("?"),
            String::from_utf8_lossy(&pdf.bytes[..pdf.bytes.len().min(8)])
        ),
    );
    let gross = open.total_gross.ok_or("no gross total")?;
    let first = money("500.00")?;
    for amount in [first, gross - first] {
        api.invoice_payments()
            .create(&InvoicePayment {
                invoice_id: id,
                amount,
                ..Default::default()
            })
            .await?;
    }
    let paid = api.invoices().get(id).await?;
    summary.add(
        "billomat invoice-payments.create",
        format!(
            "paid {} in two payments: #{id} is {:?}, {} open",
            paid.paid_amount.unwrap_or_default(),
            paid.status.ok_or("no status")?,
            paid.open_amount.unwrap_or_default()
        ),
    );
    Ok(())
}

async fn fetched_any(api: &Billomat) -> Result<i64> {
    let mut clients = api.clients().list(&ClientsListQuery::default());
    let first = clients.try_next().await?.ok_or("no clients")?;
    first.id.ok_or_else(|| "client without id".into())
}

/// Spreedly (XML): plans, a subscriber through a free trial, complimentary time, store credit
/// and a paid invoice, the vendor's own refusal, and transactions paged by `since_id`.
async fn spreedly(summary: &mut Summary) -> Result<()> {
    use erp_spreedly::Spreedly;
    use erp_spreedly::models::{
        CardType, ComplimentaryTimeExtension, Credit, CreditCard, DurationUnits, Invoice, Payment,
        PlanReference, PlanType, Subscriber,
    };
    let sandbox = start("spreedly", options(120)).await;
    println!("\nSpreedly sandbox at {}", sandbox.base_url());
    let (token, password) = sandbox
        .credentials()
        .basic
        .ok_or("the sandbox has no Basic credentials")?;
    // A test site: Spreedly's destructive calls are refused elsewhere, before anything is sent.
    let api = Spreedly::builder("acme-test")
        .base_url(sandbox.base_url())
        .auth(Spreedly::credentials(token, password))
        .build()?;

    let plans = api.subscription_plans().list_all().await?;
    let trial = plans
        .iter()
        .find(|p| p.plan_type == Some(PlanType::FreeTrial))
        .and_then(|p| p.id)
        .ok_or("no free-trial plan")?;
    let paid = plans
        .iter()
        .find(|p| p.enabled == Some(true) && p.plan_type == Some(PlanType::Regular))
        .and_then(|p| p.id)
        .ok_or("no plan for sale")?;
    summary.add(
        "spreedly subscription_plans.list",
        format!("{} plans", plans.len()),
    );

    let subscribers = api.subscribers();
    let joe = Subscriber {
        customer_id: "tour-joe".into(),
        screen_name: Some("joe".into()),
        email: Some("joe@example.com".into()),
        ..Default::default()
    };
    if subscribers.get("tour-joe").await.is_ok() {
        return Err("customer tour-joe exists before the tour creates it".into());
    }
    let joe = subscribers.get_or_create("tour-joe", &joe).await?;
    summary.add(
        "spreedly subscribers.get_or_create",
        format!("customer {} (a 404 first, so created)", joe.customer_id),
    );
    let on_trial = subscribers
        .subscribe_to_free_trial(
            "tour-joe",
            &PlanReference {
                id: trial,
                extra: Default::default(),
            },
        )
        .await?;
    let until = on_trial.active_until.ok_or("no end of the trial")?;
    summary.add(
        "spreedly subscribe_to_free_trial",
        format!("active until {}", until.format("%Y-%m-%d")),
    );
    match subscribers
        .subscribe_to_free_trial(
            "tour-joe",
            &PlanReference {
                id: trial,
                extra: Default::default(),
            },
        )
        .await
    {
        Err(e) => summary.add("spreedly vendor refusal", e.to_string()),
        Ok(_) => return Err("a second free trial was accepted".into()),
    }
    let extended = subscribers
        .give_complimentary_time_extension(
            "tour-joe",
            &ComplimentaryTimeExtension {
                duration_quantity: 1,
                duration_units: DurationUnits::Months,
                extra: Default::default(),
            },
        )
        .await?;
    let until = extended.active_until.ok_or("no end of the time")?;
    summary.add(
        "spreedly complimentary time extension",
        format!("one month more: active until {}", until.format("%Y-%m-%d")),
    );
    subscribers
        .add_store_credit(
            "tour-joe",
            &Credit {
                amount: "5.00".parse()?,
                extra: Default::default(),
            },
        )
        .await?;
    let credit = subscribers.get("tour-joe").await?.store_credit;
    summary.add(
        "spreedly store credit",
        format!("{} after adding 5.00", credit.unwrap_or_default()),
    );

    let invoice = api
        .invoices()
        .create(&Invoice {
            subscription_plan_id: Some(paid),
            subscriber: Some(Subscriber {
                customer_id: "tour-joe".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await?;
    let token = invoice.token.ok_or("an invoice without token")?;
    let payment = Payment {
        account_type: "credit-card".into(),
        credit_card: CreditCard {
            number: "4222222222222".into(),
            card_type: CardType::Visa,
            verification_value: "123".into(),
            month: 12,
            year: 2030,
            first_name: "Joe".into(),
            last_name: "Bob".into(),
            extra: Default::default(),
        },
        extra: Default::default(),
    };
    let closed = api.invoices().pay(token.expose(), &payment).await?;
    let active = subscribers.get("tour-joe").await?.active == Some(true);
    summary.add(
        "spreedly invoices.create + pay",
        format!(
            "invoice closed: {}, subscriber active: {active} (card number never printed: {:?})",
            closed.closed == Some(true),
            payment.credit_card.number
        ),
    );

    sandbox.clear_requests();
    let transactions = api.transactions().list_all().await?;
    summary.add(
        "spreedly transactions.list",
        format!(
            "{} transactions in {} requests of at most 50 (since_id)",
            transactions.len(),
            sandbox.requests().len()
        ),
    );
    sandbox.shutdown().await;
    Ok(())
}
