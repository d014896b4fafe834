//! The `scimgate` command: serve, check a config, make tokens, run the demo or the sample product.
#![forbid(unsafe_code)]

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use scimgate::mapping::push_down::Match;
use scimgate::token::{TokenHash, new_token};
use scimgate::{config, demo, sample, server};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// mimalloc: with glibc's malloc and free, allocation was an eighth of a request's CPU (docs/PERFORMANCE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A SCIM 2.0 gateway in front of a product's own user and team API.
#[derive(Parser)]
#[command(name = "scimgate", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Config file(s), merged in order (for the default `run`).
    #[arg(long, short, global = true, env = "SCIMGATE_CONFIG", value_delimiter = ',')]
    config: Vec<PathBuf>,
    /// Log format: json or text.
    #[arg(long, global = true, default_value = "json", env = "SCIMGATE_LOG_FORMAT")]
    log_format: String,
}

#[derive(Subcommand)]
enum Command {
    /// Serve SCIM (the default).
    Run,
    /// Validate the config and print the tenants and mappings it defines; with --live, also try each tenant's
    /// mapping against its product.
    Check(CheckArgs),
    /// Exit 0 when the admin listener answers /healthz (for container health checks).
    Healthcheck {
        /// The health URL.
        #[arg(long, default_value = "http://127.0.0.1:9090/healthz")]
        url: String,
    },
    /// Show, offline, what a mapping makes of product objects, SCIM writes, listings, filters and errors.
    Preview(Box<PreviewArgs>),
    /// Tokens for the IdPs.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The gateway and the bundled sample product in one process, with a generated certificate and token.
    Demo {
        /// Address of the gateway.
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: SocketAddr,
        /// Where to write the certificate, key and config (default: a new folder under the temp dir).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Run only the bundled sample product API.
    SampleProduct {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9000")]
        listen: SocketAddr,
        /// The API key clients must send (how depends on the shape).
        #[arg(long, env = "SAMPLE_PRODUCT_API_KEY", default_value = "sample-key")]
        api_key: String,
        /// The API shape to speak: classic (integer ids, X-Api-Key), named (name keys, bearer) or uuid (UUIDs,
        /// HTTP Basic).
        #[arg(long, default_value_t = sample::Shape::Classic)]
        shape: sample::Shape,
        /// Wait this many milliseconds before answering each request (a slow product, for benchmarks).
        #[arg(long, default_value_t = 0)]
        delay_ms: u64,
    },
}

/// `scimgate check`: the config alone, or with --live its mappings against the products.
#[derive(clap::Args)]
struct CheckArgs {
    /// Call each tenant's product with its credentials and report, per mapping rule, what the product does.
    #[arg(long)]
    live: bool,
    /// With --live: only this tenant.
    #[arg(long, requires = "live")]
    tenant: Option<String>,
    /// With --live: also create, update and delete a throwaway user and team (`scimgate-check-<random>`).
    #[arg(long, requires = "live")]
    write: bool,
    /// With --live: print the findings as JSON.
    #[arg(long, requires = "live")]
    json: bool,
}

/// `scimgate preview`: one input, one direction.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(
    ["product_json", "scim_json", "listing_json", "filter", "error_json"]
)))]
struct PreviewArgs {
    /// The mapping (default: the only one, or the tenant's).
    #[arg(long)]
    mapping: Option<String>,
    /// Use the mapping of this tenant.
    #[arg(long)]
    tenant: Option<String>,
    /// `user` or `group`.
    #[arg(long, default_value = "user")]
    resource: String,
    /// A product object as the product's single read returns it (JSON file, `-` for stdin): print the SCIM
    /// resource it becomes, or with --patch / --put the product calls that update it.
    #[arg(long)]
    product_json: Option<PathBuf>,
    /// A SCIM PATCH body (JSON file, `-` for stdin) against --product-json: print the product calls it makes.
    #[arg(long, requires = "product_json", conflicts_with = "put")]
    patch: Option<PathBuf>,
    /// A SCIM resource for PUT (JSON file, `-` for stdin) against --product-json: print the product calls it makes.
    #[arg(long, requires = "product_json")]
    put: Option<PathBuf>,
    /// With --resource group and --patch / --put: a product user a member change reads or writes, as its single
    /// read returns it (repeatable; reads of other objects answer 404).
    #[arg(long, requires = "product_json")]
    user_json: Vec<PathBuf>,
    /// A SCIM resource (JSON file, `-` for stdin): print the product body a create sends.
    #[arg(long)]
    scim_json: Option<PathBuf>,
    /// With --scim-json: the product's successful answer to the create (file, `-` for stdin; an empty file for an
    /// empty answer): print the SCIM resource it becomes, or the read that fetches the object.
    #[arg(long, requires = "scim_json")]
    answer_json: Option<PathBuf>,
    /// With --answer-json: the answer's `Location` header.
    #[arg(long, requires = "answer_json")]
    location: Option<String>,
    /// A product listing page (JSON file, `-` for stdin): print the SCIM ListResponse it becomes.
    #[arg(long)]
    listing_json: Option<PathBuf>,
    /// A SCIM filter (`userName eq "ada@example.com"`): print the product query and what the gateway evaluates.
    #[arg(long)]
    filter: Option<String>,
    /// A product error body (file, `-` for stdin) answered with --status: print the SCIM error the IdP gets.
    #[arg(long, requires = "status")]
    error_json: Option<PathBuf>,
    /// The product's status code for --error-json.
    #[arg(long)]
    status: Option<u16>,
    /// The operation the product answered for --error-json, as the mapping's error rules name it (list, get,
    /// create, update, delete, member_add, member_remove).
    #[arg(long, requires = "error_json")]
    operation: Option<String>,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a fresh token and the digest line to paste into the tenant's `tokens`.
    New {
        /// The tenant the token is for.
        #[arg(long)]
        tenant: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The audit output is part of the config; a config that does not load is reported by the command itself.
    let audit = match cli.command {
        None | Some(Command::Run) => config_paths(&cli.config)
            .ok()
            .and_then(|paths| config::load(paths).ok())
            .and_then(|file| file.audit.output),
        _ => None,
    };
    let audit = match init_logging(&cli.log_format, audit.as_deref()) {
        Ok(audit) => audit,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    match run(cli, audit) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli, audit: Option<scimgate::audit::Output>) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Run) {
        Command::Run => serve(&cli.config, audit),
        Command::Check(args) if args.live => check_live(&cli.config, args),
        Command::Check(_) => check(&cli.config),
        Command::Healthcheck { url } => tokio_runtime()?
            .block_on(scimgate::admin::healthcheck(&url))
            .map_err(anyhow::Error::msg),
        Command::Preview(args) => preview(&cli.config, *args),
        Command::Token {
            command: TokenCommand::New { tenant },
        } => {
            scimgate::tenant::TenantId::parse(&tenant).map_err(|m| anyhow::anyhow!("--tenant: {m}"))?;
            let token = new_token();
            println!("Token for tenant {tenant} (give it to the IdP as its Secret Token; it is not stored anywhere):");
            println!("{token}");
            println!("Add this line to the tenant's tokens in the config:");
            println!("\"{}\"", TokenHash::of(&token).to_config());
            Ok(())
        }
        Command::Demo { listen, dir } => {
            let dir = dir.unwrap_or_else(|| std::env::temp_dir().join(format!("scimgate-demo-{}", std::process::id())));
            tokio_runtime()?.block_on(demo::run(listen, dir))?;
            Ok(())
        }
        Command::SampleProduct {
            listen,
            api_key,
            shape,
            delay_ms,
        } => tokio_runtime()?.block_on(async {
            let listener = server::bind(listen).await?;
            println!(
                "sample product API on http://{}/api/v1 ({shape} shape; auth: {})",
                listener.local_addr()?,
                shape.auth_hint()
            );
            let options = sample::SampleOptions {
                api_key,
                shape,
                delay: (delay_ms > 0).then(|| std::time::Duration::from_millis(delay_ms)),
            };
            tokio::select! {
                r = sample::serve(listener, options) => r?,
                () = demo::shutdown_signal() => {},
            }
            Ok(())
        }),
    }
}

