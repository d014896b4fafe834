//! Reading a product listing in the product's paging style: one SCIM window when the product can serve it
//! directly, or the whole (filtered) listing within the scan limit, never silently partial.

use super::MappingError;
use super::api::{Api, ProductId};
use super::endpoint::Endpoint;
use super::paging::{Next, Paging};
use crate::scim::{Error, ScimType};
use serde_json::Value;

/// A listing: the endpoint it is read from, and how it pages.
#[derive(Debug, Clone, Copy)]
pub struct Source<'s> {
    /// Paging style and pointers.
    pub paging: &'s Paging,
    /// The list call.
    pub endpoint: &'s Endpoint,
    /// The id in the call's path (a team's member listing).
    pub id: Option<&'s ProductId>,
}

impl<'s> Source<'s> {
    /// The resource's own listing.
    pub fn of(api: &Api<'s>) -> Self {
        let res = api.resource();
        Source {
            paging: &res.paging,
            endpoint: &res.endpoints.list,
            id: None,
        }
    }

    /// The resource's listing for these filter parameters: its `search` endpoint when it has one and there are
    /// parameters, else its `list`.
    pub fn for_query(api: &Api<'s>, query: &[(String, String)]) -> Self {
        let res = api.resource();
        let endpoint = match &res.endpoints.search {
            Some(search) if !query.is_empty() => search,
            _ => &res.endpoints.list,
        };
        Source {
            paging: &res.paging,
            endpoint,
            id: None,
        }
    }
}

/// Objects of a window and the listing's total.
#[derive(Debug)]
pub struct Window {
    /// The objects, in product order.
    pub objects: Vec<Value>,
    /// The listing's total.
    pub total: u64,
}

/// `count` objects from 0-based `offset` through the product's own paging, when the product reports a total;
/// `None` when the listing must be scanned instead (no total).
pub async fn window(
    api: &Api<'_>,
    source: Source<'_>,
    query: &[(String, String)],
    offset: u64,
    count: u32,
) -> Result<Option<Window>, Error> {
    let paging = source.paging;
    if !paging.reports_total() {
        return Ok(None);
    }
    if paging.sequential() {
        // Walk from the first page; the total comes with it.
        let mut total = None;
        let objects = walk(
            api,
            source,
            query,
            Some(offset as usize + count as usize),
            usize::MAX,
            &mut total,
        )
        .await?;
        let total = total.ok_or_else(|| no_total(paging))?;
        let objects = objects.into_iter().skip(offset as usize).take(count as usize).collect();
        return Ok(Some(Window { objects, total }));
    }
    let mut out = Vec::new();
    let mut at = offset;
    let mut total = None;
    loop {
        let want = (count as usize - out.len()).max(1) as u32;
        let page = paging.request_at(at, want);
        let (body, headers) = api
            .list_at(source.endpoint, source.id, &[query, &page.query].concat())
            .await?;
        let items = paging.items(&body)?;
        total = total.or(paging.total(&body, &headers));
        let served = items.len();
        let end = at - page.skip as u64 + served as u64;
        let before = out.len();
        out.extend(items.into_iter().skip(page.skip).take(count as usize - before));
        let added = out.len() - before;
        if out.len() >= count as usize || ends_listing(paging.max_size, served, page.size, end, total)? || added == 0 {
            break;
        }
        at += added as u64;
    }
    let total = total.ok_or_else(|| no_total(paging))?;
    Ok(Some(Window { objects: out, total }))
}

fn no_total(paging: &Paging) -> Error {
    MappingError::ProductShape(format!("the listing has no total at {}", paging.total_source())).into()
}

/// Every object of the listing (with these query parameters), refusing to read more than `limit`; `what` names
/// the objects in the error.
pub async fn scan(
    api: &Api<'_>,
    source: Source<'_>,
    query: &[(String, String)],
    limit: usize,
    what: &str,
) -> Result<Vec<Value>, Error> {
    let mut total = None;
    let out = walk(api, source, query, None, limit, &mut total).await?;
    if out.len() > limit {
        return Err(Error::bad_request(
            ScimType::TooMany,
            format!("the request needs more than {limit} {what} to be examined; narrow the filter (e.g. an eq filter)"),
        ));
    }
    Ok(out)
}

/// Read pages from the first until `stop_at` objects are read, the listing ends, or more than `limit` are read.
async fn walk(
    api: &Api<'_>,
    source: Source<'_>,
    query: &[(String, String)],
    stop_at: Option<usize>,
    limit: usize,
    total: &mut Option<u64>,
) -> Result<Vec<Value>, Error> {
    let paging = source.paging;
    let mut out: Vec<Value> = Vec::new();
    let mut link: Option<String> = None;
    let mut next_query: Option<Vec<(String, String)>> = None;
    loop {
        let page = paging.request_at(out.len() as u64, paging.max_size);
        let (body, headers) = match (&link, &next_query) {
            (Some(l), _) => api.list_link(l).await?,
            (None, Some(q)) => api.list_at(source.endpoint, source.id, &[query, q].concat()).await?,
            (None, None) => {
                api.list_at(source.endpoint, source.id, &[query, &page.query].concat())
                    .await?
            }
        };
        let items = paging.items(&body)?;
        let served = items.len();
        *total = total.or(paging.total(&body, &headers));
        out.extend(items.into_iter().skip(page.skip));
        if out.len() > limit || stop_at.is_some_and(|s| out.len() >= s) {
            return Ok(out);
        }
        if paging.sequential() {
            match paging.next(&body) {
                _ if served == 0 => return Ok(out),
                Next::Query(q) => next_query = Some(q),
                Next::Link(l) => link = Some(l),
                Next::End => return Ok(out),
            }
        } else if ends_listing(paging.max_size, served, page.size, out.len() as u64, *total)? {
            return Ok(out);
        }
    }
}

/// Whether a page ends the listing: it is empty, or shorter than asked for. A short page before the product's own
/// total means the product pages differently from what the mapping says (a smaller maximum page size); going on
/// would skip objects, so that is an error, never a silently partial list.
fn ends_listing(max_size: u32, served: usize, asked: u32, end: u64, total: Option<u64>) -> Result<bool, Error> {
    if served == 0 {
        return Ok(true);
    }
    if served >= asked as usize {
        return Ok(false);
    }
    match total {
        Some(t) if end < t => Err(MappingError::ProductShape(format!(
            "a page held {served} objects where {asked} were asked for, before the total of {t}; \
             lower paging.max_size to the product's largest page (now {max_size})"
        ))
        .into()),
        _ => Ok(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    #[test]
    fn short_or_empty_pages_end_a_listing() {
        assert!(ends_listing(100, 0, 100, 0, None).unwrap());
        assert!(ends_listing(100, 40, 100, 40, None).unwrap());
        assert!(ends_listing(100, 40, 100, 140, Some(140)).unwrap());
        assert!(!ends_listing(100, 100, 100, 100, Some(250)).unwrap());
    }

    #[test]
    fn a_short_page_before_the_total_is_an_error_not_a_partial_list() {
        let err = ends_listing(200, 100, 200, 100, Some(250)).unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_GATEWAY);
        assert!(err.detail.contains("paging.max_size"), "{}", err.detail);
    }
}
