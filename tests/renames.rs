//! Products keyed by a mutable name: after a rename, the old id follows the renamed object only while no object
//! has that id; a new object that takes the old name is what its id reaches, for reads and writes alike.

mod common;

use common::{TenantSpec, send, user};
use reqwest::{Method, StatusCode};
use scimgate::sample::Shape;
use serde_json::{Value, json};

/// A user named `name` (not an address) with the work e-mail `email`.
fn named(name: &str, given: &str, email: &str) -> Value {
    let mut body = user(name, given, "A");
    body["emails"] = json!([{"type": "work", "value": email, "primary": true}]);
    body
}

#[tokio::test]
async fn a_new_object_with_a_renamed_objects_old_id_wins_over_the_alias() {
    let test = async {
        let gw = common::start_with_mapping(
            &[TenantSpec::shaped("named", Shape::Named)],
            "",
            &common::example_mapping("named"),
        )
        .await;
        let (status, _, body) = send(gw.req(0, Method::POST, "/Users").json(&named(
            "alice",
            "Alice",
            "a1@example.com",
        )))
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let rename = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "userName", "value": "bob"}]});
        let (status, _, body) = send(gw.req(0, Method::PATCH, "/Users/alice").json(&rename)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["id"], "bob");
        // While no object is called alice, the old id follows the rename.
        let (status, _, body) = send(gw.req(0, Method::GET, "/Users/alice")).await;
        assert_eq!((status, &body["userName"]), (StatusCode::OK, &json!("bob")), "{body}");

        let (status, _, body) = send(
            gw.req(0, Method::POST, "/Users")
                .json(&named("alice", "New", "a2@example.com")),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["id"], "alice");

        let (status, _, body) = send(gw.req(0, Method::GET, "/Users/alice")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["userName"], "alice", "the live alice, not the renamed bob: {body}");
        assert_eq!(body["name"]["givenName"], "New");

        let given = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "name.givenName", "value": "Patched"}]});
        let (status, _, body) = send(gw.req(0, Method::PATCH, "/Users/alice").json(&given)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["userName"], "alice", "{body}");
        let (_, _, bob) = send(gw.req(0, Method::GET, "/Users/bob")).await;
        assert_eq!(bob["name"]["givenName"], "Alice", "bob is untouched: {bob}");

        let (status, _, body) = send(gw.req(0, Method::DELETE, "/Users/alice")).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        let (status, _, bob) = send(gw.req(0, Method::GET, "/Users/bob")).await;
        assert_eq!(status, StatusCode::OK, "bob survives the delete of alice: {bob}");
        assert_eq!(bob["name"]["givenName"], "Alice");
        // The alias went when alice was found live again: the old id now names nothing.
        let (status, _, body) = send(gw.req(0, Method::GET, "/Users/alice")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), test)
        .await
        .expect("finished in time");
}

#[tokio::test]
async fn endpoint_names_match_in_any_letter_case_and_locations_stay_canonical() {
    let test = async {
        let gw = common::start(&[TenantSpec::new("cases")]).await;
        let (status, _, created) = send(
            gw.req(0, Method::POST, "/users")
                .json(&user("case@example.com", "C", "A")),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_str().expect("id").to_owned();
        let (status, _, canonical) = send(gw.req(0, Method::GET, &format!("/Users/{id}"))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, lower) = send(gw.req(0, Method::GET, &format!("/users/{id}"))).await;
        assert_eq!(status, StatusCode::OK, "{lower}");
        assert_eq!(lower, canonical);
        assert!(
            lower["meta"]["location"]
                .as_str()
                .expect("location")
                .ends_with(&format!("/Users/{id}")),
            "{lower}"
        );
        let (status, _, canonical) = send(gw.req(0, Method::GET, "/ServiceProviderConfig")).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, lower) = send(gw.req(0, Method::GET, "/serviceproviderconfig")).await;
        assert_eq!(status, StatusCode::OK, "{lower}");
        assert_eq!(lower, canonical);
        for path in ["/resourcetypes", "/SCHEMAS", "/Groups", "/groups"] {
            let (status, _, body) = send(gw.req(0, Method::GET, path)).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
        }
        let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": "userName eq \"case@example.com\""});
        let (status, _, found) = send(gw.req(0, Method::POST, "/USERS/.Search").json(&search)).await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!(found["totalResults"], 1);
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), test)
        .await
        .expect("finished in time");
}
