//! The id-mapping cache: what an IdP's sync cycle asks again and again (`userName` → id, `externalId` → id,
//! group `displayName` → id, user id → membership key and back, renamed id → current id), so that a cycle costs
//! the product as few calls as possible.
//!
//! One cache per tenant (tenants never share entries), bounded in entries, with a time to live. Entries are filled
//! from every read and write and dropped on every write that can change them; an entry that leads to a product 404
//! is evicted and the lookup is resolved once more without it. Only ids are cached, never resource data: every
//! answer to the IdP is built from a fresh product read.

use moka::future::Cache;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Entries per tenant unless `limits.cache_entries` says otherwise: a large directory's sync cycle.
pub const DEFAULT_ENTRIES: u64 = 100_000;

/// Life of an entry unless `limits.cache_ttl_s` says otherwise.
pub const DEFAULT_TTL: Duration = Duration::from_secs(15 * 60);

/// What an entry maps from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// A user's `userName` (lowercased: userName is caseExact = false) → user id.
    UserName(String),
    /// A user's `externalId` (caseExact) → user id.
    UserExternalId(String),
    /// A group's `displayName` (lowercased) → group id.
    GroupName(String),
    /// A user id → the key the product's membership data uses.
    MemberKey(String),
    /// A membership key → user id.
    MemberUser(String),
    /// A user id that a rename replaced → the current id (products keyed by a mutable name).
    UserAlias(String),
    /// A group id that a rename replaced → the current id.
    GroupAlias(String),
}

/// Hit and miss counts, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups the cache could not answer.
    pub misses: u64,
}

/// One tenant's id cache.
pub struct IdCache {
    entries: Cache<Key, String>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl std::fmt::Debug for IdCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdCache")
            .field("entries", &self.entries.entry_count())
            .field("stats", &self.stats())
            .finish()
    }
}

impl IdCache {
    /// A cache of at most `capacity` entries, each living at most `ttl`.
    pub fn new(capacity: u64, ttl: Duration) -> Self {
        IdCache {
            entries: Cache::builder().max_capacity(capacity).time_to_live(ttl).build(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The value for `key`, counting a hit or a miss.
    pub async fn get(&self, key: &Key) -> Option<String> {
        let found = self.entries.get(key).await;
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Remember `key` → `value`. An entry that already holds `value` is left alone: every read of a resource
    /// remembers its ids again, and a moka write costs several times a read (the benchmark's `GET /Users/{id}`
    /// spent more on these rewrites than on the lookup). Its time to live still counts from when it was written.
    pub async fn put(&self, key: Key, value: impl Into<String> + AsRef<str>) {
        if self.entries.get(&key).await.as_deref() == Some(value.as_ref()) {
            return;
        }
        self.entries.insert(key, value.into()).await;
    }

    /// Forget `key`.
    pub async fn evict(&self, key: &Key) {
        self.entries.invalidate(key).await;
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> Stats {
        Stats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

impl Default for IdCache {
    /// [`DEFAULT_ENTRIES`] entries for [`DEFAULT_TTL`].
    fn default() -> Self {
        IdCache::new(DEFAULT_ENTRIES, DEFAULT_TTL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn entries_are_counted_evicted_and_expire() {
        let cache = IdCache::new(10, Duration::from_millis(50));
        assert_eq!(cache.get(&Key::UserName("ada".into())).await, None);
        cache.put(Key::UserName("ada".into()), "17").await;
        assert_eq!(cache.get(&Key::UserName("ada".into())).await.as_deref(), Some("17"));
        // Kinds do not collide.
        assert_eq!(cache.get(&Key::GroupName("ada".into())).await, None);
        cache.evict(&Key::UserName("ada".into())).await;
        assert_eq!(cache.get(&Key::UserName("ada".into())).await, None);
        assert_eq!(cache.stats(), Stats { hits: 1, misses: 3 });
        cache.put(Key::MemberKey("17".into()), "ada").await;
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(cache.get(&Key::MemberKey("17".into())).await, None);
    }

    #[tokio::test]
    async fn an_unchanged_put_keeps_the_entry_and_its_age_and_a_changed_one_replaces_it() {
        let cache = IdCache::new(10, Duration::from_millis(150));
        let key = Key::UserName("ada".into());
        cache.put(key.clone(), "17").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        // Seen again with the same id: not rewritten, so it still expires 150 ms after the first put.
        cache.put(key.clone(), "17").await;
        assert_eq!(cache.get(&key).await.as_deref(), Some("17"));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(cache.get(&key).await, None);
        cache.put(key.clone(), "17").await;
        cache.put(key.clone(), "18").await;
        assert_eq!(cache.get(&key).await.as_deref(), Some("18"));
    }
}
