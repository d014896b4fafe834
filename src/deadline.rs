//! Deadlines kept to a tick: the timeouts every request arms and almost always clears (hyper's header-read
//! timeout, the request timeout, a product call's timeout, the pass-through's 504), kept by one sweep instead of a
//! tokio timer each.
//!
//! A tokio timer is exact to the millisecond, and a request paid for that on every timer twice: once to put it in
//! the runtime's timer wheel under the wheel's lock, once to take it out, each with a clock read, plus the driver's
//! work on the next park (a pass-through request spent about 2,800 instructions in tokio's timer code, and now
//! about 400 here; docs/PERFORMANCE.md). None of these
//! timeouts needs that precision: they are seconds long, and firing up to [`TICK`] late changes nothing for the
//! client. A [`Deadline`] is put on a shared list under a plain mutex when it is made and marked gone when it is
//! dropped; one thread looks at the list every [`TICK`], wakes the deadlines that are due and forgets those that
//! are gone. The thread sleeps on a condition variable while the list is empty, so an idle process is not woken.
//!
//! The thread is started by [`start`] (the `run` command calls it, and fails to start without it) or by the first
//! deadline made; should it ever fail to start, the error is logged and deadlines never fire, which leaves the
//! gateway working without its timeouts rather than failing requests.

use crate::sync::lock;
use futures_util::task::AtomicWaker;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Milliseconds in [`TICK`].
const TICK_MS: u64 = 20;

/// How often due deadlines are looked for: a deadline fires at most this long after it is due.
pub const TICK: Duration = Duration::from_millis(TICK_MS);

/// States of the sweep thread.
const NOT_STARTED: u8 = 0;
const RUNNING: u8 = 1;
const FAILED: u8 = 2;

/// `due` of a deadline whose future is gone.
const GONE: u64 = u64::MAX;

/// One deadline, shared between its future and the sweep.
#[derive(Debug)]
struct Slot {
    /// When it is due, in milliseconds after the sweep's origin; [`GONE`] once its future is dropped.
    due: AtomicU64,
    /// Set by the sweep once it is due.
    fired: AtomicBool,
    waker: AtomicWaker,
}

/// The deadlines not yet due, and whether the sweep thread is asleep for want of any.
#[derive(Debug, Default)]
struct Pending {
    slots: Vec<Arc<Slot>>,
    asleep: bool,
}

#[derive(Debug)]
struct Sweep {
    origin: Instant,
    /// The time of the last sweep, in milliseconds after `origin`.
    now: AtomicU64,
    pending: Mutex<Pending>,
    /// Wakes the sweep thread when the first deadline arrives on an empty list.
    arrived: Condvar,
    /// [`NOT_STARTED`], [`RUNNING`] or [`FAILED`]; changed only under `starting`.
    thread: AtomicU8,
    starting: Mutex<()>,
}

static SWEEP: LazyLock<Sweep> = LazyLock::new(|| Sweep {
    origin: Instant::now(),
    now: AtomicU64::new(0),
    pending: Mutex::new(Pending::default()),
    arrived: Condvar::new(),
    thread: AtomicU8::new(NOT_STARTED),
    starting: Mutex::new(()),
});

/// Start the sweep thread, if it is not running yet.
pub fn start() -> std::io::Result<()> {
    let sweep = &*SWEEP;
    let _starting = lock(&sweep.starting);
    if sweep.thread.load(Ordering::Acquire) == RUNNING {
        return Ok(());
    }
    match std::thread::Builder::new()
        .name("scimgate-deadlines".into())
        .spawn(|| SWEEP.run())
    {
        Ok(_) => {
            sweep.thread.store(RUNNING, Ordering::Release);
            Ok(())
        }
        Err(e) => {
            if sweep.thread.swap(FAILED, Ordering::AcqRel) == NOT_STARTED {
                tracing::error!(error = %e, "the deadline thread could not start; timeouts will not fire");
            }
            Err(e)
        }
    }
}

