//! Unit tests of the shape-neutral store: uniqueness, ids, versions and memberships.

use std::collections::BTreeSet;

use super::*;
use crate::sample::error::ApiError;

fn fixed_clock() -> String {
    "2026-11-24T12:00:00Z".to_owned()
}

fn store(members_on: MembersOn) -> Store {
    Store::with_clock(members_on, fixed_clock)
}

fn user_fields(email: &str, login: Option<&str>) -> UserFields {
    UserFields {
        email: Some(email.to_owned()),
        login: login.map(str::to_owned),
        ..UserFields::default()
    }
}

fn add_user(store: &mut Store, email: &str) -> UserId {
    store
        .create_user(user_fields(email, None), &BTreeSet::new())
        .expect("valid user")
        .id
}

fn team_fields(name: &str) -> TeamFields {
    TeamFields {
        name: name.to_owned(),
        ..TeamFields::default()
    }
}

fn add_team(store: &mut Store, name: &str) -> TeamId {
    store
        .create_team(team_fields(name), &BTreeSet::new())
        .expect("valid team")
        .id
}

fn version_of_user(store: &Store, id: UserId) -> u64 {
    store.user(id).expect("exists").meta.version
}

fn version_of_team(store: &Store, id: TeamId) -> u64 {
    store.team(id).expect("exists").meta.version
}

#[test]
fn create_user_assigns_sequential_ids_uuids_and_bookkeeping() {
    let mut store = store(MembersOn::Teams);
    let user = store
        .create_user(user_fields("ada@example.com", None), &BTreeSet::new())
        .expect("valid")
        .clone();
    assert_eq!(user.id, UserId(1));
    assert!(is_uuid(&user.uuid) && user.uuid == user.uuid.to_lowercase());
    assert_eq!(user.meta, Meta::new(fixed_clock()));
    assert_eq!(
        store.user_by_uuid(&user.uuid.to_uppercase()).map(|u| u.id),
        Some(user.id)
    );
}

#[test]
fn email_and_login_are_unique_case_insensitively() {
    let mut store = store(MembersOn::Teams);
    let none = BTreeSet::new();
    store
        .create_user(user_fields("ada@example.com", Some("ada")), &none)
        .expect("valid");
    for clash in [
        user_fields("ADA@example.com", Some("x")),
        user_fields("b@x", Some("ADA")),
    ] {
        assert!(matches!(store.create_user(clash, &none), Err(ApiError::Conflict(_))));
    }
    let grace = store
        .create_user(user_fields("grace@example.com", Some("grace")), &none)
        .expect("valid")
        .id;
    let steal = store.update_user(grace, user_fields("grace@example.com", Some("Ada")), None);
    assert!(matches!(steal, Err(ApiError::Conflict(_))));
    // Changing the case of one's own email or login is fine, and frees nothing for others.
    let own = store.update_user(grace, user_fields("Grace@example.com", Some("GRACE")), None);
    assert_eq!(own.expect("own names").fields.login.as_deref(), Some("GRACE"));
    assert_eq!(store.user_by_login("grace").map(|u| u.id), Some(grace));
}

#[test]
fn version_moves_only_when_something_changes() {
    let mut store = store(MembersOn::Teams);
    let id = add_user(&mut store, "ada@example.com");
    store
        .update_user(id, user_fields("ada@example.com", None), None)
        .expect("valid");
    assert_eq!(version_of_user(&store, id), 1);
    let mut fields = user_fields("ada@example.com", None);
    fields.disabled = true;
    store.update_user(id, fields, None).expect("valid");
    assert_eq!(version_of_user(&store, id), 2);
}

#[test]
fn ids_are_never_reused() {
    let mut store = store(MembersOn::Teams);
    let first = add_user(&mut store, "a@x");
    store.delete_user(first).expect("exists");
    assert_eq!(add_user(&mut store, "a@x"), UserId(2));
    assert!(matches!(store.delete_user(first), Err(ApiError::NotFound(_))));
}

#[test]
fn team_names_are_unique_case_insensitively() {
    let mut store = store(MembersOn::Teams);
    add_team(&mut store, "Engineering");
    let clash = store.create_team(team_fields("engineering"), &BTreeSet::new());
    assert!(matches!(clash, Err(ApiError::Conflict(_))));
    let sales = add_team(&mut store, "Sales");
    assert!(matches!(
        store.update_team(sales, team_fields("ENGINEERING"), None),
        Err(ApiError::Conflict(_))
    ));
    store
        .update_team(sales, team_fields("Revenue"), None)
        .expect("free name");
    assert_eq!(store.team_by_name("revenue").map(|t| t.id), Some(sales));
    assert!(store.team_by_name("sales").is_none());
}

