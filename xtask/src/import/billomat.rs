//! Billomat's catalogue (`../shared/billomat-api-catalogue/billomat.json`) as a [`Plan`] for
//! `specs/billomat.yaml`, with a coverage row for every catalogue endpoint.
//!
//! The catalogue gives paths, methods, write fields with types and list filters; what it
//! cannot say (envelope roots, groups, English words, which ids point where) is decided here
//! from the path and field names. Descriptions are our own: German texts are never copied.

use std::collections::{BTreeMap, BTreeSet};

use heck::ToUpperCamelCase;

use super::catalogue::{self, Catalogue};
use super::plan::{Enum, Field, Model, Operation, Param, Plan, Resource};

/// What became of one catalogue endpoint.
#[derive(Debug, Clone)]
pub struct Row {
    pub page: String,
    pub method: String,
    pub path: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone)]
pub enum Outcome {
    /// Served by this operation (`note`: how the catalogue's entry was read).
    Operation {
        resource: String,
        operation: String,
        note: Option<String>,
    },
    /// Deliberately not an operation, and why.
    Left(String),
}

/// The plan and the coverage rows.
pub struct Import {
    pub plan: Plan,
    pub rows: Vec<Row>,
}

/// Per resource: English nouns (singular, plural), a description and the cargo feature.
/// A resource missing here gets nouns from its name and its own feature.
const RESOURCES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "clients",
        "client",
        "clients",
        "Clients (customers) of the account.",
        "clients",
    ),
    (
        "client-property-values",
        "client attribute value",
        "client attribute values",
        "Values of user-defined client attributes.",
        "clients",
    ),
    (
        "client-tags",
        "client tag",
        "client tags",
        "Tags on clients.",
        "clients",
    ),
    (
        "contacts",
        "contact",
        "contacts",
        "Contact persons of clients.",
        "clients",
    ),
    (
        "suppliers",
        "supplier",
        "suppliers",
        "Suppliers of the account.",
        "suppliers",
    ),
    (
        "supplier-property-values",
        "supplier attribute value",
        "supplier attribute values",
        "Values of user-defined supplier attributes.",
        "suppliers",
    ),
    (
        "supplier-tags",
        "supplier tag",
        "supplier tags",
        "Tags on suppliers.",
        "suppliers",
    ),
    (
        "articles",
        "article",
        "articles",
        "Articles (products and services) with prices.",
        "articles",
    ),
    (
        "article-property-values",
        "article attribute value",
        "article attribute values",
        "Values of user-defined article attributes.",
        "articles",
    ),
    (
        "article-tags",
        "article tag",
        "article tags",
        "Tags on articles.",
        "articles",
    ),
    (
        "invoices",
        "invoice",
        "invoices",
        "Invoices: drafts, open, overdue, paid and cancelled.",
        "invoices",
    ),
    (
        "invoice-items",
        "invoice item",
        "invoice items",
        "Lines of invoices.",
        "invoices",
    ),
    (
        "invoice-comments",
        "invoice comment",
        "invoice comments",
        "Comments and history entries of invoices.",
        "invoices",
    ),
    (
        "invoice-payments",
        "invoice payment",
        "invoice payments",
        "Payments received for invoices.",
        "invoices",
    ),
    (
        "invoice-tags",
        "invoice tag",
        "invoice tags",
        "Tags on invoices.",
        "invoices",
    ),
    (
        "recurrings",
        "recurring invoice",
        "recurring invoices",
        "Recurring invoices: templates from which Billomat writes invoices on a schedule.",
        "recurrings",
    ),
    (
        "recurring-items",
        "recurring invoice item",
        "recurring invoice items",
        "Lines of recurring invoices.",
        "recurrings",
    ),
    (
        "recurring-tags",
        "recurring invoice tag",
        "recurring invoice tags",
        "Tags on recurring invoices.",
        "recurrings",
    ),
    (
        "recurring-email-receivers",
        "recurring invoice recipient",
        "recurring invoice recipients",
        "E-mail recipients of the invoices a recurring invoice writes.",
        "recurrings",
    ),
    (
        "incomings",
        "incoming invoice",
        "incoming invoices",
        "Incoming invoices (bills from suppliers).",
        "incomings",
    ),
    (
        "incoming-items",
        "incoming invoice item",
        "incoming invoice items",
        "Lines of incoming invoices.",
        "incomings",
    ),
    (
        "incoming-comments",
        "incoming invoice comment",
        "incoming invoice comments",
        "Comments of incoming invoices.",
        "incomings",
    ),
    (
        "incoming-payments",
        "incoming invoice payment",
        "incoming invoice payments",
        "Payments made for incoming invoices.",
        "incomings",
    ),
    (
        "incoming-property-values",
        "incoming invoice attribute value",
        "incoming invoice attribute values",
        "Values of user-defined attributes of incoming invoices.",
        "incomings",
    ),
    (
        "incoming-tags",
        "incoming invoice tag",
        "incoming invoice tags",
        "Tags on incoming invoices.",
        "incomings",
    ),
    (
        "incoming-categories",
        "incoming invoice category",
        "incoming invoice categories",
        "Categories of incoming invoices.",
        "incomings",
    ),
    (
        "inbox-documents",
        "inbox document",
        "inbox documents",
        "Uploaded documents waiting to become incoming invoices.",
        "incomings",
    ),
    (
        "offers",
        "offer",
        "offers",
        "Offers (quotes) to clients.",
        "offers",
    ),
    (
        "offer-items",
        "offer item",
        "offer items",
        "Lines of offers.",
        "offers",
    ),
    (
        "offer-comments",
        "offer comment",
        "offer comments",
        "Comments and history entries of offers.",
        "offers",
    ),
    (
        "offer-tags",
        "offer tag",
        "offer tags",
        "Tags on offers.",
        "offers",
    ),
    (
        "credit-notes",
        "credit note",
        "credit notes",
        "Credit notes to clients.",
        "credit-notes",
    ),
    (
        "credit-note-items",
        "credit note item",
        "credit note items",
        "Lines of credit notes.",
        "credit-notes",
    ),
    (
        "credit-note-comments",
        "credit note comment",
        "credit note comments",
        "Comments and history entries of credit notes.",
        "credit-notes",
    ),
    (
        "credit-note-payments",
        "credit note payment",
        "credit note payments",
        "Payments of credit notes.",
        "credit-notes",
    ),
    (
        "credit-note-tags",
        "credit note tag",
        "credit note tags",
        "Tags on credit notes.",
        "credit-notes",
    ),
    (
        "confirmations",
        "order confirmation",
        "order confirmations",
        "Order confirmations to clients.",
        "confirmations",
    ),
    (
        "confirmation-items",
        "order confirmation item",
        "order confirmation items",
        "Lines of order confirmations.",
        "confirmations",
    ),
    (
        "confirmation-comments",
        "order confirmation comment",
        "order confirmation comments",
        "Comments and history entries of order confirmations.",
        "confirmations",
    ),
    (
        "confirmation-tags",
        "order confirmation tag",
        "order confirmation tags",
        "Tags on order confirmations.",
        "confirmations",
    ),
    (
        "delivery-note-items",
        "delivery note item",
        "delivery note items",
        "Lines of delivery notes.",
        "delivery-notes",
    ),
    (
        "delivery-note-comments",
        "delivery note comment",
        "delivery note comments",
        "Comments and history entries of delivery notes.",
        "delivery-notes",
    ),
    (
        "delivery-note-tags",
        "delivery note tag",
        "delivery note tags",
        "Tags on delivery notes.",
        "delivery-notes",
    ),
    (
        "letter-comments",
        "letter comment",
        "letter comments",
        "Comments and history entries of letters.",
        "letters",
    ),
    (
        "letter-tags",
        "letter tag",
        "letter tags",
        "Tags on letters.",
        "letters",
    ),
    (
        "reminders",
        "reminder",
        "reminders",
        "Payment reminders (dunning letters) for overdue invoices.",
        "reminders",
    ),
    (
        "reminder-items",
        "reminder item",
        "reminder items",
        "Lines of reminders.",
        "reminders",
    ),
    (
        "reminder-tags",
        "reminder tag",
        "reminder tags",
        "Tags on reminders.",
        "reminders",
    ),
    (
        "delivery-notes",
        "delivery note",
        "delivery notes",
        "Delivery notes.",
        "delivery-notes",
    ),
    (
        "letters",
        "letter",
        "letters",
        "Letters to clients.",
        "letters",
    ),
    ("users", "user", "users", "Users of the account.", "account"),
    (
        "activity-feed",
        "activity",
        "activities",
        "The account's activity feed: what happened to which document.",
        "account",
    ),
    (
        "search",
        "search result",
        "search results",
        "Full-text search over the account's documents and contacts.",
        "account",
    ),
    (
        "settings",
        "settings",
        "settings",
        "The account's settings (one object).",
        "settings",
    ),
    (
        "units",
        "unit",
        "units",
        "Units of quantity (piece, hour, ...).",
        "settings",
    ),
    ("taxes", "tax rate", "tax rates", "Tax rates.", "settings"),
    (
        "country-taxes",
        "tax-free country",
        "tax-free countries",
        "Countries whose clients are invoiced without tax.",
        "settings",
    ),
    (
        "templates",
        "document template",
        "document templates",
        "Templates that lay out documents.",
        "settings",
    ),
    (
        "email-templates",
        "e-mail template",
        "e-mail templates",
        "Templates of the e-mails that send documents.",
        "settings",
    ),
    (
        "free-texts",
        "free text",
        "free texts",
        "Reusable texts for document titles, intros and notes.",
        "settings",
    ),
    (
        "reminder-texts",
        "dunning level",
        "dunning levels",
        "Dunning levels: the texts and fees of each reminder step.",
        "settings",
    ),
    (
        "roles",
        "role",
        "roles",
        "User roles and their permissions per area.",
        "settings",
    ),
    (
        "client-properties",
        "client attribute",
        "client attributes",
        "User-defined attributes of clients.",
        "settings",
    ),
    (
        "supplier-properties",
        "supplier attribute",
        "supplier attributes",
        "User-defined attributes of suppliers.",
        "settings",
    ),
    (
        "article-properties",
        "article attribute",
        "article attributes",
        "User-defined attributes of articles.",
        "settings",
    ),
    (
        "incoming-properties",
        "incoming invoice attribute",
        "incoming invoice attributes",
        "User-defined attributes of incoming invoices.",
        "settings",
    ),
    (
        "user-properties",
        "user attribute",
        "user attributes",
        "User-defined attributes of users.",
        "settings",
    ),
    (
        "countries",
        "country",
        "countries",
        "Countries Billomat knows.",
        "settings",
    ),
    (
        "currencies",
        "currency",
        "currencies",
        "Currencies Billomat knows.",
        "settings",
    ),
];

