//! The named shape's team endpoints; the member list is part of the team and replaced with it.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{location, page, team_json};
use crate::sample::api::Reply;
use crate::sample::api::fields::{self, array, nullable_string, read_only, required, string, team_name, unknown};
use crate::sample::api::query::Query;
use crate::sample::error::ApiError;
use crate::sample::state::State;
use crate::sample::store::{Store, TeamFields, TeamId, UserId};

/// `GET /teams?offset=&limit=&name=`.
pub fn list(state: &State, query: Option<&str>) -> Result<Reply, ApiError> {
    let query = Query::parse(query, &["offset", "limit", "name"])?;
    let name = query.get("name").map(str::to_lowercase);
    let store = state.store();
    let matching = store.teams().filter(|team| {
        name.as_ref()
            .is_none_or(|name| team.fields.name.to_lowercase() == *name)
    });
    page(&query, matching, |team| team_json(&store, team))
}

/// `GET /teams/{name}`.
pub fn get(state: &State, name: &str) -> Result<Reply, ApiError> {
    let store = state.store();
    let id = find(&store, name)?;
    render(&store, id)
}

/// `POST /teams`.
pub fn create(state: &State, body: &[u8]) -> Result<Reply, ApiError> {
    let body = fields::json(body)?;
    let mut store = state.store();
    let (fields, members) = parse(&store, &body)?;
    let team = store.create_team(fields, &members)?.clone();
    Ok(Reply::Created {
        location: location("teams", &team.fields.name),
        body: team_json(&store, &team),
    })
}

/// `POST /teams/{name}`: a create with the name in the path (the body may leave it out, or be empty), answered
/// 201 without a body, only `Location`; `?answer=array` answers `[team]` instead, as bulk creates do.
pub fn create_named(state: &State, name: &str, query: Option<&str>, body: &[u8]) -> Result<Reply, ApiError> {
    let query = Query::parse(query, &["answer"])?;
    let as_array = match query.get("answer") {
        None => false,
        Some("array") => true,
        Some(other) => return Err(ApiError::Invalid(format!("`answer` must be \"array\", not {other:?}"))),
    };
    let mut body = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(serde_json::Map::new())
    } else {
        fields::json(body)?
    };
    let given = body.get("name").cloned();
    match (given, body.as_object_mut()) {
        (None, Some(object)) => {
            object.insert("name".to_owned(), Value::String(name.to_owned()));
        }
        (Some(Value::String(given)), _) if given == name => {}
        _ => {
            return Err(ApiError::Invalid(format!(
                "the body must be an object whose `name`, if any, is the name in the path, {name:?}"
            )));
        }
    }
    let mut store = state.store();
    let (fields, members) = parse(&store, &body)?;
    let team = store.create_team(fields, &members)?.clone();
    if as_array {
        return Ok(Reply::Ok(Value::Array(vec![team_json(&store, &team)])));
    }
    Ok(Reply::CreatedEmpty {
        location: location("teams", &team.fields.name),
    })
}

/// `PUT /teams/{name}`: the whole team, members included; a new `name` renames.
pub fn replace(state: &State, name: &str, body: &[u8]) -> Result<Reply, ApiError> {
    let body = fields::json(body)?;
    let mut store = state.store();
    let id = find(&store, name)?;
    let (fields, members) = parse(&store, &body)?;
    store.update_team(id, fields, Some(&members))?;
    render(&store, id)
}

/// `DELETE /teams/{name}`.
pub fn delete(state: &State, name: &str) -> Result<Reply, ApiError> {
    let mut store = state.store();
    let id = find(&store, name)?;
    store.delete_team(id)?;
    Ok(Reply::NoContent)
}

/// The team with this name (case-insensitive); 404 otherwise.
fn find(store: &Store, name: &str) -> Result<TeamId, ApiError> {
    store
        .team_by_name(name)
        .map(|team| team.id)
        .ok_or_else(|| ApiError::NotFound(format!("team {name:?} not found")))
}

