//! The named shape's user endpoints and the strict parsing of its user bodies (always whole users: POST and PUT).

use std::collections::BTreeSet;

use serde_json::Value;

use super::{location, page, user_json};
use crate::sample::api::Reply;
use crate::sample::api::fields::{self, email, login_name, nullable_string, read_only, required, unknown};
use crate::sample::api::query::Query;
use crate::sample::error::ApiError;
use crate::sample::state::State;
use crate::sample::store::{Store, UserFields, UserId};

/// `GET /users?offset=&limit=&username=&email=&external_ref=`.
pub fn list(state: &State, query: Option<&str>) -> Result<Reply, ApiError> {
    let query = Query::parse(query, &["offset", "limit", "username", "email", "external_ref"])?;
    let lower = |key| query.get(key).map(str::to_lowercase);
    let (username, email) = (lower("username"), lower("email"));
    let external_ref = query.get("external_ref");
    let store = state.store();
    let matching = store.users().filter(|user| {
        let login = user.fields.login.as_deref().map(str::to_lowercase);
        username.as_ref().is_none_or(|wanted| login.as_ref() == Some(wanted))
            && email
                .as_ref()
                .is_none_or(|wanted| user.fields.email.as_ref().map(|e| e.to_lowercase()).as_ref() == Some(wanted))
            && external_ref.is_none_or(|wanted| user.fields.external_ref.as_deref() == Some(wanted))
    });
    page(&query, matching, |user| user_json(&store, user))
}

/// `GET /users/{username}`.
pub fn get(state: &State, name: &str) -> Result<Reply, ApiError> {
    let store = state.store();
    let id = find(&store, name)?;
    render(&store, id)
}

/// `POST /users`.
pub fn create(state: &State, body: &[u8]) -> Result<Reply, ApiError> {
    create_from(state, &fields::json(body)?)
}

fn create_from(state: &State, body: &Value) -> Result<Reply, ApiError> {
    let fields = parse(body)?;
    let mut store = state.store();
    let user = store.create_user(fields, &BTreeSet::new())?.clone();
    Ok(Reply::Created {
        location: location("users", user.fields.login.as_deref().unwrap_or_default()),
        body: user_json(&store, &user),
    })
}

/// `POST /users/{username}`: a create with the username in the path; the body may leave it out.
pub fn create_named(state: &State, name: &str, body: &[u8]) -> Result<Reply, ApiError> {
    let mut body = fields::json(body)?;
    let given = body.get("username").cloned();
    match (body.as_object_mut(), given) {
        (Some(object), None) => {
            object.insert("username".to_owned(), Value::String(name.to_owned()));
        }
        (_, Some(Value::String(given))) if given == name => {}
        (_, Some(_)) => {
            return Err(ApiError::Invalid(format!(
                "`username` differs from the username in the path, {name:?}"
            )));
        }
        (None, None) => {}
    }
    create_from(state, &body)
}

/// `PUT /users/{username}`: the whole user; a new `username` renames.
pub fn replace(state: &State, name: &str, body: &[u8]) -> Result<Reply, ApiError> {
    let mut fields = parse(&fields::json(body)?)?;
    let mut store = state.store();
    let id = find(&store, name)?;
    fields.disabled = store.user(id).is_some_and(|user| user.fields.disabled);
    store.update_user(id, fields, None)?;
    render(&store, id)
}

/// `DELETE /users/{username}`.
pub fn delete(state: &State, name: &str) -> Result<Reply, ApiError> {
    let mut store = state.store();
    let id = find(&store, name)?;
    store.delete_user(id)?;
    Ok(Reply::NoContent)
}

/// `POST /users/{username}/deactivate` and `…/reactivate`: idempotent.
pub fn set_disabled(state: &State, name: &str, disabled: bool) -> Result<Reply, ApiError> {
    let mut store = state.store();
    let id = find(&store, name)?;
    let mut fields = store.user(id).map(|user| user.fields.clone()).unwrap_or_default();
    fields.disabled = disabled;
    store.update_user(id, fields, None)?;
    render(&store, id)
}

/// The user with this username (case-insensitive); 404 otherwise.
fn find(store: &Store, name: &str) -> Result<UserId, ApiError> {
    store
        .user_by_login(name)
        .map(|user| user.id)
        .ok_or_else(|| ApiError::NotFound(format!("user {name:?} not found")))
}

fn render(store: &Store, id: UserId) -> Result<Reply, ApiError> {
    let user = store
        .user(id)
        .ok_or_else(|| ApiError::NotFound(format!("user {id} not found")))?;
    Ok(Reply::Ok(user_json(store, user)))
}

/// A whole user from a POST or PUT body; `disabled` is left false for the caller to keep.
pub fn parse(body: &Value) -> Result<UserFields, ApiError> {
    let mut fields = UserFields::default();
    let (mut login, mut address) = (None, None);
    for (key, value) in fields::object("request body", body)? {
        match key.as_str() {
            "username" => login = Some(login_name("username", value)?),
            "email" => address = Some(email(value)?),
            "full_name" => (fields.given_name, fields.family_name) = full_name(value)?,
            "display_name" => fields.display_name = nullable_string(key, value)?,
            "title" => fields.title = nullable_string(key, value)?,
            "phone" => fields.phone = nullable_string(key, value)?,
            "external_ref" => fields.external_ref = nullable_string(key, value)?,
            "disabled" => {
                return Err(ApiError::Invalid(
                    "`disabled` is read-only here: use POST /api/v1/users/{username}/deactivate or /reactivate"
                        .to_owned(),
                ));
            }
            "created_at" | "updated_at" => return Err(read_only(key)),
            other => return Err(unknown(other)),
        }
    }
    fields.login = Some(login.ok_or_else(|| required("username"))?);
    fields.email = Some(address.ok_or_else(|| required("email"))?);
    Ok(fields)
}

/// `full_name`: null, or an object with optional, nullable `given` and `family`.
fn full_name(value: &Value) -> Result<(Option<String>, Option<String>), ApiError> {
    if value.is_null() {
        return Ok((None, None));
    }
    let (mut given, mut family) = (None, None);
    for (key, value) in fields::object("`full_name`", value)? {
        match key.as_str() {
            "given" => given = nullable_string("full_name.given", value)?,
            "family" => family = nullable_string("full_name.family", value)?,
            other => return Err(unknown(&format!("full_name.{other}"))),
        }
    }
    Ok((given, family))
}
