//! The run: seed, measure every scenario in every column, then calls, the cycle and memory; print Markdown tables
//! and the targets of docs/PERFORMANCE.md with what was measured against each.

use crate::Args;
use crate::cycle::{self, Scim};
use crate::instructions;
use crate::load::{self, Load, MakeRequest, Target};
use crate::passthrough;
use crate::procs::Proc;
use crate::scenarios::{Column, Scenario, World};
use crate::setup::{self, Running};
use std::time::Duration;

/// One scenario in one column.
#[derive(Debug, Default, Clone)]
pub struct Row {
    /// Successful requests per second.
    pub rps: f64,
    /// Median latency, ms.
    pub p50: f64,
    /// 99th percentile latency, ms.
    pub p99: f64,
    /// CPU µs per request of the hop or the gateway (none for the direct column).
    pub server_us: Option<f64>,
    /// CPU µs per request of the product (or the origin).
    pub product_us: f64,
    /// Failed requests.
    pub errors: u64,
}

const LONG: Duration = Duration::from_secs(600);

/// Run the whole benchmark.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let binary = setup::build(&args)?;
    if args.only.as_deref() == Some(crate::replicas::ONLY) {
        return crate::replicas::run(&args, &binary).await;
    }
    let world = setup::start(&args, &binary).await?;
    let outcome = measure_all(&args, &world).await;
    // The certificates, keys and config the run wrote are of no use after it.
    let _ = std::fs::remove_dir_all(&world.dir);
    outcome
}

/// Every step `args` asks for, in order.
async fn measure_all(args: &Args, world: &Running) -> anyhow::Result<()> {
    let args = args.clone();
    let (idle_rss, _) = world.gateway.rss_mib();
    let tls = load::tls_connector(&world.ca_pem)?;
    let targets = [
        Target {
            addr: world.product.addr,
            tls: None,
        },
        Target {
            addr: world.hop.addr,
            tls: Some(tls.clone()),
        },
        Target {
            addr: world.gateway.addr,
            tls: Some(tls.clone()),
        },
    ];
    let w = World {
        api_key: world.api_key.clone(),
        token: world.bench_token.clone(),
        users: args.users,
    };
    eprintln!("seeding {} users …", args.users);
    let seed = |n| Load {
        connections: 8,
        duration: LONG,
        max_requests: n,
        rate: None,
    };
    checked(
        "seed users",
        load::run(&targets[0], seed(args.users), w.seed_users("user")).await?,
    )?;
    let teams = args.connections.max(args.rate_connections) as u64;
    checked("seed teams", load::run(&targets[0], seed(teams), w.seed_teams()).await?)?;

    if args.only.as_deref() == Some(instructions::ONLY) {
        instruction_table(&args, world, &targets, &w, &tls).await?;
        return Ok(());
    }
    println!(
        "\n## Load: {} keep-alive connections, {} s per scenario and column\n",
        args.connections, args.seconds
    );
    println!(
        "| scenario | column | req/s | × hop | p50 ms | p99 ms | CPU µs/req | × hop | product CPU µs/req | errors |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let closed = Load {
        connections: args.connections,
        duration: Duration::from_secs_f64(args.seconds),
        max_requests: args.max_requests,
        rate: None,
    };
    let mut scenario_rows = Vec::new();
    let mut turns = Vec::new();
    let only = args.only.as_deref();
    let pass_only = only.is_some_and(|o| passthrough::LABEL.contains(o));
    for scenario in Scenario::ALL
        .into_iter()
        .filter(|s| only.is_none_or(|o| s.label().contains(o)))
    {
        let lanes = Column::ALL.map(|column| Lane {
            server: server_of(world, column),
            product: &world.product,
            target: &targets[column.index()],
            make: w.make(scenario, column),
        });
        let (rows, ratios) = interleaved(&lanes, closed, args.rounds).await?;
        print_rows(scenario.label(), &rows);
        turns.push((scenario.label().to_owned(), ratios));
        scenario_rows.push((scenario, rows));
    }
    if only == Some(RATE) {
        fixed_rate(&args, world, &targets, &w).await?;
        return Ok(());
    }
    if only == Some("cycle") {
        let (_, ratio) = cycle_tables(&args, world, &targets[2]).await?;
        println!("\n## Targets\n");
        println!("| target | measured | met |");
        println!("|---|---|---|");
        cycle_target(ratio);
        return Ok(());
    }
    if only.is_some() {
        if only.is_some_and(|o| MEMORY.contains(o)) && args.cache_mappings > 0 {
            let cache = fill_cache(&args, world, &targets, &w).await?;
            println!("\n## Targets\n");
            println!("| target | measured | met |");
            println!("|---|---|---|");
            target("idle RSS ≤ 20 MiB", format!("{idle_rss:.1} MiB"), idle_rss <= 20.0);
            cache_target(cache);
        }
        if pass_only {
            let pass = passthrough::run(&args, world, &tls).await?;
            turns.push(pass.turns());
            print_turns(&turns);
            println!("\n## Targets\n");
            println!("| target | measured | met |");
            println!("|---|---|---|");
            pass.targets();
        } else {
            print_turns(&turns);
            if !scenario_rows.is_empty() {
                println!("\n## Targets\n");
                println!("| target | measured | met |");
                println!("|---|---|---|");
                cpu_targets(&scenario_rows);
            }
        }
        return Ok(());
    }

    fixed_rate(&args, world, &targets, &w).await?;
    let (_, peak_after_load) = world.gateway.rss_mib();
    // After the peak above is read: the download resets the gateway's peak to measure its own.
    let pass = passthrough::run(&args, world, &tls).await?;
    turns.push(pass.turns());
    print_turns(&turns);
    let (batch, cycle_ratio) = cycle_tables(&args, world, &targets[2]).await?;

    let cache = if args.cache_mappings > 0 {
        Some(fill_cache(&args, world, &targets, &w).await?)
    } else {
        None
    };

    println!("\n## Targets\n");
    println!("| target | measured | met |");
    println!("|---|---|---|");
    cpu_targets(&scenario_rows);
    target(
        "idle RSS ≤ 20 MiB",
        format!("{idle_rss:.1} MiB (peak after the load scenarios {peak_after_load:.1} MiB)"),
        idle_rss <= 20.0,
    );
    pass.targets();
    if let Some(cache) = cache {
        cache_target(cache);
    }
    for (op, calls) in [&batch[0], &batch[2]] {
        target(
            &format!("{op}: 1 product call"),
            format!("{calls:.2}"),
            (calls - 1.0).abs() < 1e-9,
        );
    }
    cycle_target(cycle_ratio);
    Ok(())
}

