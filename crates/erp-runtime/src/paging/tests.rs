use std::sync::Mutex;

use serde_json::json;

use super::*;
use crate::descriptor::*;

const SIZE: PageSize = PageSize {
    param: "limit",
    default: 3,
    max: 100,
};

fn op(list_envelope: ListEnvelope, paging: Paging) -> &'static Operation {
    crate::testing::operation(
        VendorInfo {
            list_envelope,
            ..crate::testing::vendor()
        },
        paging,
        Returns::List,
    )
}

/// Answers with canned pages, recording each request's query (or link).
struct Canned {
    pages: Mutex<Vec<Fetched>>,
    seen: Mutex<Vec<String>>,
}

impl Canned {
    fn new(pages: Vec<Value>) -> Self {
        Self::with_links(pages.into_iter().map(|b| (b, None)).collect())
    }

    fn with_links(pages: Vec<(Value, Option<&str>)>) -> Self {
        Canned {
            pages: Mutex::new(
                pages
                    .into_iter()
                    .rev()
                    .map(|(body, link)| Fetched {
                        status: 200,
                        content_type: None,
                        body: serde_json::to_vec(&body).unwrap().into(),
                        link_header: link.map(str::to_owned),
                        url: "https://example.com/api/things".to_owned(),
                        request_id: None,
                    })
                    .collect(),
            ),
            seen: Mutex::new(Vec::new()),
        }
    }
}

impl PageSource for std::sync::Arc<Canned> {
    fn fetch<'a>(
        &'a self,
        _op: &'static Operation,
        request: &'a Request,
        link: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Fetched, Error>> {
        let query = request
            .query_pairs(BoolEncoding::Native)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        self.seen
            .lock()
            .unwrap()
            .push(link.map_or(query, str::to_owned));
        let next = self.pages.lock().unwrap().pop();
        Box::pin(async move { next.ok_or_else(|| panic!("more pages requested than canned")) })
    }
}

fn ids(n: std::ops::Range<u64>) -> Vec<Value> {
    n.map(|i| json!({"id": i})).collect()
}

const LIMITS: Limits = Limits {
    page_size: None,
    max_pages: 100,
    lenient_totals: false,
    concurrency: 1,
};

async fn run(source: &std::sync::Arc<Canned>, op: &'static Operation) -> (Vec<u64>, Option<Error>) {
    run_with(source, op, LIMITS).await
}

async fn run_with(
    source: &std::sync::Arc<Canned>,
    op: &'static Operation,
    limits: Limits,
) -> (Vec<u64>, Option<Error>) {
    let request = Request::new().query_param("status", "open");
    let mut stream = stream_pages::<Value, _>(source.clone(), op, request, limits);
    let mut got = Vec::new();
    while let Some(page) = stream.next().await {
        match page {
            Ok(page) => got.extend(page.items.iter().filter_map(|i| i["id"].as_u64())),
            Err(e) => return (got, Some(e)),
        }
    }
    (got, None)
}

fn seen(source: &std::sync::Arc<Canned>) -> Vec<String> {
    source.seen.lock().unwrap().clone()
}

#[tokio::test]
async fn a_cursor_in_the_body_lists_every_record_with_size_and_filters_on_each_page() {
    // The bug this engine replaces: the cursor was read from the last item and the size was
    // dropped, so 3 of 7 records came back without an error.
    let op = op(
        ListEnvelope::DataField {
            key: "data",
            total: None,
        },
        Paging::Cursor {
            param: "cursor",
            cursor: CursorSource::Body("additional_data.next_cursor"),
            has_more: None,
            size: Some(SIZE),
        },
    );
    let source = std::sync::Arc::new(Canned::new(vec![
        json!({"data": ids(0..3), "additional_data": {"next_cursor": "c1"}}),
        json!({"data": ids(3..6), "additional_data": {"next_cursor": "c2"}}),
        json!({"data": ids(6..7), "additional_data": {"next_cursor": null}}),
    ]));
    let (got, error) = run(&source, op).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(got, (0..7).collect::<Vec<_>>());
    assert_eq!(
        seen(&source),
        [
            "status=open&limit=3",
            "status=open&limit=3&cursor=c1",
            "status=open&limit=3&cursor=c2"
        ]
    );
}

