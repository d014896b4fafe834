//! An Okta provisioning cycle replayed end to end against the gateway and the sample product (the demo's mapping),
//! every answer checked as Okta reads it, and the product re-read at the end to prove that nothing was lost or
//! duplicated.
//!
//! The sequence and the payloads (tests/fixtures/okta-*.json) follow Okta's "SCIM 2.0 Protocol Reference": a
//! `userName eq` lookup with `startIndex=1&count=100` before each create, create (with `locale` and `password`),
//! `GET /Users/{id}`, PUT as the full update, PATCH `{"op":"replace","value":{"active":false}}` to deactivate and
//! `true` to reactivate, import by paging through `GET /Users?startIndex=…&count=…`, and Push Groups: POST, PATCH
//! of members (remove by filter and add), rename by a path-less replace, replace of all members, DELETE.

mod common;

use common::TenantSpec;
use common::cycle::{GROUP_SCHEMA, USER_SCHEMA, assert_teams, call, filter, from_fixture, list, resource, with_id};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const USERS: usize = 25;
const PAGE: usize = 7;

fn okta_user(i: usize) -> Value {
    from_fixture("okta-create-user.json", |u| {
        let login = format!("user{i:02}@okta.local");
        u["userName"] = json!(login);
        u["emails"][0]["value"] = json!(login);
        u["externalId"] = json!(format!("00ujl29u0le5T6Aj{i:04}"));
        u["name"] = json!({"givenName": format!("Test{i:02}"), "familyName": "User"});
        u["displayName"] = json!(format!("Test{i:02} User"));
    })
}

