//! List requests and responses (RFC 7644 §3.4.2, §3.4.3): the query parameters of `GET /Users`, the body of
//! `POST /.search`, and `ListResponse`.
//!
//! Both forms give the same [`ListQuery`] with the same validation: `filter` (400 invalidFilter), `startIndex`
//! below 1 read as 1 and `count` below 0 read as 0 (RFC 7644 §3.4.2.4), `count` above the maximum lowered to it,
//! `sortBy`/`sortOrder` (`crate::scim::sort`), `attributes`/`excludedAttributes` (`crate::scim::projection`).

use crate::scim::filter::{Filter, Limits};
use crate::scim::path::AttrPath;
use crate::scim::projection::Projection;
use crate::scim::sort::{self, SortOrder};
use crate::scim::{Error, ScimType};
use serde_json::{Value, json};

mod search;

#[cfg(test)]
mod tests;

pub use search::SEARCH_SCHEMA;

/// `schemas` URN of a list response.
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// The parsed query of a list request.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    /// `filter`, parsed.
    pub filter: Option<Filter>,
    /// 1-based index of the first result; values below 1 are read as 1 (RFC 7644 §3.4.2.4).
    pub start_index: u64,
    /// Largest number of results to return; negative values are read as 0, values above the maximum are lowered.
    pub count: u32,
    /// `sortBy`: the attribute to sort by, if any.
    pub sort_by: Option<AttrPath>,
    /// `sortOrder`; ascending unless given (meaningful only with `sort_by`).
    pub sort_order: SortOrder,
    /// `attributes` and `excludedAttributes`.
    pub projection: Projection,
}

impl ListQuery {
    /// The query of a request without parameters.
    pub fn new(max_count: u32) -> ListQuery {
        ListQuery {
            filter: None,
            start_index: 1,
            count: max_count,
            sort_by: None,
            sort_order: SortOrder::Ascending,
            projection: Projection::default(),
        }
    }

    /// Parse a URI query string (`+` and `%20` are both spaces, as IdPs send both). Parameter names ignore case.
    pub fn parse(query: Option<&str>, max_count: u32, limits: &Limits) -> Result<Self, Error> {
        let mut q = ListQuery::new(max_count);
        let (mut attributes, mut excluded) = (None, None);
        for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match key.to_ascii_lowercase().as_str() {
                "filter" => {
                    if q.filter.is_some() {
                        return Err(Error::bad_request(
                            ScimType::InvalidFilter,
                            "filter is given more than once",
                        ));
                    }
                    q.filter = Some(Filter::parse_with(value.trim(), limits)?);
                }
                "startindex" => q.set_start_index(parse_int(&value, "startIndex")?),
                "count" => q.set_count(parse_int(&value, "count")?, max_count),
                "sortby" => q.sort_by = Some(sort::parse_sort_by(&value)?),
                "sortorder" => q.sort_order = SortOrder::parse(&value)?,
                "attributes" => attributes = Some(value.into_owned()),
                "excludedattributes" => excluded = Some(value.into_owned()),
                _ => {}
            }
        }
        q.projection = Projection::parse(attributes.as_deref(), excluded.as_deref())?;
        Ok(q)
    }

    /// Parse the body of `POST /.search` (RFC 7644 §3.4.3); see `list/search.rs`.
    pub fn from_search(body: &Value, max_count: u32, limits: &Limits) -> Result<Self, Error> {
        search::parse(body, max_count, limits)
    }

    fn set_start_index(&mut self, n: i64) {
        // RFC 7644 §3.4.2.4: "A value less than 1 SHALL be interpreted as 1."
        self.start_index = n.max(1) as u64;
    }

    fn set_count(&mut self, n: i64, max_count: u32) {
        // RFC 7644 §3.4.2.4: "A negative value SHALL be interpreted as "0"."
        self.count = n.clamp(0, i64::from(max_count)) as u32;
    }
}

fn parse_int(text: &str, name: &str) -> Result<i64, Error> {
    text.trim().parse::<i64>().map_err(|_| {
        Error::bad_request(
            ScimType::InvalidValue,
            format!("{name} must be an integer, got {:?}", truncate(text)),
        )
    })
}

fn truncate(text: &str) -> String {
    text.chars().take(40).collect()
}

/// A `ListResponse` body.
pub fn response(resources: Vec<Value>, total: u64, start_index: u64) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}
