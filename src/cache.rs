//! The id-mapping cache: what an IdP's sync cycle asks again and again (`userName` → id, `externalId` → id,
//! group `displayName` → id, user id → membership key and back, renamed id → current id), so that a cycle costs
//! the product as few calls as possible.
//!
//! One moka cache per tenant (tenants never share entries), bounded in entries, each entry living at most the
//! time to live from when it was written. Entries are filled from every read and write and dropped on every write
//! that can change them; an entry that leads to a product 404 is evicted and the lookup is resolved once more
//! without it. Only ids are cached, never resource data: every answer to the IdP is built from a fresh product
//! read.
//!
//! A large directory keeps a million of these, so an entry is kept small (docs/PERFORMANCE.md, measured with
//! `examples/cache_memory.rs`): the key is one allocation (a kind byte and the text, looked up through a borrowed
//! form without allocating) and the id a boxed `str`. Eviction is least-recently-used rather than moka's default
//! TinyLFU admission: what was just learned (a created user's name, a rename's alias) is what the next request
//! asks for, and is never turned away.
//!
//! Every call is synchronous and short: moka's `sync` cache takes no lock a request waits on for long.
//!
//! With several replicas sharing state (`[shared]`), what a write evicts, and the rename aliases it records, are
//! also handed to a [`Notifier`] that publishes them to the other replicas, which [`IdCache::apply`] them.

use crate::shared::Notifier;
use arc_swap::ArcSwapOption;
use moka::Equivalent;
use moka::policy::EvictionPolicy;
use moka::sync::Cache;
use serde::{Deserialize, Serialize};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Entries per tenant unless `limits.cache_entries` says otherwise: a large directory's sync cycle.
pub const DEFAULT_ENTRIES: u64 = 100_000;

/// Life of an entry unless `limits.cache_ttl_s` says otherwise.
pub const DEFAULT_TTL: Duration = Duration::from_secs(15 * 60);

/// What an entry maps from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// A change one replica made to a tenant's cache that the others must make too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Invalidation {
    /// [`IdCache::evict`].
    Evict(Key),
    /// [`IdCache::evict_user`].
    EvictUser(String),
    /// [`IdCache::evict_group`].
    EvictGroup(String),
    /// A rename alias recorded ([`IdCache::put`] of [`Key::UserAlias`] or [`Key::GroupAlias`]).
    Alias(Key, String),
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
    entries: Cache<Stored, Box<str>>,
    capacity: u64,
    ttl: Duration,
    hits: AtomicU64,
    misses: AtomicU64,
    /// Where this cache's invalidations go for the other replicas, when state is shared.
    notifier: ArcSwapOption<Notifier>,
}

