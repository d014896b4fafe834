//! What Users and Groups share: resolving a SCIM id to a product id, listing with filter push-down and paging,
//! building create bodies, and writing back a changed resource in the product's update style.

use super::Context;
use super::resource::{self, Kind, Rendered};
use crate::cache::Key;
use crate::mapping::api::{Api, ProductId};
use crate::mapping::listing::{self, Source};
use crate::mapping::pointer::Pointer;
use crate::mapping::push_down::Plan;
use crate::mapping::{MappingError, ResourceMapping};
use crate::scim::filter::Filter;
use crate::scim::path::AttrPath;
use crate::scim::projection::Projection;
use crate::scim::schema::ResourceSchema;
use crate::scim::sort::SortOrder;
use crate::scim::{Error, ScimType};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// 404 for a resource of `kind`.
pub fn not_found(kind: Kind, id: &str) -> Error {
    Error::not_found(format!("{} {id:?} not found", kind.name))
}

/// The product id for a SCIM id. A live object always wins: the id itself, when the product has it, and a rename
/// alias the cache knows (products keyed by a mutable name) only when the id no longer exists. Without an alias
/// this costs no product call; with one, one read of the id, after which the alias is dropped if the id is live
/// again (a new object took the old name).
pub async fn resolve(ctx: &Context<'_>, api: &Api<'_>, alias: Key, kind: Kind, id: &str) -> Result<ProductId, Error> {
    let own = api.product_id(id);
    let Some(renamed) = ctx.tenant.cache.get(&alias) else {
        return own.ok_or_else(|| not_found(kind, id));
    };
    if let Some(pid) = own
        && api.get(&pid).await?.is_some()
    {
        ctx.tenant.cache.evict(&alias);
        return Ok(pid);
    }
    api.product_id(&renamed).ok_or_else(|| not_found(kind, &renamed))
}

/// `attributes` / `excludedAttributes` of a query string (RFC 7644 §3.9).
pub fn projection(query: Option<&str>) -> Result<Projection, Error> {
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return Ok(Projection::default());
    };
    let (mut attributes, mut excluded) = (None, None);
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if k.eq_ignore_ascii_case("attributes") {
            attributes = Some(v.into_owned());
        } else if k.eq_ignore_ascii_case("excludedAttributes") {
            excluded = Some(v.into_owned());
        }
    }
    Ok(Projection::parse(attributes.as_deref(), excluded.as_deref())?)
}

/// `DELETE` of one resource: `If-Match` checked, the product object deleted, the change audited; 404 when it
/// is gone.
pub async fn delete(ctx: &Context<'_>, api: &Api<'_>, kind: Kind, pid: &ProductId) -> Result<(), Error> {
    check_if_match(ctx, api, kind, pid).await?;
    if !api.delete(pid).await? {
        return Err(not_found(kind, pid.as_str()));
    }
    crate::audit::record(
        ctx.tenant.id.as_str(),
        kind.name,
        crate::audit::Action::Delete,
        pid.as_str(),
        None,
        "ok",
    );
    Ok(())
}

/// Read one object, 404 when it is gone.
pub async fn fetch(api: &Api<'_>, kind: Kind, pid: &ProductId) -> Result<Value, Error> {
    api.get(pid).await?.ok_or_else(|| not_found(kind, pid.as_str()))
}

/// RFC 7644 §3.14: a PUT, PATCH or DELETE with `If-Match` goes ahead only when the resource's current version
/// matches (`*` matches any); otherwise 412. A product that gives no version has nothing to compare, and the header
/// is not honoured for it (discovery then advertises no ETag support).
pub async fn check_if_match(ctx: &Context<'_>, api: &Api<'_>, kind: Kind, pid: &ProductId) -> Result<(), Error> {
    let Some(wanted) = &ctx.if_match else {
        return Ok(());
    };
    if !api.resource().attributes.maps_version() {
        return Ok(());
    }
    let current = render(ctx, kind, api, &fetch(api, kind, pid).await?)?.version;
    // Weak comparison (RFC 7232 §2.3.2): SCIM versions are weak entity tags.
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").trim_matches('"').to_owned();
    let matches = wanted
        .split(',')
        .any(|tag| tag.trim() == "*" || current.as_deref().is_some_and(|c| opaque(c) == opaque(tag)));
    if matches {
        Ok(())
    } else {
        Err(Error::new(
            http::StatusCode::PRECONDITION_FAILED,
            format!(
                "{} {:?} has changed: its version is not {wanted}",
                kind.name,
                pid.as_str()
            ),
        ))
    }
}

