//! Prometheus metrics, in one explicit registry (no globals): requests by tenant, resource, operation and
//! status with latency; product calls by tenant, method and status with latency; rate-limited requests;
//! failed authentications; config reloads; id-cache lookups. Served as text by the admin listener.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::{EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// Labels of a SCIM request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// Tenant id, or `-` before authentication.
    pub tenant: Arc<str>,
    /// `Users`, `Groups`, `ServiceProviderConfig`, … or `other`.
    pub resource: &'static str,
    /// `get`, `list`, `search`, `create`, `replace`, `patch`, `delete` or `other`.
    pub operation: &'static str,
    /// HTTP status code.
    pub status: u16,
}

/// Labels of a latency histogram of SCIM requests.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    /// As in [`RequestLabels`].
    pub resource: &'static str,
    /// As in [`RequestLabels`].
    pub operation: &'static str,
}

/// Labels of a product call.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProductLabels {
    /// Tenant id.
    pub tenant: Arc<str>,
    /// HTTP method.
    pub method: &'static str,
    /// HTTP status, or `error` when the call got no answer.
    pub status: ProductStatus,
}

/// A tenant label alone.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TenantLabels {
    /// Tenant id.
    pub tenant: Arc<str>,
}

/// A tenant and an outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabels {
    /// Tenant id.
    pub tenant: String,
    /// `hit` or `miss`.
    pub result: String,
}

/// Outcome of a config reload.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReloadLabels {
    /// `applied` or `rejected`.
    pub outcome: String,
}

type Latency = Family<OperationLabels, Histogram, fn() -> Histogram>;
type ProductLatency = Family<TenantLabels, Histogram, fn() -> Histogram>;

/// Every metric the gateway keeps.
pub struct Metrics {
    registry: Registry,
    /// SCIM requests answered.
    pub requests: Family<RequestLabels, Counter>,
    /// SCIM request latency.
    pub latency: Latency,
    /// Product calls made.
    pub product_calls: Family<ProductLabels, Counter>,
    /// Product call latency.
    pub product_latency: ProductLatency,
    /// Requests refused by a tenant's rate limit.
    pub rate_limited: Family<TenantLabels, Counter>,
    /// Requests whose authentication failed.
    pub auth_failures: Counter,
    /// Connections closed on arrival because their client address held its limit.
    pub connections_refused: Counter,
    /// Config reloads.
    pub reloads: Family<ReloadLabels, Counter>,
    /// Id-cache lookups since start, by tenant and result (refreshed when metrics are read).
    pub cache_lookups: Family<CacheLabels, Gauge<u64, AtomicU64>>,
    /// 1 while the state shared with other replicas (`[shared]`) answers, else 0.
    pub shared_state_up: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn latency_histogram() -> Histogram {
    // 100 µs to about 26 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 19))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("scimgate");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Latency = Family::new_with_constructor(latency_histogram);
        let product_calls = Family::<ProductLabels, Counter>::default();
        let product_latency: ProductLatency = Family::new_with_constructor(latency_histogram);
        let rate_limited = Family::<TenantLabels, Counter>::default();
        let auth_failures = Counter::default();
        let connections_refused = Counter::default();
        let reloads = Family::<ReloadLabels, Counter>::default();
        let cache_lookups = Family::<CacheLabels, Gauge<u64, AtomicU64>>::default();
        registry.register("requests", "SCIM requests answered", requests.clone());
        registry.register("request_duration_seconds", "SCIM request latency", latency.clone());
        registry.register("product_calls", "Calls to the product API", product_calls.clone());
        registry.register(
            "product_call_duration_seconds",
            "Latency of calls to the product API",
            product_latency.clone(),
        );
        registry.register(
            "rate_limited",
            "Requests refused by a tenant's rate limit",
            rate_limited.clone(),
        );
        registry.register(
            "auth_failures",
            "Requests whose authentication failed",
            auth_failures.clone(),
        );
        registry.register(
            "connections_refused",
            "Connections closed on arrival because their client address held limits.max_connections_per_client",
            connections_refused.clone(),
        );
        registry.register("config_reloads", "Config reloads by outcome", reloads.clone());
        registry.register(
            "cache_lookups",
            "Id-cache lookups since start, by result",
            cache_lookups.clone(),
        );
        let shared_state_up = Gauge::default();
        registry.register(
            "shared_state_up",
            "1 while the Redis of [shared] answers; 0 while each replica limits tenants to its local share",
            shared_state_up.clone(),
        );
        Metrics {
            shared_state_up,
            registry,
            requests,
            latency,
            product_calls,
            product_latency,
            rate_limited,
            auth_failures,
            connections_refused,
            reloads,
            cache_lookups,
        }
    }
}

