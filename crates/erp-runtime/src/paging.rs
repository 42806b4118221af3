//! One paging engine for every style a spec can choose, exposed as lazy streams.
//!
//! Each page is requested only when the consumer asks for more, and the caller's query
//! parameters go out with every page (a next link carries them itself). The engine either
//! returns exactly what the vendor holds or fails saying what was inconsistent: a reported
//! total that the pages do not add up to, a next link or cursor that repeats, a "more pages
//! follow" without a cursor. The decisions are a pure function (`judge`) of what a page said,
//! and the fetching goes through `PageSource`, so every rule is unit-tested without HTTP.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::Client;
use crate::decode;
use crate::descriptor::{CursorSource, LinkSource, Operation, Paging};
use crate::envelope::{self, ListBody, Shape};
use crate::send::{AnswerBody, origin};
use crate::shallow::Item;
use crate::{Error, Request};
use prefetch::{Ahead, Plan};

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Page number the vendor reported, if it reports one.
    pub number: Option<u64>,
    pub per_page: Option<u64>,
    /// Total number of items over all pages, if the vendor reports it.
    pub total: Option<u64>,
    /// The link to the next page (next-link paging).
    pub next_link: Option<String>,
    /// The cursor of the next page (cursor paging).
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Number of pages, when the vendor reports a total and a page size.
    pub fn page_count(&self) -> Option<u64> {
        match (self.total, self.per_page) {
            (Some(total), Some(per)) if per > 0 => Some(total.div_ceil(per)),
            _ => None,
        }
    }
}

/// What was inconsistent about a vendor's pages ([`Error::Paging`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PagingProblem {
    /// The pages ended (short, empty or without a next page) with more or fewer records than
    /// the total the vendor reported.
    TotalNotMet { reported: u64, held: u64 },
    /// A page repeated an earlier one before the reported total was reached: the vendor
    /// ignored the paging parameter, and the rest of the list is out of reach.
    RepeatedPage,
    /// The reported total changed between pages: records were created or deleted while
    /// listing, so records may have been skipped or seen twice.
    TotalChanged { from: u64, to: u64 },
    /// A next link that was already followed, or that names the page it came on.
    LinkNotAdvancing(String),
    /// A cursor that was already used.
    CursorNotAdvancing(String),
    /// The vendor said more pages follow but gave no cursor.
    MissingCursor,
    /// The list needs more pages than `max_pages` allows.
    TooManyPages(u64),
}

impl std::fmt::Display for PagingProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PagingProblem::TotalNotMet { reported, held } => write!(
                f,
                "the vendor reported {reported} items in total, but its pages held {held}"
            ),
            PagingProblem::RepeatedPage => {
                f.write_str("a page repeated an earlier one before the reported total was reached")
            }
            PagingProblem::TotalChanged { from, to } => write!(
                f,
                "the reported total changed from {from} to {to} while listing"
            ),
            PagingProblem::LinkNotAdvancing(link) if link.is_empty() => {
                f.write_str("the next link names the page it came on: paging does not advance")
            }
            PagingProblem::LinkNotAdvancing(link) => write!(
                f,
                "the next link `{link}` was already followed: paging does not advance"
            ),
            PagingProblem::CursorNotAdvancing(cursor) => write!(
                f,
                "the cursor `{cursor}` was already used: paging does not advance"
            ),
            PagingProblem::MissingCursor => {
                f.write_str("the vendor says more pages follow but gave no cursor")
            }
            PagingProblem::TooManyPages(cap) => write!(
                f,
                "the list goes on past {cap} pages (the configured `max_pages`)"
            ),
        }
    }
}

/// A lazy stream of items.
pub type Items<T> = BoxStream<'static, Result<T, Error>>;
/// A lazy stream of pages.
pub type Pages<T> = BoxStream<'static, Result<Page<T>, Error>>;

/// One list answer as the paging engine needs it.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub status: u16,
    pub content_type: Option<String>,
    /// The body as it arrived; it is decoded by the engine, item by item.
    pub body: Bytes,
    /// The `rel="next"` target of a `Link` header, if any.
    pub link_header: Option<String>,
    /// The URL that answered (relative next links resolve against it).
    pub url: String,
    /// The vendor's id of the request (`errors.request_id`), for errors about this page.
    pub request_id: Option<String>,
}

