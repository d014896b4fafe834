//! Entra-style and Okta-style provisioning cycles that know nothing of the product behind the gateway: what a real
//! product holds is described by a [`Profile`], and every answer is checked as the IdP reads it. The cycles return
//! what the IdP believes it provisioned ([`Provisioned`]), which the product's own test compares with the product's
//! own API; [`cold_lookups`] repeats the IdP's lookups through a fresh gateway process (an empty id cache).
//!
//! Payloads follow the fixtures of `tests/entra_cycle.rs` and `tests/okta_cycle.rs` (Entra's capitalised ops and
//! `"False"`, Okta's path-less replace of `active`, its PUT and its Push Groups sequence).

use super::cycle::{GROUP_SCHEMA, LIST_SCHEMA, USER_SCHEMA, filter, from_fixture, urlencode, with_id};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// What a product holds, as its shipped mapping declares it.
#[derive(Debug, Clone)]
pub struct Profile {
    /// `name.givenName` and `name.familyName`.
    pub name: bool,
    /// `displayName` of users.
    pub display_name: bool,
    /// `emails[type eq "work"].value`.
    pub email: bool,
    /// `externalId` of users.
    pub external_id: bool,
    /// How `active = false` is held.
    pub active: Active,
    /// Groups are mapped.
    pub groups: bool,
    /// A group's `displayName` can change (otherwise a rename is 400 `mutability`).
    pub group_rename: bool,
    /// Users in one cycle.
    pub users: usize,
}

/// How a product holds deactivation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Active {
    /// The user stays, inactive, and can be reactivated.
    Held,
    /// The user is deleted (`deactivate = "delete"`).
    Deletes,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            name: true,
            display_name: true,
            email: true,
            external_id: true,
            active: Active::Held,
            groups: true,
            group_rename: true,
            users: 6,
        }
    }
}

/// A SCIM client of one tenant: the IdP's side of the connection.
pub struct Idp {
    pub base: String,
    pub client: reqwest::Client,
    pub token: String,
}

/// What the IdP believes it provisioned.
#[derive(Debug, Clone, Default)]
pub struct Provisioned {
    /// SCIM id → (userName, active).
    pub users: BTreeMap<String, (String, bool)>,
    /// SCIM id → (displayName, member ids).
    pub groups: BTreeMap<String, (String, BTreeSet<String>)>,
}

impl Provisioned {
    /// The userNames of a group's members.
    pub fn member_names(&self, group: &str) -> BTreeSet<String> {
        self.groups[group].1.iter().map(|id| self.users[id].0.clone()).collect()
    }
}

impl Idp {
    /// The first tenant of an in-process gateway.
    pub fn of(gw: &super::Gateway) -> Idp {
        Idp {
            base: gw.base.clone(),
            client: gw.client.clone(),
            token: gw.tenants[0].token.clone(),
        }
    }

    /// A gateway process, with the tenant's token.
    pub fn of_process(process: &super::process::Process, token: &str) -> Idp {
        Idp {
            base: process.base.clone(),
            client: reqwest::Client::new(),
            token: token.to_owned(),
        }
    }

