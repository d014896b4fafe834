//! The bundled "legacy" sample product: an in-memory user/team REST service that knows nothing about SCIM.
//!
//! The gateway is configured to translate SCIM onto it; tests and `scimgate demo` run it in-process
//! ([`SampleProduct::start`]), and `scimgate sample-product --listen ADDR [--shape S]` runs it as its own process
//! ([`serve`]). It speaks HTTP/1.1 and h2c (prior knowledge) under `/api/v1` and answers errors with
//! `{"error": {"code", "message"}}`. The same data can be served in three API [`Shape`]s, so that one SCIM suite can
//! run against each with only the gateway's mapping differing; each shape's wire contract is documented in its own
//! module (`api/classic.rs`, `api/named.rs`, `api/uuid.rs`).
//!
//! This file owns the public handle, the shape choice and the accept loop; `api` authenticates, routes and renders
//! per shape, `store` holds and checks the shape-neutral data, `state` is what the connections share, `error` is the
//! product's error enum.

mod api;
mod error;
mod state;
mod store;

#[cfg(test)]
mod tests;

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use self::state::State;

/// The API shape the sample product speaks: how it authenticates, names objects, pages and renders JSON.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Shape {
    /// Integer ids, `X-Api-Key`, PATCH and PUT, page/per_page paging, member endpoints (see `api/classic.rs`).
    #[default]
    Classic,
    /// Users and teams keyed by a mutable name, bearer auth, PUT only, offset paging, members on the team object
    /// (see `api/named.rs`).
    Named,
    /// UUID ids, HTTP Basic, enveloped JSON, PATCH only, cursor paging, team ids on the user (see `api/uuid.rs`).
    Uuid,
}

impl Shape {
    /// Every shape, in the order they were added.
    pub const ALL: [Shape; 3] = [Shape::Classic, Shape::Named, Shape::Uuid];

    /// The name of the shape, as `--shape` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Classic => "classic",
            Shape::Named => "named",
            Shape::Uuid => "uuid",
        }
    }

    /// How a client authenticates in this shape, for humans.
    pub fn auth_hint(self) -> &'static str {
        match self {
            Shape::Classic => "X-Api-Key: <key>",
            Shape::Named => "Authorization: Bearer <key>",
            Shape::Uuid => "HTTP Basic, user \"api\", password <key>",
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A shape name that is none of `classic`, `named`, `uuid`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown sample product shape {0:?} (expected classic, named or uuid)")]
pub struct UnknownShape(String);

impl FromStr for Shape {
    type Err = UnknownShape;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Shape::ALL
            .into_iter()
            .find(|shape| shape.as_str() == text)
            .ok_or_else(|| UnknownShape(text.to_owned()))
    }
}

/// Options of one sample product instance.
#[derive(Clone)]
pub struct SampleOptions {
    /// The API key clients must send (how depends on the shape: [`Shape::auth_hint`]).
    pub api_key: String,
    /// Artificial delay before each answer (for benchmarks); None = answer at once.
    pub delay: Option<Duration>,
    /// The API shape to speak; [`Shape::Classic`] by default.
    pub shape: Shape,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            api_key: "sample-key".to_owned(),
            delay: None,
            shape: Shape::Classic,
        }
    }
}

impl fmt::Debug for SampleOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SampleOptions")
            .field("api_key", &"…")
            .field("delay", &self.delay)
            .field("shape", &self.shape)
            .finish()
    }
}

/// A running sample product (in-process task). Dropping it stops it.
pub struct SampleProduct {
    addr: SocketAddr,
    state: Arc<State>,
    stop: watch::Sender<bool>,
}

// === impl SampleProduct ===

impl SampleProduct {
    /// Bind 127.0.0.1:0 (or the given listener) and serve in a background tokio task.
    pub async fn start(opts: SampleOptions) -> io::Result<SampleProduct> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        SampleProduct::start_on(listener, opts).await
    }

    /// Serve on `listener` in a background tokio task.
    pub async fn start_on(listener: TcpListener, opts: SampleOptions) -> io::Result<SampleProduct> {
        let addr = listener.local_addr()?;
        let state = Arc::new(State::new(&opts));
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(accept_loop(listener, Arc::clone(&state), stopped));
        Ok(SampleProduct { addr, state, stop })
    }

    /// The address the product listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base of the API, e.g. `http://127.0.0.1:4711/api/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.addr, api::BASE_PATH)
    }

    /// Number of API requests served so far (every request, including 4xx).
    pub fn request_count(&self) -> u64 {
        self.state.request_count()
    }

    /// The (method, path-with-query) of every request served so far, in order — lets tests assert which calls the
    /// gateway made. Only the most recent 100 000 are kept.
    pub fn request_log(&self) -> Vec<(String, String)> {
        self.state.request_log()
    }

    /// The API shape this product speaks.
    pub fn shape(&self) -> Shape {
        self.state.shape()
    }

    /// All users as this shape renders one user (without the uuid shape's `{"data": …}` envelope), in creation order.
    pub fn users(&self) -> Vec<serde_json::Value> {
        api::all_users(self.state.shape(), &self.state.store())
    }

    /// All teams as this shape renders one team (without an envelope), in creation order.
    pub fn teams(&self) -> Vec<serde_json::Value> {
        api::all_teams(self.state.shape(), &self.state.store())
    }

    /// The members of the team whose key is `team` (its id in the classic shape, e.g. `"1"`; its name in the named
    /// shape, case-insensitively; its UUID in the uuid shape), as this shape names users (the id as text, the
    /// username, the UUID), in creation order of the users. `None` if there is no such team.
    pub fn team_members(&self, team: &str) -> Option<Vec<String>> {
        api::team_members(self.state.shape(), &self.state.store(), team)
    }

    /// Stop serving (also on Drop): no new connections are accepted and open ones are closed.
    pub fn shutdown(&self) {
        self.stop.send_replace(true);
    }
}

impl Drop for SampleProduct {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl fmt::Debug for SampleProduct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SampleProduct")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Serve until ctrl-c / the future is dropped (for the `sample-product` command). Logs the listen address with
/// `tracing::info`.
pub async fn serve(listener: TcpListener, opts: SampleOptions) -> io::Result<()> {
    let product = SampleProduct::start_on(listener, opts).await?;
    tracing::info!(addr = %product.addr(), base_url = %product.base_url(), shape = %product.shape(),
        "sample product listening");
    tokio::signal::ctrl_c().await?;
    tracing::info!(requests = product.request_count(), "sample product stopping");
    product.shutdown();
    Ok(())
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut stopped: watch::Receiver<bool>) {
    loop {
        // A dropped sender (the handle is gone) ends the loop just like an explicit shutdown.
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.wait_for(|stop| *stop) => break,
        };
        match accepted {
            Ok((stream, _)) => {
                tokio::spawn(serve_connection(stream, Arc::clone(&state), stopped.clone()));
            }
            Err(error) => {
                // Usually out of file descriptors: back off instead of spinning.
                tracing::warn!(%error, "sample product: accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn serve_connection(stream: TcpStream, state: Arc<State>, mut stopped: watch::Receiver<bool>) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "sample product: could not set TCP_NODELAY");
    }
    let service = service_fn(move |req| api::handle(Arc::clone(&state), req));
    let builder = auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = connection => {
            if let Err(error) = result {
                tracing::debug!(%error, "sample product: connection ended with an error");
            }
        }
        _ = stopped.wait_for(|stop| *stop) => {}
    }
}
