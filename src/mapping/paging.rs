//! Product paging styles, and SCIM windows (`startIndex`, `count`, RFC 7644 §3.4.2.4) expressed in them.

use super::MappingError;
use super::pointer::Pointer;
use serde_json::Value;

/// How the product pages its listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Style {
    /// `?page=<1-based>&per_page=<size>`.
    Page {
        /// Page-number parameter.
        page: String,
        /// Page-size parameter.
        size: String,
    },
    /// `?offset=<0-based>&limit=<size>`.
    Offset {
        /// Offset parameter.
        offset: String,
        /// Limit parameter.
        limit: String,
    },
    /// `?cursor=<from the previous answer>&limit=<size>`; the first page has no cursor.
    Cursor {
        /// Cursor parameter.
        cursor: String,
        /// Page-size parameter.
        size: String,
        /// Where the next cursor is in an answer (null or absent on the last page).
        next: Pointer,
    },
    /// The first page is `?limit=<size>`; each answer links to the next page.
    NextLink {
        /// Page-size parameter.
        size: String,
        /// Where the next page's URL is in an answer (null or absent on the last page).
        next: Pointer,
    },
    /// The product returns everything at once.
    None,
}

/// Where the product reports how many objects a listing has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Total {
    /// In the body, at a pointer.
    Pointer(Pointer),
    /// In a response header (`X-Total-Count`).
    Header(http::HeaderName),
    /// Nowhere: the gateway counts by reading the whole listing.
    Count,
}

/// Paging of one product listing.
#[derive(Debug, Clone)]
pub struct Paging {
    /// The style.
    pub style: Style,
    /// Largest page the product serves.
    pub max_size: u32,
    /// Where the array of objects is.
    pub items: Pointer,
    /// Where the total is.
    pub total: Total,
}

/// One product request of a window: the query and which of its items belong to the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Query parameters for this page.
    pub query: Vec<(String, String)>,
    /// Items of the answer to skip before the window starts.
    pub skip: usize,
    /// Page size asked for; an answer with fewer items is the last page.
    pub size: u32,
}

/// What comes after a page of a sequential (cursor or next-link) listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Query parameters for the list endpoint.
    Query(Vec<(String, String)>),
    /// A URL given by the product.
    Link(String),
    /// This was the last page.
    End,
}

impl Paging {
    /// Whether any page can be asked for directly (page and offset styles), rather than by walking from the first.
    pub fn random_access(&self) -> bool {
        matches!(self.style, Style::Page { .. } | Style::Offset { .. })
    }

    /// Whether pages are walked by cursor or link.
    pub fn sequential(&self) -> bool {
        matches!(self.style, Style::Cursor { .. } | Style::NextLink { .. })
    }

    /// The request for the page that holds 0-based item `offset`, when the caller wants `want` items from there.
    /// For page-number styles a page size is chosen so that `offset` falls on a page boundary when it can.
    /// Sequential styles always start at the first page, skipping nothing: walk them with [`Paging::next`].
    pub fn request_at(&self, offset: u64, want: u32) -> PageRequest {
        let want = want.clamp(1, self.max_size.max(1));
        match &self.style {
            Style::None => PageRequest {
                query: Vec::new(),
                skip: offset as usize,
                size: u32::MAX,
            },
            Style::Offset { offset: o, limit } => PageRequest {
                query: vec![(o.clone(), offset.to_string()), (limit.clone(), want.to_string())],
                skip: 0,
                size: want,
            },
            Style::Cursor { size, .. } | Style::NextLink { size, .. } => PageRequest {
                query: vec![(size.clone(), self.max_size.to_string())],
                skip: 0,
                size: self.max_size,
            },
            Style::Page { page, size } => {
                // Aligned: one page of exactly `want` items. Otherwise the largest page size, skipping into it.
                let page_size = if offset.is_multiple_of(u64::from(want)) {
                    want
                } else {
                    self.max_size.max(1)
                };
                let number = offset / u64::from(page_size) + 1;
                let skip = (offset % u64::from(page_size)) as usize;
                PageRequest {
                    query: vec![
                        (page.clone(), number.to_string()),
                        (size.clone(), page_size.to_string()),
                    ],
                    skip,
                    size: page_size,
                }
            }
        }
    }

    /// The page after `body` in a sequential listing.
    pub fn next(&self, body: &Value) -> Next {
        let found = |p: &Pointer| match p.get(body) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        match &self.style {
            Style::Cursor { cursor, size, next } => match found(next) {
                Some(c) => Next::Query(vec![(cursor.clone(), c), (size.clone(), self.max_size.to_string())]),
                None => Next::End,
            },
            Style::NextLink { next, .. } => found(next).map_or(Next::End, Next::Link),
            _ => Next::End,
        }
    }

