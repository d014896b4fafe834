//! `/Users` (RFC 7644 §3.2–§3.6): list with filter and paging, get, create, replace, patch, delete, over the
//! tenant's user mapping, with the id cache kept in step and the mapping's deactivation style honoured.

use super::objects::{self, not_found};
use super::resource::{self, Rendered, USER};
use super::{Context, Reply};
use crate::audit::{self, Action};
use crate::cache::Key;
use crate::mapping::api::{Api, ProductId};
use crate::mapping::{Deactivate, OnConflict};
use crate::scim::filter::{CompValue, CompareOp, Filter};
use crate::scim::list::{self, ListQuery};
use crate::scim::schema::ResourceSchema;
use crate::scim::{Error, json, patch as scim_patch};
use http::StatusCode;
use serde_json::Value;

mod direct;

fn api<'c>(ctx: &'c Context<'_>) -> Api<'c> {
    let mapping = &ctx.tenant.mapping;
    Api::new(&ctx.tenant.upstream, mapping, &mapping.users)
}

/// Render a product user, remembering its ids in the cache.
async fn render(ctx: &Context<'_>, api: &Api<'_>, object: &Value) -> Result<Rendered, Error> {
    let mut rendered = resource::render(USER, api.resource(), object, &ctx.base_url)?;
    if api.resource().deactivate == Deactivate::Delete
        && let Some(members) = rendered.json.as_object_mut()
    {
        // The product deletes deactivated users: every user it still has is active.
        members.entry("active").or_insert(Value::Bool(true));
    }
    if let Some(ids) = Ids::of(ctx, &rendered.json, object) {
        ids.remember(ctx);
    }
    Ok(rendered)
}

/// The ids of one user the cache keeps: its id, userName, externalId and (when the mapping keys membership by
/// another field) its membership key.
struct Ids {
    id: String,
    user_name: Option<String>,
    external_id: Option<String>,
    member_key: Option<String>,
}

impl Ids {
    fn of(ctx: &Context<'_>, user: &Value, object: &Value) -> Option<Ids> {
        let text = |name: &str| json::get(user, name).and_then(Value::as_str).map(str::to_owned);
        let member_key = ctx
            .tenant
            .mapping
            .groups
            .as_ref()
            .and_then(|g| g.members.user_key.as_ref())
            .and_then(|pointer| super::members::key_text(pointer.get(object)));
        Some(Ids {
            id: text("id")?,
            user_name: text("userName"),
            external_id: text("externalId"),
            member_key,
        })
    }

    fn remember(self, ctx: &Context<'_>) {
        let cache = &ctx.tenant.cache;
        if let Some(name) = self.user_name {
            cache.put(Key::UserName(name.to_lowercase()), self.id.as_str());
        }
        if let Some(external) = self.external_id {
            cache.put(Key::UserExternalId(external), self.id.as_str());
        }
        if let Some(key) = self.member_key {
            cache.put(Key::MemberKey(self.id.clone()), key.clone());
            cache.put(Key::MemberUser(key), self.id);
        }
    }
}

/// Fill the cache from a user resource: userName, externalId, and the membership key when it is not the id.
pub fn remember(ctx: &Context<'_>, user: &Value, object: &Value) {
    if let Some(ids) = Ids::of(ctx, user, object) {
        ids.remember(ctx);
    }
}

fn reply(status: StatusCode, rendered: Rendered, with_location: bool) -> Result<Reply, Error> {
    Ok(Reply {
        status,
        body: Some(rendered.json),
        location: with_location.then_some(rendered.location),
        etag: rendered.version,
    })
}

async fn resolve(ctx: &Context<'_>, api: &Api<'_>, id: &str) -> Result<ProductId, Error> {
    objects::resolve(ctx, api, Key::UserAlias(id.to_owned()), USER, id).await
}

/// `GET /Users/{id}`, with `attributes` / `excludedAttributes`.
pub async fn get(ctx: &Context<'_>, id: &str, query: Option<&str>) -> Result<Reply, Error> {
    let projection = objects::projection(query)?;
    let api = api(ctx);
    let pid = resolve(ctx, &api, id).await?;
    let object = objects::fetch(&api, USER, &pid).await?;
    let mut rendered = render(ctx, &api, &object).await?;
    rendered.json = projection.apply(rendered.json, &api.resource().schema);
    reply(StatusCode::OK, rendered, false)
}