    /// Send a request and check its status; the answer's headers and body.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>, want: u16) -> (HeaderMap, Value) {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        let (status, headers, answer) = super::send(req).await;
        assert_eq!(status.as_u16(), want, "{method} {path} {body:?}: {answer}");
        if status == StatusCode::NO_CONTENT {
            assert_eq!(answer, Value::Null, "{method} {path}: 204 has no body");
        }
        (headers, answer)
    }

    /// A group PATCH: 200 with the group or 204 (RFC 7644 §3.5.2 allows both).
    pub async fn patch_group(&self, id: &str, body: &Value) {
        self.patch_ok("Groups", id, body).await;
    }

    /// A PATCH answered 200 or 204.
    pub async fn patch_ok(&self, endpoint: &str, id: &str, body: &Value) {
        let path = at(endpoint, id);
        let (status, _, answer) = super::send(
            self.client
                .patch(format!("{}{path}", self.base))
                .bearer_auth(&self.token)
                .header("content-type", "application/scim+json")
                .body(body.to_string()),
        )
        .await;
        assert!(
            status == StatusCode::OK || status == StatusCode::NO_CONTENT,
            "PATCH {path} {body}: {status} {answer}"
        );
    }

    /// Check a resource answer as the IdPs read it; its id.
    fn resource(&self, headers: &HeaderMap, body: &Value, endpoint: &str, schema: &str) -> String {
        let id = body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id: {body}"))
            .to_owned();
        assert!(
            body["schemas"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s == schema)),
            "{body}"
        );
        assert_eq!(
            body["meta"]["location"].as_str(),
            Some(format!("{}/{endpoint}/{}", self.base, urlencode(&id)).as_str()),
            "absolute meta.location: {body}"
        );
        assert_eq!(body["meta"]["resourceType"], &endpoint[..endpoint.len() - 1]);
        if let Some(created) = headers.get("location") {
            assert_eq!(
                created,
                body["meta"]["location"].as_str().unwrap_or_default(),
                "Location is meta.location"
            );
        }
        id
    }

    /// `GET /{endpoint}?filter=<attr> eq "<value>"`: the resources found.
    pub async fn lookup(&self, endpoint: &str, attribute: &str, value: &str, extra: &str) -> Vec<Value> {
        let path = format!("/{endpoint}?{}{extra}", filter(&format!("{attribute} eq \"{value}\"")));
        let (_, body) = self.call(Method::GET, &path, None, 200).await;
        assert_eq!(body["schemas"][0], LIST_SCHEMA, "{body}");
        let found = body["Resources"].as_array().cloned().unwrap_or_default();
        assert_eq!(body["totalResults"], found.len(), "{path}: {body}");
        found
    }

    /// A lookup that must find exactly `id`, or nothing.
    async fn expect_lookup(&self, endpoint: &str, attribute: &str, value: &str, id: Option<&str>) {
        let found = self.lookup(endpoint, attribute, value, "").await;
        let ids: Vec<&str> = found.iter().filter_map(|r| r["id"].as_str()).collect();
        assert_eq!(
            ids,
            id.into_iter().collect::<Vec<_>>(),
            "{endpoint} {attribute} eq {value:?}"
        );
    }

    /// Every user the listing holds, paged through `count` at a time: each SCIM id once.
    pub async fn all_users(&self, count: usize) -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        let mut start = 1;
        loop {
            let (_, page) = self
                .call(
                    Method::GET,
                    &format!("/Users?startIndex={start}&count={count}"),
                    None,
                    200,
                )
                .await;
            let total = page["totalResults"].as_u64().expect("totalResults") as usize;
            let items = page["Resources"].as_array().cloned().unwrap_or_default();
            assert!(items.len() <= count, "{page}");
            for item in &items {
                let id = item["id"].as_str().expect("id").to_owned();
                assert!(out.insert(id, item.clone()).is_none(), "a user listed twice: {item}");
            }
            start += items.len();
            if items.is_empty() || start > total {
                assert_eq!(out.len(), total, "totalResults is what the pages hold");
                return out;
            }
        }
    }
}

/// The SCIM create body of user `i` of a cycle, in the IdP's dialect, holding what the product holds.
fn user_body(profile: &Profile, fixture: &str, user_name: &str, i: usize) -> Value {
    from_fixture(fixture, |u| {
        let body = u.as_object_mut().expect("object");
        body.retain(|k, _| matches!(k.as_str(), "schemas" | "userName" | "active"));
        body.insert("userName".into(), json!(user_name));
        if profile.name {
            body.insert(
                "name".into(),
                json!({"givenName": format!("Given{i}"), "familyName": "Family"}),
            );
        }
        if profile.display_name {
            body.insert("displayName".into(), json!(format!("Given{i} Family")));
        }
        if profile.email {
            body.insert(
                "emails".into(),
                json!([{"primary": true, "type": "work", "value": format!("mail{i}.{user_name}")}]),
            );
        }
        if profile.external_id {
            body.insert("externalId".into(), json!(format!("ext-{user_name}")));
        }
    })
}

