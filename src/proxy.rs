//! Reverse-proxy mode: a request outside the SCIM base paths is passed through to the product's own origin,
//! as an RFC 9110 §7.6 intermediary passes it. The router hands such a request here before authentication,
//! rate limits or body reads; nothing here touches tenants, mappings or caches.
//!
//! What reaches the product: the method, path and query byte for byte; the end-to-end header fields; `Host`
//! kept or rewritten; forwarding fields and `Via` added (see [`headers`]); the body streamed frame by frame
//! with hyper's back-pressure, never buffered. The answer comes back the same way. A `101 Switching Protocols`
//! (WebSocket) turns both connections into one byte tunnel (see [`upgrade`]). Whatever HTTP version the client
//! spoke, the product is spoken to in HTTP/1.1.
//!
//! Failures are plain HTTP errors, not SCIM bodies: these are not SCIM endpoints. Request smuggling is left no
//! opening: hyper refuses obs-fold, bare CR, conflicting `Content-Length`s and a `Transfer-Encoding` that does
//! not end in `chunked` with 400; with both `Transfer-Encoding` and `Content-Length` it frames by the former
//! and closes the connection after the answer (RFC 9112 §6.3); and the product always gets a message framed
//! anew from the body hyper decoded, never the client's framing fields.

mod body;
mod headers;
pub(crate) use headers::{X_FORWARDED_HOST, X_FORWARDED_PROTO};
mod error;
pub use error::ProxyError;
use error::render;
mod limit;
pub use limit::PerConnection;
mod silence;
mod upgrade;

use crate::auth::Authenticator;
use crate::metrics::{Metrics, RequestLabels};
use crate::request::Body;
use http::header::{CONNECTION, HeaderValue, UPGRADE};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Method, Request, Response, StatusCode, Uri, Version};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use silence::Activity;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use headers::{ForwardedStyle, HostMode, PeerFields};

/// How pass-through requests are rewritten and bounded.
#[derive(Debug, Clone)]
pub struct Options {
    /// What `Host` the product sees.
    pub host: HostMode,
    /// Which forwarding fields are added.
    pub forwarded: ForwardedStyle,
    /// Keep and append to the forwarding fields the client sent, instead of removing them.
    pub trust_forwarded: bool,
    /// Add `Via` to requests and responses.
    pub via: bool,
    /// Time the product may stay silent before its response headers: neither taking request body nor
    /// answering.
    pub timeout: Duration,
    /// Time an upgraded connection may carry no byte either way before both sides are closed; `None`: no limit.
    pub tunnel_idle: Option<Duration>,
    /// Exchanges in flight at once, across the gateway.
    pub max_in_flight: usize,
    /// Exchanges in flight at once on one client connection.
    pub max_in_flight_per_connection: usize,
    /// Time a request waits for a place within those bounds before it is answered 503.
    pub queue_timeout: Duration,
    /// Time a client may leave a part of an answer untaken before its connection is closed.
    pub response_stall: Duration,
}

/// The product's origin and the client that talks to it. It carries no product credentials: the product
/// authenticates pass-through requests itself.
pub struct Passthrough {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, body::Watched<Incoming>>,
    scheme: Scheme,
    authority: Authority,
    options: Options,
    /// The bounds on exchanges in flight.
    slots: limit::Slots,
    /// `https` or `http`: the listener's scheme, for `X-Forwarded-Proto` and `Forwarded: proto=`.
    listener_scheme: &'static str,
}

impl std::fmt::Debug for Passthrough {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passthrough")
            .field("origin", &self.origin())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// A request on its way to the product.
struct Sent {
    /// The client's pending response.
    response: hyper_util::client::legacy::ResponseFuture,
    /// When the product last showed progress (taking request body), and the client's side of the upload.
    upload: Arc<body::Upload>,
    /// The client's side of a protocol switch it asked for.
    client_upgrade: Option<hyper::upgrade::OnUpgrade>,
}

impl Passthrough {
    /// A pass-through to `origin` (`http[s]://host[:port]`, no path); `listener_scheme` is the gateway's own.
    pub fn new(
        origin: &str,
        options: Options,
        tls: rustls::ClientConfig,
        listener_scheme: &'static str,
    ) -> Result<Self, String> {
        let uri: Uri = origin.parse().map_err(|e| format!("not a URL: {e}"))?;
        let scheme = match uri.scheme_str() {
            Some("http") => Scheme::HTTP,
            Some("https") => Scheme::HTTPS,
            _ => return Err("expected an http:// or https:// URL".into()),
        };
        let authority = uri.authority().cloned().ok_or("the URL has no host")?;
        if authority.as_str().contains('@') {
            return Err("the URL must not carry user information".into());
        }
        if uri.path_and_query().is_some_and(|pq| pq.as_str() != "/") {
            return Err("expected an origin without path or query, like https://product.internal:8443".into());
        }
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(options.timeout));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        let slots = limit::Slots::new(
            options.max_in_flight,
            options.max_in_flight_per_connection,
            options.queue_timeout,
        );
        Ok(Passthrough {
            client,
            scheme,
            authority,
            slots,
            options,
            listener_scheme,
        })
    }

