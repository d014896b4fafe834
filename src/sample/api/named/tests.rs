//! Unit tests of the named shape's body rules, member resolution and rendering.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::*;
use crate::sample::store::{MembersOn, UserFields};

fn user(body: Value) -> Result<UserFields, ApiError> {
    users::parse(&body)
}

fn is_invalid<T: std::fmt::Debug>(result: Result<T, ApiError>) -> bool {
    matches!(result, Err(ApiError::Invalid(_)))
}

fn store_with(logins: &[&str]) -> Store {
    let mut store = Store::with_clock(MembersOn::Teams, || "2026-11-24T12:00:00Z".to_owned());
    for login in logins {
        let fields = user(json!({"username": login, "email": login})).expect("valid");
        store.create_user(fields, &BTreeSet::new()).expect("unique");
    }
    store
}

#[test]
fn usernames_allow_email_like_text_only() {
    for good in ["alice@example.com", "a.b_c-d+e", "Zoë"] {
        assert!(user(json!({"username": good, "email": "a@b"})).is_ok(), "{good}");
    }
    for bad in [
        json!(""),
        json!("a b"),
        json!("a/b"),
        json!("a%2Fb"),
        json!(null),
        json!(1),
    ] {
        assert!(
            is_invalid(user(json!({"username": bad, "email": "a@b"}))),
            "{bad} was accepted"
        );
    }
    assert!(is_invalid(user(json!({"email": "a@b"}))));
    assert!(is_invalid(user(json!({"username": "ada"}))));
}

#[test]
fn disabled_and_timestamps_are_read_only_and_unknown_members_refused() {
    let disabled = user(json!({"username": "a", "email": "a@b", "disabled": true}));
    match disabled {
        Err(ApiError::Invalid(message)) => assert!(message.contains("/deactivate"), "{message}"),
        other => panic!("disabled was accepted: {other:?}"),
    }
    for (key, value) in [
        ("created_at", json!("x")),
        ("status", json!("active")),
        ("first_name", json!("A")),
    ] {
        assert!(
            is_invalid(user(json!({"username": "a", "email": "a@b", key: value}))),
            "{key}"
        );
    }
}

#[test]
fn full_name_is_an_object_of_given_and_family_or_null() {
    let fields = user(json!({"username": "a", "email": "a@b", "full_name": {"given": "Ada", "family": null}}));
    let fields = fields.expect("valid");
    assert_eq!((fields.given_name.as_deref(), fields.family_name), (Some("Ada"), None));
    assert!(user(json!({"username": "a", "email": "a@b", "full_name": null})).is_ok());
    for bad in [json!("Ada Lovelace"), json!({"middle": "B"}), json!({"given": 1})] {
        assert!(
            is_invalid(user(json!({"username": "a", "email": "a@b", "full_name": bad}))),
            "{bad}"
        );
    }
}

#[test]
fn team_members_resolve_case_insensitively_and_collapse() {
    let store = store_with(&["ada@x", "grace@x"]);
    let body = json!({"name": "Ops", "members": ["GRACE@x", "ada@x", "grace@x"]});
    let (fields, members) = teams::parse(&store, &body).expect("valid");
    assert_eq!(fields.name, "Ops");
    assert_eq!(members.len(), 2);
    let unknown = teams::parse(&store, &json!({"name": "Ops", "members": ["ada@x", "nobody"]}));
    match unknown {
        Err(ApiError::Unprocessable(message)) => assert!(message.contains("nobody"), "{message}"),
        other => panic!("unknown member was accepted: {other:?}"),
    }
    assert!(is_invalid(teams::parse(
        &store,
        &json!({"name": "Ops", "members": "ada@x"})
    )));
    assert!(is_invalid(teams::parse(&store, &json!({"name": "Ops", "id": 1}))));
}

#[test]
fn teams_render_member_usernames_and_users_their_full_name() {
    let mut store = store_with(&["ada@x"]);
    let (fields, members) = teams::parse(&store, &json!({"name": "Ops", "members": ["ada@x"]})).expect("valid");
    let team = store.create_team(fields, &members).expect("valid").clone();
    assert_eq!(
        team_json(&store, &team),
        json!({"name": "Ops", "description": null, "members": ["ada@x"],
               "created_at": "2026-11-24T12:00:00Z", "updated_at": "2026-11-24T12:00:00Z"})
    );
    let ada = store.users().next().expect("one user");
    let rendered = user_json(&store, ada);
    assert_eq!(rendered["full_name"], json!({"given": null, "family": null}));
    assert_eq!(rendered["disabled"], false);
    assert!(rendered.get("version").is_none() && rendered.get("id").is_none());
}

#[test]
fn locations_percent_encode_the_name() {
    assert_eq!(location("users", "ada+1@x.com"), "/api/v1/users/ada%2B1@x.com");
    assert_eq!(location("teams", "Platform Team"), "/api/v1/teams/Platform%20Team");
}
