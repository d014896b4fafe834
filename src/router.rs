//! The SCIM router: strip the base path, authenticate, rate-limit, read the body within its limit, match the
//! endpoint, call the operation, and render the answer — errors in the RFC 7644 §3.12 shape, in one place.

mod client;
mod dispatch;
mod route;
mod write;

pub use route::Route;

use crate::audit;
use crate::gateway::{Gateway, Peer};
use crate::metrics::{RequestLabels, TenantLabels};
use crate::ops::{Context, Reply};
use crate::proxy::{X_FORWARDED_HOST, X_FORWARDED_PROTO};
use crate::ratelimit::Attempt;
use crate::request::Body;
use crate::scim::{self, ScimType};
use crate::tenant::Tenant;
use crate::upstream::PRODUCT_CALLS;
use bytes::Bytes;
use http::header::{
    ALLOW, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, ETAG, EXPECT, HOST, IF_MATCH, LOCATION, RETRY_AFTER,
    WWW_AUTHENTICATE,
};
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use std::cell::Cell;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tracing::Instrument as _;

/// Media type of every SCIM answer (RFC 7644 §3.1).
pub const SCIM_JSON: &str = "application/scim+json";

/// The answer to one HTTP request from `peer`, as the listener's service returns it. The branch is taken before
/// the future is built, so that each kind of request carries only its own state: hyper moves the future into its
/// connection's slot on every request, and a SCIM request's state is kilobytes. A pass-through request's future
/// holds the product exchange alone; a SCIM request's is boxed.
pub fn answer(
    gw: Arc<Gateway>,
    req: Request<Incoming>,
    peer: Arc<Peer>,
) -> impl Future<Output = Response<Body>> + Send {
    use futures_util::future::Either;
    // Reverse-proxy mode: a request outside the SCIM base paths leaves for the product at once, before
    // authentication, rate limits or body reads; the product does its own authentication. It is counted and
    // logged in `forward`, to the response head; the body streams on after.
    if passes_through(&gw, req.uri().path()) {
        Either::Left(async move {
            match &gw.passthrough {
                Some(proxy) => {
                    proxy
                        .forward(
                            req,
                            peer.addr(),
                            peer.forwarding(),
                            peer.passthrough(),
                            &gw.auth,
                            &gw.metrics,
                        )
                        .await
                }
                // Not reached (`passes_through` said there is one): answered as without a pass-through, boxed so
                // as not to weigh on the above.
                None => Box::pin(handle(&gw, req, &peer)).await,
            }
        })
    } else {
        Either::Right(Box::pin(async move { handle(&gw, req, &peer).await }))
    }
}

