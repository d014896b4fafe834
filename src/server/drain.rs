//! Graceful shutdown of the listener's connections: once it begins, each connection is asked to finish the
//! requests it has and close, and [`Drain::shutdown`] waits for the last one.
//!
//! hyper-util's `GracefulShutdown` does the same with a `tokio::sync::watch` channel whose `changed()` future each
//! connection polls on every wake-up, and a poll of that future takes the channel's waiter lock: under load that
//! was about 290 instructions of every pass-through request, for an event that happens once in the process's life
//! (docs/PERFORMANCE.md). Here a connection keeps its task's waker in an `AtomicWaker` of its own and reads one
//! flag; the lock is taken when a connection opens and closes, and when shutdown begins.

use crate::sync::lock;
use futures_util::task::AtomicWaker;
use std::collections::HashMap;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// The connections of one listener, and whether they are to finish.
#[derive(Debug, Default)]
pub struct Drain {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    /// Shutdown has begun.
    begun: AtomicBool,
    open: Mutex<Open>,
    /// Woken when the last connection ends once shutdown has begun.
    closed: tokio::sync::Notify,
}

#[derive(Debug, Default)]
struct Open {
    next: u64,
    /// The waker of each open connection's task.
    wakers: HashMap<u64, Arc<AtomicWaker>>,
}

/// One connection's place in a [`Drain`], from before its task starts until the connection ends.
#[derive(Debug)]
pub struct Watch {
    shared: Arc<Shared>,
    id: u64,
    waker: Arc<AtomicWaker>,
}

impl Drain {
    /// No connections, no shutdown.
    pub fn new() -> Self {
        Drain::default()
    }

    /// Count a connection in, before its task is spawned: [`Drain::shutdown`] waits for it from now on.
    pub fn watch(&self) -> Watch {
        let waker = Arc::new(AtomicWaker::new());
        let mut open = lock(&self.shared.open);
        let id = open.next;
        open.next += 1;
        open.wakers.insert(id, waker.clone());
        Watch {
            shared: self.shared.clone(),
            id,
            waker,
        }
    }

    /// Connections open.
    pub fn open(&self) -> usize {
        lock(&self.shared.open).wakers.len()
    }

    /// Ask every connection to finish, and wait until all have ended (bound it with a timeout of your own).
    pub async fn shutdown(&self) {
        self.shared.begun.store(true, Ordering::SeqCst);
        let wakers: Vec<Arc<AtomicWaker>> = lock(&self.shared.open).wakers.values().cloned().collect();
        for waker in wakers {
            waker.wake();
        }
        loop {
            let mut closed = pin!(self.shared.closed.notified());
            // Registered before the count is read, so that the last connection's notice cannot slip between.
            closed.as_mut().enable();
            if lock(&self.shared.open).wakers.is_empty() {
                return;
            }
            closed.await;
        }
    }
}

impl Watch {
    /// Drive `conn` to its end; once shutdown begins, `finish` is called on it once (hyper's `graceful_shutdown`),
    /// and the connection goes on until it has answered what it was serving.
    pub fn serve<C: Future>(self, conn: C, finish: fn(Pin<&mut C>)) -> Served<C> {
        Served {
            conn: Box::pin(conn),
            watch: self,
            finish: Some(finish),
        }
    }
}

/// A connection served under a [`Watch`]; see [`Watch::serve`].
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Served<C> {
    /// Boxed once per connection, which keeps this future `Unpin` without a pin projection.
    conn: Pin<Box<C>>,
    watch: Watch,
    /// Called once shutdown begins; `None` once it has been.
    finish: Option<fn(Pin<&mut C>)>,
}

impl<C: Future> Future for Served<C> {
    type Output = C::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<C::Output> {
        let this = &mut *self;
        if this.finish.is_some() {
            // The waker first and the flag after: a shutdown that begins in between wakes this task again.
            this.watch.waker.register(cx.waker());
            if this.watch.shared.begun.load(Ordering::SeqCst)
                && let Some(finish) = this.finish.take()
            {
                finish(this.conn.as_mut());
            }
        }
        this.conn.as_mut().poll(cx)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let mut open = lock(&self.shared.open);
        open.wakers.remove(&self.id);
        let last = open.wakers.is_empty();
        drop(open);
        if last && self.shared.begun.load(Ordering::SeqCst) {
            self.shared.closed.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// An idle connection: woken by nothing but the drain, it ends once asked to finish, with the number of times
    /// it was polled.
    #[derive(Debug, Default)]
    struct Idle {
        asked: bool,
        polls: usize,
    }

    impl Future for Idle {
        type Output = usize;

        fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<usize> {
            self.polls += 1;
            if self.asked {
                Poll::Ready(self.polls)
            } else {
                Poll::Pending
            }
        }
    }

    fn finish(idle: Pin<&mut Idle>) {
        idle.get_mut().asked = true;
    }

    #[tokio::test]
    async fn shutdown_asks_idle_connections_to_finish_and_waits_for_them() {
        let drain = Drain::new();
        let tasks: Vec<_> = (0..3)
            .map(|_| tokio::spawn(drain.watch().serve(Idle::default(), finish)))
            .collect();
        tokio::task::yield_now().await;
        assert_eq!(drain.open(), 3);
        tokio::time::timeout(Duration::from_secs(5), drain.shutdown())
            .await
            .expect("every connection ended");
        assert_eq!(drain.open(), 0);
        for task in tasks {
            assert!(task.await.expect("task") >= 1);
        }
    }

    #[tokio::test]
    async fn shutdown_waits_for_a_connection_that_takes_its_time() {
        let drain = Drain::new();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(drain.watch().serve(
            async move {
                let _ = released.await;
                "answered"
            },
            |_| {},
        ));
        let shutdown = drain.shutdown();
        tokio::pin!(shutdown);
        assert!(
            tokio::time::timeout(Duration::from_millis(100), &mut shutdown)
                .await
                .is_err(),
            "shutdown waits while a request is in flight"
        );
        release.send(()).expect("send");
        tokio::time::timeout(Duration::from_secs(5), shutdown)
            .await
            .expect("done once it ended");
        assert_eq!(task.await.expect("task"), "answered");
    }

    #[tokio::test]
    async fn a_connection_counted_in_after_shutdown_began_is_asked_on_its_first_poll() {
        let drain = Drain::new();
        assert!(
            tokio::time::timeout(Duration::from_secs(1), drain.shutdown())
                .await
                .is_ok(),
            "nothing open: done at once"
        );
        let polls = drain.watch().serve(Idle::default(), finish).await;
        assert_eq!(polls, 1);
    }
}
