//! Against the slow product (every answer after an artificial delay, every call counted from its log): the product
//! calls each SCIM operation costs, and an Entra-style initial cycle — look each user up by `userName`, create it;
//! look each group up by `displayName`, create it, then add its members in one PATCH — run by a fixed number of
//! concurrent IdP workers, to show whether the gateway keeps enough product calls in flight.

use crate::load::{self, Conn, Target};
use crate::procs::Proc;
use crate::scenarios::scim_user;
use anyhow::Context as _;
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// A SCIM client of one tenant.
#[derive(Clone)]
pub struct Scim {
    /// The gateway.
    pub target: Target,
    /// `Authorization: Bearer …`.
    pub auth: HeaderValue,
}

impl Scim {
    /// A client for the tenant whose token is `token`.
    pub fn new(target: Target, token: &str) -> Self {
        let auth = HeaderValue::from_str(&format!("Bearer {token}")).expect("a token is header-safe");
        Scim { target, auth }
    }

    /// Send one SCIM request on `conn`.
    pub async fn send(
        &self,
        conn: &mut Conn,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        let headers = [(http::header::AUTHORIZATION, self.auth.clone())];
        load::send(conn, load::request(method, &format!("/scim/v2{path}"), &headers, body)).await
    }
}

fn filter_path(resource: &str, attribute: &str, value: &str) -> String {
    format!("/{resource}?filter={attribute}%20eq%20%22{value}%22")
}

