//! A connection's idle clock: how many of its exchanges (a request and its answer's body) are open, and since
//! when none has been. The listener closes a connection that has had no exchange open for `limits.idle_timeout_ms`:
//! one that never sends a request (still in the protocol sniff, or in the TLS session after the handshake), an
//! HTTP/1.1 connection between requests, an HTTP/2 connection with no open stream. HTTP/2 keep-alive PINGs are
//! not exchanges, so they keep no connection open.

use hyper::body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Instant;

/// The exchanges open on one connection, and when the last one ended.
#[derive(Debug)]
pub struct Idle {
    start: Instant,
    open: AtomicUsize,
    /// Nanoseconds after `start` at which the last exchange ended.
    last: AtomicU64,
}

/// One open exchange; the connection is idle again once every one is dropped.
#[derive(Debug)]
pub struct Busy(Arc<Idle>);

/// An answer's body that keeps its exchange open; otherwise the body itself (its size, its end).
#[derive(Debug)]
pub struct Held<B> {
    body: B,
    _busy: Busy,
}

impl<B: Body + Unpin> Body for Held<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Idle {
    /// A connection accepted now, with no exchange yet.
    pub fn new() -> Arc<Self> {
        Arc::new(Idle {
            start: Instant::now(),
            open: AtomicUsize::new(0),
            last: AtomicU64::new(0),
        })
    }

    /// An exchange begins.
    pub fn enter(self: &Arc<Self>) -> Busy {
        self.open.fetch_add(1, Ordering::AcqRel);
        Busy(self.clone())
    }

    /// `body`, keeping its exchange open until hyper drops it (sent whole, or the stream reset).
    pub fn hold<B>(busy: Busy, body: B) -> Held<B> {
        Held { body, _busy: busy }
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_nanos(self.last.load(Ordering::Acquire))
    }

    /// Resolves once the connection has had no exchange open for `limit`. The timer is armed for the end of the
    /// last exchange plus `limit`, and re-armed when it finds an exchange open or a newer end.
    pub async fn expired(&self, limit: Duration) {
        let mut armed = self.last();
        let timer = tokio::time::sleep_until(armed + limit);
        tokio::pin!(timer);
        loop {
            timer.as_mut().await;
            let latest = self.last();
            if self.open.load(Ordering::Acquire) == 0 && latest == armed {
                return;
            }
            armed = if self.open.load(Ordering::Acquire) > 0 {
                Instant::now()
            } else {
                latest
            };
            timer.as_mut().reset(armed + limit);
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let idle = &self.0;
        let nanos = u64::try_from(idle.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        idle.last.fetch_max(nanos, Ordering::AcqRel);
        idle.open.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_connection_without_exchanges_expires_a_limit_after_it_began() {
        let idle = Idle::new();
        let start = Instant::now();
        idle.expired(Duration::from_secs(5)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn an_open_exchange_keeps_the_connection_and_its_end_restarts_the_clock() {
        let idle = Idle::new();
        let limit = Duration::from_secs(5);
        let busy = idle.enter();
        let expired = idle.expired(limit);
        tokio::pin!(expired);
        tokio::select! {
            () = &mut expired => panic!("expired with an exchange open"),
            () = tokio::time::sleep(Duration::from_secs(30)) => {}
        }
        drop(busy);
        let ended = Instant::now();
        expired.await;
        let waited = ended.elapsed();
        assert!(waited >= limit && waited <= limit * 2, "{waited:?}");
    }
}
