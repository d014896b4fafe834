//! What group operations cost the product (classic shape: an endpoint per member), pinned so that a change that
//! adds calls to an IdP's sync cycle shows up here.

mod common;

use common::{TenantSpec, send, user};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn group_product_calls_are_minimal() {
    let gw = common::start(&[TenantSpec::new("gcalls")]).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let (_, _, u) = send(
            gw.req(0, Method::POST, "/Users")
                .json(&user(&format!("g{i}@example.com"), "G", "M")),
        )
        .await;
        ids.push(u["id"].as_str().unwrap().to_owned());
    }
    let calls = |since: usize| -> Vec<String> {
        gw.product(0)
            .request_log()
            .split_off(since)
            .into_iter()
            .map(|(m, p)| format!("{m} {p}"))
            .collect()
    };

    let mark = gw.product(0).request_log().len();
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Calls",
        "members": [{"value": ids[0]}, {"value": ids[1]}]});
    let (status, _, created) = send(gw.req(0, Method::POST, "/Groups").json(&group)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let gid = created["id"].as_str().unwrap().to_owned();
    let made = calls(mark);
    assert_eq!(made.len(), 3, "create + one call per member: {made:?}");

    // Entra's matching query: one search, no member list.
    let mark = gw.product(0).request_log().len();
    let (_, _, body) = send(gw.req(
        0,
        Method::GET,
        "/Groups?filter=displayName%20eq%20%22Calls%22&excludedAttributes=members",
    ))
    .await;
    assert_eq!(body["totalResults"], 1);
    assert_eq!(
        calls(mark),
        vec!["GET /api/v1/teams?name=Calls&page=1&per_page=200".to_owned()]
    );

    // A member PATCH: one read of the team, then one call per change, no member list read.
    let mark = gw.product(0).request_log().len();
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "Add", "path": "members", "value": [{"value": ids[2]}]},
        {"op": "Remove", "path": format!("members[value eq \"{}\"]", ids[0])}]});
    let (status, _, _) = send(gw.req(0, Method::PATCH, &format!("/Groups/{gid}")).json(&patch)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let made = calls(mark);
    assert_eq!(made.len(), 3, "{made:?}");
    assert_eq!(made[0], format!("GET /api/v1/teams/{gid}"));
    assert!(made.iter().all(|c| !c.ends_with("/members")), "{made:?}");

    // GET without members: one call.
    let mark = gw.product(0).request_log().len();
    send(gw.req(0, Method::GET, &format!("/Groups/{gid}?excludedAttributes=members"))).await;
    assert_eq!(calls(mark).len(), 1);
    // With members: the team and its member listing.
    let mark = gw.product(0).request_log().len();
    let (_, _, body) = send(gw.req(0, Method::GET, &format!("/Groups/{gid}"))).await;
    assert_eq!(body["members"].as_array().map(Vec::len), Some(2));
    assert_eq!(calls(mark).len(), 2);
}
