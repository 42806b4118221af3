//! Serving each paging style of the spec: which slice of the matching records a request asks
//! for, and what the answer says about the next page (page metadata, a next link in the body or
//! in a `Link` header, a cursor, a "more pages follow" flag).
//!
//! Links and cursors are the sandbox's own: a next link repeats the request's query with a
//! `$skiptoken` (so filters and the page size carry over), a body cursor is an opaque token,
//! and a last-item cursor selects the records whose field sorts after it.

use std::cmp::Ordering;

use erp_spec::ir::{CursorSource, LinkSource, Paging};
use serde_json::Value;

use crate::ordered_json::Out;
use crate::query;

/// The query parameter of the sandbox's next links.
pub(crate) const SKIP_PARAM: &str = "$skiptoken";

/// Page size of styles whose spec names no size parameter.
pub(crate) const UNSIZED_PAGE: usize = 50;

/// The records one list answer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slice {
    /// Index of the first record.
    pub start: usize,
    /// Most records the page holds.
    pub limit: usize,
    /// `(page number, page size)`, for page-number paging's metadata.
    pub page: Option<(u64, u64)>,
}

impl Slice {
    /// The index range of this page among `len` records.
    pub(crate) fn range(&self, len: usize) -> std::ops::Range<usize> {
        let start = self.start.min(len);
        start..start.saturating_add(self.limit).min(len)
    }
}

fn number(query: &[(String, String)], name: &str) -> Option<u64> {
    query::get(query, name).and_then(|v| v.trim().parse().ok())
}

/// The page size a request asks for: unparsable or zero values fall back to the default, and
/// the size is capped at the maximum (as vendors do).
fn size(paging: &Paging, query: &[(String, String)]) -> usize {
    match paging.size() {
        Some(s) => number(query, s.param)
            .filter(|n| *n > 0)
            .unwrap_or(s.default)
            .min(s.max)
            .max(1) as usize,
        None => UNSIZED_PAGE,
    }
}

/// The position after the record a last-item cursor names: the first record whose `field`
/// sorts after `cursor` (numbers by value, text by text).
pub(crate) fn after_cursor<'r>(
    records: impl Iterator<Item = &'r Value>,
    field: &str,
    cursor: &str,
) -> usize {
    let key = |v: &Value| -> Option<Ordering> {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        Some(match (text.parse::<f64>(), cursor.parse::<f64>()) {
            (Ok(a), Ok(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
            _ => text.as_str().cmp(cursor),
        })
    };
    let mut count = 0;
    for (i, r) in records.enumerate() {
        if r.get(field).and_then(key) == Some(Ordering::Greater) {
            return i;
        }
        count = i + 1;
    }
    count
}

/// The slice a request asks for, or the vendor's "invalid" message. `after(field, cursor)` is
/// the position after the record a last-item cursor names.
pub(crate) fn slice(
    paging: &Paging,
    query: &[(String, String)],
    after: impl Fn(&str, &str) -> usize,
) -> Result<Slice, String> {
    let limit = size(paging, query);
    Ok(match paging {
        Paging::None => Slice {
            start: 0,
            limit: usize::MAX,
            page: None,
        },
        Paging::PageNumber {
            page_param,
            first_page,
            ..
        } => {
            let page = number(query, page_param)
                .filter(|p| p >= first_page)
                .unwrap_or(*first_page);
            Slice {
                start: usize::try_from((page - first_page).saturating_mul(limit as u64))
                    .unwrap_or(usize::MAX),
                limit,
                page: Some((page, limit as u64)),
            }
        }
        Paging::OffsetLimit { offset_param, .. } => Slice {
            start: number(query, offset_param).unwrap_or(0) as usize,
            limit,
            page: None,
        },
        Paging::NextLink { .. } => Slice {
            start: match query::get(query, SKIP_PARAM) {
                Some(token) => token
                    .parse()
                    .map_err(|_| format!("Invalid `{SKIP_PARAM}` `{token}`."))?,
                None => 0,
            },
            limit,
            page: None,
        },
        Paging::Cursor { param, cursor, .. } => Slice {
            start: match (query::get(query, param), cursor) {
                (None | Some(""), _) => 0,
                (Some(token), CursorSource::Body(_)) => token
                    .strip_prefix('c')
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| format!("Invalid cursor `{token}`."))?,
                (Some(token), CursorSource::LastItem(field)) => after(field, token),
            },
            limit,
            page: None,
        },
    })
}

/// What follows the page served.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Continuation {
    /// The next page's link, path-absolute or absolute.
    pub next_link: Option<String>,
    /// A body cursor for the next page.
    pub cursor: Option<String>,
    pub has_more: bool,
}