#[tokio::test]
async fn an_okta_provisioning_cycle_leaves_the_product_exactly_as_okta_believes() {
    let gw = common::start(&[TenantSpec::new("okta")]).await;

    // Create: a lookup by userName first, then POST, then GET by id.
    let mut ids = Vec::new();
    for i in 0..USERS {
        let body = okta_user(i);
        let lookup = format!(
            "/Users?{}&startIndex=1&count=100",
            filter(&format!("userName eq \"{}\"", body["userName"].as_str().unwrap()))
        );
        let (_, found) = call(&gw, Method::GET, &lookup, None, 200).await;
        assert!(list(&found, 0).is_empty());
        assert_eq!(found["startIndex"], 1);
        let (headers, created) = call(&gw, Method::POST, "/Users", Some(&body), 201).await;
        let id = resource(&gw, &headers, &created, "Users", USER_SCHEMA);
        assert_eq!(created["locale"], "en-US");
        assert!(created.get("password").is_none(), "a password is never returned");
        let (headers, got) = call(&gw, Method::GET, &format!("/Users/{id}"), None, 200).await;
        resource(&gw, &headers, &got, "Users", USER_SCHEMA);
        assert_eq!(got["userName"], body["userName"]);
        ids.push(id);
    }
    let (_, conflict) = call(&gw, Method::POST, "/Users", Some(&okta_user(0)), 409).await;
    common::assert_scim_error(&conflict, 409, Some("uniqueness"));

    // Profile updates are full PUTs of what Okta holds.
    let mut expected: BTreeMap<String, (String, String, bool)> = BTreeMap::new();
    for (i, id) in ids.iter().enumerate() {
        let login = format!("user{i:02}@okta.local");
        let family = if i % 3 == 0 { "Renamed" } else { "User" };
        if i % 3 == 0 {
            let body = from_fixture("okta-put-user.json", |u| {
                u["id"] = json!(id);
                u["userName"] = json!(login);
                u["emails"][0]["value"] = json!(login);
                u["name"] = json!({"givenName": format!("Test{i:02}"), "familyName": family});
            });
            let (headers, put) = call(&gw, Method::PUT, &format!("/Users/{id}"), Some(&body), 200).await;
            resource(&gw, &headers, &put, "Users", USER_SCHEMA);
            assert_eq!(put["name"]["familyName"], family);
            assert!(
                put.get("locale").is_none(),
                "PUT replaces: absent attributes are cleared"
            );
        }
        expected.insert(id.clone(), (login, family.to_owned(), true));
    }

    // Deactivate and reactivate by path-less PATCH.
    for (i, id) in ids.iter().enumerate().filter(|(i, _)| i % 4 == 1) {
        let (_, off) = call(
            &gw,
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(&common::fixture("okta-patch-deactivate.json")),
            200,
        )
        .await;
        assert_eq!(off["active"], false);
        if i % 8 == 1 {
            let on = common::fixture("okta-patch-reactivate.json");
            let (_, on) = call(&gw, Method::PATCH, &format!("/Users/{id}"), Some(&on), 200).await;
            assert_eq!(on["active"], true);
        } else if let Some(e) = expected.get_mut(id) {
            e.2 = false;
        }
    }

    // Import: page through every user; each appears once, with the values Okta last sent.
    let mut seen = BTreeSet::new();
    let mut start = 1;
    loop {
        let (_, page) = call(
            &gw,
            Method::GET,
            &format!("/Users?startIndex={start}&count={PAGE}"),
            None,
            200,
        )
        .await;
        let resources = list(&page, USERS);
        assert_eq!(page["startIndex"], start);
        if resources.is_empty() {
            break;
        }
        for r in resources {
            let id = r["id"].as_str().expect("id").to_owned();
            let (login, family, active) = &expected[&id];
            assert_eq!(
                (&r["userName"], &r["name"]["familyName"], &r["active"]),
                (&json!(login), &json!(family), &json!(active))
            );
            assert!(seen.insert(id), "a user appears on two pages");
        }
        start += PAGE;
    }
    assert_eq!(seen.len(), USERS);

    // Push Groups: create, change members, rename, replace all members, delete one.
    let mut groups: Vec<(String, String, BTreeSet<String>)> = Vec::new();
    for g in 0..3 {
        let name = format!("Okta Group {g}");
        let body = from_fixture("okta-create-group.json", |b| b["displayName"] = json!(name));
        let (headers, created) = call(&gw, Method::POST, "/Groups", Some(&body), 201).await;
        let gid = resource(&gw, &headers, &created, "Groups", GROUP_SCHEMA);
        let mut members = BTreeSet::new();
        for id in ids.iter().skip(g).step_by(3) {
            let body = from_fixture("okta-patch-group-membership.json", |p| {
                p["Operations"] = json!([p["Operations"][1].clone()]);
                p["Operations"][0]["value"][0]["value"] = json!(id);
            });
            call(&gw, Method::PATCH, &format!("/Groups/{gid}"), Some(&body), 204).await;
            members.insert(id.clone());
        }
        groups.push((gid, name, members));
    }
    // Membership change as Okta sends it: one remove by filter and one add in a single PATCH.
    let (gid, _, members) = &mut groups[0];
    let out = members.iter().next().cloned().expect("a member");
    let inn = ids[1].clone();
    let body = from_fixture("okta-patch-group-membership.json", |p| {
        p["Operations"][0]["path"] = json!(format!("members[value eq \"{out}\"]"));
        p["Operations"][1]["value"][0]["value"] = json!(inn);
    });
    call(&gw, Method::PATCH, &format!("/Groups/{gid}"), Some(&body), 204).await;
    members.remove(&out);
    members.insert(inn);
    // Rename by a path-less replace that restates the id.
    let (gid, name, _) = &mut groups[1];
    let mut body = with_id(
        "okta-patch-group-rename.json",
        "abf4dd94-a4c0-4f67-89c9-76b03340cb9b",
        gid,
    );
    body["Operations"][0]["value"]["displayName"] = json!("Okta Group 1 renamed");
    call(&gw, Method::PATCH, &format!("/Groups/{gid}"), Some(&body), 204).await;
    *name = "Okta Group 1 renamed".to_owned();
    // Replace all members of group 2 with two users.
    let (gid, _, members) = &mut groups[2];
    let pair = [ids[0].clone(), ids[USERS - 1].clone()];
    let body = from_fixture("okta-patch-replace-group-members.json", |p| {
        p["Operations"][0]["value"][0]["value"] = json!(pair[0]);
        p["Operations"][0]["value"][1]["value"] = json!(pair[1]);
    });
    let (_, replaced) = call(&gw, Method::PATCH, &format!("/Groups/{gid}"), Some(&body), 200).await;
    *members = pair.iter().cloned().collect();
    let listed: BTreeSet<String> = replaced["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["value"].as_str().expect("value").to_owned())
        .collect();
    assert_eq!(&listed, members);
    // Delete group 0: 204, then 404.
    let (gid, _, _) = groups.remove(0);
    call(&gw, Method::DELETE, &format!("/Groups/{gid}"), None, 204).await;
    call(&gw, Method::GET, &format!("/Groups/{gid}"), None, 404).await;

    // The product's own view.
    let product = gw.product(0);
    let users = product.users();
    assert_eq!(users.len(), USERS, "one product user per Okta user");
    for u in &users {
        let (login, family, active) = &expected[&u["id"].to_string()];
        assert_eq!(u["username"], login.as_str());
        assert_eq!(u["email"], login.as_str());
        assert_eq!(u["last_name"], family.as_str());
        assert_eq!(u["status"], if *active { "active" } else { "suspended" });
    }
    assert_teams(product, &groups);
}