/// Answer a SCIM request (one that [`passes_through`] does not send to the product); never fails: every error
/// becomes a SCIM error response.
pub async fn handle(gw: &Arc<Gateway>, mut req: Request<Incoming>, peer: &Peer) -> Response<Body> {
    let started = Instant::now();
    // Whether the request timeout found the client still sending its body (`read_json`): its fault, not the product's.
    let reading = BodyRead::default();
    req.extensions_mut().insert(reading.clone());
    let request_id = request_id(req.headers());
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let route = scim_rest(gw, &path).and_then(Route::parse);
    let admitted = match header_count(gw, &req).and_then(|()| admit(gw, &req)) {
        Ok(tenant) => Ok(tenant),
        Err(e) => Err(throttled(gw, &req, peer, e).await),
    };
    // Known from authentication on, so that even a request failing later is logged with its tenant.
    let tenant = admitted.as_ref().ok().cloned();
    let mut product_calls = 0;
    // Set once a write runs in its own task, which then writes the audit line of its outcome.
    let handed_over = AtomicBool::new(false);
    let outcome = match rate_limited(gw, admitted).await {
        Ok(t) => {
            // What the operation logs on its way (a product call retried, a member left out) names the request.
            let span = tracing::info_span!("request", request_id = request_id.as_str(), tenant = t.id.as_str());
            let ctx = Context {
                tenant: t,
                base_url: base_url(gw, &req),
                settings: &gw.settings,
                if_match: req
                    .headers()
                    .get(IF_MATCH)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
            };
            let counted = PRODUCT_CALLS.scope(Cell::new(0), async {
                // Boxed: the operations' state is several kilobytes, better allocated once than moved through each wrapper.
                let operation = Box::pin(dispatch::operate(gw, ctx, route, req, &handed_over));
                let outcome = tokio::time::timeout(gw.settings.request_timeout, operation).await.ok();
                (outcome, PRODUCT_CALLS.with(Cell::get))
            });
            let (outcome, calls) = counted.instrument(span).await;
            // What the operation evicted from the id cache reaches the other replicas before the IdP can ask them.
            if let Some(shared) = &gw.shared {
                shared.flushed().await;
            }
            product_calls = calls;
            match outcome {
                Some(outcome) => outcome,
                None if reading.0.load(Ordering::Acquire) => Err(scim::Error::new(
                    StatusCode::REQUEST_TIMEOUT,
                    format!(
                        "the request body did not arrive within limits.request_timeout ({:?})",
                        gw.settings.request_timeout
                    ),
                )),
                // A write handed to its task goes on to its end and its audit line.
                None => Err(
                    scim::Error::new(StatusCode::GATEWAY_TIMEOUT, "the request took too long").with_cause(format!(
                        "the request did not finish within limits.request_timeout ({:?})",
                        gw.settings.request_timeout
                    )),
                ),
            }
        }
        Err(e) => Err(e),
    };
    // Why a request failed on the gateway's or the product's side, for the log line; the client has the detail.
    let cause = match &outcome {
        Err(e) if e.status.is_server_error() => Some(e.cause.clone().unwrap_or_else(|| e.detail.clone())),
        _ => None,
    };
    let mut response = match outcome {
        Ok(reply) => render(reply),
        Err(e) => render_error(&e),
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, v);
    }
    let status = response.status();
    if status == StatusCode::METHOD_NOT_ALLOWED
        && let Some((route, _)) = route
    {
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static(route.allow()));
    }
    // A write that failed before it reached its task (rate limit, body) is in the audit trail too, with its
    // status; the task records its own outcome, successes where they happen.
    if let Some(t) = &tenant
        && status.as_u16() >= 400
        && !handed_over.load(Ordering::Acquire)
        && let Some((route, id)) = route
        && let Some((resource, action)) = route.audit(&method)
    {
        let target = write::target(id, &serde_json::Value::Null);
        audit::record_failure(t.id.as_str(), resource, action, &target, status.as_str());
    }
    let (resource, operation) = route.map_or(("other", "other"), |(route, _)| {
        (route.resource(), route.operation(&method))
    });
    gw.metrics.request(
        &RequestLabels {
            tenant: tenant.as_ref().map_or_else(|| Arc::from("-"), |t| t.id.label()),
            resource,
            operation,
            status: status.as_u16(),
        },
        started.elapsed(),
    );
    tracing::info!(
        message = "request",
        request_id = request_id.as_str(),
        peer = %peer.addr(),
        method = method.as_str(),
        path = path.as_str(),
        tenant = tenant.as_ref().map_or("-", |t| t.id.as_str()),
        status = status.as_u16(),
        resource,
        operation,
        product_calls,
        micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        cause,
    );
    response.map(|body| body.map_err(|never| match never {}).boxed_unsync())
}

/// Header carrying the request id, taken from the IdP when it sends one.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Entra ID's request id.
const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("client-request-id");

/// The IdP's request id (`client-request-id` from Entra, `X-Request-Id`) when it is short and printable, else a
/// fresh one.
fn request_id(headers: &http::HeaderMap) -> String {
    let sent = [CLIENT_REQUEST_ID, REQUEST_ID]
        .iter()
        .find_map(|h| headers.get(h)?.to_str().ok());
    match sent {
        Some(id) if !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()) => id.to_owned(),
        _ => fresh_request_id(rand::random::<u64>()),
    }
}

