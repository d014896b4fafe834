//! A Microsoft Entra ID provisioning cycle replayed end to end against the gateway and the sample product (the demo's
//! mapping, `config/examples/classic.toml`), every answer checked as Entra reads it, and the product re-read at the
//! end to prove that nothing was lost or duplicated.
//!
//! The sequence and the payloads (tests/fixtures/entra-*.json) follow Microsoft's "Tutorial: Develop and plan
//! provisioning for a SCIM endpoint" and "Known issues and resolutions with SCIM 2.0 protocol compliance":
//! Test Connection (a filter on a random userName), match by `userName eq` before each create, create with the
//! enterprise extension, PATCH in Entra's dialect (capitalised ops, `"False"`, `emails[type eq "work"].value`,
//! path-less values, `manager`), group lookup by `displayName eq` with `excludedAttributes=members`, member adds in
//! batches, removal by `members[value eq "…"]` and by value list, group rename, disable, delete.

mod common;

use common::TenantSpec;
use common::cycle::{
    ENTERPRISE, GROUP_SCHEMA, USER_SCHEMA, assert_teams, call, filter, from_fixture, list, resource, with_id,
};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const USERS: usize = 30;
const GROUPS: usize = 4;

/// What Entra believes it provisioned.
struct Provisioned {
    id: String,
    user_name: String,
    email: String,
    active: bool,
    manager: Option<String>,
}

fn entra_user(i: usize) -> (Value, String, String) {
    let user_name = format!("user{i:02}@contoso.onmicrosoft.com");
    let email = format!("first{i:02}.last@contoso.com");
    let body = from_fixture("entra-create-user.json", |u| {
        u["userName"] = json!(user_name);
        u["externalId"] = json!(format!("0a21f0f2-8d2a-4f8e-bf98-{i:012}"));
        u["emails"][0]["value"] = json!(email);
        u["name"] = json!({"givenName": format!("First{i:02}"), "familyName": "Last",
            "formatted": format!("First{i:02} Last")});
        u["displayName"] = json!(format!("First{i:02} Last"));
        u[ENTERPRISE] = json!({"employeeNumber": format!("E{i:04}"), "department": "Engineering"});
    });
    (body, user_name, email)
}