/// Wire roots that are not the plain singular of the resource name.
const ROOTS: &[(&str, &str, &str)] = &[
    ("activity-feed", "activity", "activity-feed"),
    ("settings", "settings", "settings"),
    ("search", "result", "search"),
];

/// Write fields whose values are secrets.
const SENSITIVE: &[&str] = &["bank_iban", "bank_account_number", "password", "iban"];

/// Field docs for names the catalogue uses across resources (`{noun}`: the resource's noun).
const FIELD_DOCS: &[(&str, &str)] = &[
    ("id", "Id assigned by Billomat."),
    ("created", "When the {noun} was created."),
    ("updated", "When the {noun} was last changed."),
    ("name", "Name."),
    ("title", "Title."),
    ("label", "Label."),
    ("intro", "Introductory text."),
    ("note", "Closing note."),
    ("description", "Description."),
    ("comment", "Comment."),
    ("date", "Date of the {noun}."),
    ("due_date", "Date by which payment is due."),
    ("due_days", "Days until payment is due."),
    ("discount_rate", "Cash discount in percent."),
    (
        "discount_days",
        "Days within which the cash discount applies.",
    ),
    ("discount_date", "Last day of the cash discount."),
    (
        "number",
        "Sequential number (the next free one when not given).",
    ),
    ("number_pre", "Prefix of the number."),
    (
        "number_length",
        "Minimum length of the number (padded with zeros).",
    ),
    ("address", "Full postal address as printed."),
    (
        "currency_code",
        "ISO 4217 currency code (the account's currency when not given).",
    ),
    ("quote", "Exchange rate to the account's currency."),
    ("net_gross", "Whether prices are net or gross."),
    (
        "reduction",
        "Discount, absolute or in percent (`10` or `10%`).",
    ),
    ("payment_types", "Accepted payment types (comma list)."),
    (
        "template_id",
        "Id of the template the document is rendered with.",
    ),
    (
        "free_text_id",
        "Id of the free text that fills title, label, intro and note.",
    ),
    ("quantity", "Quantity."),
    ("unit", "Unit of the quantity."),
    ("unit_price", "Price of one unit."),
    ("tax_name", "Name of the tax."),
    ("tax_rate", "Tax rate in percent."),
    (
        "tax_changed_manually",
        "Whether the tax rate was set by hand.",
    ),
    ("type", "Kind of {noun}."),
    ("amount", "Amount."),
    ("value", "The value."),
    ("email", "E-mail address."),
    (
        "customfield",
        "Free metadata field for integrations (filterable).",
    ),
    (
        "supply_date",
        "Date of supply or service (a date or a text).",
    ),
    ("supply_date_type", "What `supply_date` holds."),
    (
        "mark_invoice_as_paid",
        "Whether the payment also marks the invoice as paid.",
    ),
    ("base64file", "The file, base64-encoded."),
    ("filename", "File name."),
    ("mimetype", "Media type of the file."),
    ("position", "Position in the list."),
];

