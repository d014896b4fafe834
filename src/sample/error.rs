//! The sample product's own error: one enum for everything its API can answer with besides success.
//!
//! Each variant carries the message shown to the client; [`ApiError::status`] and [`ApiError::code`] give the HTTP
//! status and the snake_case `code` of the `{"error": {"code", "message"}}` body, which `api.rs` renders in one
//! place. This is the legacy product's error shape, not SCIM's (RFC 7644 §3.12 lives in `crate::scim::error`).

use http::StatusCode;

/// Why the sample product refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The credentials were missing or wrong; the message says what the shape expects.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// No such endpoint or no such object.
    #[error("{0}")]
    NotFound(String),
    /// A uniqueness rule was broken (email or login of a user, name of a team).
    #[error("{0}")]
    Conflict(String),
    /// The body was well-formed but names an object that does not exist (a member, a team).
    #[error("{0}")]
    Unprocessable(String),
    /// The request was malformed: bad JSON, wrong type, unknown or read-only field, bad query parameter.
    #[error("{0}")]
    Invalid(String),
    /// The path exists but not for this method; `allow` lists the methods it has.
    #[error("method {method} is not allowed here (allowed: {allow})")]
    MethodNotAllowed {
        /// The method the client used.
        method: String,
        /// The value of the `Allow` header.
        allow: &'static str,
    },
    /// The request body was larger than the product accepts.
    #[error("request body is larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

impl ApiError {
    /// A 404 for an unknown path.
    pub fn no_endpoint() -> Self {
        ApiError::NotFound("no such endpoint".to_owned())
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    /// The snake_case `code` member of the error body.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::Unprocessable(_) => "unprocessable",
            ApiError::Invalid(_) => "invalid",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::TooLarge { .. } => "payload_too_large",
        }
    }
}
