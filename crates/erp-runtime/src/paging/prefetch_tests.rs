//! Pages requested ahead: the same list, in the same order, with the same checks as one page
//! after another, and never more in flight than configured.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;

use super::*;
use crate::descriptor::*;

const SIZE: PageSize = PageSize {
    param: "limit",
    default: 10,
    max: 100,
};

fn numbered() -> &'static Operation {
    list_op(Paging::PageNumber {
        page_param: "page",
        first_page: 1,
        size: SIZE,
        concurrency: 4,
    })
}

fn offsets() -> &'static Operation {
    list_op(Paging::OffsetLimit {
        offset_param: "offset",
        size: SIZE,
        concurrency: 4,
    })
}

fn list_op(paging: Paging) -> &'static Operation {
    crate::testing::operation(
        VendorInfo {
            list_envelope: ListEnvelope::DataField {
                key: "items",
                total: Some("total"),
            },
            ..crate::testing::vendor()
        },
        paging,
        Returns::List,
    )
}

/// A vendor holding `total` records `0..total`, answering each page from its query after a
/// short delay, and counting what is in flight.
struct Vendor {
    total: u64,
    /// Items per answer, whatever was asked (a vendor that ignores the limit); `None` honours it.
    serves: Option<u64>,
    /// From this request on (counted from 1), the reported total is this instead.
    total_from: Option<(usize, u64)>,
    /// This page number (or offset) answers with a body that is not JSON.
    fails_at: Option<u64>,
    /// Every answer is the first page (a vendor that ignores the page parameter).
    ignores_page: bool,
    delay: Duration,
    started: Mutex<Vec<String>>,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    finished: AtomicUsize,
}

impl Vendor {
    fn new(total: u64) -> Self {
        Vendor {
            total,
            serves: None,
            total_from: None,
            fails_at: None,
            ignores_page: false,
            delay: Duration::from_millis(15),
            started: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            most_in_flight: AtomicUsize::new(0),
            finished: AtomicUsize::new(0),
        }
    }

    fn started(&self) -> Vec<String> {
        self.started.lock().unwrap().clone()
    }
}

fn param(request: &Request, name: &str) -> Option<u64> {
    request
        .query_pairs(BoolEncoding::Native)
        .iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.parse().ok())
}

impl PageSource for Arc<Vendor> {
    fn fetch<'a>(
        &'a self,
        _op: &'static Operation,
        request: &'a Request,
        _link: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Fetched, Error>> {
        Box::pin(async move {
            let limit = param(request, "limit").unwrap_or(SIZE.default);
            let (start, at) = match (param(request, "page"), param(request, "offset")) {
                (Some(page), _) => ((page - 1) * limit, page),
                (None, offset) => (offset.unwrap_or(0), offset.unwrap_or(0)),
            };
            let seen = {
                let mut started = self.started.lock().unwrap();
                started.push(at.to_string());
                started.len()
            };
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.most_in_flight.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            self.finished.fetch_add(1, Ordering::SeqCst);
            let start = if self.ignores_page { 0 } else { start };
            let end = (start + self.serves.unwrap_or(limit)).min(self.total);
            let total = match self.total_from {
                Some((from, total)) if seen >= from => total,
                _ => self.total,
            };
            let body = json!({"items": (start..end).map(|i| json!({"id": i})).collect::<Vec<_>>(), "total": total});
            let body = match self.fails_at == Some(at) {
                true => b"{\"items\": [".to_vec(),
                false => serde_json::to_vec(&body).unwrap(),
            };
            Ok(Fetched {
                status: 200,
                content_type: Some("application/json".to_owned()),
                body: body.into(),
                link_header: None,
                url: "https://example.com/api/things".to_owned(),
                request_id: None,
            })
        })
    }
}

fn limits(concurrency: usize) -> Limits {
    Limits {
        page_size: None,
        max_pages: 1_000,
        lenient_totals: false,
        concurrency,
    }
}

async fn list(
    vendor: &Arc<Vendor>,
    op: &'static Operation,
    limits: Limits,
) -> (Vec<u64>, Option<Error>) {
    let mut stream = stream_pages::<Value, _>(vendor.clone(), op, Request::new(), limits);
    let mut got = Vec::new();
    while let Some(page) = stream.next().await {
        match page {
            Ok(page) => got.extend(page.items.iter().filter_map(|i| i["id"].as_u64())),
            Err(e) => return (got, Some(e)),
        }
    }
    (got, None)
}

#[tokio::test]
async fn pages_ahead_arrive_in_order_each_requested_once_and_never_more_than_configured() {
    for concurrency in [1, 2, 4, 7] {
        let vendor = Arc::new(Vendor::new(95));
        let (got, error) = list(&vendor, numbered(), limits(concurrency)).await;
        assert!(error.is_none(), "{error:?}");
        assert_eq!(
            got,
            (0..95).collect::<Vec<_>>(),
            "concurrency {concurrency}"
        );
        let mut started = vendor.started();
        started.sort_by_key(|p| p.parse::<u64>().unwrap());
        let pages: Vec<String> = (1..=10).map(|p| p.to_string()).collect();
        assert_eq!(started, pages, "every page once, none past the last");
        assert_eq!(
            vendor.most_in_flight.load(Ordering::SeqCst),
            concurrency,
            "in flight at most (and, with 9 pages after the first, exactly) {concurrency}"
        );
    }
}