/// Enum docs by enum name.
const ENUM_DOCS: &[(&str, &str)] = &[
    ("NetGross", "Whether prices are net or gross."),
    ("SupplyDateType", "What a document's `supply_date` holds."),
    (
        "ItemType",
        "Whether an article or line is a product or a service.",
    ),
    ("TaxRule", "How taxes are applied to a client's documents."),
    (
        "DefaultValueType",
        "Where a default value (payment term, discount, ...) comes from.",
    ),
];

/// The names a document-like resource's actions get, with their docs.
fn action_doc(action: &str, noun: &str) -> String {
    match action {
        "complete" => format!(
            "Finalises a draft {noun}: assigns its number and renders its PDF (`template_id` picks the template)."
        ),
        "pdf" => format!("The {noun} as a PDF document (base64 in JSON)."),
        "pdf_file" => format!("The {noun}'s PDF file itself (`Accept: application/pdf`)."),
        "email" => format!("Sends the {noun} by e-mail."),
        "mail" => format!("Sends the {noun} by post (a paid Billomat service)."),
        "cancel" => format!("Cancels the {noun}."),
        "uncancel" => format!("Takes back the cancellation of the {noun}."),
        "upload_signature" => format!("Uploads the digitally signed PDF of the {noun}."),
        "win" => format!("Marks the {noun} as accepted by the client."),
        "lose" => format!("Marks the {noun} as declined by the client."),
        "clear" => format!("Marks the {noun} as settled."),
        "unclear" => format!("Marks the {noun} as not settled."),
        "stop" => format!("Stops the {noun}: it writes no more invoices."),
        "encash" => format!("Hands the {noun} over to debt collection."),
        "avatar" => format!("The {noun}'s picture (an image file)."),
        "thumb" => format!("A preview image of the {noun}'s first page."),
        "myself" => format!("The {noun} the API key belongs to."),
        "preset" => format!("A new {noun} prefilled from an order confirmation (not stored)."),
        "customfield" => format!("The {noun}'s free metadata field."),
        "set_customfield" => format!("Sets the {noun}'s free metadata field."),
        other => format!("The `{other}` action of the {noun}."),
    }
}