fn tokio_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn config_paths(paths: &[PathBuf]) -> anyhow::Result<&[PathBuf]> {
    anyhow::ensure!(
        !paths.is_empty(),
        "no config file: pass --config PATH (or set SCIMGATE_CONFIG)"
    );
    Ok(paths)
}

fn serve(paths: &[PathBuf], audit: Option<scimgate::audit::Output>) -> anyhow::Result<()> {
    let gateway = config::validate(&config::load(config_paths(paths)?)?)?;
    if gateway.tls.is_none() {
        tracing::warn!(
            "serving plain HTTP (server.plaintext = true): bearer tokens cross the network unencrypted unless a TLS proxy is in front"
        );
    }
    let paths = config_paths(paths)?.to_vec();
    tokio_runtime()?.block_on(async {
        let listener = server::bind(gateway.listen).await?;
        let tenants = gateway.gateway.tenants.len();
        let metrics = gateway.gateway.metrics.clone();
        // Connects in the background: serving never waits for Redis.
        if let Some(shared) = &gateway.gateway.shared {
            shared.start();
        }
        let live = Arc::new(server::Live::new(Arc::new(gateway.gateway), gateway.tls));
        if let Some(addr) = gateway.admin {
            let admin = server::bind(addr).await?;
            tracing::info!(addr = %admin.local_addr()?, "serving health and metrics");
            let state = Arc::new(scimgate::admin::Admin::live(live.clone()));
            tokio::spawn(scimgate::admin::serve(admin, state, std::future::pending()));
        }
        // Reloads are watched for before the address is announced: a SIGHUP or a change from then on is seen.
        scimgate::reload::spawn(paths, live.clone(), metrics, gateway.listen, audit);
        tracing::info!(addr = %listener.local_addr()?, tenants, "serving SCIM");
        server::serve_live(listener, live.clone(), demo::shutdown_signal()).await;
        // Writes whose client left before the answer still run to their end (and their audit line).
        let gateway = live.gateway();
        gateway.writes.close();
        if tokio::time::timeout(gateway.settings.drain_timeout, gateway.writes.wait())
            .await
            .is_err()
        {
            tracing::warn!("SCIM writes still running after the drain period; stopping them");
        }
        Ok(())
    })
}

