//! Reading a product listing in the product's paging style: one SCIM window when the product can serve it
//! directly, or the whole (filtered) listing within the scan limit, never silently partial. The objects that
//! scans hold at once are bounded per tenant and per process ([`ScanBudget`]): past the bound a scan ends with
//! `503` and `Retry-After` rather than holding more.

use super::MappingError;
use super::api::{Api, ProductId};
use super::endpoint::Endpoint;
use super::paging::{Next, Paging};
use crate::scim::{Error, ScimType};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What a scan refused for want of budget asks the IdP to wait.
const BUSY_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The product objects that listing scans may hold at once: one tenant's share (`limits.tenant_scan_budget`) within
/// the whole process's (`limits.scan_budget`, shared by every tenant). A scan takes its objects from both as its
/// pages arrive — the listing's whole reported total with its first page, so that scans do not starve one another
/// page by page — and gives them back when the request is done with them. Nothing waits: a scan that finds the
/// budget spent is refused with `503` and `Retry-After`.
#[derive(Debug)]
pub struct ScanBudget {
    tenant: Arc<Semaphore>,
    tenant_size: usize,
    process: Arc<Semaphore>,
    process_size: usize,
    /// The most objects this tenant's scans held at once.
    peak: AtomicUsize,
}

/// A process-wide scan budget of `size` objects, to be shared by the tenants' [`ScanBudget`]s.
pub fn process_budget(size: usize) -> Arc<Semaphore> {
    Arc::new(Semaphore::new(size.min(Semaphore::MAX_PERMITS)))
}

impl ScanBudget {
    /// A tenant's budget of `size` objects, within `process` (from [`process_budget`]).
    pub fn new(size: usize, process: Arc<Semaphore>) -> Self {
        let size = size.min(Semaphore::MAX_PERMITS);
        let process_size = process.available_permits();
        ScanBudget {
            tenant: Arc::new(Semaphore::new(size)),
            tenant_size: size,
            process,
            process_size,
            peak: AtomicUsize::new(0),
        }
    }

    /// Objects this tenant's scans hold now.
    pub fn held(&self) -> usize {
        self.tenant_size - self.tenant.available_permits()
    }

    /// The most objects this tenant's scans have held at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Objects all tenants' scans in the process hold now.
    pub fn process_held(&self) -> usize {
        self.process_size.saturating_sub(self.process.available_permits())
    }

    /// Take `n` more objects into `held`, or refuse with 503 when this tenant's or the process's budget is spent.
    pub fn take(&self, held: &mut Held, n: usize) -> Result<(), Error> {
        if n == 0 {
            return Ok(());
        }
        let count = u32::try_from(n).map_err(|_| busy("the listing is larger than any scan budget"))?;
        let tenant = self.tenant.clone().try_acquire_many_owned(count).map_err(|_| {
            busy("this tenant's filters that the product cannot evaluate hold as many objects as limits.tenant_scan_budget allows")
        })?;
        let process = self.process.clone().try_acquire_many_owned(count).map_err(|_| {
            busy("filters that the product cannot evaluate hold as many objects as limits.scan_budget allows")
        })?;
        held.objects += n;
        held.permits.push(tenant);
        held.permits.push(process);
        self.peak.fetch_max(self.held(), Ordering::Relaxed);
        Ok(())
    }
}

fn busy(why: &str) -> Error {
    Error::new(
        http::StatusCode::SERVICE_UNAVAILABLE,
        format!("the gateway is busy: {why}; retry later"),
    )
    .with_retry_after(BUSY_RETRY_AFTER)
}

/// Objects a scan holds from a [`ScanBudget`]; given back when dropped.
#[derive(Debug, Default)]
pub struct Held {
    objects: usize,
    permits: Vec<OwnedSemaphorePermit>,
}

