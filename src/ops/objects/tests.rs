//! Id resolution against an in-memory product keyed by a mutable name: a live object wins over a rename alias.

use super::*;
use crate::mapping::api::Api;
use crate::upstream::{CallPolicy, ProductRequest, ProductResponse, Transport, Upstream, UpstreamError};
use futures_util::future::BoxFuture;
use http::StatusCode;
use std::sync::{Arc, Mutex};

const NAMED: &str = include_str!("../../../config/examples/named.toml");

/// A product that has the users named in `live` and remembers the paths it was asked for.
struct Named {
    live: Vec<&'static str>,
    seen: Mutex<Vec<String>>,
}

impl Transport for Named {
    fn send<'a>(&'a self, req: &'a ProductRequest) -> BoxFuture<'a, Result<ProductResponse, UpstreamError>> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.push(format!("{} {}", req.method, req.path_and_query));
        }
        let name = req.path_and_query.strip_prefix("/users/").unwrap_or("");
        let (status, body) = if self.live.contains(&name) {
            (StatusCode::OK, format!(r#"{{"username": "{name}"}}"#))
        } else {
            (
                StatusCode::NOT_FOUND,
                r#"{"error": {"message": "no such user"}}"#.to_owned(),
            )
        };
        Box::pin(std::future::ready(Ok(ProductResponse {
            status,
            headers: http::HeaderMap::new(),
            body: bytes::Bytes::from(body),
        })))
    }
}

/// Resolve `id` with the alias `alias → target` cached (when given) over a product holding `live`: the product id,
/// the product calls made, and whether the alias is still cached.
async fn resolved(live: Vec<&'static str>, alias: Option<(&str, &str)>, id: &str) -> (String, Vec<String>, bool) {
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nplaintext = true\n\
         [[tenants]]\nid = \"t\"\ntokens = [{:?}]\nmapping = \"named\"\n\
         upstream = {{ base_url = \"http://127.0.0.1:9/api\" }}\n{NAMED}",
        crate::token::TokenHash::of("t").to_config()
    );
    let gw = crate::config::validate(&crate::config::from_toml(&text).expect("config"))
        .expect("valid")
        .gateway;
    let tenant = gw.tenants[0].clone();
    let product = Arc::new(Named {
        live,
        seen: Mutex::new(Vec::new()),
    });
    let upstream = Upstream::over("http://product.test", CallPolicy::default(), product.clone()).expect("upstream");
    let api = Api::new(&upstream, &tenant.mapping, &tenant.mapping.users);
    if let Some((from, to)) = alias {
        tenant.cache.put(Key::UserAlias(from.to_owned()), to.to_owned());
    }
    let ctx = Context {
        tenant: tenant.clone(),
        base_url: "https://scim.test/scim/v2".into(),
        settings: &gw.settings,
        if_match: None,
    };
    let key = Key::UserAlias(id.to_owned());
    let pid = resolve(&ctx, &api, key.clone(), resource::USER, id)
        .await
        .expect("resolved");
    let seen = product.seen.lock().expect("log").clone();
    (pid.as_str().to_owned(), seen, tenant.cache.get(&key).is_some())
}

#[tokio::test]
async fn without_an_alias_the_id_is_taken_as_it_is_with_no_product_call() {
    let (pid, seen, _) = resolved(vec!["alice"], None, "alice").await;
    assert_eq!(pid, "alice");
    assert!(seen.is_empty(), "{seen:?}");
}

#[tokio::test]
async fn an_alias_is_followed_only_when_the_id_no_longer_exists() {
    let (pid, seen, kept) = resolved(vec!["bob"], Some(("alice", "bob")), "alice").await;
    assert_eq!(pid, "bob");
    assert_eq!(seen, ["GET /users/alice"]);
    assert!(kept, "the alias still stands");
}

#[tokio::test]
async fn a_live_object_wins_over_the_alias_and_the_alias_goes() {
    let (pid, seen, kept) = resolved(vec!["alice", "bob"], Some(("alice", "bob")), "alice").await;
    assert_eq!(pid, "alice");
    assert_eq!(seen, ["GET /users/alice"]);
    assert!(!kept, "the alias is dropped once the id is live again");
}
