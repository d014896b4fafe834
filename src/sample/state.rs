//! What one running sample product shares between its connections: the options (key, shape, delay), the store behind
//! a lock (its [`MembersOn`] chosen by the shape), and the record of requests served (for tests that assert which
//! calls the gateway made).
//!
//! The lock is a `std::sync::Mutex`, held only for one synchronous store call and never across an `.await`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::store::{MembersOn, Store};
use super::{SampleOptions, Shape};

/// How many requests the log keeps; older entries are dropped so a long benchmark cannot grow it without bound.
pub const LOG_CAPACITY: usize = 100_000;

/// The shared state of one sample product.
#[derive(Debug)]
pub struct State {
    api_key: Vec<u8>,
    shape: Shape,
    delay: Option<Duration>,
    store: Mutex<Store>,
    requests: AtomicU64,
    log: Mutex<VecDeque<(String, String)>>,
}

impl State {
    /// An empty product with these options.
    pub fn new(opts: &SampleOptions) -> Self {
        State {
            api_key: opts.api_key.as_bytes().to_vec(),
            shape: opts.shape,
            delay: opts.delay,
            store: Mutex::new(Store::new(members_on(opts.shape))),
            requests: AtomicU64::new(0),
            log: Mutex::new(VecDeque::new()),
        }
    }

    /// The key clients must send (how depends on the shape).
    pub fn api_key(&self) -> &[u8] {
        &self.api_key
    }

    /// The API shape this product speaks.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// The artificial delay before each answer.
    pub fn delay(&self) -> Option<Duration> {
        self.delay
    }

    /// The store, locked. A panic while holding the lock cannot leave the store half-written (every store method
    /// validates before it mutates), so a poisoned lock is taken over rather than propagated.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts and logs one request as it arrives.
    pub fn record(&self, method: &str, path_and_query: &str) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        if log.len() >= LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back((method.to_owned(), path_and_query.to_owned()));
    }

    /// Requests served so far.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// `(method, path-with-query)` of the requests served so far, oldest first.
    pub fn request_log(&self) -> Vec<(String, String)> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}

/// The side that renders memberships in each shape.
fn members_on(shape: Shape) -> MembersOn {
    match shape {
        Shape::Classic | Shape::Named => MembersOn::Teams,
        Shape::Uuid => MembersOn::Users,
    }
}
