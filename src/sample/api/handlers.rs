//! One small function per endpoint: extract, call the store once under its lock, shape the reply.
//!
//! Bodies are parsed as JSON before the lock is taken; the lock is never held across an `.await` (there is none).

use serde_json::Value;

use super::Reply;
use super::query::Query;
use crate::sample::error::ApiError;
use crate::sample::state::State;
use crate::sample::store::{TeamId, UserFilter, UserId, Write};

/// `GET /users?email=&external_ref=&page=&per_page=`.
pub fn list_users(state: &State, query: Option<&str>) -> Result<Reply, ApiError> {
    let query = Query::parse(query, &["email", "external_ref", "page", "per_page"])?;
    let filter = UserFilter {
        email: query.get("email").map(str::to_owned),
        external_ref: query.get("external_ref").map(str::to_owned),
    };
    let page = query.page()?;
    Ok(Reply::Ok(state.store().list_users(&filter, page)))
}

/// `GET /users/{id}`.
pub fn get_user(state: &State, id: UserId) -> Result<Reply, ApiError> {
    Ok(Reply::Ok(state.store().user(id)?))
}

/// `POST /users`.
pub fn create_user(state: &State, body: &[u8]) -> Result<Reply, ApiError> {
    let body = json(body)?;
    let (id, user) = state.store().create_user(&body)?;
    Ok(Reply::Created {
        location: format!("/api/v1/users/{id}"),
        body: user,
    })
}

/// `PATCH` and `PUT /users/{id}`.
pub fn update_user(state: &State, id: UserId, body: &[u8], write: Write) -> Result<Reply, ApiError> {
    let body = json(body)?;
    Ok(Reply::Ok(state.store().update_user(id, &body, write)?))
}

/// `DELETE /users/{id}`.
pub fn delete_user(state: &State, id: UserId) -> Result<Reply, ApiError> {
    state.store().delete_user(id)?;
    Ok(Reply::NoContent)
}

/// `GET /teams?name=&page=&per_page=`.
pub fn list_teams(state: &State, query: Option<&str>) -> Result<Reply, ApiError> {
    let query = Query::parse(query, &["name", "page", "per_page"])?;
    let page = query.page()?;
    Ok(Reply::Ok(state.store().list_teams(query.get("name"), page)))
}

/// `GET /teams/{id}`.
pub fn get_team(state: &State, id: TeamId) -> Result<Reply, ApiError> {
    Ok(Reply::Ok(state.store().team(id)?))
}

/// `POST /teams`.
pub fn create_team(state: &State, body: &[u8]) -> Result<Reply, ApiError> {
    let body = json(body)?;
    let (id, team) = state.store().create_team(&body)?;
    Ok(Reply::Created {
        location: format!("/api/v1/teams/{id}"),
        body: team,
    })
}

/// `PATCH` and `PUT /teams/{id}`.
pub fn update_team(state: &State, id: TeamId, body: &[u8], write: Write) -> Result<Reply, ApiError> {
    let body = json(body)?;
    Ok(Reply::Ok(state.store().update_team(id, &body, write)?))
}

/// `DELETE /teams/{id}`.
pub fn delete_team(state: &State, id: TeamId) -> Result<Reply, ApiError> {
    state.store().delete_team(id)?;
    Ok(Reply::NoContent)
}

/// `GET /teams/{id}/members?page=&per_page=`.
pub fn list_members(state: &State, id: TeamId, query: Option<&str>) -> Result<Reply, ApiError> {
    let page = Query::parse(query, &["page", "per_page"])?.page()?;
    Ok(Reply::Ok(state.store().list_members(id, page)?))
}

/// `PUT /teams/{id}/members/{user_id}`.
pub fn add_member(state: &State, id: TeamId, user: UserId) -> Result<Reply, ApiError> {
    state.store().add_member(id, user)?;
    Ok(Reply::NoContent)
}

/// `DELETE /teams/{id}/members/{user_id}`.
pub fn remove_member(state: &State, id: TeamId, user: UserId) -> Result<Reply, ApiError> {
    state.store().remove_member(id, user)?;
    Ok(Reply::NoContent)
}

fn json(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::Invalid("request body must be a JSON object".to_owned()));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::Invalid(format!("malformed JSON: {e}")))
}
