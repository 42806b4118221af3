//! The operations: list, get, create, update, delete and named actions on the in-memory store,
//! and counting a list with `HEAD` (for vendors that support it, see
//! [`crate::routes::counts_with_head`]).
//!
//! Actions check their request body when the spec names a request model (wrapped in the
//! operation's `root` key for `resource_root` request envelopes) and answer the addressed record;
//! they do not change it.

use chrono::SecondsFormat;
use erp_spec::ir::{
    BodyKind, Method, Model, Operation, OperationKind, RequestEnvelope, Resource, Returns,
    WireFormat,
};
use serde_json::{Map, Value};

use crate::app::App;
use crate::errors;
use crate::ordered_json::Out;
use crate::query;
use crate::render::{ListMeta, Renderer, corrupt};
use crate::reply::Reply;
use crate::routes::Match;
use std::collections::BTreeMap;

use erp_spec::expr::Expr;
use erp_spec::expr::effect::Term;
use erp_spec::ir::effects::{Check, OperationSandbox, RecordKey};

use crate::effects::{Env, Found, FoundRecord};
use crate::store::{self, Store};
use crate::xml::{Inferred, ModelTypes, XmlTypes};
use crate::{codec, decode, keys, paging, realism};

/// One request below the base path.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request<'a> {
    pub method: &'a str,
    /// Path below the base path, starting with `/`.
    pub path: &'a str,
    pub query: &'a [(String, String)],
    /// Values of the base URL's variables (`site` of `/api/v4/{site}`).
    pub base: &'a [(String, String)],
    pub body: &'a [u8],
    /// The request's URL without its query, for next-page links.
    pub link_base: &'a str,
    pub content_type: Option<&'a str>,
    /// The request's headers (`None` in unit tests that send none).
    pub headers: Option<&'a axum::http::HeaderMap>,
}

impl Request<'_> {
    /// The `Accept` header, if the request sent one.
    fn accept(&self) -> Option<&str> {
        self.headers?
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
    }
}

/// Routes the request to its operation and runs it.
pub(crate) fn dispatch(app: &App, request: &Request<'_>) -> Reply {
    let spec = app.spec();
    match app.routes.find(
        request.method,
        request.path,
        request.query,
        request.accept(),
    ) {
        Match::NotFound => errors::not_found(spec),
        Match::MethodNotAllowed(allowed) => errors::method_not_allowed(spec, &allowed),
        Match::Operation { route, params } => {
            let resource = &spec.resources[route.resource];
            let op = &resource.operations[route.operation];
            // A key the vendor de-duplicates by: the first answer to it is the answer to all.
            let key = op
                .idempotency_key
                .as_deref()
                .and_then(|header| request.headers?.get(header)?.to_str().ok());
            let mut replays = key.map(|key| {
                let replays = app.replays();
                (replays, (route.resource, route.operation, key.to_owned()))
            });
            if let Some((replays, id)) = &replays
                && let Some(first) = replays.get(id)
            {
                return first.clone();
            }
            let ctx = Ctx {
                app,
                resource_index: route.resource,
                resource,
                op,
                params: &params,
                request,
            };
            let result = match ctx.op.kind {
                // Only counting list routes accept HEAD (see `RouteTable::new`).
                _ if request.method == "HEAD" => ctx.count(),
                _ if matches!(
                    ctx.op.returns,
                    Returns::Bytes | Returns::ByteStream | Returns::Text
                ) =>
                {
                    ctx.file()
                }
                // Lists, and named actions that return one (a listing with its own paging).
                OperationKind::List => ctx.list(),
                OperationKind::Action if ctx.op.returns == Returns::List => ctx.list(),
                OperationKind::Get => ctx.get(),
                OperationKind::Create => ctx.create(),
                OperationKind::Update => ctx.update(),
                OperationKind::Delete => ctx.delete(),
                OperationKind::Action => ctx.action(),
            };
            let reply = result.unwrap_or_else(|reply| reply);
            if let Some((replays, id)) = &mut replays {
                replays.remember(id.clone(), &reply);
            }
            reply
        }
    }
}

/// A file name extension for a media type.
fn extension(content_type: &str) -> &str {
    match content_type {
        "application/pdf" => "pdf",
        "application/zip" => "zip",
        "text/csv" => "csv",
        t if t.starts_with("image/") => t.trim_start_matches("image/"),
        _ => "bin",
    }
}

