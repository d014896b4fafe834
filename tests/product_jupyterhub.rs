//! JupyterHub (PyPI `jupyterhub`), a real product installed from its registry and started by
//! `tests/products/jupyterhub/start.sh`, driven through the gateway by its shipped mapping
//! (`config/products/jupyterhub.toml`) alone: the Entra-style and Okta-style cycles, checked against the hub's own
//! API, their lookups again through a fresh gateway process, and what the IdP gets where the hub holds nothing.

mod common;

use common::product::Product;
use common::{assert_scim_error, send};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

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
