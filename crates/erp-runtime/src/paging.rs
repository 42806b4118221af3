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

/// Where the next page comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Next {
    Start,
    PageNumber(u64),
    Link(String),
    Cursor(String),
    Done,
}

/// What the engine has already seen, to detect a vendor that repeats itself.
#[derive(Debug, Default)]
struct History {
    pages: HashSet<u64>,
    cursors: HashSet<String>,
}

/// What one fetched page said about itself.
#[derive(Debug)]
struct Facts<'a> {
    items: usize,
    per_page: Option<u64>,
    total: Option<u64>,
    next_link: Option<&'a str>,
    last_cursor: Option<&'a str>,
    fingerprint: u64,
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Hand the page to the consumer, then go on from `Next`.
    Yield(Next),
    /// Drop this page (empty or a repeat) and end the stream.
    Stop,
}

/// The paging decision, free of I/O so that every stop rule is unit-tested.
fn judge(
    paging: Paging,
    current: &Next,
    requested_size: Option<u64>,
    facts: &Facts<'_>,
    history: &mut History,
) -> Verdict {
    let first = *current == Next::Start;
    let fresh = history.pages.insert(facts.fingerprint);
    if !first && (facts.items == 0 || !fresh) {
        return Verdict::Stop;
    }
    if facts.items == 0 {
        // An empty first page is still a page: its total (0) is information.
        return Verdict::Yield(Next::Done);
    }
    let next = match paging {
        Paging::None => Next::Done,
        Paging::PageNumber { first_page, .. } => {
            let current = match current {
                Next::PageNumber(n) => *n,
                _ => first_page,
            };
            let per_page = facts.per_page.or(requested_size).unwrap_or(1).max(1);
            let fetched_through = current
                .saturating_sub(first_page)
                .saturating_add(1)
                .saturating_mul(per_page);
            let short = (facts.items as u64) < per_page;
            let complete = facts.total.is_some_and(|total| fetched_through >= total);
            if short || complete {
                Next::Done
            } else {
                Next::PageNumber(current.saturating_add(1))
            }
        }
        Paging::NextLink { .. } => match facts.next_link {
            Some(link) if history.cursors.insert(link.to_owned()) => Next::Link(link.to_owned()),
            _ => Next::Done,
        },
        Paging::Cursor { .. } => match facts.last_cursor {
            Some(cursor) if history.cursors.insert(cursor.to_owned()) => {
                Next::Cursor(cursor.to_owned())
            }
            _ => Next::Done,
        },
    };
    Verdict::Yield(next)
}

