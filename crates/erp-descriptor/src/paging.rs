//! How a list is fetched page after page.

/// The query parameter that sets the page size, with the vendor's default and maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageSize {
    /// The parameter; empty for a [fixed](PageSize::fixed) size the vendor chooses itself.
    pub param: &'static str,
    /// Size sent when the client configures none.
    pub default: u64,
    /// Largest size the vendor honours; a configured size is clamped to it.
    pub max: u64,
}

impl PageSize {
    /// The vendor's own page size, with no parameter to change it (Spreedly's 50
    /// transactions): nothing is sent, and a shorter page is the last one.
    pub const fn fixed(size: u64) -> Self {
        PageSize {
            param: "",
            default: size,
            max: size,
        }
    }

    /// Whether the size is the vendor's own, with no parameter.
    pub fn is_fixed(&self) -> bool {
        self.param.is_empty()
    }
}

/// Where the link to the next page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkSource {
    /// A dotted path of the list body (`d.__next`, `links.next`).
    Body(&'static str),
    /// The `Link: <...>; rel="next"` response header (RFC 8288).
    LinkHeader,
}

/// Where the cursor for the next page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CursorSource {
    /// A dotted path of the list body (`additional_data.next_cursor`, `meta.next_cursor`).
    Body(&'static str),
    /// A field of the last item of the page (`id` for `since_id` paging).
    LastItem(&'static str),
}

/// The paging style of one list operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Paging {
    /// The whole list comes in one answer.
    None,
    /// `?<page_param>=1&<size>=100`, then 2, 3, ...
    PageNumber {
        page_param: &'static str,
        first_page: u64,
        size: PageSize,
        /// Pages fetched at once once the first page reported a total (1: one after another).
        concurrency: u16,
    },
    /// `?<offset_param>=0&<limit>=100`, then 100, 200, ... (the offset advances by the items
    /// actually received, so a vendor that sends fewer never makes the client skip any).
    OffsetLimit {
        offset_param: &'static str,
        size: PageSize,
        /// Pages fetched at once once the first page reported a total (1: one after another).
        concurrency: u16,
    },
    /// Follow the next link until there is none.
    NextLink {
        link: LinkSource,
        size: Option<PageSize>,
    },
    /// Send `?<param>=<cursor>` until the vendor gives no cursor, or says `has_more: false`.
    Cursor {
        param: &'static str,
        cursor: CursorSource,
        /// A dotted path of the body to a boolean "more pages follow".
        has_more: Option<&'static str>,
        size: Option<PageSize>,
    },
}

impl Paging {
    /// The page-size parameter of the style, if it has one.
    pub fn size(&self) -> Option<PageSize> {
        match *self {
            Paging::None => None,
            Paging::PageNumber { size, .. } | Paging::OffsetLimit { size, .. } => Some(size),
            Paging::NextLink { size, .. } | Paging::Cursor { size, .. } => size,
        }
    }

    /// The query parameters the paging engine sets on every page (an operation must not
    /// declare them itself).
    pub fn query_params(&self) -> Vec<&'static str> {
        let own = match *self {
            Paging::None | Paging::NextLink { .. } => None,
            Paging::PageNumber { page_param, .. } => Some(page_param),
            Paging::OffsetLimit { offset_param, .. } => Some(offset_param),
            Paging::Cursor { param, .. } => Some(param),
        };
        own.into_iter()
            .chain(self.size().filter(|s| !s.is_fixed()).map(|s| s.param))
            .collect()
    }

    /// How many pages the vendor's spec lets the client fetch at once when the first page
    /// reported the total: only page-number and offset paging can name later pages before
    /// they arrive, so every other style says 1.
    pub fn concurrency(&self) -> u16 {
        match *self {
            Paging::PageNumber { concurrency, .. } | Paging::OffsetLimit { concurrency, .. } => {
                concurrency.max(1)
            }
            _ => 1,
        }
    }

    /// Whether the list comes page by page.
    pub fn is_paged(&self) -> bool {
        *self != Paging::None
    }
}