/// The next page after `slice` among `total` records. `link_base` is the URL of the request
/// without its query (`http://127.0.0.1:8080/api/things`).
pub(crate) fn continuation(
    paging: &Paging,
    slice: &Slice,
    total: usize,
    query: &[(String, String)],
    link_base: &str,
) -> Continuation {
    let end = slice.range(total).end;
    let has_more = end < total;
    let mut out = Continuation {
        has_more,
        ..Continuation::default()
    };
    if !has_more {
        return out;
    }
    match paging {
        Paging::NextLink { .. } => {
            let mut pairs: Vec<(String, String)> = query
                .iter()
                .filter(|(k, _)| k != SKIP_PARAM)
                .cloned()
                .collect();
            if let Some(s) = paging.size()
                && query::get(query, s.param).is_none()
            {
                pairs.push((s.param.to_owned(), slice.limit.to_string()));
            }
            pairs.push((SKIP_PARAM.to_owned(), end.to_string()));
            out.next_link = Some(format!("{link_base}?{}", encode_query(&pairs)));
        }
        Paging::Cursor {
            cursor: CursorSource::Body(_),
            ..
        } => out.cursor = Some(format!("c{end}")),
        _ => {}
    }
    out
}

/// Writes the continuation into the list body at the paths the spec names.
pub(crate) fn decorate(paging: &Paging, body: &mut Out, next: &Continuation) {
    match paging {
        Paging::NextLink {
            link: LinkSource::Body(path),
            ..
        } => {
            if let Some(link) = &next.next_link {
                insert_at(body, path, Out::str(link.as_str()));
            }
        }
        Paging::Cursor {
            cursor, has_more, ..
        } => {
            if let CursorSource::Body(path) = cursor {
                let value = next.cursor.as_deref().map_or(Out::Null, Out::str);
                insert_at(body, path, value);
            }
            if let Some(path) = has_more {
                insert_at(body, path, Out::Bool(next.has_more));
            }
        }
        _ => {}
    }
}

/// The `Link` header of the answer, for styles that page by it.
pub(crate) fn link_header(paging: &Paging, next: &Continuation) -> Option<String> {
    match (paging, &next.next_link) {
        (
            Paging::NextLink {
                link: LinkSource::LinkHeader,
                ..
            },
            Some(link),
        ) => Some(format!("<{link}>; rel=\"next\"")),
        _ => None,
    }
}

/// Sets `value` at a dotted path of an object, creating the objects on the way (a member that
/// is already there is replaced).
pub(crate) fn insert_at(body: &mut Out, path: &str, value: Out) {
    let (head, rest) = match path.split_once('.') {
        Some((head, rest)) => (head, Some(rest)),
        None => (path, None),
    };
    let Out::Object(members) = body else {
        return;
    };
    let slot = match members.iter().position(|(k, _)| k == head) {
        Some(i) => &mut members[i].1,
        None => {
            members.push((head.to_owned(), Out::Object(Vec::new())));
            &mut members.last_mut().expect("just pushed").1
        }
    };
    match rest {
        Some(rest) => {
            if !matches!(slot, Out::Object(_)) {
                *slot = Out::Object(Vec::new());
            }
            insert_at(slot, rest, value);
        }
        None => *slot = value,
    }
}

