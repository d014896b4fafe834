//! The classic shape's team and member endpoints and the strict parsing of its team bodies.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::paging::Page;
use super::users::not_found as user_not_found;
use super::{Write, team_json};
use crate::sample::api::fields::{self, array, nullable_string, read_only, required, team_name, unknown};
use crate::sample::api::query::Query;
use crate::sample::api::{BASE_PATH, Reply};
use crate::sample::error::ApiError;
use crate::sample::state::State;
use crate::sample::store::{TeamFields, TeamId, UserId};

/// `GET /teams?name=&external_ref=&page=&per_page=`.
pub fn list(state: &State, query: Option<&str>) -> Result<Reply, ApiError> {
    let query = Query::parse(query, &["name", "external_ref", "page", "per_page"])?;
    let page = Page::parse(&query)?;
    let name = query.get("name").map(str::to_lowercase);
    let external_ref = query.get("external_ref");
    let store = state.store();
    let matching = store.teams().filter(|team| {
        name.as_ref()
            .is_none_or(|name| team.fields.name.to_lowercase() == *name)
            && external_ref.is_none_or(|wanted| team.fields.external_ref.as_deref() == Some(wanted))
    });
    Ok(Reply::Ok(page.render(matching, |team| team_json(&store, team))))
}

/// `GET /teams/{id}`.
pub fn get(state: &State, id: TeamId) -> Result<Reply, ApiError> {
    let store = state.store();
    let team = store.team(id).ok_or_else(|| not_found(id))?;
    Ok(Reply::Ok(team_json(&store, team)))
}

/// `POST /teams`.
pub fn create(state: &State, body: &[u8]) -> Result<Reply, ApiError> {
    let fields = TeamInput::parse(&fields::json(body)?, None)?.into_fields()?;
    let mut store = state.store();
    let team = store.create_team(fields, &BTreeSet::new())?.clone();
    Ok(Reply::Created {
        location: format!("{BASE_PATH}/teams/{}", team.id),
        body: team_json(&store, &team),
    })
}

/// `PATCH` and `PUT /teams/{id}`.
pub fn update(state: &State, id: TeamId, body: &[u8], write: Write) -> Result<Reply, ApiError> {
    let body = fields::json(body)?;
    let mut store = state.store();
    let old = &store.team(id).ok_or_else(|| not_found(id))?.fields;
    let fields = match write {
        Write::Patch => {
            let mut fields = old.clone();
            TeamInput::parse(&body, None)?.apply(&mut fields);
            fields
        }
        Write::Replace => TeamInput::parse(&body, Some(id))?.into_fields()?,
    };
    let team = store.update_team(id, fields, None)?.clone();
    Ok(Reply::Ok(team_json(&store, &team)))
}

/// `DELETE /teams/{id}`.
pub fn delete(state: &State, id: TeamId) -> Result<Reply, ApiError> {
    let mut store = state.store();
    store.team(id).ok_or_else(|| not_found(id))?;
    store.delete_team(id)?;
    Ok(Reply::NoContent)
}

/// `GET /teams/{id}/members?page=&per_page=`: `{"user_id", "email"}` per member, by user id.
pub fn list_members(state: &State, id: TeamId, query: Option<&str>) -> Result<Reply, ApiError> {
    let page = Page::parse(&Query::parse(query, &["page", "per_page"])?)?;
    let store = state.store();
    let team = store.team(id).ok_or_else(|| not_found(id))?;
    let members = team.members.iter().filter_map(|user| store.user(*user));
    let render = |user: &crate::sample::store::User| json!({"user_id": user.id.0, "email": user.fields.email});
    Ok(Reply::Ok(page.render(members, render)))
}

/// `PUT /teams/{id}/members/{user_id}`: idempotent; 404 for an unknown team or user.
pub fn add_member(state: &State, id: TeamId, user: UserId) -> Result<Reply, ApiError> {
    let mut store = state.store();
    store.team(id).ok_or_else(|| not_found(id))?;
    store.user(user).ok_or_else(|| user_not_found(user))?;
    store.change_members(id, &BTreeSet::from([user]), &BTreeSet::new())?;
    Ok(Reply::NoContent)
}

