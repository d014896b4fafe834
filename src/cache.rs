//! The id-mapping cache: what an IdP's sync cycle asks again and again (`userName` → id, `externalId` → id,
//! group `displayName` → id, user id → membership key and back, renamed id → current id), so that a cycle costs
//! the product as few calls as possible.
//!
//! One cache per tenant (tenants never share entries), bounded in entries, with a time to live. Entries are filled
//! from every read and write and dropped on every write that can change them; an entry that leads to a product 404
//! is evicted and the lookup is resolved once more without it. Only ids are cached, never resource data: every
//! answer to the IdP is built from a fresh product read.
//!
//! A large directory keeps a million of these, so an entry is kept small (docs/PERFORMANCE.md, measured with
//! `examples/cache_memory.rs`): quick_cache's sharded S3-FIFO cache (about 60 bytes of bookkeeping an entry, where
//! moka's access and write queues, timestamps and shared entries cost over 300), the key as one allocation (a kind
//! byte and the text), the id as a boxed `str`, and the time to live checked against the write time kept beside
//! the id. Nothing is allocated before the first entry.

use quick_cache::Equivalent;
use quick_cache::sync::Cache;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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

impl Key {
    /// The key as the cache looks it up: its kind and its text, borrowed.
    fn probe(&self) -> Probe<'_> {
        let (kind, text) = match self {
            Key::UserName(t) => (0, t),
            Key::UserExternalId(t) => (1, t),
            Key::GroupName(t) => (2, t),
            Key::MemberKey(t) => (3, t),
            Key::MemberUser(t) => (4, t),
            Key::UserAlias(t) => (5, t),
            Key::GroupAlias(t) => (6, t),
        };
        Probe { kind, text }
    }
}

/// A key as stored: the kind byte, then the text, in one allocation (a `Key` is a 32-byte enum plus a `String`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stored(Box<[u8]>);

impl From<Probe<'_>> for Stored {
    fn from(p: Probe<'_>) -> Self {
        let mut bytes = Vec::with_capacity(1 + p.text.len());
        bytes.push(p.kind);
        bytes.extend_from_slice(p.text.as_bytes());
        Stored(bytes.into_boxed_slice())
    }
}

impl Hash for Stored {
    // Hashed exactly as its `Probe`: the kind byte, then the text's bytes.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let (kind, text) = self.0.split_first().unwrap_or((&u8::MAX, &[]));
        state.write_u8(*kind);
        state.write(text);
    }
}

/// A borrowed key, to look up without allocating.
#[derive(Clone, Copy)]
struct Probe<'a> {
    kind: u8,
    text: &'a str,
}

impl Hash for Probe<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u8(self.kind);
        state.write(self.text.as_bytes());
    }
}

impl Equivalent<Stored> for Probe<'_> {
    fn equivalent(&self, stored: &Stored) -> bool {
        stored.0.split_first() == Some((&self.kind, self.text.as_bytes()))
    }
}

/// A cached id and when it was written (milliseconds since the cache was made).
#[derive(Debug, Clone)]
struct Entry {
    id: Box<str>,
    written_ms: u64,
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
    entries: Cache<Stored, Entry>,
    /// The clock of the entries' write times.
    born: Instant,
    ttl_ms: u64,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl std::fmt::Debug for IdCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdCache")
            .field("entries", &self.entries.len())
            .field("stats", &self.stats())
            .finish()
    }
}

