//! State shared by several replicas through Redis (or a Redis-protocol server such as Valkey), when `[shared]`
//! asks for it: each tenant's rate limit as a GCRA kept in Redis (one `EVALSHA` per request), the
//! failed-authentication throttle, and id-cache invalidations published to the other replicas.
//!
//! Redis is never a condition for serving. Start-up does not wait for it; while it is unreachable or slow (an
//! answer later than `timeout_ms`), each replica limits each tenant to its `local_share` of the rate on its own,
//! throttles failed authentications on its own, and cannot publish invalidations. A probe every second notices
//! when Redis is back, and the replica returns to the shared state without a restart. Each transition is logged
//! and shown by `scimgate_shared_state_up`. The id caches are emptied whenever the subscription is (re)made, as
//! invalidations may have been missed while it was down.
//!
//! What requests call ([`Shared::gcra`], [`Shared::throttle`], [`Shared::publish`]) never waits longer than the
//! timeout; the connection, its probe, the publisher and the subscriber run in tasks of their own ([`Shared::start`]).

mod invalidate;

pub use invalidate::Notifier;

use crate::cache::{IdCache, Invalidation};
use crate::config::secret::Secret;
use crate::metrics::Metrics;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError, Script};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// How often the connection is probed (`PING`), up or down.
const PROBE_EVERY: Duration = Duration::from_secs(1);

/// The settings of `[shared]`, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The server's URL, without credentials.
    pub url: String,
    /// The ACL user, if not `default`.
    pub username: Option<String>,
    /// The password.
    pub password: Option<Secret>,
    /// PEM CA bundle for `rediss://` (else the system's roots).
    pub ca: Option<Vec<u8>>,
    /// PEM client certificate and key for `rediss://`.
    pub client_identity: Option<(Vec<u8>, Vec<u8>)>,
    /// Fraction of a tenant's rate a replica admits alone while Redis is unreachable, in (0, 1].
    pub local_share: f64,
    /// Longest wait for one answer on a request's path.
    pub timeout: Duration,
    /// Longest wait for a connection.
    pub connect_timeout: Duration,
    /// Prefix of every key and of the channel.
    pub key_prefix: String,
}

/// Redis did not answer (in time); the caller decides alone.
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    /// Down since an earlier failure, until the probe sees it back.
    #[error("shared state is down")]
    Down,
    /// No answer within the timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// An error from the connection or the server.
    #[error("{0}")]
    Redis(#[from] RedisError),
}

/// The connection to Redis and what is kept through it. One per config (a reload with the same `[shared]` keeps it).
pub struct Shared {
    settings: Settings,
    /// What `[shared]` said, to tell whether a reload changed it.
    written: serde_json::Value,
    client: Client,
    conn: OnceLock<ConnectionManager>,
    up: AtomicBool,
    /// Whether Redis was asked at all yet: the first answer is logged whatever it is.
    asked: AtomicBool,
    metrics: Arc<Metrics>,
    /// This process among the replicas, so that it skips the invalidations it published itself.
    replica: u64,
    gcra: Script,
    throttle: Script,
    /// Invalidations waiting for the publisher, how many were ever queued, and how many it has sent or dropped.
    queue: mpsc::UnboundedSender<String>,
    queue_rx: Mutex<Option<mpsc::UnboundedReceiver<String>>>,
    queued: AtomicU64,
    sent: watch::Sender<u64>,
    /// Each tenant's id cache, to apply other replicas' invalidations to.
    caches: RwLock<HashMap<String, Weak<IdCache>>>,
    started: AtomicBool,
    stop: CancellationToken,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("url", &self.settings.url)
            .field("up", &self.is_up())
            .finish_non_exhaustive()
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

// === impl Shared ===

impl Shared {
    /// The shared state these settings describe, not yet connected ([`Shared::start`] connects). `written` is the
    /// `[shared]` table as configured.
    pub fn new(settings: Settings, written: serde_json::Value, metrics: Arc<Metrics>) -> Result<Arc<Self>, String> {
        let mut info: redis::ConnectionInfo = redis::IntoConnectionInfo::into_connection_info(settings.url.as_str())
            .map_err(|e| format!("not a Redis URL: {e}"))?;
        let mut redis_settings = info.redis_settings().clone();
        if let Some(user) = &settings.username {
            redis_settings = redis_settings.set_username(user);
        }
        if let Some(password) = &settings.password {
            redis_settings = redis_settings.set_password(password.expose());
        }
        info = info.set_redis_settings(redis_settings);
        let tls = settings.url.starts_with("rediss://");
        let client = if tls && (settings.ca.is_some() || settings.client_identity.is_some()) {
            Client::build_with_tls(
                info,
                redis::TlsCertificates {
                    client_tls: settings.client_identity.clone().map(|(client_cert, client_key)| {
                        redis::ClientTlsConfig {
                            client_cert,
                            client_key,
                        }
                    }),
                    root_cert: settings.ca.clone(),
                },
            )
        } else {
            Client::open(info)
        }
        .map_err(|e| e.to_string())?;
        let (queue, queue_rx) = mpsc::unbounded_channel();
        Ok(Arc::new(Shared {
            settings,
            written,
            client,
            conn: OnceLock::new(),
            up: AtomicBool::new(false),
            asked: AtomicBool::new(false),
            metrics,
            replica: rand::random(),
            gcra: Script::new(include_str!("shared/gcra.lua")),
            throttle: Script::new(include_str!("shared/throttle.lua")),
            queue,
            queue_rx: Mutex::new(Some(queue_rx)),
            queued: AtomicU64::new(0),
            sent: watch::Sender::new(0),
            caches: RwLock::default(),
            started: AtomicBool::new(false),
            stop: CancellationToken::new(),
        }))
    }