impl Held {
    /// How many objects.
    pub fn objects(&self) -> usize {
        self.objects
    }
}

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
/// `None` when the listing must be scanned instead (no total). A walk from the first page (sequential paging) holds
/// its objects within `budget`.
pub async fn window(
    api: &Api<'_>,
    source: Source<'_>,
    query: &[(String, String)],
    offset: u64,
    count: u32,
    budget: &ScanBudget,
) -> Result<Option<Window>, Error> {
    let paging = source.paging;
    if !paging.reports_total() {
        return Ok(None);
    }
    if paging.sequential() {
        // Walk from the first page; the total comes with it.
        let mut total = None;
        let mut held = Held::default();
        let objects = walk(
            api,
            source,
            query,
            Some(offset as usize + count as usize),
            usize::MAX,
            &mut total,
            Some((budget, &mut held)),
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
    let out = walk(api, source, query, None, limit, &mut total, None).await?;
    within(out, limit, what)
}

/// [`scan`], holding the objects within `budget` until the returned [`Held`] is dropped.
pub async fn scan_within(
    api: &Api<'_>,
    source: Source<'_>,
    query: &[(String, String)],
    limit: usize,
    what: &str,
    budget: &ScanBudget,
) -> Result<(Vec<Value>, Held), Error> {
    let mut total = None;
    let mut held = Held::default();
    let out = walk(api, source, query, None, limit, &mut total, Some((budget, &mut held))).await?;
    Ok((within(out, limit, what)?, held))
}

fn within(out: Vec<Value>, limit: usize, what: &str) -> Result<Vec<Value>, Error> {
    if out.len() > limit {
        return Err(Error::bad_request(
            ScimType::TooMany,
            format!("the request needs more than {limit} {what} to be examined; narrow the filter (e.g. an eq filter)"),
        ));
    }
    Ok(out)
}

/// Read pages from the first until `stop_at` objects are read, the listing ends, or more than `limit` are read;
/// with a budget, each page's objects are taken from it as they arrive (the reported total with the first page).
async fn walk(
    api: &Api<'_>,
    source: Source<'_>,
    query: &[(String, String)],
    stop_at: Option<usize>,
    limit: usize,
    total: &mut Option<u64>,
    mut budget: Option<(&ScanBudget, &mut Held)>,
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
        if let Some((budget, held)) = budget.as_mut() {
            // What the walk will hold once this page is in: past `limit` (or `stop_at`) it stops, so no more.
            let cap = stop_at.map_or(limit.saturating_add(1), |s| s.min(limit.saturating_add(1)));
            let expected = total.map_or(0, |t| usize::try_from(t).unwrap_or(usize::MAX));
            let wanted = (out.len() + served).max(expected).min(cap);
            budget.take(held, wanted.saturating_sub(held.objects()))?;
        }
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
    fn a_scan_budget_refuses_past_the_tenant_share_and_gives_back_on_drop() {
        let budget = ScanBudget::new(10, process_budget(100));
        let mut first = Held::default();
        budget.take(&mut first, 6).unwrap();
        budget.take(&mut first, 2).unwrap();
        assert_eq!((first.objects(), budget.held(), budget.process_held()), (8, 8, 8));
        let mut second = Held::default();
        let err = budget.take(&mut second, 3).unwrap_err();
        assert_eq!(err.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(err.detail.contains("limits.tenant_scan_budget"), "{}", err.detail);
        assert_eq!(second.objects(), 0, "a refused take holds nothing");
        budget.take(&mut second, 2).unwrap();
        assert_eq!(budget.peak(), 10);
        drop(first);
        assert_eq!((budget.held(), budget.process_held()), (2, 2));
        drop(second);
        assert_eq!((budget.held(), budget.peak()), (0, 10));
    }

    #[test]
    fn tenants_share_the_process_scan_budget() {
        let process = process_budget(12);
        let (a, b) = (ScanBudget::new(10, process.clone()), ScanBudget::new(10, process));
        let (mut held_a, mut held_b) = (Held::default(), Held::default());
        a.take(&mut held_a, 8).unwrap();
        let err = b.take(&mut held_b, 5).unwrap_err();
        assert_eq!(err.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(err.detail.contains("limits.scan_budget"), "{}", err.detail);
        assert_eq!(b.held(), 0, "the tenant share taken first is given back");
        b.take(&mut held_b, 4).unwrap();
        assert_eq!(a.process_held(), 12);
    }

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