#[tokio::test]
async fn page_numbers_offsets_and_last_item_cursors() {
    let envelope = ListEnvelope::DataField {
        key: "items",
        total: Some("total"),
    };
    let pages = || {
        vec![
            json!({"items": ids(0..3), "total": 7}),
            json!({"items": ids(3..6), "total": 7}),
            json!({"items": ids(6..7), "total": 7}),
        ]
    };
    let numbered = op(
        envelope,
        Paging::PageNumber {
            page_param: "page",
            first_page: 1,
            size: SIZE,
            concurrency: 1,
        },
    );
    let source = std::sync::Arc::new(Canned::new(pages()));
    assert_eq!(run(&source, numbered).await.0.len(), 7);
    assert_eq!(
        seen(&source),
        [
            "status=open&limit=3&page=1",
            "status=open&limit=3&page=2",
            "status=open&limit=3&page=3"
        ]
    );

    let offsets = op(
        envelope,
        Paging::OffsetLimit {
            offset_param: "offset",
            size: SIZE,
            concurrency: 1,
        },
    );
    let source = std::sync::Arc::new(Canned::new(pages()));
    assert_eq!(run(&source, offsets).await.0.len(), 7);
    assert_eq!(
        seen(&source),
        [
            "status=open&limit=3&offset=0",
            "status=open&limit=3&offset=3",
            "status=open&limit=3&offset=6"
        ]
    );

    let since_id = op(
        ListEnvelope::Bare,
        Paging::Cursor {
            param: "since_id",
            cursor: CursorSource::LastItem("id"),
            has_more: None,
            size: Some(SIZE),
        },
    );
    let source = std::sync::Arc::new(Canned::new(vec![
        json!(ids(0..3)),
        json!(ids(3..6)),
        json!(ids(6..7)),
    ]));
    assert_eq!(run(&source, since_id).await.0.len(), 7);
    assert_eq!(seen(&source)[2], "status=open&limit=3&since_id=5");
}

#[tokio::test]
async fn next_links_from_the_body_and_from_link_headers() {
    let body_links = op(
        ListEnvelope::OData,
        Paging::NextLink {
            link: LinkSource::Body("d.__next"),
            size: None,
        },
    );
    let source = std::sync::Arc::new(Canned::new(vec![
        json!({"d": {"results": ids(0..2), "__next": "things?$skiptoken=2"}}),
        json!({"d": {"results": ids(2..3)}}),
    ]));
    assert_eq!(run(&source, body_links).await.0, [0, 1, 2]);
    assert_eq!(
        seen(&source)[1],
        "https://example.com/api/things?$skiptoken=2",
        "relative links resolve against the page"
    );

    let header_links = op(
        ListEnvelope::Bare,
        Paging::NextLink {
            link: LinkSource::LinkHeader,
            size: Some(SIZE),
        },
    );
    let source = std::sync::Arc::new(Canned::with_links(vec![
        (
            json!(ids(0..3)),
            Some("https://example.com/api/things?page=2&limit=3"),
        ),
        (json!(ids(3..4)), None),
    ]));
    assert_eq!(run(&source, header_links).await.0.len(), 4);
}

#[tokio::test]
async fn inconsistent_vendors_fail_instead_of_truncating() {
    let with_total = op(
        ListEnvelope::DataField {
            key: "items",
            total: Some("total"),
        },
        Paging::PageNumber {
            page_param: "page",
            first_page: 1,
            size: SIZE,
            concurrency: 1,
        },
    );
    // A vendor that caps the page below the size asked for: a "short" page, total unmet.
    let source = std::sync::Arc::new(Canned::new(vec![json!({"items": ids(0..2), "total": 7})]));
    let (got, error) = run(&source, with_total).await;
    assert_eq!(got.len(), 2, "the page that arrived is still handed out");
    let message = error.expect("an error").to_string();
    assert!(
        message.contains("reported 7 items in total, but its pages held 2"),
        "{message}"
    );

    let cursor = op(
        ListEnvelope::DataField {
            key: "data",
            total: None,
        },
        Paging::Cursor {
            param: "cursor",
            cursor: CursorSource::Body("next"),
            has_more: Some("more"),
            size: None,
        },
    );
    let source = std::sync::Arc::new(Canned::new(vec![json!({"data": ids(0..3), "more": true})]));
    let message = run(&source, cursor).await.1.expect("an error").to_string();
    assert!(
        message.contains("more pages follow but gave no cursor"),
        "{message}"
    );

    let source = std::sync::Arc::new(Canned::new(vec![
        json!({"data": ids(0..3), "next": "x", "more": "1"}),
        json!({"data": ids(3..6), "next": "x", "more": "1"}),
    ]));
    let message = run(&source, cursor).await.1.expect("an error").to_string();
    assert!(
        message.contains("the cursor `x` was already used"),
        "{message}"
    );
}

