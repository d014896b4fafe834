//! Validation: config file structs → the runtime ([`Runtime`]). Every failure names its key.

use super::file::{ConfigFile, PassthroughFile, TenantFile};
use super::{ConfigError, secret};
use crate::config::file::TokenFile;
use crate::gateway::{Gateway, Settings};
use crate::mapping::{self, Mapping};
use crate::metrics::Metrics;
use crate::proxy::{self, ForwardedStyle, HostMode, Passthrough};
use crate::ratelimit::{AuthThrottle, RateLimit};
use crate::scim::filter::Limits;
use crate::server::tls;
use crate::tenant::{Tenant, TenantId};
use crate::token::TokenHash;
use crate::upstream::{self, Upstream};
use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

mod shared;

/// A validated config, ready to serve.
#[derive(Debug)]
pub struct Runtime {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// TLS, unless the config asks for plain HTTP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The gateway.
    pub gateway: Gateway,
    /// The admin listener's address, when enabled.
    pub admin: Option<SocketAddr>,
}

/// Validate a loaded config into a runtime with metrics of its own. Reads the files it references
/// (certificates, secrets, CA bundles).
pub fn validate(file: &ConfigFile) -> Result<Runtime, ConfigError> {
    validate_with(file, Arc::new(Metrics::default()))
}

/// Validate a loaded config into a runtime that counts into `metrics` (kept across reloads).
pub fn validate_with(file: &ConfigFile, metrics: Arc<Metrics>) -> Result<Runtime, ConfigError> {
    build(file, metrics, None)
}

/// Validate a config that is to replace `previous` (a reload): the runtime counts into the same metrics, each
/// tenant whose settings allow it goes on with the state it had ([`Tenant::continue_from`]), and the
/// failed-authentication throttle goes on counting.
pub fn revalidate(file: &ConfigFile, previous: &Gateway) -> Result<Runtime, ConfigError> {
    build(file, previous.metrics.clone(), Some(previous))
}

