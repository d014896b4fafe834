//! Unit tests of the classic shape's body rules, batch bodies and rendering.

use serde_json::{Value, json};

use super::teams::{TeamInput, parse_batch};
use super::users::UserInput;
use super::*;
use crate::sample::store::{MembersOn, UserFields};

fn is_invalid<T: std::fmt::Debug>(result: Result<T, ApiError>) -> bool {
    matches!(result, Err(ApiError::Invalid(_)))
}

fn create(body: Value) -> Result<UserFields, ApiError> {
    UserInput::parse(&body, None)?.into_fields()
}

#[test]
fn bad_emails_and_statuses_are_invalid() {
    for email in [
        json!("nobody"),
        json!("@x.com"),
        json!("ada@"),
        json!("a@b@c"),
        json!(null),
        json!(7),
    ] {
        assert!(is_invalid(create(json!({"email": email}))), "{email} was accepted");
    }
    assert!(
        is_invalid(create(json!({"first_name": "Ada"}))),
        "missing email was accepted"
    );
    for status in [json!("deleted"), json!(null), json!(true)] {
        assert!(is_invalid(create(json!({"email": "a@b", "status": status}))));
    }
    assert!(
        create(json!({"email": "a@b", "status": "suspended"}))
            .expect("valid")
            .disabled
    );
}

#[test]
fn bodies_are_checked_strictly() {
    assert!(is_invalid(create(json!(["not", "an", "object"]))));
    assert!(is_invalid(create(json!({"email": "a@b", "nickname": "x"}))));
    assert!(is_invalid(create(json!({"email": "a@b", "title": 3}))));
    assert!(is_invalid(create(json!({"email": "a@b", "phone": "1".repeat(1025)}))));
    assert!(create(json!({"email": "a@b", "phone": "1".repeat(1024)})).is_ok());
    for field in ["id", "created_at", "updated_at", "version"] {
        assert!(
            is_invalid(create(json!({"email": "x@y", field: 1}))),
            "{field} was accepted"
        );
    }
}

#[test]
fn put_may_repeat_the_path_id_but_patch_may_not() {
    let body = |id| json!({"id": id, "email": "ada@example.com"});
    assert!(UserInput::parse(&body(1), Some(UserId(1))).is_ok());
    assert!(is_invalid(UserInput::parse(&body(2), Some(UserId(1)))));
    assert!(is_invalid(UserInput::parse(&body(1), None)));
    assert!(TeamInput::parse(&json!({"id": 3, "name": "Ops"}), Some(TeamId(3))).is_ok());
    assert!(is_invalid(TeamInput::parse(&json!({"id": 3, "name": "Ops"}), None)));
}

#[test]
fn put_clears_missing_fields_and_patch_changes_only_named_ones() {
    let mut fields =
        create(json!({"email": "a@b", "first_name": "Ada", "title": "T", "status": "suspended"})).expect("valid");
    let patch = UserInput::parse(&json!({"title": null, "phone": "+44"}), None).expect("valid");
    patch.apply(&mut fields).expect("keeps an email");
    assert_eq!(
        (
            fields.given_name.as_deref(),
            fields.title.as_deref(),
            fields.phone.as_deref()
        ),
        (Some("Ada"), None, Some("+44"))
    );
    let replaced = create(json!({"email": "a@b", "last_name": "L"})).expect("valid");
    assert_eq!(
        (replaced.given_name, replaced.family_name.as_deref()),
        (None, Some("L"))
    );
    assert!(!replaced.disabled);
    assert!(is_invalid(create(json!({"email": null}))));
    // A user keeps a username or an email: clearing the only one is refused.
    let mut only_email = create(json!({"email": "a@b"})).expect("valid");
    let clear = UserInput::parse(&json!({"email": null}), None).expect("parses");
    assert!(is_invalid(clear.apply(&mut only_email)));
}

