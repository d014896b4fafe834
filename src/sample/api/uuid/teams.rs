//! The uuid shape's team endpoints and the strict parsing of its `{"team": {...}}` bodies.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::{page, team_json, unwrap, window};
use crate::sample::api::fields::{self, nullable_string, read_only, required, team_name, unknown};
use crate::sample::api::query::Query;
use crate::sample::api::{BASE_PATH, Reply};
use crate::sample::error::ApiError;
use crate::sample::state::State;
use crate::sample::store::{Store, Team, TeamFields, TeamId};

/// The filter of `GET /teams`, by its exact (decoded) query parameter name.
const NAME_FILTER: &str = "filter[name][_eq]";

/// `GET /teams?cursor=&limit=&filter[name][_eq]=`.
pub fn list(state: &State, query: Option<&str>) -> Result<Reply, ApiError> {
    let query = Query::parse(query, &["cursor", "limit", NAME_FILTER])?;
    let (after, limit) = window(&query, "teams")?;
    let name = query.get(NAME_FILTER).map(str::to_lowercase);
    let store = state.store();
    let matching = store.teams_after(TeamId(after)).filter(|team| {
        name.as_ref()
            .is_none_or(|name| team.fields.name.to_lowercase() == *name)
    });
    Ok(page(
        matching,
        limit,
        "teams",
        |team: &Team| team.id.0,
        |team| team_json(&store, team),
    ))
}

/// `GET /teams/{id}`.
pub fn get(state: &State, uuid: String) -> Result<Reply, ApiError> {
    let store = state.store();
    let id = find(&store, &uuid)?;
    render(&store, id)
}

/// `POST /teams`.
pub fn create(state: &State, body: &[u8]) -> Result<Reply, ApiError> {
    let body = fields::json(body)?;
    let mut fields = TeamFields::default();
    apply(unwrap("team", &body)?, &mut fields, None)?;
    if fields.name.is_empty() {
        return Err(required("name"));
    }
    let mut store = state.store();
    let team = store.create_team(fields, &BTreeSet::new())?.clone();
    let location = format!("{BASE_PATH}/teams/{}", team.uuid);
    let body = json!({"data": team_json(&store, &team)});
    Ok(Reply::Created { location, body })
}

/// `PATCH /teams/{id}`: changes the members sent.
pub fn patch(state: &State, uuid: String, body: &[u8]) -> Result<Reply, ApiError> {
    let body = fields::json(body)?;
    let mut store = state.store();
    let id = find(&store, &uuid)?;
    let mut fields = store.team(id).map(|team| team.fields.clone()).unwrap_or_default();
    apply(unwrap("team", &body)?, &mut fields, Some(&uuid))?;
    store.update_team(id, fields, None)?;
    render(&store, id)
}

/// `DELETE /teams/{id}`: its id leaves every user's `team_ids`.
pub fn delete(state: &State, uuid: String) -> Result<Reply, ApiError> {
    let mut store = state.store();
    let id = find(&store, &uuid)?;
    store.delete_team(id)?;
    Ok(Reply::NoContent)
}

fn find(store: &Store, uuid: &str) -> Result<TeamId, ApiError> {
    store
        .team_by_uuid(uuid)
        .map(|team| team.id)
        .ok_or_else(|| ApiError::NotFound(format!("team {uuid} not found")))
}

fn render(store: &Store, id: TeamId) -> Result<Reply, ApiError> {
    let team = store
        .team(id)
        .ok_or_else(|| ApiError::NotFound(format!("team {id} not found")))?;
    Ok(Reply::Ok(json!({"data": team_json(store, team)})))
}

/// Applies the members of `team` to `fields`; `path_id` is the id a PATCH may repeat.
fn apply(team: &Map<String, Value>, fields: &mut TeamFields, path_id: Option<&str>) -> Result<(), ApiError> {
    for (key, value) in team {
        match key.as_str() {
            "name" => fields.name = team_name(value)?,
            "description" => fields.description = nullable_string(key, value)?,
            "id" if path_id.is_some_and(|id| value.as_str().is_some_and(|sent| sent.eq_ignore_ascii_case(id))) => {}
            "id" | "created_at" | "updated_at" | "version" => return Err(read_only(key)),
            other => return Err(unknown(other)),
        }
    }
    Ok(())
}