/// Where pages come from: the client in production, canned answers in tests.
pub(crate) trait PageSource: Send + Sync + 'static {
    fn fetch<'a>(
        &'a self,
        op: &'static Operation,
        request: &'a Request,
        link: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Fetched, Error>>;
}

impl PageSource for Client {
    fn fetch<'a>(
        &'a self,
        op: &'static Operation,
        request: &'a Request,
        link: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Fetched, Error>> {
        Box::pin(async move {
            let answer = self.send(op, request, link).await?;
            let link_header = answer
                .headers
                .get_all("link")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(next_in_link_header);
            Ok(Fetched {
                status: answer.status,
                content_type: answer.header("content-type").map(str::to_owned),
                body: match answer.body {
                    AnswerBody::Full(bytes) => bytes,
                    AnswerBody::Unread(_) => Bytes::new(),
                },
                link_header,
                url: answer.url,
                request_id: answer.request_id,
            })
        })
    }
}

/// The `rel="next"` target of one `Link` header value (RFC 8288), e.g.
/// `<https://api.example.com/items?page=2>; rel="next", <...>; rel="last"`.
fn next_in_link_header(value: &str) -> Option<String> {
    value.split(',').find_map(|link| {
        let (target, params) = link.trim().split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let is_next = params.split(';').any(|p| {
            let Some((key, rel)) = p.split_once('=') else {
                return false;
            };
            key.trim().eq_ignore_ascii_case("rel")
                && rel
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
        });
        is_next.then(|| target.to_owned())
    })
}

/// Where the next page comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Next {
    Start,
    PageNumber(u64),
    Offset(u64),
    Link(String),
    Cursor(String),
    Done,
    /// The last page was handed out; the stream ends with this error.
    Fail(PagingProblem),
}

/// What the engine has already seen, to detect a vendor that repeats itself.
#[derive(Debug, Default)]
struct History {
    /// Pages fetched, the one being judged included.
    fetched: u64,
    fingerprints: HashSet<u64>,
    tokens: HashSet<String>,
    /// Items handed out so far, this page included once judged.
    items: u64,
    /// The total the first page that reported one reported.
    total: Option<u64>,
}

/// What one fetched page said about itself.
#[derive(Debug, Default)]
struct Facts {
    items: usize,
    per_page: Option<u64>,
    total: Option<u64>,
    next_link: Option<String>,
    cursor: Option<String>,
    has_more: Option<bool>,
    fingerprint: u64,
    /// The URL that answered this page (a next link to it does not advance).
    url: String,
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Hand the page to the consumer, then go on from `Next`.
    Yield(Next),
    /// Drop this page (empty or a repeat) and end the stream.
    Stop,
    /// Drop this page and end the stream with an error.
    Fail(PagingProblem),
}

/// A verdict for the end of the list: done, unless the vendor's total says otherwise.
fn finish(facts: &Facts, history: &History) -> Next {
    match facts.total {
        Some(reported) if reported != history.items => Next::Fail(PagingProblem::TotalNotMet {
            reported,
            held: history.items,
        }),
        _ => Next::Done,
    }
}

