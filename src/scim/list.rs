//! List requests and responses (RFC 7644 §3.4.2): the query parameters of `GET /Users`, and `ListResponse`.

use crate::scim::filter::{Filter, Limits};
use crate::scim::{Error, ScimType};
use serde_json::{Value, json};

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
}

impl ListQuery {
    /// Parse a URI query string (`+` and `%20` are both spaces, as IdPs send both).
    pub fn parse(query: Option<&str>, max_count: u32, limits: &Limits) -> Result<Self, Error> {
        let mut q = ListQuery {
            filter: None,
            start_index: 1,
            count: max_count,
        };
        for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match key.as_ref() {
                k if k.eq_ignore_ascii_case("filter") => {
                    if q.filter.is_some() {
                        return Err(Error::bad_request(
                            ScimType::InvalidFilter,
                            "filter is given more than once",
                        ));
                    }
                    q.filter = Some(Filter::parse_with(value.trim(), limits)?);
                }
                k if k.eq_ignore_ascii_case("startIndex") => {
                    q.start_index = parse_int(&value, "startIndex")?.max(1) as u64;
                }
                k if k.eq_ignore_ascii_case("count") => {
                    q.count = parse_int(&value, "count")?.clamp(0, i64::from(max_count)) as u32;
                }
                _ => {}
            }
        }
        Ok(q)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Result<ListQuery, Error> {
        ListQuery::parse(Some(q), 100, &Limits::default())
    }

    #[test]
    fn defaults_when_absent() {
        let q = ListQuery::parse(None, 100, &Limits::default()).unwrap();
        assert_eq!((q.start_index, q.count, q.filter), (1, 100, None));
    }

    #[test]
    fn plus_and_percent_encoded_spaces_both_decode() {
        let a = parse("filter=userName+eq+%22a%2Bb%40x.com%22").unwrap();
        let b = parse("filter=userName%20eq%20%22a%2Bb%40x.com%22").unwrap();
        assert_eq!(a.filter, b.filter);
        assert_eq!(a.filter.unwrap().to_string(), r#"userName eq "a+b@x.com""#);
    }

    #[test]
    fn start_index_below_one_is_one_and_negative_count_is_zero() {
        let q = parse("startIndex=-5&count=-1").unwrap();
        assert_eq!((q.start_index, q.count), (1, 0));
    }

    #[test]
    fn count_is_lowered_to_the_maximum() {
        assert_eq!(parse("count=100000").unwrap().count, 100);
    }

    #[test]
    fn bad_numbers_and_filters_are_400() {
        assert_eq!(parse("count=ten").unwrap_err().scim_type, Some(ScimType::InvalidValue));
        assert_eq!(
            parse("filter=userName+eq").unwrap_err().scim_type,
            Some(ScimType::InvalidFilter)
        );
    }

    #[test]
    fn response_has_rfc_members() {
        let r = response(vec![json!({"id": "1"})], 7, 3);
        assert_eq!(r["schemas"][0], LIST_SCHEMA);
        assert_eq!(
            (
                r["totalResults"].as_u64(),
                r["startIndex"].as_u64(),
                r["itemsPerPage"].as_u64()
            ),
            (Some(7), Some(3), Some(1))
        );
    }
}
