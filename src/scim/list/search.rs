//! The `/.search` request body (RFC 7644 §3.4.3): a `SearchRequest` message carrying the list parameters as JSON.
//!
//! RFC 7644 §3.4.3 lists `attributes` and `excludedAttributes` as "A multi-valued list of strings", `filter`,
//! `sortBy`, `sortOrder` as strings, `startIndex` and `count` as integers. A body that is not an object, lacks the
//! SearchRequest URN in `schemas` or has a member of the wrong JSON type is `400 invalidSyntax` ("The request body
//! message structure was invalid", Table 9, applicable to POST Search). Values get the same checks as query
//! parameters. Leniencies: member names ignore case; integers sent as strings and comma-separated strings for the
//! attribute lists are accepted.

use super::{ListQuery, parse_int};
use crate::scim::filter::{Filter, Limits};
use crate::scim::json::member;
use crate::scim::projection::Projection;
use crate::scim::sort::{self, SortOrder};
use crate::scim::{Error, ScimType};
use serde_json::{Map, Value};

/// `schemas` URN of a search request.
pub const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

pub(super) fn parse(body: &Value, max_count: u32, limits: &Limits) -> Result<ListQuery, Error> {
    let obj = body
        .as_object()
        .ok_or_else(|| syntax("the search request must be a JSON object"))?;
    let schemas_ok = member(obj, "schemas").and_then(Value::as_array).is_some_and(|s| {
        s.iter()
            .any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(SEARCH_SCHEMA)))
    });
    if !schemas_ok {
        return Err(syntax(&format!("schemas must contain {SEARCH_SCHEMA}")));
    }
    let mut q = ListQuery::new(max_count);
    if let Some(f) = string(obj, "filter")? {
        q.filter = Some(Filter::parse_with(f.trim(), limits)?);
    }
    if let Some(n) = integer(obj, "startIndex")? {
        q.set_start_index(n);
    }
    if let Some(n) = integer(obj, "count")? {
        q.set_count(n, max_count);
    }
    if let Some(by) = string(obj, "sortBy")? {
        q.sort_by = Some(sort::parse_sort_by(by)?);
    }
    if let Some(order) = string(obj, "sortOrder")? {
        q.sort_order = SortOrder::parse(order)?;
    }
    q.projection = Projection::from_lists(&names(obj, "attributes")?, &names(obj, "excludedAttributes")?)?;
    Ok(q)
}

fn syntax(detail: &str) -> Error {
    Error::bad_request(ScimType::InvalidSyntax, detail)
}

fn string<'v>(obj: &'v Map<String, Value>, name: &str) -> Result<Option<&'v str>, Error> {
    match member(obj, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(syntax(&format!("{name} must be a string"))),
    }
}

fn integer(obj: &Map<String, Value>, name: &str) -> Result<Option<i64>, Error> {
    match member(obj, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| Error::bad_request(ScimType::InvalidValue, format!("{name} must be an integer, got {n}"))),
        Some(Value::String(s)) => parse_int(s, name).map(Some),
        Some(_) => Err(syntax(&format!("{name} must be an integer"))),
    }
}

fn names(obj: &Map<String, Value>, name: &str) -> Result<Vec<String>, Error> {
    match member(obj, name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| syntax(&format!("{name} must be an array of strings")))
            })
            .collect(),
        Some(Value::String(s)) => Ok(s
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect()),
        Some(_) => Err(syntax(&format!("{name} must be an array of strings"))),
    }
}
