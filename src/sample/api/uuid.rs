//! The "uuid" shape: UUID ids, HTTP Basic, enveloped JSON, PATCH only, cursor paging without totals, and the
//! memberships as `team_ids` on the user.
//!
//! This is the wire contract a mapping author writes against. Everything is under `/api/v1`; every error is
//! `{"error": {"code", "message"}}` with `code` one of `unauthorized` (401), `not_found` (404), `invalid` (400),
//! `conflict` (409), `unprocessable` (422), `method_not_allowed` (405, with `Allow`), `payload_too_large` (413,
//! bodies over 1 MiB).
//!
//! **Auth**: HTTP Basic with user `api` and the API key as password, `Authorization: Basic base64("api:<key>")`
//! (RFC 7617); anything else is 401.
//!
//! **Envelopes**: request bodies are `{"user": {...}}` / `{"team": {...}}` (anything else, or another member
//! beside it, is 400); a single object is answered as `{"data": {...}}`, a list as `{"data": [...], "next_cursor":
//! "<opaque>" | null}`. Ids are random UUID v4 strings, 8-4-4-4-12 lowercase hex; path ids match case-insensitively,
//! and a path id that is no UUID is 404.
//!
//! **User**: `{"id", "login", "email", "given_name", "family_name", "display_name", "title", "phone",
//! "external_ref", "disabled": false, "team_ids": [team uuids, in team creation order], "created_at", "updated_at",
//! "version": 1}`. Every member is always rendered, unset optional strings as `null`. `login` (letters, digits and
//! `@ . _ - +`) and `email` are required at creation, never null, and unique case-insensitively (409). `id` (unless
//! equal to the path id), `created_at`, `updated_at` and `version` are read-only (400); unknown members are 400.
//! - `GET /users?cursor=&limit=&filter[login][_eq]=&filter[email][_eq]=&filter[external_ref][_eq]=&filter[team_ids]
//!   [_contains]=<team uuid>` (the brackets percent-encoded or not). `login` and `email` match case-insensitively,
//!   `external_ref` exactly, `team_ids` by membership (an unknown team matches nobody).
//! - `POST /users` → 201 with `{"data": user}` and `Location: /api/v1/users/{id}`; `disabled` defaults to false,
//!   `team_ids` to `[]`.
//! - `GET /users/{id}`; `PATCH /users/{id}` changes the members sent (any field, `disabled` and `team_ids` included;
//!   `null` clears an optional string; `team_ids` replaces the whole set, duplicates collapse, an unknown team id →
//!   422 naming it and nothing changes); `PUT` → 405 (`Allow: GET, PATCH, DELETE`).
//! - `DELETE /users/{id}` → 204.
//!
//! Changing a user's `team_ids` (or deleting a team they were in) bumps the user's `version`.
//!
//! **Team**: `{"id", "name", "description", "created_at", "updated_at", "version"}`; `name` is required, not blank,
//! unique case-insensitively (409). Membership exists only as users' `team_ids`.
//! - `GET /teams?cursor=&limit=&filter[name][_eq]=` (`name` case-insensitive), `POST /teams` (201, `Location`),
//!   `GET`/`PATCH`/`DELETE /teams/{id}`; deleting a team removes its id from every user's `team_ids`.
//!
//! **Paging**: `limit` 1–100 (default 20, more is 400). `next_cursor` is null on the last page; pass it back as
//! `cursor` (percent-encoding is not needed: it is URL-safe base64) for the next page. An absent or empty `cursor`
//! starts at the beginning; a cursor the product did not make (or one from the other collection) is 400. There is no
//! total anywhere. Unknown or repeated query parameters are 400.

mod cursor;
mod teams;
mod users;

#[cfg(test)]
mod tests;

use http::{HeaderMap, Method};
use serde_json::{Map, Value, json};
use subtle::ConstantTimeEq;

use self::cursor::Cursor;
use super::base64::{Alphabet, decode};
use super::fields;
use super::query::Query;
use super::{Call, Reply, credentials, not_allowed};
use crate::sample::error::ApiError;
use crate::sample::state::State;
use crate::sample::store::{Store, Team, User, is_uuid};

/// `limit` when the client does not say.
pub const DEFAULT_LIMIT: u64 = 20;

/// The largest `limit` the product accepts.
pub const MAX_LIMIT: u64 = 100;

/// The Basic user name; the password is the API key.
pub const BASIC_USER: &str = "api";

/// Checks `Authorization: Basic base64("api:<key>")`.
pub fn authorize(headers: &HeaderMap, key: &[u8]) -> Result<(), ApiError> {
    let expected = [BASIC_USER.as_bytes(), b":", key].concat();
    let sent =
        credentials(headers, "Basic").and_then(|sent| decode(std::str::from_utf8(sent).ok()?, Alphabet::Standard));
    match sent {
        Some(sent) if bool::from(sent.ct_eq(&expected)) => Ok(()),
        _ => Err(ApiError::Unauthorized(
            "missing or invalid HTTP Basic credentials (user \"api\", the API key as password)",
        )),
    }
}

