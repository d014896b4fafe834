//! Test harness: a real gateway (TLS listener on 127.0.0.1:0, config written to a file and loaded through the
//! normal path) in front of real sample product servers, and an HTTPS client that trusts the test CA.
#![allow(dead_code)]

pub mod process;

pub mod product;

pub mod idp;

pub mod cycle;

pub mod interpose;

pub mod raw;

pub mod redis;

use scimgate::config;
use scimgate::demo::{self, SAMPLE_MAPPING};
use scimgate::sample::{SampleOptions, SampleProduct, Shape};
use serde_json::{Value, json};
use std::net::SocketAddr;
use tokio::sync::oneshot;

/// One tenant of a test gateway.
pub struct TenantSpec {
    pub id: &'static str,
    pub per_second: u32,
    pub burst: u32,
    /// Use a product that runs elsewhere (base URL, API key) instead of starting one in-process.
    pub external: Option<(String, String)>,
    /// The sample product's API shape; the mapping must match it.
    pub shape: Shape,
    /// The mapping the tenant uses.
    pub mapping: &'static str,
    /// Extra keys of the tenant's `upstream` table, e.g. `timeout_ms = 300`.
    pub upstream_extra: &'static str,
    /// Host names the tenant is bound to.
    pub hosts: &'static [&'static str],
}

impl TenantSpec {
    pub fn new(id: &'static str) -> Self {
        TenantSpec {
            id,
            per_second: 1000,
            burst: 1000,
            external: None,
            shape: Shape::Classic,
            mapping: "classic",
            upstream_extra: "",
            hosts: &[],
        }
    }

    /// A tenant in front of a product of this shape, with its mapping from `config/examples/`.
    pub fn shaped(id: &'static str, shape: Shape) -> Self {
        TenantSpec {
            shape,
            mapping: shape.as_str(),
            ..TenantSpec::new(id)
        }
    }
}

/// The `auth` table a tenant needs for a product of this shape.
fn auth_for(shape: Shape, secret: &str) -> String {
    match shape {
        Shape::Classic => format!("{{ header = \"X-Api-Key\", secret = {secret:?} }}"),
        Shape::Named => format!("{{ header = \"Authorization\", scheme = \"Bearer\", secret = {secret:?} }}"),
        Shape::Uuid => format!("{{ header = \"Authorization\", username = \"api\", secret = {secret:?} }}"),
    }
}

