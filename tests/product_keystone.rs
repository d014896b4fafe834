//! OpenStack Keystone (PyPI `keystone`, identity API v3 on SQLite) driven through the gateway by its shipped
//! mapping alone (`config/products/keystone.toml`): the Entra-style and Okta-style cycles, their lookups again
//! through a fresh gateway process (an empty id cache), and Keystone's case-sensitive `?name=`: a user held as
//! `Ada@…` is found by `userName eq "ada@…"` whether the gateway's cache knows it or not.

mod common;

use common::idp::{self, Idp, Profile};
use common::product::Product;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Instant;

/// The tenant's `upstream` table: Keystone's URL and the token start.sh minted, sent as `X-Auth-Token`.
fn upstream(ks: &Product) -> String {
    format!(
        "base_url = {:?}, auth = {{ header = \"X-Auth-Token\", secret = {:?} }}",
        ks.env("BASE_URL"),
        ks.secret("TOKEN")
    )
}

/// Keystone's own API, with the product's token.
async fn keystone(ks: &Product, method: Method, path: &str, body: Option<Value>) -> Value {
    let mut req = reqwest::Client::new()
        .request(method.clone(), format!("{}{path}", ks.env("BASE_URL")))
        .header("X-Auth-Token", ks.env("TOKEN"));
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.expect("keystone answers");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    assert!(status.is_success(), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn ids(found: &[Value]) -> Vec<String> {
    found
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn keystone_entra_and_okta_cycles_warm_and_cold() {
    let ks = Product::start("keystone").await;
    let upstream = upstream(&ks);
    let gw = ks.gateway("keystone", &upstream).await;
    let idp = Idp::of(&gw);
    let profile = Profile::default();

    let started = Instant::now();
    let entra = idp::entra_cycle(&idp, &profile, "entra").await;
    eprintln!("keystone: Entra-style cycle in {:?}", started.elapsed());
    let started = Instant::now();
    let okta = idp::okta_cycle(&idp, &profile, "okta").await;
    eprintln!("keystone: Okta-style cycle in {:?}", started.elapsed());

    // What the IdP believes is what Keystone holds.
    for (id, (user_name, active)) in entra.users.iter().chain(&okta.users) {
        let user = keystone(&ks, Method::GET, &format!("/v3/users/{id}"), None).await;
        assert_eq!(user["user"]["name"], user_name.as_str(), "{user}");
        assert_eq!(user["user"]["enabled"], *active, "{user}");
    }
    for state in [&entra, &okta] {
        for gid in state.groups.keys() {
            let listed = keystone(&ks, Method::GET, &format!("/v3/groups/{gid}/users"), None).await;
            let names: std::collections::BTreeSet<String> = listed["users"]
                .as_array()
                .expect("users")
                .iter()
                .filter_map(|u| u["name"].as_str().map(str::to_owned))
                .collect();
            assert_eq!(names, state.member_names(gid), "{listed}");
        }
    }

    // The same lookups through a fresh gateway process: nothing cached, the same answers.
    let token = gw.tenants[0].token.clone();
    let process = ks.process("keystone", &upstream, &token).await;
    let cold = Idp::of_process(&process, &token);
    let started = Instant::now();
    idp::cold_lookups(&cold, &entra).await;
    idp::cold_lookups(&cold, &okta).await;
    eprintln!("keystone: cold-cache lookups in {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_held_in_another_letter_case_is_found_cold_and_warm() {
    let ks = Product::start("keystone").await;
    let upstream = upstream(&ks);
    let gw = ks.gateway("keystone", &upstream).await;
    let warm = Idp::of(&gw);
    let token = gw.tenants[0].token.clone();
    let process = ks.process("keystone", &upstream, &token).await;
    let cold = Idp::of_process(&process, &token);

    // One user created through the gateway (its cache learns the name), one in Keystone directly (it does not).
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "Ada@Keystone.example"});
    let (_, created) = warm.call(Method::POST, "/Users", Some(&body), 201).await;
    let ada = created["id"].as_str().expect("id").to_owned();
    let direct = keystone(
        &ks,
        Method::POST,
        "/v3/users",
        Some(json!({"user": {"name": "Grace@Keystone.example", "domain_id": "default", "enabled": true}})),
    )
    .await;
    let grace = direct["user"]["id"].as_str().expect("id").to_owned();
    // Keystone's own ?name= does not find them in another case.
    let plain = keystone(&ks, Method::GET, "/v3/users?name=ada%40keystone.example", None).await;
    assert_eq!(plain["users"], json!([]), "{plain}");

    for idp in [&warm, &cold] {
        for (name, id) in [
            ("ada@keystone.example", &ada),
            ("ADA@KEYSTONE.EXAMPLE", &ada),
            ("Ada@Keystone.example", &ada),
            ("grace@keystone.example", &grace),
            ("Grace@Keystone.example", &grace),
        ] {
            let found = idp.lookup("Users", "userName", name, "").await;
            assert_eq!(ids(&found), vec![id.clone()], "userName eq {name:?}");
        }
        assert!(
            idp.lookup("Users", "userName", "nobody@keystone.example", "")
                .await
                .is_empty()
        );
    }
    // A conjunction with the case-sensitive rule is re-checked and confirmed the same way.
    let found = cold
        .lookup(
            "Users",
            "userName",
            "grace@keystone.example",
            "%20and%20active%20eq%20true",
        )
        .await;
    assert_eq!(ids(&found), vec![grace.clone()]);
}
