//! The product client behind its transport seam: an in-memory product answers the calls an `Api` makes.

use super::*;
use crate::upstream::{CallPolicy, Transport};
use futures_util::future::BoxFuture;
use std::sync::{Arc, Mutex};

const CLASSIC: &str = include_str!("../../../config/examples/classic.toml");

/// A product that holds user 17 and remembers every request it was sent.
#[derive(Default)]
struct InMemory {
    seen: Mutex<Vec<(http::Method, String)>>,
}

impl Transport for InMemory {
    fn send<'a>(&'a self, req: &'a ProductRequest) -> BoxFuture<'a, Result<ProductResponse, UpstreamError>> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.push((req.method.clone(), req.path_and_query.clone()));
        }
        let (status, body) = match (req.method.as_str(), req.path_and_query.as_str()) {
            ("GET", "/users/17") => (StatusCode::OK, r#"{"id": 17, "username": "ada@example.com"}"#),
            ("POST", "/users/ada%40example.com") => {
                (StatusCode::CREATED, r#"{"id": 18, "username": "ada@example.com"}"#)
            }
            _ => (StatusCode::NOT_FOUND, r#"{"error": {"message": "no such user"}}"#),
        };
        Box::pin(std::future::ready(Ok(ProductResponse {
            status,
            headers: http::HeaderMap::new(),
            body: bytes::Bytes::from_static(body.as_bytes()),
        })))
    }
}

fn classic() -> Mapping {
    let file = crate::config::from_toml(CLASSIC).expect("classic mapping");
    crate::mapping::compile(&file.mappings["classic"], "mappings.classic").expect("compiles")
}

#[tokio::test]
async fn a_read_by_id_is_answered_by_a_transport_standing_in_for_http() {
    let product = Arc::new(InMemory::default());
    let upstream =
        Upstream::over("https://product.test/api/v1", CallPolicy::default(), product.clone()).expect("upstream");
    let mapping = classic();
    let api = Api::new(&upstream, &mapping, &mapping.users);
    let id = api.product_id("17").expect("an integer id");
    let user = api.get(&id).await.expect("answered").expect("found");
    assert_eq!(user["username"], "ada@example.com");
    assert_eq!(api.id_of(&user).expect("id"), "17");
    let missing = api.product_id("18").expect("an integer id");
    assert!(
        api.get(&missing).await.expect("answered").is_none(),
        "a 404 is no such user"
    );
    let seen = product.seen.lock().expect("log").clone();
    assert_eq!(
        seen,
        [
            (http::Method::GET, "/users/17".to_owned()),
            (http::Method::GET, "/users/18".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_create_path_holds_the_new_objects_field_or_names_the_attribute_it_lacks() {
    let product = Arc::new(InMemory::default());
    let upstream =
        Upstream::over("https://product.test/api/v1", CallPolicy::default(), product.clone()).expect("upstream");
    let text = CLASSIC.replacen("create = \"POST /users\"", "create = \"POST /users/{/username}\"", 1);
    let file = crate::config::from_toml(&text).expect("mapping");
    let mapping = crate::mapping::compile(&file.mappings["classic"], "mappings.classic").expect("compiles");
    let api = Api::new(&upstream, &mapping, &mapping.users);
    let created = api
        .create(serde_json::json!({"username": "ada@example.com"}))
        .await
        .expect("created");
    assert_eq!(created["id"], 18);
    for object in [
        serde_json::json!({"email": "a@b.c"}),
        serde_json::json!({"username": ".."}),
    ] {
        let err = api.create(object.clone()).await.expect_err("refused");
        assert_eq!(err.status, StatusCode::BAD_REQUEST, "{object}");
        assert_eq!(err.scim_type, Some(ScimType::InvalidValue));
        assert!(err.detail.starts_with("userName: "), "{}", err.detail);
    }
    let seen = product.seen.lock().expect("log").clone();
    assert_eq!(
        seen,
        [(http::Method::POST, "/users/ada%40example.com".to_owned())],
        "refusals call nothing"
    );
}
