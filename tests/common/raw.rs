//! Raw HTTP/1.1 over TLS to the gateway: for requests no well-behaved client would send.

use crate::common;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// A TLS connection to the gateway speaking HTTP/1.1 (ALPN), trusting the test CA.
pub async fn connect(gw: &common::Gateway) -> TlsStream<TcpStream> {
    try_connect(gw).await.expect("TLS handshake")
}

/// As [`connect`], with the error of a connection the gateway closed or refused.
pub async fn try_connect(gw: &common::Gateway) -> std::io::Result<TlsStream<TcpStream>> {
    let ca = std::fs::read(gw.dir.path().join("ca.pem")).expect("test CA");
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pki_types::pem::PemObject::pem_slice_iter(&ca) {
        roots.add(cert.expect("CA PEM")).expect("CA cert");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tcp = TcpStream::connect(gw.addr).await?;
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").expect("server name");
    TlsConnector::from(Arc::new(config)).connect(name, tcp).await
}

/// Send `request` as is and read until the gateway closes the connection.
pub async fn exchange(gw: &common::Gateway, request: &[u8]) -> String {
    let mut tls = connect(gw).await;
    tls.write_all(request).await.expect("write request");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut answer)).await;
    read.expect("the gateway closes the connection").ok();
    String::from_utf8_lossy(&answer).into_owned()
}