/// `bits` as sixteen lowercase hex digits: what `format!("{bits:016x}")` writes.
fn fresh_request_id(bits: u64) -> String {
    hex::encode(bits.to_be_bytes())
}

/// HTTP/1.1 header counts are bounded by the connection's parser; HTTP/2 header lists only by size, so the count
/// is checked here for both.
fn header_count(gw: &Gateway, req: &Request<Incoming>) -> Result<(), scim::Error> {
    if req.headers().len() > gw.settings.max_headers {
        return Err(scim::Error::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!("the request has more than {} headers", gw.settings.max_headers),
        ));
    }
    Ok(())
}

/// A request that was not admitted: a failed authentication is counted against its client address and
/// credential, and answered 429 instead of 401 once that pair has failed too often. A valid token never gets here.
async fn throttled(gw: &Gateway, req: &Request<Incoming>, peer: &Peer, e: scim::Error) -> scim::Error {
    if e.status != StatusCode::UNAUTHORIZED {
        return e;
    }
    gw.metrics.auth_failures.inc();
    let addr = client::address(req.headers(), peer.addr().ip(), gw.settings.trust_forwarded_headers);
    let credential = req.headers().get(AUTHORIZATION).map(HeaderValue::as_bytes);
    let attempt = Attempt::new(addr, credential);
    match gw.auth_throttle.failed_anywhere(attempt).await {
        Ok(()) => e,
        Err(refused) => refused,
    }
}

/// An admitted request within its tenant's rate limit (across replicas when state is shared), or 429.
async fn rate_limited(gw: &Gateway, admitted: Result<Arc<Tenant>, scim::Error>) -> Result<Arc<Tenant>, scim::Error> {
    let tenant = admitted?;
    match tenant.rate_limit.admit().await {
        Ok(()) => Ok(tenant),
        Err(limited) => {
            gw.metrics
                .rate_limited
                .get_or_create(&TenantLabels {
                    tenant: tenant.id.label(),
                })
                .inc();
            Err(limited.into())
        }
    }
}

/// Base path and authentication: the tenant (on a host it may be used on).
fn admit(gw: &Gateway, req: &Request<Incoming>) -> Result<Arc<Tenant>, scim::Error> {
    scim_rest(gw, req.uri().path()).ok_or_else(|| scim::Error::not_found("no such endpoint"))?;
    let tenant = gw.auth.authenticate(req.headers())?;
    if gw.auth.host_matters(&tenant) {
        gw.auth.admits_on(&tenant, host_name(req).as_deref())?;
    }
    Ok(tenant)
}

/// Whether a request for `path` is passed through to the product: reverse-proxy mode is on and the path is
/// outside every SCIM base path.
pub fn passes_through(gw: &Gateway, path: &str) -> bool {
    gw.passthrough.is_some() && scim_rest(gw, path).is_none()
}

/// The path below whichever SCIM base path `path` is under.
fn scim_rest<'p>(gw: &Gateway, path: &'p str) -> Option<&'p str> {
    gw.settings.base_paths.iter().find_map(|base| strip_base(path, base))
}

/// The host the request was sent to (the URI's authority, else `Host`), lowercase, without port or final dot.
fn host_name(req: &Request<Incoming>) -> Option<String> {
    let authority = match req.uri().authority() {
        Some(a) => a.host().to_owned(),
        None => {
            let host = req.headers().get(HOST)?.to_str().ok()?;
            host.parse::<http::uri::Authority>().ok()?.host().to_owned()
        }
    };
    Some(authority.trim_end_matches('.').to_ascii_lowercase())
}

/// The part of `path` after the base path, if it is under it (on a segment boundary).
fn strip_base<'p>(path: &'p str, base: &str) -> Option<&'p str> {
    let rest = path.strip_prefix(base)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// Percent-decode an id segment and refuse what cannot be an id: the id is data, never a path.
