//! `check --live --write`: a throwaway user and team, named `scimgate-check-<random>` so an operator spots them,
//! taken through the SCIM operations the IdPs use (create, read, lookup by name, a one-attribute PATCH that must
//! keep its siblings, deactivation, membership add and remove, delete), each step reported with the product calls
//! it made. Whatever was created is deleted at the end, also after a failed step.

use super::{Findings, Scope, SharedTenant};
use crate::mapping::Deactivate;
use crate::ops::{self, Context, Reply, groups, users};
use crate::request::Settings;
use crate::scim;
use crate::upstream::PRODUCT_CALLS;
use serde_json::{Value, json};
use std::cell::Cell;
use user::{body_has, kept, set_path, user_body, writable};

mod user;

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// What the cycle created and has not deleted yet.
#[derive(Default)]
struct Made {
    user: Option<String>,
    group: Option<String>,
}

/// The write cycle of one tenant.
pub(super) async fn cycle(tenant: SharedTenant, settings: &Settings, scope: &Scope) -> Vec<super::Finding> {
    let ctx = Context {
        tenant,
        base_url: "https://scimgate-check.invalid/scim/v2".into(),
        settings,
        if_match: None,
    };
    let tag = format!("scimgate-check-{}", hex::encode(rand::random::<[u8; 4]>()));
    let mut f = Findings::default();
    let mut made = Made::default();
    let users_key = format!("{}.users", scope.mapping_key);
    user_steps(&ctx, &tag, &users_key, &mut made, &mut f).await;
    if ctx.tenant.mapping.groups.is_some() && made.user.is_some() {
        group_steps(&ctx, &tag, &format!("{}.groups", scope.mapping_key), &mut made, &mut f).await;
    }
    clean_up(&ctx, &tag, &users_key, made, &mut f).await;
    f.0
}

/// Run one operation, counting its product calls: the reply, or the failure reported under `key`.
async fn step<F>(f: &mut Findings, check: &str, key: &str, what: &str, op: F) -> Option<Value>
where
    F: Future<Output = Result<Reply, scim::Error>>,
{
    let (outcome, calls) = PRODUCT_CALLS
        .scope(Cell::new(0), async {
            let outcome = op.await;
            (outcome, PRODUCT_CALLS.with(Cell::get))
        })
        .await;
    match outcome {
        Ok(reply) => {
            f.pass(
                check,
                key,
                format!("{what} answered {} ({calls} product call(s))", reply.status.as_u16()),
            );
            Some(reply.body.unwrap_or(Value::Null))
        }
        Err(e) => {
            f.fail(
                check,
                key,
                format!(
                    "{what} answered {} {}: {} ({calls} product call(s))",
                    e.status.as_u16(),
                    e.scim_type.map_or("", |t| t.as_str()),
                    e.detail
                ),
                "see the detail; scimgate preview shows the product calls this operation sends",
            );
            None
        }
    }
}

async fn user_steps(ctx: &Context<'_>, tag: &str, key: &str, made: &mut Made, f: &mut Findings) {
    let res = &ctx.tenant.mapping.users;
    let body = user_body(ctx, tag);
    let check = "write: create user";
    let Some(created) = step(
        f,
        check,
        &format!("{key}.endpoints.create"),
        "POST /Users",
        users::create(ctx, body.clone()),
    )
    .await
    else {
        return;
    };
    let Some(id) = created["id"].as_str().map(str::to_owned) else {
        return;
    };
    made.user = Some(id.clone());
    let get = format!("GET /Users/{id}");
    let Some(read) = step(
        f,
        "write: read user",
        &format!("{key}.endpoints.get"),
        &get,
        users::get(ctx, &id, None),
    )
    .await
    else {
        return;
    };
    kept(f, ctx, key, "write: read back the create", &body, &read, None);
    let filter = format!("userName eq {}", Value::String(tag.to_owned()));
    let found = step(
        f,
        "write: find user by userName",
        &format!("{key}.filters"),
        &format!("GET /Users?filter={filter}"),
        async { users::list(ctx, ops::list_query(ctx, Some(&filter_query(&filter)))?).await },
    )
    .await;
    if let Some(found) = found
        && found["totalResults"] != 1
    {
        f.fail(
            "write: find user by userName",
            format!("{key}.filters"),
            format!("{filter} found {} user(s), not the one created", found["totalResults"]),
            "check the userName push-down rule and its match",
        );
    }
    // A PATCH of one attribute must leave the others as they were (a whole-object update from a stale read would not).
    let changed = ["title", "displayName", "nickName", "name.givenName"]
        .into_iter()
        .find(|a| body_has(&body, a) && writable(ctx, a));
    if let Some(attr) = changed {
        let patch = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": attr, "value": "Scimgate Changed"}]});
        let what = format!("PATCH /Users/{id} replace {attr}");
        if step(
            f,
            "write: update one attribute",
            &format!("{key}.endpoints.update"),
            &what,
            users::patch(ctx, &id, patch),
        )
        .await
        .is_some()
            && let Some(read) = step(
                f,
                "write: read user",
                &format!("{key}.endpoints.get"),
                &get,
                users::get(ctx, &id, None),
            )
            .await
        {
            let mut expected = body.clone();
            set_path(&mut expected, attr, json!("Scimgate Changed"));
            kept(
                f,
                ctx,
                key,
                "write: update keeps the other attributes",
                &expected,
                &read,
                Some(attr),
            );
        }
    }
    // `active` is written through its rule, or through the (de)activation endpoints; deletion is not tried here.
    let settable = match res.deactivate {
        Deactivate::Field => res
            .attributes
            .rules()
            .iter()
            .any(|r| r.target.is_named("active") && !r.read_only),
        Deactivate::Endpoint => true,
        Deactivate::Delete => false,
    };
    if settable {
        for active in [false, true] {
            let patch =
                json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": active}]});
            let what = format!("PATCH /Users/{id} active={active}");
            let check = if active {
                "write: reactivate"
            } else {
                "write: deactivate"
            };
            let key = format!("{key}.deactivate");
            if step(f, check, &key, &what, users::patch(ctx, &id, patch))
                .await
                .is_none()
            {
                break;
            }
            match users::get(ctx, &id, None).await.map(|r| r.body.unwrap_or_default()) {
                Ok(read) if read["active"] == active => {}
                Ok(read) => f.fail(
                    check,
                    &key,
                    format!("after {what}, active reads {}", read["active"]),
                    "check the active rule and its map",
                ),
                Err(e) => f.fail(
                    check,
                    &key,
                    format!("GET /Users/{id} answered {}: {}", e.status.as_u16(), e.detail),
                    "check the get endpoint",
                ),
            }
        }
    }
}