/// `application/x-www-form-urlencoded` text of query pairs.
pub(crate) fn encode_query(pairs: &[(String, String)]) -> String {
    fn encode(text: &str, out: &mut String) {
        for b in text.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'$') {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode(k, &mut out);
        out.push('=');
        encode(v, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use erp_spec::ir::PageSize;
    use serde_json::json;

    const SIZE: PageSize = PageSize {
        param: "limit",
        default: 2,
        max: 3,
    };

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn records(n: i64) -> Vec<Value> {
        (1..=n).map(|i| json!({"id": i})).collect()
    }

    /// `slice` over `records` (the last-item cursor looks them up).
    fn slice_of(
        paging: &Paging,
        query: &[(String, String)],
        records: &[Value],
    ) -> Result<Slice, String> {
        slice(paging, query, |field, cursor| {
            after_cursor(records.iter(), field, cursor)
        })
    }

    #[test]
    fn offsets_sizes_and_caps() {
        let paging = Paging::OffsetLimit {
            offset_param: "offset",
            size: SIZE,
            concurrency: 1,
        };
        let s = slice_of(&paging, &q(&[("offset", "4"), ("limit", "9")]), &records(7)).unwrap();
        assert_eq!((s.start, s.limit, s.range(7)), (4, 3, 4..7));
        let s = slice_of(&paging, &q(&[]), &records(7)).unwrap();
        assert_eq!(s.range(7), 0..2, "default size");
    }

    #[test]
    fn next_links_repeat_the_query_with_a_skip_token() {
        let paging = Paging::NextLink {
            link: LinkSource::Body("d.__next"),
            size: Some(SIZE),
        };
        let query = q(&[("name", "a b")]);
        let s = slice_of(&paging, &query, &records(5)).unwrap();
        let next = continuation(&paging, &s, 5, &query, "http://h/api/things");
        assert_eq!(
            next.next_link.as_deref(),
            Some("http://h/api/things?name=a%20b&limit=2&$skiptoken=2")
        );
        let mut body = Out::Object(vec![(
            "d".into(),
            Out::Object(vec![("results".into(), Out::Array(vec![]))]),
        )]);
        decorate(&paging, &mut body, &next);
        assert_eq!(
            body.to_json(),
            r#"{"d":{"results":[],"__next":"http://h/api/things?name=a%20b&limit=2&$skiptoken=2"}}"#
        );
        let last = slice_of(&paging, &q(&[("$skiptoken", "4")]), &records(5)).unwrap();
        assert_eq!(
            continuation(&paging, &last, 5, &query, "x"),
            Continuation::default()
        );
        assert!(slice_of(&paging, &q(&[("$skiptoken", "x")]), &records(5)).is_err());
    }

    #[test]
    fn cursors_from_the_body_and_from_the_last_item() {
        let body = Paging::Cursor {
            param: "cursor",
            cursor: CursorSource::Body("meta.next_cursor"),
            has_more: Some("meta.more"),
            size: Some(SIZE),
        };
        let s = slice_of(&body, &q(&[("cursor", "c2")]), &records(5)).unwrap();
        let next = continuation(&body, &s, 5, &[], "x");
        assert_eq!((s.range(5), next.cursor.as_deref()), (2..4, Some("c4")));
        let mut out = Out::Object(vec![("data".into(), Out::Array(vec![]))]);
        decorate(&body, &mut out, &next);
        assert_eq!(
            out.to_json(),
            r#"{"data":[],"meta":{"next_cursor":"c4","more":true}}"#
        );
        let since = Paging::Cursor {
            param: "since_id",
            cursor: CursorSource::LastItem("id"),
            has_more: None,
            size: Some(SIZE),
        };
        let s = slice_of(&since, &q(&[("since_id", "3")]), &records(5)).unwrap();
        assert_eq!(s.range(5), 3..5, "records after id 3");
        assert!(slice_of(&body, &q(&[("cursor", "zzz")]), &records(5)).is_err());
    }

    #[test]
    fn page_numbers_fall_back_to_defaults_and_are_capped() {
        let spec = crate::builtin::load("billomat").expect("spec");
        let paging = crate::testing::op(&spec, "clients", "list").paging;
        let w = |pairs: &[(&str, &str)]| slice_of(&paging, &q(pairs), &[]).expect("slice");
        assert_eq!(
            w(&[]),
            Slice {
                start: 0,
                limit: 100,
                page: Some((1, 100))
            }
        );
        assert_eq!(
            w(&[("page", "3"), ("per_page", "10")]),
            Slice {
                start: 20,
                limit: 10,
                page: Some((3, 10))
            }
        );
        assert_eq!(w(&[("per_page", "5000")]).limit, 1000);
        assert_eq!(w(&[("page", "0"), ("per_page", "x")]), w(&[]));
        let cloudspot = crate::builtin::load("cloudspot").expect("spec");
        let unpaged = crate::testing::op(&cloudspot, "artikels", "list").paging;
        assert_eq!(slice_of(&unpaged, &[], &[]).expect("slice").page, None);
    }

    #[test]
    fn link_headers() {
        let paging = Paging::NextLink {
            link: LinkSource::LinkHeader,
            size: None,
        };
        let next = Continuation {
            next_link: Some("/api/x?$skiptoken=50".into()),
            ..Continuation::default()
        };
        assert_eq!(
            link_header(&paging, &next).as_deref(),
            Some("</api/x?$skiptoken=50>; rel=\"next\"")
        );
    }
}
