//! HTTP-level tests: a real sample product on 127.0.0.1:0 and hyper-util's legacy client.

use bytes::Bytes;
use http::header::{ALLOW, LOCATION};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use super::{SampleOptions, SampleProduct};

struct Api {
    product: SampleProduct,
    client: Client<HttpConnector, Full<Bytes>>,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Api {
    async fn start() -> Api {
        Api::start_with(Client::builder(TokioExecutor::new()).build_http()).await
    }

    async fn start_with(client: Client<HttpConnector, Full<Bytes>>) -> Api {
        let product = SampleProduct::start(SampleOptions::default())
            .await
            .expect("bind 127.0.0.1:0");
        Api { product, client }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let body = body.map(|body| body.to_string()).unwrap_or_default();
        self.raw(method, path, Some("sample-key"), Bytes::from(body)).await
    }

    async fn raw(&self, method: Method, path: &str, key: Option<&str>, body: Bytes) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.product.base_url()));
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        let request = request.body(Full::new(body)).expect("valid request");
        let response = self.client.request(request).await.expect("product answers");
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.expect("whole body").to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("JSON body")
        };
        Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}

#[tokio::test]
async fn requests_without_the_right_key_are_unauthorized_but_counted() {
    let api = Api::start().await;
    for key in [None, Some("wrong"), Some("sample-key-but-longer")] {
        let answer = api.raw(Method::GET, "/users", key, Bytes::new()).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.body["error"]["code"], "unauthorized");
    }
    assert_eq!(api.product.request_count(), 3);
    assert_eq!(
        api.product.request_log()[0],
        ("GET".to_owned(), "/api/v1/users".to_owned())
    );
}

#[tokio::test]
async fn user_lifecycle_create_get_list_filter_patch_put_delete() {
    let api = Api::start().await;
    let body = json!({"email": "ada@example.com", "first_name": "Ada", "external_ref": "E-1"});
    let created = api.call(Method::POST, "/users", Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(
        created.headers.get(LOCATION).map(|v| v.as_bytes()),
        Some(&b"/api/v1/users/1"[..])
    );
    assert_eq!(created.body["version"], 1);

    let got = api.call(Method::GET, "/users/%31", None).await;
    assert_eq!((got.status, &got.body), (StatusCode::OK, &created.body));

    api.call(Method::POST, "/users", Some(json!({"email": "grace+test@example.com"})))
        .await;
    let list = api.call(Method::GET, "/users?per_page=1&page=2", None).await;
    assert_eq!(list.body["data"][0]["email"], "grace+test@example.com");
    assert_eq!(list.body["meta"], json!({"page": 2, "per_page": 1, "total": 2}));
    let filtered = api
        .call(Method::GET, "/users?email=GRACE%2Btest%40example.com", None)
        .await;
    assert_eq!(filtered.body["data"][0]["id"], 2);
    let by_ref = api.call(Method::GET, "/users?external_ref=E-1", None).await;
    assert_eq!(by_ref.body["meta"]["total"], 1);

    let patched = api
        .call(Method::PATCH, "/users/1", Some(json!({"status": "suspended"})))
        .await;
    assert_eq!(
        (patched.status, &patched.body["status"]),
        (StatusCode::OK, &json!("suspended"))
    );
    assert_eq!(patched.body["first_name"], "Ada");
    let replaced = api
        .call(
            Method::PUT,
            "/users/1",
            Some(json!({"id": 1, "email": "ada@example.com"})),
        )
        .await;
    assert_eq!(replaced.body["first_name"], Value::Null);
    assert_eq!(replaced.body["status"], "active");
    assert_eq!(replaced.body["version"], 3);

    assert_eq!(
        api.call(Method::DELETE, "/users/1", None).await.status,
        StatusCode::NO_CONTENT
    );
    let gone = api.call(Method::GET, "/users/1", None).await;
    assert_eq!(
        (gone.status, &gone.body["error"]["code"]),
        (StatusCode::NOT_FOUND, &json!("not_found"))
    );
    assert_eq!(api.product.users().len(), 1);
}

#[tokio::test]
async fn bad_bodies_and_queries_are_refused() {
    let api = Api::start().await;
    api.call(Method::POST, "/users", Some(json!({"email": "ada@example.com"})))
        .await;
    let duplicate = api
        .call(Method::POST, "/users", Some(json!({"email": "Ada@Example.com"})))
        .await;
    assert_eq!(
        (duplicate.status, &duplicate.body["error"]["code"]),
        (StatusCode::CONFLICT, &json!("conflict"))
    );
    let malformed = api
        .raw(
            Method::POST,
            "/users",
            Some("sample-key"),
            Bytes::from_static(b"{\"email\":"),
        )
        .await;
    assert_eq!(
        (malformed.status, &malformed.body["error"]["code"]),
        (StatusCode::BAD_REQUEST, &json!("invalid"))
    );
    let unknown = api
        .call(Method::POST, "/users", Some(json!({"email": "b@x", "nick": "b"})))
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("nick"))
    );
    let read_only = api.call(Method::PATCH, "/users/1", Some(json!({"version": 7}))).await;
    assert_eq!(read_only.status, StatusCode::BAD_REQUEST);
    for query in ["per_page=201", "page=0", "page=one", "sort=id"] {
        let answer = api.call(Method::GET, &format!("/users?{query}"), None).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
    }
    let huge = Bytes::from(vec![b' '; 1024 * 1024 + 1]);
    let too_large = api.raw(Method::POST, "/users", Some("sample-key"), huge).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn unknown_paths_are_404_and_wrong_methods_405() {
    let api = Api::start().await;
    for path in ["/nothing", "/users/abc", "/users/0", "/users/1/extra", "/users/"] {
        let answer = api.call(Method::GET, path, None).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
    }
    let outside = api
        .raw(Method::GET, "/../../health", Some("sample-key"), Bytes::new())
        .await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND);
    let wrong = api.call(Method::DELETE, "/users", None).await;
    assert_eq!(
        (wrong.status, &wrong.body["error"]["code"]),
        (StatusCode::METHOD_NOT_ALLOWED, &json!("method_not_allowed"))
    );
    assert_eq!(wrong.headers.get(ALLOW).map(|v| v.as_bytes()), Some(&b"GET, POST"[..]));
    assert_eq!(
        api.call(Method::PATCH, "/teams/1/members", None).await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
}

