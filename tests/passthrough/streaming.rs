//! Streaming through the pass-through: large bodies both ways in bounded memory, and a client that goes away
//! takes the product request with it.

use crate::origin::{FRAME, Origin};
use crate::{gateway_to, http1, raw, url};
use bytes::Bytes;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// A field of /proc/self/status, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_bodies_stream_both_ways_in_bounded_memory() {
    const SIZE: usize = 256 << 20;
    /// What the whole process (client, gateway and product) may grow by while 2 × 256 MiB pass.
    const BOUND_KIB: u64 = 64 << 10;
    let origin = Origin::start().await;
    let gw = gateway_to(&origin.url(), "").await;
    let upload_client = http1(&gw);
    let warm = gw.client.get(url(&gw, "/download?bytes=1000000")).send().await.unwrap();
    assert_eq!(warm.bytes().await.unwrap().len(), 1_000_000);
    // Reset the peak (VmHWM) to the current size; where that is refused, the old peak stands as a floor.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let floor = if reset { 0 } else { status_kib("VmHWM:") };
    let before = status_kib("VmRSS:");

    // Upload over HTTP/1.1 with chunked framing, the product counting what arrives.
    let frame = Bytes::from(vec![7u8; FRAME]);
    let frames = futures_util::stream::iter((0..SIZE / FRAME).map(move |_| Ok::<_, std::io::Error>(frame.clone())));
    let resp = upload_client
        .post(url(&gw, "/upload"))
        .body(reqwest::Body::wrap_stream(frames))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let answer: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(answer["received"], SIZE as u64);

    // Download over HTTP/2 from the HTTP/1.1 product, read frame by frame.
    let mut resp = gw
        .client
        .get(url(&gw, &format!("/download?bytes={SIZE}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    assert_eq!(resp.headers()["content-length"], SIZE.to_string().as_str());
    let mut received = 0;
    while let Some(chunk) = resp.chunk().await.unwrap() {
        received += chunk.len();
    }
    assert_eq!(received, SIZE);

    let peak = status_kib("VmHWM:");
    eprintln!("RSS before {before} KiB, peak {peak} KiB (peak reset: {reset})");
    assert!(
        peak <= floor.max(before + BOUND_KIB),
        "peak RSS {peak} KiB, {} KiB above the {before} KiB before the transfers",
        peak.saturating_sub(before)
    );
}

#[tokio::test]
async fn an_upload_broken_off_by_the_client_is_broken_off_to_the_product() {
    let origin = Origin::start().await;
    let gw = gateway_to(&origin.url(), "").await;
    let mut tls = raw::connect(&gw).await;
    let head = "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 100000000\r\n\r\n";
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.write_all(&vec![1u8; 1 << 20]).await.unwrap();
    tls.flush().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while origin.log().is_empty() {
        assert!(Instant::now() < deadline, "the upload never reached the product");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(tls);
    while !origin.upload_aborted() {
        assert!(
            Instant::now() < deadline,
            "the product still waits for the rest of the body"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_client_that_goes_away_cancels_the_product_request() {
    for http2 in [false, true] {
        let origin = Origin::start().await;
        let gw = gateway_to(&origin.url(), "").await;
        let client = if http2 { gw.client.clone() } else { http1(&gw) };
        let mut resp = client.get(url(&gw, "/endless")).send().await.unwrap();
        for _ in 0..4 {
            assert!(resp.chunk().await.unwrap().is_some());
        }
        assert!(!origin.endless_dropped());
        drop(resp);
        drop(client);
        let deadline = Instant::now() + Duration::from_secs(5);
        while !origin.endless_dropped() {
            assert!(Instant::now() < deadline, "the product kept sending (HTTP/2: {http2})");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