/// An Entra-style cycle: Test Connection, match by `userName eq` before each create, create, a retried create
/// (409), PATCH in Entra's dialect, disable and re-enable with `"False"` / `"True"`, groups looked up by
/// `displayName eq` with `excludedAttributes=members`, member adds in one batch, removals by filter and by value
/// list, a re-add, a rename, deletes.
pub async fn entra_cycle(idp: &Idp, profile: &Profile, prefix: &str) -> Provisioned {
    let mut state = Provisioned::default();

    // Test Connection: a filter on a random userName answers 200 with an empty list.
    assert!(
        idp.lookup("Users", "userName", &format!("{prefix}-probe-0b1e"), "")
            .await
            .is_empty()
    );

    for i in 0..profile.users {
        let user_name = format!("{prefix}.user{i}@contoso.example");
        idp.expect_lookup("Users", "userName", &user_name, None).await;
        let body = user_body(profile, "entra-create-user.json", &user_name, i);
        let (headers, created) = idp.call(Method::POST, "/Users", Some(&body), 201).await;
        let id = idp.resource(&headers, &created, "Users", USER_SCHEMA);
        assert_eq!(created["userName"], user_name.as_str(), "{created}");
        assert_eq!(created["active"], true, "{created}");
        if profile.email {
            assert_eq!(
                created["emails"][0]["value"],
                format!("mail{i}.{user_name}"),
                "{created}"
            );
        }
        // Found by userName in any letter case (SCIM's `eq` on userName is case-insensitive).
        idp.expect_lookup("Users", "userName", &user_name, Some(&id)).await;
        idp.expect_lookup("Users", "userName", &user_name.to_uppercase(), Some(&id))
            .await;
        state.users.insert(id, (user_name, true));
    }
    // A retried create meets the existing user: 409 uniqueness, nothing duplicated.
    let again = user_body(
        profile,
        "entra-create-user.json",
        &format!("{prefix}.user1@contoso.example"),
        1,
    );
    let (_, conflict) = idp.call(Method::POST, "/Users", Some(&again), 409).await;
    super::assert_scim_error(&conflict, 409, Some("uniqueness"));

    // Attribute updates in Entra's dialect: capitalised ops, paths and a value path.
    let ids: Vec<String> = state.users.keys().cloned().collect();
    for (n, id) in ids.iter().enumerate().step_by(2) {
        let email = format!("augusta{n}.{prefix}@contoso.example");
        let mut ops = Vec::new();
        if profile.name {
            ops.push(json!({"op": "Replace", "path": "name.givenName", "value": "Augusta"}));
        }
        if profile.display_name {
            ops.push(json!({"op": "Replace", "path": "displayName", "value": "Augusta Family"}));
        }
        if profile.email {
            ops.push(json!({"op": "Replace", "path": "emails[type eq \"work\"].value", "value": email}));
        }
        if ops.is_empty() {
            continue;
        }
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
        let (headers, patched) = idp.call(Method::PATCH, &at("Users", id), Some(&body), 200).await;
        idp.resource(&headers, &patched, "Users", USER_SCHEMA);
        if profile.name {
            assert_eq!(patched["name"]["givenName"], "Augusta", "{patched}");
            assert_eq!(patched["name"]["familyName"], "Family", "a sibling is kept: {patched}");
        }
        if profile.display_name {
            assert_eq!(patched["displayName"], "Augusta Family", "{patched}");
        }
        if profile.email {
            assert_eq!(patched["emails"][0]["value"], email.as_str(), "{patched}");
        }
        assert_eq!(patched["userName"], state.users[id].0.as_str(), "untouched: {patched}");
    }

    // Disable ("False" as a string) and enable again ("True").
    if profile.active == Active::Held {
        let id = ids[1].clone();
        let off = super::fixture("entra-patch-replace-active-string.json");
        let (_, patched) = idp.call(Method::PATCH, &at("Users", &id), Some(&off), 200).await;
        assert_eq!(patched["active"], false, "{patched}");
        let (_, got) = idp.call(Method::GET, &at("Users", &id), None, 200).await;
        assert_eq!(got["active"], false, "{got}");
        let on = from_fixture("entra-patch-replace-active-string.json", |p| {
            p["Operations"][0]["value"] = json!("True");
        });
        let (_, patched) = idp.call(Method::PATCH, &at("Users", &id), Some(&on), 200).await;
        assert_eq!(patched["active"], true, "{patched}");
        // And off again, to stay so.
        idp.call(Method::PATCH, &at("Users", &id), Some(&off), 200).await;
        state.users.get_mut(&id).expect("user").1 = false;
    }

    if profile.groups {
        entra_groups(idp, profile, prefix, &mut state).await;
    }

    // Disable under `deactivate = "delete"`: the user is gone, as Entra then sees it.
    if profile.active == Active::Deletes {
        let id = ids[1].clone();
        let off = super::fixture("entra-patch-replace-active-string.json");
        idp.patch_ok("Users", &id, &off).await;
        idp.call(Method::GET, &at("Users", &id), None, 404).await;
        forget_user(&mut state, &id);
    }

    // Delete: 204, then 404 on every later request for that user; it leaves its groups.
    let gone = ids[ids.len() - 1].clone();
    idp.call(Method::DELETE, &at("Users", &gone), None, 204).await;
    let (_, missing) = idp.call(Method::GET, &at("Users", &gone), None, 404).await;
    super::assert_scim_error(&missing, 404, None);
    idp.call(Method::DELETE, &at("Users", &gone), None, 404).await;
    let user_name = state.users[&gone].0.clone();
    idp.expect_lookup("Users", "userName", &user_name, None).await;
    forget_user(&mut state, &gone);

    check_view(idp, &state).await;
    state
}

