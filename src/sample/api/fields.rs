//! Strict parsing of request bodies, shared by every shape: the body must be one JSON object, strings are at most
//! [`MAX_CHARS`] characters, emails have one `@` with text on both sides, sign-in names are letters, digits and
//! `@ . _ - +`, team names are not blank.
//!
//! Which members a body may have, and what they mean, is each shape's business (`classic`, `named`, `uuid`); this
//! module gives them the checks and the wording of the 400s, so that every shape refuses alike.

use serde_json::{Map, Value};

use crate::sample::error::ApiError;

/// The longest string any field accepts, in characters.
pub const MAX_CHARS: usize = 1024;

/// The body as JSON; 400 when it is empty or malformed.
pub fn json(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::Invalid("request body must be a JSON object".to_owned()));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::Invalid(format!("malformed JSON: {e}")))
}

/// The value as a JSON object; 400 otherwise. `what` names it in the message.
pub fn object<'v>(what: &str, value: &'v Value) -> Result<&'v Map<String, Value>, ApiError> {
    value
        .as_object()
        .ok_or_else(|| ApiError::Invalid(format!("{what} must be a JSON object")))
}

/// The 400 for a required field that is absent.
pub fn required(field: &str) -> ApiError {
    ApiError::Invalid(format!("`{field}` is required"))
}

/// The 400 for a member that is not a field at all.
pub fn unknown(field: &str) -> ApiError {
    ApiError::Invalid(format!("unknown field `{field}`"))
}

/// The 400 for a field the product sets itself.
pub fn read_only(field: &str) -> ApiError {
    ApiError::Invalid(format!("read-only field `{field}` must not be sent"))
}

/// A non-null string of at most [`MAX_CHARS`] characters.
pub fn string<'v>(field: &str, value: &'v Value) -> Result<&'v str, ApiError> {
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

/// A string or null.
pub fn nullable_string(field: &str, value: &Value) -> Result<Option<String>, ApiError> {
    match value {
        Value::Null => Ok(None),
        _ => string(field, value).map(|text| Some(text.to_owned())),
    }
}

/// A boolean.
pub fn boolean(field: &str, value: &Value) -> Result<bool, ApiError> {
    value
        .as_bool()
        .ok_or_else(|| ApiError::Invalid(format!("`{field}` must be true or false, not {value}")))
}

/// An array of values.
pub fn array<'v>(field: &str, value: &'v Value) -> Result<&'v [Value], ApiError> {
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| ApiError::Invalid(format!("`{field}` must be an array")))
}

/// An email address: one `@` with text on both sides.
pub fn email(value: &Value) -> Result<String, ApiError> {
    let text = string("email", value)?;
    match text.split_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() && !domain.contains('@') => {
            Ok(text.to_owned())
        }
        _ => Err(ApiError::Invalid(format!("`email` is not a valid address: {text:?}"))),
    }
}

/// A sign-in name (the named shape's `username`, the uuid shape's `login`): letters, digits and `@ . _ - +`, not
/// empty.
pub fn login_name(field: &str, value: &Value) -> Result<String, ApiError> {
    let text = string(field, value)?;
    let allowed = |c: char| c.is_alphanumeric() || "@._-+".contains(c);
    if text.is_empty() || !text.chars().all(allowed) {
        return Err(ApiError::Invalid(format!(
            "`{field}` must be letters, digits and `@ . _ - +`, not {text:?}"
        )));
    }
    Ok(text.to_owned())
}

/// A team name: not empty or blank.
pub fn team_name(value: &Value) -> Result<String, ApiError> {
    let text = string("name", value)?;
    if text.trim().is_empty() {
        return Err(ApiError::Invalid("`name` must not be empty".to_owned()));
    }
    Ok(text.to_owned())
}
