//! Operations: one function per SCIM endpoint, composing the pure protocol layer (`scim`) with the tenant's
//! mapping and product API. A handler extracts, calls one layer at a time, and shapes the reply.

pub mod discovery;
pub mod groups;
pub mod members;
pub mod objects;
pub mod resource;
pub mod users;

use crate::request::Settings;
use crate::scim::{self, list::ListQuery};
use crate::tenant::Tenant;
use http::StatusCode;
use serde_json::Value;
use std::sync::Arc;

/// The list query of `GET /Users?…` or `GET /Groups?…`.
pub fn list_query(ctx: &Context<'_>, query: Option<&str>) -> Result<ListQuery, scim::Error> {
    ListQuery::parse(query, ctx.settings.max_page_size, &ctx.settings.filter_limits)
}

/// The list query of a `POST …/.search` body.
pub fn search_query(ctx: &Context<'_>, body: &Value) -> Result<ListQuery, scim::Error> {
    ListQuery::from_search(body, ctx.settings.max_page_size, &ctx.settings.filter_limits)
}

/// What an operation needs from the request.
pub struct Context<'a> {
    /// The authenticated tenant.
    pub tenant: Arc<Tenant>,
    /// The SCIM base URL as the client sees it, without a trailing slash.
    pub base_url: String,
    /// Request-wide settings.
    pub settings: &'a Settings,
    /// The request's `If-Match` header (RFC 7644 §3.14), honoured by PUT, PATCH and DELETE where the product gives
    /// a version.
    pub if_match: Option<String>,
}

/// A successful answer, rendered by the router.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// Status code.
    pub status: StatusCode,
    /// JSON body, if any.
    pub body: Option<Value>,
    /// `Location` header (201 answers).
    pub location: Option<String>,
    /// `ETag` header.
    pub etag: Option<String>,
}

impl Reply {
    /// 200 with a body.
    pub fn ok(body: Value) -> Self {
        Reply {
            status: StatusCode::OK,
            body: Some(body),
            location: None,
            etag: None,
        }
    }

    /// 204.
    pub fn no_content() -> Self {
        Reply {
            status: StatusCode::NO_CONTENT,
            body: None,
            location: None,
            etag: None,
        }
    }
}
