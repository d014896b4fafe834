//! Mutual TLS: with `server.tls.client_ca` set, only clients presenting a certificate issued by that CA get a
//! TLS session at all; the bearer token is still required on top.

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair};
use scimgate::sample::{SampleOptions, SampleProduct};
use std::sync::Arc;

/// A client CA and a client certificate (PEM chain + key) it issued.
fn client_pki() -> (String, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "IdP client CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["idp.example".to_owned()]).unwrap();
    leaf.distinguished_name.push(DnType::CommonName, "idp.example");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = leaf.signed_by(&key, &Issuer::new(ca, ca_key)).unwrap();
    (ca_cert.pem(), format!("{}{}", cert.pem(), key.serialize_pem()))
}

#[tokio::test]
async fn only_clients_with_a_certificate_from_the_configured_ca_get_in() {
    let dir = tempfile::tempdir().unwrap();
    let certs = scimgate::demo::generate_certs(dir.path()).unwrap();
    let (client_ca, identity) = client_pki();
    let client_ca_path = dir.path().join("client-ca.pem");
    std::fs::write(&client_ca_path, client_ca).unwrap();
    let product = SampleProduct::start(SampleOptions {
        api_key: "k".into(),
        ..SampleOptions::default()
    })
    .await
    .unwrap();
    std::fs::write(dir.path().join("key"), "k").unwrap();
    let token = scimgate::token::new_token();
    let mapping =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/examples/classic.toml")).unwrap();
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\ntls = {{ cert = {cert:?}, key = {key:?}, client_ca = {ca:?} }}\n\
         [[tenants]]\nid = \"m\"\ntokens = [{digest:?}]\nmapping = \"classic\"\n\
         upstream = {{ base_url = {base:?}, auth = {{ header = \"X-Api-Key\", secret = {secret:?} }} }}\n{mapping}",
        cert = certs.cert.display().to_string(),
        key = certs.key.display().to_string(),
        ca = client_ca_path.display().to_string(),
        digest = scimgate::token::TokenHash::of(&token).to_config(),
        base = product.base_url(),
        secret = format!("file:{}", dir.path().join("key").display()),
    );
    let path = dir.path().join("scimgate.toml");
    std::fs::write(&path, text).unwrap();
    let runtime = scimgate::config::validate(&scimgate::config::load(&[path]).unwrap()).unwrap();
    let listener = scimgate::server::bind(runtime.listen).await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}/scim/v2/Users",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(scimgate::server::serve(
        listener,
        runtime.tls,
        Arc::new(runtime.gateway),
        std::future::pending(),
    ));

    let root = reqwest::Certificate::from_pem(&std::fs::read(&certs.ca).unwrap()).unwrap();
    let without = reqwest::Client::builder()
        .add_root_certificate(root.clone())
        .build()
        .unwrap();
    assert!(
        without.get(&url).bearer_auth(&token).send().await.is_err(),
        "no client certificate, no session"
    );
    let with = reqwest::Client::builder()
        .add_root_certificate(root)
        .identity(reqwest::Identity::from_pem(identity.as_bytes()).unwrap())
        .build()
        .unwrap();
    let resp = with.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    let resp = with.get(&url).send().await.unwrap();
    assert_eq!(
        resp.status(),
        reqwest::StatusCode::UNAUTHORIZED,
        "the token is still required"
    );
}
