//! The pass-through scenarios: the gateway in reverse-proxy mode (`[server.passthrough]`) against a minimal hop in
//! front of the same origin, in one run. The origin is a static HTTP/1.1 server of the harness's own (started as
//! `bench origin`): `GET /download/{bytes}` streams that many bytes in 64 KiB frames, any other path answers a small
//! static page. Two scenarios: small GETs of the page in a closed loop (req/s, latency and CPU per request, each as
//! a ratio to the hop), and one large download per column (throughput, CPU per MiB, and the peak resident memory
//! of the hop and the gateway while the body streams through).

use crate::Args;
use crate::load::{self, Load, Target};
use crate::procs::Proc;
use crate::report;
use crate::scenarios::Column;
use crate::setup::Running;
use anyhow::Context as _;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// The text `--only` matches to run the pass-through scenarios.
pub const LABEL: &str = "pass-through";

/// The static page: about the size of a product's small HTML or JSON answer.
const PAGE: &[u8] = br#"<!doctype html><html><head><meta charset="utf-8"><title>Product</title></head><body><main><h1>Product</h1><p>A static answer of the product's own origin, passed through the gateway unchanged.</p></main></body></html>"#;

/// Frame size of the download.
const CHUNK: usize = 64 * 1024;

/// How long one download may take before it is cut short (and its partial throughput reported).
const DOWNLOAD_BOUND: Duration = Duration::from_secs(60);

/// Serve the origin on `listen` until the process is killed.
pub async fn serve_origin(listen: SocketAddr) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("bind {listen}"))?;
    let chunk = Bytes::from(vec![b'x'; CHUNK]);
    loop {
        let (tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        let chunk = chunk.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| answer(req, chunk.clone()));
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
    }
}

type OriginBody = http_body_util::Either<Full<Bytes>, Download>;

async fn answer(req: Request<Incoming>, chunk: Bytes) -> Result<Response<OriginBody>, Infallible> {
    let size = req
        .uri()
        .path()
        .strip_prefix("/download/")
        .and_then(|n| n.parse::<u64>().ok());
    let response = match size {
        Some(left) => Response::builder()
            .header(http::header::CONTENT_TYPE, "application/octet-stream")
            .body(http_body_util::Either::Right(Download { left, chunk })),
        None => Response::builder()
            .header(http::header::CONTENT_TYPE, "text/html; charset=utf-8")
            .header(http::header::CACHE_CONTROL, "max-age=60")
            .body(http_body_util::Either::Left(Full::new(Bytes::from_static(PAGE)))),
    };
    Ok(response.unwrap_or_else(|_| {
        let mut r = Response::new(http_body_util::Either::Left(Full::new(Bytes::new())));
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    }))
}

/// `left` bytes in frames of one shared chunk, with an exact length (so the answer carries a `Content-Length`).
pub struct Download {
    left: u64,
    chunk: Bytes,
}

impl Body for Download {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let n = self.left.min(self.chunk.len() as u64) as usize;
        self.left -= n as u64;
        Poll::Ready(Some(Ok(Frame::data(self.chunk.slice(..n)))))
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

/// One column's download.
#[derive(Debug, Clone)]
struct Downloaded {
    bytes: u64,
    secs: f64,
    /// CPU µs per MiB of the hop or the gateway.
    server_us_per_mib: Option<f64>,
    /// Resident memory of the hop or the gateway before the download and at its peak during it, MiB.
    rss: Option<(f64, f64)>,
    error: Option<String>,
}

impl Downloaded {
    fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.secs.max(1e-9)
    }
}

/// What the pass-through scenarios measured, for the targets table.
pub struct Measured {
    /// The small GET's CPU × hop in each round.
    turns: Vec<f64>,
    /// The small GET through the hop and the gateway side by side.
    paired: Vec<Paired>,
    downloads: Vec<Downloaded>,
    mib: u64,
}

fn servers(world: &Running) -> [Option<&Proc>; 3] {
    [None, Some(&world.origin_hop), Some(&world.gateway)]
}

/// The small GET of the static page, the same request for every column.
pub fn page() -> load::MakeRequest {
    Arc::new(|_| load::request(Method::GET, "/static/index.html", &[], None))
}