fn check(paths: &[PathBuf]) -> anyhow::Result<()> {
    let file = config::load(config_paths(paths)?)?;
    let runtime = config::validate(&file)?;
    println!("config OK");
    println!(
        "listen: {} ({})",
        runtime.listen,
        if runtime.tls.is_some() { "TLS" } else { "plain HTTP" }
    );
    let gw = &runtime.gateway;
    match &gw.passthrough {
        Some(p) => println!(
            "SCIM under {}; every other path passed through to {}",
            gw.settings.base_paths.join(", "),
            p.origin()
        ),
        None => println!("SCIM under {}; other paths: 404", gw.settings.base_paths.join(", ")),
    }
    if let Some(shared) = &file.shared {
        println!(
            "shared state: Redis at {} (not contacted by check); each replica admits {} of a tenant's rate while it is unreachable",
            shared.redis, shared.local_share
        );
    }
    for (tenant, t) in runtime.gateway.tenants.iter().zip(&file.tenants) {
        println!(
            "tenant {}{}: {} token(s), {} req/s (burst {}), mapping {:?}, product {}",
            tenant.id,
            if tenant.hosts.is_empty() {
                String::new()
            } else {
                format!(" on {}", tenant.hosts.join(", "))
            },
            tenant.tokens.len(),
            t.rate_limit.per_second,
            t.rate_limit.burst,
            t.mapping,
            tenant.upstream.base_url()
        );
    }
    for (name, m) in &file.mappings {
        let groups = match &m.groups {
            Some(g) => format!(
                ", Groups → {} attribute(s), members by {}",
                g.attributes.len(),
                g.members.as_ref().map_or("-", |x| x.style.as_str())
            ),
            None => ", no Groups".to_owned(),
        };
        println!(
            "mapping {name}: Users → {} attribute(s){groups}",
            m.users.attributes.len()
        );
    }
    Ok(())
}

