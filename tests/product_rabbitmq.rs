//! RabbitMQ (Debian `rabbitmq-server`, its management API) driven through the gateway by its shipped mapping
//! (`config/products/rabbitmq.toml`) alone: the Entra-style and Okta-style cycles, their lookups again through a
//! fresh gateway process, and what RabbitMQ itself cannot do: refuse a duplicate user (its PUT overwrites), rename
//! a vhost, hold an e-mail or a disabled user.

mod common;

use common::idp::{self, Active, Idp, Profile};
use common::product::Product;
use reqwest::Method;
use serde_json::{Value, json};

/// What RabbitMQ holds: a user's name and password; vhosts (groups) by name, never renamed; no disabled state.
fn profile() -> Profile {
    Profile {
        name: false,
        display_name: false,
        email: false,
        external_id: false,
        active: Active::Deletes,
        groups: true,
        group_rename: false,
        users: 4,
    }
}

fn upstream(product: &Product) -> String {
    format!(
        "base_url = {:?}, auth = {{ header = \"Authorization\", username = {:?}, secret = {:?} }}",
        product.env("BASE_URL"),
        product.env("USERNAME"),
        product.secret("PASSWORD")
    )
}

/// A call to RabbitMQ's own API, as its administrator: the status and the JSON answer (`Null` when empty).
async fn rabbit(product: &Product, method: Method, path: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .request(method, format!("{}{path}", product.env("BASE_URL")))
        .basic_auth(product.env("USERNAME"), Some(product.env("PASSWORD")))
        .send()
        .await
        .expect("rabbitmq answers");
    let status = resp.status().as_u16();
    let body = resp.bytes().await.expect("body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// RabbitMQ's own view of what the IdP believes: every user there, every vhost with exactly its members.
async fn check_product(product: &Product, state: &idp::Provisioned) {
    for (user_name, _) in state.users.values() {
        let (status, user) = rabbit(product, Method::GET, &format!("/api/users/{}", segment(user_name))).await;
        assert_eq!(status, 200, "{user_name}: {user}");
    }
    for (gid, (name, _)) in &state.groups {
        let (_, permissions) = rabbit(
            product,
            Method::GET,
            &format!("/api/vhosts/{}/permissions", segment(name)),
        )
        .await;
        let users: std::collections::BTreeSet<String> = permissions
            .as_array()
            .expect("permissions")
            .iter()
            .filter_map(|p| p["user"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(users, state.member_names(gid), "{name}: {permissions}");
    }
}

#[tokio::test]
async fn entra_and_okta_cycles_then_cold_lookups() {
    let product = Product::start("rabbitmq").await;
    let upstream = upstream(&product);
    let gw = product.gateway("rabbitmq", &upstream).await;
    let idp = Idp::of(&gw);
    let entra = idp::entra_cycle(&idp, &profile(), "entra").await;
    check_product(&product, &entra).await;
    let okta = idp::okta_cycle(&idp, &profile(), "okta").await;
    check_product(&product, &okta).await;

    let token = gw.tenants[0].token.clone();
    let process = product.process("rabbitmq", &upstream, &token).await;
    let cold = Idp::of_process(&process, &token);
    idp::cold_lookups(&cold, &entra).await;
    idp::cold_lookups(&cold, &okta).await;
    process.stop().await;
}

#[tokio::test]
async fn what_rabbitmq_cannot_do_is_refused_clearly() {
    let product = Product::start("rabbitmq").await;
    let gw = product.gateway("rabbitmq", &upstream(&product)).await;
    let idp = Idp::of(&gw);
    let user = |name: &str, password: &str| json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name, "password": password});

    // A duplicate create: RabbitMQ's PUT would overwrite the user (and its password); the gateway's lookup answers
    // 409 uniqueness first, in any letter case, and the user keeps its password.
    let (_, created) = idp.call(Method::POST, "/Users", Some(&user("ada", "first")), 201).await;
    assert_eq!(created["id"], "ada");
    assert_eq!(created["active"], true, "every user RabbitMQ has is active: {created}");
    let (_, before) = rabbit(&product, Method::GET, "/api/users/ada").await;
    for name in ["ada", "ADA"] {
        let (_, refused) = idp.call(Method::POST, "/Users", Some(&user(name, "second")), 409).await;
        common::assert_scim_error(&refused, 409, Some("uniqueness"));
    }
    let (_, after) = rabbit(&product, Method::GET, "/api/users/ada").await;
    assert_eq!(before["password_hash"], after["password_hash"], "not overwritten");

    // A user name is its id: a rename is 400 mutability, nothing sent.
    let rename = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "userName", "value": "ada2"}]});
    let (_, refused) = idp.call(Method::PATCH, "/Users/ada", Some(&rename), 400).await;
    common::assert_scim_error(&refused, 400, Some("mutability"));
    assert_eq!(rabbit(&product, Method::GET, "/api/users/ada2").await.0, 404);

    // No e-mail: refused by name.
    let mut with_email = user("grace", "pw");
    with_email["emails"] = json!([{"type": "work", "value": "grace@example.com", "primary": true}]);
    let (_, refused) = idp.call(Method::POST, "/Users", Some(&with_email), 400).await;
    common::assert_scim_error(&refused, 400, Some("invalidValue"));
    assert!(
        refused["detail"].as_str().is_some_and(|d| d.contains("emails")),
        "{refused}"
    );
    assert_eq!(rabbit(&product, Method::GET, "/api/users/grace").await.0, 404);

    // A password is set on create only: RabbitMQ refuses a change next to the hash it holds, which the mapping's
    // error rule answers as 400 mutability, the password kept.
    let change = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "password", "value": "second"}]});
    let (_, refused) = idp.call(Method::PATCH, "/Users/ada", Some(&change), 400).await;
    common::assert_scim_error(&refused, 400, Some("mutability"));
    let (_, kept) = rabbit(&product, Method::GET, "/api/users/ada").await;
    assert_eq!(kept["password_hash"], before["password_hash"]);

    // No disabled state: deactivation deletes the user in RabbitMQ.
    let off = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": false}}]});
    let (status, _, _) = common::send(gw.req(0, Method::PATCH, "/Users/ada").json(&off)).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(rabbit(&product, Method::GET, "/api/users/ada").await.0, 404);

    // A vhost: created with only the members the IdP sends (not the gateway's own user), never renamed.
    let (_, member) = idp.call(Method::POST, "/Users", Some(&user("bob", "pw")), 201).await;
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "team-a",
        "members": [{"value": member["id"]}]});
    let (_, team) = idp.call(Method::POST, "/Groups", Some(&group), 201).await;
    assert_eq!(team["id"], "team-a");
    let (_, permissions) = rabbit(&product, Method::GET, "/api/vhosts/team-a/permissions").await;
    assert_eq!(
        permissions,
        json!([{"vhost": "team-a", "user": "bob", "configure": "", "write": "", "read": ".*"}])
    );
    let (_, refused) = idp.call(Method::POST, "/Groups", Some(&group), 409).await;
    common::assert_scim_error(&refused, 409, Some("uniqueness"));
    let mut renamed = group.clone();
    renamed["displayName"] = json!("team-b");
    let (_, refused) = idp.call(Method::PUT, "/Groups/team-a", Some(&renamed), 400).await;
    common::assert_scim_error(&refused, 400, Some("mutability"));
    assert_eq!(rabbit(&product, Method::GET, "/api/vhosts/team-b").await.0, 404);
    let (_, schema) = idp
        .call(
            Method::GET,
            "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group",
            None,
            200,
        )
        .await;
    let display = schema["attributes"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["name"] == "displayName").cloned());
    assert_eq!(display.map(|a| a["mutability"].clone()), Some(json!("immutable")));
    idp.call(Method::DELETE, "/Groups/team-a", None, 204).await;
    assert_eq!(rabbit(&product, Method::GET, "/api/vhosts/team-a").await.0, 404);
}