#[tokio::test]
async fn team_members_can_be_added_listed_and_removed() {
    let api = Api::start().await;
    let team = api
        .call(Method::POST, "/teams", Some(json!({"name": "Engineering"})))
        .await;
    assert_eq!((team.status, &team.body["id"]), (StatusCode::CREATED, &json!(1)));
    api.call(Method::POST, "/users", Some(json!({"email": "ada@example.com"})))
        .await;
    api.call(Method::POST, "/users", Some(json!({"email": "grace@example.com"})))
        .await;

    for user in [2, 1, 2] {
        let added = api.call(Method::PUT, &format!("/teams/1/members/{user}"), None).await;
        assert_eq!(added.status, StatusCode::NO_CONTENT);
    }
    assert_eq!(
        api.call(Method::PUT, "/teams/1/members/9", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.call(Method::PUT, "/teams/9/members/1", None).await.status,
        StatusCode::NOT_FOUND
    );
    let members = api.call(Method::GET, "/teams/1/members", None).await;
    assert_eq!(
        members.body["data"],
        json!([{"user_id": 1, "email": "ada@example.com"}, {"user_id": 2, "email": "grace@example.com"}])
    );
    assert_eq!(members.body["meta"]["total"], 2);

    assert_eq!(
        api.call(Method::DELETE, "/teams/1/members/1", None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.call(Method::DELETE, "/teams/1/members/1", None).await.status,
        StatusCode::NOT_FOUND
    );
    api.call(Method::DELETE, "/users/2", None).await;
    assert_eq!(api.product.team_members("1"), Some(vec![]));
    let found = api.call(Method::GET, "/teams?name=engineering", None).await;
    assert_eq!(found.body["data"][0]["version"], 5);
    assert_eq!(
        api.call(Method::DELETE, "/teams/1", None).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(api.product.teams().is_empty());
}

#[tokio::test]
async fn request_log_records_method_and_path_with_query() {
    let api = Api::start().await;
    api.call(Method::GET, "/users?email=a%40b", None).await;
    api.call(Method::POST, "/teams", Some(json!({"name": "Ops"}))).await;
    let log = api.product.request_log();
    assert_eq!(
        log,
        [
            ("GET".to_owned(), "/api/v1/users?email=a%40b".to_owned()),
            ("POST".to_owned(), "/api/v1/teams".to_owned())
        ]
    );
}

#[tokio::test]
async fn speaks_h2c_with_prior_knowledge() {
    let client = Client::builder(TokioExecutor::new()).http2_only(true).build_http();
    let api = Api::start_with(client).await;
    let created = api
        .call(Method::POST, "/users", Some(json!({"email": "ada@example.com"})))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(api.product.request_log()[0].1, "/api/v1/users");
}

#[tokio::test]
async fn shutdown_stops_accepting() {
    let api = Api::start().await;
    let addr = api.product.addr();
    api.product.shutdown();
    // The accept loop notices the signal on its next turn; give it a few.
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("still accepting connections after shutdown");
}
