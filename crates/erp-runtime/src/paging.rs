//! One paging engine for every style a spec can choose, exposed as lazy streams.
//!
//! Each page is requested only when the consumer asks for more. The caller's query
//! parameters go out with every page. The engine stops on an empty page, a short page, the
//! total the vendor reported, a missing next link or cursor, or a page identical to one
//! already seen (a vendor stuck on its last page must not loop forever).

use std::collections::HashSet;

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::descriptor::{Operation, Paging};
use crate::{Error, Request};

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Page number the vendor reported, if it reports one.
    pub number: Option<u64>,
    pub per_page: Option<u64>,
    /// Total number of items over all pages, if the vendor reports it.
    pub total: Option<u64>,
    pub next_link: Option<String>,
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

/// A lazy stream of items.
pub type Items<T> = BoxStream<'static, Result<T, Error>>;
/// A lazy stream of pages.
pub type Pages<T> = BoxStream<'static, Result<Page<T>, Error>>;

enum Next {
    Start,
    PageNumber(u64),
    Link(String),
    Cursor(String),
    Done,
}

struct State {
    client: Client,
    op: &'static Operation,
    request: Request,
    next: Next,
    seen_pages: HashSet<u64>,
    seen_cursors: HashSet<String>,
    pages_fetched: u64,
}

pub(crate) fn pages<T: DeserializeOwned + Send + 'static>(
    client: Client,
    op: &'static Operation,
    request: Request,
) -> Pages<T> {
    let state = State {
        client,
        op,
        request,
        next: Next::Start,
        seen_pages: HashSet::new(),
        seen_cursors: HashSet::new(),
        pages_fetched: 0,
    };
    stream::try_unfold(state, step::<T>).boxed()
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

fn page_size(client: &Client, default_size: u64, max_size: u64) -> u64 {
    client
        .config()
        .page_size
        .unwrap_or(default_size)
        .clamp(1, max_size.max(1))
}

async fn step<T: DeserializeOwned>(mut s: State) -> Result<Option<(Page<T>, State)>, Error> {
    let paging = if s.op.paged {
        s.op.vendor.paging
    } else {
        Paging::None
    };
    let mut request = s.request.clone();
    let mut link = None;
    let mut requested_size = None;
    match (&s.next, paging) {
        (Next::Done, _) => return Ok(None),
        (
            Next::Start,
            Paging::PageNumber {
                page_param,
                size_param,
                first_page,
                default_size,
                max_size,
            },
        )
        | (
            Next::PageNumber(_),
            Paging::PageNumber {
                page_param,
                size_param,
                first_page,
                default_size,
                max_size,
            },
        ) => {
            let number = if let Next::PageNumber(n) = s.next {
                n
            } else {
                first_page
            };
            let size = page_size(&s.client, default_size, max_size);
            request.set_query(page_param, number.to_string());
            request.set_query(size_param, size.to_string());
            requested_size = Some(size);
        }
        (Next::Link(l), _) => link = Some(l.clone()),
        (Next::Cursor(c), Paging::Cursor { param, .. }) => request.set_query(param, c.clone()),
        _ => {}
    }
    let (page, raw) = s
        .client
        .fetch_page::<T>(s.op, &request, link.as_deref())
        .await?;
    let fingerprint = raw.fingerprint;
    s.pages_fetched += 1;
    let first = s.pages_fetched == 1;
    if !first && (page.items.is_empty() || !s.seen_pages.insert(fingerprint)) {
        return Ok(None);
    }
    s.seen_pages.insert(fingerprint);
    s.next = if page.items.is_empty() {
        Next::Done
    } else {
        match paging {
            Paging::None => Next::Done,
            Paging::PageNumber { first_page, .. } => {
                let current = match s.next {
                    Next::PageNumber(n) => n,
                    _ => first_page,
                };
                let per_page = page.per_page.or(requested_size).unwrap_or(1).max(1);
                let fetched_through = (current - first_page + 1).saturating_mul(per_page);
                let short = (page.items.len() as u64) < per_page;
                let complete = page.total.is_some_and(|total| fetched_through >= total);
                if short || complete {
                    Next::Done
                } else {
                    Next::PageNumber(current + 1)
                }
            }
            Paging::NextLink { .. } => match &page.next_link {
                Some(l) if s.seen_cursors.insert(l.clone()) => Next::Link(l.clone()),
                _ => Next::Done,
            },
            Paging::Cursor { .. } => match raw.last_cursor {
                Some(c) if s.seen_cursors.insert(c.clone()) => Next::Cursor(c),
                _ => Next::Done,
            },
        }
    };
    Ok(Some((page, s)))
}