fn members_patch(op: &str, ids: &[String]) -> String {
    let values: Vec<String> = ids.iter().map(|id| format!(r#"{{"value":"{id}"}}"#)).collect();
    format!(
        r#"{{"schemas":["{PATCH_OP}"],"Operations":[{{"op":"{op}","path":"members","value":[{}]}}]}}"#,
        values.join(",")
    )
}

fn id_of(body: &[u8]) -> anyhow::Result<String> {
    let json: serde_json::Value = serde_json::from_slice(body)?;
    json["id"].as_str().map(str::to_owned).context("no id in the answer")
}

/// One phase of the cycle: its product calls, the concurrency the gateway may use for them, and its wall time.
#[derive(Debug)]
pub struct Phase {
    /// What it does.
    pub label: &'static str,
    /// SCIM requests sent.
    pub requests: u64,
    /// Product calls the gateway made.
    pub calls: u64,
    /// Product calls that may be in flight at once: the IdP's workers, times the mapping's member concurrency for
    /// member changes.
    pub concurrency: u64,
    /// How long it took.
    pub wall: Duration,
    /// SCIM requests that did not succeed.
    pub errors: u64,
}

impl Phase {
    /// The time it must take at least: every call waits for the delay, `concurrency` at a time.
    pub fn ideal(&self, delay: Duration) -> Duration {
        delay.mul_f64(self.calls as f64 / self.concurrency as f64)
    }
}

/// Run `work(i)` for i in 0..n on `workers` connections; count the product calls it caused.
async fn phase<F, Fut>(
    label: &'static str,
    scim: &Scim,
    product: &Proc,
    n: u64,
    workers: usize,
    concurrency: u64,
    work: F,
) -> anyhow::Result<Phase>
where
    F: Fn(Scim, Conn, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = (Conn, anyhow::Result<()>)> + Send,
{
    let before = product.settled_count().await;
    let (next, errors) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let work = Arc::new(work);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let mut conn = load::connect(&scim.target).await?;
        let (scim, next, errors, work) = (scim.clone(), next.clone(), errors.clone(), work.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let (back, result) = work(scim.clone(), conn, i).await;
                conn = back;
                if let Err(e) = result
                    && errors.fetch_add(1, Ordering::Relaxed) == 0
                {
                    eprintln!("  {label}: first failure: {e:#}");
                }
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let wall = started.elapsed();
    Ok(Phase {
        label,
        requests: n,
        calls: product.settled_count().await - before,
        concurrency,
        wall,
        errors: errors.load(Ordering::Relaxed),
    })
}

fn expect(status: StatusCode, body: &[u8], want: &[u16]) -> anyhow::Result<()> {
    anyhow::ensure!(
        want.contains(&status.as_u16()),
        "{status}: {}",
        String::from_utf8_lossy(&body[..body.len().min(300)])
    );
    Ok(())
}

/// The Entra-style initial cycle of `users` users and `groups` groups of `users / groups` members.
pub async fn entra_cycle(
    scim: &Scim,
    product: &Proc,
    users: u64,
    groups: u64,
    workers: usize,
    member_concurrency: u64,
) -> anyhow::Result<Vec<Phase>> {
    let ids: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(vec![String::new(); users as usize]));
    let w = workers as u64;
    let created = ids.clone();
    let users_phase = phase(
        "users: find + create",
        scim,
        product,
        users,
        workers,
        w,
        move |scim, mut conn, i| {
            let created = created.clone();
            async move {
                let result = async {
                    let name = format!("cycle{i}@bench.example");
                    let (status, body) = scim
                        .send(&mut conn, Method::GET, &filter_path("Users", "userName", &name), None)
                        .await?;
                    expect(status, &body, &[200])?;
                    let user = scim_user(&name, &format!("cycle{i}"));
                    let (status, body) = scim.send(&mut conn, Method::POST, "/Users", Some(user)).await?;
                    expect(status, &body, &[201])?;
                    created.lock().map_err(|_| anyhow::anyhow!("poisoned"))?[i as usize] = id_of(&body)?;
                    Ok(())
                }
                .await;
                (conn, result)
            }
        },
    )
    .await?;
    let group_ids: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(vec![String::new(); groups as usize]));
    let created = group_ids.clone();
    let groups_phase = phase(
        "groups: find + create",
        scim,
        product,
        groups,
        workers,
        w,
        move |scim, mut conn, g| {
            let created = created.clone();
            async move {
                let result = async {
                    let name = format!("cycle-group-{g}");
                    let (status, body) = scim
                        .send(
                            &mut conn,
                            Method::GET,
                            &filter_path("Groups", "displayName", &name),
                            None,
                        )
                        .await?;
                    expect(status, &body, &[200])?;
                    let group = format!(r#"{{"schemas":["{GROUP}"],"displayName":"{name}","members":[]}}"#);
                    let (status, body) = scim.send(&mut conn, Method::POST, "/Groups", Some(group)).await?;
                    expect(status, &body, &[201])?;
                    created.lock().map_err(|_| anyhow::anyhow!("poisoned"))?[g as usize] = id_of(&body)?;
                    Ok(())
                }
                .await;
                (conn, result)
            }
        },
    )
    .await?;
    let per_group = (users / groups.max(1)) as usize;
    let members_phase = phase(
        "groups: add members",
        scim,
        product,
        groups,
        workers,
        w * member_concurrency,
        move |scim, mut conn, g| {
            let (ids, group_ids) = (ids.clone(), group_ids.clone());
            async move {
                let result = async {
                    let (group, members) = {
                        let ids = ids.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
                        let group = group_ids.lock().map_err(|_| anyhow::anyhow!("poisoned"))?[g as usize].clone();
                        let start = g as usize * per_group;
                        (group, ids[start..start + per_group].to_vec())
                    };
                    let (status, body) = scim
                        .send(
                            &mut conn,
                            Method::PATCH,
                            &format!("/Groups/{group}"),
                            Some(members_patch("add", &members)),
                        )
                        .await?;
                    expect(status, &body, &[200, 204])
                }
                .await;
                (conn, result)
            }
        },
    )
    .await?;
    Ok(vec![users_phase, groups_phase, members_phase])
}

/// Product calls per SCIM operation, each measured over `n` operations after one warming pass where a warm cache
/// is part of the operation, over users `cycle{i}@bench.example` (i < n, n ≥ 100) that the cycle created.
pub async fn calls_per_op(scim: &Scim, product: &Proc, n: u64) -> anyhow::Result<Vec<(&'static str, f64)>> {
    let mut conn = load::connect(&scim.target).await?;
    let mut rows = Vec::new();
    let find = |i: u64| filter_path("Users", "userName", &format!("cycle{i}@bench.example"));
    for i in 0..n {
        scim.send(&mut conn, Method::GET, &find(i), None).await?;
    }
    let mut ids = Vec::new();
    let before = product.settled_count().await;
    for i in 0..n {
        let (status, body) = scim.send(&mut conn, Method::GET, &find(i), None).await?;
        expect(status, &body, &[200])?;
        let list: serde_json::Value = serde_json::from_slice(&body)?;
        ids.push(
            list["Resources"][0]["id"]
                .as_str()
                .context("the user exists")?
                .to_owned(),
        );
    }
    rows.push(("userName lookup, warm cache", per(product, before, n).await));
    let before = product.settled_count().await;
    for id in &ids {
        let (status, body) = scim.send(&mut conn, Method::GET, &format!("/Users/{id}"), None).await?;
        expect(status, &body, &[200])?;
    }
    rows.push(("GET /Users/{id}", per(product, before, n).await));
    let before = product.settled_count().await;
    for id in &ids {
        let body = format!(
            r#"{{"schemas":["{PATCH_OP}"],"Operations":[{{"op":"Replace","path":"active","value":"False"}}]}}"#
        );
        let (status, body) = scim
            .send(&mut conn, Method::PATCH, &format!("/Users/{id}"), Some(body))
            .await?;
        expect(status, &body, &[200, 204])?;
    }
    rows.push(("Entra PATCH active=False", per(product, before, n).await));
    let nonce = product.settled_count().await;
    let before = product.settled_count().await;
    for i in 0..n {
        let name = format!("calls{nonce}-{i}@bench.example");
        let (status, body) = scim
            .send(&mut conn, Method::POST, "/Users", Some(scim_user(&name, &name)))
            .await?;
        expect(status, &body, &[201])?;
    }
    rows.push(("POST /Users", per(product, before, n).await));
    let group = format!(r#"{{"schemas":["{GROUP}"],"displayName":"calls-{nonce}"}}"#);
    let (status, body) = scim.send(&mut conn, Method::POST, "/Groups", Some(group)).await?;
    expect(status, &body, &[201])?;
    let group = id_of(&body)?;
    let members: Vec<String> = ids.iter().take(100).cloned().collect();
    let before = product.settled_count().await;
    let (status, body) = scim
        .send(
            &mut conn,
            Method::PATCH,
            &format!("/Groups/{group}"),
            Some(members_patch("add", &members)),
        )
        .await?;
    expect(status, &body, &[200, 204])?;
    rows.push((
        "PATCH /Groups add 100 members (one request)",
        per(product, before, 1).await,
    ));
    Ok(rows)
}

async fn per(product: &Proc, before: u64, n: u64) -> f64 {
    (product.settled_count().await - before) as f64 / n as f64
}
