//! What pass-through exchanges may hold, so that clients that open requests and never read the answers cannot
//! pin product connections (and file descriptors) without bound: each exchange holds a [`Slot`] from the
//! gateway-wide bound (`max_in_flight`) and from its client connection's (`max_in_flight_per_connection`) until
//! its answer has been sent or dropped; a request over either bound waits `queue_timeout_ms` for a place, then is
//! answered 503. SCIM requests take no slot, so a saturated pass-through leaves them served.
//!
//! An answer whose client stops taking it ([`Paced`]: a part handed over and not taken for
//! `response_stall_timeout_ms`) gets its client connection closed through [`PerConnection`], which drops every
//! product request of that connection with it.

use super::silence::Activity;
use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The gateway-wide bound on pass-through exchanges, and the per-connection bound each connection gets.
#[derive(Debug)]
pub struct Slots {
    global: Arc<Semaphore>,
    per_connection: usize,
    queue: Duration,
}

/// What the pass-through keeps per client connection: its exchanges' bound, and the signal that asks the
/// listener to close it.
#[derive(Debug, Default)]
pub struct PerConnection {
    slots: OnceLock<Arc<Semaphore>>,
    stalled: Notify,
}

/// A place in both bounds, held for the whole exchange.
#[derive(Debug)]
pub struct Slot {
    _global: OwnedSemaphorePermit,
    _connection: OwnedSemaphorePermit,
}

impl Slots {
    /// `global` exchanges at once, `per_connection` on one client connection; `queue` is the wait for a place.
    pub fn new(global: usize, per_connection: usize, queue: Duration) -> Self {
        Slots {
            global: Arc::new(Semaphore::new(global)),
            per_connection,
            queue,
        }
    }

    /// A place for one more exchange of `connection`, if one is free now.
    pub fn try_acquire(&self, connection: &PerConnection) -> Option<Slot> {
        let connection = self.of(connection).try_acquire_owned().ok()?;
        let global = self.global.clone().try_acquire_owned().ok()?;
        Some(Slot {
            _global: global,
            _connection: connection,
        })
    }

    /// A place for one more exchange of `connection`, waiting for it at most the queue time.
    pub async fn acquire(&self, connection: &PerConnection) -> Option<Slot> {
        let own = self.of(connection);
        let both = async {
            let connection = own.acquire_owned().await.ok()?;
            let global = self.global.clone().acquire_owned().await.ok()?;
            Some(Slot {
                _global: global,
                _connection: connection,
            })
        };
        tokio::time::timeout(self.queue, both).await.ok().flatten()
    }

    /// The bound of `connection`, sized when its first exchange asks.
    fn of(&self, connection: &PerConnection) -> Arc<Semaphore> {
        connection
            .slots
            .get_or_init(|| Arc::new(Semaphore::new(self.per_connection)))
            .clone()
    }

    /// The time a request waits for a place.
    pub fn queue(&self) -> Duration {
        self.queue
    }
}

impl PerConnection {
    /// Resolves once an answer on this connection has stalled: the listener then closes the connection.
    pub async fn stalled(&self) {
        self.stalled.notified().await;
    }
}

/// A product answer on its way to the client. It notes when it handed a part over and whether the client has
/// asked for the next since (hyper asks only when the client can take more), and holds its exchange's slot.
pub struct Paced<B> {
    inner: B,
    pace: Arc<Pace>,
    _slot: Option<Slot>,
    _watch: tokio::sync::oneshot::Sender<()>,
}

/// When the answer last moved, and whether a part is waiting for the client.
#[derive(Debug)]
struct Pace {
    activity: Activity,
    handed: AtomicBool,
}

impl<B> Paced<B> {
    /// Pace `inner`, holding `slot`; when the client takes no part for `limit`, `connection` is asked to close.
    pub fn new(inner: B, slot: Option<Slot>, connection: Arc<PerConnection>, limit: Duration) -> Self {
        let pace = Arc::new(Pace {
            activity: Activity::since(Instant::now()),
            handed: AtomicBool::new(false),
        });
        let (watch, done) = tokio::sync::oneshot::channel();
        let watched = pace.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = done => {}
                () = watched.stall(limit) => {
                    tracing::debug!(stall_s = limit.as_secs_f64(), "client stopped taking a pass-through answer; closing its connection");
                    connection.stalled.notify_one();
                }
            }
        });
        Paced {
            inner,
            pace,
            _slot: slot,
            _watch: watch,
        }
    }
}

impl Pace {
    /// Resolves once a part has waited for the client for `limit`. While the answer waits for the product, the
    /// client is not at fault and the clock starts again.
    async fn stall(&self, limit: Duration) {
        loop {
            self.activity.silent_for(limit).await;
            if self.handed.load(Ordering::Acquire) {
                return;
            }
            self.activity.touch();
        }
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for Paced<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        self.pace.activity.touch();
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        self.pace
            .handed
            .store(matches!(polled, Poll::Ready(Some(Ok(_)))), Ordering::Release);
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_connection_holds_at_most_its_share_and_the_gateway_its_total() {
        let slots = Slots::new(3, 2, Duration::from_millis(20));
        let (a, b) = (PerConnection::default(), PerConnection::default());
        let a1 = slots.try_acquire(&a).expect("first of a");
        let _a2 = slots.acquire(&a).await.expect("second of a");
        assert!(
            slots.acquire(&a).await.is_none(),
            "a third on one connection waits, then is refused"
        );
        let _b1 = slots.acquire(&b).await.expect("b has a share of its own");
        assert!(slots.try_acquire(&b).is_none(), "the gateway's total is taken");
        assert!(slots.acquire(&b).await.is_none(), "and stays taken for the queue time");
        drop(a1);
        assert!(slots.acquire(&b).await.is_some(), "a place freed is given again");
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_waiting_for_its_client_stalls_and_one_waiting_for_the_product_does_not() {
        use http_body_util::BodyExt;
        let limit = Duration::from_secs(10);
        // The product sends one part, then nothing for a minute: the client has taken everything there is.
        let (product, parts) = tokio::sync::mpsc::channel::<Bytes>(1);
        let parts = futures_util::stream::unfold(parts, |mut parts| async move {
            let part = parts.recv().await?;
            Some((Ok::<_, std::convert::Infallible>(Frame::data(part)), parts))
        });
        let body = http_body_util::StreamBody::new(Box::pin(parts));
        let connection = Arc::new(PerConnection::default());
        let mut paced = Paced::new(body, None, connection.clone(), limit);
        product.send(Bytes::from_static(b"part")).await.expect("sent");
        paced.frame().await.expect("a part").expect("no error");
        let waiting = tokio::select! {
            () = connection.stalled() => false,
            _ = paced.frame() => panic!("the product sent nothing more"),
            () = tokio::time::sleep(Duration::from_secs(60)) => true,
        };
        assert!(waiting, "waiting for the product is not a stall");
        // A part the client does not take: the connection is asked to close a limit later.
        product.send(Bytes::from_static(b"more")).await.expect("sent");
        paced.frame().await.expect("a part").expect("no error");
        let handed = Instant::now();
        connection.stalled().await;
        assert_eq!(handed.elapsed(), limit);
    }
}
