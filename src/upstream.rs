//! The HTTP client to the product: one pooled hyper client per tenant (HTTP/1.1 and HTTP/2, rustls), the
//! tenant's credentials on every call, a timeout per call, bounded response bodies, and the mapping of transport
//! failures onto SCIM errors. What a product *status* means is decided by the caller, which knows the operation.

use crate::config::Secret;
use crate::scim;
use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, Method, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::sync::Arc;
use std::time::Duration;

/// Largest product response body read, in bytes.
const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// One tenant's product API.
#[derive(Clone)]
pub struct Upstream {
    client: HttpsClient,
    base: String,
    auth: Option<(HeaderName, HeaderValue)>,
    timeout: Duration,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The credential is never printed.
        f.debug_struct("Upstream")
            .field("base", &self.base)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// A call to the product: method, path and query relative to the base URL (already percent-encoded by the
/// mapping), optional JSON body.
#[derive(Debug, Clone)]
pub struct ProductRequest {
    /// HTTP method.
    pub method: Method,
    /// `/users/17?x=y`, appended to the base URL.
    pub path_and_query: String,
    /// JSON body, if any.
    pub body: Option<serde_json::Value>,
    /// Extra headers from the mapping.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

/// The product's answer, fully read.
#[derive(Debug, Clone)]
pub struct ProductResponse {
    /// Status code.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Bytes,
}

/// A product call that did not produce an HTTP answer the gateway can use.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// Connecting or talking to the product failed.
    #[error("the product API could not be reached")]
    Unreachable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// No answer within the configured time.
    #[error("the product API did not answer within {0:?}")]
    Timeout(Duration),
    /// The answer was larger than the gateway reads.
    #[error("the product API sent a response larger than {MAX_RESPONSE_BYTES} bytes")]
    TooLarge,
    /// The answer was not the JSON the mapping expects.
    #[error("the product API sent a response the gateway cannot read: {0}")]
    Malformed(String),
    /// The request could not be built (a bad path from the mapping).
    #[error("invalid product request: {0}")]
    InvalidRequest(String),
}

impl From<UpstreamError> for scim::Error {
    fn from(e: UpstreamError) -> Self {
        let status = match e {
            UpstreamError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            UpstreamError::Unreachable(_) | UpstreamError::TooLarge | UpstreamError::Malformed(_) => {
                StatusCode::BAD_GATEWAY
            }
            UpstreamError::InvalidRequest(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        scim::Error::new(status, e.to_string())
    }
}

/// Build the TLS client config shared by product clients: the system roots plus an optional extra CA bundle.
pub fn tls_config(extra_ca_pem: Option<&[u8]>) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(pem) = extra_ca_pem {
        let mut added = 0;
        for cert in rustls_pki_types::CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| format!("invalid PEM in CA bundle: {e}"))?;
            roots.add(cert).map_err(|e| format!("invalid CA certificate: {e}"))?;
            added += 1;
        }
        if added == 0 {
            return Err("the CA bundle holds no certificate".into());
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

use rustls_pki_types::pem::PemObject;

impl Upstream {
    /// A client for `base_url` (`http` or `https`), authenticating with `header: [scheme ]secret`.
    pub fn new(
        base_url: &str,
        auth: Option<(HeaderName, Option<String>, Secret)>,
        timeout: Duration,
        tls: rustls::ClientConfig,
    ) -> Result<Self, String> {
        let uri: Uri = base_url.parse().map_err(|e| format!("not a URL: {e}"))?;
        match uri.scheme_str() {
            Some("http" | "https") => {}
            _ => return Err("expected an http:// or https:// URL".into()),
        }
        if uri.query().is_some() {
            return Err("the base URL must not have a query".into());
        }
        let auth = match auth {
            None => None,
            Some((name, scheme, secret)) => {
                let text = match scheme {
                    Some(s) => format!("{s} {}", secret.expose()),
                    None => secret.expose().to_owned(),
                };
                let mut value = HeaderValue::from_str(&text)
                    .map_err(|_| "the secret holds characters not allowed in a header".to_owned())?;
                value.set_sensitive(true);
                Some((name, value))
            }
        };
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(timeout));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        Ok(Upstream {
            client,
            base: base_url.trim_end_matches('/').to_owned(),
            auth,
            timeout,
        })
    }

    /// The base URL, for logs (it carries no credential).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// A URL the product gave (a next-page link) as a path and query relative to the base URL; `None` when it
    /// points outside the product API, so that a product can never send the gateway's credentials elsewhere.
    pub fn relative(&self, link: &str) -> Option<String> {
        let base_path = self
            .base
            .split("://")
            .nth(1)
            .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
            .unwrap_or("");
        let rest = if let Some(rest) = link.strip_prefix(self.base.as_str()) {
            rest
        } else if link.starts_with('/') && !link.starts_with("//") {
            link.strip_prefix(base_path)?
        } else {
            return None;
        };
        (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
            .then(|| rest.to_owned())
            .filter(|r| !r.contains("..") && !r.chars().any(char::is_control) && !r.contains('#'))
    }

    /// Send one request and read the whole answer.
    pub async fn call(&self, req: ProductRequest) -> Result<ProductResponse, UpstreamError> {
        let uri = format!("{}{}", self.base, req.path_and_query);
        let mut builder = http::Request::builder()
            .method(req.method)
            .uri(&uri)
            .header(ACCEPT, "application/json");
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        if let Some((name, value)) = &self.auth {
            builder = builder.header(name, value);
        }
        let body = match &req.body {
            Some(json) => {
                builder = builder.header(CONTENT_TYPE, "application/json");
                Full::new(Bytes::from(
                    serde_json::to_vec(json).map_err(|e| UpstreamError::Malformed(e.to_string()))?,
                ))
            }
            None => Full::new(Bytes::new()),
        };
        let request = builder
            .body(body)
            .map_err(|e| UpstreamError::InvalidRequest(e.to_string()))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| UpstreamError::Unreachable(Box::new(e)))?;
            let (parts, body) = response.into_parts();
            let bytes = Limited::new(body, MAX_RESPONSE_BYTES).collect().await.map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    UpstreamError::TooLarge
                } else {
                    UpstreamError::Unreachable(e)
                }
            })?;
            Ok(ProductResponse {
                status: parts.status,
                headers: parts.headers,
                body: bytes.to_bytes(),
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| UpstreamError::Timeout(self.timeout))?
    }
}

impl ProductResponse {
    /// The body as JSON.
    pub fn json(&self) -> Result<serde_json::Value, UpstreamError> {
        serde_json::from_slice(&self.body).map_err(|e| UpstreamError::Malformed(format!("invalid JSON: {e}")))
    }
}