/// `check --live`: the findings as a table or JSON on stdout; an error (non-zero exit) when any failed.
fn check_live(paths: &[PathBuf], args: CheckArgs) -> anyhow::Result<()> {
    let file = config::load(config_paths(paths)?)?;
    let runtime = config::validate(&file)?;
    let options = scimgate::check::Options {
        tenant: args.tenant,
        write: args.write,
    };
    let reports = tokio_runtime()?
        .block_on(scimgate::check::run(&file, &runtime.gateway, &options))
        .map_err(anyhow::Error::msg)?;
    let text = if args.json {
        format!("{}\n", serde_json::to_string_pretty(&scimgate::check::json(&reports))?)
    } else {
        scimgate::check::human(&reports)
    };
    // A reader that stops early (`| head`) is not an error of the check.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
    anyhow::ensure!(
        !scimgate::check::failed(&reports),
        "the live check failed (✗ above): the mapping does not match what the product does"
    );
    Ok(())
}

fn preview(paths: &[PathBuf], args: PreviewArgs) -> anyhow::Result<()> {
    use scimgate::preview::{self, Resource, update};
    let file = config::load(config_paths(paths)?)?;
    let mapping = preview::mapping_of(&file, args.mapping.as_deref(), args.tenant.as_deref())?;
    let resource = match args.resource.to_ascii_lowercase().as_str() {
        "user" | "users" => Resource::User,
        "group" | "groups" => Resource::Group,
        other => anyhow::bail!("--resource {other:?}: expected user or group"),
    };
    let base_url = "https://scim.example.invalid/scim/v2";
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let out: Result<String, scimgate::scim::Error> = if let Some(p) = &args.product_json {
        let product = read_json(p)?;
        let write = match (&args.patch, &args.put) {
            (Some(b), _) => Some((update::Verb::Patch, read_json(b)?)),
            (None, Some(b)) => Some((update::Verb::Put, read_json(b)?)),
            (None, None) => None,
        };
        match write {
            None => preview::to_scim(&mapping, resource, &product, base_url).map(|v| pretty(&v)),
            Some((verb, body)) => {
                let settings = update::settings_of(&file)?;
                let users = args
                    .user_json
                    .iter()
                    .map(read_json)
                    .collect::<anyhow::Result<Vec<_>>>()?;
                tokio_runtime()?
                    .block_on(update::calls(
                        mapping, &settings, resource, verb, &product, &users, body,
                    ))
                    .map(|calls| {
                        let mut out = Vec::new();
                        for c in calls {
                            out.push(format!("{} {}", c.method, c.path));
                            out.extend(c.body.as_ref().map(pretty));
                        }
                        out.join("\n")
                    })
            }
        }
    } else if let Some(s) = &args.scim_json {
        let scim = read_json(s)?;
        let answer = args.answer_json.as_ref().map(read_bytes).transpose()?;
        preview::create_call(&mapping, resource, &scim).and_then(|call| {
            let body = pretty(&preview::to_product(&mapping, resource, &scim)?);
            let mut out = call.map_or_else(|| body.clone(), |call| format!("{call}\n{body}"));
            if let Some(answer) = &answer {
                let location = args.location.as_deref();
                out.push_str(
                    &match preview::create_answer(&mapping, resource, &scim, answer, location, base_url)? {
                        preview::CreateAnswer::Resource(r) => format!("\nthe IdP gets:\n{}", pretty(&r)),
                        preview::CreateAnswer::ReadBack(call) => {
                            format!("\nthe answer is empty; the object is read back: {call}")
                        }
                    },
                );
            }
            Ok(out)
        })
    } else if let Some(l) = &args.listing_json {
        preview::listing(&mapping, resource, &read_json(l)?, base_url).map(|l| match l.next {
            Some(Some(next)) => format!("{}\nnext page: {next}", pretty(&l.response)),
            Some(None) => format!("{}\nnext page: none (last page)", pretty(&l.response)),
            None => pretty(&l.response),
        })
    } else if let Some(f) = &args.filter {
        let limits = update::settings_of(&file)?.filter_limits;
        preview::query(&mapping, resource, f, &limits).map(|q| {
            let mut out = vec![format!("product call: {}", q.call)];
            if q.pushed.is_empty() {
                out.push("pushed down: nothing".into());
            }
            out.extend(q.matches.iter().map(|m| {
                let what = match m.matching {
                    Match::Exact => "exact match, the product's answer is trusted",
                    Match::CaseSensitive => "case-sensitive match, each result re-checked by the gateway",
                    Match::Superset => "superset match, each result re-checked by the gateway",
                };
                format!(
                    "pushed down: {} for {} ({what})",
                    m.sent.trim_start_matches('?'),
                    m.conjunct
                )
            }));
            out.push(match q.gateway {
                Some(g) => format!("evaluated by the gateway over the listing: {g}"),
                None => "evaluated by the gateway: nothing (the product's answer is the result)".into(),
            });
            if let Some(confirm) = q.confirm {
                out.push(format!(
                    "an empty answer is confirmed by the gateway's own scan (within limits.scan_limit): {confirm}"
                ));
            }
            out.join("\n")
        })
    } else if let (Some(e), Some(status)) = (&args.error_json, args.status) {
        let body = read_bytes(e)?;
        preview::error(&mapping, resource, status, &body, args.operation.as_deref())
            .map(|e| format!("HTTP {}\n{}", e.status.as_u16(), pretty(&e.to_body())))
    } else {
        anyhow::bail!("give --product-json, --scim-json, --listing-json, --filter or --error-json")
    };
    let users_hint = resource == Resource::Group && (args.patch.is_some() || args.put.is_some());
    match out {
        Ok(text) => {
            println!("{text}");
            Ok(())
        }
        Err(e) => anyhow::bail!(
            "{} ({}): {}{}",
            e.status.as_u16(),
            e.scim_type.map_or("-", |t| t.as_str()),
            e.detail,
            if users_hint && e.detail.contains("no user has id") {
                " (give the member users as the product returns them with --user-json)"
            } else {
                ""
            }
        ),
    }
}