async fn entra_groups(idp: &Idp, profile: &Profile, prefix: &str, state: &mut Provisioned) {
    let ids: Vec<String> = state.users.keys().cloned().collect();
    for g in 0..2 {
        let name = format!("{prefix} Team {g}");
        let none = idp
            .lookup("Groups", "displayName", &name, "&excludedAttributes=members")
            .await;
        assert!(none.is_empty());
        let body = from_fixture("entra-create-group.json", |b| {
            b["displayName"] = json!(name);
            b.as_object_mut().expect("object").remove("externalId");
        });
        let (headers, created) = idp.call(Method::POST, "/Groups", Some(&body), 201).await;
        let gid = idp.resource(&headers, &created, "Groups", GROUP_SCHEMA);
        let found = idp
            .lookup("Groups", "displayName", &name, "&excludedAttributes=members")
            .await;
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0]["id"], gid.as_str());
        assert!(found[0].get("members").is_none(), "excludedAttributes=members");

        // Member adds in one batch ("Add" with many values).
        let wanted: Vec<&String> = ids.iter().skip(g).step_by(1 + g).collect();
        let body = from_fixture("entra-patch-add-member.json", |p| {
            p["Operations"][0]["value"] = wanted.iter().map(|id| json!({"value": id})).collect();
        });
        idp.patch_group(&gid, &body).await;
        let members: BTreeSet<String> = wanted.into_iter().cloned().collect();
        state.groups.insert(gid, (name, members));
    }
    // The group with the most members goes through the churn, the other is renamed.
    let (gid, (_, members)) = state
        .groups
        .iter_mut()
        .max_by_key(|(_, (_, m))| m.len())
        .expect("group");
    let gid = gid.clone();
    // Removal by filter, by value list, a re-add of a member already there (success).
    let gone = members.iter().next().cloned().expect("members");
    let body = with_id(
        "entra-patch-remove-member-by-filter.json",
        "89bb1940-b905-4575-9e7f-6f887cfb368e",
        &gone,
    );
    idp.patch_group(&gid, &body).await;
    members.remove(&gone);
    let two: Vec<String> = members.iter().take(2).cloned().collect();
    let body = from_fixture("entra-patch-remove-member-value-list.json", |p| {
        p["Operations"][0]["value"] = two.iter().map(|id| json!({"value": id})).collect();
    });
    idp.patch_group(&gid, &body).await;
    for id in &two {
        members.remove(id);
    }
    let again = members.iter().next().cloned().expect("a member left");
    let body = with_id(
        "entra-patch-add-member.json",
        "7f4bc1a3-285e-48ae-8202-5accb43efb0e",
        &again,
    );
    idp.patch_group(&gid, &body).await;
    let (_, got) = idp.call(Method::GET, &at("Groups", &gid), None, 200).await;
    let listed: BTreeSet<String> = super::member_values(&got).into_iter().collect();
    assert_eq!(&listed, members, "{got}");

    // A rename: applied, or refused as 400 mutability with nothing changed.
    let (gid, (name, _)) = state.groups.iter_mut().find(|(id, _)| **id != gid).expect("group");
    let renamed = format!("{name} renamed");
    let body = from_fixture("entra-patch-group-rename.json", |p| {
        p["Operations"][0]["value"] = json!(renamed);
    });
    if profile.group_rename {
        idp.patch_group(gid, &body).await;
        *name = renamed;
    } else {
        let (_, refused) = idp.call(Method::PATCH, &at("Groups", gid), Some(&body), 400).await;
        super::assert_scim_error(&refused, 400, Some("mutability"));
    }
    let (_, got) = idp.call(Method::GET, &at("Groups", gid), None, 200).await;
    assert_eq!(got["displayName"], name.as_str(), "{got}");
}