/// Run both scenarios in every column and print their tables.
pub async fn run(args: &Args, world: &Running, tls: &tokio_rustls::TlsConnector) -> anyhow::Result<Measured> {
    let targets = [
        Target {
            addr: world.origin.addr,
            tls: None,
        },
        Target {
            addr: world.origin_hop.addr,
            tls: Some(tls.clone()),
        },
        Target {
            addr: world.gateway.addr,
            tls: Some(tls.clone()),
        },
    ];
    let closed = Load {
        connections: args.connections,
        duration: Duration::from_secs_f64(args.seconds),
        max_requests: args.max_requests,
        rate: None,
    };
    let page = page();
    let [direct, hop, gateway] = servers(world);
    let lanes =
        [(direct, &targets[0]), (hop, &targets[1]), (gateway, &targets[2])].map(|(server, target)| report::Lane {
            server,
            product: &world.origin,
            target,
            make: page.clone(),
        });
    let (small, turns) = report::interleaved(&lanes, closed, args.rounds).await?;
    let label = format!("{LABEL} GET static page ({} bytes)", PAGE.len());
    report::print_rows(&label, &small);
    let paired = side_by_side(world, [&targets[1], &targets[2]], closed, args.rounds, &page).await?;
    print_side_by_side(&paired);

    let mib = args.download_mib;
    eprintln!("{LABEL}: downloading {mib} MiB per column …");
    let mut downloads = Vec::new();
    for (server, target) in servers(world).into_iter().zip(&targets) {
        downloads.push(download(server, target, mib * 1024 * 1024).await?);
    }
    println!("\n## Pass-through download: {mib} MiB, one connection, at most {DOWNLOAD_BOUND:?} a column\n");
    println!("| column | MiB read | MB/s | × hop | CPU µs/MiB | × hop | RSS before MiB | peak RSS MiB | error |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---|");
    let hop = &downloads[1];
    for (column, d) in Column::ALL.into_iter().zip(&downloads) {
        let cpu = d.server_us_per_mib.map_or("–".to_owned(), |us| format!("{us:.0}"));
        let cpu_ratio = match (d.server_us_per_mib, hop.server_us_per_mib) {
            (Some(a), Some(b)) => format!("{:.2}", a / b),
            _ => "–".to_owned(),
        };
        let (before, peak) = d.rss.map_or(("–".to_owned(), "–".to_owned()), |(b, p)| {
            (format!("{b:.1}"), format!("{p:.1}"))
        });
        println!(
            "| {} | {} | {:.0} | {:.2} | {cpu} | {cpu_ratio} | {before} | {peak} | {} |",
            column.label(),
            d.bytes / (1024 * 1024),
            d.mb_per_s(),
            d.mb_per_s() / hop.mb_per_s(),
            d.error.as_deref().unwrap_or("")
        );
    }
    Ok(Measured {
        turns,
        paired,
        downloads,
        mib,
    })
}

/// One round of the small GET sent to the hop and the gateway at the same time.
#[derive(Debug, Clone, Copy)]
struct Paired {
    /// CPU µs per request of the hop and of the gateway.
    hop_us: f64,
    gateway_us: f64,
    /// Requests per second through each.
    hop_rps: f64,
    gateway_rps: f64,
    /// Latency quantiles through each, ms: p50 and p99.
    hop_ms: [f64; 2],
    gateway_ms: [f64; 2],
}

/// The small GET sent to the hop and to the gateway at once, half the connections each, `rounds` times for
/// `load.duration / rounds`. Taking turns, each column meets the machine as it is during its own turn, and on a
/// shared host that drifts by tens of percent within seconds; side by side, both meet the same moment, so that
/// their ratio is read without the drift. Both share the two cores (and the origin) while they run: the figures
/// are each one's CPU per request, not its throughput alone.
async fn side_by_side(
    world: &Running,
    targets: [&Target; 2],
    load: Load,
    rounds: usize,
    page: &load::MakeRequest,
) -> anyhow::Result<Vec<Paired>> {
    let rounds = rounds.max(1);
    let each = Load {
        connections: (load.connections / 2).max(1),
        duration: load.duration / u32::try_from(rounds).unwrap_or(u32::MAX),
        ..load
    };
    let mut paired = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let cpu0 = (world.origin_hop.cpu(), world.gateway.cpu());
        let (hop, gateway) = tokio::join!(
            load::run(targets[0], each, page.clone()),
            load::run(targets[1], each, page.clone())
        );
        let cpu1 = (world.origin_hop.cpu(), world.gateway.cpu());
        let (hop, gateway) = (hop?, gateway?);
        anyhow::ensure!(
            hop.errors == 0 && gateway.errors == 0,
            "side by side: {} errors through the hop, {} through the gateway ({})",
            hop.errors,
            gateway.errors,
            hop.first_error.or(gateway.first_error).unwrap_or_default()
        );
        let us = |a: Duration, b: Duration, n: u64| (b - a).as_secs_f64() * 1e6 / n.max(1) as f64;
        paired.push(Paired {
            hop_us: us(cpu0.0, cpu1.0, hop.ok),
            gateway_us: us(cpu0.1, cpu1.1, gateway.ok),
            hop_rps: hop.rate(),
            gateway_rps: gateway.rate(),
            hop_ms: [hop.quantile_ms(0.5), hop.quantile_ms(0.99)],
            gateway_ms: [gateway.quantile_ms(0.5), gateway.quantile_ms(0.99)],
        });
    }
    Ok(paired)
}

