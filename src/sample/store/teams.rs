//! Teams and their members: list, read, create, update, delete; list, add and remove members.
//!
//! A change of membership is a change of the team: it bumps the team's `version` and `updated_at` (an add of an
//! existing member changes nothing). The users themselves are not touched.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::fields::TeamInput;
use super::users::user_not_found;
use super::{Meta, Page, Store, Team, TeamId, UserId, Write};
use crate::sample::error::ApiError;

impl Store {
    /// `GET /teams`: the teams whose name equals `name` case-insensitively (all if `None`), one page of them.
    pub fn list_teams(&self, name: Option<&str>, page: Page) -> Value {
        let wanted = name.map(|name| self.team_names.get(&name.to_lowercase()).copied());
        let matching = self
            .teams
            .values()
            .filter(|team| wanted.is_none_or(|wanted| wanted == Some(team.id)));
        page.render(matching, Team::to_json)
    }

    /// `GET /teams/{id}`.
    pub fn team(&self, id: TeamId) -> Result<Value, ApiError> {
        self.teams.get(&id).map(Team::to_json).ok_or_else(|| team_not_found(id))
    }

    /// `POST /teams`: the new team's id and JSON.
    pub fn create_team(&mut self, body: &Value) -> Result<(TeamId, Value), ApiError> {
        let fields = TeamInput::parse(body, None)?.into_fields()?;
        let key = fields.name.to_lowercase();
        if self.team_names.contains_key(&key) {
            return Err(name_taken(&fields.name));
        }
        self.last_team += 1;
        let id = TeamId(self.last_team);
        let team = Team {
            id,
            fields,
            meta: Meta::new(self.now()),
            members: BTreeSet::new(),
        };
        let json = team.to_json();
        self.team_names.insert(key, id);
        self.teams.insert(id, team);
        Ok((id, json))
    }

    /// `PATCH` or `PUT /teams/{id}`. A write that changes nothing leaves `version` and `updated_at` alone.
    pub fn update_team(&mut self, id: TeamId, body: &Value, write: Write) -> Result<Value, ApiError> {
        let team = self.teams.get(&id).ok_or_else(|| team_not_found(id))?;
        let input = TeamInput::parse(body, (write == Write::Replace).then_some(id.0))?;
        let fields = match write {
            Write::Patch => {
                let mut fields = team.fields.clone();
                input.apply(&mut fields);
                fields
            }
            Write::Replace => input.into_fields()?,
        };
        if fields == team.fields {
            return Ok(team.to_json());
        }
        let old_key = team.fields.name.to_lowercase();
        let new_key = fields.name.to_lowercase();
        if self.team_names.get(&new_key).is_some_and(|owner| *owner != id) {
            return Err(name_taken(&fields.name));
        }
        let now = self.now();
        self.team_names.remove(&old_key);
        self.team_names.insert(new_key, id);
        let team = self.teams.get_mut(&id).ok_or_else(|| team_not_found(id))?;
        team.fields = fields;
        team.meta.touch(now);
        Ok(team.to_json())
    }

    /// `DELETE /teams/{id}`; the members' users stay.
    pub fn delete_team(&mut self, id: TeamId) -> Result<(), ApiError> {
        let team = self.teams.remove(&id).ok_or_else(|| team_not_found(id))?;
        self.team_names.remove(&team.fields.name.to_lowercase());
        Ok(())
    }

    /// `GET /teams/{id}/members`: `{"user_id", "email"}` per member, ordered by user id, one page of them.
    pub fn list_members(&self, id: TeamId, page: Page) -> Result<Value, ApiError> {
        let team = self.teams.get(&id).ok_or_else(|| team_not_found(id))?;
        let members = team.members.iter().filter_map(|user_id| self.users.get(user_id));
        Ok(page.render(
            members,
            |user| json!({"user_id": user.id.0, "email": user.fields.email}),
        ))
    }

    /// `PUT /teams/{id}/members/{user_id}`: idempotent.
    pub fn add_member(&mut self, id: TeamId, user: UserId) -> Result<(), ApiError> {
        if !self.teams.contains_key(&id) {
            return Err(team_not_found(id));
        }
        if !self.users.contains_key(&user) {
            return Err(user_not_found(user));
        }
        let now = self.now();
        let team = self.teams.get_mut(&id).ok_or_else(|| team_not_found(id))?;
        if team.members.insert(user) {
            team.meta.touch(now);
        }
        Ok(())
    }

    /// `DELETE /teams/{id}/members/{user_id}`: 404 when the user is not a member (this legacy API is strict).
    pub fn remove_member(&mut self, id: TeamId, user: UserId) -> Result<(), ApiError> {
        let now = self.now();
        let team = self.teams.get_mut(&id).ok_or_else(|| team_not_found(id))?;
        if !team.members.remove(&user) {
            return Err(ApiError::NotFound(format!("user {user} is not a member of team {id}")));
        }
        team.meta.touch(now);
        Ok(())
    }

    /// Every team's API JSON, ordered by id.
    pub fn all_teams(&self) -> Vec<Value> {
        self.teams.values().map(Team::to_json).collect()
    }

    /// The user ids of a team's members, ordered; `None` if there is no such team.
    pub fn member_ids(&self, id: TeamId) -> Option<Vec<u64>> {
        self.teams
            .get(&id)
            .map(|team| team.members.iter().map(|user| user.0).collect())
    }
}

fn team_not_found(id: TeamId) -> ApiError {
    ApiError::NotFound(format!("team {id} not found"))
}

fn name_taken(name: &str) -> ApiError {
    ApiError::Conflict(format!("a team named {name:?} already exists"))
}