/// `DELETE /teams/{id}/members/{user_id}`: 404 when the user is not a member (this legacy API is strict).
pub fn remove_member(state: &State, id: TeamId, user: UserId) -> Result<Reply, ApiError> {
    let mut store = state.store();
    let team = store.team(id).ok_or_else(|| not_found(id))?;
    if !team.members.contains(&user) {
        return Err(ApiError::NotFound(format!("user {user} is not a member of team {id}")));
    }
    store.change_members(id, &BTreeSet::new(), &BTreeSet::from([user]))?;
    Ok(Reply::NoContent)
}

/// `POST /teams/{id}/members` with `{"add": [user ids], "remove": [user ids]}`: all or nothing.
pub fn change_members(state: &State, id: TeamId, body: &[u8]) -> Result<Reply, ApiError> {
    let (add, remove) = parse_batch(&fields::json(body)?)?;
    let mut store = state.store();
    store.team(id).ok_or_else(|| not_found(id))?;
    if let Some(missing) = add.iter().chain(&remove).find(|user| store.user(**user).is_none()) {
        return Err(ApiError::Unprocessable(format!("user {missing} does not exist")));
    }
    let (added, removed) = store.change_members(id, &add, &remove)?;
    Ok(Reply::Ok(json!({"added": added, "removed": removed})))
}

/// The `add` and `remove` sets of a batch body; an id in both is 400.
pub fn parse_batch(body: &Value) -> Result<(BTreeSet<UserId>, BTreeSet<UserId>), ApiError> {
    let (mut add, mut remove) = (BTreeSet::new(), BTreeSet::new());
    for (key, value) in fields::object("request body", body)? {
        let set = match key.as_str() {
            "add" => &mut add,
            "remove" => &mut remove,
            other => return Err(unknown(other)),
        };
        for id in array(key, value)? {
            let id = id
                .as_u64()
                .filter(|id| *id >= 1)
                .ok_or_else(|| ApiError::Invalid(format!("`{key}` must hold positive integer user ids, not {id}")))?;
            set.insert(UserId(id));
        }
    }
    if let Some(both) = add.intersection(&remove).next() {
        return Err(ApiError::Invalid(format!(
            "user {both} is both in `add` and in `remove`"
        )));
    }
    Ok((add, remove))
}

/// The 404 for a team id.
fn not_found(id: TeamId) -> ApiError {
    ApiError::NotFound(format!("team {id} not found"))
}

/// The fields one classic request body sets on a team; absent fields are `None`.
#[derive(Debug, Default)]
pub struct TeamInput {
    name: Option<String>,
    description: Option<Option<String>>,
    external_ref: Option<Option<String>>,
}

impl TeamInput {
    /// Parses a body; `path_id` is the id a PUT may repeat in the body.
    pub fn parse(body: &Value, path_id: Option<TeamId>) -> Result<Self, ApiError> {
        let mut input = TeamInput::default();
        for (key, value) in fields::object("request body", body)? {
            match key.as_str() {
                "name" => input.name = Some(team_name(value)?),
                "description" => input.description = Some(nullable_string("description", value)?),
                "external_ref" => input.external_ref = Some(nullable_string("external_ref", value)?),
                "id" if path_id.is_some_and(|id| value.as_u64() == Some(id.0)) => {}
                "id" | "created_at" | "updated_at" | "version" => return Err(read_only(key)),
                other => return Err(unknown(other)),
            }
        }
        Ok(input)
    }

    /// PATCH: changes only the fields the body named.
    pub fn apply(self, fields: &mut TeamFields) {
        if let Some(name) = self.name {
            fields.name = name;
        }
        if let Some(description) = self.description {
            fields.description = description;
        }
        if let Some(external_ref) = self.external_ref {
            fields.external_ref = external_ref;
        }
    }

    /// POST and PUT: the whole team; a missing description is null.
    pub fn into_fields(mut self) -> Result<TeamFields, ApiError> {
        let name = self.name.take().ok_or_else(|| required("name"))?;
        let mut fields = TeamFields {
            name,
            ..TeamFields::default()
        };
        self.apply(&mut fields);
        Ok(fields)
    }
}