    /// The objects of one listing answer.
    pub fn items(&self, body: &Value) -> Result<Vec<Value>, MappingError> {
        match self.items.get(body) {
            Some(Value::Array(items)) => Ok(items.clone()),
            _ => Err(MappingError::ProductShape(format!(
                "the listing has no array at {:?}",
                self.items.as_str()
            ))),
        }
    }

    /// Where the total is, as written, for messages.
    pub fn total_source(&self) -> String {
        match &self.total {
            Total::Pointer(p) => format!("pointer {:?}", p.as_str()),
            Total::Header(h) => format!("header {h}"),
            Total::Count => "counting".into(),
        }
    }

    /// Whether the product reports a total (else the gateway counts).
    pub fn reports_total(&self) -> bool {
        !matches!(self.total, Total::Count)
    }

    /// The total the product reports, if it does.
    pub fn total(&self, body: &Value, headers: &http::HeaderMap) -> Option<u64> {
        match &self.total {
            Total::Pointer(pointer) => match pointer.get(body)? {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            },
            Total::Header(name) => headers.get(name)?.to_str().ok()?.trim().parse().ok(),
            Total::Count => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_style(max: u32) -> Paging {
        Paging {
            style: Style::Page {
                page: "page".into(),
                size: "per_page".into(),
            },
            max_size: max,
            items: Pointer::parse("/data").unwrap(),
            total: Total::Pointer(Pointer::parse("/meta/total").unwrap()),
        }
    }

    #[test]
    fn aligned_window_is_one_page_of_the_asked_size() {
        let r = page_style(200).request_at(100, 50);
        assert_eq!(
            r.query,
            vec![("page".into(), "3".into()), ("per_page".into(), "50".into())]
        );
        assert_eq!(r.skip, 0);
    }

    #[test]
    fn unaligned_window_skips_into_a_max_size_page() {
        let r = page_style(100).request_at(4, 10);
        assert_eq!(
            r.query,
            vec![("page".into(), "1".into()), ("per_page".into(), "100".into())]
        );
        assert_eq!(r.skip, 4);
        let r = page_style(100).request_at(104, 10);
        assert_eq!(r.query[0].1, "2");
        assert_eq!(r.skip, 4);
    }

    #[test]
    fn count_is_capped_at_the_product_maximum() {
        let r = page_style(100).request_at(0, 500);
        assert_eq!(r.query[1].1, "100");
    }

    #[test]
    fn offset_style_passes_offset_and_limit() {
        let p = Paging {
            style: Style::Offset {
                offset: "offset".into(),
                limit: "limit".into(),
            },
            ..page_style(50)
        };
        let r = p.request_at(7, 20);
        assert_eq!(
            r.query,
            vec![("offset".into(), "7".into()), ("limit".into(), "20".into())]
        );
    }

    #[test]
    fn reads_items_and_total() {
        let body = serde_json::json!({"data": [{"id": 1}], "meta": {"total": "12"}});
        let p = page_style(10);
        assert_eq!(p.items(&body).unwrap().len(), 1);
        assert_eq!(p.total(&body, &http::HeaderMap::new()), Some(12));
        assert!(p.items(&serde_json::json!({"data": {}})).is_err());
    }

    #[test]
    fn total_from_a_header() {
        let p = Paging {
            total: Total::Header(http::HeaderName::from_static("x-total-count")),
            ..page_style(10)
        };
        let mut headers = http::HeaderMap::new();
        headers.insert("x-total-count", http::HeaderValue::from_static("42"));
        assert_eq!(p.total(&serde_json::json!([]), &headers), Some(42));
        assert_eq!(p.total(&serde_json::json!([]), &http::HeaderMap::new()), None);
    }

    #[test]
    fn cursor_style_walks_by_the_next_cursor() {
        let p = Paging {
            style: Style::Cursor {
                cursor: "cursor".into(),
                size: "limit".into(),
                next: Pointer::parse("/next_cursor").unwrap(),
            },
            total: Total::Count,
            ..page_style(100)
        };
        assert!(!p.random_access() && p.sequential());
        assert_eq!(p.request_at(0, 5).query, vec![("limit".into(), "100".into())]);
        assert_eq!(
            p.next(&serde_json::json!({"next_cursor": "abc"})),
            Next::Query(vec![("cursor".into(), "abc".into()), ("limit".into(), "100".into())])
        );
        assert_eq!(p.next(&serde_json::json!({"next_cursor": null})), Next::End);
    }

    #[test]
    fn next_link_style_follows_the_link() {
        let p = Paging {
            style: Style::NextLink {
                size: "limit".into(),
                next: Pointer::parse("/links/next").unwrap(),
            },
            ..page_style(100)
        };
        assert_eq!(
            p.next(&serde_json::json!({"links": {"next": "/api/users?after=9"}})),
            Next::Link("/api/users?after=9".into())
        );
        assert_eq!(p.next(&serde_json::json!({"links": {}})), Next::End);
    }
}