/// Routes one authenticated request.
pub fn route(state: &State, call: &Call<'_>) -> Result<Reply, ApiError> {
    let (method, body) = (call.method, call.body);
    match (method, call.segments) {
        (&Method::GET, ["users"]) => users::list(state, call.query),
        (&Method::POST, ["users"]) => users::create(state, body),
        (&Method::GET, ["users", id]) => users::get(state, uuid(id)?),
        (&Method::PATCH, ["users", id]) => users::patch(state, uuid(id)?, body),
        (&Method::DELETE, ["users", id]) => users::delete(state, uuid(id)?),
        (&Method::GET, ["teams"]) => teams::list(state, call.query),
        (&Method::POST, ["teams"]) => teams::create(state, body),
        (&Method::GET, ["teams", id]) => teams::get(state, uuid(id)?),
        (&Method::PATCH, ["teams", id]) => teams::patch(state, uuid(id)?, body),
        (&Method::DELETE, ["teams", id]) => teams::delete(state, uuid(id)?),
        (_, ["users" | "teams"]) => Err(not_allowed(method, "GET, POST")),
        (_, ["users" | "teams", _]) => Err(not_allowed(method, "GET, PATCH, DELETE")),
        _ => Err(ApiError::no_endpoint()),
    }
}

/// A user as this shape renders it (without the envelope).
pub fn user_json(store: &Store, user: &User) -> Value {
    let fields = &user.fields;
    let team_ids: Vec<&str> = store
        .teams_of(user.id)
        .into_iter()
        .filter_map(|team| store.team(team).map(|team| team.uuid.as_str()))
        .collect();
    json!({
        "id": user.uuid,
        "login": fields.login,
        "email": fields.email,
        "given_name": fields.given_name,
        "family_name": fields.family_name,
        "display_name": fields.display_name,
        "title": fields.title,
        "phone": fields.phone,
        "external_ref": fields.external_ref,
        "disabled": fields.disabled,
        "team_ids": team_ids,
        "created_at": user.meta.created_at,
        "updated_at": user.meta.updated_at,
        "version": user.meta.version,
    })
}

/// A team as this shape renders it (without the envelope).
pub fn team_json(_: &Store, team: &Team) -> Value {
    json!({
        "id": team.uuid,
        "name": team.fields.name,
        "description": team.fields.description,
        "created_at": team.meta.created_at,
        "updated_at": team.meta.updated_at,
        "version": team.meta.version,
    })
}

/// A path segment that looks like a UUID, lower-cased; 404 otherwise.
fn uuid(segment: &str) -> Result<String, ApiError> {
    if is_uuid(segment) {
        Ok(segment.to_ascii_lowercase())
    } else {
        Err(ApiError::NotFound(format!("no object has the id {segment:?}")))
    }
}

/// The object inside the `{"<name>": {...}}` envelope of a request body.
fn unwrap<'v>(name: &str, body: &'v Value) -> Result<&'v Map<String, Value>, ApiError> {
    let wrong = || ApiError::Invalid(format!("request body must be {{\"{name}\": {{...}}}}"));
    let envelope = body.as_object().ok_or_else(wrong)?;
    match envelope.get(name) {
        Some(inner) if envelope.len() == 1 => fields::object(&format!("`{name}`"), inner),
        _ => Err(wrong()),
    }
}

/// Where a list starts and how long it may be: the sequence number after which to start (0 = the beginning) and
/// the `limit`.
fn window(query: &Query, collection: &'static str) -> Result<(u64, u64), ApiError> {
    let limit = query.number("limit", DEFAULT_LIMIT, 1..=MAX_LIMIT)?;
    let after = match query.get("cursor").filter(|text| !text.is_empty()) {
        Some(text) => Cursor::parse(collection, text)?.after,
        None => 0,
    };
    Ok((after, limit))
}

/// One page of `items` (the matches from the window's start, in order), with the cursor of the next page if there
/// is one; `seq` gives an item's sequence number.
fn page<T: Copy>(
    items: impl Iterator<Item = T>,
    limit: u64,
    collection: &'static str,
    seq: impl Fn(T) -> u64,
    render: impl Fn(T) -> Value,
) -> Reply {
    let mut items = items.peekable();
    let mut data = Vec::new();
    let mut last = None;
    while (data.len() as u64) < limit {
        let Some(item) = items.next() else { break };
        last = Some(seq(item));
        data.push(render(item));
    }
    let next = match (items.peek(), last) {
        (Some(_), Some(after)) => Some(Cursor { collection, after }.encode()),
        _ => None,
    };
    Reply::Ok(json!({"data": data, "next_cursor": next}))
}