/// An Okta-style cycle: a `userName eq` lookup with `startIndex=1&count=100` before each create, create, GET, PUT as
/// the full update, deactivate and reactivate by a path-less replace, import by paging, Push Groups (create, member
/// changes as remove-by-filter plus add, a path-less rename, a replace of all members, delete), then deletes.
pub async fn okta_cycle(idp: &Idp, profile: &Profile, prefix: &str) -> Provisioned {
    let mut state = Provisioned::default();
    for i in 0..profile.users {
        let user_name = format!("{prefix}.user{i}@okta.example");
        let found = idp
            .lookup("Users", "userName", &user_name, "&startIndex=1&count=100")
            .await;
        assert!(found.is_empty(), "{found:?}");
        let body = user_body(profile, "okta-create-user.json", &user_name, i);
        let (headers, created) = idp.call(Method::POST, "/Users", Some(&body), 201).await;
        let id = idp.resource(&headers, &created, "Users", USER_SCHEMA);
        let (headers, got) = idp.call(Method::GET, &at("Users", &id), None, 200).await;
        idp.resource(&headers, &got, "Users", USER_SCHEMA);
        assert_eq!(got["userName"], user_name.as_str(), "{got}");
        state.users.insert(id, (user_name, true));
    }
    let ids: Vec<String> = state.users.keys().cloned().collect();

    // PUT: the whole user as Okta holds it, with a changed name.
    if profile.name || profile.display_name {
        let id = &ids[0];
        let user_name = state.users[id].0.clone();
        let mut body = user_body(profile, "okta-put-user.json", &user_name, 0);
        body["id"] = json!(id);
        if profile.name {
            body["name"]["givenName"] = json!("Put");
        }
        if profile.display_name {
            body["displayName"] = json!("Put Family");
        }
        let (headers, put) = idp.call(Method::PUT, &at("Users", id), Some(&body), 200).await;
        idp.resource(&headers, &put, "Users", USER_SCHEMA);
        if profile.name {
            assert_eq!(put["name"]["givenName"], "Put", "{put}");
        }
        if profile.display_name {
            assert_eq!(put["displayName"], "Put Family", "{put}");
        }
    }

    // Deactivate and reactivate: a path-less replace of `active`.
    let id = ids[1].clone();
    let off = super::fixture("okta-patch-deactivate.json");
    let on = super::fixture("okta-patch-reactivate.json");
    match profile.active {
        Active::Held => {
            let (_, patched) = idp.call(Method::PATCH, &at("Users", &id), Some(&off), 200).await;
            assert_eq!(patched["active"], false, "{patched}");
            let (_, patched) = idp.call(Method::PATCH, &at("Users", &id), Some(&on), 200).await;
            assert_eq!(patched["active"], true, "{patched}");
        }
        Active::Deletes => {
            idp.patch_ok("Users", &id, &off).await;
            idp.call(Method::GET, &at("Users", &id), None, 404).await;
            // Okta re-creates a user it reactivates once the product no longer has it.
            let user_name = state.users[&id].0.clone();
            forget_user(&mut state, &id);
            let body = user_body(profile, "okta-create-user.json", &user_name, 1);
            let (headers, created) = idp.call(Method::POST, "/Users", Some(&body), 201).await;
            let id = idp.resource(&headers, &created, "Users", USER_SCHEMA);
            state.users.insert(id, (user_name, true));
        }
    }

    // Import: every provisioned user is in the listing, paged 2 at a time, each once.
    let listed = idp.all_users(2).await;
    for (id, (user_name, _)) in &state.users {
        assert_eq!(listed[id]["userName"], user_name.as_str());
    }

    if profile.groups {
        okta_groups(idp, profile, prefix, &mut state).await;
    }

    // Okta deprovisions by deactivation; an operator's cleanup deletes.
    let gone = state.users.keys().next_back().cloned().expect("users");
    idp.call(Method::DELETE, &at("Users", &gone), None, 204).await;
    idp.call(Method::GET, &at("Users", &gone), None, 404).await;
    forget_user(&mut state, &gone);

    check_view(idp, &state).await;
    state
}

