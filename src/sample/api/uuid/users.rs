//! The uuid shape's user endpoints and the strict parsing of its `{"user": {...}}` bodies.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::{page, unwrap, user_json, window};
use crate::sample::api::fields::{
    self, array, boolean, email, login_name, nullable_string, read_only, required, string, unknown,
};
use crate::sample::api::query::Query;
use crate::sample::api::{BASE_PATH, Reply};
use crate::sample::error::ApiError;
use crate::sample::state::State;
use crate::sample::store::{Store, TeamId, User, UserFields, UserId};

/// The filters of `GET /users`, by their exact (decoded) query parameter names.
const FILTERS: [&str; 4] = [
    "filter[login][_eq]",
    "filter[email][_eq]",
    "filter[external_ref][_eq]",
    "filter[team_ids][_contains]",
];

/// `GET /users?cursor=&limit=&filter[...]=`.
pub fn list(state: &State, query: Option<&str>) -> Result<Reply, ApiError> {
    let query = Query::parse(query, &[&["cursor", "limit"][..], &FILTERS[..]].concat())?;
    let (after, limit) = window(&query, "users")?;
    let lower = |key| query.get(key).map(str::to_lowercase);
    let (login, email) = (lower(FILTERS[0]), lower(FILTERS[1]));
    let external_ref = query.get(FILTERS[2]);
    let store = state.store();
    // An unknown team id matches nobody rather than being an error, as a filter should.
    let team = query
        .get(FILTERS[3])
        .map(|uuid| store.team_by_uuid(uuid).map(|team| team.id));
    let matching = store.users_after(UserId(after)).filter(|user| {
        let fields = &user.fields;
        login
            .as_ref()
            .is_none_or(|wanted| fields.login.as_ref().map(|l| l.to_lowercase()).as_ref() == Some(wanted))
            && email
                .as_ref()
                .is_none_or(|wanted| fields.email.as_ref().map(|e| e.to_lowercase()).as_ref() == Some(wanted))
            && external_ref.is_none_or(|wanted| fields.external_ref.as_deref() == Some(wanted))
            && team.is_none_or(|team| team.is_some_and(|team| store.teams_of(user.id).contains(&team)))
    });
    Ok(page(
        matching,
        limit,
        "users",
        |user: &User| user.id.0,
        |user| user_json(&store, user),
    ))
}

/// `GET /users/{id}`.
pub fn get(state: &State, uuid: String) -> Result<Reply, ApiError> {
    let store = state.store();
    let id = find(&store, &uuid)?;
    render(&store, id)
}

/// `POST /users`.
pub fn create(state: &State, body: &[u8]) -> Result<Reply, ApiError> {
    let body = fields::json(body)?;
    let mut store = state.store();
    let mut fields = UserFields::default();
    let teams = apply(&store, unwrap("user", &body)?, &mut fields, None)?;
    if fields.login.is_none() {
        return Err(required("login"));
    }
    if fields.email.is_none() {
        return Err(required("email"));
    }
    let id = store.create_user(fields, &teams.unwrap_or_default())?.id;
    let user = store.user(id).ok_or_else(|| not_found(&id.to_string()))?;
    Ok(Reply::Created {
        location: format!("{BASE_PATH}/users/{}", user.uuid),
        body: json!({"data": user_json(&store, user)}),
    })
}

/// `PATCH /users/{id}`: changes the members sent.
pub fn patch(state: &State, uuid: String, body: &[u8]) -> Result<Reply, ApiError> {
    let body = fields::json(body)?;
    let mut store = state.store();
    let id = find(&store, &uuid)?;
    let mut fields = store.user(id).map(|user| user.fields.clone()).unwrap_or_default();
    let teams = apply(&store, unwrap("user", &body)?, &mut fields, Some(&uuid))?;
    store.update_user(id, fields, teams.as_ref())?;
    render(&store, id)
}

/// `DELETE /users/{id}`.
pub fn delete(state: &State, uuid: String) -> Result<Reply, ApiError> {
    let mut store = state.store();
    let id = find(&store, &uuid)?;
    store.delete_user(id)?;
    Ok(Reply::NoContent)
}

fn find(store: &Store, uuid: &str) -> Result<UserId, ApiError> {
    store
        .user_by_uuid(uuid)
        .map(|user| user.id)
        .ok_or_else(|| not_found(uuid))
}

fn not_found(uuid: &str) -> ApiError {
    ApiError::NotFound(format!("user {uuid} not found"))
}

fn render(store: &Store, id: UserId) -> Result<Reply, ApiError> {
    let user = store.user(id).ok_or_else(|| not_found(&id.to_string()))?;
    Ok(Reply::Ok(json!({"data": user_json(store, user)})))
}

/// Applies the members of `user` to `fields`; answers the new set of teams if `team_ids` was sent. `path_id` is the
/// id a PATCH may repeat.
pub fn apply(
    store: &Store,
    user: &Map<String, Value>,
    fields: &mut UserFields,
    path_id: Option<&str>,
) -> Result<Option<BTreeSet<TeamId>>, ApiError> {
    let mut teams = None;
    for (key, value) in user {
        match key.as_str() {
            "login" => fields.login = Some(login_name(key, value)?),
            "email" => fields.email = Some(email(value)?),
            "given_name" => fields.given_name = nullable_string(key, value)?,
            "family_name" => fields.family_name = nullable_string(key, value)?,
            "display_name" => fields.display_name = nullable_string(key, value)?,
            "title" => fields.title = nullable_string(key, value)?,
            "phone" => fields.phone = nullable_string(key, value)?,
            "external_ref" => fields.external_ref = nullable_string(key, value)?,
            "disabled" => fields.disabled = boolean(key, value)?,
            "team_ids" => teams = Some(resolve(store, array(key, value)?)?),
            "id" if path_id.is_some_and(|id| value.as_str().is_some_and(|sent| sent.eq_ignore_ascii_case(id))) => {}
            "id" | "created_at" | "updated_at" | "version" => return Err(read_only(key)),
            other => return Err(unknown(other)),
        }
    }
    Ok(teams)
}

/// Team UUIDs to team ids; duplicates collapse, an unknown one is 422.
fn resolve(store: &Store, uuids: &[Value]) -> Result<BTreeSet<TeamId>, ApiError> {
    uuids
        .iter()
        .map(|value| {
            let uuid = string("team_ids[]", value)?;
            store
                .team_by_uuid(uuid)
                .map(|team| team.id)
                .ok_or_else(|| ApiError::Unprocessable(format!("team {uuid:?} does not exist")))
        })
        .collect()
}
