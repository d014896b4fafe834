//! The classic shape's user endpoints and the strict parsing of its user bodies.

use std::collections::BTreeSet;

use serde_json::Value;

use super::paging::Page;
use super::{USER_NULLABLE, Write, user_json};
use crate::sample::api::fields::{self, email, login_name, nullable_string, read_only, required, unknown};
use crate::sample::api::query::Query;
use crate::sample::api::{BASE_PATH, Reply};
use crate::sample::error::ApiError;
use crate::sample::state::State;
use crate::sample::store::{UserFields, UserId};

/// `GET /users?username=&email=&external_ref=&page=&per_page=`.
pub fn list(state: &State, query: Option<&str>) -> Result<Reply, ApiError> {
    let query = Query::parse(
        query,
        &["username", "email", "external_ref", "team_id", "page", "per_page"],
    )?;
    let team = query.get("team_id");
    let page = Page::parse(&query)?;
    let (email, external_ref) = (query.get("email"), query.get("external_ref"));
    let username = query.get("username");
    let same =
        |held: &Option<String>, wanted: &str| held.as_ref().is_some_and(|h| h.to_lowercase() == wanted.to_lowercase());
    let store = state.store();
    // A lookup by username or email uses the store's index, as a real product's query would; anything else scans.
    let candidates: Box<dyn Iterator<Item = &crate::sample::store::User> + '_> = match (username, email) {
        (Some(name), _) => Box::new(store.user_by_login(name).into_iter()),
        (None, Some(email)) => Box::new(store.user_by_email(email).into_iter()),
        (None, None) => Box::new(store.users()),
    };
    let matching = candidates.filter(|user| {
        email.is_none_or(|email| same(&user.fields.email, email))
            && username.is_none_or(|name| same(&user.fields.login, name))
            && external_ref.is_none_or(|wanted| user.fields.external_ref.as_deref() == Some(wanted))
            && team.is_none_or(|wanted| user.fields.team.is_some_and(|t| t.to_string() == wanted))
    });
    Ok(Reply::Ok(page.render(matching, |user| user_json(&store, user))))
}

/// `GET /users/{id}`.
pub fn get(state: &State, id: UserId) -> Result<Reply, ApiError> {
    let store = state.store();
    let user = store.user(id).ok_or_else(|| not_found(id))?;
    Ok(Reply::Ok(user_json(&store, user)))
}

/// `POST /users`.
pub fn create(state: &State, body: &[u8]) -> Result<Reply, ApiError> {
    let fields = UserInput::parse(&fields::json(body)?, None)?.into_fields()?;
    let mut store = state.store();
    let user = store.create_user(fields, &BTreeSet::new())?.clone();
    Ok(Reply::Created {
        location: format!("{BASE_PATH}/users/{}", user.id),
        body: user_json(&store, &user),
    })
}

/// `PATCH` and `PUT /users/{id}`.
pub fn update(state: &State, id: UserId, body: &[u8], write: Write) -> Result<Reply, ApiError> {
    let body = fields::json(body)?;
    let mut store = state.store();
    let old = &store.user(id).ok_or_else(|| not_found(id))?.fields;
    let fields = match write {
        Write::Patch => {
            let mut fields = old.clone();
            UserInput::parse(&body, None)?.apply(&mut fields)?;
            fields
        }
        Write::Replace => UserInput::parse(&body, Some(id))?.into_fields()?,
    };
    let user = store.update_user(id, fields, None)?.clone();
    Ok(Reply::Ok(user_json(&store, &user)))
}

/// `DELETE /users/{id}`.
pub fn delete(state: &State, id: UserId) -> Result<Reply, ApiError> {
    let mut store = state.store();
    store.user(id).ok_or_else(|| not_found(id))?;
    store.delete_user(id)?;
    Ok(Reply::NoContent)
}

/// The 404 for a user id.
pub fn not_found(id: UserId) -> ApiError {
    ApiError::NotFound(format!("user {id} not found"))
}

/// The optional strings of a user, in the order of [`USER_NULLABLE`].
pub fn nullable(fields: &UserFields) -> [&Option<String>; 13] {
    [
        &fields.given_name,
        &fields.family_name,
        &fields.formatted_name,
        &fields.display_name,
        &fields.title,
        &fields.phone,
        &fields.external_ref,
        &fields.department,
        &fields.employee_number,
        &fields.manager_id,
        &fields.locale,
        &fields.preferred_language,
        &fields.mobile,
    ]
}

fn nullable_mut(fields: &mut UserFields) -> [&mut Option<String>; 13] {
    [
        &mut fields.given_name,
        &mut fields.family_name,
        &mut fields.formatted_name,
        &mut fields.display_name,
        &mut fields.title,
        &mut fields.phone,
        &mut fields.external_ref,
        &mut fields.department,
        &mut fields.employee_number,
        &mut fields.manager_id,
        &mut fields.locale,
        &mut fields.preferred_language,
        &mut fields.mobile,
    ]
}