/// `GET /Users?filter=…&startIndex=…&count=…&sortBy=…&attributes=…` and `POST /Users/.search` (RFC 7644 §3.4.2,
/// §3.4.3), the query parsed by [`super::list_query`] or [`super::search_query`].
pub async fn list(ctx: &Context<'_>, q: ListQuery) -> Result<Reply, Error> {
    let api = api(ctx);
    let schema = &api.resource().schema;
    if q.sort_by.is_none()
        && let Some(hit) = cached_match(ctx, &api, &q).await?
    {
        return Ok(hit);
    }
    // Every user rendered (filtered out or not) teaches the cache its ids; only those few strings are kept.
    let seen = std::sync::Mutex::new(Vec::new());
    let render_sync = |o: &Value| -> Result<Value, Error> {
        let r = objects::render(ctx, USER, &api, o)?;
        if let Some(ids) = Ids::of(ctx, &r.json, o)
            && let Ok(mut seen) = seen.lock()
        {
            seen.push(ids);
        }
        Ok(r.json)
    };
    let sort = q.sort_by.as_ref().map(|by| (by, q.sort_order));
    let (mut resources, total) = objects::select(
        ctx,
        USER,
        &api,
        q.filter.as_ref(),
        sort,
        q.start_index,
        q.count,
        &render_sync,
    )
    .await?;
    for ids in seen.into_inner().unwrap_or_default() {
        ids.remember(ctx);
    }
    if api.resource().deactivate == Deactivate::Delete {
        for r in resources.iter_mut().filter_map(Value::as_object_mut) {
            r.entry("active").or_insert(Value::Bool(true));
        }
    }
    let resources = resources.into_iter().map(|r| q.projection.apply(r, schema)).collect();
    Ok(Reply::ok(list::response(resources, total, q.start_index)))
}

/// `userName eq "x"` or `externalId eq "x"` answered from the cache with one read of the user, when the cache
/// knows the id and the user still matches; a stale entry is evicted and the filter runs normally.
async fn cached_match(ctx: &Context<'_>, api: &Api<'_>, q: &ListQuery) -> Result<Option<Reply>, Error> {
    let Some(Filter::Compare(path, CompareOp::Eq, CompValue::Str(value))) = &q.filter else {
        return Ok(None);
    };
    if q.start_index != 1 || q.count == 0 || path.sub.is_some() || path.schema.is_some() {
        return Ok(None);
    }
    let key = if path.name.eq_ignore_ascii_case("userName") {
        Key::UserName(value.to_lowercase())
    } else if path.name.eq_ignore_ascii_case("externalId") {
        Key::UserExternalId(value.clone())
    } else {
        return Ok(None);
    };
    let Some(id) = ctx.tenant.cache.get(&key) else {
        return Ok(None);
    };
    let object = match api.product_id(&id) {
        Some(pid) => api.get(&pid).await?,
        None => None,
    };
    if let Some(object) = object {
        let rendered = render(ctx, api, &object).await?;
        if q.filter
            .as_ref()
            .is_some_and(|f| f.matches(&rendered.json, ResourceSchema::user()))
        {
            let resource = q.projection.apply(rendered.json, &api.resource().schema);
            return Ok(Some(Reply::ok(list::response(vec![resource], 1, 1))));
        }
    }
    ctx.tenant.cache.evict(&key);
    Ok(None)
}