impl Sweep {
    fn millis(&self, at: Instant) -> u64 {
        // Rounded up: a deadline never fires before it is due.
        let since = at.saturating_duration_since(self.origin);
        let ms = since.as_millis() + u128::from(!since.subsec_nanos().is_multiple_of(1_000_000));
        u64::try_from(ms).unwrap_or(GONE - 1).min(GONE - 1)
    }

    fn add(&self, slot: Arc<Slot>) {
        let mut pending = lock(&self.pending);
        pending.slots.push(slot);
        if pending.asleep {
            pending.asleep = false;
            drop(pending);
            self.arrived.notify_one();
        }
    }

    fn run(&self) {
        let mut batch: Vec<Arc<Slot>> = Vec::new();
        let mut due: Vec<Arc<Slot>> = Vec::new();
        loop {
            {
                let mut pending = lock(&self.pending);
                while pending.slots.is_empty() {
                    pending.asleep = true;
                    pending = self.arrived.wait(pending).unwrap_or_else(PoisonError::into_inner);
                }
            }
            // Time stood still for `Postponer`s while the thread slept.
            self.now.store(self.millis(Instant::now()), Ordering::Relaxed);
            std::thread::sleep(TICK);
            let now = self.millis(Instant::now());
            self.now.store(now, Ordering::Relaxed);
            // The list is taken whole and looked through without the lock, so that deadlines made meanwhile do not
            // wait for the sweep.
            std::mem::swap(&mut batch, &mut lock(&self.pending).slots);
            batch.retain(|slot| match slot.due.load(Ordering::Acquire) {
                GONE => false,
                at if at <= now => {
                    due.push(slot.clone());
                    false
                }
                _ => true,
            });
            {
                // The ones still to come, and those made during the sweep, go back; `batch` is left empty.
                let mut pending = lock(&self.pending);
                batch.append(&mut pending.slots);
                std::mem::swap(&mut batch, &mut pending.slots);
            }
            for slot in due.drain(..) {
                slot.fired.store(true, Ordering::Release);
                slot.waker.wake();
            }
            // Memory held after a burst is given back once the burst is over.
            if batch.capacity() > 1024 && batch.len() < batch.capacity() / 4 {
                batch.shrink_to(batch.capacity() / 2);
            }
        }
    }
}

/// A future that is ready once its deadline has passed, give or take a [`TICK`].
#[derive(Debug)]
pub struct Deadline {
    slot: Arc<Slot>,
}

impl Deadline {
    /// Due at `at`.
    pub fn at(at: Instant) -> Self {
        let sweep = &*SWEEP;
        if sweep.thread.load(Ordering::Relaxed) == NOT_STARTED {
            // The error is logged once, by `start`.
            let _ = start();
        }
        let slot = Arc::new(Slot {
            due: AtomicU64::new(sweep.millis(at)),
            fired: AtomicBool::new(false),
            waker: AtomicWaker::new(),
        });
        sweep.add(slot.clone());
        Deadline { slot }
    }

    /// Due `after` from now.
    pub fn after(after: Duration) -> Self {
        Deadline::at(Instant::now() + after)
    }

    /// A handle that moves this deadline later, for a timeout that counts from the last sign of progress.
    pub fn postponer(&self, by: Duration) -> Postponer {
        Postponer {
            slot: self.slot.clone(),
            by_ms: u64::try_from(by.as_millis()).unwrap_or(GONE / 2).min(GONE / 2),
        }
    }

    fn fired(&self) -> bool {
        self.slot.fired.load(Ordering::Acquire)
    }
}

impl Future for Deadline {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.fired() {
            return Poll::Ready(());
        }
        self.slot.waker.register(cx.waker());
        // The sweep may have fired between the check and the registration.
        if self.fired() { Poll::Ready(()) } else { Poll::Pending }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        self.slot.due.store(GONE, Ordering::Release);
    }
}

impl hyper::rt::Sleep for Deadline {}

/// Moves a [`Deadline`] to a fixed time after now, without reading the clock: "now" is the time of the last sweep,
/// and a [`TICK`] is added so that a postponed deadline is never due early.
#[derive(Debug, Clone)]
pub struct Postponer {
    slot: Arc<Slot>,
    by_ms: u64,
}

