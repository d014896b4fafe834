//! The writable fields of users and teams, and the strict parsing of request bodies into them.
//!
//! The legacy API is strict: a body must be a JSON object, every member must be a known writable field of the right
//! type, strings are at most [`MAX_CHARS`] characters, and read-only fields (`id`, `created_at`, `updated_at`,
//! `version`) are refused, except `id` equal to the path id in a PUT. Uniqueness is the store's business, not this
//! module's.

use serde_json::{Map, Value};

use crate::sample::error::ApiError;

/// The longest string any field accepts, in characters.
pub const MAX_CHARS: usize = 1024;

/// Fields the product sets itself; a client may not send them.
const READ_ONLY: [&str; 4] = ["id", "created_at", "updated_at", "version"];

/// The nullable string fields of a user, in the order the API renders them.
pub const USER_NULLABLE: [&str; 6] = [
    "first_name",
    "last_name",
    "display_name",
    "title",
    "phone",
    "external_ref",
];

/// Whether a user may sign in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The default.
    Active,
    /// Kept, but locked out.
    Suspended,
}

impl Status {
    /// The value as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Suspended => "suspended",
        }
    }
}

/// Everything a client can write on a user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserFields {
    /// Unique case-insensitively; never null.
    pub email: String,
    /// The nullable strings, in the order of [`USER_NULLABLE`].
    pub nullable: [Option<String>; 6],
    /// `active` unless said otherwise.
    pub status: Status,
}

/// The fields one request body sets on a user; absent fields are `None`.
#[derive(Debug, Default)]
pub struct UserInput {
    email: Option<String>,
    status: Option<Status>,
    nullable: [Option<Option<String>>; 6],
}

impl UserInput {
    /// Parses a body; `path_id` is the id a PUT may repeat in the body.
    pub fn parse(body: &Value, path_id: Option<u64>) -> Result<Self, ApiError> {
        let mut input = UserInput::default();
        for (key, value) in as_object(body)? {
            match key.as_str() {
                "email" => input.email = Some(email(value)?),
                "status" => input.status = Some(status(value)?),
                other => match USER_NULLABLE.iter().position(|name| *name == other) {
                    Some(at) => input.nullable[at] = Some(nullable_string(other, value)?),
                    None => not_writable(other, value, path_id)?,
                },
            }
        }
        Ok(input)
    }

    /// PATCH: changes only the fields the body named.
    pub fn apply(self, fields: &mut UserFields) {
        if let Some(email) = self.email {
            fields.email = email;
        }
        if let Some(status) = self.status {
            fields.status = status;
        }
        for (slot, new) in fields.nullable.iter_mut().zip(self.nullable) {
            if let Some(new) = new {
                *slot = new;
            }
        }
    }

    /// POST and PUT: the whole user; missing nullable fields are null, missing status is active.
    pub fn into_fields(mut self) -> Result<UserFields, ApiError> {
        let email = self.email.take().ok_or_else(|| required("email"))?;
        let mut fields = UserFields {
            email,
            nullable: Default::default(),
            status: Status::Active,
        };
        self.apply(&mut fields);
        Ok(fields)
    }
}

/// Everything a client can write on a team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamFields {
    /// Unique case-insensitively; never empty.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
}

/// The fields one request body sets on a team; absent fields are `None`.
#[derive(Debug, Default)]
pub struct TeamInput {
    name: Option<String>,
    description: Option<Option<String>>,
}

impl TeamInput {
    /// Parses a body; `path_id` is the id a PUT may repeat in the body.
    pub fn parse(body: &Value, path_id: Option<u64>) -> Result<Self, ApiError> {
        let mut input = TeamInput::default();
        for (key, value) in as_object(body)? {
            match key.as_str() {
                "name" => input.name = Some(team_name(value)?),
                "description" => input.description = Some(nullable_string("description", value)?),
                other => not_writable(other, value, path_id)?,
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
    }

    /// POST and PUT: the whole team; a missing description is null.
    pub fn into_fields(mut self) -> Result<TeamFields, ApiError> {
        let name = self.name.take().ok_or_else(|| required("name"))?;
        let mut fields = TeamFields {
            name,
            description: None,
        };
        self.apply(&mut fields);
        Ok(fields)
    }
}

fn as_object(body: &Value) -> Result<&Map<String, Value>, ApiError> {
    body.as_object()
        .ok_or_else(|| ApiError::Invalid("request body must be a JSON object".to_owned()))
}

fn required(field: &str) -> ApiError {
    ApiError::Invalid(format!("`{field}` is required"))
}

/// The error for a member that is not a writable field; `id` equal to the path id is let through.
fn not_writable(key: &str, value: &Value, path_id: Option<u64>) -> Result<(), ApiError> {
    if key == "id" && path_id.is_some() && value.as_u64() == path_id {
        return Ok(());
    }
    if READ_ONLY.contains(&key) {
        return Err(ApiError::Invalid(format!("read-only field `{key}` must not be sent")));
    }
    Err(ApiError::Invalid(format!("unknown field `{key}`")))
}

fn string<'v>(field: &str, value: &'v Value) -> Result<&'v str, ApiError> {
    let text = match value {
        Value::String(text) => text,
        Value::Null => return Err(ApiError::Invalid(format!("`{field}` must not be null"))),
        _ => return Err(ApiError::Invalid(format!("`{field}` must be a string"))),
    };
    if text.chars().count() > MAX_CHARS {
        return Err(ApiError::Invalid(format!(
            "`{field}` is longer than {MAX_CHARS} characters"
        )));
    }
    Ok(text)
}

fn nullable_string(field: &str, value: &Value) -> Result<Option<String>, ApiError> {
    match value {
        Value::Null => Ok(None),
        _ => string(field, value).map(|text| Some(text.to_owned())),
    }
}

fn email(value: &Value) -> Result<String, ApiError> {
    let text = string("email", value)?;
    match text.split_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() && !domain.contains('@') => {
            Ok(text.to_owned())
        }
        _ => Err(ApiError::Invalid(format!("`email` is not a valid address: {text:?}"))),
    }
}

fn status(value: &Value) -> Result<Status, ApiError> {
    match value.as_str() {
        Some("active") => Ok(Status::Active),
        Some("suspended") => Ok(Status::Suspended),
        _ => Err(ApiError::Invalid(format!(
            "`status` must be \"active\" or \"suspended\", not {value}"
        ))),
    }
}

fn team_name(value: &Value) -> Result<String, ApiError> {
    let text = string("name", value)?;
    if text.trim().is_empty() {
        return Err(ApiError::Invalid("`name` must not be empty".to_owned()));
    }
    Ok(text.to_owned())
}
