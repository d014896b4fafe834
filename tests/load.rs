//! A bounded load test on loopback (about three seconds, then it stops by itself): one tenant floods the gateway
//! from many tasks while another works normally; the per-tenant cap on concurrent product calls holds against a
//! slow product. It prints its figures; it asserts only what must hold on any machine.

mod common;

use common::{TenantSpec, send};
use reqwest::{Method, StatusCode};
use scimgate::sample::{SampleOptions, SampleProduct};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_tenant_leaves_the_other_served_and_the_product_protected() {
    let mut flooder = TenantSpec::new("flooder");
    (flooder.per_second, flooder.burst) = (100, 20);
    let gw = Arc::new(common::start(&[flooder, TenantSpec::new("calm")]).await);
    let (admitted, limited) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let run_for = Duration::from_secs(2);
    let started = Instant::now();
    let mut flood = Vec::new();
    for _ in 0..8 {
        let (gw, admitted, limited) = (gw.clone(), admitted.clone(), limited.clone());
        flood.push(tokio::spawn(async move {
            while started.elapsed() < run_for {
                let status = gw
                    .req(0, Method::GET, "/Users?count=1")
                    .send()
                    .await
                    .map(|r| r.status());
                match status {
                    Ok(StatusCode::OK) => admitted.fetch_add(1, Ordering::Relaxed),
                    Ok(StatusCode::TOO_MANY_REQUESTS) => limited.fetch_add(1, Ordering::Relaxed),
                    other => panic!("flooder got {other:?}"),
                };
            }
        }));
    }
    let mut calm = Vec::new();
    while started.elapsed() < run_for {
        let t = Instant::now();
        let (status, _, _) = send(gw.req(1, Method::GET, "/Users?count=1")).await;
        assert_eq!(status, StatusCode::OK, "the calm tenant is never limited by the flood");
        calm.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for f in flood {
        f.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    calm.sort();
    let pct = |p: f64| calm[((calm.len() as f64 - 1.0) * p) as usize];
    let (a, l) = (admitted.load(Ordering::Relaxed), limited.load(Ordering::Relaxed));
    println!(
        "flood: {a} admitted, {l} limited in {elapsed:.1} s (quota 100/s + burst 20); calm: {} requests, p50 {:?}, p99 {:?}",
        calm.len(),
        pct(0.5),
        pct(0.99)
    );
    assert!(l > 0, "the flood was limited");
    assert!(
        a as f64 <= 20.0 + 100.0 * (elapsed + 0.5),
        "{a} admitted is within the quota"
    );

    // A slow product (50 ms a call) behind a cap of 2 calls in flight: 10 concurrent reads take at least 5 rounds.
    let slow = SampleProduct::start(SampleOptions {
        api_key: "slow".into(),
        delay: Some(Duration::from_millis(50)),
        ..SampleOptions::default()
    })
    .await
    .unwrap();
    let spec = TenantSpec {
        external: Some((slow.base_url(), "slow".into())),
        upstream_extra: "max_concurrent = 2",
        ..TenantSpec::new("capped")
    };
    let capped = Arc::new(common::start(&[spec]).await);
    let t = Instant::now();
    let reads: Vec<_> = (0..10)
        .map(|_| {
            let capped = capped.clone();
            tokio::spawn(async move { send(capped.req(0, Method::GET, "/Users/1")).await.0 })
        })
        .collect();
    for r in reads {
        assert_eq!(r.await.unwrap(), StatusCode::NOT_FOUND);
    }
    let took = t.elapsed();
    println!("10 concurrent reads, 2 product calls in flight, 50 ms each: {took:?}");
    assert!(took >= Duration::from_millis(250), "the cap held: {took:?}");
}
