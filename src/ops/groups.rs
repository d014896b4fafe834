//! `/Groups` (RFC 7644 §3.2–§3.6) over the product's teams: CRUD of the team object by the group mapping, and
//! `members` through the mapping's membership style (`ops::members`).
//!
//! A request that does not want `members` (`excludedAttributes=members`, or `attributes` without it) never reads
//! member lists. A PATCH that only adds members and removes them by `members[value eq "…"]` (what Entra and
//! Okta send) changes them without reading the current list first, and answers 204 (RFC 7644 §3.5.2 allows it).
//!
//! A write that does more than change members applies whole or not at all: a create whose members fail deletes
//! the group again, and a PUT or PATCH that also changes the group's attributes checks its new members before any
//! product call and writes the old attributes back when a member change still fails.

use super::members::Membership;
use super::objects::{self, not_found};
use super::resource::{self, GROUP, Rendered};
use super::{Context, Reply};
use crate::audit::{self, Action};
use crate::cache::Key;
use crate::mapping::api::{Api, ProductId};
use crate::mapping::{GroupMapping, OnConflict};
use crate::scim::filter::{CompValue, CompareOp, Filter};
use crate::scim::list::{self, ListQuery};
use crate::scim::patch::{self as scim_patch, Op, Operation};
use crate::scim::schema::ResourceSchema;
use crate::scim::{Error, ScimType, json};
use http::StatusCode;
use serde_json::{Value, json};
use undo::{changes_attributes, restore, undo_create};

mod undo;

fn api<'c>(ctx: &'c Context<'_>) -> Result<(Api<'c>, &'c GroupMapping), Error> {
    let mapping = &ctx.tenant.mapping;
    let group = mapping
        .groups
        .as_ref()
        .ok_or_else(|| Error::not_found("this service does not provision groups"))?;
    Ok((Api::new(&ctx.tenant.upstream, mapping, &group.resource), group))
}

async fn resolve(ctx: &Context<'_>, api: &Api<'_>, id: &str) -> Result<ProductId, Error> {
    objects::resolve(ctx, api, Key::GroupAlias(id.to_owned()), GROUP, id).await
}

/// The group resource of a team, with its members when asked for; remembers displayName → id.
async fn render(
    ctx: &Context<'_>,
    api: &Api<'_>,
    group: &GroupMapping,
    team: &Value,
    with_members: bool,
) -> Result<Rendered, Error> {
    let mut rendered = objects::render(ctx, GROUP, api, team)?;
    let id = api.id_of(team)?;
    if let Some(name) = json::get(&rendered.json, "displayName").and_then(Value::as_str) {
        ctx.tenant.cache.put(Key::GroupName(name.to_lowercase()), id.clone());
    }
    if with_members {
        let members = Membership::new(ctx, api, group).read(&ProductId::of(&id), team).await?;
        set_members(ctx, &mut rendered.json, &members);
    }
    Ok(rendered)
}

fn set_members(ctx: &Context<'_>, resource: &mut Value, ids: &[String]) {
    let members: Vec<Value> = ids
        .iter()
        .map(|id| {
            let location = resource::location_of(&ctx.base_url, resource::USER, id);
            json!({"value": id, "$ref": location, "type": "User"})
        })
        .collect();
    if let Some(map) = resource.as_object_mut() {
        // Keep `meta` last, as rendered.
        let meta = map.remove("meta");
        map.insert("members".into(), Value::Array(members));
        if let Some(meta) = meta {
            map.insert("meta".into(), meta);
        }
    }
}

fn reply(status: StatusCode, rendered: Rendered, with_location: bool) -> Reply {
    Reply {
        status,
        location: with_location.then(|| rendered.location.clone()),
        etag: rendered.version.clone(),
        body: Some(rendered.json),
    }
}

