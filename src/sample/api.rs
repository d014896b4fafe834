//! The sample product's HTTP API under `/api/v1`: what every shape shares, and the dispatch to the shape's module.
//!
//! Every request is counted and logged, then (after the optional artificial delay) authenticated the shape's way,
//! read (at most [`MAX_BODY`] bytes, else 413), split into percent-decoded path segments and handed to the shape's
//! router (`classic`, `named`, `uuid`: a `match` on method and segments; each file documents its wire contract).
//! Errors become `{"error": {"code", "message"}}` in [`render`], the only place that builds an error response, in
//! every shape. Strict body parsing shared by the shapes is in `fields`, strict query strings in `query`.

mod base64;
mod classic;
mod fields;
mod named;
mod query;
mod uuid;

use std::convert::Infallible;
use std::error::Error as StdError;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE, LOCATION};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Body;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use super::Shape;
use super::error::ApiError;
use super::state::State;
use super::store::Store;

/// The largest request body the product reads: 1 MiB.
pub const MAX_BODY: usize = 1024 * 1024;

/// The path every endpoint lives under, in every shape.
pub const BASE_PATH: &str = "/api/v1";

/// The header of the named shape's list answers that carries the number of matches.
pub const TOTAL_COUNT: HeaderName = HeaderName::from_static("x-total-count");

/// A successful answer, before rendering.
#[derive(Debug)]
pub enum Reply {
    /// 200 with a JSON body.
    Ok(Value),
    /// 200 with a JSON body and the number of all matches in `X-Total-Count`.
    Counted {
        /// One page of matches.
        body: Value,
        /// How many objects match in all.
        total: u64,
    },
    /// 201 with a JSON body and a `Location` header.
    Created {
        /// The new object's path.
        location: String,
        /// The new object.
        body: Value,
    },
    /// 204 without a body.
    NoContent,
    /// 201 without a body, only a `Location` header.
    CreatedEmpty {
        /// The new object's path.
        location: String,
    },
}

/// One authenticated request, as the shape routers see it.
#[derive(Debug)]
pub struct Call<'a> {
    /// The method.
    pub method: &'a Method,
    /// The percent-decoded path segments after `/api/v1/`.
    pub segments: &'a [&'a str],
    /// The raw query string, if any.
    pub query: Option<&'a str>,
    /// The whole request body.
    pub body: &'a [u8],
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
    let (shape, key) = (state.shape(), state.api_key());
    match shape {
        Shape::Classic => classic::authorize(req.headers(), key)?,
        Shape::Named => named::authorize(req.headers(), key)?,
        Shape::Uuid => uuid::authorize(req.headers(), key)?,
    }
    let (parts, body) = req.into_parts();
    let segments = segments(parts.uri.path())?;
    let body = read_body(body).await?;
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let call = Call {
        method: &parts.method,
        segments: &segments,
        query: parts.uri.query(),
        body: &body,
    };
    match shape {
        Shape::Classic => classic::route(state, &call),
        Shape::Named => named::route(state, &call),
        Shape::Uuid => uuid::route(state, &call),
    }
}

/// Every user as `shape` renders one, in creation order (for the test hooks).
pub fn all_users(shape: Shape, store: &Store) -> Vec<Value> {
    let render = match shape {
        Shape::Classic => classic::user_json,
        Shape::Named => named::user_json,
        Shape::Uuid => uuid::user_json,
    };
    store.users().map(|user| render(store, user)).collect()
}

/// Every team as `shape` renders one, in creation order (for the test hooks).
pub fn all_teams(shape: Shape, store: &Store) -> Vec<Value> {
    let render = match shape {
        Shape::Classic => classic::team_json,
        Shape::Named => named::team_json,
        Shape::Uuid => uuid::team_json,
    };
    store.teams().map(|team| render(store, team)).collect()
}

/// The members of the team keyed `team` as `shape` keys users; `None` without such a team (for the test hooks).
pub fn team_members(shape: Shape, store: &Store, team: &str) -> Option<Vec<String>> {
    let team = match shape {
        Shape::Classic => classic::team_by_key(store, team),
        Shape::Named => store.team_by_name(team),
        Shape::Uuid => store.team_by_uuid(team),
    }?;
    let members = team.members.iter().filter_map(|id| store.user(*id));
    Some(match shape {
        Shape::Classic => members.map(|user| user.id.to_string()).collect(),
        Shape::Named => members
            .map(|user| user.fields.login.clone().unwrap_or_default())
            .collect(),
        Shape::Uuid => members.map(|user| user.uuid.clone()).collect(),
    })
}

/// The credentials after `scheme` (compared case-insensitively) in the `Authorization` header, if it has that scheme.
fn credentials<'h>(headers: &'h HeaderMap, scheme: &str) -> Option<&'h [u8]> {
    let value = headers.get(http::header::AUTHORIZATION)?.as_bytes();
    let (sent_scheme, rest) = value.split_at_checked(scheme.len())?;
    let rest = rest.strip_prefix(b" ")?;
    sent_scheme
        .eq_ignore_ascii_case(scheme.as_bytes())
        .then(|| rest.trim_ascii())
}

/// Whether `sent` is the API key, compared in constant time (for keys of the right length).
fn is_key(sent: &[u8], key: &[u8]) -> bool {
    bool::from(sent.ct_eq(key))
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
        Ok(Reply::Counted { body, total }) => {
            let mut response = json_response(StatusCode::OK, &body);
            response.headers_mut().insert(TOTAL_COUNT, HeaderValue::from(total));
            response
        }
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
        Ok(Reply::CreatedEmpty { location }) => {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::CREATED;
            if let Ok(location) = HeaderValue::try_from(location) {
                response.headers_mut().insert(LOCATION, location);
            }
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