impl std::fmt::Debug for IdCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdCache")
            .field("capacity", &self.capacity)
            .field("ttl", &self.ttl)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl IdCache {
    /// A cache of at most `capacity` entries, each living at most `ttl` from when it was written. Memory grows
    /// with the entries, not with `capacity`.
    pub fn new(capacity: u64, ttl: Duration) -> Self {
        IdCache {
            entries: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .eviction_policy(EvictionPolicy::lru())
                .build(),
            capacity,
            ttl,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            notifier: ArcSwapOption::empty(),
        }
    }

    /// The bounds it was made with: capacity in entries, and time to live.
    pub fn bounds(&self) -> (u64, Duration) {
        (self.capacity, self.ttl)
    }

    /// The value for `key`, counting a hit or a miss. An expired entry is a miss.
    pub fn get(&self, key: &Key) -> Option<String> {
        let found = self.entries.get(&key.probe()).map(str::into_string);
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Remember `key` → `value`. An entry that already holds `value` is left alone: every read of a resource
    /// remembers its ids again, and a write costs more than a read (the key's allocation, moka's write queue);
    /// its time to live still counts from when it was written.
    pub fn put(&self, key: Key, value: impl Into<String> + AsRef<str>) {
        let probe = key.probe();
        if self.entries.get(&probe).is_some_and(|id| *id == *value.as_ref()) {
            return;
        }
        // A rename alias is what another replica needs to follow the old id; every other entry it learns itself.
        if matches!(key, Key::UserAlias(_) | Key::GroupAlias(_)) {
            self.notify(|| Invalidation::Alias(key.clone(), value.as_ref().to_owned()));
        }
        self.entries.insert(Stored::from(probe), value.into().into_boxed_str());
    }

    /// Forget `key`.
    pub fn evict(&self, key: &Key) {
        self.notify(|| Invalidation::Evict(key.clone()));
        self.entries.invalidate(&key.probe());
    }

    /// Have the other replicas make `change` too, when state is shared.
    fn notify(&self, change: impl FnOnce() -> Invalidation) {
        if let Some(notifier) = &*self.notifier.load() {
            notifier.send(&change());
        }
    }

    /// Publish this cache's invalidations through `notifier` from now on (`None`: keep them to this replica).
    pub fn set_notifier(&self, notifier: Option<Arc<Notifier>>) {
        self.notifier.store(notifier);
    }

    /// Make a change another replica made, without publishing it again.
    pub fn apply(&self, change: &Invalidation) {
        match change {
            Invalidation::Evict(key) => self.entries.invalidate(&key.probe()),
            Invalidation::EvictUser(id) => self.evict_user_here(id),
            Invalidation::EvictGroup(id) => self.evict_leading_to(&[2, 6], id),
            Invalidation::Alias(key, id) => self
                .entries
                .insert(Stored::from(key.probe()), id.clone().into_boxed_str()),
        }
    }

    /// Forget every entry.
    pub fn clear(&self) {
        self.entries.invalidate_all();
    }

    /// Forget every entry that leads to the user `id`: its userName, externalId and membership key, and renamed
    /// ids that now mean it. For a delete, which names only the id: the whole cache is walked once, which costs a
    /// delete no product call.
    pub fn evict_user(&self, id: &str) {
        self.notify(|| Invalidation::EvictUser(id.to_owned()));
        self.evict_user_here(id);
    }

    fn evict_user_here(&self, id: &str) {
        self.entries.invalidate(&Key::MemberKey(id.to_owned()).probe());
        self.evict_leading_to(&[0, 1, 4, 5], id);
    }

    /// Forget every entry that leads to the group `id`: its displayName, and renamed ids that now mean it.
    pub fn evict_group(&self, id: &str) {
        self.notify(|| Invalidation::EvictGroup(id.to_owned()));
        self.evict_leading_to(&[2, 6], id);
    }

    /// Forget the entries of these kinds (as [`Key::probe`] numbers them) whose value is `id`.
    fn evict_leading_to(&self, kinds: &[u8], id: &str) {
        let stale: Vec<_> = self
            .entries
            .iter()
            .filter(|(key, value)| **value == *id && key.0.first().is_some_and(|k| kinds.contains(k)))
            .map(|(key, _)| key)
            .collect();
        for key in stale {
            self.entries.invalidate(&*key);
        }
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> Stats {
        Stats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    /// Entries held, once moka's pending maintenance (evictions, expiry) has run: for tests and measurements, as
    /// it does that work on the caller's thread.
    pub fn len(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }

    /// Whether the cache holds no entry (see [`IdCache::len`]).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

    #[test]
    fn entries_are_counted_evicted_and_expire() {
        let cache = IdCache::new(10, Duration::from_millis(500));
        assert_eq!(cache.get(&Key::UserName("ada".into())), None);
        cache.put(Key::UserName("ada".into()), "17");
        assert_eq!(cache.get(&Key::UserName("ada".into())).as_deref(), Some("17"));
        // Kinds do not collide.
        assert_eq!(cache.get(&Key::GroupName("ada".into())), None);
        cache.evict(&Key::UserName("ada".into()));
        assert_eq!(cache.get(&Key::UserName("ada".into())), None);
        assert_eq!(cache.stats(), Stats { hits: 1, misses: 3 });
        cache.put(Key::MemberKey("17".into()), "ada");
        std::thread::sleep(Duration::from_millis(700));
        assert_eq!(cache.get(&Key::MemberKey("17".into())), None);
    }

    #[test]
    fn an_unchanged_put_keeps_the_entry_and_its_age_and_a_changed_one_replaces_it() {
        // Margins of 200 ms either way: a loaded machine can pause a thread for tens of milliseconds.
        let cache = IdCache::new(10, Duration::from_millis(600));
        let key = Key::UserName("ada".into());
        cache.put(key.clone(), "17");
        std::thread::sleep(Duration::from_millis(400));
        // Seen again with the same id: not rewritten, so it still expires 600 ms after the first put.
        cache.put(key.clone(), "17");
        assert_eq!(cache.get(&key).as_deref(), Some("17"));
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(cache.get(&key), None);
        cache.put(key.clone(), "17");
        cache.put(key.clone(), "18");
        assert_eq!(cache.get(&key).as_deref(), Some("18"));
    }

    #[test]
    fn the_entry_count_stays_within_the_capacity() {
        let cache = IdCache::new(100, DEFAULT_TTL);
        for i in 0..1000 {
            cache.put(Key::UserName(format!("user{i}@example.com")), i.to_string());
            assert!(cache.len() <= 100, "{} entries after {i} puts", cache.len());
        }
        // The newest entry is kept; most of the old ones are gone.
        let last = Key::UserName("user999@example.com".into());
        assert_eq!(cache.get(&last).as_deref(), Some("999"));
        let mut kept = 0;
        for i in 0..900 {
            kept += usize::from(cache.get(&Key::UserName(format!("user{i}@example.com"))).is_some());
        }
        assert!(kept < 100, "{kept} of the first 900 kept");
    }

    #[test]
    fn expired_entries_are_misses_are_dropped_and_a_put_renews_one() {
        let cache = IdCache::new(10, Duration::from_millis(300));
        let key = Key::UserExternalId("6a1e-77".into());
        cache.put(key.clone(), "17");
        cache.put(Key::GroupName("staff".into()), "3");
        assert_eq!(cache.len(), 2);
        std::thread::sleep(Duration::from_millis(350));
        assert_eq!(cache.get(&key), None);
        assert_eq!(cache.len(), 0, "expired entries are dropped");
        // The same id again after expiry is written anew, with a new time to live.
        cache.put(key.clone(), "17");
        assert_eq!(cache.get(&key).as_deref(), Some("17"));
        assert_eq!(cache.stats(), Stats { hits: 1, misses: 1 });
    }

    #[test]
    fn a_deleted_object_leaves_no_entry_leading_to_it() {
        let cache = IdCache::new(100, DEFAULT_TTL);
        cache.put(Key::UserName("ada".into()), "17");
        cache.put(Key::UserExternalId("e-17".into()), "17");
        cache.put(Key::MemberKey("17".into()), "ada");
        cache.put(Key::MemberUser("ada".into()), "17");
        cache.put(Key::UserAlias("16".into()), "17");
        cache.put(Key::GroupName("staff".into()), "17");
        cache.put(Key::UserName("bob".into()), "18");
        cache.evict_user("17");
        assert_eq!(cache.len(), 2, "the group of the same id and the other user stay");
        assert_eq!(cache.get(&Key::GroupName("staff".into())).as_deref(), Some("17"));
        assert_eq!(cache.get(&Key::UserName("bob".into())).as_deref(), Some("18"));
        cache.put(Key::GroupAlias("staff-old".into()), "17");
        cache.evict_group("17");
        assert!(cache.get(&Key::GroupName("staff".into())).is_none());
        assert!(cache.get(&Key::GroupAlias("staff-old".into())).is_none());
    }

    #[test]
    fn another_replicas_changes_are_applied_as_they_were_made() {
        let cache = IdCache::new(100, DEFAULT_TTL);
        cache.put(Key::UserName("alice".into()), "alice");
        cache.put(Key::MemberKey("alice".into()), "alice");
        cache.put(Key::GroupName("staff".into()), "staff");
        cache.apply(&Invalidation::Evict(Key::UserName("alice".into())));
        assert!(cache.get(&Key::UserName("alice".into())).is_none());
        cache.apply(&Invalidation::Alias(Key::UserAlias("alice".into()), "bob".into()));
        assert_eq!(cache.get(&Key::UserAlias("alice".into())).as_deref(), Some("bob"));
        cache.apply(&Invalidation::EvictUser("bob".into()));
        assert!(
            cache.get(&Key::UserAlias("alice".into())).is_none(),
            "the alias to a deleted user goes"
        );
        assert_eq!(cache.get(&Key::MemberKey("alice".into())).as_deref(), Some("alice"));
        cache.apply(&Invalidation::EvictGroup("staff".into()));
        assert!(cache.get(&Key::GroupName("staff".into())).is_none());
        cache.clear();
        assert!(cache.is_empty());
    }

    #[test]
    fn keys_of_different_kinds_or_texts_never_meet() {
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
            cache.put(key.clone(), i.to_string());
        }
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(cache.get(key), Some(i.to_string()), "{key:?}");
        }
        cache.evict(&Key::GroupName("ad".into()));
        assert_eq!(cache.get(&Key::GroupName("ada".into())).as_deref(), Some("8"));
        assert!(cache.get(&Key::GroupName("ad".into())).is_none());
    }
}