/// The paging decision, free of I/O so that every stop rule is unit-tested.
fn judge(
    paging: Paging,
    current: &Next,
    requested_size: Option<u64>,
    facts: &Facts,
    history: &mut History,
) -> Verdict {
    let first = *current == Next::Start;
    let fresh = history.fingerprints.insert(facts.fingerprint);
    match (history.total, facts.total) {
        (Some(from), Some(to)) if from != to => {
            return Verdict::Fail(PagingProblem::TotalChanged { from, to });
        }
        (None, Some(total)) => history.total = Some(total),
        _ => {}
    }
    if !first && facts.items == 0 {
        return match finish(facts, history) {
            Next::Fail(message) => Verdict::Fail(message),
            _ => Verdict::Stop,
        };
    }
    if !first && !fresh {
        // The vendor ignored the paging parameter or repeats its last page. Without a total
        // that is the end; with one still unmet it would be a silent truncation.
        return match facts.total {
            Some(total) if history.items < total => Verdict::Fail(PagingProblem::RepeatedPage),
            _ => Verdict::Stop,
        };
    }
    history.items += facts.items as u64;
    if facts.items == 0 {
        // An empty first page is still a page: its total (0) is information.
        return Verdict::Yield(finish(facts, history));
    }
    let complete = facts.total.is_some_and(|total| history.items >= total);
    let per_page = facts.per_page.or(requested_size).unwrap_or(u64::MAX).max(1);
    let short = (facts.items as u64) < per_page;
    let next = match paging {
        Paging::None => Next::Done,
        Paging::PageNumber { first_page, .. } => {
            let current = match current {
                Next::PageNumber(n) => *n,
                _ => first_page,
            };
            if short || complete {
                finish(facts, history)
            } else {
                Next::PageNumber(current.saturating_add(1))
            }
        }
        Paging::OffsetLimit { .. } => {
            let offset = match current {
                Next::Offset(n) => *n,
                _ => 0,
            };
            if short || complete {
                finish(facts, history)
            } else {
                // Advance by what arrived, not by what was asked: a vendor that sends fewer
                // than the limit must not make the client skip records.
                Next::Offset(offset.saturating_add(facts.items as u64))
            }
        }
        Paging::NextLink { .. } => match &facts.next_link {
            // The page itself is new, so it is handed out; the link is not named in the
            // error, because the answering URL may carry query credentials.
            Some(link) if *link == facts.url => {
                Next::Fail(PagingProblem::LinkNotAdvancing(String::new()))
            }
            Some(link) if !history.tokens.insert(link.clone()) => {
                return Verdict::Fail(PagingProblem::LinkNotAdvancing(crate::error::shown_url(
                    link,
                )));
            }
            Some(link) => Next::Link(link.clone()),
            None => finish(facts, history),
        },
        Paging::Cursor { cursor, .. } => {
            let by_item = matches!(cursor, CursorSource::LastItem(_));
            match (facts.has_more, &facts.cursor) {
                (Some(false), _) => finish(facts, history),
                // Without a "more" flag, a page shorter than asked for is the last one.
                (None, _) if by_item && short => finish(facts, history),
                (_, Some(c)) if !history.tokens.insert(c.clone()) => {
                    return Verdict::Fail(PagingProblem::CursorNotAdvancing(c.clone()));
                }
                (_, Some(c)) => Next::Cursor(c.clone()),
                (Some(true), None) => return Verdict::Fail(PagingProblem::MissingCursor),
                (None, None) => finish(facts, history),
            }
        }
    };
    Verdict::Yield(next)
}

/// The request for the page `next` names, with the size sent (if the style has one).
fn page_request(
    paging: Paging,
    next: &Next,
    base: &Request,
    configured_size: Option<u64>,
) -> (Request, Option<String>, Option<u64>) {
    let mut request = base.clone();
    if let Next::Link(link) = next {
        return (request, Some(link.clone()), None);
    }
    let size = paging.size().map(|s| {
        if s.is_fixed() {
            // The vendor's own size: nothing to send, but a shorter page is the last.
            return s.default;
        }
        let size = configured_size.unwrap_or(s.default).clamp(1, s.max.max(1));
        request.set_query(s.param, size.to_string());
        size
    });
    match (paging, next) {
        (
            Paging::PageNumber {
                page_param,
                first_page,
                ..
            },
            _,
        ) => {
            let number = match next {
                Next::PageNumber(n) => *n,
                _ => first_page,
            };
            request.set_query(page_param, number.to_string());
        }
        (Paging::OffsetLimit { offset_param, .. }, _) => {
            let offset = match next {
                Next::Offset(n) => *n,
                _ => 0,
            };
            request.set_query(offset_param, offset.to_string());
        }
        (Paging::Cursor { param, .. }, Next::Cursor(c)) => request.set_query(param, c.clone()),
        _ => {}
    }
    (request, None, size)
}

