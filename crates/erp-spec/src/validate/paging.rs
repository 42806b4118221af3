//! Paging: the vendor's style and each list operation's override.
//!
//! Every style states what it needs and every key it does not use is an error: a spec that
//! names a cursor path for page-number paging would otherwise be accepted and then quietly
//! fetch one page.

use erp_descriptor::{CursorSource, LinkSource, PageSize, Paging};
use serde_saphyr::{Location, Spanned};

use super::Validator;
use crate::raw::RawPaging;
use erp_descriptor::intern;

#[derive(Clone, Copy, PartialEq)]
enum Style {
    None,
    PageNumber,
    OffsetLimit,
    NextLink,
    Cursor,
}

const STYLES: &[(&str, Style)] = &[
    ("none", Style::None),
    ("page_number", Style::PageNumber),
    ("offset_limit", Style::OffsetLimit),
    ("next_link", Style::NextLink),
    ("cursor", Style::Cursor),
];

/// The keys of a paging section that are set, with where.
fn set_keys(p: &RawPaging) -> Vec<(&'static str, Location)> {
    let s = |v: &Option<Spanned<String>>| v.as_ref().map(|v| v.referenced);
    let n = |v: &Option<Spanned<u64>>| v.as_ref().map(|v| v.referenced);
    [
        ("page_param", s(&p.page_param)),
        ("first_page", n(&p.first_page)),
        ("offset_param", s(&p.offset_param)),
        ("size_param", s(&p.size_param)),
        ("default_size", n(&p.default_size)),
        ("max_size", n(&p.max_size)),
        ("next_link", s(&p.next_link)),
        ("link_header", p.link_header.as_ref().map(|v| v.referenced)),
        ("cursor_param", s(&p.cursor_param)),
        ("cursor_path", s(&p.cursor_path)),
        ("cursor_field", s(&p.cursor_field)),
        ("has_more", s(&p.has_more)),
        ("fixed_size", n(&p.fixed_size)),
        ("concurrency", n(&p.concurrency)),
    ]
    .into_iter()
    .filter_map(|(k, at)| at.map(|at| (k, at)))
    .collect()
}

/// The keys each style may use.
fn allowed(style: Style) -> &'static [&'static str] {
    const SIZE: [&str; 3] = ["size_param", "default_size", "max_size"];
    match style {
        Style::None => &[],
        Style::PageNumber => &[
            "page_param",
            "first_page",
            SIZE[0],
            SIZE[1],
            SIZE[2],
            "concurrency",
        ],
        Style::OffsetLimit => &["offset_param", SIZE[0], SIZE[1], SIZE[2], "concurrency"],
        Style::NextLink => &[
            "next_link",
            "link_header",
            SIZE[0],
            SIZE[1],
            SIZE[2],
            "fixed_size",
        ],
        Style::Cursor => &[
            "cursor_param",
            "cursor_path",
            "cursor_field",
            "has_more",
            SIZE[0],
            SIZE[1],
            SIZE[2],
            "fixed_size",
        ],
    }
}

impl Validator {
    /// A paging section (the vendor's, or an operation's with `here` naming it).
    pub(super) fn paging(&mut self, raw: &Spanned<RawPaging>, here: &str) -> Paging {
        let p = &raw.value;
        let Some(style) = self.choice("paging style", &p.style, STYLES) else {
            return Paging::None;
        };
        let name = &p.style.value;
        for (key, at) in set_keys(p) {
            if !allowed(style).contains(&key) {
                self.err(
                    &at,
                    format!("{here}`{key}` is not used by paging style `{name}`; remove it or choose the style that uses it"),
                );
            }
        }
        let at = p.style.referenced;
        match style {
            Style::None => Paging::None,
            Style::PageNumber => Paging::PageNumber {
                page_param: self.paging_text(here, name, "page_param", &p.page_param, &at),
                first_page: p.first_page.as_ref().map_or(1, |f| f.value),
                size: self.required_size(here, name, p, &at),
                concurrency: self.concurrency(here, p),
            },
            Style::OffsetLimit => Paging::OffsetLimit {
                offset_param: self.paging_text(here, name, "offset_param", &p.offset_param, &at),
                size: self.required_size(here, name, p, &at),
                concurrency: self.concurrency(here, p),
            },
            Style::NextLink => {
                let header = p.link_header.as_ref().is_some_and(|h| h.value);
                let link = match (&p.next_link, header) {
                    (Some(path), false) => LinkSource::Body(self.dotted(here, path)),
                    (None, true) => LinkSource::LinkHeader,
                    (Some(path), true) => {
                        self.err(
                            &path.referenced,
                            format!("{here}paging style `next_link` takes the link from the body (`next_link`) or from the `Link` header (`link_header: true`), not both"),
                        );
                        LinkSource::LinkHeader
                    }
                    (None, false) => {
                        self.err(
                            &at,
                            format!("{here}paging style `next_link` needs `next_link` (a dotted path of the body, e.g. `d.__next`) or `link_header: true`"),
                        );
                        LinkSource::LinkHeader
                    }
                };
                Paging::NextLink {
                    link,
                    size: self.optional_size(here, p),
                }
            }
            Style::Cursor => {
                let cursor = match (&p.cursor_path, &p.cursor_field) {
                    (Some(path), None) => CursorSource::Body(self.dotted(here, path)),
                    (None, Some(field)) => CursorSource::LastItem(self.dotted(here, field)),
                    (Some(path), Some(_)) => {
                        self.err(
                            &path.referenced,
                            format!("{here}paging style `cursor` reads the cursor from the body (`cursor_path`) or from the last item (`cursor_field`), not both"),
                        );
                        CursorSource::Body("")
                    }
                    (None, None) => {
                        self.err(
                            &at,
                            format!("{here}paging style `cursor` needs `cursor_path` (a dotted path of the body, e.g. `meta.next_cursor`) or `cursor_field` (a field of the last item, e.g. `id`)"),
                        );
                        CursorSource::Body("")
                    }
                };
                Paging::Cursor {
                    param: self.paging_text(here, name, "cursor_param", &p.cursor_param, &at),
                    cursor,
                    has_more: p.has_more.as_ref().map(|h| self.dotted(here, h)),
                    size: self.optional_size(here, p),
                }
            }
        }
    }

