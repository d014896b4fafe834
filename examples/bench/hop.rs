//! The minimal hop: what any TLS-terminating forwarder costs on this machine, and so the yardstick the gateway is
//! measured against. TLS in (the gateway's own rustls server config), HTTP/1.1 and HTTP/2 through hyper-util's auto
//! builder, a keep-alive pool out (hyper-util's legacy client), bodies streamed through, no logic at all.

use anyhow::Context as _;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, combinators::BoxBody};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

type Body = BoxBody<Bytes, hyper::Error>;

/// Forward every request arriving on `listen` to `upstream` (plain HTTP), until the process is killed.
pub async fn serve(listen: SocketAddr, upstream: SocketAddr, cert: &Path, key: &Path) -> anyhow::Result<()> {
    let tls = scimgate::server::tls::server_config(cert, key, None).map_err(anyhow::Error::msg)?;
    let acceptor = TlsAcceptor::from(tls);
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client: Client<HttpConnector, Incoming> = Client::builder(TokioExecutor::new()).build(connector);
    let client = Arc::new(client);
    // `BENCH_HOP_CLIENT=gateway`: reads go through the gateway's own product client instead (for attribution).
    let product = match std::env::var("BENCH_HOP_CLIENT").is_ok_and(|v| v == "gateway") {
        true => Some(Arc::new(
            scimgate::upstream::Upstream::new(
                &format!("http://{upstream}"),
                None,
                scimgate::upstream::CallPolicy::default(),
                scimgate::upstream::tls_config(None).map_err(anyhow::Error::msg)?,
            )
            .map_err(anyhow::Error::msg)?,
        )),
        false => None,
    };
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("bind {listen}"))?;
    loop {
        let (tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        let (acceptor, client, product) = (acceptor.clone(), client.clone(), product.clone());
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let service = service_fn(move |req| {
                let (client, product) = (client.clone(), product.clone());
                async move {
                    match product {
                        Some(product) if req.method() == http::Method::GET => {
                            through_gateway_client(&product, req).await
                        }
                        _ => forward(client, upstream, req).await,
                    }
                }
            });
            let mut builder = auto::Builder::new(TokioExecutor::new());
            if listener_like_gateway() {
                // For attribution only: the gateway's listener settings (a header-read timer per request,
                // upgrades allowed), so that their cost can be measured apart from the gateway's own work.
                builder
                    .http1()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(std::time::Duration::from_secs(30));
                let _ = builder.serve_connection_with_upgrades(TokioIo::new(tls), service).await;
            } else {
                let _ = builder.serve_connection(TokioIo::new(tls), service).await;
            }
        });
    }
}

/// `BENCH_HOP_LISTENER=gateway` gives the hop the gateway's listener settings (for attribution, not the yardstick).
fn listener_like_gateway() -> bool {
    std::env::var("BENCH_HOP_LISTENER").is_ok_and(|v| v == "gateway")
}

async fn forward(
    client: Arc<Client<HttpConnector, Incoming>>,
    upstream: SocketAddr,
    mut req: Request<Incoming>,
) -> Result<Response<Body>, std::convert::Infallible> {
    let target = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let Ok(uri) = format!("http://{upstream}{target}").parse() else {
        return Ok(status(StatusCode::BAD_REQUEST));
    };
    *req.uri_mut() = uri;
    // HTTP/2 in, HTTP/1.1 out: the pool speaks HTTP/1.1 to the product.
    *req.version_mut() = http::Version::HTTP_11;
    match client.request(req).await {
        Ok(response) => Ok(response.map(BodyExt::boxed)),
        Err(_) => Ok(status(StatusCode::BAD_GATEWAY)),
    }
}

/// A read sent with the gateway's product client (`Upstream::call`: its call slots, retry policy, timeout and
/// whole-body read), the answer passed back as it came.
async fn through_gateway_client(
    product: &scimgate::upstream::Upstream,
    req: Request<Incoming>,
) -> Result<Response<Body>, std::convert::Infallible> {
    let call = scimgate::upstream::ProductRequest {
        method: http::Method::GET,
        path_and_query: req.uri().path_and_query().map_or("/", |pq| pq.as_str()).to_owned(),
        body: None,
        // The product's credentials come from the load generator, as through the plain hop.
        headers: req
            .headers()
            .iter()
            .filter(|(name, _)| *name != http::header::HOST)
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect(),
    };
    match product.call(call).await {
        Ok(answer) => {
            let mut response = Response::new(
                http_body_util::Full::new(answer.body)
                    .map_err(|never| match never {})
                    .boxed(),
            );
            *response.status_mut() = answer.status;
            *response.headers_mut() = answer.headers;
            Ok(response)
        }
        Err(_) => Ok(status(StatusCode::BAD_GATEWAY)),
    }
}

fn status(code: StatusCode) -> Response<Body> {
    let mut response = Response::new(Empty::new().map_err(|never| match never {}).boxed());
    *response.status_mut() = code;
    response
}