    /// Whether this is the shared state `written` (a `[shared]` table) describes.
    pub fn is_configured_as(&self, written: &serde_json::Value) -> bool {
        self.written == *written
    }

    /// The fraction of a tenant's rate this replica admits alone while Redis is unreachable.
    pub fn local_share(&self) -> f64 {
        self.settings.local_share
    }

    /// Whether Redis answered last time it was asked.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// Connect, and run the probe, the publisher and the subscriber until this state is dropped. Returns at once;
    /// a second call does nothing. Must be called within a tokio runtime.
    pub fn start(self: &Arc<Self>) {
        if self.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.settings.connect_timeout))
            .set_response_timeout(Some(self.settings.timeout))
            .set_number_of_retries(1)
            .set_max_delay(PROBE_EVERY);
        match ConnectionManager::new_lazy_with_config(self.client.clone(), config) {
            Ok(conn) => {
                let _ = self.conn.set(conn);
            }
            Err(e) => tracing::error!(error = %e, "shared state: cannot create the Redis connection"),
        }
        let rx = self.queue_rx.lock().ok().and_then(|mut rx| rx.take());
        tokio::spawn(probe(Arc::downgrade(self), self.stop.clone()));
        if let Some(rx) = rx {
            tokio::spawn(publisher(Arc::downgrade(self), rx, self.stop.clone()));
        }
        tokio::spawn(invalidate::subscriber(Arc::downgrade(self), self.stop.clone()));
    }

    /// Run one script within the timeout, marking the state down when Redis fails to answer.
    async fn run(&self, script: &Script, key: &str, args: [u64; 2]) -> Result<u64, Unavailable> {
        if !self.is_up() {
            return Err(Unavailable::Down);
        }
        let mut conn = self.conn.get().ok_or(Unavailable::Down)?.clone();
        let mut invocation = script.key(key);
        invocation.arg(args[0]).arg(args[1]);
        let call = invocation.invoke_async::<u64>(&mut conn);
        let outcome = match tokio::time::timeout(self.settings.timeout, call).await {
            Ok(Ok(answer)) => return Ok(answer),
            Ok(Err(e)) => Unavailable::Redis(e),
            Err(_) => Unavailable::Timeout(self.settings.timeout),
        };
        self.set_up(false, Some(&outcome));
        Err(outcome)
    }

    /// Take one request from the shared GCRA at `tenant`'s key, admitting `interval` apart with a burst tolerance of
    /// `tolerance`: `None` when admitted, else the wait.
    pub async fn gcra(
        &self,
        tenant: &str,
        interval: Duration,
        tolerance: Duration,
    ) -> Result<Option<Duration>, Unavailable> {
        let key = format!("{}:rate:{tenant}", self.settings.key_prefix);
        let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let wait = self
            .run(&self.gcra, &key, [micros(interval).max(1), micros(tolerance)])
            .await?;
        Ok((wait > 0).then(|| Duration::from_micros(wait)))
    }

    /// Count one failed authentication of the pair `digest` (hex), refusing it after `limit` within `window`:
    /// `None` when counted, else how long until the pair is forgotten.
    pub async fn throttle(&self, digest: &str, limit: u32, window: Duration) -> Result<Option<Duration>, Unavailable> {
        let key = format!("{}:auth:{digest}", self.settings.key_prefix);
        let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
        let wait = self.run(&self.throttle, &key, [u64::from(limit), window_ms]).await?;
        Ok((wait > 0).then(|| Duration::from_millis(wait)))
    }

    /// Record whether Redis answers; log and show a change.
    fn set_up(&self, up: bool, why: Option<&Unavailable>) {
        let first = !self.asked.swap(true, Ordering::AcqRel);
        if self.up.swap(up, Ordering::AcqRel) == up && !first {
            return;
        }
        self.metrics.shared_state_up.set(i64::from(up));
        match why {
            None if up => {
                tracing::info!(url = %self.settings.url, "shared state up: limits, throttle and invalidations shared through Redis")
            }
            _ => tracing::warn!(
                url = %self.settings.url,
                error = why.map(ToString::to_string).unwrap_or_default(),
                local_share = self.settings.local_share,
                "shared state down: each replica limits tenants to its local share and keeps its own throttle until Redis answers again"
            ),
        }
    }

    /// Make the id caches of `tenants` those other replicas' invalidations are applied to, and have each publish its
    /// own. Replaces what an earlier config registered.
    pub fn register(self: &Arc<Self>, tenants: &[Arc<crate::tenant::Tenant>]) {
        let mut caches = HashMap::new();
        for t in tenants {
            t.cache
                .set_notifier(Some(Arc::new(Notifier::new(self.clone(), t.id.as_str()))));
            caches.insert(t.id.as_str().to_owned(), Arc::downgrade(&t.cache));
        }
        if let Ok(mut registered) = self.caches.write() {
            *registered = caches;
        }
    }

    /// Queue an invalidation of `tenant`'s id cache for the other replicas. Dropped while Redis is down: they empty
    /// their caches when they subscribe again, and the cache's time to live bounds the rest.
    fn publish(&self, tenant: &str, change: &Invalidation) {
        if !self.is_up() {
            return;
        }
        let Some(message) = invalidate::encode(self.replica, tenant, change) else {
            return;
        };
        self.queued.fetch_add(1, Ordering::AcqRel);
        if self.queue.send(message).is_err() {
            self.sent.send_modify(|n| *n += 1);
        }
    }

    /// Wait (at most the timeout) until every invalidation queued so far is published, so that a change answered to
    /// the IdP is known to the other replicas before the IdP can ask one of them.
    pub async fn flushed(&self) {
        let target = self.queued.load(Ordering::Acquire);
        if *self.sent.borrow() >= target {
            return;
        }
        let mut sent = self.sent.subscribe();
        let _ = tokio::time::timeout(self.settings.timeout, sent.wait_for(|n| *n >= target)).await;
    }

    /// The channel invalidations go through.
    fn channel(&self) -> String {
        format!("{}:invalidate", self.settings.key_prefix)
    }
}

