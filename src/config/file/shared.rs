//! `[shared]`: the state several replicas share through Redis (or a Redis-protocol server such as Valkey).

use serde::{Deserialize, Serialize};

/// `[shared]`. Without it, every replica keeps its own rate limits, throttle and id cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedFile {
    /// `redis://host:6379/0`, or `rediss://host:6380/0` for TLS. No password here: see `password`.
    pub redis: String,
    /// The ACL user (Redis 6+); without it, the `default` user.
    #[serde(default)]
    pub username: Option<String>,
    /// The password, by reference: `env:NAME` or `file:PATH`.
    #[serde(default)]
    pub password: Option<String>,
    /// PEM bundle of the CAs that sign the server's certificate (`rediss://`); without it, the system's roots.
    #[serde(default)]
    pub ca: Option<String>,
    /// PEM client certificate and key, for a server that asks for one (`rediss://` with `tls-auth-clients yes`).
    #[serde(default)]
    pub client_cert: Option<String>,
    /// Key of `client_cert`.
    #[serde(default)]
    pub client_key: Option<String>,
    /// The fraction of each tenant's rate and burst that this replica admits on its own while Redis is unreachable
    /// (with two replicas, 0.5 keeps the tenant at its limit).
    #[serde(default = "default_local_share")]
    pub local_share: f64,
    /// Longest wait for one Redis answer on a request's path; past it, the replica falls back to its local share.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Longest wait for a connection to Redis.
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Prefix of every key and of the invalidation channel, so that several gateways can share one Redis.
    #[serde(default = "default_key_prefix")]
    pub key_prefix: String,
}

fn default_local_share() -> f64 {
    0.5
}

fn default_timeout_ms() -> u64 {
    50
}

fn default_connect_timeout_ms() -> u64 {
    1000
}

fn default_key_prefix() -> String {
    "scimgate".into()
}
