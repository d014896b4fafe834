//! The endpoint `match`: a request read into a [`Call`] (its body only where the endpoint takes one), then the
//! operation of its route — a write handed to a task of its own (`write`), anything else run in place.

use super::route::Route;
use super::{decode_id, read_json, write};
use crate::gateway::Gateway;
use crate::ops::{self, Context, Reply};
use crate::scim;
use http::{Method, Request, StatusCode};
use hyper::body::Incoming;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A SCIM request as its operation takes it: the endpoint, its id segment (still percent-encoded), the method, the
/// query string and the JSON body (`Null` for a request without one).
pub struct Call {
    route: Route,
    pub(super) id: Option<String>,
    method: Method,
    query: Option<String>,
    pub(super) body: serde_json::Value,
}

impl Call {
    /// The request, its body read when the endpoint serves the method with one (the cross-type `/.search`,
    /// refused with 501, is not read).
    async fn read(gw: &Gateway, route: Route, id: Option<&str>, req: Request<Incoming>) -> Result<Call, scim::Error> {
        let method = req.method().clone();
        let query = req.uri().query().map(str::to_owned);
        let has_body = matches!(method, Method::POST | Method::PUT | Method::PATCH);
        let body = if has_body && route.allows(&method) && route != Route::Search {
            read_json(gw, req).await?
        } else {
            serde_json::Value::Null
        };
        Ok(Call {
            route,
            id: id.map(str::to_owned),
            method,
            query,
            body,
        })
    }
}

/// Read the request and run its operation: a write in a task of its own (`write`), anything else here.
pub async fn operate(
    gw: &Arc<Gateway>,
    ctx: Context<'_>,
    route: Option<(Route, Option<&str>)>,
    req: Request<Incoming>,
    handed_over: &AtomicBool,
) -> Result<Reply, scim::Error> {
    let Some((route, id)) = route else {
        return Err(scim::Error::not_found("no such endpoint"));
    };
    let audit = route.audit(req.method());
    let call = Call::read(gw, route, id, req).await?;
    let Some(audit) = audit else {
        return dispatch(&ctx, call).await;
    };
    handed_over.store(true, Ordering::Release);
    let Context {
        tenant,
        base_url,
        if_match,
        ..
    } = ctx;
    write::Write {
        gw: gw.clone(),
        tenant,
        base_url,
        if_match,
        call,
        audit,
    }
    .run()
    .await
}

/// Run the operation of the endpoint a call names.
pub async fn dispatch(ctx: &Context<'_>, call: Call) -> Result<Reply, scim::Error> {
    let Call {
        route,
        id,
        method,
        query,
        body,
    } = call;
    let id = || decode_id(id.as_deref().unwrap_or(""));
    match (route, &method) {
        (Route::Users, &Method::GET) => ops::users::list(ctx, ops::list_query(ctx, query.as_deref())?).await,
        (Route::Users, &Method::POST) => ops::users::create(ctx, body).await,
        (Route::UsersSearch, &Method::POST) => ops::users::list(ctx, ops::search_query(ctx, &body)?).await,
        (Route::User, &Method::GET) => ops::users::get(ctx, &id()?, query.as_deref()).await,
        (Route::User, &Method::PUT) => ops::users::replace(ctx, &id()?, body).await,
        (Route::User, &Method::PATCH) => ops::users::patch(ctx, &id()?, body).await,
        (Route::User, &Method::DELETE) => ops::users::delete(ctx, &id()?).await,
        (Route::Groups, &Method::GET) => ops::groups::list(ctx, ops::list_query(ctx, query.as_deref())?).await,
        (Route::Groups, &Method::POST) => ops::groups::create(ctx, body).await,
        (Route::GroupsSearch, &Method::POST) => ops::groups::list(ctx, ops::search_query(ctx, &body)?).await,
        (Route::Group, &Method::GET) => ops::groups::get(ctx, &id()?, query.as_deref()).await,
        (Route::Group, &Method::PUT) => ops::groups::replace(ctx, &id()?, body).await,
        (Route::Group, &Method::PATCH) => ops::groups::patch(ctx, &id()?, body).await,
        (Route::Group, &Method::DELETE) => ops::groups::delete(ctx, &id()?).await,
        // RFC 7644 §3.4.3 lets a server search every resource type at once at the root; this one searches one type
        // at a time, and RFC 7644 §3.12 names 501 for an operation a service provider does not support.
        (Route::Search, &Method::POST) => Err(scim::Error::new(
            StatusCode::NOT_IMPLEMENTED,
            "searching several resource types at once is not supported; use /Users/.search or /Groups/.search",
        )),
        (Route::ServiceProviderConfig, &Method::GET) => {
            let filter = ops::discovery::filter_param(query.as_deref());
            ops::discovery::service_provider_config(ctx, filter.as_deref())
        }
        (Route::ResourceTypes, &Method::GET) => ops::discovery::resource_types(ctx, None),
        (Route::ResourceType, &Method::GET) => ops::discovery::resource_types(ctx, Some(&id()?)),
        (Route::Schemas, &Method::GET) => ops::discovery::schemas(ctx, None),
        (Route::Schema, &Method::GET) => ops::discovery::schemas(ctx, Some(&id()?)),
        // The `Allow` header of the answer is the route's own list (`handle`).
        (route, _) => Err(scim::Error::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("method not allowed here; allowed: {}", route.allow()),
        )),
    }
}