/// `POST /Users`.
pub async fn create(ctx: &Context<'_>, body: Value) -> Result<Reply, Error> {
    let api = api(ctx);
    let res = api.resource();
    resource::check_incoming(USER, &body)?;
    resource::check_required(res, &body, true)?;
    let user_name = objects::required(&body, "userName")?.to_owned();
    let inactive = active_of(&body) == Some(false);
    let (scim, deactivate_after) = match res.deactivate {
        Deactivate::Field => (body, false),
        Deactivate::Endpoint => (without_active(&body), inactive),
        Deactivate::Delete if inactive => {
            return Err(objects::unsupported(
                "this product deletes deactivated users, so a user cannot be created inactive",
            ));
        }
        Deactivate::Delete => (without_active(&body), false),
    };
    let product = objects::create_body(res, &scim)?;
    let mut created = match objects::taken(ctx, &api, USER, "userName", &user_name).await? {
        Some(existing) => adopt_object(&api, existing, &scim)
            .await?
            .ok_or_else(|| not_found(USER, &user_name))?,
        None => match api.create(product).await {
            Ok(created) if res.after_create.is_empty() => created,
            Ok(created) => {
                objects::after_create(ctx, &api, USER, &ProductId::of(&api.id_of(&created)?)).await?;
                created
            }
            Err(e) if e.status == StatusCode::CONFLICT && res.on_conflict == OnConflict::Adopt => {
                adopt(ctx, &api, &user_name, &scim).await?.ok_or(e)?
            }
            Err(e) => return Err(e),
        },
    };
    if deactivate_after {
        let pid = ProductId::of(&api.id_of(&created)?);
        created = match deactivate(&api, &pid).await {
            Ok(object) => object,
            Err(failed) => return Err(undo_create(ctx, &api, &pid, failed).await),
        };
    }
    let rendered = render(ctx, &api, &created).await?;
    audit_change(ctx, &rendered.json, Action::Create);
    reply(StatusCode::CREATED, rendered, true)
}

/// Deactivate a user through the mapping's endpoint; the user afterwards.
async fn deactivate(api: &Api<'_>, pid: &ProductId) -> Result<Value, Error> {
    objects::updated(api, pid, api.set_active(pid, false).await?)
        .await?
        .ok_or_else(|| not_found(USER, pid.as_str()))
}

/// A user created inactive could not be deactivated: it is deleted again, so the IdP's view (nothing was created)
/// is the product's. When the delete fails too, the answer says that the user exists and is active, with its id.
async fn undo_create(ctx: &Context<'_>, api: &Api<'_>, pid: &ProductId, failed: Error) -> Error {
    let id = pid.as_str();
    let mut error = failed;
    match api.delete(pid).await {
        Ok(_) => {
            error.detail = format!(
                "the user was not created: it could not be made inactive ({}), so it was deleted again",
                error.detail
            );
        }
        Err(undo) => {
            // The user exists: the trail has its create, with the failure's status as the outcome.
            let outcome = error.status.as_u16().to_string();
            audit::record(ctx.tenant.id.as_str(), USER.name, Action::Create, id, None, &outcome);
            error.detail = format!(
                "user {id:?} was created but is still active: making it inactive failed ({}), and deleting it \
                 again failed ({})",
                error.detail, undo.detail
            );
        }
    }
    error
}

/// Link the product's existing user with this userName: update it with the SCIM values and the managed marker.
async fn adopt(ctx: &Context<'_>, api: &Api<'_>, user_name: &str, scim: &Value) -> Result<Option<Value>, Error> {
    let Some(existing) = objects::existing(ctx, api, USER, "userName", user_name).await? else {
        return Ok(None);
    };
    adopt_object(api, existing, scim).await
}

/// Update an existing product user with the SCIM values and the managed marker; `None` when it is gone.
async fn adopt_object(api: &Api<'_>, existing: Value, scim: &Value) -> Result<Option<Value>, Error> {
    let pid = ProductId::of(&api.id_of(&existing)?);
    let extra: Vec<_> = api.resource().managed.iter().cloned().collect();
    objects::write_back(api, &pid, &existing, scim, &extra).await
}

/// `PUT /Users/{id}`: the resource replaces every mapped attribute (absent ones are cleared).
pub async fn replace(ctx: &Context<'_>, id: &str, body: Value) -> Result<Reply, Error> {
    let api = api(ctx);
    resource::check_incoming(USER, &body)?;
    resource::check_required(api.resource(), &body, false)?;
    objects::required(&body, "userName")?;
    let pid = resolve(ctx, &api, id).await?;
    objects::check_if_match(ctx, &api, USER, &pid).await?;
    let current = objects::fetch(&api, USER, &pid).await?;
    let before = objects::render(ctx, USER, &api, &current)?.json;
    let mut body = body;
    resource::check_immutable(api.resource(), &before, &mut body, true)?;
    let was_active = active_of(&before);
    let updated = update(ctx, &api, &pid, &current, &body).await?;
    let rendered = updated.render(ctx, &api).await?;
    let after = &rendered.json;
    audit_change(ctx, after, update_action(was_active, after));
    reply(StatusCode::OK, rendered, false)
}