impl Metrics {
    /// Count one request (SCIM or pass-through) answered after `elapsed`.
    pub fn request(&self, labels: &RequestLabels, elapsed: Duration) {
        self.requests.get_or_create(labels).inc();
        self.latency
            .get_or_create(&OperationLabels {
                resource: labels.resource,
                operation: labels.operation,
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Count one product call (`status` `None` when it got no answer).
    pub fn product_call(&self, tenant: &Arc<str>, method: &http::Method, status: Option<u16>, elapsed: Duration) {
        let labels = ProductLabels {
            tenant: tenant.clone(),
            method: method_label(method),
            status: ProductStatus(status),
        };
        self.product_calls.get_or_create(&labels).inc();
        self.product_latency
            .get_or_create(&TenantLabels { tenant: labels.tenant })
            .observe(elapsed.as_secs_f64());
    }

    /// Set a tenant's cache lookup figures.
    pub fn cache(&self, tenant: &str, hits: u64, misses: u64) {
        for (result, n) in [("hit", hits), ("miss", misses)] {
            self.cache_lookups
                .get_or_create(&CacheLabels {
                    tenant: tenant.to_owned(),
                    result: result.to_owned(),
                })
                .set(n);
        }
    }

    /// The OpenMetrics text of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The status of a product call as a label: the HTTP status, or `error` when no answer came.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct ProductStatus(pub Option<u16>);

impl EncodeLabelValue for ProductStatus {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        match self.0 {
            Some(status) => status.encode(encoder),
            None => "error".encode(encoder),
        }
    }
}

/// A method as a label: the standard ones by name, any other as `other` (so the label set stays bounded).
fn method_label(method: &http::Method) -> &'static str {
    use http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_appear_in_the_text() {
        let m = Metrics::default();
        m.request(
            &RequestLabels {
                tenant: "acme".into(),
                resource: "Users",
                operation: "get",
                status: 200,
            },
            Duration::from_millis(3),
        );
        m.product_call(
            &Arc::from("acme"),
            &http::Method::GET,
            Some(200),
            Duration::from_millis(2),
        );
        m.cache("acme", 5, 1);
        let text = m.encode();
        assert!(
            text.contains(r#"scimgate_requests_total{tenant="acme",resource="Users",operation="get",status="200"} 1"#),
            "{text}"
        );
        assert!(
            text.contains("scimgate_product_calls_total{tenant=\"acme\",method=\"GET\",status=\"200\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("scimgate_cache_lookups{tenant=\"acme\",result=\"hit\"} 5"),
            "{text}"
        );
    }

    #[test]
    fn each_label_set_counts_on_its_own() {
        let m = Metrics::default();
        let labels = |tenant: &str, status| RequestLabels {
            tenant: tenant.into(),
            resource: "Users",
            operation: "get",
            status,
        };
        for (tenant, status) in [
            ("acme", 200),
            ("acme", 200),
            ("acme", 404),
            ("globex", 200),
            ("acme", 200),
        ] {
            m.request(&labels(tenant, status), Duration::from_millis(1));
        }
        for _ in 0..2 {
            m.product_call(&Arc::from("acme"), &http::Method::GET, None, Duration::from_millis(1));
        }
        let text = m.encode();
        for line in [
            r#"scimgate_requests_total{tenant="acme",resource="Users",operation="get",status="200"} 3"#,
            r#"scimgate_requests_total{tenant="acme",resource="Users",operation="get",status="404"} 1"#,
            r#"scimgate_requests_total{tenant="globex",resource="Users",operation="get",status="200"} 1"#,
            r#"scimgate_request_duration_seconds_count{resource="Users",operation="get"} 5"#,
            r#"scimgate_product_calls_total{tenant="acme",method="GET",status="error"} 2"#,
            r#"scimgate_product_call_duration_seconds_count{tenant="acme"} 2"#,
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
    }
}
