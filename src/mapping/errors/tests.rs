use super::*;
use crate::mapping::Mapping;
use crate::mapping::api::Api;
use crate::upstream::{CallPolicy, ProductRequest, ProductResponse, Transport, Upstream, UpstreamError};
use futures_util::future::BoxFuture;
use std::sync::Arc;

const CLASSIC: &str = include_str!("../../../config/examples/classic.toml");

fn rule(body: Option<BodyMatch>, operations: Vec<Operation>) -> ErrorRule {
    ErrorRule {
        statuses: vec![StatusCode::BAD_REQUEST],
        operations,
        body,
        scim_status: StatusCode::CONFLICT,
        scim_type: Some(ScimType::Uniqueness),
    }
}

#[test]
fn status_operation_and_body_must_all_match() {
    let p = Pointer::parse("/error").ok();
    let r = rule(
        Some(BodyMatch::Equals(p.clone(), "exists".into())),
        vec![Operation::Create],
    );
    let body = br#"{"error": "exists"}"#;
    assert!(r.matches(StatusCode::BAD_REQUEST, Some(Operation::Create), body));
    assert!(!r.matches(StatusCode::UNPROCESSABLE_ENTITY, Some(Operation::Create), body));
    assert!(!r.matches(StatusCode::BAD_REQUEST, Some(Operation::Update), body));
    assert!(!r.matches(StatusCode::BAD_REQUEST, None, body));
    assert!(!r.matches(
        StatusCode::BAD_REQUEST,
        Some(Operation::Create),
        br#"{"error": "exists!"}"#
    ));
    assert!(!r.matches(StatusCode::BAD_REQUEST, Some(Operation::Create), b"not json"));
    let any_op = rule(Some(BodyMatch::Contains(p, "xist".into())), vec![]);
    assert!(any_op.matches(StatusCode::BAD_REQUEST, None, body));
    let text = rule(Some(BodyMatch::Contains(None, "already taken".into())), vec![]);
    assert!(text.matches(StatusCode::BAD_REQUEST, Some(Operation::List), b"name already taken"));
    assert!(!text.matches(StatusCode::BAD_REQUEST, Some(Operation::List), b"name taken"));
}

#[test]
fn the_first_matching_rule_wins_and_keywords_parse() {
    let mut second = rule(None, vec![]);
    second.scim_status = StatusCode::NOT_FOUND;
    let rules = [rule(Some(BodyMatch::Contains(None, "dup".into())), vec![]), second];
    let hit = first(&rules, StatusCode::BAD_REQUEST, Some(Operation::Get), b"dup");
    assert_eq!(hit.map(|r| r.scim_status), Some(StatusCode::CONFLICT));
    let hit = first(&rules, StatusCode::BAD_REQUEST, Some(Operation::Get), b"other");
    assert!(hit.is_some_and(ErrorRule::is_not_found));
    assert_eq!(scim_type("uniqueness"), Some(ScimType::Uniqueness));
    assert_eq!(scim_type("Uniqueness"), None);
    assert_eq!(Operation::parse("member_add"), Some(Operation::MemberAdd));
}

/// A product answering 403 for every id it does not have, and 400 with a code for a duplicate name.
struct Refusing;

impl Transport for Refusing {
    fn send<'a>(&'a self, req: &'a ProductRequest) -> BoxFuture<'a, Result<ProductResponse, UpstreamError>> {
        let (status, body) = match (req.method.as_str(), req.path_and_query.as_str()) {
            ("POST", "/users") => (
                StatusCode::BAD_REQUEST,
                r#"{"error": {"code": "name_taken", "message": "that name is taken"}}"#,
            ),
            ("PATCH", _) => (
                StatusCode::BAD_REQUEST,
                r#"{"error": {"code": "bad", "message": "no"}}"#,
            ),
            _ => (StatusCode::FORBIDDEN, r#"{"error": {"message": "forbidden"}}"#),
        };
        Box::pin(std::future::ready(Ok(ProductResponse {
            status,
            headers: http::HeaderMap::new(),
            body: bytes::Bytes::from_static(body.as_bytes()),
        })))
    }
}

fn mapping(rules: &str) -> Mapping {
    let text = CLASSIC.replacen(
        "error_message = \"/error/message\"\n",
        &format!("error_message = \"/error/message\"\n{rules}"),
        1,
    );
    let file = crate::config::from_toml(&text).expect("mapping");
    crate::mapping::compile(&file.mappings["classic"], "mappings.classic").expect("compiles")
}

#[tokio::test]
async fn rules_turn_product_answers_into_scim_errors_and_a_404_rule_means_no_such_object() {
    let upstream = Upstream::over("https://product.test", CallPolicy::default(), Arc::new(Refusing)).expect("upstream");
    let rules = "[[mappings.classic.errors]]\nstatus = 403\noperation = [\"get\", \"update\", \"delete\"]\nscim_status = 404\n\
                 [[mappings.classic.errors]]\nstatus = 400\noperation = \"create\"\npointer = \"/error/code\"\n\
                 equals = \"name_taken\"\nscim_status = 409\nscim_type = \"uniqueness\"\n";
    let ruled = mapping(rules);
    let api = Api::new(&upstream, &ruled, &ruled.users);
    let id = api.product_id("18").expect("an integer id");
    assert!(
        api.get(&id).await.expect("answered").is_none(),
        "403 on a read is no such user"
    );
    assert!(
        !api.delete(&id).await.expect("answered"),
        "403 on a delete is no such user"
    );
    let err = api
        .create(serde_json::json!({"username": "ada"}))
        .await
        .expect_err("refused");
    assert_eq!(
        (err.status, err.scim_type),
        (StatusCode::CONFLICT, Some(ScimType::Uniqueness))
    );
    assert!(err.detail.ends_with("that name is taken"), "{}", err.detail);
    // Another code on the same status is the built-in table's.
    let err = api
        .update(&id, serde_json::json!({"title": "x"}))
        .await
        .expect_err("refused");
    assert_eq!(
        (err.status, err.scim_type),
        (StatusCode::BAD_REQUEST, Some(ScimType::InvalidValue))
    );
    // A listing is not one of the rule's operations: 403 stays the gateway's credential problem.
    let list = &ruled.users.endpoints.list;
    let err = api.list_at(list, None, &[]).await.expect_err("refused");
    assert_eq!(err.status, StatusCode::BAD_GATEWAY);

    let plain = mapping("");
    let api = Api::new(&upstream, &plain, &plain.users);
    let err = api
        .get(&id)
        .await
        .expect_err("without rules 403 is a credential problem");
    assert_eq!(err.status, StatusCode::BAD_GATEWAY);
    let err = api
        .create(serde_json::json!({"username": "ada"}))
        .await
        .expect_err("refused");
    assert_eq!(err.status, StatusCode::BAD_REQUEST);
}
