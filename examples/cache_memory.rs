//! What an id-cache design costs per mapping: fills one cache with realistic mappings (`userName` keys like
//! `user123456@example.com` and `externalId` UUIDs, each → a numeric product id, as the benchmark's users list
//! leaves them) and prints the RSS growth per mapping and the time of an insert, a hit and a concurrent hit + unchanged
//! put (what every read of a user does), with the binary's allocator.
//!
//! ```sh
//! cargo run --release --example cache_memory                 # every design, each in its own process
//! cargo run --release --example cache_memory -- idcache 1000000
//! KEYS=bench cargo run --release --example cache_memory     # the benchmark's shorter keys
//! ```
//!
//! Designs: `idcache` is `scimgate::cache::IdCache` as it is built; the others are the ones it was chosen among
//! (docs/PERFORMANCE.md): moka with its own time to live, moka bounded only with the write time in the value, and
//! quick_cache with the `Key` enum or with one allocation per key.

use futures_util::FutureExt as _;
use std::hash::{Hash, Hasher};
use std::process::Command;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use scimgate::cache::{IdCache, Key};

const DESIGNS: [&str; 6] = [
    "moka-ttl",
    "moka-stamp",
    "moka-compact",
    "quick-stamp",
    "quick-compact",
    "idcache",
];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mappings: u64 = args.get(1).map(|n| n.parse()).transpose()?.unwrap_or(1_000_000);
    match args.first() {
        Some(design) => run(design, mappings),
        None => {
            println!(
                "| design | RSS before MiB | RSS empty MiB | RSS after MiB | bytes per mapping | insert ns | hit ns | 2 threads: hit + unchanged put ns |"
            );
            println!("|---|---:|---:|---:|---:|---:|---:|---:|");
            let me = std::env::current_exe()?;
            for design in DESIGNS {
                let out = Command::new(&me).arg(design).arg(mappings.to_string()).output()?;
                anyhow::ensure!(
                    out.status.success(),
                    "{design}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                print!("{}", String::from_utf8_lossy(&out.stdout));
            }
            Ok(())
        }
    }
}

/// The `i`th mapping: even `i` a lowercased `userName`, odd `i` an `externalId`; the value a numeric id. Keys are
/// `user123456@example.com` and UUIDs, or with `KEYS=bench` the benchmark's `bulk123456@bench.example` and
/// `bulk123456`.
fn mapping(i: u64) -> (Key, String) {
    let user = i / 2 + 100_000;
    let bench = std::env::var_os("KEYS").is_some_and(|k| k == "bench");
    let key = match (i.is_multiple_of(2), bench) {
        (true, false) => Key::UserName(format!("user{user}@example.com")),
        (true, true) => Key::UserName(format!("bulk{user}@bench.example")),
        (false, true) => Key::UserExternalId(format!("bulk{user}")),
        (false, false) => {
            let h = user.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            Key::UserExternalId(format!(
                "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                h >> 32,
                (h >> 16) & 0xffff,
                h & 0xfff,
                (h >> 12) & 0xfff,
                h.rotate_left(17) & 0xffff_ffff_ffff
            ))
        }
    };
    (key, user.to_string())
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(f64::NAN);
    kb / 1024.0
}

/// One design under test: `put` and `get` as `IdCache` offers them, synchronous.
trait Design: Sync {
    fn put(&self, key: Key, value: String);
    fn get(&self, key: &Key) -> Option<String>;
}

fn run(name: &str, mappings: u64) -> anyhow::Result<()> {
    let capacity = mappings + mappings / 10;
    let ttl = Duration::from_secs(900);
    let before = rss_mib();
    let design: Box<dyn Design> = match name {
        "moka-ttl" => Box::new(MokaTtl(
            moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build(),
        )),
        "moka-stamp" => Box::new(MokaStamp(moka::sync::Cache::new(capacity), Instant::now(), ttl)),
        "moka-compact" => Box::new(MokaCompact(moka::sync::Cache::new(capacity), Instant::now(), ttl)),
        "quick-stamp" => Box::new(QuickStamp(
            quick_cache::sync::Cache::new(capacity as usize),
            Instant::now(),
            ttl,
        )),
        "quick-compact" => Box::new(QuickCompact(
            quick_cache::sync::Cache::new(capacity as usize),
            Instant::now(),
            ttl,
        )),
        "idcache" => Box::new(Gateway(IdCache::new(capacity, ttl))),
        other => anyhow::bail!("unknown design {other}; one of {DESIGNS:?}"),
    };
    let empty = rss_mib();
    let start = Instant::now();
    for i in 0..mappings {
        let (key, value) = mapping(i);
        design.put(key, value);
    }
    let insert = start.elapsed();
    let after = rss_mib();
    let start = Instant::now();
    let mut found = 0;
    for i in 0..mappings {
        found += u64::from(design.get(&mapping(i).0).is_some());
    }
    let hit = start.elapsed();
    anyhow::ensure!(found * 100 >= mappings * 99, "{name}: only {found} of {mappings} found");
    // What a read of a user does on every request: look up, and remember the ids it saw (unchanged).
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..2 {
            let design = &*design;
            s.spawn(move || {
                for i in (t..mappings).step_by(2) {
                    let (key, value) = mapping(i);
                    design.get(&key);
                    design.put(key, value);
                }
            });
        }
    });
    let mixed = start.elapsed();
    let per = |d: Duration| d.as_nanos() as f64 / mappings as f64;
    println!(
        "| {name} | {before:.1} | {empty:.1} | {after:.1} | {:.0} | {:.0} | {:.0} | {:.0} |",
        (after - before) * 1024.0 * 1024.0 / mappings as f64,
        per(insert),
        per(hit),
        // Two threads share the work: wall time per pair of operations.
        per(mixed)
    );
    Ok(())
}