/// A file's bytes, or stdin's for `-`.
fn read_bytes(path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut out)?;
        return Ok(out);
    }
    std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// A JSON file, or stdin's JSON for `-`.
fn read_json(path: &PathBuf) -> anyhow::Result<serde_json::Value> {
    serde_json::from_slice(&read_bytes(path)?).map_err(|e| anyhow::anyhow!("{}: not JSON: {e}", path.display()))
}

/// JSON (or text) logs on stderr filtered by `SCIMGATE_LOG`; the audit trail, as JSON lines, to `audit` (`stdout`
/// or a file appended to) and never into the logs. The audit output, to be reopened on SIGHUP.
fn init_logging(format: &str, audit: Option<&str>) -> anyhow::Result<Option<scimgate::audit::Output>> {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_env("SCIMGATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
        .add_directive(format!("{}=off", scimgate::audit::TARGET).parse()?);
    let logs = match format {
        "text" => tracing_subscriber::fmt::layer().with_writer(std::io::stderr).boxed(),
        _ => scimgate::logging::json(std::io::stderr).boxed(),
    };
    let output = audit
        .map(|output| {
            scimgate::audit::Output::open(output)
                .map_err(|e| anyhow::anyhow!("audit.output: cannot open {output}: {e}"))
        })
        .transpose()?;
    tracing_subscriber::registry()
        .with(logs.with_filter(filter))
        .with(output.clone().map(scimgate::audit::layer))
        .init();
    Ok(output)
}
