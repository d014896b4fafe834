//! Teams and their members: look up, create, update, delete; change members.
//!
//! Deleting a team leaves its members' users in place (in the uuid shape their `team_ids` shrink).

use std::collections::BTreeSet;

use super::{Meta, Store, Team, TeamFields, TeamId, Touched, UserId, new_uuid};
use crate::sample::error::ApiError;

impl Store {
    /// Every team, ordered by id (that is, by creation).
    pub fn teams(&self) -> impl Iterator<Item = &Team> {
        self.teams.values()
    }

    /// The teams after `id`, ordered by id.
    pub fn teams_after(&self, id: TeamId) -> impl Iterator<Item = &Team> {
        self.teams
            .range((std::ops::Bound::Excluded(id), std::ops::Bound::Unbounded))
            .map(|(_, team)| team)
    }

    /// The team with this id.
    pub fn team(&self, id: TeamId) -> Option<&Team> {
        self.teams.get(&id)
    }

    /// The team with this name, compared case-insensitively.
    pub fn team_by_name(&self, name: &str) -> Option<&Team> {
        self.team_names
            .get(&name.to_lowercase())
            .and_then(|id| self.teams.get(id))
    }

    /// The team with this UUID, compared case-insensitively.
    pub fn team_by_uuid(&self, uuid: &str) -> Option<&Team> {
        self.team_uuids
            .get(&uuid.to_ascii_lowercase())
            .and_then(|id| self.teams.get(id))
    }

    /// Creates a team with `members` (who must exist: 422 otherwise).
    pub fn create_team(&mut self, fields: TeamFields, members: &BTreeSet<UserId>) -> Result<&Team, ApiError> {
        self.check_team_unique(&fields, None)?;
        self.check_users_exist(members)?;
        self.last_team += 1;
        let id = TeamId(self.last_team);
        let team = Team {
            id,
            uuid: new_uuid(),
            fields,
            members: members.clone(),
            meta: Meta::new(self.now()),
        };
        self.team_names.insert(team.fields.name.to_lowercase(), id);
        self.team_uuids.insert(team.uuid.clone(), id);
        self.teams.insert(id, team);
        // A new team has its first version; only users that render their teams move.
        let mut touched = Touched::default();
        for user in members {
            touched.membership(self.members_on, id, *user);
        }
        touched.teams.remove(&id);
        self.commit(touched);
        self.teams.get(&id).ok_or_else(|| team_not_found(id))
    }

    /// Replaces the fields of a team and, if `members` is given, its members (who must exist: 422 otherwise).
    pub fn update_team(
        &mut self,
        id: TeamId,
        fields: TeamFields,
        members: Option<&BTreeSet<UserId>>,
    ) -> Result<&Team, ApiError> {
        let team = self.teams.get(&id).ok_or_else(|| team_not_found(id))?;
        self.check_team_unique(&fields, Some(id))?;
        let mut touched = Touched::default();
        if let Some(members) = members {
            self.check_users_exist(members)?;
            for user in team.members.symmetric_difference(members) {
                touched.membership(self.members_on, id, *user);
            }
        }
        if fields != team.fields {
            touched.teams.insert(id);
        }
        self.team_names.remove(&team.fields.name.to_lowercase());
        self.team_names.insert(fields.name.to_lowercase(), id);
        if let Some(team) = self.teams.get_mut(&id) {
            team.fields = fields;
            if let Some(members) = members {
                team.members.clone_from(members);
            }
        }
        self.commit(touched);
        self.teams.get(&id).ok_or_else(|| team_not_found(id))
    }

    /// Deletes a team; its members' users stay.
    pub fn delete_team(&mut self, id: TeamId) -> Result<(), ApiError> {
        let team = self.teams.remove(&id).ok_or_else(|| team_not_found(id))?;
        self.team_names.remove(&team.fields.name.to_lowercase());
        self.team_uuids.remove(&team.uuid);
        let mut touched = Touched::default();
        for user in &team.members {
            touched.membership(self.members_on, id, *user);
        }
        touched.teams.remove(&id);
        self.commit(touched);
        Ok(())
    }

    /// Adds the users in `add` and removes those in `remove` (all must exist: 422 otherwise, and nothing changes);
    /// adding a member or removing a non-member is no change. Answers how many were really added and removed.
    pub fn change_members(
        &mut self,
        id: TeamId,
        add: &BTreeSet<UserId>,
        remove: &BTreeSet<UserId>,
    ) -> Result<(usize, usize), ApiError> {
        let team = self.teams.get(&id).ok_or_else(|| team_not_found(id))?;
        self.check_users_exist(add)?;
        self.check_users_exist(remove)?;
        let added: Vec<UserId> = add.difference(&team.members).copied().collect();
        let removed: Vec<UserId> = remove.intersection(&team.members).copied().collect();
        let mut touched = Touched::default();
        for user in added.iter().chain(&removed) {
            touched.membership(self.members_on, id, *user);
        }
        if let Some(team) = self.teams.get_mut(&id) {
            team.members.extend(&added);
            for user in &removed {
                team.members.remove(user);
            }
        }
        self.commit(touched);
        Ok((added.len(), removed.len()))
    }

    fn check_team_unique(&self, fields: &TeamFields, owner: Option<TeamId>) -> Result<(), ApiError> {
        match self.team_names.get(&fields.name.to_lowercase()) {
            Some(found) if Some(*found) != owner => Err(ApiError::Conflict(format!(
                "a team named {:?} already exists",
                fields.name
            ))),
            _ => Ok(()),
        }
    }

    fn check_users_exist(&self, users: &BTreeSet<UserId>) -> Result<(), ApiError> {
        match users.iter().find(|user| !self.users.contains_key(user)) {
            Some(missing) => Err(ApiError::Unprocessable(format!("user {missing} does not exist"))),
            None => Ok(()),
        }
    }
}

/// The 404 for a team id that is not (or no longer) there.
fn team_not_found(id: TeamId) -> ApiError {
    ApiError::NotFound(format!("team {id} not found"))
}
