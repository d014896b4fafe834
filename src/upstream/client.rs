//! The product's API over HTTP: one pooled hyper client per tenant (HTTP/1.1 and HTTP/2, rustls with the system's
//! roots read once), the tenant's credential on every call, bounded response bodies. The [`Transport`] in use.

use super::{ProductRequest, ProductResponse, Transport, UpstreamError};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use http::uri::{Authority, Scheme};
use http::{Method, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls_pki_types::pem::PemObject;
use std::sync::Arc;
use std::time::Duration;

/// Largest product response body read, in bytes.
pub(super) const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// Most header fields read in a product's HTTP/1 answer (hyper's default of 100 is less than some products and
/// their proxies send).
pub(super) const MAX_RESPONSE_HEADERS: usize = 1000;

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The product's API over HTTP/1.1 or HTTP/2, TLS by rustls: a pooled hyper client, the tenant's credential on
/// every request.
pub struct Http {
    client: HttpsClient,
    origin: Origin,
    auth: Option<(HeaderName, HeaderValue)>,
}

/// The base URL taken apart once: each call's URI is put together from these without parsing the origin again,
/// and `Host` is set as the client would set it.
#[derive(Clone)]
pub(super) struct Origin {
    scheme: Scheme,
    authority: Authority,
    /// The base URL's path without its final `/` (`/api/v1`, or empty).
    pub(super) path: String,
    /// The host, with the port unless it is the scheme's default (what hyper-util's client writes).
    pub(super) host: HeaderValue,
}

impl Origin {
    pub(super) fn of(uri: &Uri) -> Result<Self, String> {
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return Err("expected an http:// or https:// URL".into());
        };
        let default_port = if *scheme == Scheme::HTTPS { 443 } else { 80 };
        let host = match authority.port_u16() {
            Some(port) if port != default_port => format!("{}:{port}", authority.host()),
            _ => authority.host().to_owned(),
        };
        Ok(Origin {
            scheme: scheme.clone(),
            authority: authority.clone(),
            path: uri.path().trim_end_matches('/').to_owned(),
            host: HeaderValue::from_str(&host).map_err(|e| format!("not a host: {e}"))?,
        })
    }

    /// The URI of `path_and_query` (relative to the base URL, already encoded).
    pub(super) fn uri(&self, path_and_query: &str) -> Result<Uri, http::Error> {
        let mut path = String::with_capacity(self.path.len() + path_and_query.len() + 1);
        path.push_str(&self.path);
        path.push_str(path_and_query);
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(path)
            .build()
    }
}

/// The system's trusted roots, read once per process: every product client without a CA bundle of its own shares
/// this one store (reading the system store took milliseconds and a hundred kilobytes per tenant).
static NATIVE_ROOTS: std::sync::LazyLock<Arc<rustls::RootCertStore>> = std::sync::LazyLock::new(|| {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    Arc::new(roots)
});

/// The roots a product client trusts: the system's (one shared store) plus, when given, an extra CA bundle (a
/// store of its own).
pub fn roots(extra_ca_pem: Option<&[u8]>) -> Result<Arc<rustls::RootCertStore>, String> {
    let Some(pem) = extra_ca_pem else {
        return Ok(NATIVE_ROOTS.clone());
    };
    let mut roots = rustls::RootCertStore::clone(&NATIVE_ROOTS);
    let mut added = 0;
    for cert in rustls_pki_types::CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| format!("invalid PEM in CA bundle: {e}"))?;
        roots.add(cert).map_err(|e| format!("invalid CA certificate: {e}"))?;
        added += 1;
    }
    if added == 0 {
        return Err("the CA bundle holds no certificate".into());
    }
    Ok(Arc::new(roots))
}

/// Build the TLS client config of a product client: the system roots plus an optional extra CA bundle.
pub fn tls_config(extra_ca_pem: Option<&[u8]>) -> Result<rustls::ClientConfig, String> {
    let roots = roots(extra_ca_pem)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

impl Transport for Http {
    fn send<'a>(&'a self, req: &'a ProductRequest) -> BoxFuture<'a, Result<ProductResponse, UpstreamError>> {
        Box::pin(self.exchange(req))
    }
}

impl Http {
    /// A pooled client for the product at `origin`, sending `auth` on every request; connections time out after
    /// `timeout`.
    pub(super) fn new(
        origin: Origin,
        auth: Option<(HeaderName, HeaderValue)>,
        timeout: Duration,
        tls: rustls::ClientConfig,
    ) -> Self {
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
            .http1_max_headers(MAX_RESPONSE_HEADERS)
            .build(connector);
        Http { client, origin, auth }
    }

    async fn exchange(&self, req: &ProductRequest) -> Result<ProductResponse, UpstreamError> {
        let uri = self
            .origin
            .uri(&req.path_and_query)
            .map_err(|e| UpstreamError::InvalidRequest(e.to_string()))?;
        let mut builder = http::Request::builder()
            .method(req.method.clone())
            .uri(uri)
            .header(ACCEPT, HeaderValue::from_static("application/json"));
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
            None => {
                // hyper sends no length for an empty body; servers answer a POST, PUT or PATCH without one 411.
                if matches!(req.method, Method::POST | Method::PUT | Method::PATCH) {
                    builder = builder.header(CONTENT_LENGTH, HeaderValue::from_static("0"));
                }
                Full::new(Bytes::new())
            }
        };
        let mut request = builder
            .body(body)
            .map_err(|e| UpstreamError::InvalidRequest(e.to_string()))?;
        // Unless the mapping sets one.
        request
            .headers_mut()
            .entry(HOST)
            .or_insert_with(|| self.origin.host.clone());
        let response = self.client.request(request).await.map_err(|e| {
            let hyper = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<hyper::Error>());
            if hyper.is_some_and(hyper::Error::is_parse_too_large) {
                UpstreamError::HeadTooLarge(Box::new(e))
            } else if e.is_connect() {
                UpstreamError::Refused(Box::new(e))
            } else {
                UpstreamError::Unreachable(Box::new(e))
            }
        })?;
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
    }
}
