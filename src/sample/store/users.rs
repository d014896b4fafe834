//! Users: look up, create, update, delete. Deleting a user also drops them from every team.

use std::collections::BTreeSet;

use super::{Meta, Store, TeamId, Touched, User, UserFields, UserId, new_uuid};
use crate::sample::error::ApiError;

impl Store {
    /// Every user, ordered by id (that is, by creation).
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }

    /// The users after `id`, ordered by id.
    pub fn users_after(&self, id: UserId) -> impl Iterator<Item = &User> {
        self.users
            .range((std::ops::Bound::Excluded(id), std::ops::Bound::Unbounded))
            .map(|(_, user)| user)
    }

    /// The user with this id.
    pub fn user(&self, id: UserId) -> Option<&User> {
        self.users.get(&id)
    }

    /// The user with this login, compared case-insensitively.
    pub fn user_by_login(&self, login: &str) -> Option<&User> {
        self.logins.get(&login.to_lowercase()).and_then(|id| self.users.get(id))
    }

    /// The user with this email, compared case-insensitively.
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.emails.get(&email.to_lowercase()).and_then(|id| self.users.get(id))
    }

    /// The user with this UUID, compared case-insensitively.
    pub fn user_by_uuid(&self, uuid: &str) -> Option<&User> {
        self.user_uuids
            .get(&uuid.to_ascii_lowercase())
            .and_then(|id| self.users.get(id))
    }

    /// The ids of the teams `user` is a member of, ordered.
    pub fn teams_of(&self, user: UserId) -> BTreeSet<TeamId> {
        self.teams
            .values()
            .filter(|team| team.members.contains(&user))
            .map(|team| team.id)
            .collect()
    }

    /// Creates a user who is a member of `teams` (which must exist: 422 otherwise).
    pub fn create_user(&mut self, fields: UserFields, teams: &BTreeSet<TeamId>) -> Result<&User, ApiError> {
        self.check_user_unique(&fields, None)?;
        self.check_teams_exist(teams)?;
        self.last_user += 1;
        let id = UserId(self.last_user);
        let user = User {
            id,
            uuid: new_uuid(),
            fields,
            meta: Meta::new(self.now()),
        };
        self.index_fields(id, &user.fields);
        self.user_uuids.insert(user.uuid.clone(), id);
        self.users.insert(id, user);
        for team in teams {
            if let Some(team) = self.teams.get_mut(team) {
                team.members.insert(id);
            }
        }
        // A new user has its first version; only teams that render members move.
        let mut touched = Touched::default();
        for team in teams {
            touched.membership(self.members_on, *team, id);
        }
        touched.users.remove(&id);
        self.commit(touched);
        self.users.get(&id).ok_or_else(|| user_not_found(id))
    }

    /// Replaces the fields of a user and, if `teams` is given, the set of teams they are a member of.
    pub fn update_user(
        &mut self,
        id: UserId,
        fields: UserFields,
        teams: Option<&BTreeSet<TeamId>>,
    ) -> Result<&User, ApiError> {
        let user = self.users.get(&id).ok_or_else(|| user_not_found(id))?;
        self.check_user_unique(&fields, Some(id))?;
        if let Some(teams) = teams {
            self.check_teams_exist(teams)?;
        }
        let old = user.fields.clone();
        let mut touched = Touched::default();
        if fields != old {
            touched.users.insert(id);
        }
        let renamed = fields.login != old.login;
        let side = self.members_on;
        for team in self.teams.values_mut() {
            let was = team.members.contains(&id);
            let wanted = teams.map_or(was, |teams| teams.contains(&team.id));
            if wanted != was {
                if wanted {
                    team.members.insert(id);
                } else {
                    team.members.remove(&id);
                }
                touched.membership(side, team.id, id);
            } else if was && renamed {
                // Teams that list members by login render differently after a rename.
                touched.membership(side, team.id, id);
            }
        }
        self.unindex_user(&old);
        self.index_fields(id, &fields);
        if let Some(user) = self.users.get_mut(&id) {
            user.fields = fields;
        }
        self.commit(touched);
        self.users.get(&id).ok_or_else(|| user_not_found(id))
    }

    /// Deletes a user; they leave every team.
    pub fn delete_user(&mut self, id: UserId) -> Result<(), ApiError> {
        let user = self.users.remove(&id).ok_or_else(|| user_not_found(id))?;
        self.unindex_user(&user.fields);
        self.user_uuids.remove(&user.uuid);
        let mut touched = Touched::default();
        let side = self.members_on;
        for team in self.teams.values_mut() {
            if team.members.remove(&id) {
                touched.membership(side, team.id, id);
            }
        }
        self.commit(touched);
        Ok(())
    }

    fn check_user_unique(&self, fields: &UserFields, owner: Option<UserId>) -> Result<(), ApiError> {
        let taken = |found: Option<&UserId>| found.is_some_and(|found| Some(*found) != owner);
        if let Some(email) = &fields.email
            && taken(self.emails.get(&email.to_lowercase()))
        {
            return Err(ApiError::Conflict(format!(
                "a user with email {email:?} already exists"
            )));
        }
        if let Some(login) = &fields.login
            && taken(self.logins.get(&login.to_lowercase()))
        {
            return Err(ApiError::Conflict(format!("a user named {login:?} already exists")));
        }
        Ok(())
    }

    fn check_teams_exist(&self, teams: &BTreeSet<TeamId>) -> Result<(), ApiError> {
        match teams.iter().find(|team| !self.teams.contains_key(team)) {
            Some(missing) => Err(ApiError::Unprocessable(format!("team {missing} does not exist"))),
            None => Ok(()),
        }
    }

    fn index_fields(&mut self, id: UserId, fields: &UserFields) {
        if let Some(email) = &fields.email {
            self.emails.insert(email.to_lowercase(), id);
        }
        if let Some(login) = &fields.login {
            self.logins.insert(login.to_lowercase(), id);
        }
    }

    fn unindex_user(&mut self, fields: &UserFields) {
        if let Some(email) = &fields.email {
            self.emails.remove(&email.to_lowercase());
        }
        if let Some(login) = &fields.login {
            self.logins.remove(&login.to_lowercase());
        }
    }
}

/// The 404 for a user id that is not (or no longer) there.
pub(super) fn user_not_found(id: UserId) -> ApiError {
    ApiError::NotFound(format!("user {id} not found"))
}
