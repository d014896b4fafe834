//! Page-number paging of the sample product's list answers.
//!
//! `page` is 1-based (default 1); `per_page` defaults to [`DEFAULT_PER_PAGE`] and may not exceed [`MAX_PER_PAGE`].
//! A list answer is `{"data": [...], "meta": {"page", "per_page", "total"}}`, where `total` counts every match, not
//! just the page. A page past the end is empty, not an error.

use serde_json::{Value, json};

use super::positive_int;
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
    /// Parses the `page` and `per_page` query values; absent ones take their defaults.
    pub fn parse(page: Option<&str>, per_page: Option<&str>) -> Result<Self, ApiError> {
        let mut parsed = Page::default();
        if let Some(text) = page {
            parsed.page = positive_int(text)
                .ok_or_else(|| ApiError::Invalid(format!("`page` must be a positive integer, not {text:?}")))?;
        }
        if let Some(text) = per_page {
            parsed.per_page = positive_int(text).filter(|n| *n <= MAX_PER_PAGE).ok_or_else(|| {
                ApiError::Invalid(format!(
                    "`per_page` must be an integer from 1 to {MAX_PER_PAGE}, not {text:?}"
                ))
            })?;
        }
        Ok(parsed)
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