/// The mapping file of a shape in `config/examples/`.
pub fn example_mapping(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("config/examples/{name}.toml"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A tenant as started: its token and its own sample product (unless it uses an external one).
pub struct TenantHandle {
    pub token: String,
    pub product: Option<SampleProduct>,
}

pub struct Gateway {
    pub addr: SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    pub tenants: Vec<TenantHandle>,
    pub dir: tempfile::TempDir,
    /// Further directories the gateway's config refers to.
    keep: Vec<tempfile::TempDir>,
    /// The runtime being served, for the admin endpoints.
    pub runtime: std::sync::Arc<scimgate::gateway::Gateway>,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Start a gateway over TLS with these tenants, each with its own sample product.
pub async fn start(specs: &[TenantSpec]) -> Gateway {
    start_with(specs, "").await
}

/// As `start`, with extra TOML appended to the generated config.
pub async fn start_with(specs: &[TenantSpec], extra: &str) -> Gateway {
    start_with_mapping(specs, extra, SAMPLE_MAPPING).await
}

/// As `start_with`, with the mapping text (which must define `classic`) given.
pub async fn start_with_mapping(specs: &[TenantSpec], extra: &str, mapping: &str) -> Gateway {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = format!("{extra}\n");
    let mut tenants = Vec::new();
    for spec in specs {
        let (product, base_url, key) = match &spec.external {
            Some((base, key)) => (None, base.clone(), key.clone()),
            None => {
                let key = format!("product-key-{}", spec.id);
                let options = SampleOptions {
                    api_key: key.clone(),
                    shape: spec.shape,
                    ..SampleOptions::default()
                };
                let product = SampleProduct::start(options).await.expect("sample product");
                let base = product.base_url();
                (Some(product), base, key)
            }
        };
        let key_file = dir.path().join(format!("{}.key", spec.id));
        std::fs::write(&key_file, &key).expect("key file");
        let token = scimgate::token::new_token();
        text.push_str(&format!(
            "[[tenants]]\nid = {id:?}\ntokens = [{digest:?}]\nmapping = {mapping:?}\nhosts = {hosts:?}\n\
             rate_limit = {{ per_second = {ps}, burst = {burst} }}\n\
             upstream = {{ base_url = {base:?}, auth = {auth}{extra} }}\n\n",
            extra = if spec.upstream_extra.is_empty() {
                String::new()
            } else {
                format!(", {}", spec.upstream_extra)
            },
            id = spec.id,
            hosts = spec.hosts,
            mapping = spec.mapping,
            auth = auth_for(spec.shape, &format!("file:{}", key_file.display())),
            digest = scimgate::token::TokenHash::of(&token).to_config(),
            ps = spec.per_second,
            burst = spec.burst,
            base = base_url.clone(),
        ));
        tenants.push(TenantHandle { token, product });
    }
    let mut gw = serve(&text, mapping, tenants).await;
    gw.keep.push(dir);
    gw
}

/// A gateway over TLS on 127.0.0.1:0 serving this config (`[server]` keys and tenants, then the mappings); the
/// tenants' handles are kept in the returned gateway.
pub async fn serve(config: &str, mapping: &str, tenants: Vec<TenantHandle>) -> Gateway {
    let dir = tempfile::tempdir().expect("temp dir");
    let certs = demo::generate_certs(dir.path()).expect("certificates");
    // `[server]` keys in `config` (before its first table) belong to the server table.
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\ntls = {{ cert = {:?}, key = {:?} }}\n{config}\n{mapping}",
        certs.cert.display().to_string(),
        certs.key.display().to_string()
    );
    let path = dir.path().join("scimgate.toml");
    std::fs::write(&path, text).expect("config file");
    let runtime = config::validate(&config::load(&[path]).expect("config loads")).expect("config validates");
    let listener = scimgate::server::bind(runtime.listen).await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let shared = std::sync::Arc::new(runtime.gateway);
    tokio::spawn(scimgate::server::serve(listener, runtime.tls, shared.clone(), async {
        let _ = stopped.await;
    }));
    let ca = std::fs::read(&certs.ca).expect("ca");
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("ca pem"))
        .build()
        .expect("client");
    Gateway {
        addr,
        base: format!("https://127.0.0.1:{}/scim/v2", addr.port()),
        client,
        tenants,
        dir,
        keep: Vec::new(),
        runtime: shared,
        stop: Some(stop),
    }
}

/// A name no other call in this process gets.
pub fn unique() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Gateway {
    /// Begin the listener's graceful shutdown, as SIGTERM does.
    pub fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// A request of tenant `i`.
    pub fn req(&self, i: usize, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.tenants[i].token)
    }

    pub fn product(&self, i: usize) -> &SampleProduct {
        self.tenants[i].product.as_ref().expect("an in-process product")
    }
}

/// Send and read a JSON answer (`Value::Null` for an empty body), asserting the SCIM media type on bodies.
pub async fn send(req: reqwest::RequestBuilder) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Value) {
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("body");
    if bytes.is_empty() {
        return (status, headers, Value::Null);
    }
    assert_eq!(headers["content-type"], "application/scim+json", "status {status}");
    (status, headers, serde_json::from_slice(&bytes).expect("JSON body"))
}

/// A SCIM User body.
pub fn user(user_name: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"type": "work", "value": user_name, "primary": true}],
        "active": true
    })
}

/// A fixture from tests/fixtures.
pub fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Assert an RFC 7644 §3.12 error body.
pub fn assert_scim_error(body: &Value, status: u16, scim_type: Option<&str>) {
    assert_eq!(
        body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{body}"
    );
    assert_eq!(body["status"], status.to_string(), "{body}");
    assert_eq!(body.get("scimType").and_then(Value::as_str), scim_type, "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
}

/// The `value` of each member of a rendered group, in the order listed (none when it has no `members`).
pub fn member_values(group: &Value) -> Vec<String> {
    group["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|m| m["value"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
