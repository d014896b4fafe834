//! The "named" shape: users and teams keyed by a mutable name, bearer auth, PUT only, offset paging, and the member
//! list on the team object.
//!
//! This is the wire contract a mapping author writes against. Everything is under `/api/v1`; bodies and answers are
//! bare JSON (no envelope); every error is `{"error": {"code", "message"}}` with `code` one of `unauthorized` (401),
//! `not_found` (404), `invalid` (400), `conflict` (409), `unprocessable` (422), `method_not_allowed` (405, with
//! `Allow`), `payload_too_large` (413, bodies over 1 MiB).
//!
//! **Auth**: header `Authorization: Bearer <key>` (scheme case-insensitive); anything else is 401.
//!
//! **User**: `{"username": "ada@example.com", "email": "ada@example.com", "full_name": {"given": "Ada", "family":
//! null}, "display_name", "title", "phone", "external_ref", "disabled": false, "created_at", "updated_at"}`. Every
//! member is always rendered; unset optional strings are `null` (and `full_name` is always an object). `username` is
//! required, 1–1024 characters of letters, digits and `@ . _ - +`, unique case-insensitively (409); `email` is
//! required and unique case-insensitively (409). In bodies, `full_name` may be an object with optional, nullable
//! `given`/`family`, or `null`; `created_at`/`updated_at` are read-only (400); `disabled` is read-only (400, use the
//! endpoints below); unknown members are 400.
//! - `GET /users?offset=&limit=&username=&email=&external_ref=` → a bare JSON array, the number of all matches in
//!   the `X-Total-Count` header. `username` and `email` match case-insensitively, `external_ref` exactly.
//! - `POST /users` → 201 with the user and `Location: /api/v1/users/{username, percent-encoded}`.
//! - `POST /users/{username}` → the same create with the username from the path (percent-decoded); the body may
//!   leave `username` out, and one that gives another username is 400.
//! - `GET /users/{username}` (the path segment is percent-decoded and matched case-insensitively).
//! - `PUT /users/{username}` replaces the user: absent optional fields are cleared, `disabled` is kept. A different
//!   `username` in the body renames the user (409 if taken); team member lists follow the rename.
//! - `PATCH /users/{username}` → 405 (`Allow: GET, POST, PUT, DELETE`).
//! - `DELETE /users/{username}` → 204; the user leaves every team.
//! - `POST /users/{username}/deactivate` and `POST /users/{username}/reactivate` (no body needed) → 200 with the
//!   user, `disabled` true or false; idempotent.
//!
//! **Team**: `{"name": "Ops", "description": null, "members": ["ada@example.com", ...], "created_at",
//! "updated_at"}`; `members` are usernames, in the order the users were created. `name` is required, not blank,
//! unique case-insensitively (409).
//! - `GET /teams?offset=&limit=&name=` (`name` case-insensitive) → bare array + `X-Total-Count`.
//! - `POST /teams` → 201 with `Location: /api/v1/teams/{name, percent-encoded}`; `members` optional (default `[]`).
//! - `POST /teams/{name}` → the same create with the name from the path (the body may leave it out or be empty),
//!   answered 201 with no body, only `Location`; with `?answer=array`, 200 with `[team]` (a bulk create's answer).
//! - `GET /teams/{name}`, `DELETE /teams/{name}` (204; the users stay).
//! - `PUT /teams/{name}` replaces the whole team, `members` included (absent = no members; usernames match
//!   case-insensitively, duplicates collapse; an unknown username → 422 naming it, and nothing changes). A different
//!   `name` renames the team (409 if taken). `PATCH` → 405. `members` elements may also be `{"username": ...}`.
//! - `POST /teams/{name}/users` and `DELETE /teams/{name}/users` with `{"usernames": [...]}` add or remove them all
//!   (idempotent; an unknown username → 422 naming it, and nothing changes) → 200 with the team; with
//!   `?strict=true`, a user already a member (for POST) or not a member (for DELETE) → 409, and nothing changes.
//! - `PUT /teams/{name}/users/{username}` and `DELETE /teams/{name}/users/{username}` add or remove one → 204;
//!   strict: a user already a member (for PUT) or not a member (for DELETE) → 422, an unknown user → 404.
//!
//! **Paging**: `offset` from 0 (default 0), `limit` 1–50 (default 25, more is 400); an offset past the end gives
//! `[]`. Unknown or repeated query parameters are 400.

mod teams;
mod users;

#[cfg(test)]
mod tests;

use http::{HeaderMap, Method};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use super::query::Query;
use super::{Call, Reply, credentials, is_key, not_allowed};
use crate::sample::error::ApiError;
use crate::sample::state::State;
use crate::sample::store::{Store, Team, User};

/// `limit` when the client does not say.
pub const DEFAULT_LIMIT: u64 = 25;

/// The largest `limit` the product accepts.
pub const MAX_LIMIT: u64 = 50;