fn render(store: &Store, id: TeamId) -> Result<Reply, ApiError> {
    let team = store
        .team(id)
        .ok_or_else(|| ApiError::NotFound(format!("team {id} not found")))?;
    Ok(Reply::Ok(team_json(store, team)))
}

/// A whole team from a POST or PUT body, its member usernames resolved (422 for an unknown one).
pub fn parse(store: &Store, body: &Value) -> Result<(TeamFields, BTreeSet<UserId>), ApiError> {
    let (mut name, mut description, mut members) = (None, None, BTreeSet::new());
    for (key, value) in fields::object("request body", body)? {
        match key.as_str() {
            "name" => name = Some(team_name(value)?),
            "description" => description = nullable_string(key, value)?,
            "members" => members = resolve(store, array(key, value)?)?,
            "created_at" | "updated_at" => return Err(read_only(key)),
            other => return Err(unknown(other)),
        }
    }
    let name = name.ok_or_else(|| required("name"))?;
    Ok((
        TeamFields {
            name,
            description,
            ..TeamFields::default()
        },
        members,
    ))
}

/// `POST /teams/{name}/users` (`adding`) and `DELETE /teams/{name}/users` with `{"usernames": [...]}`: all or
/// nothing, idempotent; an unknown username → 422 naming it. With `?strict=true`, a user already a member (or not
/// one) → 409, and nothing changes.
pub fn change_users(
    state: &State,
    name: &str,
    query: Option<&str>,
    body: &[u8],
    adding: bool,
) -> Result<Reply, ApiError> {
    let strict = match Query::parse(query, &["strict"])?.get("strict") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::Invalid(format!(
                "`strict` must be true or false, not {other:?}"
            )));
        }
    };
    let body = fields::json(body)?;
    let mut store = state.store();
    let id = find(&store, name)?;
    let mut users = BTreeSet::new();
    for (key, value) in fields::object("request body", &body)? {
        match key.as_str() {
            "usernames" => users = resolve(&store, array(key, value)?)?,
            other => return Err(unknown(other)),
        }
    }
    let members = store.team(id).map(|team| team.members.clone()).unwrap_or_default();
    if strict && let Some(user) = users.iter().find(|user| members.contains(user) == adding) {
        let state = if adding { "already" } else { "not" };
        return Err(ApiError::Conflict(format!(
            "user {user} is {state} a member of {name:?}"
        )));
    }
    let none = BTreeSet::new();
    let (add, remove) = if adding { (&users, &none) } else { (&none, &users) };
    store.change_members(id, add, remove)?;
    render(&store, id)
}

/// `PUT /teams/{name}/users/{username}` (`adding`) and `DELETE …`: strict, a user already a member (or not one)
/// → 422.
pub fn change_user(state: &State, name: &str, username: &str, adding: bool) -> Result<Reply, ApiError> {
    let mut store = state.store();
    let id = find(&store, name)?;
    let user = store
        .user_by_login(username)
        .map(|user| user.id)
        .ok_or_else(|| ApiError::NotFound(format!("user {username:?} not found")))?;
    let member = store.team(id).is_some_and(|team| team.members.contains(&user));
    if member == adding {
        let state = if adding { "already" } else { "not" };
        return Err(ApiError::Unprocessable(format!(
            "{username:?} is {state} a member of {name:?}"
        )));
    }
    let one = BTreeSet::from([user]);
    let none = BTreeSet::new();
    let (add, remove) = if adding { (&one, &none) } else { (&none, &one) };
    store.change_members(id, add, remove)?;
    Ok(Reply::NoContent)
}

/// Usernames (or `{"username": ...}` objects) to user ids; duplicates (in any case) collapse.
fn resolve(store: &Store, usernames: &[Value]) -> Result<BTreeSet<UserId>, ApiError> {
    usernames
        .iter()
        .map(|value| {
            let value = value.get("username").unwrap_or(value);
            let name = string("members[]", value)?;
            store
                .user_by_login(name)
                .map(|user| user.id)
                .ok_or_else(|| ApiError::Unprocessable(format!("member {name:?} is not a user")))
        })
        .collect()
}
