//! `/Users` (RFC 7644 §3.2–§3.6): list with filter and paging, get, create, replace, patch, delete.

use super::resource::{self, Rendered, USER};
use super::{Context, Reply};
use crate::mapping::api::{Api, ProductId};
use crate::mapping::pointer::Pointer;
use crate::mapping::push_down::Plan;
use crate::mapping::{MappingError, ResourceMapping};
use crate::scim::filter::CoreTypes;
use crate::scim::list::{self, ListQuery};
use crate::scim::{Error, ScimType, patch as scim_patch};
use http::StatusCode;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

fn api<'c>(ctx: &'c Context<'_>) -> (Api<'c>, &'c ResourceMapping) {
    let mapping = &ctx.tenant.mapping;
    (Api::new(&ctx.tenant.upstream, mapping, &mapping.users), &mapping.users)
}

fn not_found(id: &str) -> Error {
    Error::not_found(format!("User {id:?} not found"))
}

fn render(ctx: &Context<'_>, api: &Api<'_>, res: &ResourceMapping, object: &Value) -> Result<Rendered, Error> {
    resource::render(USER, api, &res.attributes, object, &ctx.base_url)
}

fn reply(status: StatusCode, rendered: Rendered, with_location: bool) -> Reply {
    Reply {
        status,
        location: with_location.then(|| rendered.location.clone()),
        etag: rendered.version.clone(),
        body: Some(rendered.json),
    }
}

/// `GET /Users/{id}`.
pub async fn get(ctx: &Context<'_>, id: &str) -> Result<Reply, Error> {
    let (api, res) = api(ctx);
    let pid = api.product_id(id).ok_or_else(|| not_found(id))?;
    let object = api.get(&pid).await?.ok_or_else(|| not_found(id))?;
    Ok(reply(StatusCode::OK, render(ctx, &api, res, &object)?, false))
}

/// `GET /Users?filter=…&startIndex=…&count=…`.
pub async fn list(ctx: &Context<'_>, query: Option<&str>) -> Result<Reply, Error> {
    let (api, res) = api(ctx);
    let q = ListQuery::parse(query, ctx.settings.max_page_size, &ctx.settings.filter_limits)?;
    let plan = match &q.filter {
        Some(f) => res.push_down.plan(f),
        None => Plan {
            query: Vec::new(),
            complete: true,
        },
    };
    let offset = q.start_index - 1;
    let (resources, total) = match (plan.complete, res.paging.total.is_some()) {
        (true, true) => {
            let (objects, total) = window(&api, res, &plan.query, offset, q.count).await?;
            let rendered = objects.iter().map(|o| render(ctx, &api, res, o).map(|r| r.json));
            (rendered.collect::<Result<Vec<_>, _>>()?, total)
        }
        _ => {
            // The gateway filters (or counts) itself: read the whole listing within the scan limit.
            let mut matched = Vec::new();
            for object in scan(ctx, &api, res, &plan.query).await? {
                let resource = render(ctx, &api, res, &object)?.json;
                let keep = match (&q.filter, plan.complete) {
                    (Some(f), false) => f.matches(&resource, &CoreTypes),
                    _ => true,
                };
                if keep {
                    matched.push(resource);
                }
            }
            let total = matched.len() as u64;
            (
                matched
                    .into_iter()
                    .skip(offset as usize)
                    .take(q.count as usize)
                    .collect(),
                total,
            )
        }
    };
    Ok(Reply::ok(list::response(resources, total, q.start_index)))
}

/// Read `count` objects from 0-based `offset` through the product's own paging, and its total.
async fn window(
    api: &Api<'_>,
    res: &ResourceMapping,
    filter_query: &[(String, String)],
    offset: u64,
    count: u32,
) -> Result<(Vec<Value>, u64), Error> {
    let mut out = Vec::new();
    let mut at = offset;
    let mut total = None;
    loop {
        let want = (count as usize - out.len()).max(1) as u32;
        let page = res.paging.request_at(at, want);
        let body = api.list(&[filter_query, &page.query].concat()).await?;
        let items = res.paging.items(&body)?;
        total = total.or(res.paging.total(&body));
        let served = items.len();
        let end = at - page.skip as u64 + served as u64;
        let before = out.len();
        out.extend(items.into_iter().skip(page.skip).take(count as usize - before));
        let added = out.len() - before;
        if out.len() >= count as usize
            || ends_listing(res.paging.max_size, served, page.size, end, total)?
            || added == 0
        {
            break;
        }
        at += added as u64;
    }
    let total = total.ok_or_else(|| {
        MappingError::ProductShape(format!("the listing has no total at {:?}", res.paging.total_pointer()))
    })?;
    Ok((out, total))
}