#[tokio::test]
async fn a_total_that_changes_while_listing_is_an_error_with_what_was_seen() {
    let with_total = op(
        ListEnvelope::DataField {
            key: "items",
            total: Some("total"),
        },
        Paging::PageNumber {
            page_param: "page",
            first_page: 1,
            size: SIZE,
            concurrency: 1,
        },
    );
    // 9 records when the listing started, 6 on the second page: 3 may have been skipped.
    let source = std::sync::Arc::new(Canned::new(vec![
        json!({"items": ids(0..3), "total": 9}),
        json!({"items": ids(3..6), "total": 6}),
    ]));
    let (got, error) = run(&source, with_total).await;
    assert_eq!(got.len(), 3, "the consistent first page is handed out");
    let error = error.expect("an error, not a silent end");
    let Error::Paging {
        pages,
        records,
        total,
        ..
    } = &error
    else {
        panic!("expected a paging error, got {error:?}")
    };
    assert_eq!((*pages, *records, *total), (2, 3, Some(9)), "{error}");
    let message = error.to_string();
    assert!(message.contains("changed from 9 to 6"), "{message}");
}

#[tokio::test]
async fn a_next_link_to_the_page_itself_is_an_error() {
    let body_links = op(
        ListEnvelope::OData,
        Paging::NextLink {
            link: LinkSource::Body("d.__next"),
            size: None,
        },
    );
    let page = json!({"d": {"results": ids(0..2), "__next": "things"}});
    let source = std::sync::Arc::new(Canned::new(vec![page.clone(), page]));
    let (got, error) = run(&source, body_links).await;
    assert_eq!(got.len(), 2);
    let message = error.expect("an error, not a silent end").to_string();
    assert!(message.contains("does not advance"), "{message}");
}

#[tokio::test]
async fn lenient_totals_end_the_list_where_the_pages_end() {
    let with_total = op(
        ListEnvelope::DataField {
            key: "items",
            total: Some("total"),
        },
        Paging::PageNumber {
            page_param: "page",
            first_page: 1,
            size: SIZE,
            concurrency: 1,
        },
    );
    let source = std::sync::Arc::new(Canned::new(vec![
        json!({"items": ids(0..3), "total": 9}),
        json!({"items": ids(3..6), "total": 6}),
        json!({"items": ids(6..7), "total": 6}),
    ]));
    let lenient = Limits {
        lenient_totals: true,
        ..LIMITS
    };
    let (got, error) = run_with(&source, with_total, lenient).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(got, [0, 1, 2, 3, 4, 5, 6]);
}

