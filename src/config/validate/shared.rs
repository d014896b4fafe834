//! `[shared]` → [`shared::Settings`]: the Redis URL, its credentials by reference, TLS files and the fallback.

use crate::config::file::SharedFile;
use crate::config::{ConfigError, secret};
use crate::metrics::Metrics;
use crate::shared::{self, Shared};
use std::sync::Arc;
use std::time::Duration;

/// The shared state `[shared]` describes: `previous`'s when a reload left the table as it was (its connection and
/// subscriptions go on), else a new one, not yet connected. Reads the secret and the TLS files; connects nowhere.
pub fn shared(
    file: Option<&SharedFile>,
    metrics: &Arc<Metrics>,
    previous: Option<&Arc<Shared>>,
) -> Result<Option<Arc<Shared>>, ConfigError> {
    let Some(f) = file else {
        metrics.shared_state_up.set(0);
        return Ok(None);
    };
    let written = serde_json::to_value(f).map_err(|e| ConfigError::invalid("shared", e.to_string()))?;
    if let Some(previous) = previous.filter(|p| p.is_configured_as(&written)) {
        return Ok(Some(previous.clone()));
    }
    let settings = settings(f)?;
    Shared::new(settings, written, metrics.clone())
        .map(Some)
        .map_err(|m| ConfigError::invalid("shared.redis", m))
}