/// The fields one classic request body sets on a user; absent fields are `None`, `Some(None)` clears.
#[derive(Debug, Default)]
pub struct UserInput {
    username: Option<Option<String>>,
    email: Option<Option<String>>,
    password: Option<Option<String>>,
    disabled: Option<bool>,
    nullable: [Option<Option<String>>; 13],
    custom: Vec<(u64, Option<String>)>,
    profile: Option<Option<serde_json::Map<String, Value>>>,
    team: Option<Option<u64>>,
}

impl UserInput {
    /// Parses a body; `path_id` is the id a PUT may repeat in the body.
    pub fn parse(body: &Value, path_id: Option<UserId>) -> Result<Self, ApiError> {
        let mut input = UserInput::default();
        for (key, value) in fields::object("request body", body)? {
            match key.as_str() {
                "username" if value.is_null() => input.username = Some(None),
                "username" => input.username = Some(Some(login_name(key, value)?)),
                "email" if value.is_null() => input.email = Some(None),
                "email" => input.email = Some(Some(email(value)?)),
                "password" => input.password = Some(nullable_string(key, value)?),
                "status" => input.disabled = Some(disabled(value)?),
                "id" if path_id.is_some_and(|id| value.as_u64() == Some(id.0)) => {}
                "id" | "created_at" | "updated_at" | "version" | "custom_fields" => return Err(read_only(key)),
                "custom_field_values" => input.custom = custom_values(value)?,
                "profile" if value.is_null() => input.profile = Some(None),
                "profile" => input.profile = Some(Some(profile(value)?)),
                "team_id" if value.is_null() => input.team = Some(None),
                "team_id" => {
                    let id = value.as_u64().filter(|id| *id >= 1);
                    input.team = Some(Some(id.ok_or_else(|| {
                        ApiError::Invalid(format!("`team_id` must be a positive integer or null, not {value}"))
                    })?));
                }
                other => match USER_NULLABLE.iter().position(|name| *name == other) {
                    Some(at) => input.nullable[at] = Some(nullable_string(other, value)?),
                    None => return Err(unknown(other)),
                },
            }
        }
        Ok(input)
    }

    /// PATCH: changes only the fields the body named; a user keeps a username or an email.
    pub fn apply(self, fields: &mut UserFields) -> Result<(), ApiError> {
        if let Some(username) = self.username {
            fields.login = username;
        }
        if let Some(email) = self.email {
            fields.email = email;
        }
        if let Some(password) = self.password {
            fields.password = password;
        }
        if let Some(disabled) = self.disabled {
            fields.disabled = disabled;
        }
        for (id, value) in self.custom {
            match value {
                Some(v) => fields.custom.insert(id, v),
                None => fields.custom.remove(&id),
            };
        }
        if let Some(profile) = self.profile {
            // The profile is replaced whole, as the products it models do.
            fields.profile = profile;
        }
        if let Some(team) = self.team {
            fields.team = team;
        }
        for (slot, new) in nullable_mut(fields).into_iter().zip(self.nullable) {
            if let Some(new) = new {
                *slot = new;
            }
        }
        if fields.login.is_none() && fields.email.is_none() {
            return Err(required("email` or `username"));
        }
        Ok(())
    }

    /// POST and PUT: the whole user; missing nullable fields are null, missing status is active.
    pub fn into_fields(self) -> Result<UserFields, ApiError> {
        let mut fields = UserFields::default();
        self.apply(&mut fields)?;
        Ok(fields)
    }
}

/// `custom_field_values`: `{"<field id>": "value" | null}`.
fn custom_values(value: &Value) -> Result<Vec<(u64, Option<String>)>, ApiError> {
    let mut out = Vec::new();
    for (id, v) in fields::object("`custom_field_values`", value)? {
        let id = crate::sample::api::query::decimal(id)
            .filter(|id| *id >= 1)
            .ok_or_else(|| ApiError::Invalid(format!("custom field id {id:?} is not a positive integer")))?;
        out.push((id, nullable_string("custom_field_values", v)?));
    }
    Ok(out)
}

/// `profile`: an object of strings.
fn profile(value: &Value) -> Result<serde_json::Map<String, Value>, ApiError> {
    let object = fields::object("`profile`", value)?;
    for (name, v) in object {
        fields::string(&format!("profile.{name}"), v)?;
    }
    Ok(object.clone())
}

/// `status`: `"active"` or `"suspended"`, as `disabled`.
fn disabled(value: &Value) -> Result<bool, ApiError> {
    match value.as_str() {
        Some("active") => Ok(false),
        Some("suspended") => Ok(true),
        _ => Err(ApiError::Invalid(format!(
            "`status` must be \"active\" or \"suspended\", not {value}"
        ))),
    }
}
