//! `--only replicas`: two replicas behind one name, each tenant's rate limit kept locally (each replica its own) or
//! shared through one Redis (`[shared]`), side by side in one run. Both columns are two gateway processes in front of
//! one sample product, loaded through both replicas at once; the columns take turns (`--rounds`), and each figure is
//! the median over the rounds. What the shared limit adds: one `EVALSHA` to Redis per request, at p50 and p99, and
//! CPU per request in the gateways and in Redis.

use crate::Args;
use crate::load::{self, Load, MakeRequest, Outcome, Target};
use crate::procs::{self, Proc};
use http::{HeaderValue, Method};
use scimgate::token::{TokenHash, new_token};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The text `--only` names this step by.
pub const ONLY: &str = "replicas";

/// The requests measured: one without a product call, where the limiter's cost stands out, and one with.
const PATHS: [(&str, &str); 2] = [
    ("GET /ServiceProviderConfig", "/scim/v2/ServiceProviderConfig"),
    ("GET /Users/{id}", "/scim/v2/Users/1"),
];

/// One column's two replicas.
struct Column {
    label: &'static str,
    replicas: [Proc; 2],
}

/// Start Redis, the product and both columns, and print the table.
pub async fn run(args: &Args, binary: &Path) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("scimgate-bench-replicas-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let outcome = measure(args, binary, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

async fn measure(args: &Args, binary: &Path, dir: &Path) -> anyhow::Result<()> {
    let certs = scimgate::demo::generate_certs(dir)?;
    let redis_addr = procs::free_addr()?;
    let redis_args: Vec<String> = [
        "--bind",
        "127.0.0.1",
        "--port",
        &redis_addr.port().to_string(),
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    .map(String::from)
    .to_vec();
    let redis = procs::spawn(
        "redis-server",
        Path::new("redis-server"),
        &redis_args,
        &[],
        redis_addr,
        None,
    )
    .await?;
    let api_key = new_token();
    let key_file = dir.join("product.key");
    scimgate::demo::write_private(&key_file, &api_key)?;
    let addr = procs::free_addr()?;
    let product_args = ["sample-product", "--listen", &addr.to_string(), "--api-key", &api_key].map(String::from);
    let quiet = [("SCIMGATE_LOG", "warn")];
    let product = procs::spawn("product", binary, &product_args, &quiet, addr, None).await?;
    let token = new_token();
    let config = |shared: bool, addr: std::net::SocketAddr, admin: std::net::SocketAddr| {
        format!(
            "[server]\nlisten = \"{addr}\"\ntls = {{ cert = {:?}, key = {:?} }}\n[admin]\nlisten = \"{admin}\"\n{}\n\
             [[tenants]]\nid = \"bench\"\ntokens = [\"{}\"]\nmapping = \"classic\"\n\
             rate_limit = {{ per_second = 1000000, burst = 1000000 }}\n\
             upstream = {{ base_url = \"http://{}/api/v1\", auth = {{ header = \"X-Api-Key\", secret = \"file:{}\" }} }}\n\n{}",
            certs.cert.display().to_string(),
            certs.key.display().to_string(),
            if shared {
                format!("[shared]\nredis = \"redis://{redis_addr}/0\"\nlocal_share = 0.5\n")
            } else {
                String::new()
            },
            TokenHash::of(&token).to_config(),
            product.addr,
            key_file.display(),
            scimgate::demo::SAMPLE_MAPPING,
        )
    };
    let mut columns = Vec::new();
    for (label, shared) in [("local limiter", false), ("shared limit (Redis)", true)] {
        let mut replicas = Vec::new();
        for i in 0..2 {
            let (addr, admin) = (procs::free_addr()?, procs::free_addr()?);
            let path = dir.join(format!("{}-{i}.toml", if shared { "shared" } else { "local" }));
            std::fs::write(&path, config(shared, addr, admin))?;
            let run = ["run", "--config", &path.display().to_string()].map(String::from);
            replicas.push(procs::spawn("gateway", binary, &run, &quiet, addr, None).await?);
        }
        let replicas: [Proc; 2] = replicas.try_into().map_err(|_| anyhow::anyhow!("two replicas"))?;
        columns.push(Column { label, replicas });
    }
    let tls = load::tls_connector(&std::fs::read(&certs.ca)?)?;
    // One user for GET /Users/{id}, straight in the product.
    let seed = Target {
        addr: product.addr,
        tls: None,
    };
    let mut conn = load::connect(&seed).await?;
    let body = r#"{"username":"bench@example.com","email":"bench@example.com","external_ref":"b1","first_name":"Bench","last_name":"User","status":"active"}"#;
    let key = http::HeaderName::from_static("x-api-key");
    let req = load::request(
        Method::POST,
        "/api/v1/users",
        &[(key, HeaderValue::from_str(&api_key)?)],
        Some(body.to_owned()),
    );
    let (status, answer) = load::send(&mut conn, req).await?;
    anyhow::ensure!(status.is_success(), "seeding the user: {status} {answer:?}");
    // Let the shared replicas' first probe find Redis.
    tokio::time::sleep(Duration::from_secs(2)).await;

    println!(
        "\n## Two replicas, local limiter vs shared limit through one Redis: {} connections, {} rounds of {:.1} s\n",
        args.connections,
        args.rounds,
        args.seconds / args.rounds as f64
    );
    println!("| request | limit | req/s | p50 ms | p99 ms | gateway CPU µs/req | Redis CPU µs/req | errors |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for (label, path) in PATHS {
        let auth = HeaderValue::from_str(&format!("Bearer {token}"))?;
        let make: MakeRequest =
            Arc::new(move |_| load::request(Method::GET, path, &[(http::header::AUTHORIZATION, auth.clone())], None));
        let mut rounds: Vec<Vec<Row>> = vec![Vec::new(); columns.len()];
        for round in 0..args.rounds {
            for (c, column) in columns.iter().enumerate() {
                let turn = Duration::from_secs_f64(args.seconds / args.rounds as f64);
                if round == 0 {
                    both(column, &tls, &make, args, turn / 4).await?;
                }
                let cpu = |col: &Column| col.replicas.iter().map(Proc::cpu).sum::<Duration>();
                let (gw_before, redis_before) = (cpu(column), redis.cpu());
                let outcome = both(column, &tls, &make, args, turn).await?;
                let (gw, rd) = (cpu(column) - gw_before, redis.cpu() - redis_before);
                let per = |d: Duration| d.as_secs_f64() * 1e6 / outcome.ok.max(1) as f64;
                rounds[c].push(Row {
                    rate: outcome.rate(),
                    p50: outcome.quantile_ms(0.5),
                    p99: outcome.quantile_ms(0.99),
                    gateway_cpu: per(gw),
                    redis_cpu: per(rd),
                    errors: outcome.errors,
                });
            }
        }
        for (column, rows) in columns.iter().zip(rounds) {
            let median = |f: fn(&Row) -> f64| {
                let mut v: Vec<f64> = rows.iter().map(f).collect();
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            println!(
                "| {label} | {} | {:.0} | {:.3} | {:.3} | {:.1} | {:.1} | {} |",
                column.label,
                median(|r| r.rate),
                median(|r| r.p50),
                median(|r| r.p99),
                median(|r| r.gateway_cpu),
                median(|r| r.redis_cpu),
                rows.iter().map(|r| r.errors).sum::<u64>(),
            );
        }
    }
    Ok(())
}

/// One round's figures of a column.
#[derive(Clone)]
struct Row {
    rate: f64,
    p50: f64,
    p99: f64,
    gateway_cpu: f64,
    redis_cpu: f64,
    errors: u64,
}

/// Load both replicas of `column` at once, half the connections each, for `duration`; the outcomes merged.
async fn both(
    column: &Column,
    tls: &tokio_rustls::TlsConnector,
    make: &MakeRequest,
    args: &Args,
    duration: Duration,
) -> anyhow::Result<Outcome> {
    let load = Load {
        connections: (args.connections / 2).max(1),
        duration,
        max_requests: args.max_requests / 2,
        rate: None,
    };
    let targets = column.replicas.each_ref().map(|p| Target {
        addr: p.addr,
        tls: Some(tls.clone()),
    });
    let (a, b) = tokio::join!(
        load::run(&targets[0], load, make.clone()),
        load::run(&targets[1], load, make.clone())
    );
    let (mut a, b) = (a?, b?);
    a.ok += b.ok;
    a.errors += b.errors;
    a.first_error = a.first_error.or(b.first_error);
    a.elapsed = a.elapsed.max(b.elapsed);
    a.latencies.extend(b.latencies);
    a.latencies.sort_unstable();
    Ok(a)
}
