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
    /// The product returns everything at once.
    None,
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
    /// Where the total is, if the product reports one.
    pub total: Option<Pointer>,
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

impl Paging {
    /// The request for the page that holds 0-based item `offset`, when the caller wants `want` items from there.
    /// For page-number styles a page size is chosen so that `offset` falls on a page boundary when it can.
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

    /// The pointer of the total, as written, for messages.
    pub fn total_pointer(&self) -> &str {
        self.total.as_ref().map_or("", Pointer::as_str)
    }

    /// The total the product reports, if it does.
    pub fn total(&self, body: &Value) -> Option<u64> {
        let pointer = self.total.as_ref()?;
        match pointer.get(body)? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
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
            total: Some(Pointer::parse("/meta/total").unwrap()),
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
        assert_eq!(p.total(&body), Some(12));
        assert!(p.items(&serde_json::json!({"data": {}})).is_err());
    }
}