/// The current time as the vendor writes datetimes.
fn now() -> String {
    chrono::Local::now()
        .fixed_offset()
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// The records a list answers, in order.
enum Matches<'s> {
    /// Every record of the resource in id order: the store's own rows, windowed without a walk.
    All { store: &'s Store, name: &'s str },
    /// Filtered or sorted records.
    Listed(Vec<(i64, &'s Value)>),
}

impl<'s> Matches<'s> {
    fn len(&self) -> usize {
        match self {
            Matches::All { store, name } => store.len(name),
            Matches::Listed(records) => records.len(),
        }
    }

    /// The position after the record a last-item cursor names: the first record whose `field`
    /// sorts after `cursor` (see [`paging::after_cursor`]).
    fn position_after(&self, field: &str, cursor: &str) -> usize {
        paging::after_cursor(self.window(0, usize::MAX), field, cursor)
    }

    /// At most `take` records from position `skip` on.
    fn window(&self, skip: usize, take: usize) -> Box<dyn Iterator<Item = &'s Value> + '_> {
        match self {
            Matches::All { store, name } => {
                Box::new(store.window(name, skip, take).iter().map(|(_, r)| r))
            }
            Matches::Listed(records) => {
                Box::new(records.iter().skip(skip).take(take).map(|(_, r)| *r))
            }
        }
    }
}

struct Ctx<'a> {
    app: &'a App,
    resource_index: usize,
    resource: &'a Resource,
    op: &'a Operation,
    params: &'a [(String, String)],
    request: &'a Request<'a>,
}

type Outcome = Result<Reply, Reply>;

impl<'a> Ctx<'a> {
    /// The resource's own answer for an unknown record when it declares one (Spreedly's
    /// "Unable to find invoice ..."), else the vendor-wide one.
    fn not_found(&self) -> Reply {
        let spec = self.app.spec();
        match spec
            .sandbox
            .resources
            .get(&self.resource.name)
            .and_then(|r| r.not_found.as_ref())
        {
            Some(refusal) => {
                let none = Map::new();
                self.env(&none, &none, BTreeMap::new())
                    .refuse(spec, refusal)
            }
            None => errors::not_found_for(spec, self.params),
        }
    }

    fn invalid(&self, message: &str) -> Reply {
        errors::invalid(self.app.spec(), message)
    }

    /// The model of the response body (the resource's model when the operation names none).
    fn response_model(&self) -> Option<&Model> {
        self.op
            .response
            .as_deref()
            .and_then(|m| self.app.schema.model(m))
            .or_else(|| self.app.schema.resource_model(self.resource_index))
    }

    fn request_model(&self) -> Option<&Model> {
        self.op
            .request
            .as_deref()
            .and_then(|m| self.app.schema.model(m))
            .or_else(|| self.app.schema.resource_model(self.resource_index))
    }

    /// The root key of request and item bodies in `resource_root` envelopes.
    fn root(&self) -> &str {
        &self.op.root
    }

    /// Whether the `empty_write_bodies` fault empties this operation's successful answer:
    /// updates, actions and any other `PUT`/`PATCH` that is not a create.
    fn empties_write_body(&self) -> bool {
        let write = match self.op.kind {
            OperationKind::Update | OperationKind::Action => true,
            OperationKind::Create => false,
            _ => matches!(self.op.method, Method::Put | Method::Patch),
        };
        write && self.app.faults.empty_write_bodies_on()
    }

    fn renderer<'s>(&'s self, store: &'s Store) -> Renderer<'s> {
        Renderer::new(&self.app.schema, store, self.app.faults.leniency())
    }

    fn render_item(
        &self,
        store: &Store,
        record: &Value,
        status: u16,
        allow_malformed: bool,
    ) -> Reply {
        let renderer = self.renderer(store);
        let Some(model) = self.response_model() else {
            let body = renderer.item_envelope(self.root(), Out::from_value(record));
            return self.structured(status, &body, None, false);
        };
        let mut item = renderer.item(model, record);
        if allow_malformed && self.app.faults.take_malformed() {
            corrupt(&mut item, model);
        }
        let body = renderer.item_envelope(self.root(), item);
        self.structured(status, &body, Some(model), false)
    }

    /// A structured reply in the vendor's format, typed by `model` (XML `type` attributes).
    fn structured(&self, status: u16, body: &Out, model: Option<&Model>, list: bool) -> Reply {
        let spec = self.app.spec();
        let types: Box<dyn XmlTypes + '_> = match model {
            Some(m) if list => Box::new(ModelTypes::list(spec, m)),
            Some(m) => Box::new(ModelTypes::item(spec, m)),
            None => Box::new(Inferred),
        };
        codec::reply(
            spec,
            status,
            body,
            types.as_ref(),
            self.app.faults.xml_quirks(),
        )
    }

    /// A file of the addressed record (`bytes`, `byte_stream` and `text` operations): content
    /// derived from the record, so the same record always gives the same file.
    fn file(&self) -> Outcome {
        let store = self.app.store();
        let addressed = self.resolve(&store);
        let id = match addressed {
            Some(id) => id.ok_or_else(|| self.not_found())?,
            None => 0,
        };
        if addressed.is_some() && store.get(&self.resource.name, id).is_none() {
            return Err(self.not_found());
        }
        let title = format!(
            "{} {} {id}",
            self.app.spec().vendor.title,
            self.resource.name
        );
        if self.op.returns == Returns::Text {
            return Ok(Reply::text(200, format!("{title}\n")));
        }
        let content_type = match self.op.accept.as_str() {
            a if a.contains('*') || a.contains(',') => "application/octet-stream",
            a => a,
        };
        let file = format!("{}.{}", self.resource.name, extension(content_type));
        // About 64 KiB: several chunks on the wire, so streaming is real.
        Ok(
            Reply::bytes(200, content_type, crate::pdf::document(&title, 64 * 1024)).with_header(
                "Content-Disposition",
                format!("attachment; filename=\"{file}-{id}\""),
            ),
        )
    }

    /// The reply of a write: the record in the item envelope, or an empty body.
    fn write_reply(&self, store: &Store, record: &Value, status: u16) -> Reply {
        if self.empties_write_body() {
            return Reply::empty(200);
        }
        match self.op.returns {
            Returns::Item | Returns::ItemOrEmpty | Returns::List => {
                self.render_item(store, record, status, false)
            }
            Returns::None | Returns::Bytes | Returns::ByteStream | Returns::Text => {
                Reply::empty(status)
            }
        }
    }

    /// The records of the resource that match the list's filters, sorted as asked.
    ///
    /// Nothing is cloned: an unfiltered, unsorted list is the store's own slice, and filters
    /// narrow down by a store index where one fits before each remaining record is checked.
    fn matching<'s>(&self, store: &'s Store) -> Result<Matches<'s>, Reply>
    where
        'a: 's,
    {
        query::check(self.op, self.request.query).map_err(|m| self.invalid(&m))?;
        let name = &self.resource.name;
        let Some(model) = self.response_model() else {
            return Ok(Matches::All { store, name });
        };
        let filters = query::Filters::new(self.op, model, self.request.query);
        if filters.is_empty() && !query::sorts(self.op, model, self.request.query) {
            return Ok(Matches::All { store, name });
        }
        let candidates = filters
            .integer_lookups()
            .find_map(|(field, keys)| store.candidates(name, field, &keys));
        let mut records: Vec<(i64, &Value)> = match candidates {
            Some(ids) => ids
                .into_iter()
                .filter_map(|id| store.get(name, id).map(|r| (id, r)))
                .filter(|(_, r)| filters.matches(r))
                .collect(),
            None => store
                .records(name)
                .filter(|(_, r)| filters.matches(r))
                .collect(),
        };
        query::sort(self.op, model, &mut records, self.request.query);
        Ok(Matches::Listed(records))
    }

    /// `HEAD` on a list: no body, the number of matching records in `X-Total-Count`.
    fn count(&self) -> Outcome {
        let store = self.app.store();
        let total = self.matching(&store)?.len();
        Ok(Reply::empty(200).with_header("X-Total-Count", total.to_string()))
    }

    fn list(&self) -> Outcome {
        let store = self.app.store();
        let records = self.matching(&store)?;
        let model = self.response_model();
        let paging = &self.op.paging;
        let query = self.request.query;
        let slice = paging::slice(paging, query, |field, cursor| {
            records.position_after(field, cursor)
        })
        .map_err(|m: String| self.invalid(&m))?;
        let range = slice.range(records.len());
        let renderer = self.renderer(&store);
        let page: Vec<&Value> = records.window(range.start, range.len()).collect();
        // The malformed fault hits the first item of a non-empty page of a known model.
        let malformed = model.is_some() && !page.is_empty() && self.app.faults.take_malformed();
        // JSON list items are written as text right away (no tree per record); XML needs the
        // tree to name elements and types.
        let as_text = self.app.spec().wire.format == WireFormat::Json;
        let items: Vec<Out> = page
            .iter()
            .enumerate()
            .map(|(i, r)| match model {
                None => Out::from_value(r),
                Some(m) if i == 0 && malformed => {
                    let mut item = renderer.item(m, r);
                    corrupt(&mut item, m);
                    item
                }
                Some(m) if as_text => renderer.item_text(m, r),
                Some(m) => renderer.item(m, r),
            })
            .collect();
        let meta = ListMeta {
            total: records.len() as u64,
            page: slice.page,
        };
        let next =
            paging::continuation(paging, &slice, records.len(), query, self.request.link_base);
        let mut body = renderer.list_envelope(self.resource, items, meta);
        paging::decorate(paging, &mut body, &next);
        let reply = self.structured(200, &body, model, true);
        Ok(match paging::link_header(paging, &next) {
            Some(link) => reply.with_header("Link", link),
            None => reply,
        })
    }

    fn get(&self) -> Outcome {
        query::check(self.op, self.request.query).map_err(|m| self.invalid(&m))?;
        let addressed = self.resolve(&self.app.store());
        let id = match addressed {
            Some(id) => id.ok_or_else(|| self.not_found())?,
            None if self.resource.is_singleton() => self
                .sole_record(&self.app.store())
                .ok_or_else(|| self.not_found())?,
            None => {
                // Get by query parameter (Cloudspot's `?id=`): the first required one.
                let name = self
                    .op
                    .query
                    .iter()
                    .find(|q| q.required)
                    .map_or("id", |q| q.wire_name.as_str());
                let value = query::get(self.request.query, name).ok_or_else(|| {
                    self.invalid(&format!("Missing required parameter `{name}`."))
                })?;
                value.parse::<i64>().map_err(|_| {
                    self.invalid(&format!("Invalid value for parameter `{name}`: `{value}`."))
                })?
            }
        };
        let store = self.app.store();
        match store.get(&self.resource.name, id) {
            Some(record) => Ok(self.render_item(&store, record, 200, true)),
            None => {
                let empty = self.renderer(&store).empty_item_list();
                match empty {
                    Some(body) if self.app.faults.empty_list_for_unknown_id_on() => {
                        Ok(self.structured(200, &body, None, false))
                    }
                    _ => Err(self.not_found()),
                }
            }
        }
    }

    fn decode(&self) -> Result<(Map<String, Value>, &Model), Reply> {
        let model = self
            .request_model()
            .ok_or_else(|| self.invalid("This operation takes no request body."))?;
        let value = codec::request_value(self.op, self.request.content_type, self.request.body)
            .map_err(|m| self.invalid(&m))?
            .ok_or_else(|| self.invalid("This operation takes no request fields."))?;
        // An XML document always has a root element: it is the envelope, whatever its style.
        let value = match (self.op.format, value) {
            (WireFormat::Xml, Value::Object(mut map))
                if map.len() == 1 && self.app.spec().envelope.request == RequestEnvelope::Bare =>
            {
                map.values_mut().next().map(Value::take).unwrap_or_default()
            }
            (_, value) => value,
        };
        let enveloped = self.op.body == BodyKind::Structured;
        let fields = decode::body(&self.app.schema, self.root(), model, value, enveloped)
            .map_err(|m| self.invalid(&m))?;
        Ok((fields, model))
    }

    /// The vendor's "invalid" error for the first required, writable field without a value.
    fn check_required(&self, model: &Model, fields: &Map<String, Value>) -> Result<(), Reply> {
        match missing_required(model, fields) {
            Some(missing) => Err(self.invalid(&format!("Missing required field `{missing}`."))),
            None => Ok(()),
        }
    }

    fn create(&self) -> Outcome {
        let (fields, model) = self.decode()?;
        let mut store = self.app.store();
        let name = &self.resource.name;
        // The vendor's own refusals come before the sandbox's generic required-field check.
        let found = self.checks(&store, &Map::new(), &fields)?;
        self.check_required(model, &fields)?;
        let (id, mut record) = match self.made(&store, name, model, &fields) {
            Ok(made) => made,
            Err(Unmade::Missing(field)) => {
                return Err(self.invalid(&format!("Missing required field `{field}`.")));
            }
            Err(Unmade::Taken(key)) => {
                return Err(self
                    .env(&fields, &fields, found)
                    .refuse(self.app.spec(), &key.duplicate));
            }
        };
        let found = self.apply(&mut record, &fields, found);
        let record = Value::Object(record);
        store.insert(name, id, record.clone());
        self.write_found(&mut store, found);
        Ok(self.outcome(&store, Some(&record), 201))
    }

    /// A record of `resource` made from `fields` as its create makes one: the next row id (and
    /// `id` field), its key (generated, or the client's, which must be sent and free) and the
    /// server's values of its read-only fields. Not stored.
    fn made(
        &self,
        store: &Store,
        resource: &str,
        model: &Model,
        fields: &Map<String, Value>,
    ) -> Result<(i64, Map<String, Value>), Unmade<'a>> {
        let id = store.next_id(resource);
        let mut record: Map<String, Value> = fields
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if model.fields.iter().any(|f| f.wire_name == "id") {
            record.insert("id".to_owned(), Value::from(id));
        }
        if let Some(key) = self.app.spec().sandbox.key(resource) {
            match keys::generated(key.origin, resource, id) {
                Some(made) => {
                    record.insert(key.field.clone(), Value::String(made));
                }
                None => {
                    let wanted = record
                        .get(&key.field)
                        .and_then(store::key_text)
                        .ok_or_else(|| Unmade::Missing(key.field.clone()))?;
                    if store.by_key(resource, &wanted).is_some() {
                        return Err(Unmade::Taken(key));
                    }
                }
            }
        }
        realism::on_create(
            &self.app.schema,
            resource,
            model,
            &mut record,
            store,
            &now(),
        );
        Ok((id, record))
    }

    /// The record model of another resource of the spec.
    fn model_of(&self, resource: &str) -> Option<&'a Model> {
        let app: &'a App = self.app;
        app.spec()
            .resources
            .iter()
            .position(|r| r.name == resource)
            .and_then(|r| app.schema.resource_model(r))
    }

    fn update(&self) -> Outcome {
        let store = self.app.store();
        let id = match self.resolve(&store) {
            Some(id) => id,
            None => self.sole_record(&store),
        };
        drop(store);
        let id = id.ok_or_else(|| self.not_found())?;
        let (mut fields, model) = self.decode()?;
        let mut store = self.app.store();
        let name = &self.resource.name;
        let Some(Value::Object(mut record)) = store.get(name, id).cloned() else {
            return Err(self.not_found());
        };
        let found = self.checks(&store, &record, &fields)?;
        if let (Some(field), Some(key)) =
            (self.sandbox().and_then(|s| s.renames.as_ref()), self.key())
            && let Some(new) = fields.remove(field).filter(|v| !v.is_null())
        {
            let taken = store::key_text(&new).and_then(|k| store.by_key(name, &k));
            if taken.is_some_and(|other| other != id) {
                // The answer names the key that is taken, as it does for a create.
                let mut asked = record.clone();
                asked.insert(key.field.clone(), new);
                return Err(self
                    .env(&asked, &fields, found)
                    .refuse(self.app.spec(), &key.duplicate));
            }
            // The body may repeat the current key (a record sent back as `get` returned it);
            // the rename wins over it.
            fields.remove(&key.field);
            record.insert(key.field.clone(), new);
        }
        for (key, value) in &fields {
            if value.is_null() {
                record.remove(key);
            } else {
                record.insert(key.clone(), value.clone());
            }
        }
        // Worked out beside the store: a read-only copy may read another record.
        realism::on_update(&self.app.schema, model, &mut record, &store, &now());
        let found = self.apply(&mut record, &fields, found);
        let record = Value::Object(record);
        store
            .update(name, id, |stored| *stored = record.clone())
            .ok_or_else(|| self.not_found())?;
        self.write_found(&mut store, found);
        Ok(self.outcome(&store, Some(&record), 200))
    }

    fn delete(&self) -> Outcome {
        let mut store = self.app.store();
        let id = self
            .resolve(&store)
            .flatten()
            .ok_or_else(|| self.not_found())?;
        let name = &self.resource.name;
        let record = store
            .get(name, id)
            .and_then(Value::as_object)
            .cloned()
            .ok_or_else(|| self.not_found())?;
        let found = self.checks(&store, &record, &Map::new())?;
        // A delete writes found records only (a line's invoice loses the line's amount).
        let found = self.apply(&mut record.clone(), &Map::new(), found);
        let record = store.remove(name, id).ok_or_else(|| self.not_found())?;
        self.write_found(&mut store, found);
        Ok(self.outcome(&store, Some(&record), 200))
    }

    fn action(&self) -> Outcome {
        let mut store = self.app.store();
        let name = &self.resource.name;
        let id = match self.resolve(&store) {
            Some(id) => {
                let id = id.ok_or_else(|| self.not_found())?;
                store.get(name, id).ok_or_else(|| self.not_found())?;
                Some(id)
            }
            None => self.sole_record(&store),
        };
        // Only a request model the action names itself: the body carries the action's options.
        let (fields, model) = match self.op.request {
            Some(_) => {
                let (fields, model) = self.decode()?;
                (fields, Some(model))
            }
            None => (Map::new(), None),
        };
        let mut record = id
            .and_then(|id| store.get(name, id))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        // The vendor's own refusals come before the sandbox's generic required-field check.
        let found = self.checks(&store, &record, &fields)?;
        if let Some(model) = model {
            self.check_required(model, &fields)?;
        }
        let changes = self.sandbox().is_some_and(|s| !s.set.is_empty());
        let found = self.apply(&mut record, &fields, found);
        if changes
            && id.is_some()
            && let Some(model) = self.model_of(name)
        {
            realism::on_update(&self.app.schema, model, &mut record, &store, &now());
        }
        let record = Value::Object(record);
        if let Some(id) = id.filter(|_| changes) {
            store.update(name, id, |stored| *stored = record.clone());
        }
        self.write_found(&mut store, found);
        if self.sandbox().is_some_and(|s| s.clears) {
            let ids: Vec<i64> = store.records(name).map(|(id, _)| id).collect();
            for id in ids {
                store.remove(name, id);
            }
        }
        if self.empties_write_body() {
            return Ok(Reply::empty(200));
        }
        Ok(self.outcome(&store, id.map(|_| &record), 200))
    }

    // -- Keys, refusals and effects (`sandbox:` parts of the resource and the operation) ------

    fn sandbox(&self) -> Option<&'a OperationSandbox> {
        self.app
            .spec()
            .sandbox
            .operation(&self.resource.name, &self.op.name)
    }

    fn key(&self) -> Option<&'a RecordKey> {
        self.app.spec().sandbox.key(&self.resource.name)
    }

    /// The row id of the addressed record, from the `id` path parameter (or the only one),
    /// through the key index for keyed resources: `None` without a path parameter, `Some(None)`
    /// when the parameter addresses no record id.
    /// The record an operation without path parameters addresses: the resource's first, for a
    /// get or update of a singleton (Billomat's `settings`) and for an action answering the
    /// resource's record (the account's own client, `clients/myself`).
    fn sole_record(&self, store: &Store) -> Option<i64> {
        let answers_record = match self.op.kind {
            OperationKind::Get | OperationKind::Update => true,
            OperationKind::Action => {
                matches!(self.op.returns, Returns::Item | Returns::ItemOrEmpty)
                    && self.op.response.as_deref() == self.resource.record_model()
            }
            _ => false,
        };
        if !(answers_record && self.op.addresses_nothing()) {
            return None;
        }
        store.records(&self.resource.name).next().map(|(id, _)| id)
    }

    fn resolve(&self, store: &Store) -> Option<Option<i64>> {
        let param = self
            .params
            .iter()
            .find(|(k, _)| k == "id")
            .or_else(|| self.params.first())?;
        Some(match self.key() {
            Some(_) => store.by_key(&self.resource.name, &param.1),
            None => param.1.parse::<i64>().ok(),
        })
    }

    fn env<'e>(
        &'e self,
        record: &'e Map<String, Value>,
        body: &'e Map<String, Value>,
        found: Found,
    ) -> Env<'e> {
        Env {
            record,
            body,
            found,
            base: self.request.base,
            params: self.params,
            now: chrono::Utc::now().fixed_offset(),
        }
    }

    /// Runs the operation's checks in order: the first that fails answers; the records found by
    /// `find` checks are handed on to the effects.
    fn checks(
        &self,
        store: &Store,
        record: &Map<String, Value>,
        body: &Map<String, Value>,
    ) -> Result<Found, Reply> {
        let Some(sandbox) = self.sandbox() else {
            return Ok(BTreeMap::new());
        };
        let mut env = self.env(record, body, BTreeMap::new());
        for check in &sandbox.checks {
            match check {
                Check::When { cond, refusal } => {
                    if env.holds(cond) {
                        return Err(env.refuse(self.app.spec(), refusal));
                    }
                }
                Check::Find {
                    name,
                    resource,
                    by,
                    or_create,
                    refusal,
                } => {
                    let wanted = store::key_text(&env.term(by));
                    let row = wanted.and_then(|k| match self.app.spec().sandbox.key(resource) {
                        Some(_) => store.by_key(resource, &k),
                        None => k
                            .parse::<i64>()
                            .ok()
                            .filter(|id| store.get(resource, *id).is_some()),
                    });
                    let found = row
                        .and_then(|id| Some((id, store.get(resource, id)?.as_object()?.clone())))
                        .map(|(id, record)| FoundRecord {
                            id,
                            record,
                            created: false,
                        })
                        .or_else(|| {
                            let object = env.term(&Term::Expr(Expr::Operand(or_create.clone()?)));
                            let model = self.model_of(resource)?;
                            let fields = object.as_object()?;
                            if missing_required(model, fields).is_some() {
                                return None;
                            }
                            let (id, record) = self.made(store, resource, model, fields).ok()?;
                            Some(FoundRecord {
                                id,
                                record,
                                created: true,
                            })
                        });
                    match found {
                        Some(found) => {
                            env.found.insert(name.clone(), found);
                        }
                        None => return Err(env.refuse(self.app.spec(), refusal)),
                    }
                }
                Check::Referenced { by, refusal } => {
                    let field = self.key().map_or("id", |k| k.field.as_str());
                    if let Some(key) = record.get(field).and_then(store::key_text)
                        && by.iter().any(|(r, f)| refers_to(store, r, f, &key))
                    {
                        return Err(env.refuse(self.app.spec(), refusal));
                    }
                }
            }
        }
        Ok(env.found)
    }

    /// Applies the operation's `set`: every value is worked out from the state before any is
    /// written. Returns the found records with their changes, for [`Ctx::write_found`].
    fn apply(
        &self,
        record: &mut Map<String, Value>,
        body: &Map<String, Value>,
        found: Found,
    ) -> Found {
        let Some(sandbox) = self.sandbox().filter(|s| !s.set.is_empty()) else {
            return found;
        };
        let env = self.env(record, body, found);
        let values: Vec<(Option<&String>, &String, Value)> = sandbox
            .set
            .iter()
            .filter(|a| a.when.as_ref().is_none_or(|c| env.holds(c)))
            .map(|a| (a.target.as_ref(), &a.field, env.term(&a.value)))
            .collect();
        let mut found = env.found;
        for (target, field, value) in values {
            let (resource, map) = match target {
                None => (self.resource.name.as_str(), &mut *record),
                Some(name) => {
                    let Some(FoundRecord { record: map, .. }) = found.get_mut(name) else {
                        continue;
                    };
                    let resource = sandbox.checks.iter().find_map(|c| match c {
                        Check::Find {
                            name: n, resource, ..
                        } if n == name => Some(resource.as_str()),
                        _ => None,
                    });
                    (resource.unwrap_or_default(), map)
                }
            };
            match self.typed(resource, field, value) {
                Value::Null => {
                    map.remove(field);
                }
                value => {
                    map.insert(field.clone(), value);
                }
            }
        }
        found
    }

    /// A value as the field's type stores it: numbers rounded as `computed` rounds them.
    fn typed(&self, resource: &str, field: &str, value: Value) -> Value {
        let spec = self.app.spec();
        let ty = spec
            .resources
            .iter()
            .position(|r| r.name == resource)
            .and_then(|r| self.app.schema.resource_model(r))
            .and_then(|m| m.fields.iter().find(|f| f.wire_name == field))
            .map(|f| &f.ty);
        match (ty, value.as_f64()) {
            (Some(ty), Some(n)) if ty.is_numeric() => realism::typed(ty, n).unwrap_or(value),
            _ => value,
        }
    }

    /// Stores the records `or_create` made and the changes effects made to found records.
    fn write_found(&self, store: &mut Store, found: Found) {
        let Some(sandbox) = self.sandbox() else {
            return;
        };
        for check in &sandbox.checks {
            let Check::Find { name, resource, .. } = check else {
                continue;
            };
            let Some(f) = found.get(name) else {
                continue;
            };
            if f.created {
                // Numbered when stored: the operation's own record may have taken the number.
                let id = store.next_id(resource);
                let mut record = f.record.clone();
                if record.contains_key("id") {
                    record.insert("id".to_owned(), Value::from(id));
                }
                store.insert(resource, id, Value::Object(record));
            } else if sandbox.set.iter().any(|a| a.target.as_ref() == Some(name)) {
                // The found record changed: its server computations follow (an invoice's gross
                // total after a new line), as for an update of it.
                let mut record = f.record.clone();
                if let Some(model) = self.model_of(resource) {
                    realism::on_update(&self.app.schema, model, &mut record, store, &now());
                }
                store.update(resource, f.id, |stored| *stored = Value::Object(record));
            }
        }
    }

    /// The success answer: the operation's declared status (or `default`), its body unless the
    /// operation answers none, and a `Location` header when declared.
    fn outcome(&self, store: &Store, record: Option<&Value>, default: u16) -> Reply {
        let sandbox = self.sandbox();
        let status = sandbox.and_then(|s| s.status).unwrap_or(default);
        let mut reply = match record {
            _ if sandbox.is_some_and(|s| s.empty_body) => Reply::empty(status),
            Some(record) => self.write_reply(store, record, status),
            None => Reply::empty(status),
        };
        if sandbox.is_some_and(|s| s.location)
            && let Some(url) = record.and_then(|r| self.location(r))
        {
            reply = reply.with_header("Location", url);
        }
        reply
    }

    /// The URL of the record's `get`: this request's base with the get's path, its parameter
    /// filled with the record's key.
    fn location(&self, record: &Value) -> Option<String> {
        let get = self
            .resource
            .operations
            .iter()
            .find(|o| o.kind == OperationKind::Get)?;
        let param = get.path_params.first()?;
        let field = self.key().map_or("id", |k| k.field.as_str());
        let key = store::key_text(record.get(field)?)?;
        let base = self.request.link_base.strip_suffix(self.request.path)?;
        let path = get.path.replace(&format!("{{{}}}", param.wire_name), &key);
        Some(format!("{base}{path}"))
    }
}

