//! A pass-through in front of a sample product that answers some requests itself and rewrites the statuses of
//! others: the product failing, or answering as a real product does, exactly where a test needs it.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use scimgate::sample::SampleProduct;
use std::sync::Arc;

/// The status the gateway gets for the product's answer (method, path, product status).
pub type After = fn(&str, &str, u16) -> u16;

/// The sample product behind a pass-through that answers a request itself when `before` gives a status, and
/// rewrites the product's statuses through `after`. Returns the API base URL to give the gateway.
pub async fn in_front_of(
    product: &SampleProduct,
    before: impl Fn(&http::request::Parts) -> Option<u16> + Send + Sync + 'static,
    after: After,
) -> String {
    let before = Arc::new(before);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let target = format!("http://{}", product.addr());
    let client = reqwest::Client::new();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (target, client, before) = (target.clone(), client.clone(), before.clone());
            let service = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                let (target, client, before) = (target.clone(), client.clone(), before.clone());
                async move {
                    let (parts, body) = req.into_parts();
                    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_owned();
                    if let Some(status) = before(&parts) {
                        let mut resp = http::Response::new(Full::new(Bytes::from_static(b"{}")));
                        *resp.status_mut() = http::StatusCode::from_u16(status).expect("status");
                        return Ok::<_, reqwest::Error>(resp);
                    }
                    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                    let answer = client
                        .request(parts.method.clone(), format!("{target}{path}"))
                        .headers(parts.headers)
                        .body(body)
                        .send()
                        .await?;
                    let status = after(parts.method.as_str(), &path, answer.status().as_u16());
                    let mut resp = http::Response::builder().status(status);
                    for (name, value) in answer.headers() {
                        resp = resp.header(name, value);
                    }
                    Ok(resp.body(Full::new(answer.bytes().await?)).expect("response"))
                }
            });
            tokio::spawn(async move {
                let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
                let _ = builder
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{addr}/api/v1")
}

/// The product's own status, whatever the request.
pub fn unchanged(_: &str, _: &str, status: u16) -> u16 {
    status
}
