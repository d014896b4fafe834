//! The benchmark harness: `cargo run --release --example bench`.
//!
//! Builds the release binary, starts the sample product, the gateway and a minimal TLS forwarding hop as separate
//! processes on loopback, and runs each scenario against all three in one invocation (direct to the product, through
//! the hop, through the gateway), so that the figures that matter are ratios measured on the same noisy machine
//! within seconds of each other. Then, against a second product that answers after an artificial delay and whose
//! calls are counted, it measures product calls per SCIM operation and an Entra-style initial cycle; last, it fills
//! the gateway's id cache with a million mappings and reads the gateway's resident memory. The pass-through
//! scenarios (`passthrough.rs`) run the gateway in reverse-proxy mode against a second hop in front of a static
//! origin. `--only replicas` (`replicas.rs`) runs two replicas against one Redis instead. Every load is bounded in
//! time and in count; the processes are killed when the harness ends. `docs/PERFORMANCE.md` explains the figures.

mod cycle;
mod hop;
mod instructions;
mod load;
mod passthrough;
mod procs;
mod replicas;
mod report;
mod scenarios;
mod setup;

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Benchmark the gateway against the product directly and against a minimal TLS hop, in one run.
#[derive(Parser, Debug, Clone)]
pub struct Args {
    #[command(subcommand)]
    mode: Option<Mode>,
    /// Seconds each scenario runs against each column (after a warm-up of a quarter of that).
    #[arg(long, default_value_t = 4.0)]
    pub seconds: f64,
    /// Rounds of the closed-loop scenarios: the columns take turns this many times, `seconds / rounds` each (the
    /// warm-up only before the first), and the table shows each figure's median over the rounds. The shared
    /// machine's load drifts within seconds; turns share the drift out among the columns.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Concurrent keep-alive connections of the closed-loop scenarios.
    #[arg(long, default_value_t = 16)]
    pub connections: usize,
    /// Upper bound on requests per scenario and column.
    #[arg(long, default_value_t = 500_000)]
    pub max_requests: u64,
    /// Users seeded in the product for the scenarios.
    #[arg(long, default_value_t = 10_000)]
    pub users: u64,
    /// Connections × requests per second of the fixed-rate latency scenario.
    #[arg(long, default_value_t = 4)]
    pub rate_connections: usize,
    /// Requests per second per connection of the fixed-rate latency scenario.
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// Artificial delay of the slow product, in milliseconds.
    #[arg(long, default_value_t = 5)]
    pub delay_ms: u64,
    /// Users of the Entra-style cycle.
    #[arg(long, default_value_t = 10_000)]
    pub cycle_users: u64,
    /// Groups of the Entra-style cycle (the users are spread over them as members).
    #[arg(long, default_value_t = 200)]
    pub cycle_groups: u64,
    /// Concurrent IdP workers of the cycle.
    #[arg(long, default_value_t = 8)]
    pub cycle_workers: usize,
    /// Id mappings to cache before reading the gateway's memory (two per user: userName and externalId); 0 skips.
    #[arg(long, default_value_t = 1_000_000)]
    pub cache_mappings: u64,
    /// MiB of the pass-through download, per column.
    #[arg(long, default_value_t = 512)]
    pub download_mib: u64,
    /// Run only the load scenarios whose name contains this text, and nothing else (for profiling one path);
    /// `cycle` runs only the product-call counts and the Entra-style cycle; `memory` the cached id mappings step;
    /// `rate` the fixed-rate latency scenario;
    /// `instructions` counts the gateway's and the hop's instructions per request under callgrind (needs valgrind);
    /// `replicas` compares two replicas with local limits and with limits shared through one Redis (needs
    /// redis-server).
    #[arg(long)]
    pub only: Option<String>,
    /// Requests counted per path by `--only instructions`.
    #[arg(long, default_value_t = 2000)]
    pub instruction_requests: u64,
    /// Use the `scimgate` binary next to this one as it is, without running `cargo build --release` first.
    #[arg(long)]
    pub no_build: bool,
}

#[derive(Subcommand, Debug, Clone)]
enum Mode {
    /// Run the minimal hop only (the harness starts itself this way).
    Hop {
        #[arg(long)]
        listen: SocketAddr,
        #[arg(long)]
        upstream: SocketAddr,
        #[arg(long)]
        cert: PathBuf,
        #[arg(long)]
        key: PathBuf,
    },
    /// Run the static origin of the pass-through scenarios only (the harness starts itself this way).
    Origin {
        #[arg(long)]
        listen: SocketAddr,
    },
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match args.mode.clone() {
        Some(Mode::Hop {
            listen,
            upstream,
            cert,
            key,
        }) => runtime.block_on(hop::serve(listen, upstream, &cert, &key)),
        Some(Mode::Origin { listen }) => runtime.block_on(passthrough::serve_origin(listen)),
        None => runtime.block_on(report::run(args)),
    }
}