fn build(file: &ConfigFile, metrics: Arc<Metrics>, previous: Option<&Gateway>) -> Result<Runtime, ConfigError> {
    let s = &file.server;
    let listen: SocketAddr = s.listen.parse().map_err(|_| {
        ConfigError::invalid(
            "server.listen",
            format!("{:?} is not an address like 0.0.0.0:8443", s.listen),
        )
    })?;
    let tls = match (&s.tls, s.plaintext) {
        (Some(_), true) => {
            return Err(ConfigError::invalid(
                "server.plaintext",
                "set either server.tls or server.plaintext = true, not both",
            ));
        }
        (None, false) => {
            return Err(ConfigError::invalid(
                "server.tls",
                "TLS is required: give cert and key, or set server.plaintext = true behind a TLS-terminating proxy",
            ));
        }
        (None, true) => None,
        (Some(t), false) => Some(
            tls::server_config(
                Path::new(&t.cert),
                Path::new(&t.key),
                t.client_ca.as_deref().map(Path::new),
            )
            .map_err(|m| ConfigError::invalid("server.tls", m))?,
        ),
    };
    let base_paths = base_paths(s.base_path.as_slice())?;
    let public_url = match &s.public_url {
        None => None,
        Some(u) if (u.starts_with("https://") || u.starts_with("http://")) && u.parse::<http::Uri>().is_ok() => {
            Some(u.trim_end_matches('/').to_owned())
        }
        Some(_) => {
            return Err(ConfigError::invalid(
                "server.public_url",
                "must be an absolute http(s) URL",
            ));
        }
    };
    let l = &file.limits;
    for (key, value) in [
        ("limits.max_body_bytes", l.max_body_bytes),
        ("limits.max_page_size", u64::from(l.max_page_size)),
        ("limits.scan_limit", u64::from(l.scan_limit)),
        ("limits.request_timeout_ms", l.request_timeout_ms),
        ("limits.header_read_timeout_ms", l.header_read_timeout_ms),
        ("limits.max_headers", l.max_headers as u64),
        ("limits.max_connections", l.max_connections as u64),
        ("limits.max_connections_per_client", l.max_connections_per_client as u64),
        ("limits.idle_timeout_ms", l.idle_timeout_ms),
        ("limits.http2_keep_alive_timeout_ms", l.http2_keep_alive_timeout_ms),
        ("limits.max_json_depth", l.max_json_depth as u64),
        ("limits.max_filter_depth", l.max_filter_depth as u64),
        ("limits.max_filter_length", l.max_filter_length as u64),
        ("limits.max_patch_operations", l.max_patch_operations as u64),
        ("limits.max_members_per_request", l.max_members_per_request as u64),
        ("limits.auth_failure_limit", u64::from(l.auth_failure_limit)),
        ("limits.auth_failure_window_s", l.auth_failure_window_s),
        ("limits.cache_entries", l.cache_entries),
        ("limits.cache_ttl_s", l.cache_ttl_s),
    ] {
        if value == 0 {
            return Err(ConfigError::invalid(key, "must be greater than 0"));
        }
    }
    // Bounds above which a hostile input could exhaust the stack (filter trees, nested bodies) or memory.
    for (key, value, max) in [
        ("limits.max_json_depth", l.max_json_depth, 128),
        ("limits.max_filter_length", l.max_filter_length, 8192),
        ("limits.max_filter_depth", l.max_filter_depth, 64),
    ] {
        if value > max {
            return Err(ConfigError::invalid(key, format!("must be at most {max}")));
        }
    }
    let scan_budget = |key: &str, given: Option<u64>, times: u64| -> Result<usize, ConfigError> {
        let size = given.unwrap_or(u64::from(l.scan_limit).saturating_mul(times));
        if size <= u64::from(l.scan_limit) {
            return Err(ConfigError::invalid(
                key,
                "must be greater than limits.scan_limit (a scan that can never fit would always be refused)",
            ));
        }
        Ok(usize::try_from(size).unwrap_or(usize::MAX))
    };
    let tenant_scan_budget = scan_budget("limits.tenant_scan_budget", l.tenant_scan_budget, 4)?;
    let process_scan_budget = mapping::listing::process_budget(scan_budget("limits.scan_budget", l.scan_budget, 16)?);
    if l.max_header_bytes < 8192 {
        return Err(ConfigError::invalid("limits.max_header_bytes", "must be at least 8192"));
    }
    let settings = Settings {
        base_path: base_paths[0].clone(),
        base_paths,
        public_url,
        scheme: if tls.is_some() { "https" } else { "http" },
        trust_forwarded_headers: s.trust_forwarded_headers,
        max_body_bytes: l.max_body_bytes,
        max_page_size: l.max_page_size,
        scan_limit: l.scan_limit,
        request_timeout: Duration::from_millis(l.request_timeout_ms),
        filter_limits: Limits {
            max_len: l.max_filter_length,
            max_depth: l.max_filter_depth,
        },
        max_patch_operations: l.max_patch_operations,
        max_members_per_request: l.max_members_per_request,
        max_json_depth: l.max_json_depth,
        header_read_timeout: Duration::from_millis(l.header_read_timeout_ms),
        max_header_bytes: l.max_header_bytes,
        max_headers: l.max_headers,
        max_connections: l.max_connections,
        max_connections_per_client: l.max_connections_per_client,
        idle_timeout: Duration::from_millis(l.idle_timeout_ms),
        http2_keep_alive_interval: (l.http2_keep_alive_interval_ms > 0)
            .then(|| Duration::from_millis(l.http2_keep_alive_interval_ms)),
        http2_keep_alive_timeout: Duration::from_millis(l.http2_keep_alive_timeout_ms),
        drain_timeout: Duration::from_secs(s.drain_timeout_s),
        auth_failure_limit: l.auth_failure_limit,
        auth_failure_window: Duration::from_secs(l.auth_failure_window_s),
    };
    let mut mappings = BTreeMap::new();
    for (name, m) in &file.mappings {
        let key = format!("mappings.{name}");
        let compiled = Arc::new(mapping::compile(m, &key)?);
        let written = serde_json::to_value(m).map_err(|e| ConfigError::invalid(&key, e.to_string()))?;
        mappings.insert(name.clone(), (compiled, Arc::new(written)));
    }
    let cache = (l.cache_entries, Duration::from_secs(l.cache_ttl_s));
    let scans = (tenant_scan_budget, process_scan_budget);
    let mut tenants = tenants(
        &file.tenants,
        &mappings,
        &metrics,
        cache,
        scans,
        settings.request_timeout,
    )?;
    let shared = shared::shared(file.shared.as_ref(), &metrics, previous.and_then(|p| p.shared.as_ref()))?;
    if let Some(shared) = &shared {
        for tenant in &mut tenants {
            tenant.rate_limit = tenant.rate_limit.clone().shared(shared, tenant.id.as_str());
        }
    }
    if let Some(previous) = previous {
        for tenant in &mut tenants {
            if let Some(before) = previous.tenants.iter().find(|t| t.id == tenant.id) {
                tenant.continue_from(before);
            }
        }
    }
    let tenants: Vec<Arc<Tenant>> = tenants.into_iter().map(Arc::new).collect();
    match &shared {
        Some(shared) => shared.register(&tenants),
        None => tenants.iter().for_each(|t| t.cache.set_notifier(None)),
    }
    let passthrough = match &s.passthrough {
        Some(p) => Some(passthrough(p, settings.scheme, s.trust_forwarded_headers)?),
        None => None,
    };
    let admin = match file.admin.enabled {
        false => None,
        true => Some(file.admin.listen.parse::<SocketAddr>().map_err(|_| {
            ConfigError::invalid(
                "admin.listen",
                format!("{:?} is not an address like 127.0.0.1:9090", file.admin.listen),
            )
        })?),
    };
    let mut gateway = Gateway::new(settings, tenants, metrics).with_passthrough(passthrough);
    if let Some(previous) = previous {
        let s = &gateway.settings;
        gateway.auth_throttle =
            AuthThrottle::continuing(&previous.auth_throttle, s.auth_failure_limit, s.auth_failure_window);
        gateway.writes = previous.writes.clone();
    }
    gateway.auth_throttle.set_shared(shared.clone());
    gateway.shared = shared;
    Ok(Runtime {
        listen,
        tls,
        admin,
        gateway,
    })
}