/// The product calls per operation and the Entra-style cycle, printed; the calls per operation in the batch
/// membership style and the cycle's time as a multiple of its ideal.
async fn cycle_tables(args: &Args, world: &Running, gw: &Target) -> anyhow::Result<(Vec<(&'static str, f64)>, f64)> {
    println!(
        "\n## Product calls per SCIM operation (slow product, {} ms per call)\n",
        args.delay_ms
    );
    let cycle_scim = Scim::new(gw.clone(), &world.cycle_token);
    eprintln!("Entra-style cycle …");
    let phases = cycle::entra_cycle(
        &cycle_scim,
        &world.slow,
        args.cycle_users,
        args.cycle_groups,
        args.cycle_workers,
        4,
    )
    .await?;
    let n = args.cycle_users.min(100);
    let endpoints = cycle::calls_per_op(&cycle_scim, &world.slow, n).await?;
    let batch = cycle::calls_per_op(&Scim::new(gw.clone(), &world.calls_token), &world.slow, n).await?;
    println!("| operation | calls (members: a call each, shipped classic mapping) | calls (members: batch) |");
    println!("|---|---:|---:|");
    for ((op, e), (_, b)) in endpoints.iter().zip(&batch) {
        println!("| {op} | {e:.2} | {b:.2} |");
    }

    let delay = Duration::from_millis(args.delay_ms);
    println!(
        "\n## Entra-style initial cycle: {} users, {} groups, {} IdP workers, {} ms per product call\n",
        args.cycle_users, args.cycle_groups, args.cycle_workers, args.delay_ms
    );
    println!(
        "| phase | SCIM requests | product calls | calls in flight allowed | ideal s | took s | × ideal | errors |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let (mut ideal, mut took) = (Duration::ZERO, Duration::ZERO);
    for p in &phases {
        let i = p.ideal(delay);
        ideal += i;
        took += p.wall;
        println!(
            "| {} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {} |",
            p.label,
            p.requests,
            p.calls,
            p.concurrency,
            i.as_secs_f64(),
            p.wall.as_secs_f64(),
            p.wall.as_secs_f64() / i.as_secs_f64(),
            p.errors
        );
    }
    println!(
        "| **cycle** | | {} | | {:.2} | {:.2} | {:.2} | |",
        phases.iter().map(|p| p.calls).sum::<u64>(),
        ideal.as_secs_f64(),
        took.as_secs_f64(),
        took.as_secs_f64() / ideal.as_secs_f64()
    );

    Ok((batch, took.as_secs_f64() / ideal.as_secs_f64()))
}

fn cycle_target(ratio: f64) {
    target(
        "cycle ≤ 1.5 × calls × delay ÷ concurrency",
        format!("{ratio:.2} ×"),
        ratio <= 1.5,
    );
}

/// The text `--only` matches to run the memory step alone (after the scenarios it names, if any).
const MEMORY: &str = "memory: cache mappings";

/// The row of the RSS with the cached id mappings: (mappings, peak RSS MiB, bytes per mapping).
fn cache_target((mappings, rss, per_entry): (u64, f64, f64)) {
    target(
        &format!("RSS with {mappings} cached id mappings ≤ 450 MiB"),
        format!("{rss:.1} MiB ({per_entry:.0} bytes per mapping)"),
        rss <= 450.0,
    );
}

/// The CPU-per-request bound of each SCIM scenario, as a multiple of the minimal hop's in the same run: a read
/// costs at most 2.5 ×, a filter or a write at most 3 × (a group PATCH of 100 members is a hundred product calls:
/// no bound).
fn bound_of(scenario: Scenario) -> Option<f64> {
    match scenario {
        Scenario::GetUser => Some(2.5),
        Scenario::Members => None,
        _ => Some(3.0),
    }
}

/// The targets rows of the closed-loop scenarios' CPU per request.
fn cpu_targets(scenarios: &[(Scenario, Vec<Row>)]) {
    for (scenario, rows) in scenarios {
        let Some(bound) = bound_of(*scenario) else {
            continue;
        };
        let (hop, gwr) = (&rows[1], &rows[2]);
        let (g, h) = (gwr.server_us.unwrap_or(f64::NAN), hop.server_us.unwrap_or(f64::NAN));
        target(
            &format!("{}: gateway CPU/req ≤ {bound} × hop", scenario.label()),
            format!("{:.2} × ({g:.0} µs vs {h:.0} µs)", g / h),
            g / h <= bound,
        );
    }
}

/// A row of the targets table.
pub fn target(what: &str, measured: String, met: bool) {
    println!("| {what} | {measured} | {} |", if met { "yes" } else { "**no**" });
}

fn checked(what: &str, out: load::Outcome) -> anyhow::Result<load::Outcome> {
    anyhow::ensure!(
        out.errors == 0,
        "{what}: {} failed, first: {:?}",
        out.errors,
        out.first_error
    );
    Ok(out)
}

/// The process whose CPU a column reads in front of the fast product: none for the direct column.
fn server_of(world: &Running, column: Column) -> Option<&Proc> {
    match column {
        Column::Direct => None,
        Column::Hop => Some(&world.hop),
        Column::Gateway => Some(&world.gateway),
    }
}

/// [`measure_on`] the column's server in front of the fast product, after a warm-up.
async fn measure(
    world: &Running,
    target: &Target,
    column: Column,
    make: MakeRequest,
    load: Load,
) -> anyhow::Result<Row> {
    let row = measure_on(
        server_of(world, column),
        &world.product,
        target,
        make,
        load,
        load.duration / 4,
    )
    .await;
    if let Ok(Row { errors: 1.., .. }) = &row {
        eprintln!("  ({} column)", column.label());
    }
    row
}

/// One column of a closed-loop scenario: the process whose CPU is read (none for the direct column), the product
/// behind it, where the load goes and what it sends.
pub struct Lane<'a> {
    pub server: Option<&'a Proc>,
    pub product: &'a Proc,
    pub target: &'a Target,
    pub make: MakeRequest,
}

/// Run the three columns in turns, `rounds` times, `load.duration / rounds` each (warmed up for a quarter of
/// `load.duration` before the first turn only): each figure of a column is its median over the rounds and errors are summed. Also the gateway's CPU
/// per request as a multiple of the hop's in each round, for [`print_turns`].
pub async fn interleaved(lanes: &[Lane<'_>; 3], load: Load, rounds: usize) -> anyhow::Result<(Vec<Row>, Vec<f64>)> {
    let rounds = rounds.max(1);
    let turn = Load {
        duration: load.duration / u32::try_from(rounds).unwrap_or(u32::MAX),
        ..load
    };
    let mut runs: [Vec<Row>; 3] = Default::default();
    let mut ratios = Vec::new();
    for round in 0..rounds {
        for ((lane, column), rows) in lanes.iter().zip(Column::ALL).zip(&mut runs) {
            let row = measure_on(
                lane.server,
                lane.product,
                lane.target,
                lane.make.clone(),
                turn,
                if round == 0 { load.duration / 4 } else { Duration::ZERO },
            )
            .await?;
            if row.errors > 0 {
                eprintln!("  ({} column)", column.label());
            }
            rows.push(row);
        }
        if let (Some(gw), Some(hop)) = (runs[2][round].server_us, runs[1][round].server_us) {
            ratios.push(gw / hop);
        }
    }
    Ok((runs.iter().map(|rows| median_row(rows)).collect(), ratios))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn median_row(rows: &[Row]) -> Row {
    let of = |f: fn(&Row) -> f64| median(rows.iter().map(f).collect());
    let server: Vec<f64> = rows.iter().filter_map(|r| r.server_us).collect();
    Row {
        rps: of(|r| r.rps),
        p50: of(|r| r.p50),
        p99: of(|r| r.p99),
        server_us: (!server.is_empty()).then(|| median(server)),
        product_us: of(|r| r.product_us),
        errors: rows.iter().map(|r| r.errors).sum(),
    }
}

/// The gateway's CPU per request against the hop's, round by round, for each scenario run in turns.
pub fn print_turns(turns: &[(String, Vec<f64>)]) {
    if turns.iter().all(|(_, ratios)| ratios.len() < 2) {
        return;
    }
    println!("\n## CPU per request × hop, round by round (the columns take turns; the tables show medians)\n");
    println!("| scenario | rounds | median |");
    println!("|---|---|---:|");
    for (label, ratios) in turns {
        let each: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
        println!("| {label} | {} | {:.2} |", each.join(", "), median(ratios.clone()));
    }
}

/// Warm up for `warm_up` (none when zero), then run `load` and read the CPU time of `server` (the hop or the
/// gateway, none for the direct column) and `product` around it.
pub async fn measure_on(
    server: Option<&Proc>,
    product: &Proc,
    target: &Target,
    make: MakeRequest,
    load: Load,
    warm_up: Duration,
) -> anyhow::Result<Row> {
    if !warm_up.is_zero() {
        let warm = Load {
            duration: warm_up,
            ..load
        };
        load::run(target, warm, make.clone()).await?;
    }
    let (server0, product0) = (server.map(Proc::cpu), product.cpu());
    let out = load::run(target, load, make).await?;
    let (server1, product1) = (server.map(Proc::cpu), product.cpu());
    if let Some(e) = &out.first_error {
        eprintln!("  {} errors, first: {e}", out.errors);
    }
    let served = (out.ok + out.errors).max(1) as f64;
    let us = |a: Duration, b: Duration| (b - a).as_secs_f64() * 1e6 / served;
    Ok(Row {
        rps: out.rate(),
        p50: out.quantile_ms(0.5),
        p99: out.quantile_ms(0.99),
        server_us: server0.zip(server1).map(|(a, b)| us(a, b)),
        product_us: us(product0, product1),
        errors: out.errors,
    })
}

/// Print one scenario's rows, with ratios to the hop (the second row).
pub fn print_rows(label: &str, rows: &[Row]) {
    let hop = &rows[1];
    for (column, r) in Column::ALL.into_iter().zip(rows) {
        let cpu = r.server_us.map_or("–".to_owned(), |us| format!("{us:.1}"));
        let cpu_ratio = match (r.server_us, hop.server_us) {
            (Some(a), Some(b)) => format!("{:.2}", a / b),
            _ => "–".to_owned(),
        };
        println!(
            "| {label} | {} | {:.0} | {:.2} | {:.3} | {:.3} | {cpu} | {cpu_ratio} | {:.1} | {} |",
            column.label(),
            r.rps,
            r.rps / hop.rps,
            r.p50,
            r.p99,
            r.product_us,
            r.errors
        );
    }
}

/// Seed the product up to `cache_mappings / 2` users, read them all through the gateway as a tenant whose cache is
/// still empty (each user leaves its `userName` and `externalId` there), and read the gateway's memory:
/// (mappings, peak RSS MiB, bytes per mapping).
async fn fill_cache(args: &Args, world: &Running, targets: &[Target; 3], w: &World) -> anyhow::Result<(u64, f64, f64)> {
    let users = args.cache_mappings / 2;
    let have = product_users(world, &targets[0]).await?;
    eprintln!("seeding {} more users for the cache …", users.saturating_sub(have));
    let seed = Load {
        connections: 8,
        duration: LONG,
        max_requests: users.saturating_sub(have),
        rate: None,
    };
    checked(
        "seed cache users",
        load::run(&targets[0], seed, w.seed_users("bulk")).await?,
    )?;
    // The first `users` users only: earlier scenarios may have created more, and the figure is for the mappings asked.
    let total = product_users(world, &targets[0]).await?.min(users);
    let (before, _) = world.gateway.rss_mib();
    eprintln!("reading {total} users through the gateway …");
    let pages = Load {
        connections: 2,
        duration: LONG,
        max_requests: total.div_ceil(200),
        rate: None,
    };
    checked(
        "list users",
        load::run(&targets[2], pages, w.list_pages(&world.cache_token)).await?,
    )?;
    let (after, peak) = world.gateway.rss_mib();
    // Every bench user has a userName and an externalId.
    let added = 2 * total;
    println!("\n## Memory\n");
    println!("gateway RSS: {before:.1} MiB before reading {total} users, {after:.1} MiB after (peak {peak:.1} MiB)");
    Ok((
        2 * total,
        peak,
        (after - before) * 1024.0 * 1024.0 / added.max(1) as f64,
    ))
}

async fn product_users(world: &Running, target: &Target) -> anyhow::Result<u64> {
    let mut conn = load::connect(target).await?;
    let key = http::HeaderValue::from_str(&world.api_key)?;
    let req = load::request(
        http::Method::GET,
        "/api/v1/users?per_page=1",
        &[(http::HeaderName::from_static("x-api-key"), key)],
        None,
    );
    let (_, body) = load::send(&mut conn, req).await?;
    let json: serde_json::Value = serde_json::from_slice(&body)?;
    json["meta"]["total"]
        .as_u64()
        .ok_or_else(|| anyhow::anyhow!("no meta.total in {json}"))
}

/// `--only instructions`: the gateway's and the hop's instructions per request on the same two paths.
async fn instruction_table(
    args: &Args,
    world: &Running,
    targets: &[Target; 3],
    w: &World,
    tls: &tokio_rustls::TlsConnector,
) -> anyhow::Result<()> {
    let n = args.instruction_requests;
    let dir = instructions::dir();
    println!("\n## Instructions per request (callgrind, {n} requests one after another on one TLS connection)\n");
    println!("| path | hop | gateway | × hop |");
    println!("|---|---:|---:|---:|");
    let get = |column| w.make(Scenario::GetUser, column);
    let hop = instructions::count(&dir, "hop", &world.hop, &targets[1], &get(Column::Hop), n).await?;
    let gateway = instructions::count(&dir, "gateway", &world.gateway, &targets[2], &get(Column::Gateway), n).await?;
    let row = |label: &str, hop: &instructions::Count, gateway: &instructions::Count| {
        println!(
            "| {label} | {:.0} | {:.0} | {:.2} |",
            hop.per_request,
            gateway.per_request,
            gateway.per_request / hop.per_request
        );
    };
    row(Scenario::GetUser.label(), &hop, &gateway);
    let page = passthrough::page();
    let origin_hop = Target {
        addr: world.origin_hop.addr,
        tls: Some(tls.clone()),
    };
    let pass_hop = instructions::count(&dir, "origin-hop", &world.origin_hop, &origin_hop, &page, n).await?;
    let pass_gateway = instructions::count(&dir, "gateway", &world.gateway, &targets[2], &page, n).await?;
    row("pass-through GET static page", &pass_hop, &pass_gateway);
    println!("\nThe dumps, for `callgrind_annotate --inclusive=yes`, were:");
    for c in [&hop, &gateway, &pass_hop, &pass_gateway] {
        println!("- {}", c.file.display());
    }
    Ok(())
}

/// `--only rate`: the fixed-rate latency scenario alone.
const RATE: &str = "rate";

/// `GET /Users/{id}` at a fixed rate per connection in each column, printed.
async fn fixed_rate(args: &Args, world: &Running, targets: &[Target; 3], w: &World) -> anyhow::Result<Vec<Row>> {
    let fixed = Load {
        connections: args.rate_connections,
        // At 400 requests a second, a p99 over 5 s is the 20th-slowest of 2,000 and swung by ±1 ms between runs on
        // the shared machine; 15 s gives it 6,000 to stand on.
        duration: Duration::from_secs_f64(args.seconds.max(15.0)),
        max_requests: args.max_requests,
        rate: Some(args.rate),
    };
    let mut rows = Vec::new();
    for (column, target) in Column::ALL.into_iter().zip(targets) {
        rows.push(measure(world, target, column, w.make(Scenario::GetUser, column), fixed).await?);
    }
    let label = format!("GET /Users/{{id}} at {} × {} req/s", args.rate_connections, args.rate);
    print_rows(&label, &rows);
    Ok(rows)
}
