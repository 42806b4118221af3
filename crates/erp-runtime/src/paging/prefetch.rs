//! Pages requested ahead of the consumer: once a list's first page reported the total, the
//! page numbers (or offsets) of every later page are known, so up to `concurrency` of them are
//! fetched at once, each in a task of its own. The consumer still receives pages in list order,
//! each judged by the same rules as in sequential paging when its turn comes; a page that leads
//! elsewhere than planned turns prefetch off for the rest of the list, and dropping the stream
//! abandons whatever is in flight.

use serde::de::DeserializeOwned;

use super::{Error, Facts, Next, PageSource, Paging, ReadPage, State, fetch_page, page_request};

/// A page requested ahead, running as a task of its own so that it progresses while the
/// consumer works through earlier pages. Dropping it (the consumer dropped the stream, or the
/// list ended sooner than planned) abandons the request.
pub(super) struct Ahead<T> {
    next: Next,
    requested_size: Option<u64>,
    task: tokio::task::JoinHandle<Result<ReadPage<T>, Error>>,
}

impl<T> Drop for Ahead<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The pages of a list that can be named before they arrive, because the first page reported
/// the total: page numbers (or offsets) up to the last page. Each page is still judged when
/// its turn comes, and must lead to the page planned after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Plan {
    offsets: bool,
    /// The page number or offset of the next page to request.
    upcoming: u64,
    step: u64,
    /// The page number or offset of the last page.
    last: u64,
}

impl Plan {
    /// The plan from the page `next` names to the end of a list of `total` items in pages of
    /// `per_page`.
    pub(super) fn new(paging: Paging, next: &Next, total: u64, per_page: u64) -> Option<Plan> {
        let pages = total.div_ceil(per_page.max(1));
        let plan = match (paging, next) {
            (Paging::PageNumber { first_page, .. }, Next::PageNumber(n)) => Plan {
                offsets: false,
                upcoming: *n,
                step: 1,
                last: first_page.saturating_add(pages).checked_sub(1)?,
            },
            (Paging::OffsetLimit { .. }, Next::Offset(offset)) => Plan {
                offsets: true,
                upcoming: *offset,
                step: per_page,
                last: pages.checked_sub(1)?.saturating_mul(per_page),
            },
            _ => return None,
        };
        (plan.upcoming <= plan.last).then_some(plan)
    }

    /// The next page to request ahead, if any is left.
    fn peek(&self) -> Option<Next> {
        let next = match self.offsets {
            true => Next::Offset(self.upcoming),
            false => Next::PageNumber(self.upcoming),
        };
        (self.upcoming <= self.last).then_some(next)
    }

    /// Takes the next page to request ahead.
    pub(super) fn take(&mut self) -> Option<Next> {
        let next = self.peek()?;
        self.upcoming = self.upcoming.saturating_add(self.step.max(1));
        Some(next)
    }
}

impl<S: PageSource, T: DeserializeOwned + Send + 'static> State<S, T> {
    /// Requests planned pages until `concurrency` are in flight (the page the consumer waits
    /// for included), never past `max_pages`.
    fn request_ahead(&mut self) {
        let Some(plan) = self.plan.as_mut() else {
            return;
        };
        // Polled by an executor other than Tokio, the pages go one after another.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.go_sequential();
            return;
        };
        while self.ahead.len() < self.limits.concurrency
            && self.history.fetched + (self.ahead.len() as u64) < self.limits.max_pages
        {
            let Some(next) = plan.take() else {
                break;
            };
            let (request, link, requested_size) =
                page_request(self.op.paging, &next, &self.request, self.limits.page_size);
            let (source, op, lenient) = (self.source.clone(), self.op, self.limits.lenient_totals);
            let task = runtime.spawn(async move {
                fetch_page(&*source, op, &request, link.as_deref(), lenient).await
            });
            self.ahead.push_back(Ahead {
                next,
                requested_size,
                task,
            });
        }
    }

    /// Stops requesting ahead and abandons the pages in flight.
    pub(super) fn go_sequential(&mut self) {
        self.sequential = true;
        self.plan = None;
        self.ahead.clear();
    }

    /// The page `self.next` names: from the pages requested ahead, or fetched now.
    pub(super) async fn read_next(&mut self) -> Result<(ReadPage<T>, Option<u64>), Error> {
        self.request_ahead();
        match self.ahead.front_mut() {
            Some(ahead) if ahead.next == self.next => {
                let joined = (&mut ahead.task).await;
                let requested_size = ahead.requested_size;
                self.ahead.pop_front();
                match joined {
                    Ok(read) => return Ok((read?, requested_size)),
                    // A panic while reading a page is the caller's, as it would be inline.
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    // Cancelled by a runtime shutting down: the page is fetched here instead.
                    Err(_) => self.go_sequential(),
                }
            }
            // Pages ahead that are not this one: the plan no longer holds.
            Some(_) => self.go_sequential(),
            None => {}
        }
        let (request, link, requested_size) = page_request(
            self.op.paging,
            &self.next,
            &self.request,
            self.limits.page_size,
        );
        let read = fetch_page(
            &*self.source,
            self.op,
            &request,
            link.as_deref(),
            self.limits.lenient_totals,
        )
        .await?;
        Ok((read, requested_size))
    }

    /// After a page was judged to lead to `next`: plan the pages ahead once the total is
    /// known, or give prefetch up when the page led elsewhere than planned.
    pub(super) fn plan_after(
        &mut self,
        next: &Next,
        facts: &Facts,
        reported_total: Option<u64>,
        requested_size: Option<u64>,
    ) {
        if self.sequential {
            return;
        }
        let expected = match self.ahead.front() {
            Some(ahead) => Some(ahead.next.clone()),
            None => self.plan.and_then(|plan| plan.peek()),
        };
        match expected {
            Some(expected) if expected != *next => self.go_sequential(),
            Some(_) => {}
            None if self.plan.is_none() => {
                let per_page = facts.per_page.or(requested_size);
                self.plan = match (reported_total, per_page) {
                    (Some(total), Some(per_page)) => {
                        Plan::new(self.op.paging, next, total, per_page)
                    }
                    _ => None,
                };
            }
            // Past the planned last page (a list that grew, with lenient totals): the rest
            // comes one page after another.
            None => {}
        }
    }
}