impl IdCache {
    /// A cache of at most `capacity` entries, each living at most `ttl`. Memory grows with the entries, not with
    /// `capacity`.
    pub fn new(capacity: u64, ttl: Duration) -> Self {
        IdCache {
            entries: Cache::new(usize::try_from(capacity).unwrap_or(usize::MAX)),
            born: Instant::now(),
            ttl_ms: u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.born.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn is_live(&self, entry: &Entry, now_ms: u64) -> bool {
        now_ms.saturating_sub(entry.written_ms) < self.ttl_ms
    }

    /// The value for `key`, counting a hit or a miss. An expired entry is a miss, and is dropped. (Asynchronous for
    /// its callers; it never waits.)
    pub async fn get(&self, key: &Key) -> Option<String> {
        let probe = key.probe();
        let now = self.now_ms();
        let found = match self.entries.get(&probe) {
            Some(entry) if self.is_live(&entry, now) => Some(entry.id.into_string()),
            Some(_) => {
                // Unless a put renewed it meanwhile.
                self.entries.remove_if(&probe, |e| !self.is_live(e, now));
                None
            }
            None => None,
        };
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Remember `key` → `value`. An entry that already holds `value` is left alone: every read of a resource
    /// remembers its ids again, and a write costs more than a read (the shard's write lock, the key's allocation);
    /// its time to live still counts from when it was written.
    pub async fn put(&self, key: Key, value: impl Into<String> + AsRef<str>) {
        let probe = key.probe();
        let now = self.now_ms();
        if let Some(entry) = self.entries.get(&probe)
            && *entry.id == *value.as_ref()
            && self.is_live(&entry, now)
        {
            return;
        }
        let entry = Entry {
            id: value.into().into_boxed_str(),
            written_ms: now,
        };
        self.entries.insert(Stored::from(probe), entry);
    }

    /// Forget `key`.
    pub async fn evict(&self, key: &Key) {
        self.entries.remove(&key.probe());
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> Stats {
        Stats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    /// Entries held, expired ones included until they are looked up or pushed out.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
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
        let cache = IdCache::new(10, Duration::from_millis(500));
        assert_eq!(cache.get(&Key::UserName("ada".into())).await, None);
        cache.put(Key::UserName("ada".into()), "17").await;
        assert_eq!(cache.get(&Key::UserName("ada".into())).await.as_deref(), Some("17"));
        // Kinds do not collide.
        assert_eq!(cache.get(&Key::GroupName("ada".into())).await, None);
        cache.evict(&Key::UserName("ada".into())).await;
        assert_eq!(cache.get(&Key::UserName("ada".into())).await, None);
        assert_eq!(cache.stats(), Stats { hits: 1, misses: 3 });
        cache.put(Key::MemberKey("17".into()), "ada").await;
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(cache.get(&Key::MemberKey("17".into())).await, None);
    }

    #[tokio::test]
    async fn an_unchanged_put_keeps_the_entry_and_its_age_and_a_changed_one_replaces_it() {
        // Margins of 200 ms either way: a loaded machine can pause a thread for tens of milliseconds.
        let cache = IdCache::new(10, Duration::from_millis(600));
        let key = Key::UserName("ada".into());
        cache.put(key.clone(), "17").await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        // Seen again with the same id: not rewritten, so it still expires 600 ms after the first put.
        cache.put(key.clone(), "17").await;
        assert_eq!(cache.get(&key).await.as_deref(), Some("17"));
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(cache.get(&key).await, None);
        cache.put(key.clone(), "17").await;
        cache.put(key.clone(), "18").await;
        assert_eq!(cache.get(&key).await.as_deref(), Some("18"));
    }

    #[tokio::test]
    async fn the_entry_count_stays_within_the_capacity() {
        let cache = IdCache::new(100, DEFAULT_TTL);
        for i in 0..1000 {
            cache
                .put(Key::UserName(format!("user{i}@example.com")), i.to_string())
                .await;
            assert!(cache.len() <= 100, "{} entries after {i} puts", cache.len());
        }
        // The newest entry is kept; most of the old ones are gone.
        let last = Key::UserName("user999@example.com".into());
        assert_eq!(cache.get(&last).await.as_deref(), Some("999"));
        let mut kept = 0;
        for i in 0..900 {
            kept += usize::from(
                cache
                    .get(&Key::UserName(format!("user{i}@example.com")))
                    .await
                    .is_some(),
            );
        }
        assert!(kept < 100, "{kept} of the first 900 kept");
    }

    #[tokio::test]
    async fn an_expired_entry_is_a_miss_is_dropped_and_a_put_renews_it() {
        let cache = IdCache::new(10, Duration::from_millis(300));
        let key = Key::UserExternalId("6a1e-77".into());
        cache.put(key.clone(), "17").await;
        cache.put(Key::GroupName("staff".into()), "3").await;
        assert_eq!(cache.len(), 2);
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert_eq!(cache.get(&key).await, None);
        assert_eq!(cache.len(), 1, "the expired entry looked up is dropped");
        // The same id again after expiry is written anew, with a new time to live.
        cache.put(key.clone(), "17").await;
        assert_eq!(cache.get(&key).await.as_deref(), Some("17"));
        assert_eq!(cache.stats(), Stats { hits: 1, misses: 1 });
    }

    #[tokio::test]
    async fn keys_of_different_kinds_or_texts_never_meet() {
        let cache = IdCache::new(100, DEFAULT_TTL);
        let keys = [
            Key::UserName(String::new()),
            Key::UserExternalId(String::new()),
            Key::UserName("\u{1}ada".into()),
            Key::UserExternalId("ada".into()),
            Key::MemberKey("ada".into()),
            Key::MemberUser("ada".into()),
            Key::UserAlias("ada".into()),
            Key::GroupAlias("ada".into()),
            Key::GroupName("ada".into()),
            Key::GroupName("ad".into()),
        ];
        for (i, key) in keys.iter().enumerate() {
            cache.put(key.clone(), i.to_string()).await;
        }
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(cache.get(key).await, Some(i.to_string()), "{key:?}");
        }
        cache.evict(&Key::GroupName("ad".into())).await;
        assert_eq!(cache.get(&Key::GroupName("ada".into())).await.as_deref(), Some("8"));
        assert!(cache.get(&Key::GroupName("ad".into())).await.is_none());
    }
}