/// `IdCache`'s futures never wait: each is polled once.
struct Gateway(IdCache);
impl Design for Gateway {
    fn put(&self, key: Key, value: String) {
        self.0.put(key, value).now_or_never();
    }
    fn get(&self, key: &Key) -> Option<String> {
        self.0.get(key).now_or_never().flatten()
    }
}

struct MokaTtl(moka::sync::Cache<Key, String>);
impl Design for MokaTtl {
    fn put(&self, key: Key, value: String) {
        if self.0.get(&key).as_deref() != Some(value.as_str()) {
            self.0.insert(key, value);
        }
    }
    fn get(&self, key: &Key) -> Option<String> {
        self.0.get(key)
    }
}

fn fresh(born: Instant, stamp: u64, ttl: Duration) -> bool {
    (born.elapsed().as_millis() as u64).saturating_sub(stamp) < ttl.as_millis() as u64
}

struct MokaStamp(moka::sync::Cache<Key, (String, u64)>, Instant, Duration);
impl Design for MokaStamp {
    fn put(&self, key: Key, value: String) {
        if self.0.get(&key).is_some_and(|(v, _)| v == value) {
            return;
        }
        self.0.insert(key, (value, self.1.elapsed().as_millis() as u64));
    }
    fn get(&self, key: &Key) -> Option<String> {
        self.0
            .get(key)
            .filter(|(_, s)| fresh(self.1, *s, self.2))
            .map(|(v, _)| v)
    }
}

struct QuickStamp(quick_cache::sync::Cache<Key, (String, u64)>, Instant, Duration);
impl Design for QuickStamp {
    fn put(&self, key: Key, value: String) {
        if self.0.peek(&key).is_some_and(|(v, _)| v == value) {
            return;
        }
        self.0.insert(key, (value, self.1.elapsed().as_millis() as u64));
    }
    fn get(&self, key: &Key) -> Option<String> {
        self.0
            .get(key)
            .filter(|(_, s)| fresh(self.1, *s, self.2))
            .map(|(v, _)| v)
    }
}

/// A key in one allocation: a kind byte, then the text.
#[derive(Clone, PartialEq, Eq)]
struct Compact(Box<[u8]>);
impl Hash for Compact {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u8(self.0[0]);
        state.write(&self.0[1..]);
    }
}
/// The borrowed form of [`Compact`], hashing the same.
#[derive(Clone, Copy)]
struct View<'a>(u8, &'a str);
impl Hash for View<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u8(self.0);
        state.write(self.1.as_bytes());
    }
}
impl quick_cache::Equivalent<Compact> for View<'_> {
    fn equivalent(&self, key: &Compact) -> bool {
        key.0[0] == self.0 && &key.0[1..] == self.1.as_bytes()
    }
}
fn view(key: &Key) -> View<'_> {
    match key {
        Key::UserName(s) => View(0, s),
        Key::UserExternalId(s) => View(1, s),
        Key::GroupName(s) => View(2, s),
        Key::MemberKey(s) => View(3, s),
        Key::MemberUser(s) => View(4, s),
        Key::UserAlias(s) => View(5, s),
        Key::GroupAlias(s) => View(6, s),
    }
}
fn compact(key: &Key) -> Compact {
    let v = view(key);
    let mut bytes = Vec::with_capacity(1 + v.1.len());
    bytes.push(v.0);
    bytes.extend_from_slice(v.1.as_bytes());
    Compact(bytes.into_boxed_slice())
}

struct MokaCompact(moka::sync::Cache<Compact, (Box<str>, u32)>, Instant, Duration);
impl Design for MokaCompact {
    fn put(&self, key: Key, value: String) {
        let key = compact(&key);
        if self.0.get(&key).is_some_and(|(v, _)| *v == *value) {
            return;
        }
        self.0.insert(key, (value.into(), self.1.elapsed().as_secs() as u32));
    }
    fn get(&self, key: &Key) -> Option<String> {
        // moka looks up by `Borrow`, so the probe is an owned compact key.
        self.0
            .get(&compact(key))
            .filter(|(_, s)| self.1.elapsed().as_secs() - u64::from(*s) < self.2.as_secs())
            .map(|(v, _)| v.into())
    }
}

struct QuickCompact(quick_cache::sync::Cache<Compact, (Box<str>, u32)>, Instant, Duration);
impl Design for QuickCompact {
    fn put(&self, key: Key, value: String) {
        if self.0.peek(&view(&key)).is_some_and(|(v, _)| *v == *value) {
            return;
        }
        self.0
            .insert(compact(&key), (value.into(), self.1.elapsed().as_secs() as u32));
    }
    fn get(&self, key: &Key) -> Option<String> {
        self.0
            .get(&view(key))
            .filter(|(_, s)| self.1.elapsed().as_secs() - u64::from(*s) < self.2.as_secs())
            .map(|(v, _)| v.into())
    }
}