/// A scalar as a cursor: text as it is, numbers in their JSON form; empty means none.
fn cursor_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A lenient boolean (`true`, `"true"`, `1`, `"1"`).
fn flag(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_u64().map(|n| n != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// What a page says about what follows it.
fn facts(paging: Paging, fetched: &Fetched, body: &Value, list: &ListBody<'_>) -> Facts {
    let next_link = match paging {
        Paging::NextLink {
            link: LinkSource::Body(path),
            ..
        } => envelope::lookup(body, path)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        Paging::NextLink {
            link: LinkSource::LinkHeader,
            ..
        } => fetched.link_header.clone(),
        _ => None,
    };
    // A relative link means "relative to this page", not to the base URL.
    let next_link = next_link.map(|link| {
        reqwest::Url::parse(&fetched.url)
            .and_then(|page| page.join(&link))
            .map_or(link, |absolute| absolute.to_string())
    });
    let (cursor, has_more) = match paging {
        Paging::Cursor {
            cursor, has_more, ..
        } => (
            match cursor {
                CursorSource::Body(path) => cursor_text(envelope::lookup(body, path)),
                // Only the last item is parsed into a tree, for its one field.
                CursorSource::LastItem(field) => list
                    .items
                    .last()
                    .and_then(|item| cursor_text(envelope::lookup(&item.to_value(), field))),
            },
            has_more.and_then(|path| flag(envelope::lookup(body, path))),
        ),
        _ => (None, None),
    };
    Facts {
        items: list.items.len(),
        per_page: list.meta.per_page,
        total: list.meta.total,
        next_link,
        cursor,
        has_more,
        fingerprint: fingerprint(&list.items),
        url: fetched.url.clone(),
    }
}

struct State<S, T> {
    source: Arc<S>,
    op: &'static Operation,
    request: Request,
    limits: Limits,
    next: Next,
    history: History,
    /// Pages requested ahead of the consumer, in list order.
    ahead: VecDeque<Ahead<T>>,
    /// The pages still to request ahead, once the first page reported the total.
    plan: Option<Plan>,
    /// A page did not lead where the plan said (a vendor sending other page sizes than it
    /// reported): the rest of the list goes one page after another.
    sequential: bool,
}

/// The client's paging settings.
#[derive(Debug, Clone, Copy)]
struct Limits {
    page_size: Option<u64>,
    max_pages: u64,
    lenient_totals: bool,
    /// Pages in flight at once (1: none ahead of the consumer).
    concurrency: usize,
}

pub(crate) fn pages<T: DeserializeOwned + Send + 'static>(
    client: Client,
    op: &'static Operation,
    request: Request,
) -> Pages<T> {
    let config = client.config();
    let limits = Limits {
        page_size: config.page_size,
        max_pages: config.max_pages,
        lenient_totals: config.lenient_totals,
        concurrency: config
            .page_concurrency
            .unwrap_or(usize::from(op.paging.concurrency()))
            .max(1),
    };
    stream_pages(client, op, request, limits)
}

fn stream_pages<T: DeserializeOwned + Send + 'static, S: PageSource>(
    source: S,
    op: &'static Operation,
    request: Request,
    limits: Limits,
) -> Pages<T> {
    let state = State {
        source: Arc::new(source),
        op,
        request,
        limits,
        next: Next::Start,
        history: History::default(),
        ahead: VecDeque::new(),
        plan: None,
        sequential: limits.concurrency <= 1,
    };
    stream::try_unfold(state, step::<T, S>).boxed()
}

pub(crate) fn items<T: DeserializeOwned + Send + 'static>(
    client: Client,
    op: &'static Operation,
    request: Request,
) -> Items<T> {
    pages::<T>(client, op, request)
        .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

/// One fetched page, read: what it says about the pages after it, and its items typed (or
/// why they could not be). The verdict on the page is made before its items are handed out
/// or their error is reported, as if the page had been typed after judging.
struct ReadPage<T> {
    facts: Facts,
    /// The total the page reported, also with `lenient_totals` (it plans the pages ahead).
    reported_total: Option<u64>,
    page: Result<Page<T>, Error>,
    request_id: Option<String>,
}

/// Fetches the page `request` (or `link`) names and reads it.
async fn fetch_page<T: DeserializeOwned, S: PageSource>(
    source: &S,
    op: &'static Operation,
    request: &Request,
    link: Option<&str>,
    lenient_totals: bool,
) -> Result<ReadPage<T>, Error> {
    let fetched = source.fetch(op, request, link).await?;
    // An error about this page names the vendor's id of its request.
    let about_page = |e: Error| e.with_request_id(fetched.request_id.as_deref());
    let (list, mut facts) = read_page(op, &fetched).map_err(about_page)?;
    let reported_total = facts.total;
    if lenient_totals {
        // The total is still reported on each page, but decides nothing.
        facts.total = None;
    }
    let page = typed_page(op, list, &facts).map_err(about_page);
    Ok(ReadPage {
        facts,
        reported_total,
        page,
        request_id: fetched.request_id,
    })
}

async fn step<T: DeserializeOwned + Send + 'static, S: PageSource>(
    mut s: State<S, T>,
) -> Result<Option<(Page<T>, State<S, T>)>, Error> {
    let op = s.op;
    let paging = op.paging;
    let fail = |problem: PagingProblem, history: &History| Error::Paging {
        origin: origin(op),
        problem,
        pages: history.fetched,
        records: history.items,
        total: history.total,
    };
    match &s.next {
        Next::Done => return Ok(None),
        Next::Fail(problem) => return Err(fail(problem.clone(), &s.history)),
        _ => {}
    }
    if s.history.fetched >= s.limits.max_pages {
        // A chain this long is a loop the other checks cannot see (every link new).
        return Err(fail(
            PagingProblem::TooManyPages(s.limits.max_pages),
            &s.history,
        ));
    }
    let (read, requested_size) = s.read_next().await?;
    s.history.fetched += 1;
    let about_page = |e: Error| e.with_request_id(read.request_id.as_deref());
    // A page whose items do not decode says nothing reliable about the pages after it.
    let page = read.page?;
    let next = match judge(paging, &s.next, requested_size, &read.facts, &mut s.history) {
        Verdict::Stop => return Ok(None),
        Verdict::Fail(problem) => return Err(about_page(fail(problem, &s.history))),
        Verdict::Yield(next) => next,
    };
    match next {
        Next::PageNumber(_) | Next::Offset(_) => {
            s.plan_after(&next, &read.facts, read.reported_total, requested_size)
        }
        // The list ends with this page: nothing ahead is needed.
        _ => s.go_sequential(),
    }
    s.next = next;
    Ok(Some((page, s)))
}

