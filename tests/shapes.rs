//! One end-to-end suite, run unchanged against every API shape of the sample product: only the gateway's mapping
//! (a file in `config/examples/`) differs. Users and Groups CRUD, PATCH including members, deactivation, filters
//! pushed down and evaluated by the gateway, and paging — each through the real TLS listener to a real product.

mod common;

use common::{Gateway, TenantSpec, assert_scim_error, fixture, send, user};
use reqwest::{Method, StatusCode};
use scimgate::sample::Shape;
use serde_json::{Value, json};

fn q(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn create_user(gw: &Gateway, name: &str, given: &str, family: &str) -> Value {
    let (status, headers, body) = send(gw.req(0, Method::POST, "/Users").json(&user(name, given, family))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(headers.contains_key("location"));
    body
}

async fn group_members(gw: &Gateway, id: &str) -> Vec<String> {
    let (status, _, body) = send(gw.req(0, Method::GET, &format!("/Groups/{}", q(id)))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    sorted(common::member_values(&body))
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The whole suite against one gateway (tenant 0).
async fn suite(gw: &Gateway) {
    users(gw).await;
    groups(gw).await;
}

async fn users(gw: &Gateway) {
    // Entra's Test Connection: a filter for a userName nobody has is 200 with an empty list.
    let (status, _, body) = send(gw.req(
        0,
        Method::GET,
        &format!("/Users?filter={}", q(r#"userName eq "nobody-3f2a@example.com""#)),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["totalResults"], 0);

    let ada = create_user(gw, "ada@example.com", "Ada", "Lovelace").await;
    let ada_id = ada["id"].as_str().unwrap().to_owned();
    assert_eq!(ada["userName"], "ada@example.com");
    assert_eq!(ada["name"]["givenName"], "Ada");
    assert_eq!(ada["active"], true);
    assert_eq!(ada["meta"]["resourceType"], "User");
    let mut ids = vec![ada_id.clone()];
    for i in 0..6 {
        let u = create_user(gw, &format!("user{i}@example.com"), &format!("U{i}"), "Sample").await;
        ids.push(u["id"].as_str().unwrap().to_owned());
    }

    // Duplicate userName: 409 uniqueness.
    let (status, _, body) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&user("ADA@example.com", "A", "L")),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_scim_error(&body, 409, Some("uniqueness"));

    // Read back.
    let (status, _, body) = send(gw.req(0, Method::GET, &format!("/Users/{}", q(&ada_id)))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"]["familyName"], "Lovelace");

    // A pushed-down filter and one the gateway evaluates.
    let (_, _, body) = send(gw.req(
        0,
        Method::GET,
        &format!("/Users?filter={}", q(r#"userName eq "ADA@example.com""#)),
    ))
    .await;
    assert_eq!(body["totalResults"], 1, "{body}");
    assert_eq!(body["Resources"][0]["id"], ada_id.as_str());
    let (_, _, body) = send(gw.req(
        0,
        Method::GET,
        &format!(
            "/Users?filter={}",
            q(r#"name.familyName eq "Sample" and userName sw "user1""#)
        ),
    ))
    .await;
    assert_eq!(body["totalResults"], 1, "{body}");
    assert_eq!(body["Resources"][0]["userName"], "user1@example.com");
    let (_, _, body) = send(gw.req(
        0,
        Method::GET,
        &format!("/Users?filter={}", q(r#"name.familyName eq "Sample""#)),
    ))
    .await;
    assert_eq!(body["totalResults"], 6, "{body}");

    // Paging: 7 users, pages of 3, every user exactly once.
    let mut seen = Vec::new();
    for start in [1, 4, 7] {
        let (status, _, body) = send(gw.req(0, Method::GET, &format!("/Users?startIndex={start}&count=3"))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["totalResults"], 7, "{body}");
        assert_eq!(body["startIndex"], start);
        for r in body["Resources"].as_array().unwrap() {
            seen.push(r["id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(sorted(seen), sorted(ids.clone()));

    // PATCH as Entra sends it: capitalised op, boolean as a string.
    let (status, _, body) = send(
        gw.req(0, Method::PATCH, &format!("/Users/{}", q(&ada_id)))
            .json(&fixture("entra-patch-replace-active-string.json")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], false);
    let (_, _, body) = send(gw.req(0, Method::GET, &format!("/Users/{}", q(&ada_id)))).await;
    assert_eq!(body["active"], false, "deactivation reached the product");
    // Reactivate the Okta way.
    let reactivate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": true}}]});
    let (status, _, body) = send(
        gw.req(0, Method::PATCH, &format!("/Users/{}", q(&ada_id)))
            .json(&reactivate),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], true);

    // PATCH of a name with a path.
    let rename = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "name.familyName", "value": "Byron"}]});
    let (status, _, body) = send(
        gw.req(0, Method::PATCH, &format!("/Users/{}", q(&ada_id)))
            .json(&rename),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"]["familyName"], "Byron");
    assert_eq!(body["name"]["givenName"], "Ada");

    // A new userName alone (in the classic mapping the work email shares its product field: the change wins).
    let rename = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "userName", "value": "ada.lovelace@example.com"}]});
    let (status, _, body) = send(
        gw.req(0, Method::PATCH, &format!("/Users/{}", q(&ada_id)))
            .json(&rename),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["userName"], "ada.lovelace@example.com");

    // PUT replaces (and renames back, through the old id where the id is the name).
    let mut put = user("ada@example.com", "Augusta", "King");
    put["title"] = json!("Countess");
    let (status, _, body) = send(gw.req(0, Method::PUT, &format!("/Users/{}", q(&ada_id))).json(&put)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"]["givenName"], "Augusta");
    assert_eq!(body["title"], "Countess");
    assert_eq!(body["userName"], "ada@example.com");
    let (status, _, body) = send(gw.req(0, Method::GET, &format!("/Users/{}", q(&ada_id)))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["userName"], "ada@example.com");

    // Delete, then 404.
    let last = ids.pop().unwrap();
    let (status, _, _) = send(gw.req(0, Method::DELETE, &format!("/Users/{}", q(&last)))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, body) = send(gw.req(0, Method::GET, &format!("/Users/{}", q(&last)))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_scim_error(&body, 404, None);
}

async fn user_id(gw: &Gateway, name: &str) -> String {
    let (_, _, body) = send(gw.req(
        0,
        Method::GET,
        &format!("/Users?filter={}", q(&format!("userName eq \"{name}\""))),
    ))
    .await;
    body["Resources"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: {body}"))
        .to_owned()
}

async fn groups(gw: &Gateway) {
    let u0 = user_id(gw, "user0@example.com").await;
    let u1 = user_id(gw, "user1@example.com").await;
    let u2 = user_id(gw, "user2@example.com").await;
    let u3 = user_id(gw, "user3@example.com").await;

    // Create with members.
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering",
        "members": [{"value": u0}, {"value": u1}]});
    let (status, _, created) = send(gw.req(0, Method::POST, "/Groups").json(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let gid = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["displayName"], "Engineering");
    assert_eq!(group_members(gw, &gid).await, sorted(vec![u0.clone(), u1.clone()]));

    // Duplicate displayName: 409.
    let dup = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "engineering"});
    let (status, _, body) = send(gw.req(0, Method::POST, "/Groups").json(&dup)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // Filter by displayName without members (Entra's matching query).
    let (status, _, body) = send(gw.req(
        0,
        Method::GET,
        &format!(
            "/Groups?filter={}&excludedAttributes=members",
            q(r#"displayName eq "Engineering""#)
        ),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["totalResults"], 1, "{body}");
    assert_eq!(body["Resources"][0]["id"], gid.as_str());
    assert!(body["Resources"][0].get("members").is_none(), "{body}");

    // Entra adds and removes members in one PATCH; adding an existing member and removing an absent one succeed.
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "Add", "path": "members", "value": [{"value": u2}, {"value": u0}]},
        {"op": "Remove", "path": format!("members[value eq \"{u1}\"]")},
        {"op": "Remove", "path": format!("members[value eq \"{u3}\"]")}
    ]});
    let (status, _, body) = send(gw.req(0, Method::PATCH, &format!("/Groups/{}", q(&gid))).json(&patch)).await;
    assert!(
        status == StatusCode::NO_CONTENT || status == StatusCode::OK,
        "{status} {body}"
    );
    assert_eq!(group_members(gw, &gid).await, sorted(vec![u0.clone(), u2.clone()]));
    // Repeating it converges to the same state.
    let (status, _, body) = send(gw.req(0, Method::PATCH, &format!("/Groups/{}", q(&gid))).json(&patch)).await;
    assert!(status.is_success(), "{status} {body}");
    assert_eq!(group_members(gw, &gid).await, sorted(vec![u0.clone(), u2.clone()]));

    // A member that is no user: an error naming it; the valid change is applied.
    let bad = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": u3}, {"value": "00000000-0000-4000-8000-000000000000"}]}]});
    let (status, _, body) = send(gw.req(0, Method::PATCH, &format!("/Groups/{}", q(&gid))).json(&bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("00000000-0000-4000-8000-000000000000"),
        "{body}"
    );
    assert_eq!(
        group_members(gw, &gid).await,
        sorted(vec![u0.clone(), u2.clone(), u3.clone()])
    );

    // Okta replaces the member list and renames in one PATCH (the general path: read, apply, diff).
    let replace = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "replace", "value": {"displayName": "Platform"}},
        {"op": "replace", "path": "members", "value": [{"value": u1}]}]});
    let (status, _, body) = send(gw.req(0, Method::PATCH, &format!("/Groups/{}", q(&gid))).json(&replace)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["displayName"], "Platform");
    let gid = body["id"].as_str().unwrap().to_owned();
    assert_eq!(group_members(gw, &gid).await, vec![u1.clone()]);

    // PUT sets attributes and exactly these members.
    let put = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Platform",
        "members": [{"value": u0}, {"value": u3}]});
    let (status, _, body) = send(gw.req(0, Method::PUT, &format!("/Groups/{}", q(&gid))).json(&put)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(group_members(gw, &gid).await, sorted(vec![u0.clone(), u3.clone()]));

    // A second group; listing with members, and with a filter the gateway evaluates.
    let other = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Sales"});
    let (status, _, other) = send(gw.req(0, Method::POST, "/Groups").json(&other)).await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    let (_, _, body) = send(gw.req(0, Method::GET, "/Groups")).await;
    assert_eq!(body["totalResults"], 2, "{body}");
    let (_, _, body) = send(gw.req(
        0,
        Method::GET,
        &format!("/Groups?filter={}", q(r#"displayName sw "Pla""#)),
    ))
    .await;
    assert_eq!(body["totalResults"], 1, "{body}");
    assert_eq!(
        body["Resources"][0]["members"].as_array().map(Vec::len),
        Some(2),
        "{body}"
    );

    // Deleting a user removes it from the group.
    let (status, _, _) = send(gw.req(0, Method::DELETE, &format!("/Users/{}", q(&u3)))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(group_members(gw, &gid).await, vec![u0.clone()]);

    // Delete the groups.
    for id in [gid.as_str(), other["id"].as_str().unwrap()] {
        let (status, _, _) = send(gw.req(0, Method::DELETE, &format!("/Groups/{}", q(id)))).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let (status, _, _) = send(gw.req(0, Method::GET, &format!("/Groups/{}", q(&gid)))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn classic_shape_with_member_endpoints() {
    let gw = common::start(&[TenantSpec::new("classic")]).await;
    suite(&gw).await;
}

#[tokio::test]
async fn classic_shape_with_a_batch_member_call() {
    let mapping = common::example_mapping("classic");
    let endpoints = "add = \"PUT /teams/{id}/members/{member}\"\nremove = \"DELETE /teams/{id}/members/{member}\"";
    assert!(mapping.contains(endpoints));
    let mapping = mapping.replace("style = \"endpoints\"", "style = \"batch\"").replace(
        endpoints,
        "batch = \"POST /teams/{id}/members\"\nbatch_add = \"/add\"\nbatch_remove = \"/remove\"",
    );
    let gw = common::start_with_mapping(&[TenantSpec::new("batch")], "", &mapping).await;
    suite(&gw).await;
    let batches = gw
        .product(0)
        .request_log()
        .iter()
        .filter(|(m, p)| m == "POST" && p.ends_with("/members"))
        .count();
    assert!(batches >= 4, "member changes went through the batch call ({batches})");
    let singles = gw
        .product(0)
        .request_log()
        .iter()
        .filter(|(m, p)| m == "PUT" && p.contains("/members/"))
        .count();
    assert_eq!(singles, 0);
}

#[tokio::test]
async fn named_shape_keyed_by_name_with_put_offset_paging_and_a_member_list() {
    let gw = common::start_with_mapping(
        &[TenantSpec::shaped("named", Shape::Named)],
        "",
        &common::example_mapping("named"),
    )
    .await;
    suite(&gw).await;
}

#[tokio::test]
async fn uuid_shape_with_envelopes_cursor_paging_and_a_team_field_on_users() {
    let gw = common::start_with_mapping(
        &[TenantSpec::shaped("uuid", Shape::Uuid)],
        "",
        &common::example_mapping("uuid"),
    )
    .await;
    suite(&gw).await;
}

#[tokio::test]
async fn named_shape_with_members_keyed_by_a_user_field_through_the_cache() {
    // The member key is read from the user object (here the same field as the id), so every member value is
    // translated through the id cache: filled by the suite's reads, and by one users scan on a miss.
    let mapping = common::example_mapping("named").replace(
        "style = \"list\"\npointer = \"/members\"",
        "style = \"list\"\npointer = \"/members\"\nuser_key = \"/username\"",
    );
    assert!(mapping.contains("user_key"));
    let gw = common::start_with_mapping(&[TenantSpec::shaped("named", Shape::Named)], "", &mapping).await;
    suite(&gw).await;
}