#[tokio::test]
async fn an_endless_chain_of_new_links_stops_at_the_page_cap() {
    let body_links = op(
        ListEnvelope::OData,
        Paging::NextLink {
            link: LinkSource::Body("d.__next"),
            size: None,
        },
    );
    let pages = (0..5)
        .map(|i| json!({"d": {"results": ids(i * 2..i * 2 + 2), "__next": format!("things?p={}", i + 1)}}))
        .collect();
    let source = std::sync::Arc::new(Canned::new(pages));
    let capped = Limits {
        max_pages: 3,
        ..LIMITS
    };
    let (got, error) = run_with(&source, body_links, capped).await;
    assert_eq!(got.len(), 6, "three pages were handed out");
    let error = error.expect("an error at the cap");
    assert!(
        matches!(
            error,
            Error::Paging {
                problem: PagingProblem::TooManyPages(3),
                pages: 3,
                records: 6,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(seen(&source).len(), 3, "no fourth page was requested");
}

#[test]
fn link_headers_name_their_next_target() {
    assert_eq!(
        next_in_link_header(
            r#"<https://a.example/x?page=3>; rel="next", <https://a.example/x?page=9>; rel="last""#
        )
        .as_deref(),
        Some("https://a.example/x?page=3")
    );
    assert_eq!(
        next_in_link_header(r#"<https://a.example/x?page=1>; rel="prev""#),
        None
    );
    assert_eq!(
        next_in_link_header("<https://a.example/y>; rel=\"next prefetch\"").as_deref(),
        Some("https://a.example/y")
    );
}

const PAGES: Paging = Paging::PageNumber {
    page_param: "page",
    first_page: 1,
    size: PageSize {
        param: "per_page",
        default: 100,
        max: 1000,
    },
    concurrency: 1,
};

fn facts(items: usize, total: Option<u64>, fingerprint: u64) -> Facts {
    Facts {
        items,
        per_page: Some(10),
        total,
        fingerprint,
        ..Facts::default()
    }
}

#[test]
fn page_numbers_advance_until_the_reported_total() {
    let mut h = History::default();
    let j = |next: Next, f: Facts, h: &mut History| judge(PAGES, &next, Some(10), &f, h);
    assert_eq!(
        j(Next::Start, facts(10, Some(25), 1), &mut h),
        Verdict::Yield(Next::PageNumber(2))
    );
    assert_eq!(
        j(Next::PageNumber(2), facts(10, Some(25), 2), &mut h),
        Verdict::Yield(Next::PageNumber(3))
    );
    assert_eq!(
        j(Next::PageNumber(3), facts(5, Some(25), 3), &mut h),
        Verdict::Yield(Next::Done)
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
fn empty_and_repeated_pages_end_the_list() {
    let mut h = History::default();
    assert_eq!(
        judge(PAGES, &Next::Start, Some(10), &facts(0, Some(0), 0), &mut h),
        Verdict::Yield(Next::Done),
        "an empty first page is shown"
    );
    let mut h = History::default();
    judge(PAGES, &Next::Start, Some(10), &facts(10, None, 7), &mut h);
    assert_eq!(
        judge(
            PAGES,
            &Next::PageNumber(2),
            Some(10),
            &facts(10, None, 7),
            &mut h
        ),
        Verdict::Stop,
        "a vendor repeating its last full page, no total"
    );
    let mut h = History::default();
    judge(
        PAGES,
        &Next::Start,
        Some(10),
        &facts(10, Some(100), 7),
        &mut h,
    );
    assert!(
        matches!(
            judge(
                PAGES,
                &Next::PageNumber(2),
                Some(10),
                &facts(10, Some(100), 7),
                &mut h
            ),
            Verdict::Fail(_)
        ),
        "a repeat before the total is reached is a truncation"
    );
    assert!(
        matches!(
            judge(
                PAGES,
                &Next::PageNumber(2),
                Some(10),
                &facts(0, Some(100), 8),
                &mut h
            ),
            Verdict::Fail(_)
        ),
        "an empty page before the total is reached"
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
        next_cursor: None,
    };
    assert_eq!(page.page_count(), Some(5));
}

#[test]
fn fingerprints_tell_pages_apart_by_every_byte_and_boundary() {
    let print = |items: &[&str]| {
        let items: Vec<Item<'_>> = items.iter().map(|i| Item::Raw(i)).collect();
        fingerprint(&items)
    };
    let page = [r#"{"id":"1","name":"Anna"}"#, r#"{"id":"2","name":"Bert"}"#];
    assert_eq!(print(&page), print(&page));
    let mut seen = std::collections::HashSet::new();
    for text in [
        r#"{"id":"1","name":"Anna"}"#,
        r#"{"id":"1","name":"Anne"}"#,
        r#"{"id":"2","name":"Anna"}"#,
        r#"{"id":"1","name":"Anna"} "#,
        "ab",
        "ab\0",
        "",
    ] {
        assert!(seen.insert(print(&[text])), "{text:?} collides");
    }
    assert!(seen.insert(print(&["a", "b"])));
    assert_ne!(print(&["a", "b"]), print(&["ab"]));
    assert_ne!(print(&[]), print(&[""]));
}