#[test]
fn a_username_alone_makes_a_user_and_the_password_is_never_rendered() {
    let mut store = Store::with_clock(MembersOn::Teams, || "2026-11-24T12:00:00Z".to_owned());
    let fields = create(
        json!({"username": "Test_User_00aa", "password": "s3cret", "department": "Ops",
        "manager_id": "26118915", "locale": "en-US"}),
    )
    .expect("valid");
    let user = store.create_user(fields, &Default::default()).expect("valid").clone();
    let rendered = user_json(&store, &user);
    assert_eq!(user.fields.password.as_deref(), Some("s3cret"));
    assert!(!rendered.to_string().contains("s3cret"), "{rendered}");
    assert_eq!(
        (
            &rendered["username"],
            &rendered["email"],
            &rendered["department"],
            &rendered["locale"]
        ),
        (&json!("Test_User_00aa"), &json!(null), &json!("Ops"), &json!("en-US"))
    );
    assert!(is_invalid(create(json!({"username": "has space"}))));
}

#[test]
fn team_bodies_need_a_name_that_is_not_blank() {
    assert!(is_invalid(TeamInput::parse(&json!({"name": "  "}), None)));
    assert!(is_invalid(
        TeamInput::parse(&json!({"description": "x"}), None).and_then(TeamInput::into_fields)
    ));
    assert!(is_invalid(TeamInput::parse(
        &json!({"name": "Ops", "members": []}),
        None
    )));
}

#[test]
fn batch_bodies_take_positive_integer_ids_in_either_list() {
    let (add, remove) = parse_batch(&json!({"add": [2, 1, 2]})).expect("valid");
    assert_eq!(
        (add.into_iter().collect::<Vec<_>>(), remove.len()),
        (vec![UserId(1), UserId(2)], 0)
    );
    assert!(parse_batch(&json!({})).is_ok());
    for bad in [
        json!({"add": [1], "remove": [1]}),
        json!({"add": ["1"]}),
        json!({"add": [0]}),
        json!({"add": 1}),
        json!({"replace": []}),
        json!([1]),
    ] {
        assert!(is_invalid(parse_batch(&bad)), "{bad} was accepted");
    }
}

#[test]
fn users_and_teams_render_with_integer_ids_and_status() {
    let mut store = Store::with_clock(MembersOn::Teams, || "2026-11-24T12:00:00Z".to_owned());
    let fields = create(json!({"email": "ada@example.com", "first_name": "Ada"})).expect("valid");
    let user = store.create_user(fields, &Default::default()).expect("valid").clone();
    assert_eq!(
        user_json(&store, &user),
        json!({"id": 1, "username": null, "email": "ada@example.com", "first_name": "Ada", "last_name": null,
               "full_name": null, "display_name": null, "title": null, "phone": null, "external_ref": null,
               "department": null, "employee_number": null, "manager_id": null, "locale": null,
               "preferred_language": null, "mobile": null, "status": "active",
               "created_at": "2026-11-24T12:00:00Z", "updated_at": "2026-11-24T12:00:00Z", "version": 1})
    );
    let fields = TeamInput::parse(&json!({"name": "Ops"}), None).and_then(TeamInput::into_fields);
    let team = store
        .create_team(fields.expect("valid"), &Default::default())
        .expect("valid")
        .clone();
    assert_eq!(team_json(&store, &team)["id"], 1);
    assert!(team_by_key(&store, "1").is_some() && team_by_key(&store, "01x").is_none());
}

#[test]
fn custom_fields_merge_by_id_and_the_profile_is_replaced_whole() {
    let mut fields = create(json!({"email": "a@b", "custom_field_values": {"5": "x", "7": "y"},
        "profile": {"given": "Ada", "family": "Lovelace"}, "team_id": 3}))
    .expect("valid");
    assert_eq!(fields.team, Some(3));
    let patch = json!({"custom_field_values": {"5": null, "8": "z"}, "profile": {"given": "Augusta"}});
    UserInput::parse(&patch, None)
        .and_then(|input| input.apply(&mut fields))
        .expect("valid");
    let custom: Vec<(u64, &str)> = fields.custom.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(custom, [(7, "y"), (8, "z")]);
    assert_eq!(fields.profile, json!({"given": "Augusta"}).as_object().cloned());
    for bad in [
        json!({"email": "a@b", "custom_field_values": {"x": "1"}}),
        json!({"email": "a@b", "custom_fields": []}),
        json!({"email": "a@b", "profile": {"given": 1}}),
        json!({"email": "a@b", "team_id": 0}),
    ] {
        assert!(is_invalid(create(bad.clone())), "{bad} was accepted");
    }
}