/// `PATCH /Users/{id}`: the operations are applied to the SCIM representation, then only what changed is sent.
/// Operations that only set mapped single-valued attributes are sent at once, without a read (`direct`).
pub async fn patch(ctx: &Context<'_>, id: &str, body: Value) -> Result<Reply, Error> {
    let api = api(ctx);
    let ops = scim_patch::parse(&body, ctx.settings.max_patch_operations)?;
    scim_patch::check_types(&ops, ResourceSchema::user())?;
    resource::check_removals(api.resource(), &ops)?;
    let pid = resolve(ctx, &api, id).await?;
    objects::check_if_match(ctx, &api, USER, &pid).await?;
    let direct = match resource::touches_immutable(api.resource(), &ops) {
        true => None,
        false => direct::plan(api.resource(), &ops),
    };
    if let Some(fields) = direct {
        let updated = objects::updated(&api, &pid, api.update(&pid, fields).await?)
            .await?
            .ok_or_else(|| not_found(USER, id))?;
        // Cached names of this user may be stale now; a cached lookup re-checks the user and evicts them.
        let rendered = render(ctx, &api, &updated).await?;
        let after = &rendered.json;
        let sets_active = direct::sets_active(&ops);
        let was_active = sets_active.then(|| active_of(after).map(|a| !a)).flatten();
        audit_change(ctx, after, update_action(was_active, after));
        return reply(StatusCode::OK, rendered, false);
    }
    let current = objects::fetch(&api, USER, &pid).await?;
    let before = render(ctx, &api, &current).await?;
    // The full schema: an attribute the mapping does not hold is the mapping's to refuse (or ignore), by name.
    let mut after = scim_patch::apply_with_schema(&before.json, &ops, ResourceSchema::user())?;
    objects::required(&after, "userName")?;
    resource::check_immutable(api.resource(), &before.json, &mut after, false)?;
    // `active` is written through the deactivation style, whatever its rule says.
    let (was, now) = match api.resource().deactivate {
        Deactivate::Field => (before.json.clone(), after.clone()),
        _ => (without_active(&before.json), without_active(&after)),
    };
    resource::check_read_only(api.resource(), &was, &now)?;
    let updated = update(ctx, &api, &pid, &current, &after).await?;
    let rendered = updated.render(ctx, &api).await?;
    let after = &rendered.json;
    audit_change(ctx, after, update_action(active_of(&before.json), after));
    reply(StatusCode::OK, rendered, false)
}

/// Deactivate or reactivate when `active` changed, else update.
fn update_action(was_active: Option<bool>, after: &Value) -> Action {
    match (was_active, active_of(after)) {
        (Some(true), Some(false)) => Action::Deactivate,
        (Some(false), Some(true)) => Action::Reactivate,
        _ => Action::Update,
    }
}

fn audit_change(ctx: &Context<'_>, rendered: &Value, action: Action) {
    let id = json::get(rendered, "id").and_then(Value::as_str).unwrap_or("");
    audit::record(ctx.tenant.id.as_str(), USER.name, action, id, None, "ok");
}

/// A user after an update.
struct Updated {
    object: Value,
    /// Deactivation deleted it (the `delete` style): the answer shows it inactive.
    deleted: bool,
}

impl Updated {
    async fn render(&self, ctx: &Context<'_>, api: &Api<'_>) -> Result<Rendered, Error> {
        if !self.deleted {
            return render(ctx, api, &self.object).await;
        }
        let mut rendered = resource::render(USER, api.resource(), &self.object, &ctx.base_url)?;
        if let Some(members) = rendered.json.as_object_mut() {
            members.insert("active".into(), Value::Bool(false));
        }
        Ok(rendered)
    }
}