/// `GET /Groups/{id}`, with `attributes` / `excludedAttributes`.
pub async fn get(ctx: &Context<'_>, id: &str, query: Option<&str>) -> Result<Reply, Error> {
    let projection = objects::projection(query)?;
    let (api, group) = api(ctx)?;
    let schema = &api.resource().schema;
    let pid = resolve(ctx, &api, id).await?;
    let team = objects::fetch(&api, GROUP, &pid).await?;
    let mut rendered = render(ctx, &api, group, &team, projection.wants(schema, "members")).await?;
    rendered.json = projection.apply(std::mem::take(&mut rendered.json), schema);
    Ok(reply(StatusCode::OK, rendered, false))
}

/// `GET /Groups?filter=…&startIndex=…&count=…&sortBy=…&attributes=…` and `POST /Groups/.search` (RFC 7644 §3.4.2,
/// §3.4.3), the query parsed by [`super::list_query`] or [`super::search_query`].
pub async fn list(ctx: &Context<'_>, q: ListQuery) -> Result<Reply, Error> {
    let (api, group) = api(ctx)?;
    let schema = &api.resource().schema;
    let with_members = q.projection.wants(schema, "members");
    let sort = q.sort_by.as_ref().map(|by| (by, q.sort_order));
    let render_plain = |o: &Value| objects::render(ctx, GROUP, &api, o).map(|r| r.json);
    if q.filter.as_ref().is_some_and(filter_names_members)
        || sort.is_some_and(|(by, _)| by.name.eq_ignore_ascii_case("members"))
    {
        // Members must be read to evaluate the filter: render every candidate with them.
        let (all, _) = objects::select(ctx, GROUP, &api, None, None, 1, u32::MAX, &render_plain).await?;
        let mut matched = Vec::new();
        for plain in all {
            let id = json::get(&plain, "id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let team = objects::fetch(&api, GROUP, &ProductId::of(&id)).await?;
            let full = render(ctx, &api, group, &team, true).await?.json;
            if q.filter
                .as_ref()
                .is_none_or(|f| f.matches(&full, ResourceSchema::group()))
            {
                matched.push(full);
            }
        }
        if let Some((by, order)) = sort {
            crate::scim::sort::sort(&mut matched, by, order, ResourceSchema::group());
        }
        let total = matched.len() as u64;
        let page = matched
            .into_iter()
            .skip(q.start_index as usize - 1)
            .take(q.count as usize)
            .map(|r| q.projection.apply(r, schema))
            .collect();
        return Ok(Reply::ok(list::response(page, total, q.start_index)));
    }
    let (selected, total) = objects::select(
        ctx,
        GROUP,
        &api,
        q.filter.as_ref(),
        sort,
        q.start_index,
        q.count,
        &render_plain,
    )
    .await?;
    let mut resources = Vec::with_capacity(selected.len());
    for plain in selected {
        if let Some(name) = json::get(&plain, "displayName").and_then(Value::as_str)
            && let Some(id) = json::get(&plain, "id").and_then(Value::as_str)
        {
            ctx.tenant.cache.put(Key::GroupName(name.to_lowercase()), id);
        }
        if !with_members {
            resources.push(q.projection.apply(plain, schema));
            continue;
        }
        let mut full = plain;
        let id = json::get(&full, "id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let pid = ProductId::of(&id);
        // Only members kept on the team object need it read; the others need no second read.
        let team = if group.members.reads_team() {
            objects::fetch(&api, GROUP, &pid).await?
        } else {
            Value::Null
        };
        let members = Membership::new(ctx, &api, group).read(&pid, &team).await?;
        set_members(ctx, &mut full, &members);
        resources.push(q.projection.apply(full, schema));
    }
    Ok(Reply::ok(list::response(resources, total, q.start_index)))
}

fn filter_names_members(f: &Filter) -> bool {
    match f {
        Filter::And(a, b) | Filter::Or(a, b) => filter_names_members(a) || filter_names_members(b),
        Filter::Not(a) => filter_names_members(a),
        Filter::Present(p) | Filter::Compare(p, _, _) | Filter::ValuePath(p, _) => {
            p.name.eq_ignore_ascii_case("members")
        }
    }
}

/// The user ids of a `members` value: an array of `{"value": id}` (a single object is read as one element).
fn member_ids(value: Option<&Value>) -> Result<Vec<String>, Error> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
        Some(one @ Value::Object(_)) => vec![one],
        Some(_) => {
            return Err(Error::bad_request(
                ScimType::InvalidValue,
                "members must be an array of {\"value\": \"<user id>\"}",
            ));
        }
    };
    let mut ids = Vec::new();
    for item in items {
        let id = super::members::key_text(json::get(item, "value"))
            .ok_or_else(|| Error::bad_request(ScimType::InvalidValue, "every member needs a value (the user's id)"))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Refuse a request that adds or removes more members than the configured bound.
fn check_member_count(ctx: &Context<'_>, n: usize) -> Result<(), Error> {
    let max = ctx.settings.max_members_per_request;
    if n > max {
        return Err(Error::bad_request(
            ScimType::InvalidValue,
            format!("the request changes {n} members; at most {max} are accepted per request, send them in batches"),
        ));
    }
    Ok(())
}

fn without_members(resource: &Value) -> Value {
    let mut out = resource.clone();
    if let Some(map) = out.as_object_mut() {
        map.retain(|k, _| !k.eq_ignore_ascii_case("members"));
    }
    out
}

/// `POST /Groups`.
pub async fn create(ctx: &Context<'_>, body: Value) -> Result<Reply, Error> {
    let (api, group) = api(ctx)?;
    resource::check_incoming(GROUP, &body)?;
    let name = objects::required(&body, "displayName")?.to_owned();
    let members = member_ids(json::get(&body, "members"))?;
    check_member_count(ctx, members.len())?;
    let scim = without_members(&body);
    let product = objects::create_body(api.resource(), &scim)?;
    let membership = Membership::new(ctx, &api, group);
    let mut created = true;
    let team = match api.create(product).await {
        Ok(team) => team,
        Err(e) if e.status == StatusCode::CONFLICT && api.resource().on_conflict == OnConflict::Adopt => {
            created = false;
            let existing = objects::existing(ctx, &api, GROUP, "displayName", &name)
                .await?
                .ok_or(e)?;
            let pid = ProductId::of(&api.id_of(&existing)?);
            let extra: Vec<_> = api.resource().managed.iter().cloned().collect();
            objects::write_back(&api, &pid, &existing, &scim, &extra)
                .await?
                .ok_or_else(|| not_found(GROUP, pid.as_str()))?
        }
        Err(e) => return Err(e),
    };
    let pid = ProductId::of(&api.id_of(&team)?);
    let current = if api.resource().on_conflict == OnConflict::Adopt {
        membership.read(&pid, &team).await?
    } else {
        Vec::new()
    };
    let removes: Vec<String> = current.iter().filter(|m| !members.contains(m)).cloned().collect();
    if let Err(failed) = membership.change(&pid, &team, &members, &removes).await {
        return Err(if created {
            undo_create(ctx, &api, &pid, failed).await
        } else {
            failed
        });
    }
    let mut rendered = render(ctx, &api, group, &team, false).await?;
    set_members(ctx, &mut rendered.json, &members);
    audit::record(
        ctx.tenant.id.as_str(),
        GROUP.name,
        Action::Create,
        pid.as_str(),
        None,
        "ok",
    );
    Ok(reply(StatusCode::CREATED, rendered, true))
}

/// `PUT /Groups/{id}`: attributes replaced, and the members made exactly the ones sent.
pub async fn replace(ctx: &Context<'_>, id: &str, body: Value) -> Result<Reply, Error> {
    let (api, group) = api(ctx)?;
    resource::check_incoming(GROUP, &body)?;
    objects::required(&body, "displayName")?;
    let desired = member_ids(json::get(&body, "members"))?;
    check_member_count(ctx, desired.len())?;
    let pid = resolve(ctx, &api, id).await?;
    objects::check_if_match(ctx, &api, GROUP, &pid).await?;
    let team = objects::fetch(&api, GROUP, &pid).await?;
    let membership = Membership::new(ctx, &api, group);
    let current = membership.read(&pid, &team).await?;
    let adds: Vec<String> = desired.iter().filter(|m| !current.contains(m)).cloned().collect();
    let removes: Vec<String> = current.iter().filter(|m| !desired.contains(m)).cloned().collect();
    let before = objects::render(ctx, GROUP, &api, &team)?.json;
    let renames = changes_attributes(&api, &before, &body);
    if renames {
        membership.check_users(&adds).await?;
    }
    let updated = write(ctx, &api, &pid, &team, &without_members(&body)).await?;
    let new_pid = ProductId::of(&api.id_of(&updated)?);
    if let Err(failed) = membership.change(&new_pid, &updated, &adds, &removes).await {
        return Err(match renames {
            true => restore(ctx, &api, &updated, &before, failed).await,
            false => failed,
        });
    }
    let mut rendered = render(ctx, &api, group, &updated, false).await?;
    set_members(ctx, &mut rendered.json, &desired);
    Ok(reply(StatusCode::OK, rendered, false))
}

/// Write the group's attributes; the team afterwards.
async fn write(
    ctx: &Context<'_>,
    api: &Api<'_>,
    pid: &ProductId,
    team: &Value,
    desired: &Value,
) -> Result<Value, Error> {
    if let Ok(before) = objects::render(ctx, GROUP, api, team)
        && let Some(name) = json::get(&before.json, "displayName").and_then(Value::as_str)
    {
        ctx.tenant.cache.evict(&Key::GroupName(name.to_lowercase()));
    }
    let updated = objects::write_back(api, pid, team, desired, &[])
        .await?
        .ok_or_else(|| not_found(GROUP, pid.as_str()))?;
    let new_id = api.id_of(&updated)?;
    audit::record(ctx.tenant.id.as_str(), GROUP.name, Action::Update, &new_id, None, "ok");
    if new_id != pid.as_str() {
        let cache = &ctx.tenant.cache;
        cache.evict(&Key::GroupAlias(new_id.clone()));
        cache.put(Key::GroupAlias(pid.as_str().to_owned()), new_id);
    }
    Ok(updated)
}

/// `PATCH /Groups/{id}`.
pub async fn patch(ctx: &Context<'_>, id: &str, body: Value) -> Result<Reply, Error> {
    let (api, group) = api(ctx)?;
    let ops = scim_patch::parse(&body, ctx.settings.max_patch_operations)?;
    scim_patch::check_types(&ops, ResourceSchema::group())?;
    let pid = resolve(ctx, &api, id).await?;
    objects::check_if_match(ctx, &api, GROUP, &pid).await?;
    let team = objects::fetch(&api, GROUP, &pid).await?;
    let membership = Membership::new(ctx, &api, group);
    if let Some(direct) = direct_member_ops(&ops)? {
        check_member_count(ctx, direct.adds.len() + direct.removes.len())?;
        let before = objects::render(ctx, GROUP, &api, &team)?.json;
        let after = scim_patch::apply_with_schema(&before, &direct.others, ResourceSchema::group())?;
        resource::check_read_only(api.resource(), &before, &after)?;
        let renames = changes_attributes(&api, &before, &after);
        if renames {
            membership.check_users(&direct.adds).await?;
        }
        let mut updated = team.clone();
        if renames {
            objects::required(&after, "displayName")?;
            updated = write(ctx, &api, &pid, &team, &after).await?;
        }
        let pid = ProductId::of(&api.id_of(&updated)?);
        if let Err(failed) = membership.change(&pid, &updated, &direct.adds, &direct.removes).await {
            return Err(match renames {
                true => restore(ctx, &api, &updated, &before, failed).await,
                false => failed,
            });
        }
        return Ok(Reply::no_content());
    }
    let mut before = render(ctx, &api, group, &team, false).await?;
    let current = membership.read(&pid, &team).await?;
    set_members(ctx, &mut before.json, &current);
    let after = scim_patch::apply_with_schema(&before.json, &ops, ResourceSchema::group())?;
    objects::required(&after, "displayName")?;
    resource::check_read_only(api.resource(), &before.json, &after)?;
    let desired = member_ids(json::get(&after, "members"))?;
    let adds: Vec<String> = desired.iter().filter(|m| !current.contains(m)).cloned().collect();
    let removes: Vec<String> = current.iter().filter(|m| !desired.contains(m)).cloned().collect();
    check_member_count(ctx, adds.len() + removes.len())?;
    let renames = changes_attributes(&api, &before.json, &after);
    if renames {
        membership.check_users(&adds).await?;
    }
    let updated = write(ctx, &api, &pid, &team, &without_members(&after)).await?;
    let new_pid = ProductId::of(&api.id_of(&updated)?);
    if let Err(failed) = membership.change(&new_pid, &updated, &adds, &removes).await {
        return Err(match renames {
            true => restore(ctx, &api, &updated, &before.json, failed).await,
            false => failed,
        });
    }
    let mut rendered = render(ctx, &api, group, &updated, false).await?;
    set_members(ctx, &mut rendered.json, &desired);
    Ok(reply(StatusCode::OK, rendered, false))
}

/// A PATCH whose member operations need no current member list.
struct Direct {
    adds: Vec<String>,
    removes: Vec<String>,
    others: Vec<Operation>,
}

/// Split a PATCH into member adds, member removes by value, and the other operations; `None` when a member
/// operation needs the current list (replace, remove all, a filter other than `value eq`).
fn direct_member_ops(ops: &[Operation]) -> Result<Option<Direct>, Error> {
    let mut direct = Direct {
        adds: Vec::new(),
        removes: Vec::new(),
        others: Vec::new(),
    };
    for op in ops {
        let Some(path) = &op.path else {
            if op.value.as_ref().and_then(|v| json::get(v, "members")).is_some() {
                return Ok(None);
            }
            direct.others.push(op.clone());
            continue;
        };
        let core = path
            .attr
            .schema
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case(GROUP.schema));
        if !(core && path.attr.name.eq_ignore_ascii_case("members")) {
            direct.others.push(op.clone());
            continue;
        }
        if path.attr.sub.is_some() || path.sub.is_some() {
            return Ok(None);
        }
        match (op.op, &path.filter) {
            (Op::Add, None) => direct.adds.extend(member_ids(op.value.as_ref())?),
            (Op::Remove, None) if op.value.is_some() => {
                // Entra: `{"op": "Remove", "path": "members", "value": [{"value": "<id>"}]}` removes those.
                direct.removes.extend(member_ids(op.value.as_ref())?)
            }
            (Op::Remove, Some(Filter::Compare(p, CompareOp::Eq, CompValue::Str(v))))
                if p.name.eq_ignore_ascii_case("value") && p.sub.is_none() =>
            {
                direct.removes.push(v.clone())
            }
            _ => return Ok(None),
        }
    }
    direct.removes.retain(|r| !direct.adds.contains(r));
    Ok(Some(direct))
}

/// `DELETE /Groups/{id}`. Every cache entry that leads to the group (its displayName, renamed ids) goes with it.
pub async fn delete(ctx: &Context<'_>, id: &str) -> Result<Reply, Error> {
    let (api, _) = api(ctx)?;
    let pid = resolve(ctx, &api, id).await?;
    objects::delete(ctx, &api, GROUP, &pid).await?;
    ctx.tenant.cache.evict_group(pid.as_str());
    ctx.tenant.cache.evict(&Key::GroupAlias(id.to_owned()));
    Ok(Reply::no_content())
}