/// Render a product object as a SCIM resource of `kind`.
pub fn render(ctx: &Context<'_>, kind: Kind, api: &Api<'_>, object: &Value) -> Result<Rendered, Error> {
    resource::render(kind, api.resource(), object, &ctx.base_url)
}

/// The product objects a list request selects, and the total: the product's own window when it evaluates the
/// whole filter and reports a total; otherwise the whole listing within the scan limit, filtered and counted by
/// the gateway. `render` turns an object into the resource the filter is evaluated on.
#[allow(clippy::too_many_arguments)]
pub async fn select(
    ctx: &Context<'_>,
    kind: Kind,
    api: &Api<'_>,
    filter: Option<&Filter>,
    sort: Option<(&AttrPath, SortOrder)>,
    start_index: u64,
    count: u32,
    render: &(dyn Fn(&Value) -> Result<Value, Error> + Sync),
) -> Result<(Vec<Value>, u64), Error> {
    let res = api.resource();
    let types: &ResourceSchema = if kind.name == resource::GROUP.name {
        ResourceSchema::group()
    } else {
        ResourceSchema::user()
    };
    let plan = match filter {
        Some(f) => res.push_down.plan(f),
        None => Plan {
            query: Vec::new(),
            complete: true,
        },
    };
    let offset = start_index - 1;
    // Sorting needs every match: only an unsorted request can use the product's own window.
    if plan.complete
        && sort.is_none()
        && let Some(w) = listing::window(
            api,
            Source::for_query(api, &plan.query),
            &plan.query,
            offset,
            count,
            &ctx.tenant.scan_budget,
        )
        .await?
    {
        let resources = w.objects.iter().map(render).collect::<Result<Vec<_>, _>>()?;
        return Ok((resources, w.total));
    }
    let what = kind.endpoint.to_ascii_lowercase();
    // The listing and what is rendered of it are held within the tenant's scan budget until the page is cut.
    let (objects, _held) = listing::scan_within(
        api,
        Source::for_query(api, &plan.query),
        &plan.query,
        ctx.settings.scan_limit as usize,
        &what,
        &ctx.tenant.scan_budget,
    )
    .await?;
    let mut matched = Vec::new();
    for object in &objects {
        let resource = render(object)?;
        let keep = match (filter, plan.complete) {
            (Some(f), false) => f.matches(&resource, types),
            _ => true,
        };
        if keep {
            matched.push(resource);
        }
    }
    if let Some((by, order)) = sort {
        crate::scim::sort::sort(&mut matched, by, order, types);
    }
    let total = matched.len() as u64;
    let page = matched.into_iter().skip(offset as usize).take(count as usize).collect();
    Ok((page, total))
}

/// The product body of a create: mapped attributes (with their defaults), then `create_defaults` where nothing
/// set them, then the managed marker.
pub fn create_body(res: &ResourceMapping, scim: &Value) -> Result<Value, Error> {
    let mut scim = scim.clone();
    res.attributes.apply_defaults(&mut scim, &res.schema);
    let fields = res.attributes.to_product(&scim)?;
    let mut product = Value::Object(Map::new());
    for (pointer, value) in fields.into_iter().filter(|(_, v)| !v.is_null()) {
        set(&pointer, &mut product, value)?;
    }
    for (pointer, value) in &res.create_defaults {
        if pointer.get(&product).is_none() {
            set(pointer, &mut product, value.clone())?;
        }
    }
    if let Some((pointer, value)) = &res.managed {
        set(pointer, &mut product, value.clone())?;
    }
    Ok(product)
}