/// What a name keeps unescaped in a `Location` path segment: RFC 3986 unreserved characters and `@`.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// Checks `Authorization: Bearer <key>`.
pub fn authorize(headers: &HeaderMap, key: &[u8]) -> Result<(), ApiError> {
    match credentials(headers, "Bearer") {
        Some(sent) if is_key(sent, key) => Ok(()),
        _ => Err(ApiError::Unauthorized(
            "missing or invalid bearer token (Authorization: Bearer <key>)",
        )),
    }
}

/// Routes one authenticated request.
pub fn route(state: &State, call: &Call<'_>) -> Result<Reply, ApiError> {
    let (method, body) = (call.method, call.body);
    match (method, call.segments) {
        (&Method::GET, ["users"]) => users::list(state, call.query),
        (&Method::POST, ["users"]) => users::create(state, body),
        (&Method::POST, ["users", name]) => users::create_named(state, name, body),
        (&Method::GET, ["users", name]) => users::get(state, name),
        (&Method::PUT, ["users", name]) => users::replace(state, name, body),
        (&Method::DELETE, ["users", name]) => users::delete(state, name),
        (&Method::POST, ["users", name, "deactivate"]) => users::set_disabled(state, name, true),
        (&Method::POST, ["users", name, "reactivate"]) => users::set_disabled(state, name, false),
        (&Method::GET, ["teams"]) => teams::list(state, call.query),
        (&Method::POST, ["teams"]) => teams::create(state, body),
        (&Method::POST, ["teams", name]) => teams::create_named(state, name, call.query, body),
        (&Method::GET, ["teams", name]) => teams::get(state, name),
        (&Method::PUT, ["teams", name]) => teams::replace(state, name, body),
        (&Method::DELETE, ["teams", name]) => teams::delete(state, name),
        (&Method::POST, ["teams", name, "users"]) => teams::change_users(state, name, call.query, call.body, true),
        (&Method::DELETE, ["teams", name, "users"]) => teams::change_users(state, name, call.query, call.body, false),
        (&Method::PUT, ["teams", name, "users", user]) => teams::change_user(state, name, user, true),
        (&Method::DELETE, ["teams", name, "users", user]) => teams::change_user(state, name, user, false),
        (_, ["users" | "teams"]) => Err(not_allowed(method, "GET, POST")),
        (_, ["users", _]) => Err(not_allowed(method, "GET, POST, PUT, DELETE")),
        (_, ["teams", _]) => Err(not_allowed(method, "GET, POST, PUT, DELETE")),
        (_, ["users", _, "deactivate" | "reactivate"]) => Err(not_allowed(method, "POST")),
        (_, ["teams", _, "users"]) => Err(not_allowed(method, "POST, DELETE")),
        (_, ["teams", _, "users", _]) => Err(not_allowed(method, "PUT, DELETE")),
        _ => Err(ApiError::no_endpoint()),
    }
}

/// A user as this shape renders it.
pub fn user_json(_: &Store, user: &User) -> Value {
    let fields = &user.fields;
    json!({
        "username": fields.login,
        "email": fields.email,
        "full_name": {"given": fields.given_name, "family": fields.family_name},
        "display_name": fields.display_name,
        "title": fields.title,
        "phone": fields.phone,
        "external_ref": fields.external_ref,
        "disabled": fields.disabled,
        "created_at": user.meta.created_at,
        "updated_at": user.meta.updated_at,
    })
}

/// A team as this shape renders it.
pub fn team_json(store: &Store, team: &Team) -> Value {
    let members: Vec<&str> = team
        .members
        .iter()
        .filter_map(|id| store.user(*id)?.fields.login.as_deref())
        .collect();
    json!({
        "name": team.fields.name,
        "description": team.fields.description,
        "members": members,
        "created_at": team.meta.created_at,
        "updated_at": team.meta.updated_at,
    })
}

/// The path of an object named `name` under `collection`, percent-encoded.
fn location(collection: &str, name: &str) -> String {
    format!(
        "{}/{collection}/{}",
        super::BASE_PATH,
        utf8_percent_encode(name, SEGMENT)
    )
}

/// One offset/limit page out of `items`, as a bare array with the number of all items.
fn page<T>(query: &Query, items: impl Iterator<Item = T>, render: impl FnMut(T) -> Value) -> Result<Reply, ApiError> {
    let offset = query.number("offset", 0, 0..=u64::MAX)?;
    let limit = query.number("limit", DEFAULT_LIMIT, 1..=MAX_LIMIT)?;
    let mut total: u64 = 0;
    let (mut render, mut data) = (render, Vec::new());
    for item in items {
        if total >= offset && total - offset < limit {
            data.push(render(item));
        }
        total += 1;
    }
    Ok(Reply::Counted {
        body: Value::Array(data),
        total,
    })
}