async fn okta_groups(idp: &Idp, profile: &Profile, prefix: &str, state: &mut Provisioned) {
    let ids: Vec<String> = state.users.keys().cloned().collect();
    let name = format!("{prefix} Push");
    let body = from_fixture("okta-create-group.json", |b| {
        b["displayName"] = json!(name);
        b["members"] = json!([]);
    });
    let (headers, created) = idp.call(Method::POST, "/Groups", Some(&body), 201).await;
    let gid = idp.resource(&headers, &created, "Groups", GROUP_SCHEMA);

    // Members: an add of three, then a remove by filter together with an add.
    let first: Vec<&String> = ids.iter().take(3).collect();
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members",
            "value": first.iter().map(|id| json!({"value": id, "display": "x"})).collect::<Vec<_>>()}]});
    idp.patch_group(&gid, &body).await;
    let mut members: BTreeSet<String> = first.into_iter().cloned().collect();
    let body = with_id(
        "okta-patch-group-membership.json",
        "89bb1940-b905-4575-9e7f-6f887cfb368e",
        &ids[0],
    );
    let body = serde_json::from_str::<Value>(
        &body
            .to_string()
            .replace("23a35c27-23d3-4c03-b4c5-6443c09e7173", &ids[3]),
    )
    .expect("json");
    idp.patch_group(&gid, &body).await;
    members.remove(&ids[0]);
    members.insert(ids[3].clone());
    let (_, got) = idp.call(Method::GET, &at("Groups", &gid), None, 200).await;
    let listed: BTreeSet<String> = super::member_values(&got).into_iter().collect();
    assert_eq!(listed, members, "{got}");

    // A path-less rename with the id, as Okta sends it.
    let mut shown = name.clone();
    let renamed = format!("{name} renamed");
    let body = from_fixture("okta-patch-group-rename.json", |p| {
        p["Operations"][0]["value"]["id"] = json!(gid);
        p["Operations"][0]["value"]["displayName"] = json!(renamed);
    });
    if profile.group_rename {
        idp.patch_group(&gid, &body).await;
        shown = renamed;
    } else {
        let (_, refused) = idp.call(Method::PATCH, &at("Groups", &gid), Some(&body), 400).await;
        super::assert_scim_error(&refused, 400, Some("mutability"));
    }

    // Replace all members.
    let all: Vec<String> = vec![ids[1].clone(), ids[4 % ids.len()].clone()];
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "members",
            "value": all.iter().map(|id| json!({"value": id, "display": "x"})).collect::<Vec<_>>()}]});
    idp.patch_group(&gid, &body).await;
    let members: BTreeSet<String> = all.into_iter().collect();
    let (_, got) = idp.call(Method::GET, &at("Groups", &gid), None, 200).await;
    assert_eq!(got["displayName"], shown.as_str(), "{got}");
    let listed: BTreeSet<String> = super::member_values(&got).into_iter().collect();
    assert_eq!(listed, members, "{got}");
    state.groups.insert(gid.clone(), (shown, members));

    // A second group, pushed then deleted.
    let body = from_fixture("okta-create-group.json", |b| {
        b["displayName"] = json!(format!("{prefix} Gone"));
        b["members"] = json!([{"value": ids[2]}]);
    });
    let (_, created) = idp.call(Method::POST, "/Groups", Some(&body), 201).await;
    let gone = created["id"].as_str().expect("id").to_owned();
    assert_eq!(super::member_values(&created), vec![ids[2].clone()], "{created}");
    idp.call(Method::DELETE, &at("Groups", &gone), None, 204).await;
    idp.call(Method::GET, &at("Groups", &gone), None, 404).await;
}

