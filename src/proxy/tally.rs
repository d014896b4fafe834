//! Pass-through requests in the gateway's request metrics, without building label sets per request: every
//! pass-through request has the same labels but its status, so the latency histogram and one counter per status
//! are looked up in the metric families once and then kept (a metric's clone shares its value).

use crate::metrics::{Metrics, OperationLabels, RequestLabels};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;
use std::sync::OnceLock;
use std::time::Duration;

/// Label values of a pass-through request.
const TENANT: &str = "-";
const RESOURCE: &str = "passthrough";
const OPERATION: &str = "forward";

/// The status codes kept at hand: RFC 9110 §15 defines 100 to 599; anything else takes the family lookup.
const STATUSES: std::ops::Range<u16> = 100..600;

/// The pass-through metrics of one [`Metrics`], looked up on first use.
#[derive(Debug)]
pub struct Tally {
    latency: OnceLock<Histogram>,
    by_status: Box<[OnceLock<Counter>]>,
}

impl Tally {
    /// Nothing looked up yet.
    pub fn new() -> Self {
        Tally {
            latency: OnceLock::new(),
            by_status: STATUSES.map(|_| OnceLock::new()).collect(),
        }
    }

    /// Count one pass-through request answered with `status` after `elapsed` (to the response head).
    pub fn request(&self, metrics: &Metrics, status: u16, elapsed: Duration) {
        self.latency
            .get_or_init(|| {
                metrics
                    .latency
                    .get_or_create(&OperationLabels {
                        resource: RESOURCE,
                        operation: OPERATION,
                    })
                    .clone()
            })
            .observe(elapsed.as_secs_f64());
        let counter = || {
            metrics
                .requests
                .get_or_create(&RequestLabels {
                    tenant: TENANT.into(),
                    resource: RESOURCE,
                    operation: OPERATION,
                    status,
                })
                .clone()
        };
        match self.by_status.get(usize::from(status.wrapping_sub(STATUSES.start))) {
            Some(slot) => slot.get_or_init(counter).inc(),
            None => counter().inc(),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_the_shared_families() {
        let metrics = Metrics::default();
        let tally = Tally::new();
        for status in [200, 200, 404, 999] {
            tally.request(&metrics, status, Duration::from_millis(1));
        }
        let text = metrics.encode();
        for (status, n) in [(200, 2), (404, 1), (999, 1)] {
            let line = format!(
                r#"scimgate_requests_total{{tenant="-",resource="passthrough",operation="forward",status="{status}"}} {n}"#
            );
            assert!(text.contains(&line), "{line} missing in\n{text}");
        }
        assert!(
            text.contains(r#"scimgate_request_duration_seconds_count{resource="passthrough",operation="forward"} 4"#),
            "{text}"
        );
    }
}
