//! The sample product's HTTP API under `/api/v1`: authentication, routing and rendering.
//!
//! Every request is counted and logged, then (after the optional artificial delay) checked for `X-Api-Key`, read
//! (at most [`MAX_BODY`] bytes, else 413), routed by a `match` on method and percent-decoded path segments, and
//! answered with JSON. Errors become `{"error": {"code", "message"}}` in [`render`], the only place that builds an
//! error response. What the endpoints do is in `handlers`; what the data may be is in `store`.

mod handlers;
mod query;

use std::convert::Infallible;
use std::error::Error as StdError;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE, LOCATION};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Body;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use super::error::ApiError;
use super::state::State;
use super::store::{TeamId, UserId, Write};

/// The largest request body the product reads: 1 MiB.
pub const MAX_BODY: usize = 1024 * 1024;

/// The path every endpoint lives under.
pub const BASE_PATH: &str = "/api/v1";

/// A successful answer, before rendering.
#[derive(Debug)]
pub enum Reply {
    /// 200 with a JSON body.
    Ok(Value),
    /// 201 with a JSON body and a `Location` header.
    Created {
        /// The new object's path.
        location: String,
        /// The new object.
        body: Value,
    },
    /// 204 without a body.
    NoContent,
}

/// Serves one request; never fails (every error is an HTTP answer).
pub async fn handle<B>(state: Arc<State>, req: Request<B>) -> Result<Response<Full<Bytes>>, Infallible>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    let method = req.method().clone();
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |pq| pq.as_str().to_owned());
    state.record(method.as_str(), &target);
    if let Some(delay) = state.delay() {
        tokio::time::sleep(delay).await;
    }
    let response = render(respond(&state, req).await);
    tracing::debug!(%method, %target, status = response.status().as_u16(), "sample product answered");
    Ok(response)
}

async fn respond<B>(state: &State, req: Request<B>) -> Result<Reply, ApiError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    authorize(state, req.headers())?;
    let (parts, body) = req.into_parts();
    let segments = segments(parts.uri.path())?;
    let body = read_body(body).await?;
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    route(state, &parts.method, &segments, parts.uri.query(), &body)
}

fn route(
    state: &State,
    method: &Method,
    segments: &[&str],
    query: Option<&str>,
    body: &[u8],
) -> Result<Reply, ApiError> {
    use handlers as h;
    match (method, segments) {
        (&Method::GET, ["users"]) => h::list_users(state, query),
        (&Method::POST, ["users"]) => h::create_user(state, body),
        (&Method::GET, ["users", id]) => h::get_user(state, user_id(id)?),
        (&Method::PATCH, ["users", id]) => h::update_user(state, user_id(id)?, body, Write::Patch),
        (&Method::PUT, ["users", id]) => h::update_user(state, user_id(id)?, body, Write::Replace),
        (&Method::DELETE, ["users", id]) => h::delete_user(state, user_id(id)?),
        (&Method::GET, ["teams"]) => h::list_teams(state, query),
        (&Method::POST, ["teams"]) => h::create_team(state, body),
        (&Method::GET, ["teams", id]) => h::get_team(state, team_id(id)?),
        (&Method::PATCH, ["teams", id]) => h::update_team(state, team_id(id)?, body, Write::Patch),
        (&Method::PUT, ["teams", id]) => h::update_team(state, team_id(id)?, body, Write::Replace),
        (&Method::DELETE, ["teams", id]) => h::delete_team(state, team_id(id)?),
        (&Method::GET, ["teams", id, "members"]) => h::list_members(state, team_id(id)?, query),
        (&Method::PUT, ["teams", id, "members", user]) => h::add_member(state, team_id(id)?, user_id(user)?),
        (&Method::DELETE, ["teams", id, "members", user]) => h::remove_member(state, team_id(id)?, user_id(user)?),
        (_, ["users" | "teams"]) => Err(not_allowed(method, "GET, POST")),
        (_, ["users" | "teams", _]) => Err(not_allowed(method, "GET, PUT, PATCH, DELETE")),
        (_, ["teams", _, "members"]) => Err(not_allowed(method, "GET")),
        (_, ["teams", _, "members", _]) => Err(not_allowed(method, "PUT, DELETE")),
        _ => Err(ApiError::no_endpoint()),
    }
}

/// Checks `X-Api-Key` in constant time (for keys of the right length).
fn authorize(state: &State, headers: &HeaderMap) -> Result<(), ApiError> {
    let sent = headers.get("x-api-key").map(HeaderValue::as_bytes).unwrap_or_default();
    if bool::from(sent.ct_eq(state.api_key())) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// The percent-decoded segments after `/api/v1/`; 404 for any other path or for segments that are not UTF-8.
fn segments(path: &str) -> Result<Vec<String>, ApiError> {
    let rest = path
        .strip_prefix(BASE_PATH)
        .and_then(|rest| rest.strip_prefix('/'))
        .ok_or_else(ApiError::no_endpoint)?;
    rest.split('/')
        .map(|segment| {
            percent_decode_str(segment)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| ApiError::no_endpoint())
        })
        .collect()
}

async fn read_body<B>(body: B) -> Result<Bytes, ApiError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(ApiError::TooLarge { limit: MAX_BODY }),
        Err(e) => Err(ApiError::Invalid(format!("could not read the request body: {e}"))),
    }
}

fn user_id(segment: &str) -> Result<UserId, ApiError> {
    UserId::parse(segment).ok_or_else(|| ApiError::NotFound(format!("user {segment:?} not found")))
}

fn team_id(segment: &str) -> Result<TeamId, ApiError> {
    TeamId::parse(segment).ok_or_else(|| ApiError::NotFound(format!("team {segment:?} not found")))
}

fn not_allowed(method: &Method, allow: &'static str) -> ApiError {
    ApiError::MethodNotAllowed {
        method: method.to_string(),
        allow,
    }
}

/// Turns the outcome of a request into the HTTP answer; the one place error bodies are built.
pub fn render(outcome: Result<Reply, ApiError>) -> Response<Full<Bytes>> {
    match outcome {
        Ok(Reply::Ok(body)) => json_response(StatusCode::OK, &body),
        Ok(Reply::Created { location, body }) => {
            let mut response = json_response(StatusCode::CREATED, &body);
            if let Ok(location) = HeaderValue::try_from(location) {
                response.headers_mut().insert(LOCATION, location);
            }
            response
        }
        Ok(Reply::NoContent) => {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::NO_CONTENT;
            response
        }
        Err(error) => {
            let body = json!({"error": {"code": error.code(), "message": error.to_string()}});
            let mut response = json_response(error.status(), &body);
            if let ApiError::MethodNotAllowed { allow, .. } = error {
                response.headers_mut().insert(ALLOW, HeaderValue::from_static(allow));
            }
            response
        }
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    // Serialising a `Value` cannot fail: every map key is a string.
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
