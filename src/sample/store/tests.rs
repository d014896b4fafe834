//! Unit tests of the store: validation, uniqueness, paging, versions and memberships.

use serde_json::{Value, json};

use super::*;
use crate::sample::error::ApiError;

fn fixed_clock() -> String {
    "2026-11-24T12:00:00Z".to_owned()
}

fn store() -> Store {
    Store::with_clock(fixed_clock)
}

fn add_user(store: &mut Store, email: &str) -> UserId {
    store.create_user(&json!({"email": email})).expect("valid user").0
}

fn add_team(store: &mut Store, name: &str) -> TeamId {
    store.create_team(&json!({"name": name})).expect("valid team").0
}

fn is_invalid<T: std::fmt::Debug>(result: Result<T, ApiError>) -> bool {
    matches!(result, Err(ApiError::Invalid(_)))
}

#[test]
fn create_user_fills_defaults_and_bookkeeping() {
    let mut store = store();
    let (id, user) = store
        .create_user(&json!({"email": "ada@example.com", "first_name": "Ada"}))
        .expect("valid");
    assert_eq!(id, UserId(1));
    assert_eq!(
        user,
        json!({"id": 1, "email": "ada@example.com", "first_name": "Ada", "last_name": null, "display_name": null,
               "title": null, "phone": null, "external_ref": null, "status": "active",
               "created_at": "2026-11-24T12:00:00Z", "updated_at": "2026-11-24T12:00:00Z", "version": 1})
    );
}

#[test]
fn duplicate_email_is_a_conflict_case_insensitively() {
    let mut store = store();
    add_user(&mut store, "ada@example.com");
    let again = store.create_user(&json!({"email": "ADA@Example.com"}));
    assert!(matches!(again, Err(ApiError::Conflict(_))));
}

#[test]
fn update_to_another_users_email_is_a_conflict() {
    let mut store = store();
    add_user(&mut store, "ada@example.com");
    let grace = add_user(&mut store, "grace@example.com");
    let patch = store.update_user(grace, &json!({"email": "Ada@example.com"}), Write::Patch);
    assert!(matches!(patch, Err(ApiError::Conflict(_))));
    // Changing the case of one's own email is fine.
    let own = store
        .update_user(grace, &json!({"email": "Grace@example.com"}), Write::Patch)
        .expect("own email");
    assert_eq!(own["email"], "Grace@example.com");
}

#[test]
fn bad_status_is_invalid() {
    let mut store = store();
    assert!(is_invalid(
        store.create_user(&json!({"email": "a@b", "status": "deleted"}))
    ));
    assert!(is_invalid(store.create_user(&json!({"email": "a@b", "status": null}))));
    let user = store
        .create_user(&json!({"email": "a@b", "status": "suspended"}))
        .expect("valid")
        .1;
    assert_eq!(user["status"], "suspended");
}

#[test]
fn bad_emails_are_invalid() {
    let mut store = store();
    for email in [
        json!("nobody"),
        json!("@example.com"),
        json!("ada@"),
        json!("a@b@c"),
        json!(null),
        json!(7),
    ] {
        assert!(
            is_invalid(store.create_user(&json!({"email": email}))),
            "{email} was accepted"
        );
    }
    assert!(
        is_invalid(store.create_user(&json!({"first_name": "Ada"}))),
        "missing email was accepted"
    );
}

#[test]
fn bodies_are_checked_strictly() {
    let mut store = store();
    assert!(is_invalid(store.create_user(&json!(["not", "an", "object"]))));
    assert!(is_invalid(store.create_user(&json!({"email": "a@b", "nickname": "x"}))));
    assert!(is_invalid(store.create_user(&json!({"email": "a@b", "title": 3}))));
    assert!(is_invalid(
        store.create_user(&json!({"email": "a@b", "phone": "1".repeat(1025)}))
    ));
    assert!(
        store
            .create_user(&json!({"email": "a@b", "phone": "1".repeat(1024)}))
            .is_ok()
    );
    for field in ["id", "created_at", "updated_at", "version"] {
        assert!(
            is_invalid(store.create_user(&json!({"email": "x@y", field: 1}))),
            "{field} was accepted"
        );
    }
}

#[test]
fn put_may_repeat_the_path_id_but_patch_may_not() {
    let mut store = store();
    let id = add_user(&mut store, "ada@example.com");
    assert!(
        store
            .update_user(id, &json!({"id": 1, "email": "ada@example.com"}), Write::Replace)
            .is_ok()
    );
    assert!(is_invalid(store.update_user(
        id,
        &json!({"id": 2, "email": "ada@example.com"}),
        Write::Replace
    )));
    assert!(is_invalid(store.update_user(id, &json!({"id": 1}), Write::Patch)));
}