    fn paging_text(
        &mut self,
        here: &str,
        style: &str,
        key: &str,
        value: &Option<Spanned<String>>,
        at: &Location,
    ) -> &'static str {
        match value {
            Some(v) if !v.value.trim().is_empty() => intern(&v.value),
            Some(v) => {
                self.err(&v.referenced, format!("{here}`{key}` must not be empty"));
                ""
            }
            None => {
                self.err(at, format!("{here}paging style `{style}` needs `{key}`"));
                ""
            }
        }
    }

    /// A dotted path (`d.__next`) with no empty segment.
    fn dotted(&mut self, here: &str, path: &Spanned<String>) -> &'static str {
        if path.value.is_empty() || path.value.split('.').any(str::is_empty) {
            self.err(
                &path.referenced,
                format!(
                    "{here}`{}` is not a dotted path like `meta.next_cursor`",
                    path.value
                ),
            );
        }
        intern(&path.value)
    }

    /// Pages in flight at once; a vendor's rate budget decides it, so it stays modest.
    fn concurrency(&mut self, here: &str, p: &RawPaging) -> u16 {
        const MAX: u64 = 32;
        let Some(n) = &p.concurrency else {
            return 1;
        };
        if n.value > 1 {
            self.concurrency_at.push((n.referenced, here.to_owned()));
        }
        if !(1..=MAX).contains(&n.value) {
            self.err(
                &n.referenced,
                format!("{here}`concurrency` must be between 1 and {MAX} (pages fetched at once), not {}", n.value),
            );
        }
        n.value.clamp(1, MAX) as u16
    }

    /// Pages at once need the total from the first page: without it no later page can be
    /// named before it arrives, and the setting would quietly do nothing.
    pub(super) fn concurrency_needs_total(&mut self, envelope: &crate::ir::Envelope) {
        use erp_descriptor::ListEnvelope;
        let reports_total = match envelope.list {
            ListEnvelope::DataField { total, .. } | ListEnvelope::ResourceRoot { total, .. } => {
                total.is_some()
            }
            ListEnvelope::OData => true,
            ListEnvelope::AnyRoot | ListEnvelope::Bare => false,
        };
        if reports_total {
            return;
        }
        for (at, here) in std::mem::take(&mut self.concurrency_at) {
            self.err(&at, format!("{here}`concurrency` needs the list envelope to report the total (`envelope.list.total`): only then are the later pages known before they arrive"));
        }
    }

    fn required_size(&mut self, here: &str, style: &str, p: &RawPaging, at: &Location) -> PageSize {
        match self.optional_size(here, p) {
            Some(size) => size,
            None => {
                // The engine knows a page is the last one only by comparing its length with the
                // size it asked for: without one it could stop early or never.
                self.err(at, format!("{here}paging style `{style}` needs `size_param` (the query parameter that sets the page size)"));
                PageSize {
                    param: "",
                    default: 1,
                    max: 1,
                }
            }
        }
    }

    fn optional_size(&mut self, here: &str, p: &RawPaging) -> Option<PageSize> {
        if let Some(fixed) = &p.fixed_size {
            // The vendor's own page size, with no parameter to change it: the engine sends
            // nothing and knows a short page is the last one.
            if let Some(param) = &p.size_param {
                self.err(&param.referenced, format!("{here}`fixed_size` is for vendors that take no size parameter; remove `size_param` (or `fixed_size`)"));
            }
            for (key, v) in [("default_size", &p.default_size), ("max_size", &p.max_size)] {
                if let Some(v) = v {
                    self.err(
                        &v.referenced,
                        format!("{here}`{key}` does not apply with `fixed_size`"),
                    );
                }
            }
            if fixed.value == 0 {
                self.err(
                    &fixed.referenced,
                    format!("{here}`fixed_size` must be at least 1"),
                );
            }
            return Some(PageSize::fixed(fixed.value.max(1)));
        }
        let Some(param) = &p.size_param else {
            for (key, v) in [("default_size", &p.default_size), ("max_size", &p.max_size)] {
                if let Some(v) = v {
                    self.err(&v.referenced, format!("{here}`{key}` needs `size_param`"));
                }
            }
            return None;
        };
        let default = p.default_size.as_ref().map_or(100, |s| s.value);
        let max = p.max_size.as_ref().map_or(default, |s| s.value);
        if let Some(m) = p.max_size.as_ref().filter(|m| m.value == 0) {
            self.err(&m.referenced, format!("{here}max_size must be at least 1"));
        }
        if let Some(d) = p
            .default_size
            .as_ref()
            .filter(|d| d.value == 0 || d.value > max)
        {
            self.err(
                &d.referenced,
                format!(
                    "{here}default_size {} must be between 1 and max_size {max}",
                    d.value
                ),
            );
        }
        if param.value.trim().is_empty() {
            self.err(
                &param.referenced,
                format!("{here}`size_param` must not be empty"),
            );
        }
        Some(PageSize {
            param: intern(&param.value),
            default,
            max: max.max(1),
        })
    }
}