/// The existing object a conflicting create meets: the one whose `attr` (userName or displayName) equals `value`
/// case-insensitively, found through the mapping's `<attr> eq` push-down rule.
pub async fn existing(
    ctx: &Context<'_>,
    api: &Api<'_>,
    kind: Kind,
    attr: &str,
    value: &str,
) -> Result<Option<Value>, Error> {
    let Some(query) = api.resource().push_down.eq_query(attr, value) else {
        return Ok(None);
    };
    let objects = listing::scan(
        api,
        Source::for_query(api, &query),
        &query,
        ctx.settings.scan_limit as usize,
        "objects",
    )
    .await?;
    for object in objects {
        let rendered = render(ctx, kind, api, &object)?;
        if crate::scim::json::get(&rendered.json, attr)
            .and_then(Value::as_str)
            .is_some_and(|v| v.eq_ignore_ascii_case(value))
        {
            return Ok(Some(object));
        }
    }
    Ok(None)
}

/// Send the product what `desired` (a SCIM resource) changes in `current` (a product object): the changed fields
/// for a partial update, or the whole object with the changes for a replace. `extra` product fields (the managed
/// marker on adopt) are written too. `Ok(None)` when the object is gone.
pub async fn write_back(
    api: &Api<'_>,
    pid: &ProductId,
    current: &Value,
    desired: &Value,
    extra: &[(Pointer, Value)],
) -> Result<Option<Value>, Error> {
    let res = api.resource();
    let mut fields = res.attributes.to_product_over(desired, Some(current))?;
    for (pointer, value) in extra {
        fields.insert(pointer.clone(), value.clone());
    }
    let body = if api.update_replaces() {
        let mut body = current.clone();
        for rule in res.attributes.rules().iter().filter(|r| r.read_only) {
            rule.strip(&mut body);
        }
        for (pointer, value) in fields {
            set(&pointer, &mut body, value)?;
        }
        body
    } else {
        let changed: BTreeMap<Pointer, Value> = fields
            .into_iter()
            .filter(|(p, v)| !res.attributes.holds(p, v, current))
            .collect();
        if changed.is_empty() {
            return Ok(Some(current.clone()));
        }
        // Sub-objects the product replaces whole are sent whole, from this fresh read.
        let changed = res.attributes.widen(changed, current);
        let mut body = Value::Object(Map::new());
        for (pointer, value) in changed {
            set(&pointer, &mut body, value)?;
        }
        body
    };
    if api.update_replaces() && body == *current {
        return Ok(Some(current.clone()));
    }
    updated(api, pid, api.update(pid, body).await?).await
}

/// The object after a write: the product's answer, or a fresh read when it answered without one.
pub async fn updated(api: &Api<'_>, pid: &ProductId, answer: Option<Value>) -> Result<Option<Value>, Error> {
    match answer {
        Some(Value::Null) => api.get(pid).await,
        other => Ok(other),
    }
}

/// Set a product field, or fail as a mapping problem.
pub fn set(pointer: &Pointer, doc: &mut Value, value: Value) -> Result<(), Error> {
    pointer
        .set(doc, value)
        .map_err(|m| Error::internal(format!("the mapping cannot build the product body: {m}")))
}

/// The required attribute `name` of an incoming resource, as a non-empty string.
pub fn required<'v>(body: &'v Value, name: &str) -> Result<&'v str, Error> {
    resource::required_string(body, name)
}

/// 400 for a value the product cannot take in this mapping.
pub fn unsupported(detail: impl Into<String>) -> Error {
    Error::bad_request(ScimType::InvalidValue, detail)
}

/// A product answer that is not an object where one was expected.
pub fn shape(detail: impl Into<String>) -> Error {
    MappingError::ProductShape(detail.into()).into()
}

#[cfg(test)]
mod tests;