fn humanize(name: &str) -> String {
    let words = name.replace(['_', '-'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `credit-notes` -> `credit-note`, `taxes` -> `tax`, `countries` -> `country`.
fn singular(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("ies") {
        return format!("{stem}y");
    }
    if let Some(stem) = name.strip_suffix("xes") {
        return format!("{stem}x");
    }
    name.strip_suffix('s').unwrap_or(name).to_owned()
}

struct Nouns {
    one: String,
    many: String,
    doc: String,
    group: String,
}

fn nouns(resource: &str) -> Nouns {
    match RESOURCES.iter().find(|r| r.0 == resource) {
        Some((_, one, many, doc, group)) => Nouns {
            one: (*one).to_owned(),
            many: (*many).to_owned(),
            doc: (*doc).to_owned(),
            group: (*group).to_owned(),
        },
        None => Nouns {
            one: singular(resource).replace('-', " "),
            many: resource.replace('-', " "),
            doc: format!("{}.", humanize(resource)),
            group: resource.to_owned(),
        },
    }
}

/// The catalogue's path decoded: HTML entities resolved, the stray `>` of one garbled entry
/// dropped, split into segments below `/api` and the query template.
fn split_path(raw: &str) -> (Vec<String>, Vec<(String, String)>) {
    let mut text = raw.to_owned();
    while text.contains("&amp;") {
        text = text.replace("&amp;", "&");
    }
    let text = text.replace("&gt;", "");
    let (path, query) = text.split_once('?').unwrap_or((&text, ""));
    let segments = path
        .trim_start_matches("/api")
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let query = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    (segments, query)
}

/// An enum's values from a catalogue type: `ALNUM („NET“, „GROSS“)`, `NET, GROSS`,
/// `ENUM (PRODUCT/SERVICE)`, `ENUM[PRODUCT,SERVICE]`. `None` when the type names none.
fn enum_values(ty: &str) -> Option<Vec<String>> {
    let token = |t: &str| {
        let t = t.trim();
        (!t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit()))
        .then(|| t.to_owned())
    };
    if ty.contains('„') {
        let values: Vec<String> = ty
            .split('„')
            .skip(1)
            .filter_map(|part| part.split('“').next())
            .filter_map(token)
            .collect();
        return (!values.is_empty()).then_some(values);
    }
    let inner = ty
        .strip_prefix("ENUM")
        .map(|rest| {
            rest.trim()
                .trim_start_matches(['(', '['])
                .trim_end_matches([')', ']'])
        })
        .unwrap_or(ty);
    let values: Option<Vec<String>> = inner.split([',', '/']).map(token).collect();
    values.filter(|v| v.len() >= 2)
}

/// Builds the plan. `existing_enums` are the spec's enums with their values, so that a field
/// whose values match one reuses it instead of getting a copy.
pub fn plan(catalogue: &Catalogue, existing_enums: &BTreeMap<String, BTreeSet<String>>) -> Import {
    let mut b = Builder {
        plan: Plan::default(),
        rows: Vec::new(),
        enum_sets: existing_enums.clone(),
        resources: BTreeMap::new(),
    };
    // Every resource name first, so ids can point at resources later in the catalogue.
    let mut names = BTreeSet::new();
    for page in catalogue.resources.values() {
        for e in &page.endpoints {
            if let Some(path) = &e.path {
                let (segments, _) = split_path(path);
                if let Some(first) = segments.first() {
                    names.insert(first.replace('_', "-"));
                }
            }
        }
    }
    for (slug, page) in &catalogue.resources {
        for endpoint in &page.endpoints {
            b.endpoint(slug, endpoint, &names);
        }
    }
    b.billomapy_only();
    b.finish()
}

struct Builder {
    plan: Plan,
    rows: Vec<Row>,
    /// Enum name -> values, of the spec and of the plan.
    enum_sets: BTreeMap<String, BTreeSet<String>>,
    /// Resource name -> operations so far.
    resources: BTreeMap<String, BTreeMap<String, Operation>>,
}

/// Resources billomapy (and billomat4j) use that Billomat's documentation lacks
/// (billomat.md §10): each is shaped like its offer counterpart, with the parent's id.
/// (resource, counterpart, parent id field, parent resource, has an update)
const BILLOMAPY_ONLY: &[(&str, &str, &str, &str, bool)] = &[
    (
        "confirmation-items",
        "offer-items",
        "confirmation_id",
        "confirmations",
        true,
    ),
    (
        "confirmation-comments",
        "offer-comments",
        "confirmation_id",
        "confirmations",
        true,
    ),
    (
        "confirmation-tags",
        "offer-tags",
        "confirmation_id",
        "confirmations",
        false,
    ),
    (
        "delivery-note-items",
        "offer-items",
        "delivery_note_id",
        "delivery-notes",
        true,
    ),
    (
        "delivery-note-comments",
        "offer-comments",
        "delivery_note_id",
        "delivery-notes",
        true,
    ),
    (
        "delivery-note-tags",
        "offer-tags",
        "delivery_note_id",
        "delivery-notes",
        false,
    ),
    (
        "letter-comments",
        "offer-comments",
        "letter_id",
        "letters",
        true,
    ),
    ("letter-tags", "offer-tags", "letter_id", "letters", false),
];

/// Comment resources billomapy updates with `PUT` although the documentation lists none.
const BILLOMAPY_COMMENT_UPDATES: &[&str] =
    &["invoice-comments", "offer-comments", "credit-note-comments"];

/// Said of every operation known only from billomapy.
const FROM_BILLOMAPY: &str =
    "Known from billomapy, not from Billomat's documentation (unverified).";

impl Builder {
    /// The resources and updates billomapy uses beyond the documentation.
    fn billomapy_only(&mut self) {
        let id = |n: &Nouns| Param {
            name: "id".to_owned(),
            ty: "integer".to_owned(),
            required: false,
            doc: format!("Id of the {}.", n.one),
            filter: None,
            rust_name: None,
        };
        let update = |n: &Nouns, model: &str| Operation {
            name: "update".to_owned(),
            doc: format!("Changes the fields that are set. {FROM_BILLOMAPY}"),
            path: Some("/{id}".to_owned()),
            path_params: vec![id(n)],
            request: Some(model.to_owned()),
            response: Some(model.to_owned()),
            returns: Some("item_or_empty".to_owned()),
            ..Default::default()
        };
        for resource in BILLOMAPY_COMMENT_UPDATES {
            let n = nouns(resource);
            let model = model_name(resource);
            if let Some(ops) = self.resources.get_mut(*resource) {
                ops.entry("update".to_owned())
                    .or_insert_with(|| update(&n, &model));
            }
        }
        for (resource, counterpart, parent, parent_resource, updates) in BILLOMAPY_ONLY {
            if self.resources.contains_key(*resource) {
                continue;
            }
            let n = nouns(resource);
            let model = model_name(resource);
            let Some(mut shape) = self.plan.models.get(&model_name(counterpart)).cloned() else {
                continue;
            };
            for f in &mut shape.fields {
                if f.name == "offer_id" {
                    f.name = (*parent).to_owned();
                    f.doc = format!(
                        "Id of the {}.",
                        noun_of_stem(parent.trim_end_matches("_id"))
                    );
                    f.references = Some((*parent_resource).to_owned());
                }
            }
            shape.doc = format!("{} {}. {FROM_BILLOMAPY}", humanize(article(&n.one)), n.one);
            self.plan.models.insert(model.clone(), shape);
            let mut ops = BTreeMap::new();
            let mut list = Operation {
                name: "list".to_owned(),
                doc: format!(
                    "Lists the {} of one {}, page by page. {FROM_BILLOMAPY}",
                    n.many,
                    noun_of_stem(parent.trim_end_matches("_id"))
                ),
                response: Some(model.clone()),
                ..Default::default()
            };
            list.query.push(filter_param(parent, &n, true));
            ops.insert("list".to_owned(), list);
            ops.insert(
                "get".to_owned(),
                Operation {
                    name: "get".to_owned(),
                    doc: format!("Fetches one {}. {FROM_BILLOMAPY}", n.one),
                    path: Some("/{id}".to_owned()),
                    path_params: vec![id(&n)],
                    response: Some(model.clone()),
                    ..Default::default()
                },
            );
            ops.insert(
                "create".to_owned(),
                Operation {
                    name: "create".to_owned(),
                    doc: format!("Creates {} {}. {FROM_BILLOMAPY}", article(&n.one), n.one),
                    request: Some(model.clone()),
                    response: Some(model.clone()),
                    ..Default::default()
                },
            );
            if *updates {
                ops.insert("update".to_owned(), update(&n, &model));
            }
            ops.insert(
                "delete".to_owned(),
                Operation {
                    name: "delete".to_owned(),
                    doc: format!("Deletes {} {}. {FROM_BILLOMAPY}", article(&n.one), n.one),
                    path: Some("/{id}".to_owned()),
                    path_params: vec![id(&n)],
                    ..Default::default()
                },
            );
            self.resources.insert((*resource).to_owned(), ops);
        }
    }

    fn row(&mut self, page: &str, e: &catalogue::Endpoint, outcome: Outcome) {
        self.rows.push(Row {
            page: page.to_owned(),
            method: e.method.clone().unwrap_or_else(|| "-".to_owned()),
            path: e.path.clone().unwrap_or_else(|| "-".to_owned()),
            outcome,
        });
    }

    /// Adds `op` to the resource and a coverage row naming it.
    fn add(
        &mut self,
        page: &str,
        e: &catalogue::Endpoint,
        resource: &str,
        op: Operation,
        note: Option<String>,
    ) {
        let name = op.name.clone();
        self.insert(resource, op);
        self.row(
            page,
            e,
            Outcome::Operation {
                resource: resource.to_owned(),
                operation: name,
                note,
            },
        );
    }

    /// Adds `op` to the resource's operations.
    fn insert(&mut self, resource: &str, op: Operation) {
        let ops = self.resources.entry(resource.to_owned()).or_default();
        match ops.get_mut(&op.name) {
            // A second list form (`?invoice_id=` beside the plain list, `&actionkey=`) adds its
            // parameters to the one list.
            // A parameter is required only when every form has it.
            Some(existing) => {
                for p in existing.query.iter_mut() {
                    p.required &= op.query.iter().any(|q| q.name == p.name && q.required);
                }
                for mut q in op.query {
                    if !existing.query.iter().any(|p| p.name == q.name) {
                        q.required = false;
                        existing.query.push(q);
                    }
                }
            }
            None => {
                ops.insert(op.name.clone(), op);
            }
        }
    }

    fn endpoint(&mut self, page: &str, e: &catalogue::Endpoint, names: &BTreeSet<String>) {
        let (Some(method), Some(raw_path)) = (e.method.as_deref(), e.path.as_deref()) else {
            return self.row(
                page,
                e,
                Outcome::Left(
                    "a documentation page (basics, errors, webhooks) without an endpoint"
                        .to_owned(),
                ),
            );
        };
        let (segments, query) = split_path(raw_path);
        let Some(first) = segments.first() else {
            return self.row(page, e, Outcome::Left("no resource in the path".to_owned()));
        };
        let mut note = None;
        let resource = if first.contains('_') {
            note = Some(format!(
                "the documentation writes `{first}`; the resource is `{}`",
                first.replace('_', "-")
            ));
            first.replace('_', "-")
        } else {
            first.clone()
        };
        let n = nouns(&resource);
        let model = model_name(&resource);
        // Path parameters are always required; the spec does not say so.
        let id_param = || Param {
            name: "id".to_owned(),
            ty: "integer".to_owned(),
            required: false,
            doc: format!("Id of the {}.", n.one),
            filter: None,
            rust_name: None,
        };
        let rest: Vec<&str> = segments[1..].iter().map(String::as_str).collect();
        let singleton = resource == "settings";
        let mut op = Operation::default();
        match (method, rest.as_slice()) {
            ("GET", []) if query.iter().any(|(k, _)| k == "group_by") => {
                return self.row(page, e, Outcome::Left("grouped totals (`group_by`) answer rows of another shape under another root (`invoice-groups`); not yet expressed".to_owned()));
            }
            ("GET", []) if singleton => {
                op.name = "get".to_owned();
                op.doc = format!("Fetches the account's {}.", n.one);
                op.response = Some(model.clone());
            }
            ("PUT", []) if singleton => {
                op.name = "update".to_owned();
                op.doc = format!("Changes the {} that are set.", n.one);
                op.request = Some(model.clone());
                op.response = Some(model.clone());
                op.returns = Some("item_or_empty".to_owned());
                self.model(&resource, &model, &n, e, names);
            }
            ("GET", []) => {
                op.name = "list".to_owned();
                let parents: Vec<&(String, String)> =
                    query.iter().filter(|(_, v)| v.starts_with('{')).collect();
                op.doc = match parents.first() {
                    Some((k, _)) => format!(
                        "Lists the {} of one {}, page by page.",
                        n.many,
                        noun_of_stem(k.trim_end_matches("_id"))
                    ),
                    None => format!(
                        "Lists {}, filtered by any of the given parameters, page by page.",
                        n.many
                    ),
                };
                for (k, _) in &parents {
                    op.query.push(filter_param(k, &n, true));
                }
                for (k, v) in &query {
                    if !v.starts_with('{') && k == "actionkey" {
                        op.query.push(filter_param(k, &n, false));
                    }
                }
                for f in &e.filters {
                    if !op.query.iter().any(|q| q.name == f.name) {
                        op.query.push(filter_param(&f.name, &n, false));
                    }
                }
                if resource == "search" {
                    op.paged = Some(false);
                    op.query.iter_mut().for_each(|q| q.required = true);
                }
                op.response = Some(model.clone());
                if resource == "activity-feed" || resource == "search" {
                    self.response_model(&model, &n, e);
                }
            }
            ("POST", []) => {
                op.name = "create".to_owned();
                op.doc = format!("Creates {} {}.", article(&n.one), n.one);
                op.request = Some(model.clone());
                op.response = Some(model.clone());
                self.model(&resource, &model, &n, e, names);
            }
            (_, ["{id}"]) => {
                op.path = Some("/{id}".to_owned());
                op.path_params.push(id_param());
                match method {
                    "GET" => {
                        op.name = "get".to_owned();
                        op.doc = format!("Fetches one {}.", n.one);
                        op.response = Some(model.clone());
                    }
                    "PUT" => {
                        op.name = "update".to_owned();
                        op.doc = "Changes the fields that are set; the others keep their values."
                            .to_owned();
                        op.request = Some(model.clone());
                        op.response = Some(model.clone());
                        op.returns = Some("item_or_empty".to_owned());
                    }
                    "DELETE" => {
                        op.name = "delete".to_owned();
                        op.doc = format!("Deletes {} {}.", article(&n.one), n.one);
                    }
                    other => {
                        return self.row(
                            page,
                            e,
                            Outcome::Left(format!("{other} on an item is not a known operation")),
                        );
                    }
                }
            }
            ("GET", ["myself"]) => {
                op.name = "myself".to_owned();
                op.method = Some("GET".to_owned());
                op.path = Some("/myself".to_owned());
                op.doc = action_doc("myself", &n.one);
                op.response = Some(model.clone());
            }
            ("GET", ["preset"]) => {
                op.name = "preset".to_owned();
                op.method = Some("GET".to_owned());
                op.path = Some("/preset".to_owned());
                op.doc = action_doc("preset", &n.one);
                op.query.push(Param {
                    name: "confirmation_id".to_owned(),
                    ty: "integer".to_owned(),
                    required: true,
                    doc: "Id of the order confirmation the invoice is made from.".to_owned(),
                    filter: None,
                    rust_name: None,
                });
                op.response = Some(model.clone());
                let resource = resource.clone();
                note = Some("documented on the order confirmations page".to_owned());
                return self.add(page, e, &resource, op, note);
            }
            (_, [id, action]) if id.starts_with('{') => {
                if *id != "{id}" {
                    note = Some(format!(
                        "the documentation writes `{{{}}}`; read as the item's `{{id}}`",
                        id.trim_matches(['{', '}'])
                    ));
                }
                let name = action.replace('-', "_");
                op.method = Some(method.to_owned());
                op.path = Some(format!("/{{id}}/{action}"));
                op.path_params.push(id_param());
                match (method, name.as_str()) {
                    ("GET", "pdf") => {
                        let mut file = op.clone();
                        op.name = "pdf".to_owned();
                        op.response = Some("Pdf".to_owned());
                        op.root = Some("pdf".to_owned());
                        self.pdf_model();
                        file.name = "pdf_file".to_owned();
                        file.doc = action_doc("pdf_file", &n.one);
                        file.returns = Some("bytes".to_owned());
                        file.accept = Some("application/pdf".to_owned());
                        // One catalogue endpoint, two operations: its row names `pdf`.
                        self.insert(&resource, file);
                        note = Some("also as the raw file: `pdf_file`".to_owned());
                    }
                    ("GET", "avatar" | "thumb") => {
                        op.name = name.clone();
                        op.returns = Some("bytes".to_owned());
                        op.accept = Some("image/png".to_owned());
                        for (k, _) in &query {
                            op.query.push(Param {
                                name: k.clone(),
                                ty: "integer".to_owned(),
                                required: false,
                                doc: "Edge length of the image in pixels.".to_owned(),
                                filter: None,
                                rust_name: None,
                            });
                        }
                        for f in &e.filters {
                            op.query.push(Param {
                                name: f.name.clone(),
                                ty: "string".to_owned(),
                                required: false,
                                doc: "Image format: `png` (default), `gif` or `jpg`.".to_owned(),
                                filter: None,
                                rust_name: None,
                            });
                        }
                    }
                    ("GET", "customfield") => {
                        op.name = name.clone();
                        op.response = Some(model.clone());
                    }
                    (_, _) => {
                        op.name = name.clone();
                        if !e.fields.is_empty() {
                            let request = action_model(&name);
                            self.action_model(&request, &name, e, names);
                            op.request = Some(request);
                            op.root = Some(name.replace('_', "-"));
                        } else if name == "complete" {
                            self.complete_model();
                            op.request = Some("Complete".to_owned());
                            op.root = Some("complete".to_owned());
                        }
                        if name == "upload_signature" {
                            note = Some(
                                "the request's root key is not documented; `signature` is assumed"
                                    .to_owned(),
                            );
                            op.root = Some("signature".to_owned());
                        }
                        op.response = Some(model.clone());
                        op.returns = Some(
                            if method == "POST" {
                                "none"
                            } else {
                                "item_or_empty"
                            }
                            .to_owned(),
                        );
                        if method == "POST" {
                            op.response = None;
                        }
                    }
                }
                op.doc = action_doc(&op.name, &n.one);
            }
            (other, _) => {
                return self.row(
                    page,
                    e,
                    Outcome::Left(format!("{other} {raw_path} fits no operation kind")),
                );
            }
        }
        self.add(page, e, &resource, op, note);
    }

    /// The resource's model from a create's (or update's) write fields: id and creation time,
    /// then the fields in the catalogue's order.
    fn model(
        &mut self,
        resource: &str,
        model: &str,
        n: &Nouns,
        e: &catalogue::Endpoint,
        names: &BTreeSet<String>,
    ) {
        let mut fields = Vec::new();
        if resource != "settings" {
            fields.push(read_only("id", "integer", n));
            fields.push(read_only("created", "datetime", n));
        }
        for f in &e.fields {
            let field = self.field(model, resource, n, f, names);
            if !fields.iter().any(|x: &Field| x.name == field.name) {
                fields.push(field);
            }
        }
        let doc = format!(
            "{} {}. Unset fields are left out of create and update requests.",
            humanize(article(&n.one)),
            n.one
        );
        self.merge_model(model, Model { doc, fields });
    }

    /// A model only read (the activity feed's entries, search results): its documented fields.
    fn response_model(&mut self, model: &str, n: &Nouns, e: &catalogue::Endpoint) {
        let none = BTreeSet::new();
        let fields = e
            .fields
            .iter()
            .map(|f| {
                let mut field = self.field(model, "", n, f, &none);
                field.read_only = true;
                field.required = false;
                field
            })
            .collect();
        self.merge_model(
            model,
            Model {
                doc: format!("One {}.", n.one),
                fields,
            },
        );
    }

    fn action_model(
        &mut self,
        model: &str,
        action: &str,
        e: &catalogue::Endpoint,
        names: &BTreeSet<String>,
    ) {
        let n = Nouns {
            one: action.replace('_', " "),
            many: String::new(),
            doc: String::new(),
            group: String::new(),
        };
        let fields = e
            .fields
            .iter()
            .map(|f| self.field(model, "", &n, f, names))
            .collect();
        let doc = match action {
            "email" => "How to send a document by e-mail.".to_owned(),
            "mail" => "How to send a document by post.".to_owned(),
            "upload_signature" => "A digitally signed PDF of a document.".to_owned(),
            other => format!("The body of the `{other}` action."),
        };
        self.merge_model(model, Model { doc, fields });
        if action == "email" {
            self.plan
                .models
                .entry("EmailRecipients".to_owned())
                .or_insert_with(|| Model {
                    doc: "Recipients of an e-mail (comma lists of addresses).".to_owned(),
                    fields: ["to", "cc", "bcc"]
                        .iter()
                        .map(|name| Field {
                            name: (*name).to_owned(),
                            ty: "string".to_owned(),
                            required: *name == "to",
                            read_only: false,
                            sensitive: false,
                            doc: format!("`{name}` addresses."),
                            references: None,
                        })
                        .collect(),
                });
        }
        if e.fields.iter().any(|f| f.name == "attachments") {
            self.plan
                .models
                .entry("Attachment".to_owned())
                .or_insert_with(|| Model {
                    doc: "A file sent along with a document.".to_owned(),
                    fields: vec![
                        plain("filename", "string", "File name."),
                        plain("mimetype", "string", "Media type of the file."),
                        plain("base64file", "bytes", "The file, base64-encoded."),
                    ],
                });
        }
    }

    fn complete_model(&mut self) {
        self.plan.models.entry("Complete".to_owned()).or_insert_with(|| Model {
            doc: "Options of completing a draft.".to_owned(),
            fields: vec![plain("template_id", "integer", "Id of the template to render the PDF with (the default template when not given).")],
        });
    }

    fn pdf_model(&mut self) {
        let fields = [
            ("id", "integer", "Id of the PDF."),
            ("created", "datetime", "When the PDF was rendered."),
            ("filename", "string", "File name."),
            ("mimetype", "string", "Media type (`application/pdf`)."),
            ("filesize", "integer", "Size in bytes."),
            ("base64file", "bytes", "The PDF, base64-encoded."),
        ];
        self.plan
            .models
            .entry("Pdf".to_owned())
            .or_insert_with(|| Model {
                doc: "A document's PDF as Billomat sends it in JSON.".to_owned(),
                fields: fields
                    .iter()
                    .map(|(name, ty, doc)| Field {
                        read_only: true,
                        ..plain(name, ty, doc)
                    })
                    .collect(),
            });
    }

    fn merge_model(&mut self, name: &str, model: Model) {
        match self.plan.models.get_mut(name) {
            Some(existing) => {
                for f in model.fields {
                    if !existing.fields.iter().any(|x| x.name == f.name) {
                        existing.fields.push(f);
                    }
                }
            }
            None => {
                self.plan.models.insert(name.to_owned(), model);
            }
        }
    }

    fn field(
        &mut self,
        model: &str,
        resource: &str,
        n: &Nouns,
        f: &catalogue::Field,
        names: &BTreeSet<String>,
    ) -> Field {
        let raw = f.ty.as_deref().unwrap_or("ALNUM").trim();
        let mut read_only = false;
        let ty = match raw {
            "INT" => "integer".to_owned(),
            "INT (readonly)" => {
                read_only = true;
                "integer".to_owned()
            }
            "FLOAT" => "decimal".to_owned(),
            "BOOL" => "boolean".to_owned(),
            "DATE" => "date".to_owned(),
            "DATETIME" => "datetime".to_owned(),
            "BASE64FILE" => "bytes".to_owned(),
            "ARRAY" => "json".to_owned(),
            _ if f.name == "base64file" => "bytes".to_owned(),
            _ if f.name == "recipients" => "EmailRecipients".to_owned(),
            _ if f.name == "attachments" => "list<Attachment>".to_owned(),
            other => match enum_values(other) {
                Some(values) => self.enumeration(model, &f.name, n, values),
                None => "string".to_owned(),
            },
        };
        let doc = field_doc(&f.name, n);
        let references = f.name.strip_suffix("_id").and_then(|stem| {
            let target = names
                .iter()
                .find(|r| singular(r).replace('-', "_") == stem)?;
            (target != resource).then(|| target.clone())
        });
        Field {
            name: f.name.clone(),
            ty,
            // A field with a default may be left out, whatever the documentation's flag says.
            required: f.required && !read_only && f.default.is_none(),
            read_only,
            sensitive: SENSITIVE.contains(&f.name.as_str()),
            doc,
            references,
        }
    }

    /// The enum for a field's values: one the spec or plan has with the same values, else a new
    /// one named after the field (`type` after the model too).
    fn enumeration(&mut self, model: &str, field: &str, n: &Nouns, values: Vec<String>) -> String {
        let set: BTreeSet<String> = values.iter().cloned().collect();
        if let Some((name, _)) = self.enum_sets.iter().find(|(_, v)| **v == set) {
            return name.clone();
        }
        let base = match field {
            "type" if model.ends_with("Payment") => "PaymentType".to_owned(),
            "type" | "format" => format!("{model}{}", field.to_upper_camel_case()),
            _ if field.ends_with("net_gross") => "NetGross".to_owned(),
            other => other.to_upper_camel_case(),
        };
        // An enum of that name with more values serves too (unknown values decode anyway).
        if self
            .enum_sets
            .get(&base)
            .is_some_and(|known| known.is_superset(&set))
        {
            return base;
        }
        let name = if self.enum_sets.contains_key(&base) {
            format!("{model}{}", field.to_upper_camel_case())
        } else {
            base
        };
        let doc = ENUM_DOCS.iter().find(|(k, _)| *k == name).map_or_else(
            || format!("{} of {} {}.", humanize(field), article(&n.one), n.one),
            |(_, d)| (*d).to_owned(),
        );
        self.enum_sets.insert(name.clone(), set);
        self.plan.enums.insert(
            name.clone(),
            Enum {
                doc,
                values: values
                    .iter()
                    .map(|v| (v.clone(), format!("{}.", humanize(&v.to_lowercase()))))
                    .collect(),
            },
        );
        name
    }

    fn finish(mut self) -> Import {
        let mut names: Vec<String> = RESOURCES
            .iter()
            .map(|r| r.0.to_owned())
            .filter(|r| self.resources.contains_key(r))
            .collect();
        for r in self.resources.keys() {
            if !names.contains(r) {
                names.push(r.clone());
            }
        }
        for name in names {
            let Some(ops) = self.resources.remove(&name) else {
                continue;
            };
            let n = nouns(&name);
            let (singular_root, plural_root) = ROOTS.iter().find(|r| r.0 == name).map_or_else(
                || (singular(&name), name.clone()),
                |r| (r.1.to_owned(), r.2.to_owned()),
            );
            let mut operations: Vec<Operation> = ops.into_values().collect();
            let rank = |o: &Operation| match o.name.as_str() {
                "list" => 0,
                "get" => 1,
                "create" => 2,
                "update" => 3,
                "delete" => 4,
                _ => 5,
            };
            operations.sort_by(|a, b| (rank(a), &a.name).cmp(&(rank(b), &b.name)));
            // A model every operation names must exist, if only with its id.
            for op in &operations {
                for m in op.response.iter().chain(&op.request) {
                    if !self.plan.models.contains_key(m) {
                        self.plan.models.insert(
                            m.clone(),
                            Model {
                                doc: format!("{} {}.", humanize(article(&n.one)), n.one),
                                fields: vec![read_only("id", "integer", &n)],
                            },
                        );
                    }
                }
            }
            self.plan.resources.push(Resource {
                path: format!("/{name}"),
                doc: n.doc.clone(),
                wire_singular: singular_root,
                wire_plural: plural_root,
                group: n.group.clone(),
                name,
                operations,
            });
        }
        Import {
            plan: self.plan,
            rows: self.rows,
        }
    }
}

/// `credit-notes` -> `CreditNote`, `activity-feed` -> `Activity`, `search` -> `SearchResult`.
fn model_name(resource: &str) -> String {
    match resource {
        "activity-feed" => "Activity".to_owned(),
        "search" => "SearchResult".to_owned(),
        "settings" => "Settings".to_owned(),
        other => singular(other).to_upper_camel_case(),
    }
}

/// The request model of an action (`email` -> `EmailMessage`).
fn action_model(action: &str) -> String {
    match action {
        "email" => "EmailMessage".to_owned(),
        "mail" => "PostalMail".to_owned(),
        "upload_signature" => "Signature".to_owned(),
        other => other.to_upper_camel_case(),
    }
}

fn plain(name: &str, ty: &str, doc: &str) -> Field {
    Field {
        name: name.to_owned(),
        ty: ty.to_owned(),
        required: false,
        read_only: false,
        sensitive: false,
        doc: doc.to_owned(),
        references: None,
    }
}

fn read_only(name: &str, ty: &str, n: &Nouns) -> Field {
    Field {
        read_only: true,
        ..plain(name, ty, &field_doc(name, n))
    }
}

fn field_doc(name: &str, n: &Nouns) -> String {
    if let Some((_, doc)) = FIELD_DOCS.iter().find(|(k, _)| *k == name) {
        return doc.replace("{noun}", &n.one);
    }
    if let Some(stem) = name.strip_suffix("_id") {
        return format!("Id of the {}.", noun_of_stem(stem));
    }
    format!("{}.", humanize(name))
}

/// The noun of the resource an id names (`recurring` -> `recurring invoice`).
fn noun_of_stem(stem: &str) -> String {
    RESOURCES
        .iter()
        .find(|r| singular(r.0).replace('-', "_") == stem)
        .map_or_else(|| stem.replace('_', " "), |r| r.1.to_owned())
}

/// `a` or `an` before a noun.
fn article(noun: &str) -> &'static str {
    match noun.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// A list filter: ids are integers, `from`/`to` dates, tag and state lists comma lists.
fn filter_param(name: &str, n: &Nouns, parent: bool) -> Param {
    let (ty, filter, doc) = if let Some(stem) = name.strip_suffix("_id") {
        let doc = format!("Only {} of this {}.", n.many, noun_of_stem(stem));
        ("integer", None, doc)
    } else {
        match name {
            "from" => (
                "date",
                None,
                "Only those dated on or after this day.".to_owned(),
            ),
            "to" => (
                "date",
                None,
                "Only those dated on or before this day.".to_owned(),
            ),
            "tags" => (
                "list<string>",
                Some("any_of"),
                "Only those with any of these tags (comma list).".to_owned(),
            ),
            "status" | "payment_type" | "actionkey" | "type" => (
                "list<string>",
                Some("any_of"),
                format!("Only those with any of these values of `{name}` (comma list)."),
            ),
            "label" | "intro" | "note" | "name" | "title" | "description" | "first_name"
            | "last_name" => (
                "string",
                Some("contains"),
                format!("Text search in `{name}` (substring, case-insensitive)."),
            ),
            other => (
                "string",
                None,
                format!("Only those whose `{other}` is this."),
            ),
        }
    };
    // `query` is the generated list methods' own argument.
    let rust_name = (name == "query").then(|| "text".to_owned());
    Param {
        name: name.to_owned(),
        ty: ty.to_owned(),
        required: parent,
        doc,
        filter: filter.map(str::to_owned),
        rust_name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_decoded_and_split() {
        let (s, q) =
            split_path("/api/offer-comments?offer_id={offer_id}&amp;amp;actionkey=CREATE,COPY");
        assert_eq!(s, ["offer-comments"]);
        assert_eq!(
            q,
            [
                ("offer_id".to_owned(), "{offer_id}".to_owned()),
                ("actionkey".to_owned(), "CREATE,COPY".to_owned())
            ]
        );
        let (s, _) = split_path("/api/invoices/{invoiceId}&amp;amp;gt;/encash");
        assert_eq!(s, ["invoices", "{invoiceId}", "encash"]);
    }

    #[test]
    fn enum_values_in_every_written_form() {
        assert_eq!(
            enum_values("ALNUM („NET“, „GROSS“)").unwrap(),
            ["NET", "GROSS"]
        );
        assert_eq!(
            enum_values("SETTINGS, ABSOLUTE, RELATIVE").unwrap(),
            ["SETTINGS", "ABSOLUTE", "RELATIVE"]
        );
        assert_eq!(
            enum_values("ENUM (PRODUCT/SERVICE)").unwrap(),
            ["PRODUCT", "SERVICE"]
        );
        assert_eq!(
            enum_values("ENUM[PRODUCT,SERVICE]").unwrap(),
            ["PRODUCT", "SERVICE"]
        );
        assert_eq!(enum_values("ENUM"), None);
        assert_eq!(enum_values("ALNUM"), None);
        assert_eq!(enum_values("ISO-Währungscode"), None);
    }

    #[test]
    fn singulars_and_model_names() {
        assert_eq!(singular("credit-notes"), "credit-note");
        assert_eq!(singular("taxes"), "tax");
        assert_eq!(singular("countries"), "country");
        assert_eq!(model_name("country-taxes"), "CountryTax");
        assert_eq!(model_name("incomings"), "Incoming");
    }
}