    /// The product's origin, for logs and `scimgate check` (it carries no credential).
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }

    /// How requests are rewritten and bounded.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Pass one request from the client at `peer` through and answer with the product's response (or a plain
    /// HTTP error); `forwarding` are that client's forwarding fields, `connection` what the pass-through keeps
    /// for its connection. The request waits for a place among those in flight (`limit`), is counted in
    /// `metrics` (those of the gateway this pass-through belongs to) and logged, both when the response head is
    /// ready; the body streams on after, holding its place.
    pub fn forward<'a>(
        &'a self,
        req: Request<Incoming>,
        peer: SocketAddr,
        forwarding: &'a PeerFields,
        connection: &'a Arc<PerConnection>,
        auth: &'a Authenticator,
        metrics: &'a Metrics,
    ) -> impl Future<Output = Response<Body>> + Send + 'a {
        let started = Instant::now();
        let method = req.method().clone();
        // A cheap clone (the bytes are shared), kept for the target and for the log line.
        let path_and_query = req.uri().path_and_query().cloned();
        // Most requests find a place at once: they are rewritten and handed to the product client before the
        // future is built, which then holds only what the answer needs (the pending response, its silence clock,
        // the fields of the log line), a few hundred bytes that hyper moves into its connection's slot on every
        // request. One that must wait for a place waits in a box, with its request.
        let ready = match self.slots.try_acquire(connection) {
            Some(slot) => Ok((slot, self.send(req, path_and_query.clone(), forwarding, auth, started))),
            None => Err(Box::new(req)),
        };
        async move {
            let answer = match ready {
                Ok((slot, Ok(sent))) => self.receive(sent, slot, connection).await,
                Ok((_, Err(e))) => Err(e),
                Err(req) => {
                    let queued = async {
                        let slot = self
                            .slots
                            .acquire(connection)
                            .await
                            .ok_or(ProxyError::Busy(self.slots.queue()))?;
                        let sent = self.send(*req, path_and_query.clone(), forwarding, auth, started)?;
                        self.receive(sent, slot, connection).await
                    };
                    Box::pin(queued).await
                }
            };
            let response = match answer {
                Ok(response) => response,
                Err(e) => {
                    let cause = std::error::Error::source(&e).map(ToString::to_string);
                    let cause = cause.as_deref().unwrap_or("-");
                    if e.status().is_client_error() {
                        tracing::info!(%peer, error = %e, cause, "pass-through refused: the client's fault");
                    } else {
                        tracing::warn!(%peer, error = %e, cause, "pass-through failed");
                    }
                    render(&e)
                }
            };
            let elapsed = started.elapsed();
            let status = response.status().as_u16();
            metrics.request(
                &RequestLabels {
                    tenant: Arc::from("-"),
                    resource: "passthrough",
                    operation: "forward",
                    status,
                },
                elapsed,
            );
            tracing::info!(
                message = "pass-through",
                %peer,
                method = method.as_str(),
                path = path_and_query.as_ref().map_or("", PathAndQuery::path),
                status,
                micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            );
            response
        }
    }

    /// Rewrite the request for the product and hand it to the client.
    fn send(
        &self,
        mut req: Request<Incoming>,
        path_and_query: Option<PathAndQuery>,
        forwarding: &PeerFields,
        auth: &Authenticator,
        started: Instant,
    ) -> Result<Sent, ProxyError> {
        if req.method() == Method::CONNECT {
            return Err(ProxyError::Connect);
        }
        let target = self.target(path_and_query)?;
        let protocol = upgrade::requested(&req);
        let client_upgrade = protocol.is_some().then(|| hyper::upgrade::on(&mut req));
        let (mut parts, body) = req.into_parts();
        let context = headers::Context {
            client_authority: headers::client_authority(&parts.uri, &parts.headers),
            origin_authority: &self.authority,
            peer: forwarding,
            proto: self.listener_scheme,
            version: parts.version,
        };
        headers::strip_scim_tokens(&mut parts.headers, |value| auth.is_scim_token(value));
        // The request goes on in the parts it came in: method and header map as they are, rewritten in place.
        headers::outbound(&mut parts.headers, &context, &self.options);
        if let Some(protocol) = protocol {
            // RFC 9110 §7.8: the upgrade is hop-by-hop, so it is asked anew on the product connection.
            parts.headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
            parts.headers.insert(UPGRADE, protocol);
        }
        parts.uri = target;
        // The product is spoken to in HTTP/1.1 whatever the client spoke; `headers::outbound` does what
        // RFC 9113 §8.2.3 asks of an HTTP/2 → HTTP/1.1 hop.
        parts.version = Version::HTTP_11;
        // What the listener attached to the request is the gateway's own, not the product's.
        parts.extensions.clear();
        let upload = Arc::new(body::Upload::new(Activity::since(started.into())));
        let out = Request::from_parts(parts, body::Watched::new(body, upload.clone()));
        Ok(Sent {
            response: self.client.request(out),
            upload,
            client_upgrade,
        })
    }

    /// The product's answer to a request [`Passthrough::send`] sent, unless the exchange stays silent for the
    /// timeout first: the product's fault (504) unless it was waiting for the client's body (408).
    async fn receive(
        &self,
        sent: Sent,
        slot: limit::Slot,
        connection: &Arc<PerConnection>,
    ) -> Result<Response<Body>, ProxyError> {
        let upload = sent.upload;
        let response = tokio::select! {
            biased;
            response = sent.response => response.map_err(|e| if upload.client_failed() {
                ProxyError::ClientBody(e)
            } else {
                ProxyError::Unreachable(e)
            })?,
            () = upload.activity.silent_for(self.options.timeout) => {
                return Err(if upload.awaiting_client() {
                    ProxyError::ClientTimeout(self.options.timeout)
                } else {
                    ProxyError::Timeout(self.options.timeout)
                });
            }
        };
        self.respond(response, sent.client_upgrade, slot, connection)
    }

    /// The origin joined with the request's path and query, exactly as received.
    fn target(&self, path_and_query: Option<PathAndQuery>) -> Result<Uri, ProxyError> {
        let path_and_query = path_and_query
            .filter(|pq| pq.as_str().starts_with('/'))
            .ok_or(ProxyError::BadTarget)?;
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(path_and_query);
        Uri::from_parts(parts).map_err(|_| ProxyError::BadTarget)
    }

    fn respond(
        &self,
        mut response: Response<Incoming>,
        client_upgrade: Option<hyper::upgrade::OnUpgrade>,
        slot: limit::Slot,
        connection: &Arc<PerConnection>,
    ) -> Result<Response<Body>, ProxyError> {
        let product_upgrade =
            (response.status() == StatusCode::SWITCHING_PROTOCOLS).then(|| hyper::upgrade::on(&mut response));
        let (mut parts, body) = response.into_parts();
        let switched_to = product_upgrade
            .is_some()
            .then(|| parts.headers.get(UPGRADE).cloned())
            .flatten();
        headers::inbound(&mut parts.headers, parts.version, &self.options);
        if let Some(product) = product_upgrade {
            let client = client_upgrade.ok_or(ProxyError::UnexpectedUpgrade)?;
            parts.headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
            if let Some(protocol) = switched_to {
                parts.headers.insert(UPGRADE, protocol);
            }
            // The tunnel holds the exchange's place while it is open.
            let idle = self.options.tunnel_idle;
            tokio::spawn(async move {
                let _slot = slot;
                upgrade::tunnel(client, product, idle).await;
            });
            let body = limit::Paced::new(body, None, connection.clone(), self.options.response_stall);
            return Ok(Response::from_parts(parts, body.map_err(Into::into).boxed_unsync()));
        }
        let body = limit::Paced::new(body, Some(slot), connection.clone(), self.options.response_stall);
        Ok(Response::from_parts(parts, body.map_err(Into::into).boxed_unsync()))
    }
}

#[cfg(test)]
mod tests;