/// Every object of the listing (with pushed-down parameters), refusing to read more than the scan limit.
async fn scan(
    ctx: &Context<'_>,
    api: &Api<'_>,
    res: &ResourceMapping,
    filter_query: &[(String, String)],
) -> Result<Vec<Value>, Error> {
    let limit = ctx.settings.scan_limit as usize;
    let mut out: Vec<Value> = Vec::new();
    loop {
        let page = res.paging.request_at(out.len() as u64, res.paging.max_size);
        let body = api.list(&[filter_query, &page.query].concat()).await?;
        let items = res.paging.items(&body)?;
        let served = items.len();
        let end = out.len() as u64 + served as u64;
        let total = res.paging.total(&body);
        out.extend(items.into_iter().skip(page.skip));
        if out.len() > limit {
            return Err(Error::bad_request(
                ScimType::TooMany,
                format!("the filter needs more than {limit} users to be examined; narrow it (e.g. userName eq)"),
            ));
        }
        if ends_listing(res.paging.max_size, served, page.size, end, total)? {
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
             lower paging.max_size to the product's largest page (now {})",
            max_size
        ))
        .into()),
        _ => Ok(true),
    }
}

/// `POST /Users`.
pub async fn create(ctx: &Context<'_>, body: Value) -> Result<Reply, Error> {
    let (api, res) = api(ctx);
    resource::check_incoming(USER, &body)?;
    resource::required_string(&body, "userName")?;
    let fields = res.attributes.to_product(&body)?;
    let mut product = Value::Object(Map::new());
    for (pointer, value) in fields.into_iter().filter(|(_, v)| !v.is_null()) {
        set(&pointer, &mut product, value)?;
    }
    let created = api.create(product).await?;
    Ok(reply(StatusCode::CREATED, render(ctx, &api, res, &created)?, true))
}

/// `PUT /Users/{id}`: the resource replaces every mapped attribute (absent ones are cleared).
pub async fn replace(ctx: &Context<'_>, id: &str, body: Value) -> Result<Reply, Error> {
    let (api, res) = api(ctx);
    resource::check_incoming(USER, &body)?;
    resource::required_string(&body, "userName")?;
    let pid = api.product_id(id).ok_or_else(|| not_found(id))?;
    let current = api.get(&pid).await?.ok_or_else(|| not_found(id))?;
    let updated = write_back(&api, res, &pid, &current, &body)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(reply(StatusCode::OK, render(ctx, &api, res, &updated)?, false))
}

/// `PATCH /Users/{id}`: the operations are applied to the SCIM representation, then only what changed is sent.
pub async fn patch(ctx: &Context<'_>, id: &str, body: Value) -> Result<Reply, Error> {
    let (api, res) = api(ctx);
    let ops = scim_patch::parse(&body, ctx.settings.max_patch_operations)?;
    let pid = api.product_id(id).ok_or_else(|| not_found(id))?;
    let current = api.get(&pid).await?.ok_or_else(|| not_found(id))?;
    let before = render(ctx, &api, res, &current)?;
    let after = scim_patch::apply(&before.json, &ops, &CoreTypes)?;
    resource::required_string(&after, "userName")?;
    let updated = write_back(&api, res, &pid, &current, &after)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(reply(StatusCode::OK, render(ctx, &api, res, &updated)?, false))
}

/// `DELETE /Users/{id}`.
pub async fn delete(ctx: &Context<'_>, id: &str) -> Result<Reply, Error> {
    let (api, _) = api(ctx);
    let pid = api.product_id(id).ok_or_else(|| not_found(id))?;
    if api.delete(&pid).await? {
        Ok(Reply::no_content())
    } else {
        Err(not_found(id))
    }
}

/// Send the product what `desired` changes in `current`: the changed fields to a PATCH endpoint, or the whole
/// object (with the changes) to a PUT endpoint. `Ok(None)` when the object is gone.
async fn write_back(
    api: &Api<'_>,
    res: &ResourceMapping,
    pid: &ProductId,
    current: &Value,
    desired: &Value,
) -> Result<Option<Value>, Error> {
    let fields = res.attributes.to_product(desired)?;
    let body = if api.update_replaces() {
        let mut body = current.clone();
        for rule in res.attributes.rules().iter().filter(|r| r.read_only) {
            rule.pointer.remove(&mut body);
        }
        for (pointer, value) in fields {
            set(&pointer, &mut body, value)?;
        }
        body
    } else {
        let changed: BTreeMap<Pointer, Value> = fields
            .into_iter()
            .filter(|(p, v)| p.get(current).unwrap_or(&Value::Null) != v)
            .collect();
        if changed.is_empty() {
            return Ok(Some(current.clone()));
        }
        let mut body = Value::Object(Map::new());
        for (pointer, value) in changed {
            set(&pointer, &mut body, value)?;
        }
        body
    };
    match api.update(pid, body).await? {
        Some(Value::Null) => api.get(pid).await,
        other => Ok(other),
    }
}

fn set(pointer: &Pointer, doc: &mut Value, value: Value) -> Result<(), Error> {
    pointer
        .set(doc, value)
        .map_err(|m| Error::internal(format!("the mapping cannot build the product body: {m}")))
}

#[cfg(test)]
mod tests {
    use super::*;

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
