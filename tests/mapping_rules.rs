//! The mapping's error rules, uniqueness check before create, immutable attributes and steps before delete,
//! driven through the gateway's listener against the sample product.

mod common;

use common::{TenantSpec, assert_scim_error, send, user};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// A gateway in front of the classic sample product, its mapping changed by `edit`.
async fn classic(edit: impl Fn(String) -> String) -> common::Gateway {
    let mapping = edit(common::example_mapping("classic"));
    common::start_with_mapping(&[TenantSpec::new("t")], "", &mapping).await
}

fn replaced(text: String, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from}");
    text.replacen(from, to, 1)
}

fn calls(gw: &common::Gateway, method: &str) -> Vec<String> {
    let log = gw.product(0).request_log();
    log.into_iter().filter(|(m, _)| m == method).map(|(_, p)| p).collect()
}

#[tokio::test]
async fn an_error_rule_answers_before_the_built_in_table() {
    let gw = classic(|m| {
        replaced(
            m,
            "error_message = \"/error/message\"\n",
            "error_message = \"/error/message\"\n\
             [[mappings.classic.errors]]\nstatus = 409\noperation = \"create\"\npointer = \"/error/code\"\n\
             equals = \"conflict\"\nscim_status = 400\nscim_type = \"invalidValue\"\n",
        )
    })
    .await;
    let body = user("ada@example.com", "Ada", "Lovelace");
    let (status, _, _) = send(gw.req(0, Method::POST, "/Users").json(&body)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, again) = send(gw.req(0, Method::POST, "/Users").json(&body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{again}");
    assert_scim_error(&again, 400, Some("invalidValue"));
    assert!(
        again["detail"].as_str().is_some_and(|d| d.contains(": ")),
        "the product's message: {again}"
    );
}

#[tokio::test]
async fn a_lookup_before_create_refuses_a_taken_name_without_a_create_call() {
    let gw = classic(|m| replaced(m, "unmapped = \"reject\"", "unmapped = \"reject\"\nunique = \"lookup\"")).await;
    let body = user("ada@example.com", "Ada", "Lovelace");
    let (status, _, _) = send(gw.req(0, Method::POST, "/Users").json(&body)).await;
    assert_eq!(status, StatusCode::CREATED);
    // Another letter case is the same SCIM userName.
    let again = user("ADA@example.com", "Ada", "Lovelace");
    let (status, _, refused) = send(gw.req(0, Method::POST, "/Users").json(&again)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_scim_error(&refused, 409, Some("uniqueness"));
    assert_eq!(calls(&gw, "POST"), ["/api/v1/users"], "one create");
    let gets = calls(&gw, "GET");
    assert!(
        gets.iter().any(|p| p.contains("username=ADA%40example.com")),
        "{gets:?}"
    );
    assert_eq!(gw.product(0).users().len(), 1);
}

#[tokio::test]
async fn a_lookup_before_create_adopts_under_on_conflict_adopt() {
    let gw = classic(|m| {
        replaced(
            m,
            "unmapped = \"reject\"",
            "unmapped = \"reject\"\nunique = \"lookup\"\non_conflict = \"adopt\"",
        )
    })
    .await;
    let (_, _, first) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&user("ada@example.com", "Ada", "L")),
    )
    .await;
    let (status, _, adopted) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&user("ada@example.com", "Augusta", "L")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{adopted}");
    assert_eq!(adopted["id"], first["id"]);
    assert_eq!(adopted["name"]["givenName"], "Augusta");
    assert_eq!(calls(&gw, "POST").len(), 1, "adopted, not created");
}

#[tokio::test]
async fn an_immutable_attribute_is_set_on_create_and_never_changed() {
    let gw = classic(|m| {
        replaced(
            m,
            "title = \"/title\"",
            "title = { pointer = \"/title\", immutable = true }",
        )
    })
    .await;
    let mut body = user("ada@example.com", "Ada", "Lovelace");
    body["title"] = json!("Countess");
    let (status, _, created) = send(gw.req(0, Method::POST, "/Users").json(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["title"], "Countess");
    let id = created["id"].as_str().expect("id").to_owned();
    let writes = || calls(&gw, "PATCH").len() + calls(&gw, "PUT").len();
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "title", "value": "Duchess"}]});
    let (status, _, refused) = send(gw.req(0, Method::PATCH, &format!("/Users/{id}")).json(&patch)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_scim_error(&refused, 400, Some("mutability"));
    assert!(
        refused["detail"].as_str().is_some_and(|d| d.starts_with("title")),
        "{refused}"
    );
    let remove = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "remove", "path": "title"}]});
    let (status, _, _) = send(gw.req(0, Method::PATCH, &format!("/Users/{id}")).json(&remove)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let mut put = body.clone();
    put["title"] = json!("Duchess");
    let (status, _, _) = send(gw.req(0, Method::PUT, &format!("/Users/{id}")).json(&put)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(writes(), 0, "nothing sent");
    // A PUT leaving it out keeps it.
    put.as_object_mut().expect("object").remove("title");
    put["displayName"] = json!("Ada L.");
    let (status, _, replaced) = send(gw.req(0, Method::PUT, &format!("/Users/{id}")).json(&put)).await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["title"], "Countess", "{replaced}");
    assert_eq!(replaced["displayName"], "Ada L.");
    let (_, _, schema) = send(gw.req(0, Method::GET, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")).await;
    let attrs = schema["attributes"].as_array().expect("attributes");
    let title = attrs.iter().find(|a| a["name"] == "title").expect("title advertised");
    assert_eq!(title["mutability"], "immutable", "{title}");
}

async fn group_with_members(gw: &common::Gateway) -> String {
    let mut ids = Vec::new();
    for name in ["ada@example.com", "grace@example.com"] {
        let (_, _, u) = send(gw.req(0, Method::POST, "/Users").json(&user(name, "A", "B"))).await;
        ids.push(json!({"value": u["id"]}));
    }
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Team",
        "members": ids});
    let (status, _, created) = send(gw.req(0, Method::POST, "/Groups").json(&group)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_members_step_empties_the_team_before_it_is_deleted() {
    let gw = classic(|m| {
        replaced(
            m,
            "[mappings.classic.groups]\nid = \"/id\"",
            "[mappings.classic.groups]\nbefore_delete = [\"members\"]\nid = \"/id\"",
        )
    })
    .await;
    let id = group_with_members(&gw).await;
    let (status, _, _) = send(gw.req(0, Method::DELETE, &format!("/Groups/{id}"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let log = gw.product(0).request_log();
    let removes: Vec<usize> = (0..log.len())
        .filter(|&i| log[i].0 == "DELETE" && log[i].1.starts_with(&format!("/api/v1/teams/{id}/members/")))
        .collect();
    let delete = log
        .iter()
        .position(|(m, p)| m == "DELETE" && *p == format!("/api/v1/teams/{id}"));
    assert_eq!(removes.len(), 2, "{log:?}");
    assert!(delete.is_some_and(|d| removes.iter().all(|&r| r < d)), "{log:?}");
    assert!(gw.product(0).teams().is_empty());
}

#[tokio::test]
async fn a_failing_step_stops_the_delete_with_its_error() {
    let gw = classic(|m| {
        replaced(
            m,
            "[mappings.classic.groups]\nid = \"/id\"",
            "[mappings.classic.groups]\nbefore_delete = [\"POST /teams/{id}/archive\", \"members\"]\nid = \"/id\"",
        )
    })
    .await;
    let id = group_with_members(&gw).await;
    let (status, _, refused) = send(gw.req(0, Method::DELETE, &format!("/Groups/{id}"))).await;
    assert!(status.is_client_error() || status.is_server_error(), "{status}");
    let detail = refused["detail"].as_str().unwrap_or_default();
    assert!(detail.starts_with("the group was not deleted"), "{refused}");
    assert!(detail.contains("/archive"), "{refused}");
    assert_eq!(gw.product(0).teams().len(), 1, "the team is still there");
    assert_eq!(
        gw.product(0).team_members(&id).map(|m| m.len()),
        Some(2),
        "with its members"
    );
}
