//! The SCIM error: what every layer's error becomes, rendered as the RFC 7644 §3.12 body.
//!
//! Each layer keeps its own error enum and converts it into [`Error`] through one `From` impl; the router renders
//! the result in one place (`Error::to_body`). No other module builds error responses.

use http::StatusCode;
use serde_json::{Value, json};
use std::fmt;
use std::time::Duration;

/// The `scimType` values of RFC 7644 §3.12, Table 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimType {
    /// The filter syntax was invalid or the filter operator is not supported.
    InvalidFilter,
    /// The filter yields too many results for the server to process.
    TooMany,
    /// One or more of the attribute values are already in use or are reserved.
    Uniqueness,
    /// The attempted modification is not compatible with the target attribute's mutability.
    Mutability,
    /// The request body structure was invalid or did not conform to the schema.
    InvalidSyntax,
    /// The "path" attribute was invalid or malformed.
    InvalidPath,
    /// The specified "path" did not yield an attribute or value that could be operated on.
    NoTarget,
    /// A required value was missing, or the value specified was not compatible.
    InvalidValue,
    /// The specified SCIM protocol version is not supported.
    InvalidVers,
    /// The specified request cannot be completed due to the passing of sensitive information in a URI.
    Sensitive,
}

impl ScimType {
    /// The keyword as it appears in the `scimType` member.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
        }
    }
}

/// A SCIM error response: HTTP status, optional `scimType`, a human-readable `detail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The HTTP status code of the response.
    pub status: StatusCode,
    /// The `scimType` keyword, where RFC 7644 defines one for the case.
    pub scim_type: Option<ScimType>,
    /// A detailed, human-readable message; never contains secrets or product internals.
    pub detail: String,
    /// `Retry-After` for 429 and 503 answers.
    pub retry_after: Option<Duration>,
    /// What went wrong beyond what the client is told (the transport failure, the product's status and error
    /// text), for the request's log line; never sent to the client and never carrying a credential.
    pub cause: Option<String>,
}

/// `schemas` URN of the error response (RFC 7644 §3.12).
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

impl Error {
    /// An error with the given status and detail, no `scimType`.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Error {
            status,
            scim_type: None,
            detail: detail.into(),
            retry_after: None,
            cause: None,
        }
    }

    /// 400 with a `scimType`.
    pub fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Error {
            scim_type: Some(scim_type),
            ..Error::new(StatusCode::BAD_REQUEST, detail)
        }
    }

    /// 404: the resource or endpoint does not exist.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Error::new(StatusCode::NOT_FOUND, detail)
    }

    /// 409 `uniqueness`.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Error {
            scim_type: Some(ScimType::Uniqueness),
            ..Error::new(StatusCode::CONFLICT, detail)
        }
    }

    /// 401 for a missing or unknown bearer token.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Error::new(StatusCode::UNAUTHORIZED, detail)
    }

    /// 429 with the time after which the client may try again.
    pub fn too_many_requests(retry_after: Duration) -> Self {
        Error {
            retry_after: Some(retry_after),
            ..Error::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too many requests; retry after the time in Retry-After",
            )
        }
    }

    /// 500 for a fault inside the gateway.
    pub fn internal(detail: impl Into<String>) -> Self {
        Error::new(StatusCode::INTERNAL_SERVER_ERROR, detail)
    }

    /// Attach a `scimType`.
    pub fn with_type(mut self, scim_type: ScimType) -> Self {
        self.scim_type = Some(scim_type);
        self
    }

    /// Attach the cause the log line reports.
    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// Attach a `Retry-After`.
    pub fn with_retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }

    /// The RFC 7644 §3.12 body: `schemas`, `status` as a string, `scimType` where set, `detail`.
    pub fn to_body(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let (Some(t), Some(map)) = (self.scim_type, body.as_object_mut()) {
            map.insert("scimType".into(), Value::String(t.as_str().into()));
        }
        body
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.status.as_u16())?;
        if let Some(t) = self.scim_type {
            write!(f, "{} ", t.as_str())?;
        }
        f.write_str(&self.detail)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_rfc_shape_with_status_as_string() {
        let body = Error::bad_request(ScimType::InvalidFilter, "bad").to_body();
        assert_eq!(body["schemas"][0], ERROR_SCHEMA);
        assert_eq!(body["status"], "400");
        assert_eq!(body["scimType"], "invalidFilter");
        assert_eq!(body["detail"], "bad");
    }

    #[test]
    fn body_has_exactly_the_rfc_members_and_every_scim_type_keyword() {
        let all = [
            (ScimType::InvalidFilter, "invalidFilter"),
            (ScimType::TooMany, "tooMany"),
            (ScimType::Uniqueness, "uniqueness"),
            (ScimType::Mutability, "mutability"),
            (ScimType::InvalidSyntax, "invalidSyntax"),
            (ScimType::InvalidPath, "invalidPath"),
            (ScimType::NoTarget, "noTarget"),
            (ScimType::InvalidValue, "invalidValue"),
            (ScimType::InvalidVers, "invalidVers"),
            (ScimType::Sensitive, "sensitive"),
        ];
        for (t, keyword) in all {
            let body = Error::bad_request(t, "d").to_body();
            let mut keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, ["detail", "schemas", "scimType", "status"]);
            assert_eq!(body["scimType"], keyword);
        }
    }

    #[test]
    fn body_omits_scim_type_when_none() {
        let body = Error::not_found("gone").to_body();
        assert!(body.get("scimType").is_none());
        assert_eq!(body["status"], "404");
    }
}
