//! Membership shapes beyond a bare call per member, driven through the gateway against the sample product's named
//! shape: add and remove calls with body templates (one call for all members, or one per member, a DELETE with a
//! body), members read from the team object without a listing, configurable already-member / not-a-member
//! answers, and a member array written in another shape than it is read.

mod common;

use common::{TenantSpec, member_values, send, user};
use reqwest::{Method, StatusCode};
use scimgate::sample::Shape;
use serde_json::{Value, json};

const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The named sample product with its group members kept as `members` written through `[mappings.named.groups.members]`.
async fn gateway(members: &str) -> common::Gateway {
    let mapping = common::example_mapping("named");
    let at = mapping.find("[mappings.named.groups.members]").expect("members table");
    let mapping = format!("{}[mappings.named.groups.members]\n{members}\n", &mapping[..at]);
    common::start_with_mapping(&[TenantSpec::shaped("named", Shape::Named)], "", &mapping).await
}

async fn create_users(gw: &common::Gateway, names: &[&str]) {
    for name in names {
        let mut body = user(name, "A", "B");
        body["emails"] = json!([{"type": "work", "value": format!("{name}@example.com"), "primary": true}]);
        let (status, _, body) = send(gw.req(0, Method::POST, "/Users").json(&body)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
}

async fn create_group(gw: &common::Gateway, name: &str, members: &[&str]) -> Value {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    let body = json!({"schemas": [GROUP_SCHEMA], "displayName": name, "members": members});
    let (status, _, group) = send(gw.req(0, Method::POST, "/Groups").json(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    group
}

async fn patch_members(gw: &common::Gateway, group: &str, ops: Value) -> (StatusCode, Value) {
    let body = json!({"schemas": [PATCH_SCHEMA], "Operations": ops});
    let (status, _, answer) = send(gw.req(0, Method::PATCH, &format!("/Groups/{group}")).json(&body)).await;
    (status, answer)
}

/// The member calls the product saw since `from`: (method, path).
fn member_calls(gw: &common::Gateway, from: usize) -> Vec<(String, String)> {
    let log = gw.product(0).request_log();
    log[from..]
        .iter()
        .filter(|(_, path)| path.contains("/users"))
        .filter(|(_, path)| path.starts_with("/api/v1/teams/"))
        .cloned()
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn a_members_body_adds_and_removes_every_member_in_one_call_each_way_read_from_the_team() {
    let gw = gateway(
        "style = \"endpoints\"\n\
         add = \"POST /teams/{id}/users\"\nadd_body = { usernames = \"{members}\" }\n\
         remove = \"DELETE /teams/{id}/users\"\nremove_body = { usernames = \"{members}\" }\n\
         pointer = \"/members\"",
    )
    .await;
    create_users(&gw, &["ada", "bob", "cy", "dee"]).await;
    let before = gw.product(0).request_log().len();
    let group = create_group(&gw, "Ops", &["ada", "bob", "cy"]).await;
    assert_eq!(sorted(member_values(&group)), ["ada", "bob", "cy"]);
    assert_eq!(
        member_calls(&gw, before),
        [("POST".to_owned(), "/api/v1/teams/Ops/users".to_owned())],
        "one call adds all three"
    );

    let before = gw.product(0).request_log().len();
    let ops = json!([
        {"op": "add", "path": "members", "value": [{"value": "dee"}]},
        {"op": "remove", "path": "members", "value": [{"value": "ada"}, {"value": "bob"}]}
    ]);
    let (status, answer) = patch_members(&gw, "Ops", ops).await;
    assert!(status.is_success(), "{status} {answer}");
    let mut calls = member_calls(&gw, before);
    calls.sort();
    assert_eq!(
        calls,
        [
            ("DELETE".to_owned(), "/api/v1/teams/Ops/users".to_owned()),
            ("POST".to_owned(), "/api/v1/teams/Ops/users".to_owned())
        ],
        "a DELETE with a body removes both"
    );
    assert_eq!(
        gw.product(0).team_members("Ops"),
        Some(vec!["cy".to_owned(), "dee".to_owned()])
    );
    // Members are read from the team object: no member listing exists, and none is called.
    let (status, _, read) = send(gw.req(0, Method::GET, "/Groups/Ops")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sorted(member_values(&read)), ["cy", "dee"]);
    let (status, _, listed) = send(gw.req(0, Method::GET, "/Groups?filter=displayName%20eq%20%22Ops%22")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sorted(member_values(&listed["Resources"][0])), ["cy", "dee"]);

    // An unknown member is named; the others are applied.
    let ops = json!([{"op": "add", "path": "members", "value": [{"value": "nobody"}, {"value": "ada"}]}]);
    let (status, answer) = patch_members(&gw, "Ops", ops).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["detail"].as_str().unwrap().contains("nobody"), "{answer}");
    assert_eq!(
        gw.product(0).team_members("Ops"),
        Some(vec!["ada".to_owned(), "cy".to_owned(), "dee".to_owned()])
    );
}

#[tokio::test]
async fn a_member_body_without_a_member_path_is_one_call_per_member() {
    let gw = gateway(
        "style = \"endpoints\"\n\
         add = \"POST /teams/{id}/users\"\nadd_body = { usernames = [\"{member}\"] }\n\
         remove = \"DELETE /teams/{id}/users\"\nremove_body = { usernames = [\"{member}\"] }\n\
         pointer = \"/members\"",
    )
    .await;
    create_users(&gw, &["ada", "bob"]).await;
    let before = gw.product(0).request_log().len();
    create_group(&gw, "Ops", &["ada", "bob"]).await;
    assert_eq!(member_calls(&gw, before).len(), 2, "a call per member");
    let ops = json!([{"op": "remove", "path": "members[value eq \"ada\"]"}]);
    let (status, answer) = patch_members(&gw, "Ops", ops).await;
    assert!(status.is_success(), "{status} {answer}");
    assert_eq!(gw.product(0).team_members("Ops"), Some(vec!["bob".to_owned()]));
}

#[tokio::test]
async fn already_member_and_not_member_statuses_are_success_only_where_configured() {
    let strict = "style = \"endpoints\"\n\
         add = \"PUT /teams/{id}/users/{member}\"\nremove = \"DELETE /teams/{id}/users/{member}\"\n\
         pointer = \"/members\"";
    let configured = format!("{strict}\nalready_member = [422]\nnot_member = [422]");
    let gw = gateway(&configured).await;
    create_users(&gw, &["ada", "bob"]).await;
    create_group(&gw, "Ops", &["ada"]).await;
    // The product answers 422 to adding ada again and to removing bob, who is no member: nothing to do.
    let ops = json!([
        {"op": "add", "path": "members", "value": [{"value": "ada"}]},
        {"op": "remove", "path": "members[value eq \"bob\"]"}
    ]);
    let (status, answer) = patch_members(&gw, "Ops", ops.clone()).await;
    assert!(status.is_success(), "{status} {answer}");
    assert_eq!(gw.product(0).team_members("Ops"), Some(vec!["ada".to_owned()]));

    // Without them, the same request is the product's refusal.
    let gw = gateway(strict).await;
    create_users(&gw, &["ada", "bob"]).await;
    create_group(&gw, "Ops", &["ada"]).await;
    let (status, answer) = patch_members(&gw, "Ops", ops).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["detail"].as_str().unwrap().contains("2 of 2 member changes"),
        "{answer}"
    );
}

#[tokio::test]
async fn nothing_to_do_for_a_call_carrying_several_members_sends_each_again_alone() {
    // The strict product refuses the whole call with 409 when one member is already there (or already gone).
    let gw = gateway(
        "style = \"endpoints\"\n\
         add = \"POST /teams/{id}/users?strict=true\"\nadd_body = { usernames = \"{members}\" }\n\
         remove = \"DELETE /teams/{id}/users?strict=true\"\nremove_body = { usernames = \"{members}\" }\n\
         pointer = \"/members\"\nalready_member = [409]\nnot_member = [409]",
    )
    .await;
    create_users(&gw, &["ada", "bob", "cy", "dee"]).await;
    create_group(&gw, "Ops", &["ada", "dee"]).await;
    let before = gw.product(0).request_log().len();
    let ops = json!([
        {"op": "add", "path": "members", "value": [{"value": "ada"}, {"value": "bob"}]},
        {"op": "remove", "path": "members", "value": [{"value": "cy"}, {"value": "dee"}]}
    ]);
    let (status, answer) = patch_members(&gw, "Ops", ops).await;
    assert!(status.is_success(), "{status} {answer}");
    // bob was added and dee removed; the 409s for ada (already a member) and cy (not one) were, alone, nothing to do.
    assert_eq!(
        gw.product(0).team_members("Ops"),
        Some(vec!["ada".to_owned(), "bob".to_owned()])
    );
    assert_eq!(
        member_calls(&gw, before).len(),
        6,
        "two refused calls, then four of one member"
    );
}

#[tokio::test]
async fn a_member_list_is_written_in_its_own_shape() {
    let gw = gateway(
        "style = \"list\"\npointer = \"/members\"\n\
         write_pointer = \"/members\"\nwrite_item = { username = \"{member}\" }",
    )
    .await;
    create_users(&gw, &["ada", "bob", "cy"]).await;
    let group = create_group(&gw, "Ops", &["ada", "bob"]).await;
    assert_eq!(sorted(member_values(&group)), ["ada", "bob"]);
    let ops = json!([
        {"op": "add", "path": "members", "value": [{"value": "cy"}]},
        {"op": "remove", "path": "members[value eq \"ada\"]"}
    ]);
    let (status, answer) = patch_members(&gw, "Ops", ops).await;
    assert!(status.is_success(), "{status} {answer}");
    assert_eq!(
        gw.product(0).team_members("Ops"),
        Some(vec!["bob".to_owned(), "cy".to_owned()])
    );
}

/// The calls `scimgate preview` shows for a group PATCH under the named mapping with these members.
async fn previewed(members: &str, team: Value, users: &[Value], ops: Value) -> Vec<(String, String, Option<Value>)> {
    use scimgate::preview::{self, Resource, update};
    let mapping = common::example_mapping("named");
    let at = mapping.find("[mappings.named.groups.members]").expect("members table");
    let text = format!("{}[mappings.named.groups.members]\n{members}\n", &mapping[..at]);
    let file = scimgate::config::from_toml(&text).expect("config");
    let compiled = preview::mapping_of(&file, None, None).expect("mapping");
    let settings = update::settings_of(&file).expect("settings");
    let body = json!({"schemas": [PATCH_SCHEMA], "Operations": ops});
    let calls = update::calls(
        compiled,
        &settings,
        Resource::Group,
        update::Verb::Patch,
        &team,
        users,
        body,
    )
    .await
    .expect("calls");
    calls
        .into_iter()
        .map(|c| (c.method.to_string(), c.path, c.body))
        .collect()
}

fn product_user(name: &str) -> Value {
    json!({"username": name, "email": format!("{name}@example.com"), "disabled": false})
}

#[tokio::test]
async fn preview_shows_member_bodies_and_the_written_shape() {
    let team = json!({"name": "Ops", "members": ["ada"]});
    let users = [product_user("ada"), product_user("bob"), product_user("cy")];
    let ops = json!([
        {"op": "add", "path": "members", "value": [{"value": "bob"}, {"value": "cy"}]},
        {"op": "remove", "path": "members[value eq \"ada\"]"}
    ]);
    let calls = previewed(
        "style = \"endpoints\"\n\
         add = \"POST /teams/{id}/users\"\nadd_body = { usernames = \"{members}\" }\n\
         remove = \"DELETE /teams/{id}/users\"\nremove_body = { usernames = \"{members}\" }\n\
         pointer = \"/members\"",
        team.clone(),
        &users,
        ops.clone(),
    )
    .await;
    let writes: Vec<_> = calls.iter().filter(|(m, _, _)| m != "GET").cloned().collect();
    assert!(
        writes.contains(&(
            "POST".into(),
            "/teams/Ops/users".into(),
            Some(json!({"usernames": ["bob", "cy"]}))
        )),
        "{calls:?}"
    );
    assert!(
        writes.contains(&(
            "DELETE".into(),
            "/teams/Ops/users".into(),
            Some(json!({"usernames": ["ada"]}))
        )),
        "{calls:?}"
    );
    assert_eq!(writes.len(), 2, "{calls:?}");

    let calls = previewed(
        "style = \"list\"\npointer = \"/members\"\n\
         write_pointer = \"/members\"\nwrite_item = { username = \"{member}\" }",
        team,
        &users,
        ops,
    )
    .await;
    let put = calls.iter().find(|(m, _, _)| m == "PUT").expect("a team write");
    assert_eq!(put.1, "/teams/Ops");
    let written = put.2.as_ref().expect("a body")["members"].clone();
    assert_eq!(written, json!([{"username": "bob"}, {"username": "cy"}]), "{calls:?}");
}
