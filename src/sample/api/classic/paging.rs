//! Page-number paging of the classic shape's list answers.
//!
//! `page` is 1-based (default 1); `per_page` defaults to [`DEFAULT_PER_PAGE`] and may not exceed [`MAX_PER_PAGE`].
//! A list answer is `{"data": [...], "meta": {"page", "per_page", "total"}}`, where `total` counts every match, not
//! just the page. A page past the end is empty, not an error.

use serde_json::{Value, json};

use crate::sample::api::query::Query;
use crate::sample::error::ApiError;

/// `per_page` when the client does not say.
pub const DEFAULT_PER_PAGE: u64 = 50;

/// The largest `per_page` the product accepts.
pub const MAX_PER_PAGE: u64 = 200;

/// One validated page request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    page: u64,
    per_page: u64,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

impl Page {
    /// Reads the `page` and `per_page` parameters; absent ones take their defaults.
    pub fn parse(query: &Query) -> Result<Self, ApiError> {
        Ok(Page {
            page: query.number("page", 1, 1..=u64::MAX)?,
            per_page: query.number("per_page", DEFAULT_PER_PAGE, 1..=MAX_PER_PAGE)?,
        })
    }

    /// Renders the items of this page out of all `items` (already filtered and ordered), with the total count.
    pub fn render<T>(self, items: impl Iterator<Item = T>, mut render: impl FnMut(T) -> Value) -> Value {
        // A page number so large that the offset overflows is simply past the end.
        let start = (self.page - 1).saturating_mul(self.per_page);
        let end = start.saturating_add(self.per_page);
        let mut total: u64 = 0;
        let mut data = Vec::new();
        for item in items {
            if (start..end).contains(&total) {
                data.push(render(item));
            }
            total += 1;
        }
        json!({"data": data, "meta": {"page": self.page, "per_page": self.per_page, "total": total}})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(raw: &str) -> Result<Page, ApiError> {
        Page::parse(&Query::parse(Some(raw), &["page", "per_page"])?)
    }

    #[test]
    fn parameters_are_validated() {
        assert_eq!(page(""), Ok(Page::default()));
        assert!(page("per_page=200").is_ok());
        for bad in ["page=0", "page=-1", "per_page=201", "per_page=0", "page=one"] {
            assert!(matches!(page(bad), Err(ApiError::Invalid(_))), "{bad} was accepted");
        }
    }

    #[test]
    fn total_counts_all_matches_and_pages_slice() {
        let second = page("page=2&per_page=3").expect("valid").render(1..=7, |n| json!(n));
        assert_eq!(
            second,
            json!({"data": [4, 5, 6], "meta": {"page": 2, "per_page": 3, "total": 7}})
        );
        let past = page("page=99999999999999999")
            .expect("valid")
            .render(1..=7, |n| json!(n));
        assert_eq!((&past["data"], &past["meta"]["total"]), (&json!([]), &json!(7)));
    }
}
