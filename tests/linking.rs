//! Linking on create: with `on_conflict = "adopt"` an existing product user or team with the same name is taken
//! over (updated with the SCIM values, answered 201); with the default `reject` it is a 409. Also the rename of a
//! product keyed by a mutable name: the old id keeps reaching the user while the cache remembers the rename.

mod common;

use common::{TenantSpec, assert_scim_error, send, user};
use reqwest::{Method, StatusCode};
use scimgate::sample::Shape;
use serde_json::json;

async fn product_post(gw: &common::Gateway, path: &str, body: serde_json::Value) -> serde_json::Value {
    let resp = reqwest::Client::new()
        .post(format!("{}{path}", gw.product(0).base_url()))
        .header("X-Api-Key", "product-key-link")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn existing_product_objects_are_adopted_when_configured() {
    let mapping = common::example_mapping("classic").replace(
        "unmapped = \"reject\"",
        "unmapped = \"reject\"\non_conflict = \"adopt\"",
    );
    let gw = common::start_with_mapping(&[TenantSpec::new("link")], "", &mapping).await;
    let existing = product_post(
        &gw,
        "/users",
        json!({"username": "legacy@example.com", "email": "legacy@example.com", "first_name": "Old"}),
    )
    .await;
    let (status, _, body) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&user("Legacy@example.com", "New", "Name")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["id"], existing["id"].to_string().as_str());
    assert_eq!(body["name"]["givenName"], "New", "the SCIM values were written");
    assert_eq!(gw.product(0).users().len(), 1);

    let team = product_post(&gw, "/teams", json!({"name": "Legacy team"})).await;
    let uid = body["id"].as_str().unwrap().to_owned();
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "legacy TEAM",
        "members": [{"value": uid}]});
    let (status, _, body) = send(gw.req(0, Method::POST, "/Groups").json(&group)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["id"], team["id"].to_string().as_str());
    assert_eq!(body["displayName"], "legacy TEAM");
    assert_eq!(gw.product(0).team_members(&team["id"].to_string()), Some(vec![uid]));
}

#[tokio::test]
async fn existing_product_objects_are_a_conflict_by_default() {
    let gw = common::start(&[TenantSpec {
        id: "link",
        ..TenantSpec::new("link")
    }])
    .await;
    product_post(&gw, "/users", json!({"email": "legacy@example.com"})).await;
    let (status, _, body) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&user("legacy@example.com", "A", "B")),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_scim_error(&body, 409, Some("uniqueness"));
}

#[tokio::test]
async fn a_rename_in_a_product_keyed_by_name_changes_the_id_and_the_old_id_follows_it() {
    let gw = common::start_with_mapping(
        &[TenantSpec::shaped("named", Shape::Named)],
        "",
        &common::example_mapping("named"),
    )
    .await;
    let (status, _, created) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&user("old@example.com", "A", "B")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["id"], "old@example.com");
    let rename = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "userName", "value": "new@example.com"}]});
    let (status, _, body) = send(gw.req(0, Method::PATCH, "/Users/old%40example.com").json(&rename)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], "new@example.com");
    assert!(
        body["meta"]["location"]
            .as_str()
            .unwrap()
            .ends_with("/Users/new%40example.com"),
        "{body}"
    );
    let (status, _, body) = send(gw.req(0, Method::GET, "/Users/old%40example.com")).await;
    assert_eq!(status, StatusCode::OK, "the old id follows the rename: {body}");
    assert_eq!(body["userName"], "new@example.com");
    // Deactivation goes through the product's own endpoint.
    let off = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": false}]});
    let (status, _, body) = send(gw.req(0, Method::PATCH, "/Users/new%40example.com").json(&off)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], false);
    assert!(
        gw.product(0)
            .request_log()
            .iter()
            .any(|(m, p)| m == "POST" && p.ends_with("/deactivate"))
    );
}
