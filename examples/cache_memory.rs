//! What the id cache costs per mapping: fills one `scimgate::cache::IdCache` with realistic mappings
//! (`userName` keys like `user123456@example.com` and `externalId` UUIDs, each → a numeric product id, as the
//! benchmark's users list leaves them) and prints the RSS growth per mapping and the time of an insert, a hit and
//! a concurrent hit + unchanged put (what every read of a user does), with the binary's allocator.
//!
//! ```sh
//! cargo run --release --example cache_memory                  # 1,000,000 mappings
//! cargo run --release --example cache_memory -- 200000
//! KEYS=bench cargo run --release --example cache_memory      # the benchmark's shorter keys
//! ```

use scimgate::cache::{IdCache, Key};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let mappings: u64 = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let capacity = mappings + mappings / 10;
    let before = rss_mib();
    let cache = IdCache::new(capacity, Duration::from_secs(900));
    let empty = rss_mib();
    let start = Instant::now();
    for i in 0..mappings {
        let (key, value) = mapping(i);
        cache.put(key, value);
    }
    let insert = start.elapsed();
    anyhow::ensure!(cache.len() == mappings, "{} of {mappings} held", cache.len());
    let after = rss_mib();
    let start = Instant::now();
    let mut found = 0;
    for i in 0..mappings {
        found += u64::from(cache.get(&mapping(i).0).is_some());
    }
    let hit = start.elapsed();
    anyhow::ensure!(found == mappings, "only {found} of {mappings} found");
    // What a read of a user does on every request: look up, and remember the ids it saw (unchanged).
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..2 {
            let cache = &cache;
            s.spawn(move || {
                for i in (t..mappings).step_by(2) {
                    let (key, value) = mapping(i);
                    cache.get(&key);
                    cache.put(key, value);
                }
            });
        }
    });
    let mixed = start.elapsed();
    let per = |d: Duration| d.as_nanos() as f64 / mappings as f64;
    println!(
        "| RSS before MiB | RSS empty MiB | RSS after MiB | bytes per mapping | insert ns | hit ns | 2 threads: hit + unchanged put ns |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {before:.1} | {empty:.1} | {after:.1} | {:.0} | {:.0} | {:.0} | {:.0} |",
        (after - before) * 1024.0 * 1024.0 / mappings as f64,
        per(insert),
        per(hit),
        // Two threads share the work: wall time per pair of operations.
        per(mixed)
    );
    Ok(())
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