#[test]
fn put_clears_missing_fields_and_resets_status() {
    let mut store = store();
    let body = json!({"email": "ada@example.com", "first_name": "Ada", "title": "Countess", "status": "suspended"});
    let id = store.create_user(&body).expect("valid").0;
    let user = store.update_user(
        id,
        &json!({"email": "ada@example.com", "last_name": "L"}),
        Write::Replace,
    );
    let user = user.expect("valid replace");
    assert_eq!(user["first_name"], Value::Null);
    assert_eq!(user["title"], Value::Null);
    assert_eq!(user["last_name"], "L");
    assert_eq!(user["status"], "active");
    assert!(is_invalid(store.update_user(
        id,
        &json!({"first_name": "Ada"}),
        Write::Replace
    )));
}

#[test]
fn patch_changes_only_named_fields_and_null_clears() {
    let mut store = store();
    let id = store
        .create_user(&json!({"email": "ada@example.com", "first_name": "Ada", "title": "T"}))
        .expect("ok")
        .0;
    let user = store
        .update_user(id, &json!({"title": null, "phone": "+44"}), Write::Patch)
        .expect("valid patch");
    assert_eq!(user["first_name"], "Ada");
    assert_eq!(user["title"], Value::Null);
    assert_eq!(user["phone"], "+44");
    assert_eq!(user["version"], 2);
    assert!(is_invalid(store.update_user(id, &json!({"email": null}), Write::Patch)));
}

#[test]
fn version_moves_only_when_something_changes() {
    let mut store = store();
    let id = add_user(&mut store, "ada@example.com");
    let same = store
        .update_user(id, &json!({"email": "ada@example.com"}), Write::Patch)
        .expect("valid");
    assert_eq!(same["version"], 1);
    let changed = store
        .update_user(id, &json!({"first_name": "Ada"}), Write::Patch)
        .expect("valid");
    assert_eq!(changed["version"], 2);
}

#[test]
fn missing_objects_are_not_found() {
    let mut store = store();
    assert!(matches!(store.user(UserId(9)), Err(ApiError::NotFound(_))));
    assert!(matches!(
        store.update_user(UserId(9), &json!({}), Write::Patch),
        Err(ApiError::NotFound(_))
    ));
    assert!(matches!(store.delete_user(UserId(9)), Err(ApiError::NotFound(_))));
    assert!(matches!(store.team(TeamId(9)), Err(ApiError::NotFound(_))));
    assert!(matches!(store.delete_team(TeamId(9)), Err(ApiError::NotFound(_))));
}

#[test]
fn ids_are_never_reused() {
    let mut store = store();
    let first = add_user(&mut store, "a@x");
    store.delete_user(first).expect("exists");
    assert_eq!(add_user(&mut store, "a@x"), UserId(2));
}

#[test]
fn paging_counts_all_matches_and_slices_by_page() {
    let mut store = store();
    for n in 1..=7 {
        add_user(&mut store, &format!("user{n}@example.com"));
    }
    let page = Page::parse(Some("2"), Some("3")).expect("valid page");
    let list = store.list_users(&UserFilter::default(), page);
    let ids: Vec<&Value> = list["data"]
        .as_array()
        .expect("array")
        .iter()
        .map(|user| &user["id"])
        .collect();
    assert_eq!(ids, [&json!(4), &json!(5), &json!(6)]);
    assert_eq!(list["meta"], json!({"page": 2, "per_page": 3, "total": 7}));
    let last = store.list_users(
        &UserFilter::default(),
        Page::parse(Some("3"), Some("3")).expect("valid"),
    );
    assert_eq!(last["data"].as_array().map(Vec::len), Some(1));
    let past = store.list_users(
        &UserFilter::default(),
        Page::parse(Some("99999999999999999"), None).expect("valid"),
    );
    assert_eq!(past["data"], json!([]));
    assert_eq!(past["meta"]["total"], 7);
}

#[test]
fn page_parameters_are_validated() {
    assert_eq!(Page::parse(None, None), Ok(Page::default()));
    assert!(Page::parse(None, Some("200")).is_ok());
    for (page, per_page) in [
        (Some("0"), None),
        (Some("x"), None),
        (Some("-1"), None),
        (None, Some("201")),
    ] {
        assert!(
            is_invalid(Page::parse(page, per_page)),
            "{page:?} {per_page:?} was accepted"
        );
    }
    assert!(is_invalid(Page::parse(None, Some("0"))));
}