/// Write `desired` over `current` in the mapping's update and deactivation styles; the object afterwards.
async fn update(
    ctx: &Context<'_>,
    api: &Api<'_>,
    pid: &ProductId,
    current: &Value,
    desired: &Value,
) -> Result<Updated, Error> {
    let gone = || not_found(USER, pid.as_str());
    let res = api.resource();
    let was_active = match res.deactivate {
        Deactivate::Field => None,
        _ => Some(active_of(&objects::render(ctx, USER, api, current)?.json).unwrap_or(true)),
    };
    let wants_active = active_of(desired).unwrap_or(true);
    let desired = match res.deactivate {
        Deactivate::Field => desired.clone(),
        _ => without_active(desired),
    };
    if res.deactivate == Deactivate::Delete && !wants_active {
        // Deactivation deletes: the answer is the user as it was, inactive.
        if !api.delete(pid).await? {
            return Err(gone());
        }
        forget(ctx, api, current);
        return Ok(Updated {
            object: current.clone(),
            deleted: true,
        });
    }
    forget(ctx, api, current);
    let mut updated = objects::write_back(api, pid, current, &desired, &[])
        .await?
        .ok_or_else(gone)?;
    let new_id = api.id_of(&updated)?;
    if new_id != pid.as_str() {
        // A product keyed by a mutable name renamed the user: requests for the old id follow it while cached.
        let cache = &ctx.tenant.cache;
        cache.put(Key::UserAlias(pid.as_str().to_owned()), new_id.clone());
        // The new id is a live id again, whatever an older rename said of it.
        cache.evict(&Key::UserAlias(new_id.clone()));
    }
    if res.deactivate == Deactivate::Endpoint && was_active != Some(wants_active) {
        let pid = ProductId::of(&new_id);
        updated = objects::updated(api, &pid, api.set_active(&pid, wants_active).await?)
            .await?
            .ok_or_else(gone)?;
    }
    Ok(Updated {
        object: updated,
        deleted: false,
    })
}

/// Drop what the cache knows of a user about to change or go.
fn forget(ctx: &Context<'_>, api: &Api<'_>, object: &Value) {
    let Ok(rendered) = objects::render(ctx, USER, api, object) else {
        return;
    };
    let cache = &ctx.tenant.cache;
    if let Some(name) = json::get(&rendered.json, "userName").and_then(Value::as_str) {
        cache.evict(&Key::UserName(name.to_lowercase()));
    }
    if let Some(external) = json::get(&rendered.json, "externalId").and_then(Value::as_str) {
        cache.evict(&Key::UserExternalId(external.to_owned()));
    }
}

/// `DELETE /Users/{id}`, after the mapping's `before_delete` calls (a failing call stops it). Every cache entry that leads to the user (its userName, externalId, membership key,
/// renamed ids) goes with it: a later lookup asks the product, never the id of a user that is gone.
pub async fn delete(ctx: &Context<'_>, id: &str) -> Result<Reply, Error> {
    let api = api(ctx);
    let pid = resolve(ctx, &api, id).await?;
    if !api.resource().before_delete.is_empty() {
        objects::check_if_match(ctx, &api, USER, &pid).await?;
        for step in &api.resource().before_delete {
            // `members` is refused for users by `check`: only product calls reach here.
            if let crate::mapping::steps::DeleteStep::Call(endpoint) = step {
                objects::delete_step(&api, USER, endpoint, &pid).await?;
            }
        }
    }
    objects::delete(ctx, &api, USER, &pid).await?;
    ctx.tenant.cache.evict_user(pid.as_str());
    ctx.tenant.cache.evict(&Key::UserAlias(id.to_owned()));
    Ok(Reply::no_content())
}

/// `active` of a SCIM resource, reading Entra's `"True"`/`"False"` strings as booleans.
fn active_of(resource: &Value) -> Option<bool> {
    match json::get(resource, "active")? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        Value::String(_) | Value::Number(_) | Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// The resource without `active`, which the deactivation style carries instead of a field.
fn without_active(resource: &Value) -> Value {
    let mut out = resource.clone();
    if let Some(map) = out.as_object_mut() {
        map.retain(|k, _| !k.eq_ignore_ascii_case("active"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn active_reads_entra_strings() {
        assert_eq!(active_of(&json!({"active": "False"})), Some(false));
        assert_eq!(active_of(&json!({"Active": true})), Some(true));
        assert_eq!(active_of(&json!({"active": 1})), None);
        assert_eq!(
            without_active(&json!({"Active": false, "userName": "a"})),
            json!({"userName": "a"})
        );
    }
}