/// `server.base_path`: one path or several, each starting with `/`, without a trailing slash.
fn base_paths(written: &[String]) -> Result<Vec<String>, ConfigError> {
    if written.is_empty() {
        return Err(ConfigError::invalid(
            "server.base_path",
            "at least one path is required",
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, path) in written.iter().enumerate() {
        let key = if written.len() == 1 && i == 0 {
            "server.base_path".to_owned()
        } else {
            format!("server.base_path[{i}]")
        };
        let path = path.trim_end_matches('/').to_owned();
        if !path.starts_with('/') || path.contains(['?', '#', ' ', '%']) {
            return Err(ConfigError::invalid(
                key,
                "must be a path starting with '/', like /scim/v2",
            ));
        }
        if out.contains(&path) {
            return Err(ConfigError::invalid(key, format!("{path} is listed twice")));
        }
        out.push(path);
    }
    Ok(out)
}

/// `[server.passthrough]` → the pass-through to the product's origin.
fn passthrough(
    p: &PassthroughFile,
    listener_scheme: &'static str,
    trust_forwarded_headers: bool,
) -> Result<Passthrough, ConfigError> {
    let at = |k: &str| format!("server.passthrough.{k}");
    for (key, value) in [
        ("timeout_ms", p.timeout_ms),
        ("max_in_flight", p.max_in_flight as u64),
        ("max_in_flight_per_connection", p.max_in_flight_per_connection as u64),
        ("response_stall_timeout_ms", p.response_stall_timeout_ms),
    ] {
        if value == 0 {
            return Err(ConfigError::invalid(at(key), "must be greater than 0"));
        }
    }
    let options = proxy::Options {
        host: HostMode::parse(&p.host).map_err(|m| ConfigError::invalid(at("host"), m))?,
        forwarded: ForwardedStyle::parse(&p.forwarded).map_err(|m| ConfigError::invalid(at("forwarded"), m))?,
        trust_forwarded: p.trust_forwarded.unwrap_or(trust_forwarded_headers),
        via: p.via,
        timeout: Duration::from_millis(p.timeout_ms),
        tunnel_idle: (p.tunnel_idle_timeout_ms > 0).then(|| Duration::from_millis(p.tunnel_idle_timeout_ms)),
        max_in_flight: p.max_in_flight,
        max_in_flight_per_connection: p.max_in_flight_per_connection,
        queue_timeout: Duration::from_millis(p.queue_timeout_ms),
        response_stall: Duration::from_millis(p.response_stall_timeout_ms),
    };
    let ca = match &p.ca {
        None => None,
        Some(path) => {
            Some(std::fs::read(path).map_err(|e| ConfigError::invalid(at("ca"), format!("cannot read {path}: {e}")))?)
        }
    };
    let tls = upstream::tls_config(ca.as_deref()).map_err(|m| ConfigError::invalid(at("ca"), m))?;
    Passthrough::new(&p.origin, options, tls, listener_scheme).map_err(|m| ConfigError::invalid(at("origin"), m))
}

/// `tenants[i].hosts`: host names, lowercase, without port; none bound to two tenants.
fn hosts_of(
    written: &[String],
    at: &dyn Fn(&str) -> String,
    taken: &mut HashSet<String>,
) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::new();
    for (j, host) in written.iter().enumerate() {
        let key = at(&format!("hosts[{j}]"));
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let valid = !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            && host.split('.').all(|label| !label.is_empty() && label.len() <= 63);
        if !valid {
            return Err(ConfigError::invalid(
                key,
                "expected a host name like acme.product.example, without port",
            ));
        }
        if !taken.insert(host.clone()) {
            return Err(ConfigError::invalid(
                key,
                format!("{host} is already bound to a tenant"),
            ));
        }
        out.push(host);
    }
    Ok(out)
}

/// A mapping compiled, and as written.
type Mappings = BTreeMap<String, (Arc<Mapping>, Arc<serde_json::Value>)>;

fn tenants(
    files: &[TenantFile],
    mappings: &Mappings,
    metrics: &Arc<Metrics>,
    (cache_entries, cache_ttl): (u64, Duration),
    (scan_budget, process_scan_budget): (usize, Arc<tokio::sync::Semaphore>),
    request_timeout: Duration,
) -> Result<Vec<Tenant>, ConfigError> {
    let mut ids = HashSet::new();
    let mut digests = HashSet::new();
    let mut hosts = HashSet::new();
    let mut out = Vec::new();
    for (i, t) in files.iter().enumerate() {
        let at = |k: &str| format!("tenants[{i}].{k}");
        let id = TenantId::parse(&t.id).map_err(|m| ConfigError::invalid(at("id"), m))?;
        if !ids.insert(id.clone()) {
            return Err(ConfigError::invalid(at("id"), format!("tenant {id} is defined twice")));
        }
        if t.tokens.is_empty() {
            return Err(ConfigError::invalid(
                at("tokens"),
                "at least one token digest is required (scimgate token new)",
            ));
        }
        let mut tokens = Vec::new();
        for (j, entry) in t.tokens.iter().enumerate() {
            let (text, not_after) = match entry {
                TokenFile::Digest(d) => (d, None),
                TokenFile::Dated { digest, not_after } => {
                    let at_time =
                        time::OffsetDateTime::parse(not_after, &time::format_description::well_known::Rfc3339)
                            .map_err(|_| {
                                ConfigError::invalid(
                                    at(&format!("tokens[{j}].not_after")),
                                    format!("{not_after:?} is not an RFC 3339 time like 2027-01-31T00:00:00Z"),
                                )
                            })?;
                    (digest, Some(std::time::SystemTime::from(at_time)))
                }
            };
            let hash = TokenHash::parse(text).map_err(|m| ConfigError::invalid(at(&format!("tokens[{j}]")), m))?;
            if !digests.insert(hash.to_config()) {
                return Err(ConfigError::invalid(
                    at(&format!("tokens[{j}]")),
                    "this token is already used by a tenant",
                ));
            }
            tokens.push((hash, not_after));
        }
        let per_second = NonZeroU32::new(t.rate_limit.per_second)
            .ok_or_else(|| ConfigError::invalid(at("rate_limit.per_second"), "must be at least 1"))?;
        let burst = NonZeroU32::new(t.rate_limit.burst)
            .ok_or_else(|| ConfigError::invalid(at("rate_limit.burst"), "must be at least 1"))?;
        let (mapping, mapping_config) = mappings.get(&t.mapping).cloned().ok_or_else(|| {
            ConfigError::invalid(
                at("mapping"),
                format!("no mapping named {:?} under [mappings]", t.mapping),
            )
        })?;
        let upstream = upstream_of(t, &at, request_timeout)?.with_metrics(metrics.clone(), id.as_str());
        let hosts = hosts_of(&t.hosts, &at, &mut hosts)?;
        out.push(Tenant {
            id,
            tokens,
            hosts,
            rate_limit: RateLimit::new(per_second, burst),
            upstream,
            mapping,
            mapping_config,
            cache: Arc::new(crate::cache::IdCache::new(cache_entries, cache_ttl)),
            scan_budget: mapping::listing::ScanBudget::new(scan_budget, process_scan_budget.clone()),
        });
    }
    Ok(out)
}

fn upstream_of(t: &TenantFile, at: &dyn Fn(&str) -> String, budget: Duration) -> Result<Upstream, ConfigError> {
    let u = &t.upstream;
    if u.timeout_ms == 0 {
        return Err(ConfigError::invalid(
            at("upstream.timeout_ms"),
            "must be greater than 0",
        ));
    }
    let auth = match &u.auth {
        None => None,
        Some(a) => {
            let name = http::HeaderName::try_from(a.header.as_str())
                .map_err(|_| ConfigError::invalid(at("upstream.auth.header"), "not a valid header name"))?;
            let secret = secret::resolve(&a.secret).map_err(|m| ConfigError::invalid(at("upstream.auth.secret"), m))?;
            match &a.username {
                // RFC 7617: `Basic base64(user-id ":" password)`; a user-id cannot contain a colon.
                Some(user) if user.contains(':') => {
                    return Err(ConfigError::invalid(
                        at("upstream.auth.username"),
                        "a basic-auth user name cannot contain ':'",
                    ));
                }
                Some(_) if a.scheme.is_some() => {
                    return Err(ConfigError::invalid(
                        at("upstream.auth.scheme"),
                        "basic auth (username) sets the scheme itself",
                    ));
                }
                Some(user) => {
                    use base64::Engine as _;
                    let encoded =
                        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", secret.expose()));
                    Some((name, Some("Basic".to_owned()), secret::Secret::new(encoded)))
                }
                None => Some((name, a.scheme.clone(), secret)),
            }
        }
    };
    let ca = match &u.ca {
        None => None,
        Some(path) => Some(
            std::fs::read(path)
                .map_err(|e| ConfigError::invalid(at("upstream.ca"), format!("cannot read {path}: {e}")))?,
        ),
    };
    let tls = upstream::tls_config(ca.as_deref()).map_err(|m| ConfigError::invalid(at("upstream.ca"), m))?;
    if u.max_concurrent == 0 {
        return Err(ConfigError::invalid(
            at("upstream.max_concurrent"),
            "must be at least 1",
        ));
    }
    if u.retries > 10 {
        return Err(ConfigError::invalid(at("upstream.retries"), "must be at most 10"));
    }
    let policy = upstream::CallPolicy {
        timeout: Duration::from_millis(u.timeout_ms),
        retries: u.retries,
        backoff: Duration::from_millis(u.retry_backoff_ms),
        max_concurrent: u.max_concurrent,
        budget,
    };
    Upstream::new(&u.base_url, auth, policy, tls).map_err(|m| ConfigError::invalid(at("upstream.base_url"), m))
}

#[cfg(test)]
mod tests;