fn decode_id(segment: &str) -> Result<String, scim::Error> {
    let decoded = percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map_err(|_| scim::Error::not_found("resource not found"))?;
    if decoded.is_empty() || decoded.len() > 1024 || decoded.chars().any(char::is_control) {
        return Err(scim::Error::not_found("resource not found"));
    }
    Ok(decoded.into_owned())
}

/// Read a JSON body within the size limit, after checking its media type.
async fn read_json(gw: &Gateway, req: Request<Incoming>) -> Result<serde_json::Value, scim::Error> {
    let limit = gw.settings.max_body_bytes;
    let too_large = || {
        scim::Error::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {limit} bytes"),
        )
    };
    let media = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = media.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !(essence == SCIM_JSON || essence == "application/json" || essence.is_empty()) {
        return Err(scim::Error::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send application/scim+json or application/json",
        ));
    }
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let expects_continue = req.headers().contains_key(EXPECT);
    let reading = req.extensions().get::<BodyRead>().cloned().unwrap_or_default();
    let mut body = req.into_body();
    // Until the body is read (or a refused one drained), a request timeout is the client's fault.
    reading.0.store(true, Ordering::Release);
    if let Some(declared) = declared.filter(|n| *n > limit) {
        // A client waiting for `100 Continue` sends nothing unless asked; one sending anyway is drained.
        if !expects_continue && declared <= DRAIN_BYTES {
            drain(&mut body).await;
        }
        return Err(too_large());
    }
    let read = Limited::new(&mut body, limit as usize).collect().await;
    let bytes = match read {
        Ok(bytes) => {
            reading.0.store(false, Ordering::Release);
            bytes
        }
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            drain(&mut body).await;
            return Err(too_large());
        }
        Err(_) => {
            return Err(scim::Error::bad_request(
                ScimType::InvalidSyntax,
                "the request body could not be read",
            ));
        }
    };
    scim::body::parse(&bytes.to_bytes(), gw.settings.max_json_depth)
}

/// Set while a request's body is being read, so that a request timeout can tell a slow client (408) from a
/// slow product (504).
#[derive(Debug, Clone, Default)]
struct BodyRead(Arc<AtomicBool>);

/// The most of a refused body read and discarded, and for how long, before the 413 is sent.
const DRAIN_BYTES: u64 = 8 << 20;
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Read and discard what is left of a body refused as too large, up to a bound, so that the client reads the
/// 413: an HTTP/1.1 client that writes its whole body before reading would otherwise meet a closed connection,
/// and an HTTP/2 one a reset stream.
async fn drain(body: &mut Incoming) {
    let mut left = DRAIN_BYTES;
    let discard = async {
        while left > 0
            && let Some(Ok(frame)) = body.frame().await
        {
            let len = frame.data_ref().map_or(0, |d| d.len() as u64);
            left = left.saturating_sub(len);
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, discard).await;
}

/// The SCIM base URL for `meta.location`: configured; else, when the operator trusts them, from the first
/// `X-Forwarded-Proto` / `X-Forwarded-Host`; else from the request's authority and the listener's scheme.
fn base_url(gw: &Gateway, req: &Request<Incoming>) -> String {
    let s = &gw.settings;
    if let Some(url) = &s.public_url {
        return url.clone();
    }
    // Only looked up when the operator trusts them.
    let forwarded = |name: &HeaderName| s.trust_forwarded_headers.then(|| first_value(req, name)).flatten();
    let host_like = |h: &&str| !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    let authority = forwarded(&X_FORWARDED_HOST)
        .filter(host_like)
        .or_else(|| req.uri().authority().map(http::uri::Authority::as_str))
        .or_else(|| first_value(req, &HOST))
        .filter(host_like)
        .unwrap_or("localhost");
    let scheme = match forwarded(&X_FORWARDED_PROTO) {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        Some(p) if p.eq_ignore_ascii_case("http") => "http",
        _ => s.scheme,
    };
    let base = s
        .base_paths
        .iter()
        .find(|b| strip_base(req.uri().path(), b).is_some())
        .unwrap_or(&s.base_path);
    let mut url = String::with_capacity(scheme.len() + 3 + authority.len() + base.len());
    url.push_str(scheme);
    url.push_str("://");
    url.push_str(authority);
    url.push_str(base);
    url
}

/// The first value of a header a chain of proxies appends to (the one the client used), trimmed.
fn first_value<'r>(req: &'r Request<Incoming>, name: &HeaderName) -> Option<&'r str> {
    let value = req.headers().get(name)?.to_str().ok()?;
    Some(value.split(',').next()?.trim())
}