struct State {
    client: Client,
    op: &'static Operation,
    request: Request,
    next: Next,
    history: History,
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
        history: History::default(),
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
            Next::Start | Next::PageNumber(_),
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
            let size = s
                .client
                .config()
                .page_size
                .unwrap_or(default_size)
                .clamp(1, max_size.max(1));
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
    let facts = Facts {
        items: page.items.len(),
        per_page: page.per_page,
        total: page.total,
        next_link: page.next_link.as_deref(),
        last_cursor: raw.last_cursor.as_deref(),
        fingerprint: raw.fingerprint,
    };
    match judge(paging, &s.next, requested_size, &facts, &mut s.history) {
        Verdict::Stop => Ok(None),
        Verdict::Yield(next) => {
            s.next = match next {
                // A relative link means "relative to this page", not to the base URL.
                Next::Link(link) => {
                    match reqwest::Url::parse(&raw.url).and_then(|page| page.join(&link)) {
                        Ok(absolute) => Next::Link(absolute.to_string()),
                        Err(_) => Next::Link(link),
                    }
                }
                other => other,
            };
            Ok(Some((page, s)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGES: Paging = Paging::PageNumber {
        page_param: "page",
        size_param: "per_page",
        first_page: 1,
        default_size: 100,
        max_size: 1000,
    };

    fn facts(items: usize, total: Option<u64>, fingerprint: u64) -> Facts<'static> {
        Facts {
            items,
            per_page: Some(10),
            total,
            next_link: None,
            last_cursor: None,
            fingerprint,
        }
    }

    #[test]
    fn page_numbers_advance_until_the_reported_total() {
        let mut h = History::default();
        assert_eq!(
            judge(
                PAGES,
                &Next::Start,
                Some(10),
                &facts(10, Some(25), 1),
                &mut h
            ),
            Verdict::Yield(Next::PageNumber(2))
        );
        assert_eq!(
            judge(
                PAGES,
                &Next::PageNumber(2),
                Some(10),
                &facts(10, Some(25), 2),
                &mut h
            ),
            Verdict::Yield(Next::PageNumber(3))
        );
        assert_eq!(
            judge(
                PAGES,
                &Next::PageNumber(3),
                Some(10),
                &facts(5, Some(25), 3),
                &mut h
            ),
            Verdict::Yield(Next::Done)
        );
        let mut h = History::default();
        assert_eq!(
            judge(
                PAGES,
                &Next::PageNumber(2),
                Some(10),
                &facts(10, Some(20), 4),
                &mut h
            ),
            Verdict::Yield(Next::Done),
            "total reached on a full page"
        );
    }

    #[test]
    fn a_short_page_ends_the_list_without_a_total() {
        let mut h = History::default();
        assert_eq!(
            judge(PAGES, &Next::Start, Some(10), &facts(10, None, 1), &mut h),
            Verdict::Yield(Next::PageNumber(2))
        );
        assert_eq!(
            judge(
                PAGES,
                &Next::PageNumber(2),
                Some(10),
                &facts(9, None, 2),
                &mut h
            ),
            Verdict::Yield(Next::Done)
        );
    }

    #[test]
    fn empty_and_repeated_pages_stop_the_stream() {
        let mut h = History::default();
        assert_eq!(
            judge(PAGES, &Next::Start, Some(10), &facts(0, Some(0), 0), &mut h),
            Verdict::Yield(Next::Done),
            "an empty first page is shown"
        );
        let mut h = History::default();
        judge(
            PAGES,
            &Next::Start,
            Some(10),
            &facts(10, Some(100), 7),
            &mut h,
        );
        assert_eq!(
            judge(
                PAGES,
                &Next::PageNumber(2),
                Some(10),
                &facts(10, Some(100), 7),
                &mut h
            ),
            Verdict::Stop,
            "same content again"
        );
        assert_eq!(
            judge(
                PAGES,
                &Next::PageNumber(2),
                Some(10),
                &facts(0, Some(100), 8),
                &mut h
            ),
            Verdict::Stop,
            "empty later page"
        );
    }

    #[test]
    fn next_links_are_followed_once() {
        let style = Paging::NextLink { field: "d.__next" };
        let mut h = History::default();
        let with_link = |link, fp| Facts {
            next_link: Some(link),
            ..facts(60, None, fp)
        };
        assert_eq!(
            judge(
                style,
                &Next::Start,
                None,
                &with_link("/a?skip=1", 1),
                &mut h
            ),
            Verdict::Yield(Next::Link("/a?skip=1".into()))
        );
        assert_eq!(
            judge(
                style,
                &Next::Link("/a?skip=1".into()),
                None,
                &with_link("/a?skip=1", 2),
                &mut h
            ),
            Verdict::Yield(Next::Done),
            "a link seen before"
        );
        assert_eq!(
            judge(
                style,
                &Next::Start,
                None,
                &facts(60, None, 3),
                &mut History::default()
            ),
            Verdict::Yield(Next::Done),
            "no link"
        );
    }

    #[test]
    fn cursors_advance_and_stop_when_they_repeat() {
        let style = Paging::Cursor {
            param: "since_id",
            field: "id",
        };
        let mut h = History::default();
        let with_cursor = |c, fp| Facts {
            last_cursor: Some(c),
            ..facts(50, None, fp)
        };
        assert_eq!(
            judge(style, &Next::Start, None, &with_cursor("50", 1), &mut h),
            Verdict::Yield(Next::Cursor("50".into()))
        );
        assert_eq!(
            judge(
                style,
                &Next::Cursor("50".into()),
                None,
                &with_cursor("50", 2),
                &mut h
            ),
            Verdict::Yield(Next::Done)
        );
    }

    #[test]
    fn unpaged_lists_are_one_page() {
        assert_eq!(
            judge(
                Paging::None,
                &Next::Start,
                None,
                &facts(500, None, 1),
                &mut History::default()
            ),
            Verdict::Yield(Next::Done)
        );
    }

    #[test]
    fn page_count_rounds_up() {
        let page = Page::<u8> {
            items: vec![],
            number: Some(1),
            per_page: Some(50),
            total: Some(230),
            next_link: None,
        };
        assert_eq!(page.page_count(), Some(5));
    }
}