/// The path of a resource.
fn at(endpoint: &str, id: &str) -> String {
    format!("/{endpoint}/{}", urlencode(id))
}

fn forget_user(state: &mut Provisioned, id: &str) {
    state.users.remove(id);
    for (_, members) in state.groups.values_mut() {
        members.remove(id);
    }
}

/// The gateway's view: every user and group as the IdP believes it.
async fn check_view(idp: &Idp, state: &Provisioned) {
    for (id, (user_name, active)) in &state.users {
        let (_, got) = idp.call(Method::GET, &at("Users", id), None, 200).await;
        assert_eq!(
            (&got["userName"], &got["active"]),
            (&json!(user_name), &json!(active)),
            "{got}"
        );
    }
    for (gid, (name, members)) in &state.groups {
        let (_, got) = idp.call(Method::GET, &at("Groups", gid), None, 200).await;
        assert_eq!(got["displayName"], name.as_str(), "{got}");
        let listed: BTreeSet<String> = super::member_values(&got).into_iter().collect();
        assert_eq!(&listed, members, "{name}");
    }
}

/// The IdP's lookups after a cycle, through another gateway (a fresh process: nothing cached): every user found by
/// `userName eq` in two letter cases, every group by `displayName eq`, each by id, and a userName never created
/// found nowhere.
pub async fn cold_lookups(idp: &Idp, state: &Provisioned) {
    for (id, (user_name, active)) in &state.users {
        idp.expect_lookup("Users", "userName", &user_name.to_uppercase(), Some(id))
            .await;
        idp.expect_lookup("Users", "userName", user_name, Some(id)).await;
        let (_, got) = idp.call(Method::GET, &at("Users", id), None, 200).await;
        assert_eq!(got["active"], *active, "{got}");
    }
    for (gid, (name, members)) in &state.groups {
        idp.expect_lookup("Groups", "displayName", name, Some(gid)).await;
        let (_, got) = idp.call(Method::GET, &at("Groups", gid), None, 200).await;
        let listed: BTreeSet<String> = super::member_values(&got).into_iter().collect();
        assert_eq!(&listed, members, "{name}");
    }
    idp.expect_lookup("Users", "userName", "nobody.at.all@contoso.example", None)
        .await;
}