/// The side-by-side rounds and their median ratios.
fn print_side_by_side(paired: &[Paired]) {
    println!("\n## {LABEL} GET static page, hop and gateway side by side (half the connections each, at once)\n");
    println!(
        "| round | hop req/s | gateway req/s | hop p50 ms | gateway p50 ms | hop p99 ms | gateway p99 ms | hop CPU µs/req | gateway CPU µs/req | CPU × hop |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (round, p) in paired.iter().enumerate() {
        println!(
            "| {} | {:.0} | {:.0} | {:.3} | {:.3} | {:.3} | {:.3} | {:.1} | {:.1} | {:.2} |",
            round + 1,
            p.hop_rps,
            p.gateway_rps,
            p.hop_ms[0],
            p.gateway_ms[0],
            p.hop_ms[1],
            p.gateway_ms[1],
            p.hop_us,
            p.gateway_us,
            p.gateway_us / p.hop_us
        );
    }
    let ratio = |f: fn(&Paired) -> f64| median(paired.iter().map(f));
    println!(
        "\nMedians of the rounds' ratios, gateway × hop: CPU/req {:.2}, req/s {:.2}, p50 {:.2}, p99 {:.2}",
        ratio(|p| p.gateway_us / p.hop_us),
        ratio(|p| p.gateway_rps / p.hop_rps),
        ratio(|p| p.gateway_ms[0] / p.hop_ms[0]),
        ratio(|p| p.gateway_ms[1] / p.hop_ms[1]),
    );
}

/// The median of the rounds' gateway CPU per request × the hop's.
fn side_by_side_ratio(paired: &[Paired]) -> f64 {
    median(paired.iter().map(|p| p.gateway_us / p.hop_us))
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Download `bytes` from `target` on one fresh connection, reading frame by frame (nothing is kept), and read the
/// server's CPU time and peak resident memory around it.
async fn download(server: Option<&Proc>, target: &Target, bytes: u64) -> anyhow::Result<Downloaded> {
    let mut conn = load::connect(target).await?;
    if let Some(p) = server {
        p.reset_peak_rss();
    }
    let rss_before = server.map(|p| p.rss_mib().0);
    let cpu0 = server.map(Proc::cpu);
    let started = Instant::now();
    let deadline = started + DOWNLOAD_BOUND;
    let req = load::request(Method::GET, &format!("/download/{bytes}"), &[], None);
    let (mut read, mut error) = (0u64, None);
    conn.ready().await?;
    let response = conn.send_request(req).await?;
    if response.status().is_success() {
        let mut body = response.into_body();
        loop {
            match tokio::time::timeout_at(deadline.into(), body.frame()).await {
                Ok(Some(Ok(frame))) => read += frame.data_ref().map_or(0, |d| d.len() as u64),
                Ok(None) => break,
                Ok(Some(Err(e))) => {
                    error = Some(e.to_string());
                    break;
                }
                Err(_) => {
                    error = Some(format!("cut short after {DOWNLOAD_BOUND:?}"));
                    break;
                }
            }
        }
    } else {
        error = Some(response.status().to_string());
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu1 = server.map(Proc::cpu);
    if read != bytes && error.is_none() {
        error = Some(format!("{read} of {bytes} bytes"));
    }
    let mib = (read as f64 / (1024.0 * 1024.0)).max(1e-9);
    Ok(Downloaded {
        bytes: read,
        secs,
        server_us_per_mib: cpu0.zip(cpu1).map(|(a, b)| (b - a).as_secs_f64() * 1e6 / mib),
        rss: rss_before.zip(server.map(|p| p.rss_mib().1)),
        error,
    })
}

impl Measured {
    /// The small GET's CPU × hop round by round, for [`report::print_turns`].
    pub fn turns(&self) -> (String, Vec<f64>) {
        (format!("{LABEL} GET static page"), self.turns.clone())
    }

    /// The pass-through rows of the targets table: CPU per request and per MiB against the minimal hop's.
    pub fn targets(&self) {
        // The small GET's targets are read side by side: taking turns, one build's CPU ratio read anywhere from
        // 0.87 to 1.51 on this shared host (docs/PERFORMANCE.md). The turns stay in the tables above.
        let paired = &self.paired;
        let rounds = paired.len();
        let side = side_by_side_ratio(paired);
        report::target(
            "pass-through GET side by side: gateway CPU/req ≤ 1.25 × hop",
            format!("{side:.2} × (median of {rounds} rounds)"),
            side <= 1.25,
        );
        let (hop, gw) = (&self.downloads[1], &self.downloads[2]);
        let (g, h) = (
            gw.server_us_per_mib.unwrap_or(f64::NAN),
            hop.server_us_per_mib.unwrap_or(f64::NAN),
        );
        report::target(
            &format!("pass-through {} MiB download: gateway CPU/MiB ≤ 1.3 × hop", self.mib),
            format!("{:.2} × ({g:.0} µs vs {h:.0} µs)", g / h),
            g / h <= 1.3 && gw.error.is_none(),
        );
        let (before, peak) = gw.rss.unwrap_or((f64::NAN, f64::NAN));
        let (hop_before, hop_peak) = hop.rss.unwrap_or((f64::NAN, f64::NAN));
        report::target(
            "pass-through download: gateway RSS growth ≤ 16 MiB (bounded, not the body)",
            format!(
                "+{:.1} MiB (peak {peak:.1} MiB; hop +{:.1} MiB)",
                peak - before,
                hop_peak - hop_before
            ),
            peak - before <= 16.0,
        );
    }
}
