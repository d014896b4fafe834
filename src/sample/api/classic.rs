//! The "classic" shape: integer ids, `X-Api-Key`, PATCH and PUT, page-number paging, member endpoints.
//!
//! This is the wire contract a mapping author writes against. Everything is under `/api/v1`; bodies and answers are
//! JSON; every error is `{"error": {"code", "message"}}` with `code` one of `unauthorized` (401), `not_found` (404),
//! `invalid` (400), `conflict` (409), `unprocessable` (422), `method_not_allowed` (405, with `Allow`),
//! `payload_too_large` (413, bodies over 1 MiB).
//!
//! **Auth**: header `X-Api-Key: <key>`; anything else is 401.
//!
//! **User**: `{"id": 1, "username": "ada", "email": "ada@example.com", "first_name", "last_name", "full_name", "display_name",
//! "title", "phone", "external_ref", "department", "employee_number", "manager_id", "locale", "preferred_language",
//! "mobile", "status": "active"|"suspended", "created_at", "updated_at", "version": 1}`. The optional strings are
//! always present, `null` when unset. Three more members appear only when set, shapes real products have:
//! `custom_fields: [{"id": 5, "value": "x"}]` (read-only; written as `custom_field_values: {"5": "x"}`, a `null`
//! value removing one, other ids kept by a PATCH), `profile: {…}` (an object of strings that every write naming it
//! replaces whole: a PATCH of `{"profile": {"a": "x"}}` drops the profile's other members) and `team_id` (one team
//! id, or `null`; a plain field, apart from the team memberships, listed with `?team_id=`). A create needs `username` (letters, digits and `@ . _ - +`) or `email` (or
//! both); each is unique case-insensitively (409). `password` is write-only: stored, never rendered.
//! `id`, `created_at`, `updated_at` (RFC 3339 UTC, whole seconds) and `version` (1, +1 per change) are read-only:
//! sending them is 400, except `id` equal to the path id in a PUT. Unknown members are 400.
//! - `GET /users?username=&email=&external_ref=&team_id=&page=&per_page=`: `username` and `email` match
//!   case-insensitively, `external_ref` and `team_id` exactly; answers `{"data": [users], "meta": {"page", "per_page", "total"}}`.
//! - `POST /users` → 201 with the user and `Location: /api/v1/users/{id}`.
//! - `GET /users/{id}`; `PATCH /users/{id}` changes the fields sent (`null` clears an optional one);
//!   `PUT /users/{id}` replaces: absent optional fields become `null`, an absent `status` becomes `active`.
//! - `DELETE /users/{id}` → 204; the user leaves every team.
//!
//! **Team**: `{"id": 1, "name": "Ops", "description": null, "external_ref": null, "created_at", "updated_at",
//! "version"}`; `name` is required, not blank, unique case-insensitively (409).
//! - `GET /teams?name=&external_ref=&page=&per_page=` (`name` case-insensitive, `external_ref` exact), `POST /teams` (201, `Location`),
//!   `GET`/`PATCH`/`PUT`/`DELETE /teams/{id}` as for users (deleting a team leaves its users).
//! - `GET /teams/{id}/members?page=&per_page=` → `{"data": [{"user_id", "email"}], "meta"}`, by user id.
//! - `PUT /teams/{id}/members/{user_id}` → 204, idempotent; unknown team or user → 404.
//! - `DELETE /teams/{id}/members/{user_id}` → 204; 404 if the user is not a member.
//! - `POST /teams/{id}/members` with `{"add": [user ids], "remove": [user ids]}` (each key optional, ids are
//!   integers, an id may not be in both) → 200 `{"added": n, "removed": n}` counting real changes: adding a member
//!   or removing a non-member is no error. Any id that is not a user → 422 naming it, and nothing changes.
//!
//! A membership change bumps the team's `version`, not the user's.
//!
//! **Paging**: `page` from 1 (default 1), `per_page` 1–200 (default 50); `total` counts every match; a page past the
//! end is empty. Unknown or repeated query parameters are 400. Ids in paths are positive decimal integers; anything
//! else is 404.

mod paging;
mod teams;
mod users;

#[cfg(test)]
mod tests;

use http::{HeaderMap, HeaderValue, Method};
use serde_json::{Map, Value, json};

use super::{Call, Reply, is_key, not_allowed};
use crate::sample::error::ApiError;
use crate::sample::state::State;
use crate::sample::store::{Store, Team, TeamId, User, UserId};

/// Whether a write replaces the object or changes only the fields it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    /// `PATCH`: absent fields stay as they are.
    Patch,
    /// `PUT`: absent nullable fields become null, an absent status becomes `active`.
    Replace,
}

/// Checks `X-Api-Key`.
pub fn authorize(headers: &HeaderMap, key: &[u8]) -> Result<(), ApiError> {
    let sent = headers.get("x-api-key").map(HeaderValue::as_bytes).unwrap_or_default();
    if is_key(sent, key) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized("missing or invalid X-Api-Key header"))
    }
}