/// Whether a record of `resource` holds `key` in `field`: through the field's index when it
/// has one and the key is an integer, else by a scan.
fn refers_to(store: &Store, resource: &str, field: &str, key: &str) -> bool {
    let holds = |record: &Value| {
        record
            .get(field)
            .and_then(store::key_text)
            .is_some_and(|k| k == key)
    };
    if let Ok(int) = key.parse::<i64>()
        && let Some(ids) = store.candidates(resource, field, &[int])
    {
        return ids
            .into_iter()
            .any(|id| store.get(resource, id).is_some_and(holds));
    }
    store.records(resource).any(|(_, record)| holds(record))
}

/// Why a record could not be made.
enum Unmade<'a> {
    /// The client's key was not sent.
    Missing(String),
    /// Another record has the key.
    Taken(&'a RecordKey),
}

/// The first required, writable field of `model` without a value in `fields`.
fn missing_required<'m>(model: &'m Model, fields: &Map<String, Value>) -> Option<&'m str> {
    model
        .fields
        .iter()
        .find(|f| f.required && !f.read_only && fields.get(&f.wire_name).is_none_or(Value::is_null))
        .map(|f| f.wire_name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SandboxOptions;
    use serde_json::json;

    fn app(vendor: &str, records: usize) -> App {
        App::new(
            crate::builtin::load(vendor).expect("spec"),
            &SandboxOptions {
                seed_records: records,
                ..Default::default()
            },
        )
    }

    fn call(app: &App, method: &str, path: &str, query: &[(&str, &str)], body: &str) -> Reply {
        let query: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        dispatch(
            app,
            &Request {
                method,
                path,
                query: &query,
                base: &[],
                body: body.as_bytes(),
                link_base: path,
                content_type: Some("application/json"),
                headers: None,
            },
        )
    }

    #[test]
    fn billomat_list_pages_and_filters() {
        let app = app("billomat", 5);
        let reply = call(
            &app,
            "GET",
            "/clients",
            &[("per_page", "2"), ("page", "3")],
            "",
        );
        assert_eq!(reply.status, 200);
        let body = reply.json_value();
        assert_eq!(
            body["clients"]["client"]["id"], "5",
            "one item on the last page is an object"
        );
        assert_eq!(body["clients"]["@total"], "5");
        assert_eq!(body["clients"]["@page"], "3");
        let reply = call(&app, "GET", "/contacts", &[], "");
        assert_eq!(reply.status, 400);
        assert!(
            reply.json_value()["errors"]["error"]
                .as_str()
                .expect("message")
                .contains("client_id")
        );
        let client = app.store().get("contacts", 1).expect("contact")["client_id"]
            .as_i64()
            .expect("id")
            .to_string();
        let body = call(&app, "GET", "/contacts", &[("client_id", &client)], "").json_value();
        assert!(body["contacts"].get("contact").is_some());
    }

    #[test]
    fn billomat_crud() {
        let app = app("billomat", 2);
        let reply = call(
            &app,
            "POST",
            "/clients",
            &[],
            r#"{"client":{"name":"Neu GmbH","archived":0,"number_pre":"KD"}}"#,
        );
        assert_eq!(reply.status, 201);
        let created = reply.json_value();
        assert_eq!(created["client"]["id"], "3");
        assert_eq!(created["client"]["client_number"], "KD3");
        assert_eq!(created["client"]["client-property-values"], "");
        let reply = call(
            &app,
            "PUT",
            "/clients/3",
            &[],
            r#"{"client":{"city":"Köln"}}"#,
        );
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json_value()["client"]["name"], "Neu GmbH");
        assert_eq!(reply.json_value()["client"]["city"], "Köln");
        assert_eq!(
            call(&app, "PUT", "/clients/99", &[], r#"{"client":{}}"#).status,
            404
        );
        assert_eq!(
            call(&app, "PUT", "/clients/3", &[], r#"{"name":"x"}"#).status,
            400
        );
        let reply = call(&app, "DELETE", "/clients/3", &[], "");
        assert_eq!(
            (reply.status, reply.body.clone()),
            (200, crate::reply::Body::Empty)
        );
        assert_eq!(call(&app, "GET", "/clients/3", &[], "").status, 404);
        assert_eq!(call(&app, "DELETE", "/clients/3", &[], "").status, 404);
        assert_eq!(call(&app, "GET", "/clients/abc", &[], "").status, 404);
    }

    #[test]
    fn property_values_show_up_in_their_client() {
        let app = app("billomat", 1);
        let body = r#"{"client-property-value":{"client_id":"1","client_property_id":"18291","value":"ext-1237"}}"#;
        assert_eq!(
            call(&app, "POST", "/client-property-values", &[], body).status,
            201
        );
        let client = call(&app, "GET", "/clients/1", &[], "").json_value();
        let nested = &client["client"]["client-property-values"]["client-property-value"];
        let values: Vec<&Value> = match nested {
            Value::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        assert!(values.iter().any(|v| v["value"] == "ext-1237"), "{nested}");
    }

    #[test]
    fn cloudspot_get_by_query() {
        let app = app("cloudspot", 3);
        let body = call(&app, "GET", "/artikels/", &[("id", "2")], "").json_value();
        assert_eq!(body["status"], "OK");
        assert_eq!(body["data"].as_array().map(Vec::len), Some(1));
        assert_eq!(body["data"][0]["id"], 2);
        let missing = call(&app, "GET", "/artikels/", &[("id", "9")], "");
        assert_eq!(missing.status, 404);
        assert_eq!(
            missing.json_value(),
            json!({"message": "Object not found", "status": "NOT_FOUND"})
        );
        app.faults.empty_list_for_unknown_id(true);
        let empty = call(&app, "GET", "/artikels/", &[("id", "9")], "");
        assert_eq!(
            (empty.status, empty.json_value()),
            (200, json!({"status": "OK", "data": []}))
        );
        assert_eq!(
            call(&app, "GET", "/artikels/", &[("id", "abc")], "").status,
            400
        );
        let list = call(&app, "GET", "/klanten/", &[], "").json_value();
        assert_eq!(list["data"].as_array().map(Vec::len), Some(3));
    }

    fn header<'r>(reply: &'r Reply, name: &str) -> Option<&'r str> {
        reply
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn widgets(records: usize) -> App {
        let spec = erp_spec::parse_str(
            "widgets.yaml",
            include_str!("../tests/fixtures/widgets.yaml"),
        )
        .expect("valid fixture");
        App::new(
            spec,
            &SandboxOptions {
                seed_records: records,
                ..Default::default()
            },
        )
    }

    #[test]
    fn item_or_empty_answers_the_item_unless_the_fault_empties_it() {
        let app = app("billomat", 2);
        assert_eq!(
            crate::testing::op(app.spec(), "clients", "update").returns,
            Returns::ItemOrEmpty
        );
        let reply = call(
            &app,
            "PUT",
            "/clients/1",
            &[],
            r#"{"client":{"city":"Graz"}}"#,
        );
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json_value()["client"]["city"], "Graz");
        assert_eq!(reply.json_value()["client"]["id"], "1");

        app.faults.empty_write_bodies(true);
        let reply = call(
            &app,
            "PUT",
            "/clients/1",
            &[],
            r#"{"client":{"city":"Linz"}}"#,
        );
        assert_eq!(
            (reply.status, reply.body.clone()),
            (200, crate::reply::Body::Empty)
        );
        let fetched = call(&app, "GET", "/clients/1", &[], "").json_value();
        assert_eq!(fetched["client"]["city"], "Linz", "the change is applied");
        let invalid = call(&app, "PUT", "/clients/1", &[], r#"{"city":"Linz"}"#);
        assert_eq!(invalid.status, 400, "failures keep their error body");
        assert!(invalid.json_value()["errors"]["error"].is_string());
        assert_eq!(
            call(&app, "PUT", "/clients/9", &[], r#"{"client":{}}"#).status,
            404
        );
        let created = call(
            &app,
            "POST",
            "/clients",
            &[],
            r#"{"client":{"name":"Neu"}}"#,
        );
        assert_eq!(created.status, 201, "creates keep their answer");
        assert_eq!(created.json_value()["client"]["name"], "Neu");
    }

    #[test]
    fn actions_use_the_operation_root_key() {
        let app = widgets(3);
        let complete = crate::testing::op(app.spec(), "widgets", "complete");
        assert_eq!(complete.root, "complete");
        let reply = call(
            &app,
            "PUT",
            "/widgets/2/complete",
            &[],
            r#"{"complete":{"template_id":"7"}}"#,
        );
        assert_eq!(reply.status, 200);
        let body = reply.json_value();
        assert_eq!(body["complete"]["id"], "2", "{body}");
        assert!(body.get("widget").is_none(), "{body}");

        let wrong = call(
            &app,
            "PUT",
            "/widgets/2/complete",
            &[],
            r#"{"widget":{"template_id":"7"}}"#,
        );
        assert_eq!(wrong.status, 400);
        let message = wrong.json_value()["errors"]["error"]
            .as_str()
            .expect("message")
            .to_owned();
        assert!(message.contains("`complete`"), "{message}");
        let missing = call(
            &app,
            "PUT",
            "/widgets/2/complete",
            &[],
            r#"{"complete":{}}"#,
        );
        assert_eq!(missing.status, 400);
        let unknown = call(
            &app,
            "PUT",
            "/widgets/2/complete",
            &[],
            r#"{"complete":{"name":"x"}}"#,
        );
        assert_eq!(
            unknown.status, 400,
            "the action's model, not the resource's"
        );
        let gone = call(
            &app,
            "PUT",
            "/widgets/99/complete",
            &[],
            r#"{"complete":{"template_id":"7"}}"#,
        );
        assert_eq!(gone.status, 404);

        // The other operations keep the resource's singular.
        let reply = call(
            &app,
            "PUT",
            "/widgets/2",
            &[],
            r#"{"widget":{"name":"Rad"}}"#,
        );
        assert_eq!(reply.json_value()["widget"]["name"], "Rad");
        assert_eq!(
            call(
                &app,
                "PUT",
                "/widgets/2",
                &[],
                r#"{"complete":{"name":"Rad"}}"#
            )
            .status,
            400
        );
        let archived = call(&app, "PUT", "/widgets/2/archive", &[], "");
        assert_eq!(
            (archived.status, archived.body),
            (200, crate::reply::Body::Empty)
        );

        app.faults.empty_write_bodies(true);
        let reply = call(
            &app,
            "PUT",
            "/widgets/2/complete",
            &[],
            r#"{"complete":{"template_id":"7"}}"#,
        );
        assert_eq!((reply.status, reply.body), (200, crate::reply::Body::Empty));
        let wrong = call(&app, "PUT", "/widgets/2/complete", &[], r#"{"widget":{}}"#);
        assert_eq!(
            wrong.status, 400,
            "the fault only empties successful answers"
        );
    }

    #[test]
    fn head_counts_the_matching_records() {
        let app = app("billomat", 12);
        let listed = call(&app, "GET", "/clients", &[("country_code", "DE")], "").json_value();
        let total = listed["clients"]["@total"]
            .as_str()
            .expect("total")
            .to_owned();
        let reply = call(
            &app,
            "HEAD",
            "/clients",
            &[("country_code", "DE"), ("per_page", "1")],
            "",
        );
        assert_eq!(
            (reply.status, &reply.body, header(&reply, "X-Total-Count")),
            (200, &crate::reply::Body::Empty, Some(total.as_str()))
        );
        let all = call(&app, "HEAD", "/clients", &[], "");
        assert_eq!(header(&all, "X-Total-Count"), Some("12"));
        let none = call(&app, "HEAD", "/clients", &[("name", "no-such-name")], "");
        assert_eq!(header(&none, "X-Total-Count"), Some("0"));
        assert_eq!(call(&app, "HEAD", "/contacts", &[], "").status, 400);
        let wrong = call(&app, "HEAD", "/clients/1", &[], "");
        assert_eq!(wrong.status, 405);

        let cloudspot = self::app("cloudspot", 2);
        assert_eq!(call(&cloudspot, "HEAD", "/artikels/", &[], "").status, 405);
    }

    #[test]
    fn malformed_fault_hits_the_first_item_once() {
        let app = app("cloudspot", 2);
        app.faults.malformed_next(1);
        let body = call(&app, "GET", "/artikels/", &[], "").json_value();
        assert_eq!(body["data"][0]["id"], "not-a-number");
        assert_eq!(body["data"][1]["id"], 2);
        let body = call(&app, "GET", "/artikels/", &[], "").json_value();
        assert_eq!(body["data"][0]["id"], 1);
    }

    fn ids_of(body: &Value, plural: &str, singular: &str) -> Vec<i64> {
        let items = match &body[plural][singular] {
            Value::Array(items) => items.clone(),
            Value::Null => Vec::new(),
            one => vec![one.clone()],
        };
        items
            .iter()
            .map(|c| c["id"].as_str().and_then(|id| id.parse().ok()).expect("id"))
            .collect()
    }

    #[test]
    fn a_page_deep_in_a_big_store_reads_only_its_records() {
        let app = app("billomat", 3);
        let big = 100_000;
        {
            let mut store = app.store();
            for id in 4..=big {
                store.insert(
                    "clients",
                    id,
                    json!({"id": id, "name": format!("Firma {id}")}),
                );
            }
        }
        let reads = || app.store().reads();
        let before = reads();
        let query = [("per_page", "1000"), ("page", "10")];
        let body = call(&app, "GET", "/clients", &query, "").json_value();
        let read = reads() - before;
        assert_eq!(
            ids_of(&body, "clients", "client"),
            (9001..=10_000).collect::<Vec<_>>()
        );
        assert_eq!(body["clients"]["@total"], big.to_string());
        // The page itself plus the linked property values of its clients (there are none).
        assert!(read <= 1000, "a page of 1000 read {read} records");

        let before = reads();
        let count = call(&app, "HEAD", "/clients", &[], "");
        assert_eq!(header(&count, "X-Total-Count"), Some("100000"));
        assert_eq!(reads() - before, 0, "counting all records reads none");

        let before = reads();
        let last = call(
            &app,
            "GET",
            "/clients",
            &[("per_page", "7"), ("page", "14286")],
            "",
        );
        assert_eq!(
            ids_of(&last.json_value(), "clients", "client"),
            (99_996..=big).collect::<Vec<_>>()
        );
        assert!(reads() - before <= 5);
    }

    #[test]
    fn filters_by_foreign_key_read_only_the_parents_children() {
        let app = app("billomat", 2);
        {
            let mut store = app.store();
            for id in 10..20_010 {
                let client = if id % 1000 == 0 { 2 } else { 1 };
                store.insert("contacts", id, json!({"id": id, "client_id": client}));
            }
            // A foreign key the index cannot tell apart: checked by value, still found.
            store.insert("contacts", 30_000, json!({"id": 30_000, "client_id": 2.0}));
        }
        let expected: Vec<i64> = app
            .store()
            .records("contacts")
            .filter(|(_, c)| c["client_id"] == 2 || c["client_id"] == 2.0)
            .map(|(id, _)| id)
            .collect();
        let before = app.store().reads();
        let body = call(
            &app,
            "GET",
            "/contacts",
            &[("client_id", "2"), ("per_page", "1000")],
            "",
        )
        .json_value();
        let read = app.store().reads() - before;
        assert_eq!(ids_of(&body, "contacts", "contact"), expected);
        assert!(
            read <= expected.len() as u64 * 2,
            "{read} reads for {} contacts",
            expected.len()
        );
    }

    #[test]
    fn updates_move_records_between_parents() {
        let app = app("billomat", 3);
        let contact = call(&app, "GET", "/contacts/1", &[], "").json_value();
        let old = contact["contact"]["client_id"]
            .as_str()
            .expect("client")
            .to_owned();
        let new = if old == "1" { "2" } else { "1" };
        let body = format!(r#"{{"contact":{{"client_id":"{new}"}}}}"#);
        assert_eq!(call(&app, "PUT", "/contacts/1", &[], &body).status, 200);
        let listed = |client: &str| {
            let body = call(&app, "GET", "/contacts", &[("client_id", client)], "").json_value();
            ids_of(&body, "contacts", "contact")
        };
        assert!(listed(new).contains(&1));
        assert!(!listed(&old).contains(&1));
    }
}
