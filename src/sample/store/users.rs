//! Users: list, read, create, update, delete. Deleting a user also drops them from every team.

use serde_json::Value;

use super::fields::{USER_NULLABLE, UserInput};
use super::{Meta, Page, Store, User, UserFilter, UserId, Write};
use crate::sample::error::ApiError;

/// Position of `external_ref` among the nullable user fields.
const EXTERNAL_REF: usize = 5;

impl Store {
    /// `GET /users`: the users matching `filter`, ordered by id, one page of them.
    pub fn list_users(&self, filter: &UserFilter, page: Page) -> Value {
        // The email filter goes through the unique index: at most one user can match.
        let candidates: Box<dyn Iterator<Item = &User>> = match &filter.email {
            Some(email) => Box::new(
                self.emails
                    .get(&email.to_lowercase())
                    .and_then(|id| self.users.get(id))
                    .into_iter(),
            ),
            None => Box::new(self.users.values()),
        };
        let wanted_ref = filter.external_ref.as_deref();
        let matching = candidates.filter(|user| {
            wanted_ref.is_none_or(|wanted| user.fields.nullable[EXTERNAL_REF].as_deref() == Some(wanted))
        });
        page.render(matching, User::to_json)
    }

    /// `GET /users/{id}`.
    pub fn user(&self, id: UserId) -> Result<Value, ApiError> {
        self.users.get(&id).map(User::to_json).ok_or_else(|| user_not_found(id))
    }

    /// `POST /users`: the new user's id and JSON.
    pub fn create_user(&mut self, body: &Value) -> Result<(UserId, Value), ApiError> {
        let fields = UserInput::parse(body, None)?.into_fields()?;
        let key = fields.email.to_lowercase();
        if self.emails.contains_key(&key) {
            return Err(email_taken(&fields.email));
        }
        self.last_user += 1;
        let id = UserId(self.last_user);
        let user = User {
            id,
            fields,
            meta: Meta::new(self.now()),
        };
        let json = user.to_json();
        self.emails.insert(key, id);
        self.users.insert(id, user);
        Ok((id, json))
    }

    /// `PATCH` or `PUT /users/{id}`. A write that changes nothing leaves `version` and `updated_at` alone.
    pub fn update_user(&mut self, id: UserId, body: &Value, write: Write) -> Result<Value, ApiError> {
        let user = self.users.get(&id).ok_or_else(|| user_not_found(id))?;
        let input = UserInput::parse(body, (write == Write::Replace).then_some(id.0))?;
        let fields = match write {
            Write::Patch => {
                let mut fields = user.fields.clone();
                input.apply(&mut fields);
                fields
            }
            Write::Replace => input.into_fields()?,
        };
        if fields == user.fields {
            return Ok(user.to_json());
        }
        let old_key = user.fields.email.to_lowercase();
        let new_key = fields.email.to_lowercase();
        if self.emails.get(&new_key).is_some_and(|owner| *owner != id) {
            return Err(email_taken(&fields.email));
        }
        let now = self.now();
        self.emails.remove(&old_key);
        self.emails.insert(new_key, id);
        let user = self.users.get_mut(&id).ok_or_else(|| user_not_found(id))?;
        user.fields = fields;
        user.meta.touch(now);
        Ok(user.to_json())
    }

    /// `DELETE /users/{id}`; the user leaves every team, and each team they left gets a new version.
    pub fn delete_user(&mut self, id: UserId) -> Result<(), ApiError> {
        let user = self.users.remove(&id).ok_or_else(|| user_not_found(id))?;
        self.emails.remove(&user.fields.email.to_lowercase());
        let now = self.now();
        for team in self.teams.values_mut() {
            if team.members.remove(&id) {
                team.meta.touch(now.clone());
            }
        }
        Ok(())
    }

    /// Every user's API JSON, ordered by id.
    pub fn all_users(&self) -> Vec<Value> {
        self.users.values().map(User::to_json).collect()
    }
}

pub(super) fn user_not_found(id: UserId) -> ApiError {
    ApiError::NotFound(format!("user {id} not found"))
}

fn email_taken(email: &str) -> ApiError {
    ApiError::Conflict(format!("a user with email {email:?} already exists"))
}

// Keep the index of `external_ref` honest if the field list is ever reordered.
const _: () = assert!(matches!(USER_NULLABLE[EXTERNAL_REF].as_bytes(), b"external_ref"));