#[tokio::test]
async fn the_first_page_goes_alone_and_without_a_total_nothing_is_requested_ahead() {
    let vendor = Arc::new(Vendor::new(35));
    let (got, _) = list(&vendor, numbered(), limits(4)).await;
    assert_eq!(got.len(), 35);
    assert_eq!(vendor.started()[0], "1");

    let no_total = crate::testing::operation(
        VendorInfo {
            list_envelope: ListEnvelope::DataField {
                key: "items",
                total: None,
            },
            ..crate::testing::vendor()
        },
        numbered().paging,
        Returns::List,
    );
    let vendor = Arc::new(Vendor::new(35));
    let (got, error) = list(&vendor, no_total, limits(4)).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(got.len(), 35);
    assert_eq!(vendor.most_in_flight.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn dropping_the_stream_abandons_the_pages_ahead() {
    let vendor = Arc::new(Vendor {
        delay: Duration::from_millis(50),
        ..Vendor::new(1_000)
    });
    let mut stream =
        stream_pages::<Value, _>(vendor.clone(), numbered(), Request::new(), limits(4));
    let first = stream.next().await.expect("a page").expect("first page");
    assert_eq!(first.items.len(), 10);
    // Page 2 is awaited, 3 to 5 are in flight; then the consumer goes away.
    let second = tokio::time::timeout(Duration::from_millis(10), stream.next()).await;
    assert!(second.is_err(), "page 2 takes 50 ms");
    drop(stream);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(vendor.started().len(), 5, "{:?}", vendor.started());
    assert_eq!(
        vendor.finished.load(Ordering::SeqCst),
        1,
        "the requests ahead were abandoned, not finished"
    );
}

#[tokio::test]
async fn a_failing_page_ahead_fails_the_list_after_the_pages_before_it() {
    let vendor = Arc::new(Vendor {
        fails_at: Some(4),
        ..Vendor::new(95)
    });
    let (got, error) = list(&vendor, numbered(), limits(4)).await;
    assert_eq!(got, (0..30).collect::<Vec<_>>(), "pages 1 to 3, in order");
    let error = error.expect("page 4 fails");
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
}

#[tokio::test]
async fn pages_ahead_are_checked_as_strictly_as_pages_in_turn() {
    // A total that changes while listing.
    let vendor = Arc::new(Vendor {
        total_from: Some((4, 96)),
        ..Vendor::new(95)
    });
    let (_, error) = list(&vendor, numbered(), limits(4)).await;
    let error = error.expect("the total changed");
    assert!(
        matches!(
            &error,
            Error::Paging {
                problem: PagingProblem::TotalChanged { from: 95, to: 96 },
                ..
            }
        ),
        "{error:?}"
    );

    // A vendor that ignores the page parameter.
    let vendor = Arc::new(Vendor {
        ignores_page: true,
        ..Vendor::new(95)
    });
    let (got, error) = list(&vendor, numbered(), limits(4)).await;
    assert_eq!(got.len(), 10, "the first page once");
    assert!(
        matches!(
            error,
            Some(Error::Paging {
                problem: PagingProblem::RepeatedPage,
                ..
            })
        ),
        "{error:?}"
    );

    // A cap on pages holds for pages requested ahead too.
    let vendor = Arc::new(Vendor::new(1_000));
    let capped = Limits {
        max_pages: 3,
        ..limits(8)
    };
    let (got, error) = list(&vendor, numbered(), capped).await;
    assert_eq!(got.len(), 30);
    assert!(
        matches!(
            error,
            Some(Error::Paging {
                problem: PagingProblem::TooManyPages(3),
                ..
            })
        ),
        "{error:?}"
    );
    assert_eq!(
        vendor.started().len(),
        3,
        "no page past the cap was requested"
    );
}

#[tokio::test]
async fn offsets_that_do_not_advance_as_planned_fall_back_to_one_page_after_another() {
    // Asked for 10, the vendor sends 13: the planned offsets (10, 20, ...) would overlap, so
    // the engine follows what arrived instead.
    let vendor = Arc::new(Vendor {
        serves: Some(13),
        ..Vendor::new(95)
    });
    let (got, error) = list(&vendor, offsets(), limits(4)).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(
        got,
        (0..95).collect::<Vec<_>>(),
        "every record once, in order"
    );

    let vendor = Arc::new(Vendor::new(95));
    let (got, error) = list(&vendor, offsets(), limits(4)).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(got, (0..95).collect::<Vec<_>>());
    assert_eq!(vendor.most_in_flight.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn lenient_totals_still_plan_from_the_reported_total() {
    let vendor = Arc::new(Vendor::new(95));
    let lenient = Limits {
        lenient_totals: true,
        ..limits(4)
    };
    let (got, error) = list(&vendor, numbered(), lenient).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(got.len(), 95);
    assert_eq!(vendor.most_in_flight.load(Ordering::SeqCst), 4);
}

#[test]
fn a_plan_names_the_pages_up_to_the_last() {
    let mut plan = Plan::new(numbered().paging, &Next::PageNumber(2), 95, 10).unwrap();
    let pages: Vec<Next> = std::iter::from_fn(|| plan.take()).collect();
    assert_eq!(pages, (2..=10).map(Next::PageNumber).collect::<Vec<_>>());
    let mut plan = Plan::new(offsets().paging, &Next::Offset(10), 30, 10).unwrap();
    let offsets: Vec<Next> = std::iter::from_fn(|| plan.take()).collect();
    assert_eq!(offsets, [Next::Offset(10), Next::Offset(20)]);
    assert_eq!(
        Plan::new(numbered().paging, &Next::PageNumber(2), 10, 10),
        None,
        "one page in all: nothing ahead"
    );
    assert_eq!(
        Plan::new(numbered().paging, &Next::PageNumber(2), 0, 10),
        None
    );
}
