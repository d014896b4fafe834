//! `scimgate demo`: the gateway (TLS with a generated certificate) and the bundled sample product in one
//! process on loopback, configured through a real config file it writes, so that a newcomer can send SCIM
//! requests within a minute.

use crate::config::{self, ConfigError};
use crate::sample::{SampleOptions, SampleProduct};
use crate::server;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The sample product's mapping, the same file operators load.
pub const SAMPLE_MAPPING: &str = include_str!("../config/examples/classic.toml");

/// Paths of a generated certificate authority and server certificate.
#[derive(Debug, Clone)]
pub struct CertFiles {
    /// PEM of the CA certificate clients should trust.
    pub ca: PathBuf,
    /// PEM chain of the server certificate (leaf, then CA).
    pub cert: PathBuf,
    /// PEM private key of the server certificate.
    pub key: PathBuf,
}

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Writing files or binding sockets failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Certificate generation failed.
    #[error("certificate generation failed: {0}")]
    Cert(#[from] rcgen::Error),
    /// The config the demo wrote did not validate.
    #[error("{0}")]
    Config(#[from] ConfigError),
}

/// Generate a CA and a server certificate for `localhost`, `127.0.0.1` and `::1` into `dir`.
pub fn generate_certs(dir: &Path) -> Result<CertFiles, DemoError> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "scimgate demo CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let leaf_key = KeyPair::generate()?;
    let mut leaf_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()])?;
    leaf_params.distinguished_name.push(DnType::CommonName, "localhost");
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf = leaf_params.signed_by(&leaf_key, &issuer)?;
    let files = CertFiles {
        ca: dir.join("ca.pem"),
        cert: dir.join("tls.crt"),
        key: dir.join("tls.key"),
    };
    std::fs::write(&files.ca, ca_cert.pem())?;
    std::fs::write(&files.cert, format!("{}{}", leaf.pem(), ca_cert.pem()))?;
    write_private(&files.key, &leaf_key.serialize_pem())?;
    Ok(files)
}

/// Write a file readable by its owner only (it holds a key or a secret).
pub fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

/// Run the demo until ctrl-c.
pub async fn run(listen: SocketAddr, dir: PathBuf) -> Result<(), DemoError> {
    std::fs::create_dir_all(&dir)?;
    let certs = generate_certs(&dir)?;
    let product_key = crate::token::new_token();
    let product = SampleProduct::start(SampleOptions {
        api_key: product_key.clone(),
        ..SampleOptions::default()
    })
    .await?;
    let key_file = dir.join("product.key");
    write_private(&key_file, &product_key)?;
    let token = crate::token::new_token();
    let digest = crate::token::TokenHash::of(&token).to_config();
    let config_path = dir.join("scimgate.toml");
    let config_text = format!(
        "[server]\nlisten = {listen:?}\ntls = {{ cert = {cert:?}, key = {key:?} }}\n\n\
         [[tenants]]\nid = \"demo\"\ntokens = [{digest:?}]\nmapping = \"classic\"\n\
         rate_limit = {{ per_second = 50, burst = 100 }}\n\
         upstream = {{ base_url = {base:?}, auth = {{ header = \"X-Api-Key\", secret = {secret:?} }} }}\n\n{SAMPLE_MAPPING}",
        listen = listen.to_string(),
        cert = certs.cert.display().to_string(),
        key = certs.key.display().to_string(),
        base = product.base_url(),
        secret = format!("file:{}", key_file.display()),
    );
    std::fs::write(&config_path, config_text)?;
    let runtime = config::validate(&config::load(std::slice::from_ref(&config_path))?)?;
    let listener = server::bind(runtime.listen).await?;
    let addr = listener.local_addr()?;
    let base = format!("https://{addr}/scim/v2");
    let ca = certs.ca.display();
    println!(
        "scimgate demo: the gateway in front of the bundled sample product ({})",
        product.base_url()
    );
    println!("SCIM base URL: {base}");
    println!("Bearer token: {token}");
    println!("CA certificate: {ca}");
    println!("Config file: {}", config_path.display());
    println!();
    println!("Try:");
    println!(
        "curl --cacert {ca} -H 'Authorization: Bearer {token}' -H 'Content-Type: application/scim+json' \
         -d '{{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"ada@example.com\",\
         \"name\":{{\"givenName\":\"Ada\",\"familyName\":\"Lovelace\"}},\"active\":true}}' {base}/Users"
    );
    println!(
        "curl --cacert {ca} -H 'Authorization: Bearer {token}' '{base}/Users?filter=userName%20eq%20%22ada@example.com%22'"
    );
    println!("curl --cacert {ca} -H 'Authorization: Bearer {token}' {base}/Users/1");
    println!(
        "curl --cacert {ca} -H 'Authorization: Bearer {token}' -H 'Content-Type: application/scim+json' -X PATCH \
         -d '{{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{{\"op\":\"Replace\",\"path\":\"active\",\"value\":\"False\"}}]}}' \
         {base}/Users/1"
    );
    println!("Press Ctrl-C to stop.");
    server::serve(listener, runtime.tls, Arc::new(runtime.gateway), shutdown_signal()).await;
    product.shutdown();
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