fn render(reply: Reply) -> Response<Full<Bytes>> {
    let mut builder = Response::builder().status(reply.status);
    if let Some(location) = reply.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        builder = builder.header(LOCATION, location);
    }
    if let Some(etag) = reply.etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
        builder = builder.header(ETAG, etag);
    }
    let serialized = reply.body.map(|body| serde_json::to_vec(&body));
    let response = match serialized {
        Some(Ok(bytes)) => builder
            .header(CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON))
            .body(Full::new(Bytes::from(bytes))),
        Some(Err(_)) => return render_error(&scim::Error::internal("the response could not be serialized")),
        None => builder.body(Full::new(Bytes::new())),
    };
    response.unwrap_or_else(|_| render_error(&scim::Error::internal("the response could not be built")))
}

/// The one place a SCIM error becomes a response.
pub fn render_error(e: &scim::Error) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(e.to_body().to_string())));
    *response.status_mut() = e.status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    if e.status == StatusCode::UNAUTHORIZED {
        headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"scimgate\""));
    }
    if let Some(after) = e.retry_after {
        headers.insert(RETRY_AFTER, HeaderValue::from(after.as_secs().max(1)));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_path_matches_on_segment_boundaries() {
        assert_eq!(strip_base("/scim/v2/Users", "/scim/v2"), Some("/Users"));
        assert_eq!(strip_base("/scim/v2", "/scim/v2"), Some(""));
        assert_eq!(strip_base("/scim/v20/Users", "/scim/v2"), None);
        assert_eq!(strip_base("/other", "/scim/v2"), None);
    }

    #[test]
    fn fresh_request_ids_are_sixteen_hex_digits() {
        for bits in [0, 1, 0xdead_beef, u64::MAX, 0x0123_4567_89ab_cdef] {
            assert_eq!(fresh_request_id(bits), format!("{bits:016x}"));
        }
    }

    #[test]
    fn ids_are_decoded_and_control_characters_refused() {
        assert_eq!(decode_id("a%2Fb").unwrap(), "a/b");
        assert!(decode_id("a%0Db").is_err());
        assert!(decode_id("%00").is_err());
        assert!(decode_id("%FF").is_err());
    }

    fn answer_size<F>(_: fn(Arc<Gateway>, Request<Incoming>, Arc<Peer>) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    #[test]
    fn the_answer_future_stays_small() {
        // hyper moves each request's future into its connection's slot: a SCIM request's kilobytes are boxed.
        let answer = answer_size(answer);
        assert!(answer <= 1024, "router::answer's future is {answer} bytes");
    }

    #[test]
    fn unauthorized_carries_www_authenticate_and_429_retry_after() {
        let r = render_error(&scim::Error::unauthorized("no"));
        assert_eq!(r.headers()[WWW_AUTHENTICATE], "Bearer realm=\"scimgate\"");
        let r = render_error(&scim::Error::too_many_requests(std::time::Duration::from_secs(3)));
        assert_eq!(r.headers()[RETRY_AFTER], "3");
        assert_eq!(r.headers()[CONTENT_TYPE], SCIM_JSON);
    }
}
