//! Creates whose product call is not `POST /collection` answering the object: the new object's own field in the
//! create path (`POST /users/{/username}`), driven through the gateway against the sample product.

mod common;

use common::{TenantSpec, assert_scim_error, send, user};
use reqwest::{Method, StatusCode};
use scimgate::sample::Shape;

/// The named sample product, its users created by `POST /users/{username}`.
async fn named_path_create() -> common::Gateway {
    let mapping = common::example_mapping("named").replacen(
        "create = \"POST /users\"",
        "create = \"POST /users/{/username}\"",
        1,
    );
    assert!(mapping.contains("{/username}"));
    common::start_with_mapping(&[TenantSpec::shaped("named", Shape::Named)], "", &mapping).await
}

#[tokio::test]
async fn a_create_path_holding_the_new_users_name_creates_it() {
    let gw = named_path_create().await;
    let mut body = user("ada+1@example.com", "Ada", "Lovelace");
    body["emails"] = serde_json::json!([{"type": "work", "value": "ada@example.com", "primary": true}]);
    let (status, _, created) = send(gw.req(0, Method::POST, "/Users").json(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["id"], "ada+1@example.com");
    assert_eq!(created["name"]["givenName"], "Ada");
    let product = gw.product(0);
    let log = product.request_log();
    assert!(
        log.contains(&("POST".to_owned(), "/api/v1/users/ada%2B1%40example.com".to_owned())),
        "{log:?}"
    );
    assert_eq!(product.users().len(), 1);

    // The same name again is the product's conflict, answered as SCIM's.
    let (status, _, again) = send(gw.req(0, Method::POST, "/Users").json(&body)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_scim_error(&again, 409, Some("uniqueness"));
}

#[tokio::test]
async fn a_name_that_is_a_dot_segment_never_reaches_the_create_path() {
    let gw = named_path_create().await;
    let before = gw.product(0).request_log().len();
    let body = user("..", "Dot", "Dot");
    let (status, _, refused) = send(gw.req(0, Method::POST, "/Users").json(&body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_scim_error(&refused, 400, Some("invalidValue"));
    assert!(
        refused["detail"].as_str().unwrap().starts_with("userName: "),
        "{refused}"
    );
    assert_eq!(gw.product(0).request_log().len(), before, "no product call");
}

/// The named sample product, its teams created by `create` (a `POST /teams/{name}` variant).
async fn named_team_create(create: &str) -> common::Gateway {
    let mapping = common::example_mapping("named");
    let groups = mapping
        .find("[mappings.named.groups.endpoints]")
        .expect("group endpoints");
    let (users, groups) = mapping.split_at(groups);
    let mapping = format!(
        "{users}{}",
        groups.replacen("create = \"POST /teams\"", &format!("create = {create:?}"), 1)
    );
    assert!(mapping.contains(create));
    common::start_with_mapping(&[TenantSpec::shaped("named", Shape::Named)], "", &mapping).await
}

fn group(name: &str) -> serde_json::Value {
    serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name})
}

#[tokio::test]
async fn a_create_answered_without_a_body_is_read_back_from_its_location() {
    let gw = named_team_create("POST /teams/{/name}").await;
    let (status, headers, created) = send(gw.req(0, Method::POST, "/Groups").json(&group("Data Ops"))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["id"], "Data Ops");
    assert_eq!(created["displayName"], "Data Ops");
    assert!(created["meta"]["created"].is_string(), "read back: {created}");
    assert!(headers.get("location").is_some());
    let log = gw.product(0).request_log();
    let tail: Vec<_> = log.iter().rev().take(2).rev().cloned().collect();
    assert_eq!(
        tail,
        [
            ("POST".to_owned(), "/api/v1/teams/Data%20Ops".to_owned()),
            ("GET".to_owned(), "/api/v1/teams/Data%20Ops".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_create_answered_with_an_array_of_one_is_that_object() {
    let gw = named_team_create("POST /teams/{/name}?answer=array").await;
    let (status, _, created) = send(gw.req(0, Method::POST, "/Groups").json(&group("Ops"))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        (created["id"].as_str(), created["displayName"].as_str()),
        (Some("Ops"), Some("Ops"))
    );
    let log = gw.product(0).request_log();
    assert_eq!(
        log.last(),
        Some(&("POST".to_owned(), "/api/v1/teams/Ops?answer=array".to_owned())),
        "no read back"
    );
}