#[test]
fn change_members_counts_real_changes_and_bumps_the_team_once() {
    let mut store = store(MembersOn::Teams);
    let team = add_team(&mut store, "Ops");
    let (ada, grace) = (add_user(&mut store, "ada@x"), add_user(&mut store, "grace@x"));
    let both = BTreeSet::from([ada, grace]);
    assert_eq!(store.change_members(team, &both, &BTreeSet::new()), Ok((2, 0)));
    assert_eq!(version_of_team(&store, team), 2);
    assert_eq!(
        version_of_user(&store, ada),
        1,
        "classic and named users do not render teams"
    );
    let again = store.change_members(team, &BTreeSet::from([ada]), &BTreeSet::from([grace]));
    assert_eq!(again, Ok((0, 1)));
    assert_eq!(
        store.change_members(team, &BTreeSet::new(), &BTreeSet::from([grace])),
        Ok((0, 0))
    );
    assert_eq!(version_of_team(&store, team), 3);
}

#[test]
fn change_members_with_an_unknown_user_changes_nothing() {
    let mut store = store(MembersOn::Teams);
    let team = add_team(&mut store, "Ops");
    let ada = add_user(&mut store, "ada@x");
    let result = store.change_members(team, &BTreeSet::from([ada, UserId(9)]), &BTreeSet::new());
    assert!(matches!(result, Err(ApiError::Unprocessable(_))));
    assert!(store.team(team).expect("exists").members.is_empty());
    assert_eq!(version_of_team(&store, team), 1);
}

#[test]
fn users_that_render_teams_move_when_their_teams_change() {
    let mut store = store(MembersOn::Users);
    let (ops, dev) = (add_team(&mut store, "Ops"), add_team(&mut store, "Dev"));
    let ada = store
        .create_user(user_fields("ada@x", Some("ada")), &BTreeSet::from([ops, dev]))
        .expect("valid")
        .id;
    assert_eq!(version_of_user(&store, ada), 1);
    assert_eq!(store.teams_of(ada), BTreeSet::from([ops, dev]));
    // Fields and teams change in one call: one new version.
    let mut fields = user_fields("ada@x", Some("ada"));
    fields.title = Some("Countess".to_owned());
    store
        .update_user(ada, fields, Some(&BTreeSet::from([dev])))
        .expect("valid");
    assert_eq!(version_of_user(&store, ada), 2);
    assert_eq!(version_of_team(&store, ops), 1, "uuid teams do not render members");
    store.delete_team(dev).expect("exists");
    assert!(store.teams_of(ada).is_empty());
    assert_eq!(version_of_user(&store, ada), 3);
    let unknown = store.update_user(ada, user_fields("ada@x", Some("ada")), Some(&BTreeSet::from([dev])));
    assert!(matches!(unknown, Err(ApiError::Unprocessable(_))));
}

#[test]
fn renaming_a_login_bumps_the_teams_that_list_it() {
    let mut store = store(MembersOn::Teams);
    let ada = store
        .create_user(user_fields("ada@x", Some("ada")), &BTreeSet::new())
        .expect("valid")
        .id;
    let ops = store
        .create_team(team_fields("Ops"), &BTreeSet::from([ada]))
        .expect("valid")
        .id;
    let dev = add_team(&mut store, "Dev");
    store
        .update_user(ada, user_fields("ada@x", Some("countess")), None)
        .expect("free login");
    assert_eq!((version_of_team(&store, ops), version_of_team(&store, dev)), (2, 1));
    assert!(store.user_by_login("ada").is_none());
}

#[test]
fn replacing_members_and_deleting_a_user_update_memberships() {
    let mut store = store(MembersOn::Teams);
    let (ops, dev) = (add_team(&mut store, "Ops"), add_team(&mut store, "Dev"));
    let (ada, grace) = (add_user(&mut store, "ada@x"), add_user(&mut store, "grace@x"));
    store
        .update_team(ops, team_fields("Ops"), Some(&BTreeSet::from([ada, grace])))
        .expect("valid");
    store
        .update_team(dev, team_fields("Dev"), Some(&BTreeSet::from([ada])))
        .expect("valid");
    store.delete_user(ada).expect("exists");
    assert_eq!(store.team(ops).expect("exists").members, BTreeSet::from([grace]));
    assert!(store.team(dev).expect("exists").members.is_empty());
    assert_eq!(version_of_team(&store, dev), 3);
    // The email is free again.
    add_user(&mut store, "ADA@x");
}

#[test]
fn uuids_are_version_4_and_recognised() {
    let uuid = new_uuid();
    assert!(is_uuid(&uuid), "{uuid}");
    assert_eq!(&uuid[14..15], "4");
    assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"), "{uuid}");
    assert_ne!(new_uuid(), uuid);
    for bad in [
        "",
        "1",
        "0f8fad5b-d9cb-469f-a165-70867728950",
        "0f8fad5bxd9cb-469f-a165-70867728950e",
    ] {
        assert!(!is_uuid(bad), "{bad}");
    }
    assert!(is_uuid("0F8FAD5B-D9CB-469F-A165-70867728950E"));
}

#[test]
fn wall_clock_is_rfc3339_utc_whole_seconds() {
    let now = utc_now();
    assert_eq!(now.len(), "2026-11-24T12:00:00Z".len());
    assert!(time::OffsetDateTime::parse(&now, &time::format_description::well_known::Rfc3339).is_ok());
}
