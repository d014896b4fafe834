//! Unit tests of the uuid shape's auth, envelopes, body rules and rendering.

use std::collections::BTreeSet;

use http::HeaderValue;
use http::header::AUTHORIZATION;
use serde_json::{Value, json};

use super::*;
use crate::sample::api::base64::encode;
use crate::sample::store::{MembersOn, TeamFields, UserFields};

fn store() -> Store {
    Store::with_clock(MembersOn::Users, || "2026-11-24T12:00:00Z".to_owned())
}

fn is_invalid<T: std::fmt::Debug>(result: Result<T, ApiError>) -> bool {
    matches!(result, Err(ApiError::Invalid(_)))
}

fn apply_user(store: &Store, body: Value, path_id: Option<&str>) -> Result<UserFields, ApiError> {
    let mut fields = UserFields::default();
    users::apply(store, unwrap("user", &body)?, &mut fields, path_id)?;
    Ok(fields)
}

#[test]
fn basic_auth_wants_user_api_and_the_key() {
    let with = |value: &str| {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).expect("valid header"));
        authorize(&headers, b"k3y")
    };
    let token = encode(b"api:k3y", Alphabet::Standard);
    assert!(with(&format!("Basic {token}")).is_ok());
    assert!(with(&format!("basic {token}")).is_ok());
    for bad in [
        format!("Bearer {token}"),
        format!("Basic {}", encode(b"admin:k3y", Alphabet::Standard)),
        format!("Basic {}", encode(b"api:k3", Alphabet::Standard)),
        "Basic k3y".to_owned(),
        "Basic".to_owned(),
    ] {
        assert!(matches!(with(&bad), Err(ApiError::Unauthorized(_))), "{bad}");
    }
    assert!(authorize(&HeaderMap::new(), b"k3y").is_err());
}

#[test]
fn bodies_must_be_enveloped() {
    let store = store();
    for bad in [
        json!({"login": "ada", "email": "a@b"}),
        json!({"user": {"login": "ada"}, "meta": {}}),
        json!({"team": {"name": "Ops"}}),
        json!({"user": "ada"}),
    ] {
        assert!(is_invalid(apply_user(&store, bad.clone(), None)), "{bad} was accepted");
    }
    assert!(apply_user(&store, json!({"user": {"login": "ada"}}), None).is_ok());
}

#[test]
fn user_members_are_checked_strictly() {
    let store = store();
    let id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    for (key, value) in [
        ("version", json!(2)),
        ("created_at", json!("x")),
        ("id", json!(id)),
        ("status", json!("active")),
        ("disabled", json!("yes")),
        ("login", json!(null)),
        ("login", json!("a b")),
        ("team_ids", json!("x")),
        ("team_ids", json!([1])),
    ] {
        assert!(
            is_invalid(apply_user(&store, json!({"user": {key: value}}), None)),
            "{key}: {value}"
        );
    }
    let same_id = apply_user(
        &store,
        json!({"user": {"id": id.to_uppercase(), "disabled": true}}),
        Some(id),
    );
    assert!(same_id.expect("the path id may be repeated").disabled);
}

#[test]
fn team_ids_resolve_and_unknown_ones_are_unprocessable() {
    let mut store = store();
    let ops = store
        .create_team(
            TeamFields {
                name: "Ops".to_owned(),
                ..TeamFields::default()
            },
            &BTreeSet::new(),
        )
        .expect("valid")
        .clone();
    let mut fields = UserFields::default();
    let body = json!({"user": {"team_ids": [ops.uuid, ops.uuid.to_uppercase()]}});
    let teams = users::apply(&store, unwrap("user", &body).expect("enveloped"), &mut fields, None);
    assert_eq!(teams.expect("valid"), Some(BTreeSet::from([ops.id])));
    let unknown = json!({"user": {"team_ids": ["0f8fad5b-d9cb-469f-a165-70867728950e"]}});
    let unknown = users::apply(&store, unwrap("user", &unknown).expect("enveloped"), &mut fields, None);
    assert!(matches!(unknown, Err(ApiError::Unprocessable(_))));
}

#[test]
fn users_render_uuids_and_their_team_ids() {
    let mut store = store();
    let ops = store
        .create_team(
            TeamFields {
                name: "Ops".to_owned(),
                ..TeamFields::default()
            },
            &BTreeSet::new(),
        )
        .expect("valid")
        .clone();
    let fields = UserFields {
        login: Some("ada".to_owned()),
        email: Some("ada@x".to_owned()),
        ..UserFields::default()
    };
    let ada = store
        .create_user(fields, &BTreeSet::from([ops.id]))
        .expect("valid")
        .clone();
    let rendered = user_json(&store, &ada);
    assert_eq!(rendered["id"], json!(ada.uuid));
    assert_eq!(rendered["team_ids"], json!([ops.uuid]));
    assert_eq!((&rendered["login"], &rendered["version"]), (&json!("ada"), &json!(1)));
    assert_eq!(team_json(&store, &ops)["id"], json!(ops.uuid));
}

#[test]
fn path_ids_that_are_not_uuids_are_not_found() {
    assert!(matches!(uuid("1"), Err(ApiError::NotFound(_))));
    assert_eq!(
        uuid("0F8FAD5B-D9CB-469F-A165-70867728950E").ok().as_deref(),
        Some("0f8fad5b-d9cb-469f-a165-70867728950e")
    );
}