/// Routes one authenticated request.
pub fn route(state: &State, call: &Call<'_>) -> Result<Reply, ApiError> {
    let (method, body) = (call.method, call.body);
    match (method, call.segments) {
        (&Method::GET, ["users"]) => users::list(state, call.query),
        (&Method::POST, ["users"]) => users::create(state, body),
        (&Method::GET, ["users", id]) => users::get(state, user_id(id)?),
        (&Method::PATCH, ["users", id]) => users::update(state, user_id(id)?, body, Write::Patch),
        (&Method::PUT, ["users", id]) => users::update(state, user_id(id)?, body, Write::Replace),
        (&Method::DELETE, ["users", id]) => users::delete(state, user_id(id)?),
        (&Method::GET, ["teams"]) => teams::list(state, call.query),
        (&Method::POST, ["teams"]) => teams::create(state, body),
        (&Method::GET, ["teams", id]) => teams::get(state, team_id(id)?),
        (&Method::PATCH, ["teams", id]) => teams::update(state, team_id(id)?, body, Write::Patch),
        (&Method::PUT, ["teams", id]) => teams::update(state, team_id(id)?, body, Write::Replace),
        (&Method::DELETE, ["teams", id]) => teams::delete(state, team_id(id)?),
        (&Method::GET, ["teams", id, "members"]) => teams::list_members(state, team_id(id)?, call.query),
        (&Method::POST, ["teams", id, "members"]) => teams::change_members(state, team_id(id)?, body),
        (&Method::PUT, ["teams", id, "members", user]) => teams::add_member(state, team_id(id)?, user_id(user)?),
        (&Method::DELETE, ["teams", id, "members", user]) => teams::remove_member(state, team_id(id)?, user_id(user)?),
        (_, ["users" | "teams"]) => Err(not_allowed(method, "GET, POST")),
        (_, ["users" | "teams", _]) => Err(not_allowed(method, "GET, PUT, PATCH, DELETE")),
        (_, ["teams", _, "members"]) => Err(not_allowed(method, "GET, POST")),
        (_, ["teams", _, "members", _]) => Err(not_allowed(method, "PUT, DELETE")),
        _ => Err(ApiError::no_endpoint()),
    }
}

/// The optional string fields of a user, in the order they are rendered.
pub const USER_NULLABLE: [&str; 13] = [
    "first_name",
    "last_name",
    "full_name",
    "display_name",
    "title",
    "phone",
    "external_ref",
    "department",
    "employee_number",
    "manager_id",
    "locale",
    "preferred_language",
    "mobile",
];

/// A user as this shape renders it (never its password).
pub fn user_json(_: &Store, user: &User) -> Value {
    let mut object = Map::new();
    object.insert("id".to_owned(), json!(user.id.0));
    object.insert("username".to_owned(), json!(user.fields.login));
    object.insert("email".to_owned(), json!(user.fields.email));
    for (name, value) in USER_NULLABLE.iter().zip(users::nullable(&user.fields)) {
        object.insert((*name).to_owned(), json!(value));
    }
    if !user.fields.custom.is_empty() {
        let fields: Vec<Value> = user
            .fields
            .custom
            .iter()
            .map(|(id, value)| json!({"id": id, "value": value}))
            .collect();
        object.insert("custom_fields".to_owned(), Value::Array(fields));
    }
    if let Some(profile) = &user.fields.profile {
        object.insert("profile".to_owned(), Value::Object(profile.clone()));
    }
    if let Some(team) = user.fields.team {
        object.insert("team_id".to_owned(), json!(team));
    }
    let status = if user.fields.disabled { "suspended" } else { "active" };
    object.insert("status".to_owned(), json!(status));
    object.insert("created_at".to_owned(), json!(user.meta.created_at));
    object.insert("updated_at".to_owned(), json!(user.meta.updated_at));
    object.insert("version".to_owned(), json!(user.meta.version));
    Value::Object(object)
}

/// A team as this shape renders it.
pub fn team_json(_: &Store, team: &Team) -> Value {
    json!({
        "id": team.id.0,
        "name": team.fields.name,
        "description": team.fields.description,
        "external_ref": team.fields.external_ref,
        "created_at": team.meta.created_at,
        "updated_at": team.meta.updated_at,
        "version": team.meta.version,
    })
}

/// The team whose id is `key` in decimal.
pub fn team_by_key<'s>(store: &'s Store, key: &str) -> Option<&'s Team> {
    positive_int(key).and_then(|id| store.team(TeamId(id)))
}

/// A path segment as a user id; 404 unless it is a positive decimal integer.
fn user_id(segment: &str) -> Result<UserId, ApiError> {
    positive_int(segment)
        .map(UserId)
        .ok_or_else(|| ApiError::NotFound(format!("user {segment:?} not found")))
}

/// A path segment as a team id; 404 unless it is a positive decimal integer.
fn team_id(segment: &str) -> Result<TeamId, ApiError> {
    positive_int(segment)
        .map(TeamId)
        .ok_or_else(|| ApiError::NotFound(format!("team {segment:?} not found")))
}

/// A decimal integer of at least 1, ASCII digits only (no sign, no spaces).
fn positive_int(text: &str) -> Option<u64> {
    super::query::decimal(text).filter(|n| *n >= 1)
}
