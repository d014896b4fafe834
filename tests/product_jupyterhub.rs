//! JupyterHub (PyPI `jupyterhub`), a real product installed from its registry and started by
//! `tests/products/jupyterhub/start.sh`, driven through the gateway by its shipped mapping
//! (`config/products/jupyterhub.toml`) alone: the Entra-style and Okta-style cycles, checked against the hub's own
//! API, their lookups again through a fresh gateway process, and what the IdP gets where the hub holds nothing.

mod common;

use common::idp::{self, Active, Idp, Profile, Provisioned};
use common::product::Product;
use common::{assert_scim_error, send};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// What the hub holds: a user is its name, a group its name and members; there is no active flag.
fn profile() -> Profile {
    Profile {
        name: false,
        display_name: false,
        email: false,
        external_id: false,
        active: Active::Deletes,
        groups: true,
        group_rename: false,
        users: 6,
    }
}

fn upstream(product: &Product) -> String {
    format!(
        "base_url = {:?}, auth = {{ header = \"Authorization\", scheme = \"token\", secret = {:?} }}",
        product.env("BASE_URL"),
        product.secret("TOKEN")
    )
}

/// The hub's own answer to `GET <path>`, with its pagination media type.
async fn hub(product: &Product, path: &str) -> Value {
    let answer = reqwest::Client::new()
        .get(format!("{}{path}", product.env("BASE_URL")))
        .header("Authorization", format!("token {}", product.env("TOKEN")))
        .header("Accept", "application/jupyterhub-pagination+json")
        .send()
        .await
        .expect("hub answers");
    assert!(answer.status().is_success(), "{path}: {}", answer.status());
    answer.json().await.expect("JSON")
}

/// The hub holds what the IdP believes it provisioned: the users by name, the groups with their members.
async fn check_hub(product: &Product, state: &Provisioned) {
    let users = hub(product, "/users?limit=200").await;
    let names: BTreeSet<&str> = users["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    for (user_name, _) in state.users.values() {
        assert!(names.contains(user_name.as_str()), "{user_name} in {names:?}");
    }
    for (gid, (name, _)) in &state.groups {
        let group = hub(product, &format!("/groups/{}", name.replace(' ', "%20"))).await;
        let held: BTreeSet<String> = group["users"]
            .as_array()
            .expect("users")
            .iter()
            .filter_map(|u| u.as_str().map(str::to_owned))
            .collect();
        assert_eq!(held, state.member_names(gid), "{group}");
    }
}

#[tokio::test]
async fn entra_and_okta_cycles_provision_jupyterhub_and_cold_lookups_find_the_same() {
    let product = Product::start("jupyterhub").await;
    let up = upstream(&product);
    let gw = product.gateway("jupyterhub", &up).await;
    let idp = Idp::of(&gw);
    let started = std::time::Instant::now();
    let entra = idp::entra_cycle(&idp, &profile(), "entra").await;
    check_hub(&product, &entra).await;
    let okta = idp::okta_cycle(&idp, &profile(), "okta").await;
    check_hub(&product, &okta).await;
    eprintln!("cycles: {:?}", started.elapsed());

    let token = gw.tenants[0].token.clone();
    let process = product.process("jupyterhub", &up, &token).await;
    let cold = Idp::of_process(&process, &token);
    let started = std::time::Instant::now();
    idp::cold_lookups(&cold, &entra).await;
    idp::cold_lookups(&cold, &okta).await;
    eprintln!("cold lookups: {:?}", started.elapsed());
}

#[tokio::test]
async fn what_jupyterhub_cannot_hold_is_refused_and_its_names_are_paths() {
    let product = Product::start("jupyterhub").await;
    let gw = product.gateway("jupyterhub", &upstream(&product)).await;
    let user = |name: &str| json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name});

    // An e-mail (or any attribute the hub has no place for) is refused by name; nothing is created.
    let mut with_email = user("grace");
    with_email["emails"] = json!([{"type": "work", "value": "grace@example.com", "primary": true}]);
    let (status, _, refused) = send(gw.req(0, Method::POST, "/Users").json(&with_email)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_scim_error(&refused, 400, Some("invalidValue"));
    assert!(refused["detail"].as_str().unwrap().contains("emails"), "{refused}");
    // So is a user created inactive: the hub deletes deactivated users.
    let mut inactive = user("grace");
    inactive["active"] = json!(false);
    let (status, _, refused) = send(gw.req(0, Method::POST, "/Users").json(&inactive)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(
        hub(&product, "/users").await["_pagination"]["total"] == 0,
        "nothing created"
    );

    // The name is the path of the create: characters a path would misread arrive as the name.
    let (status, _, created) = send(gw.req(0, Method::POST, "/Users").json(&user("ada lovelace@x?y"))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["id"], "ada lovelace@x?y");
    assert_eq!(
        hub(&product, "/users/ada%20lovelace%40x%3Fy").await["name"],
        "ada lovelace@x?y"
    );

    // A rename is a PATCH of the name; the SCIM id follows it.
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "userName", "value": "ada"}]});
    let (status, _, renamed) = send(gw.req(0, Method::PATCH, "/Users/ada%20lovelace%40x%3Fy").json(&patch)).await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(
        (renamed["id"].as_str(), renamed["userName"].as_str()),
        (Some("ada"), Some("ada"))
    );

    // A group member that is no user is named; the rest of the change is applied.
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Data Science",
        "members": [{"value": "ada"}]});
    let (status, _, created) = send(gw.req(0, Method::POST, "/Groups").json(&group)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, _, again) = send(gw.req(0, Method::POST, "/Groups").json(&group)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_scim_error(&again, 409, Some("uniqueness"));
    let (status, _, bob) = send(gw.req(0, Method::POST, "/Users").json(&user("bob"))).await;
    assert_eq!(status, StatusCode::CREATED, "{bob}");
    let add = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": "nobody"}, {"value": "bob"}]}]});
    let (status, _, partial) = send(gw.req(0, Method::PATCH, "/Groups/Data%20Science").json(&add)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{partial}");
    assert!(partial["detail"].as_str().unwrap().contains("nobody"), "{partial}");
    assert_eq!(
        hub(&product, "/groups/Data%20Science").await["users"],
        json!(["ada", "bob"])
    );
}
