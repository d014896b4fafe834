//! Id-cache invalidations between replicas: each replica publishes what its own writes evict (and the rename
//! aliases they record) on one channel, and applies what the others publish to the same tenant's cache.

use super::Shared;
use crate::cache::Invalidation;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Weak};
use tokio_util::sync::CancellationToken;

/// One message on the channel.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Message {
    /// The replica that published it.
    replica: u64,
    tenant: String,
    change: Invalidation,
}

/// Encode a change of `tenant`'s cache made by `replica`.
pub(super) fn encode(replica: u64, tenant: &str, change: &Invalidation) -> Option<String> {
    #[derive(Serialize)]
    struct Out<'a> {
        replica: u64,
        tenant: &'a str,
        change: &'a Invalidation,
    }
    serde_json::to_string(&Out {
        replica,
        tenant,
        change,
    })
    .ok()
}

/// A tenant's cache's way to the other replicas.
pub struct Notifier {
    shared: Arc<Shared>,
    tenant: String,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// The notifier of `tenant`'s cache.
    pub fn new(shared: Arc<Shared>, tenant: &str) -> Self {
        Notifier {
            shared,
            tenant: tenant.to_owned(),
        }
    }

    /// Tell the other replicas.
    pub fn send(&self, change: &Invalidation) {
        self.shared.publish(&self.tenant, change);
    }
}

/// Apply one message from the channel, unless this replica sent it.
fn apply(shared: &Shared, payload: &[u8]) {
    let Ok(message) = serde_json::from_slice::<Message>(payload) else {
        tracing::warn!("shared state: an invalidation that is not one was published; ignored");
        return;
    };
    if message.replica == shared.replica {
        return;
    }
    let cache = shared
        .caches
        .read()
        .ok()
        .and_then(|caches| caches.get(&message.tenant).and_then(Weak::upgrade));
    if let Some(cache) = cache {
        cache.apply(&message.change);
    }
}

/// Empty every registered cache: invalidations may have been missed while not subscribed.
fn forget_all(shared: &Shared) {
    let caches: Vec<_> = shared
        .caches
        .read()
        .map(|c| c.values().filter_map(Weak::upgrade).collect())
        .unwrap_or_default();
    for cache in caches {
        cache.clear();
    }
}

/// Subscribe to the channel and apply what comes, subscribing again (every second) whenever the subscription is lost.
pub(super) async fn subscriber(shared: Weak<Shared>, stop: CancellationToken) {
    loop {
        let Some(s) = shared.upgrade() else { return };
        let (client, channel, timeout) = (s.client.clone(), s.channel(), s.settings.connect_timeout);
        drop(s);
        let subscribed = tokio::time::timeout(timeout, async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        });
        let pubsub = tokio::select! {
            () = stop.cancelled() => return,
            p = subscribed => p,
        };
        if let Ok(Ok(pubsub)) = pubsub {
            let Some(s) = shared.upgrade() else { return };
            forget_all(&s);
            tracing::debug!("shared state: subscribed to invalidations");
            drop(s);
            let mut messages = pubsub.into_on_message();
            loop {
                let message = tokio::select! {
                    () = stop.cancelled() => return,
                    m = messages.next() => m,
                };
                let Some(message) = message else { break };
                let Some(s) = shared.upgrade() else { return };
                apply(&s, message.get_payload_bytes());
            }
            tracing::debug!("shared state: the invalidation subscription ended");
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(super::PROBE_EVERY) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::Key;

    #[test]
    fn a_message_round_trips() {
        let change = Invalidation::Alias(Key::UserAlias("alice".into()), "bob".into());
        let text = encode(7, "acme", &change).unwrap();
        let back: Message = serde_json::from_str(&text).unwrap();
        assert_eq!(
            back,
            Message {
                replica: 7,
                tenant: "acme".into(),
                change
            }
        );
    }
}