#[tokio::test]
async fn an_entra_provisioning_cycle_leaves_the_product_exactly_as_entra_believes() {
    let gw = common::start(&[TenantSpec::new("entra")]).await;

    // Test Connection: a filter on a random userName answers 200 with an empty list.
    let probe = filter("userName eq \"ab0c0ba1-7c5d-4b58-9f1a-2d5b8a8c0b1e\"");
    let (_, body) = call(&gw, Method::GET, &format!("/Users?{probe}"), None, 200).await;
    assert!(list(&body, 0).is_empty());

    // Users: match by userName, then create.
    let mut users = Vec::new();
    for i in 0..USERS {
        let (body, user_name, email) = entra_user(i);
        let matched = format!("/Users?{}", filter(&format!("userName eq \"{user_name}\"")));
        let (_, found) = call(&gw, Method::GET, &matched, None, 200).await;
        list(&found, 0);
        let (headers, created) = call(&gw, Method::POST, "/Users", Some(&body), 201).await;
        let id = resource(&gw, &headers, &created, "Users", USER_SCHEMA);
        assert_eq!(created["userName"], user_name.as_str());
        assert_eq!(created["emails"], json!([{"type": "work", "value": email}]));
        assert_eq!(created[ENTERPRISE]["employeeNumber"], format!("E{i:04}"));
        assert_eq!(created["name"]["formatted"], format!("First{i:02} Last"));
        assert_eq!(created["active"], true);
        let (_, found) = call(&gw, Method::GET, &matched, None, 200).await;
        assert_eq!(list(&found, 1)[0]["id"], id.as_str());
        users.push(Provisioned {
            id,
            user_name,
            email,
            active: true,
            manager: None,
        });
    }
    // A retried create meets the existing user: 409 uniqueness, and nothing is duplicated.
    let (_, conflict) = call(&gw, Method::POST, "/Users", Some(&entra_user(3).0), 409).await;
    common::assert_scim_error(&conflict, 409, Some("uniqueness"));

    // Managers: user 0 manages everyone else ("Add" with a bare id value).
    let boss = users[0].id.clone();
    for u in users.iter_mut().skip(1) {
        let body = with_id(
            "entra-patch-add-manager.json",
            "26118915-6090-4610-87e4-49d8ca9f808d",
            &boss,
        );
        let (headers, patched) = call(&gw, Method::PATCH, &format!("/Users/{}", u.id), Some(&body), 200).await;
        resource(&gw, &headers, &patched, "Users", USER_SCHEMA);
        assert_eq!(patched[ENTERPRISE]["manager"]["value"], boss.as_str());
        u.manager = Some(boss.clone());
    }

    // Attribute updates in Entra's dialect: a work email by value path and a path-less value with the extension.
    for u in users.iter_mut().step_by(5) {
        let email = format!("renamed.{}", u.email);
        let body = from_fixture("entra-patch-enterprise-extension-no-path.json", |p| {
            p["Operations"][0]["value"] = json!(email);
        });
        let (_, patched) = call(&gw, Method::PATCH, &format!("/Users/{}", u.id), Some(&body), 200).await;
        assert_eq!(patched["emails"][0]["value"], email.as_str());
        assert_eq!(patched["displayName"], "Bjfe");
        assert_eq!(patched["name"]["givenName"], "Kkom");
        assert_eq!(patched[ENTERPRISE]["employeeNumber"], "Aklq");
        assert_eq!(patched[ENTERPRISE]["department"], "Engineering", "untouched");
        assert_eq!(patched["userName"], u.user_name.as_str(), "untouched");
        u.email = email;
    }

    // Groups: look up by displayName without members, create with externalId.
    let mut groups = Vec::new();
    for g in 0..GROUPS {
        let name = format!("Team {g}");
        let lookup = format!(
            "/Groups?{}&excludedAttributes=members",
            filter(&format!("displayName eq \"{name}\""))
        );
        let (_, found) = call(&gw, Method::GET, &lookup, None, 200).await;
        list(&found, 0);
        let body = from_fixture("entra-create-group.json", |b| {
            b["displayName"] = json!(name);
            b["externalId"] = json!(format!("8aa1a0c0-c4c3-4bc0-b4a5-{g:012}"));
        });
        let (headers, created) = call(&gw, Method::POST, "/Groups", Some(&body), 201).await;
        let id = resource(&gw, &headers, &created, "Groups", GROUP_SCHEMA);
        assert_eq!(created["externalId"], format!("8aa1a0c0-c4c3-4bc0-b4a5-{g:012}"));
        let (_, found) = call(&gw, Method::GET, &lookup, None, 200).await;
        let found = list(&found, 1);
        assert_eq!(found[0]["id"], id.as_str());
        assert!(found[0].get("members").is_none(), "excludedAttributes=members");
        groups.push((id, name, BTreeSet::<String>::new()));
    }

    // Member adds in batches of up to 10 (one "Add" with many values), each group its own slice of users.
    for (g, (gid, _, members)) in groups.iter_mut().enumerate() {
        let wanted: Vec<&Provisioned> = users.iter().skip(g).step_by(2).collect();
        for batch in wanted.chunks(10) {
            let body = from_fixture("entra-patch-add-member.json", |p| {
                p["Operations"][0]["value"] = batch.iter().map(|u| json!({"$ref": null, "value": u.id})).collect();
            });
            call(&gw, Method::PATCH, &format!("/Groups/{gid}"), Some(&body), 204).await;
            members.extend(batch.iter().map(|u| u.id.clone()));
        }
    }

    // Churn: removal by filter, by value list, a re-add of an existing member (success), a rename.
    let (gid, _, members) = &mut groups[0];
    let gone = members.iter().next().cloned().expect("members");
    let body = with_id(
        "entra-patch-remove-member-by-filter.json",
        "89bb1940-b905-4575-9e7f-6f887cfb368e",
        &gone,
    );
    call(&gw, Method::PATCH, &format!("/Groups/{gid}"), Some(&body), 204).await;
    members.remove(&gone);
    let two: Vec<String> = members.iter().take(2).cloned().collect();
    let body = from_fixture("entra-patch-remove-member-value-list.json", |p| {
        p["Operations"][0]["value"] = two.iter().map(|id| json!({"$ref": null, "value": id})).collect();
    });
    call(&gw, Method::PATCH, &format!("/Groups/{gid}"), Some(&body), 204).await;
    for id in &two {
        members.remove(id);
    }
    let again = members.iter().next().cloned().expect("members");
    let body = with_id(
        "entra-patch-add-member.json",
        "7f4bc1a3-285e-48ae-8202-5accb43efb0e",
        &again,
    );
    call(&gw, Method::PATCH, &format!("/Groups/{gid}"), Some(&body), 204).await;
    let (gid, name, _) = &mut groups[1];
    let body = from_fixture("entra-patch-group-rename.json", |p| {
        p["Operations"][0]["value"] = json!("Team 1 renamed");
    });
    // RFC 7644 §3.5.2: 204 without a body is a valid PATCH answer, and Entra takes it.
    call(&gw, Method::PATCH, &format!("/Groups/{gid}"), Some(&body), 204).await;
    let (headers, renamed) = call(&gw, Method::GET, &format!("/Groups/{gid}"), None, 200).await;
    resource(&gw, &headers, &renamed, "Groups", GROUP_SCHEMA);
    assert_eq!(renamed["displayName"], "Team 1 renamed");
    *name = "Team 1 renamed".to_owned();

    // Disable: "False" as a string and false as a boolean.
    for (n, u) in users.iter_mut().enumerate().filter(|(n, _)| n % 7 == 3) {
        let fixture = if n % 2 == 0 {
            "entra-patch-replace-active-string.json"
        } else {
            "entra-patch-disable-user.json"
        };
        let (_, patched) = call(
            &gw,
            Method::PATCH,
            &format!("/Users/{}", u.id),
            Some(&common::fixture(fixture)),
            200,
        )
        .await;
        assert_eq!(patched["active"], false, "{fixture}");
        u.active = false;
    }

    // Delete: 204, then 404 on every later request for that user.
    let deleted: Vec<Provisioned> = users.drain(USERS - 3..).collect();
    for u in &deleted {
        call(&gw, Method::DELETE, &format!("/Users/{}", u.id), None, 204).await;
        let (_, missing) = call(&gw, Method::GET, &format!("/Users/{}", u.id), None, 404).await;
        common::assert_scim_error(&missing, 404, None);
        call(&gw, Method::DELETE, &format!("/Users/{}", u.id), None, 404).await;
        for (_, _, members) in groups.iter_mut() {
            members.remove(&u.id);
        }
    }

    // The gateway's view: every user and group as Entra believes it.
    for u in &users {
        let (headers, got) = call(&gw, Method::GET, &format!("/Users/{}", u.id), None, 200).await;
        resource(&gw, &headers, &got, "Users", USER_SCHEMA);
        assert_eq!(
            (&got["userName"], &got["emails"][0]["value"], &got["active"]),
            (&json!(u.user_name), &json!(u.email), &json!(u.active))
        );
        assert_eq!(got[ENTERPRISE]["manager"]["value"].as_str(), u.manager.as_deref());
    }
    for (gid, name, members) in &groups {
        let (_, got) = call(&gw, Method::GET, &format!("/Groups/{gid}"), None, 200).await;
        assert_eq!(got["displayName"], name.as_str());
        let listed: BTreeSet<String> = common::member_values(&got).into_iter().collect();
        assert_eq!(&listed, members, "{name}");
    }

    // The product's own view: nothing lost, nothing duplicated.
    let product = gw.product(0);
    let stored: BTreeMap<String, Value> = product.users().into_iter().map(|u| (u["id"].to_string(), u)).collect();
    assert_eq!(stored.len(), users.len(), "one product user per provisioned user");
    for u in &users {
        let p = &stored[&u.id];
        assert_eq!(p["username"], u.user_name.as_str());
        assert_eq!(p["email"], u.email.as_str());
        assert_eq!(p["status"], if u.active { "active" } else { "suspended" });
        assert_eq!(p["manager_id"].as_str(), u.manager.as_deref());
        assert!(p["external_ref"].as_str().is_some_and(|r| r.starts_with("0a21f0f2-")));
        assert!(p["department"].is_string() && p["employee_number"].is_string() && p["full_name"].is_string());
    }
    assert_eq!(groups.len(), GROUPS);
    for team in assert_teams(product, &groups) {
        let external = team["external_ref"].as_str();
        assert!(external.is_some_and(|r| r.starts_with("8aa1a0c0-")), "{team}");
    }
}

/// The product-agnostic cycles that drive the real products (`tests/product_*.rs`) hold against the sample
/// product too, and a second gateway (nothing cached) finds everything the first provisioned.
#[tokio::test]
async fn the_product_agnostic_cycles_pass_against_the_sample_product() {
    use common::idp::{Idp, Profile, cold_lookups, entra_cycle, okta_cycle};
    let gw = common::start(&[TenantSpec::new("entra")]).await;
    let idp = Idp::of(&gw);
    let profile = Profile::default();
    let mut state = entra_cycle(&idp, &profile, "entra").await;
    let okta = okta_cycle(&idp, &profile, "okta").await;
    state.users.extend(okta.users);
    state.groups.extend(okta.groups);
    assert_eq!(gw.product(0).users().len(), state.users.len());

    let product = gw.product(0);
    let mut cold = TenantSpec::new("cold");
    cold.external = Some((product.base_url(), "product-key-entra".to_owned()));
    let fresh = common::start(&[cold]).await;
    cold_lookups(&Idp::of(&fresh), &state).await;
}