#[test]
fn user_filters_match_exactly() {
    let mut store = store();
    add_user(&mut store, "ada@example.com");
    store
        .create_user(&json!({"email": "grace@example.com", "external_ref": "G-1"}))
        .expect("valid");
    let by_email = UserFilter {
        email: Some("ADA@example.COM".to_owned()),
        external_ref: None,
    };
    assert_eq!(store.list_users(&by_email, Page::default())["data"][0]["id"], 1);
    let by_ref = UserFilter {
        email: None,
        external_ref: Some("G-1".to_owned()),
    };
    assert_eq!(store.list_users(&by_ref, Page::default())["data"][0]["id"], 2);
    let wrong_case = UserFilter {
        email: None,
        external_ref: Some("g-1".to_owned()),
    };
    assert_eq!(store.list_users(&wrong_case, Page::default())["meta"]["total"], 0);
    let partial = UserFilter {
        email: Some("ada@".to_owned()),
        external_ref: None,
    };
    assert_eq!(store.list_users(&partial, Page::default())["meta"]["total"], 0);
}

#[test]
fn team_names_are_required_and_unique() {
    let mut store = store();
    add_team(&mut store, "Engineering");
    assert!(matches!(
        store.create_team(&json!({"name": "engineering"})),
        Err(ApiError::Conflict(_))
    ));
    assert!(is_invalid(store.create_team(&json!({"name": "  "}))));
    assert!(is_invalid(store.create_team(&json!({"description": "x"}))));
    let sales = add_team(&mut store, "Sales");
    let clash = store.update_team(sales, &json!({"name": "ENGINEERING"}), Write::Patch);
    assert!(matches!(clash, Err(ApiError::Conflict(_))));
    let found = store.list_teams(Some("sales"), Page::default());
    assert_eq!(found["data"][0]["name"], "Sales");
}

#[test]
fn put_team_clears_description() {
    let mut store = store();
    let id = store
        .create_team(&json!({"name": "Ops", "description": "on call"}))
        .expect("valid")
        .0;
    let team = store
        .update_team(id, &json!({"name": "Ops", "id": 1}), Write::Replace)
        .expect("valid");
    assert_eq!(team["description"], Value::Null);
    assert_eq!(team["version"], 2);
}

#[test]
fn members_are_added_idempotently_and_removed_strictly() {
    let mut store = store();
    let team = add_team(&mut store, "Ops");
    let ada = add_user(&mut store, "ada@example.com");
    store.add_member(team, ada).expect("added");
    store.add_member(team, ada).expect("idempotent");
    assert_eq!(store.team(team).expect("exists")["version"], 2);
    let members = store.list_members(team, Page::default()).expect("exists");
    assert_eq!(members["data"], json!([{"user_id": 1, "email": "ada@example.com"}]));
    assert!(matches!(store.add_member(team, UserId(9)), Err(ApiError::NotFound(_))));
    assert!(matches!(store.add_member(TeamId(9), ada), Err(ApiError::NotFound(_))));
    store.remove_member(team, ada).expect("was a member");
    assert!(matches!(store.remove_member(team, ada), Err(ApiError::NotFound(_))));
}

#[test]
fn deleting_a_user_removes_their_memberships() {
    let mut store = store();
    let (ops, dev) = (add_team(&mut store, "Ops"), add_team(&mut store, "Dev"));
    let (ada, grace) = (add_user(&mut store, "ada@x"), add_user(&mut store, "grace@x"));
    for (team, user) in [(ops, ada), (ops, grace), (dev, ada)] {
        store.add_member(team, user).expect("both exist");
    }
    store.delete_user(ada).expect("exists");
    assert_eq!(store.member_ids(ops), Some(vec![2]));
    assert_eq!(store.member_ids(dev), Some(vec![]));
    // The email is free again.
    add_user(&mut store, "ADA@x");
}

#[test]
fn ids_parse_only_positive_integers() {
    assert_eq!(UserId::parse("17"), Some(UserId(17)));
    for bad in ["0", "-1", "+1", "1.0", "", "abc", "99999999999999999999999"] {
        assert_eq!(UserId::parse(bad), None, "{bad:?} parsed");
    }
}

#[test]
fn wall_clock_is_rfc3339_utc_whole_seconds() {
    let now = utc_now();
    assert_eq!(now.len(), "2026-11-24T12:00:00Z".len());
    assert!(time::OffsetDateTime::parse(&now, &time::format_description::well_known::Rfc3339).is_ok());
}