async fn group_steps(ctx: &Context<'_>, tag: &str, key: &str, made: &mut Made, f: &mut Findings) {
    let Some(uid) = made.user.clone() else { return };
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": tag});
    let Some(created) = step(
        f,
        "write: create group",
        &format!("{key}.endpoints.create"),
        "POST /Groups",
        groups::create(ctx, body),
    )
    .await
    else {
        return;
    };
    let Some(gid) = created["id"].as_str().map(str::to_owned) else {
        return;
    };
    made.group = Some(gid.clone());
    let members_key = format!("{key}.members");
    let add =
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": uid}]}]});
    let remove = json!({"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": format!("members[value eq {}]", Value::String(uid.clone()))}]});
    for (check, patch, wanted) in [
        ("write: add member", add, true),
        ("write: remove member", remove, false),
    ] {
        let what = format!(
            "PATCH /Groups/{gid} {} member {uid}",
            if wanted { "add" } else { "remove" }
        );
        if step(f, check, &members_key, &what, groups::patch(ctx, &gid, patch))
            .await
            .is_none()
        {
            return;
        }
        match groups::get(ctx, &gid, None).await.map(|r| r.body.unwrap_or_default()) {
            Ok(read) => {
                let has = read["members"]
                    .as_array()
                    .is_some_and(|m| m.iter().any(|x| x["value"] == uid.as_str()));
                if has != wanted {
                    f.fail(
                        check,
                        &members_key,
                        format!("after {what}, GET /Groups/{gid} members are {}", read["members"]),
                        "check the membership style and its pointers",
                    );
                }
            }
            Err(e) => f.fail(
                check,
                &members_key,
                format!("GET /Groups/{gid} answered {}: {}", e.status.as_u16(), e.detail),
                "check the get endpoint",
            ),
        }
    }
}

/// Delete what the cycle made (found by its name when its create answered an error), and see that it is gone.
async fn clean_up(ctx: &Context<'_>, tag: &str, users_key: &str, made: Made, f: &mut Findings) {
    let group = match made.group {
        Some(id) => Some(id),
        None if ctx.tenant.mapping.groups.is_some() => find(ctx, true, tag).await,
        None => None,
    };
    if let Some(gid) = group {
        let key = users_key.replace(".users", ".groups.endpoints.delete");
        gone(ctx, f, true, &gid, &key).await;
    }
    let user = match made.user {
        Some(id) => Some(id),
        None => find(ctx, false, tag).await,
    };
    if let Some(uid) = user {
        gone(ctx, f, false, &uid, &format!("{users_key}.endpoints.delete")).await;
    }
}

async fn gone(ctx: &Context<'_>, f: &mut Findings, group: bool, id: &str, key: &str) {
    let (noun, path) = if group { ("group", "Groups") } else { ("user", "Users") };
    let check = format!("write: delete {noun}");
    let what = format!("DELETE /{path}/{id}");
    let deleted = if group {
        groups::delete(ctx, id).await
    } else {
        users::delete(ctx, id).await
    };
    let after = if group {
        groups::get(ctx, id, None).await
    } else {
        users::get(ctx, id, None).await
    };
    match (deleted, after) {
        (Ok(reply), Err(e)) if e.status == http::StatusCode::NOT_FOUND => {
            f.pass(
                check,
                key,
                format!("{what} answered {}; a read then answers 404", reply.status.as_u16()),
            );
        }
        (Ok(_), _) => f.fail(
            check,
            key,
            format!("{what} succeeded, but the {noun} {id} can still be read"),
            "check the delete endpoint",
        ),
        (Err(e), _) => f.fail(
            check,
            key,
            format!(
                "{what} answered {}: {}; the {noun} {id} is left in the product: delete it by hand",
                e.status.as_u16(),
                e.detail
            ),
            "check the delete endpoint",
        ),
    }
}

/// The id of the user (or group) named `tag`, if the product has one.
async fn find(ctx: &Context<'_>, group: bool, tag: &str) -> Option<String> {
    let attr = if group { "displayName" } else { "userName" };
    let filter = format!("{attr} eq {}", Value::String(tag.to_owned()));
    let query = ops::list_query(ctx, Some(&filter_query(&filter))).ok()?;
    let reply = if group {
        groups::list(ctx, query).await
    } else {
        users::list(ctx, query).await
    }
    .ok()?;
    reply.body?["Resources"][0]["id"].as_str().map(str::to_owned)
}

/// `filter=<filter>`, form-encoded.
fn filter_query(filter: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("filter", filter)
        .finish()
}