/// The envelope of one fetched page and what it says about the pages that follow; the items
/// stay raw (borrowed from the body) until [`typed_page`].
fn read_page<'a>(
    op: &'static Operation,
    fetched: &'a Fetched,
) -> Result<(ListBody<'a>, Facts), Error> {
    let mut body = decode::structured(
        op,
        fetched.status,
        fetched.content_type.as_deref(),
        &fetched.body,
        Shape::List,
    )?;
    let list = envelope::list(op, &mut body).map_err(|m| decode::shape_error(op, &body, m))?;
    let facts = facts(op.paging, fetched, &body.tree, &list);
    Ok((list, facts))
}

/// The typed items of a page whose envelope was read, decoded one by one from their text.
fn typed_page<T: DeserializeOwned>(
    op: &'static Operation,
    list: ListBody<'_>,
    facts: &Facts,
) -> Result<Page<T>, Error> {
    let mut items = Vec::with_capacity(list.items.len());
    for (i, item) in list.items.iter().enumerate() {
        items.push(decode::typed_at(op, item, || {
            format!("{}[{i}]", list.path)
        })?);
    }
    Ok(Page {
        items,
        number: list.meta.page,
        per_page: list.meta.per_page,
        total: list.meta.total,
        next_link: facts.next_link.clone(),
        next_cursor: facts.cursor.clone(),
    })
}

/// Decodes one list page from a successful answer's body obtained elsewhere (a recorded
/// response, a cache), exactly as a list call decodes each page it fetches: the vendor's
/// envelope, page meta, next link or cursor from the body, typed items with located errors.
/// `url` is where the body came from (relative next links resolve against it).
pub fn decode_page<T: DeserializeOwned>(
    op: &'static Operation,
    body: &[u8],
    url: &str,
) -> Result<Page<T>, Error> {
    let fetched = Fetched {
        status: 200,
        content_type: None,
        body: Bytes::copy_from_slice(body),
        link_header: None,
        url: url.to_owned(),
        request_id: None,
    };
    let (list, facts) = read_page(op, &fetched)?;
    typed_page(op, list, &facts)
}

/// Identifies a page's content, to notice a vendor that serves the same page twice: a hash
/// of the items' bytes as sent (trees, from XML bodies, as their JSON text), without copying.
fn fingerprint(items: &[Item<'_>]) -> u64 {
    use std::hash::Hasher;
    /// Feeds what a serializer writes straight into the hasher.
    struct Feed<'h, H>(&'h mut H);
    impl<H: Hasher> std::io::Write for Feed<'_, H> {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.write(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    hasher.write_usize(items.len());
    for item in items {
        match item {
            Item::Raw(raw) => hasher.write(raw.as_bytes()),
            // Writing a tree into the hasher cannot fail.
            Item::Tree(value) => {
                let _ = serde_json::to_writer(Feed(&mut hasher), value);
            }
        }
        // Item boundaries count: `["ab"]` is not `["a", "b"]`.
        hasher.write_u8(0xff);
    }
    hasher.finish()
}

mod prefetch;
#[cfg(test)]
mod tests;

#[cfg(test)]
mod prefetch_tests;
