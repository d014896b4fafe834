//! The listener: TCP accept, TLS (rustls via tokio-rustls), HTTP/1.1 and HTTP/2 through hyper-util's auto
//! builder, connection limits (at once, and per client address: `clients`), header-read, handshake and idle
//! timeouts (`idle`), HTTP/2 keep-alive PINGs, the checks of a request's head that hyper leaves to its user
//! (`edge`), and graceful shutdown that lets in-flight requests finish (hyper-util's `GracefulShutdown`).

pub mod clients;
pub mod edge;
pub mod idle;
pub mod live;
pub mod tls;

pub use live::Live;

use crate::gateway::{Gateway, Peer};
use futures_util::future::Either;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// Time a client has to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serve `gateway` on `listener` until `shutdown` resolves, then drain open connections.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    gateway: Arc<Gateway>,
    shutdown: impl Future<Output = ()>,
) {
    serve_live(listener, Arc::new(Live::new(gateway, tls)), shutdown).await;
}

/// Serve whatever `live` holds, picking up reloads: each connection uses the TLS config current when it arrives,
/// each request the gateway current when it arrives. Listener limits (header sizes, connection slots, timeouts)
/// are read once, at start.
pub async fn serve_live(listener: TcpListener, live: Arc<Live>, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    let first = live.gateway();
    let limits = &first.settings;
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(edge::read_buffer(limits.max_header_bytes))
        .max_headers(limits.max_headers);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.http2_keep_alive_interval)
        .keep_alive_timeout(limits.http2_keep_alive_timeout)
        .max_concurrent_streams(128)
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX));
    let idle_timeout = limits.idle_timeout;
    // Connections served at once; the accept loop waits for a free slot, leaving further clients in the backlog.
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let per_client = clients::PerClient::new(limits.max_connections_per_client);
    let builder = Arc::new(builder);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(held) = per_client.admit(peer.ip()) else {
            // Closed before the handshake: the slot goes back at once.
            live.gateway().metrics.connections_refused.inc();
            tracing::debug!(%peer, "connection refused: its address holds limits.max_connections_per_client");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let live = live.clone();
        let builder = builder.clone();
        let acceptor = live.tls().map(TlsAcceptor::from);
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _slot = (slot, held);
            let client = Arc::new(Peer::new(peer));
            let stalled = client.passthrough().clone();
            let idle = idle::Idle::new();
            let exchanges = idle.clone();
            let service = service_fn(move |req| {
                let busy = exchanges.enter();
                let gateway = live.gateway();
                let answer = match edge::refuse(&req, &gateway.settings) {
                    Some(status) => {
                        tracing::info!(peer = %client.addr(), status = status.as_u16(), "request refused before routing");
                        Either::Left(std::future::ready(edge::plain(status)))
                    }
                    None => Either::Right(crate::router::answer(gateway, req, client.clone())),
                };
                async move {
                    let response = answer.await;
                    Ok::<_, std::convert::Infallible>(response.map(|body| idle::Idle::hold(busy, body)))
                }
            });
            let served = async {
                match acceptor {
                    Some(acceptor) => match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls), service);
                            watcher.watch(conn.into_owned()).await
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            Ok(())
                        }
                        Err(_) => {
                            tracing::debug!(%peer, "TLS handshake timed out");
                            Ok(())
                        }
                    },
                    None => {
                        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                        watcher.watch(conn.into_owned()).await
                    }
                }
            };
            // Dropping the connection closes it: an idle one has nothing in flight, and a stalled one holds only
            // answers its client stopped taking.
            tokio::select! {
                result = served => {
                    if let Err(e) = result {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                }
                () = idle.expired(idle_timeout) => tracing::debug!(%peer, "idle connection closed"),
                () = stalled.stalled() => {
                    tracing::debug!(%peer, "connection closed: its client stopped taking an answer");
                }
            }
        });
    }
    drop(listener);
    let drain_timeout = live.gateway().settings.drain_timeout;
    if tokio::time::timeout(drain_timeout, graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open after the drain period; closing them");
    }
}

/// Bind a listener, with the address in the error.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))
}