fn settings(f: &SharedFile) -> Result<shared::Settings, ConfigError> {
    let tls = f.redis.starts_with("rediss://");
    if !tls && !f.redis.starts_with("redis://") {
        return Err(ConfigError::invalid(
            "shared.redis",
            format!(
                "{:?} is not a URL like redis://host:6379/0 or rediss://host:6380/0",
                f.redis
            ),
        ));
    }
    if f.redis.contains('@') {
        return Err(ConfigError::invalid(
            "shared.redis",
            "no credentials in the URL: give shared.username and shared.password = \"env:NAME\" or \"file:PATH\"",
        ));
    }
    if !tls {
        for (key, value) in [
            ("ca", &f.ca),
            ("client_cert", &f.client_cert),
            ("client_key", &f.client_key),
        ] {
            if value.is_some() {
                return Err(ConfigError::invalid(
                    format!("shared.{key}"),
                    "TLS files need a rediss:// URL in shared.redis",
                ));
            }
        }
    }
    if !(f.local_share > 0.0 && f.local_share <= 1.0) {
        return Err(ConfigError::invalid(
            "shared.local_share",
            "must be a fraction greater than 0 and at most 1 (with N replicas, 1/N keeps each tenant at its limit)",
        ));
    }
    for (key, value) in [
        ("timeout_ms", f.timeout_ms),
        ("connect_timeout_ms", f.connect_timeout_ms),
    ] {
        if value == 0 {
            return Err(ConfigError::invalid(format!("shared.{key}"), "must be greater than 0"));
        }
    }
    if f.key_prefix.is_empty() || f.key_prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConfigError::invalid(
            "shared.key_prefix",
            "must be a non-empty name without spaces",
        ));
    }
    let password = f
        .password
        .as_deref()
        .map(secret::resolve)
        .transpose()
        .map_err(|m| ConfigError::invalid("shared.password", m))?;
    let read = |key: &str, path: &Option<String>| {
        path.as_deref()
            .map(|p| {
                std::fs::read(p)
                    .map_err(|e| ConfigError::invalid(format!("shared.{key}"), format!("cannot read {p}: {e}")))
            })
            .transpose()
    };
    let ca = read("ca", &f.ca)?;
    if let Some(pem) = &ca {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(pem).collect();
        if !certs.is_ok_and(|c| !c.is_empty()) {
            return Err(ConfigError::invalid("shared.ca", "not a PEM bundle of certificates"));
        }
    }
    let client_identity = match (read("client_cert", &f.client_cert)?, read("client_key", &f.client_key)?) {
        (Some(cert), Some(key)) => Some((cert, key)),
        (None, None) => None,
        (Some(_), None) => return Err(ConfigError::invalid("shared.client_key", "client_cert needs its key")),
        (None, Some(_)) => {
            return Err(ConfigError::invalid(
                "shared.client_cert",
                "client_key needs its certificate",
            ));
        }
    };
    Ok(shared::Settings {
        url: f.redis.clone(),
        username: f.username.clone(),
        password,
        ca,
        client_identity,
        local_share: f.local_share,
        timeout: Duration::from_millis(f.timeout_ms),
        connect_timeout: Duration::from_millis(f.connect_timeout_ms),
        key_prefix: f.key_prefix.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(extra: &str) -> Result<shared::Settings, ConfigError> {
        let text = format!("redis = \"rediss://cache.internal:6380/0\"\n{extra}");
        let file: SharedFile = toml_from(&text);
        settings(&file)
    }

    fn toml_from(text: &str) -> SharedFile {
        use figment::providers::{Format, Toml};
        figment::Figment::from(Toml::string(text))
            .extract()
            .expect("a [shared] table")
    }

    fn key_of(e: ConfigError) -> String {
        match e {
            ConfigError::Invalid { key, .. } => key,
            ConfigError::Load(e) => panic!("{e}"),
        }
    }

    #[test]
    fn defaults_fall_back_to_half_the_rate_within_50_ms() {
        let s = table("").unwrap();
        assert_eq!(
            (s.local_share, s.timeout, s.key_prefix.as_str()),
            (0.5, Duration::from_millis(50), "scimgate")
        );
        assert!(s.password.is_none() && s.ca.is_none());
    }

    #[test]
    fn tls_files_and_a_password_by_reference_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let (ca, password) = (dir.path().join("ca.pem"), dir.path().join("password"));
        let pem = rcgen::generate_simple_self_signed(vec!["cache.internal".into()])
            .unwrap()
            .cert
            .pem();
        std::fs::write(&ca, &pem).unwrap();
        std::fs::write(&password, "s3cret\n").unwrap();
        let s = table(&format!(
            "ca = {:?}\npassword = \"file:{}\"\nusername = \"scimgate\"",
            ca.display().to_string(),
            password.display()
        ))
        .unwrap();
        assert_eq!(s.password.as_ref().map(|p| p.expose()), Some("s3cret"));
        assert_eq!(s.ca.as_deref(), Some(pem.as_bytes()));
        assert!(!format!("{s:?}").contains("s3cret"));
        let shared = Shared::new(s, serde_json::Value::Null, Arc::default()).expect("a client for rediss://");
        assert!(!shared.is_up(), "not connected before start");
    }

    #[test]
    fn a_reload_keeps_the_connection_unless_the_table_changed() {
        let metrics = Arc::new(Metrics::default());
        let first = toml_from("redis = \"redis://cache:6379/0\"");
        let before = shared(Some(&first), &metrics, None).unwrap().unwrap();
        let same = shared(Some(&first), &metrics, Some(&before)).unwrap().unwrap();
        assert!(Arc::ptr_eq(&before, &same));
        let changed = toml_from("redis = \"redis://cache:6379/0\"\nlocal_share = 0.25");
        let other = shared(Some(&changed), &metrics, Some(&before)).unwrap().unwrap();
        assert!(!Arc::ptr_eq(&before, &other));
        assert!(shared(None, &metrics, Some(&before)).unwrap().is_none());
    }

    #[test]
    fn each_mistake_names_its_key() {
        let cases = [
            ("password = \"hunter2\"", "shared.password"),
            ("local_share = 0.0", "shared.local_share"),
            ("local_share = 1.5", "shared.local_share"),
            ("timeout_ms = 0", "shared.timeout_ms"),
            ("key_prefix = \"a b\"", "shared.key_prefix"),
            ("ca = \"/surely/not/here.pem\"", "shared.ca"),
            ("client_cert = \"/surely/not/here.pem\"", "shared.client_cert"),
        ];
        let dir = tempfile::tempdir().unwrap();
        let not_pem = dir.path().join("ca.pem");
        std::fs::write(&not_pem, "-----BEGIN CERTIFICATE-----\n").unwrap();
        let not_pem = format!("ca = {:?}", not_pem.display().to_string());
        for (extra, key) in cases.into_iter().chain([(not_pem.as_str(), "shared.ca")]) {
            assert_eq!(key_of(table(extra).unwrap_err()), key, "{extra}");
        }
        let plain = |text: &str| settings(&toml_from(text)).map_err(key_of);
        assert_eq!(plain("redis = \"http://cache:6379\"").unwrap_err(), "shared.redis");
        assert_eq!(
            plain("redis = \"redis://user:pw@cache:6379\"").unwrap_err(),
            "shared.redis",
            "no inline credentials"
        );
        assert_eq!(
            plain("redis = \"redis://cache:6379\"\nca = \"ca.pem\"").unwrap_err(),
            "shared.ca"
        );
    }
}