/// `PING` every [`PROBE_EVERY`]: the state is up exactly when Redis answers.
async fn probe(shared: Weak<Shared>, stop: CancellationToken) {
    loop {
        let Some(s) = shared.upgrade() else { return };
        if let Some(conn) = s.conn.get() {
            let mut conn = conn.clone();
            let ping = redis::cmd("PING");
            let ping = ping.query_async::<String>(&mut conn);
            match tokio::time::timeout(s.settings.connect_timeout, ping).await {
                Ok(Ok(_)) => s.set_up(true, None),
                Ok(Err(e)) => s.set_up(false, Some(&Unavailable::Redis(e))),
                Err(_) => s.set_up(false, Some(&Unavailable::Timeout(s.settings.connect_timeout))),
            }
        }
        drop(s);
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(PROBE_EVERY) => {}
        }
    }
}

/// Publish the queued invalidations, in order.
async fn publisher(shared: Weak<Shared>, mut queue: mpsc::UnboundedReceiver<String>, stop: CancellationToken) {
    loop {
        let message = tokio::select! {
            () = stop.cancelled() => return,
            m = queue.recv() => match m { Some(m) => m, None => return },
        };
        let Some(s) = shared.upgrade() else { return };
        if s.is_up()
            && let Some(conn) = s.conn.get()
        {
            let mut conn = conn.clone();
            let mut publish = redis::cmd("PUBLISH");
            publish.arg(s.channel()).arg(message);
            let publish = publish.query_async::<u64>(&mut conn);
            match tokio::time::timeout(s.settings.timeout, publish).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => s.set_up(false, Some(&Unavailable::Redis(e))),
                Err(_) => s.set_up(false, Some(&Unavailable::Timeout(s.settings.timeout))),
            }
        }
        s.sent.send_modify(|n| *n += 1);
    }
}