impl Postponer {
    /// Due no sooner than the postponement from now.
    pub fn postpone(&self) {
        let at = SWEEP.now.load(Ordering::Relaxed) + TICK_MS + self.by_ms;
        // `fetch_max` leaves a dropped deadline (`GONE`) gone.
        self.slot.due.fetch_max(at, Ordering::AcqRel);
    }
}

/// hyper's timer, on [`Deadline`]s: its header-read timeout is armed for every request and almost never fires.
#[derive(Debug, Clone, Copy, Default)]
pub struct CoarseTimer;

impl hyper::rt::Timer for CoarseTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(Deadline::after(duration))
    }

    fn sleep_until(&self, at: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(Deadline::at(at))
    }
}

/// Run `future` until `timeout` has passed, give or take a [`TICK`]: `None` if it did not finish by then.
pub async fn timeout<F: Future>(timeout: Duration, future: F) -> Option<F::Output> {
    within(Deadline::after(timeout), future).await
}

/// Run `future` until `deadline`: `None` if it did not finish by then.
pub async fn within<F: Future>(deadline: Deadline, future: F) -> Option<F::Output> {
    let mut deadline = std::pin::pin!(deadline);
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        deadline.as_mut().poll(cx).map(|()| None)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `future`, failing the test instead of hanging it should a deadline never fire.
    async fn bounded<F: Future>(future: F) -> F::Output {
        tokio::time::timeout(Duration::from_secs(5), future)
            .await
            .expect("done within 5 s")
    }

    #[tokio::test]
    async fn a_deadline_fires_when_due_and_not_before() {
        let started = Instant::now();
        bounded(Deadline::after(Duration::from_millis(120))).await;
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(120), "{waited:?}");
        // Due within a tick or so; a generous bound for a loaded machine.
        assert!(waited < Duration::from_secs(2), "{waited:?}");
    }

    #[tokio::test]
    async fn a_deadline_in_the_past_fires_at_the_next_sweep() {
        let started = Instant::now();
        bounded(Deadline::at(started - Duration::from_secs(1))).await;
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn timeout_gives_the_output_or_none() {
        assert_eq!(timeout(Duration::from_secs(5), async { 7 }).await, Some(7));
        let slow = tokio::time::sleep(Duration::from_secs(30));
        let started = Instant::now();
        assert_eq!(bounded(timeout(Duration::from_millis(50), slow)).await, None);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_postponed_deadline_fires_only_after_the_postponements_stop() {
        let deadline = Deadline::after(Duration::from_millis(100));
        let postponer = deadline.postponer(Duration::from_millis(100));
        let started = Instant::now();
        let keep_busy = async {
            // Progress every 30 ms for 400 ms: the deadline must not fire meanwhile.
            while started.elapsed() < Duration::from_millis(400) {
                postponer.postpone();
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
        };
        tokio::select! {
            () = keep_busy => {}
            () = &mut std::pin::pin!(deadline) => panic!("fired at {:?} while postponed", started.elapsed()),
        }
    }

    #[tokio::test]
    async fn dropped_deadlines_are_forgotten_by_the_sweep() {
        for _ in 0..10_000 {
            drop(Deadline::after(Duration::from_secs(60)));
        }
        // A live deadline keeps the sweep running; within a few ticks every dropped one is gone from the list.
        let _live = Deadline::after(Duration::from_secs(60));
        let started = Instant::now();
        loop {
            let left = lock(&SWEEP.pending).slots.len();
            // Other tests in this process may hold a few deadlines of their own.
            if left < 100 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{left} deadlines still listed"
            );
            tokio::time::sleep(TICK).await;
        }
    }

    #[tokio::test]
    async fn hypers_timer_sleeps_on_deadlines() {
        use hyper::rt::Timer as _;
        let started = Instant::now();
        bounded(CoarseTimer.sleep(Duration::from_millis(60))).await;
        assert!(started.elapsed() >= Duration::from_millis(60));
    }
}
