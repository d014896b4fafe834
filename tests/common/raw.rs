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
    let tcp = TcpStream::connect(gw.addr).await?;
    handshake(gw, tcp, b"http/1.1").await
}

/// A TLS connection to the gateway from the loopback address `local` (127.0.0.0/8 is all loopback).
pub async fn connect_from(gw: &common::Gateway, local: std::net::IpAddr) -> std::io::Result<TlsStream<TcpStream>> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(std::net::SocketAddr::new(local, 0))?;
    let tcp = socket.connect(gw.addr).await?;
    handshake(gw, tcp, b"http/1.1").await
}

/// An HTTP/2 connection to the gateway (ALPN `h2`), driven by a task that ends when the connection does.
pub async fn connect_h2(gw: &common::Gateway) -> (h2::client::SendRequest<bytes::Bytes>, tokio::task::JoinHandle<()>) {
    let (send, connection) = h2_handshake(gw).await;
    let driven = tokio::spawn(async move {
        let _ = connection.await;
    });
    (send, driven)
}

/// An HTTP/2 connection to the gateway whose driver the caller polls (or stops polling, to stop answering PINGs).
pub async fn h2_handshake(
    gw: &common::Gateway,
) -> (
    h2::client::SendRequest<bytes::Bytes>,
    h2::client::Connection<TlsStream<TcpStream>, bytes::Bytes>,
) {
    let tcp = TcpStream::connect(gw.addr).await.expect("connect");
    let tls = handshake(gw, tcp, b"h2").await.expect("TLS handshake");
    h2::client::handshake(tls).await.expect("HTTP/2 handshake")
}

/// The TLS handshake over `tcp`, offering `alpn`.
async fn handshake(gw: &common::Gateway, tcp: TcpStream, alpn: &[u8]) -> std::io::Result<TlsStream<TcpStream>> {
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
    config.alpn_protocols = vec![alpn.to_vec()];
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
