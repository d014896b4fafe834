//! The bundled sample product in each of its API shapes, driven over real HTTP: what a gateway mapping for the
//! shape can rely on (auth, keys, envelopes, paging, member handling, errors).

use reqwest::header::{ALLOW, LOCATION};
use reqwest::{Method, RequestBuilder, StatusCode};
use scimgate::sample::{SampleOptions, SampleProduct, Shape};
use serde_json::{Value, json};

const KEY: &str = "shape-key";

struct Product {
    product: SampleProduct,
    client: reqwest::Client,
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Product {
    async fn start(shape: Shape) -> Product {
        let options = SampleOptions {
            api_key: KEY.to_owned(),
            shape,
            ..SampleOptions::default()
        };
        let product = SampleProduct::start(options).await.expect("bind 127.0.0.1:0");
        assert_eq!(product.shape(), shape);
        Product {
            product,
            client: reqwest::Client::new(),
        }
    }

    /// A request authenticated the way the product's shape wants.
    fn req(&self, method: Method, path: &str) -> RequestBuilder {
        let req = self.bare(method, path);
        match self.product.shape() {
            Shape::Classic => req.header("x-api-key", KEY),
            Shape::Named => req.bearer_auth(KEY),
            Shape::Uuid => req.basic_auth("api", Some(KEY)),
        }
    }

    fn bare(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.product.base_url()))
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let req = self.req(method, path);
        send(match body {
            Some(body) => req.json(&body),
            None => req,
        })
        .await
    }
}

async fn send(req: RequestBuilder) -> Answer {
    let response = req.send().await.expect("product answers");
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.bytes().await.expect("whole body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("JSON body")
    };
    Answer { status, headers, body }
}

fn header(answer: &Answer, name: impl reqwest::header::AsHeaderName) -> Option<&str> {
    answer.headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn each_shape_accepts_only_its_own_credentials() {
    for shape in Shape::ALL {
        let api = Product::start(shape).await;
        let attempts = [
            ("classic", api.bare(Method::GET, "/users").header("x-api-key", KEY)),
            ("named", api.bare(Method::GET, "/users").bearer_auth(KEY)),
            ("uuid", api.bare(Method::GET, "/users").basic_auth("api", Some(KEY))),
            ("none", api.bare(Method::GET, "/users")),
            ("wrong", api.bare(Method::GET, "/users").basic_auth("api", Some("nope"))),
        ];
        for (how, req) in attempts {
            let answer = send(req).await;
            let expected = if how == shape.as_str() {
                StatusCode::OK
            } else {
                StatusCode::UNAUTHORIZED
            };
            assert_eq!(answer.status, expected, "{shape} shape, {how} credentials");
            if expected == StatusCode::UNAUTHORIZED {
                assert_eq!(answer.body["error"]["code"], "unauthorized");
            }
        }
        assert_eq!(api.product.request_count(), 5);
    }
}

#[tokio::test]
async fn shapes_parse_from_their_names() {
    for shape in Shape::ALL {
        assert_eq!(shape.to_string().parse::<Shape>(), Ok(shape));
    }
    assert!("Classic".parse::<Shape>().is_err());
    assert_eq!(SampleOptions::default().shape, Shape::Classic);
}

#[tokio::test]
async fn classic_lookups_by_username_or_email_ignore_case_and_honour_the_other_filters() {
    let api = Product::start(Shape::Classic).await;
    for n in 1..=3 {
        let body = json!({"username": format!("User{n}"), "email": format!("U{n}@X.example"), "external_ref": format!("E{n}")});
        api.call(Method::POST, "/users", Some(body)).await;
    }
    let names = |reply: &Answer| -> Vec<Value> {
        let data = reply.body["data"].as_array().cloned().unwrap_or_default();
        data.iter().map(|u| u["username"].clone()).collect()
    };
    let by_name = api.call(Method::GET, "/users?username=uSeR2", None).await;
    assert_eq!(
        (names(&by_name), &by_name.body["meta"]["total"]),
        (vec![json!("User2")], &json!(1))
    );
    let by_email = api.call(Method::GET, "/users?email=u3@x.EXAMPLE", None).await;
    assert_eq!(names(&by_email), vec![json!("User3")]);
    let both = api
        .call(
            Method::GET,
            "/users?username=user1&email=u1@x.example&external_ref=E1",
            None,
        )
        .await;
    assert_eq!(names(&both), vec![json!("User1")]);
    for disagreeing in [
        "username=user1&email=u2@x.example",
        "username=user1&external_ref=E2",
        "email=nobody@x",
    ] {
        let none = api.call(Method::GET, &format!("/users?{disagreeing}"), None).await;
        assert_eq!(
            (names(&none), &none.body["meta"]["total"]),
            (vec![], &json!(0)),
            "{disagreeing}"
        );
    }
}

#[tokio::test]
async fn classic_batch_member_changes_count_real_changes_and_are_atomic() {
    let api = Product::start(Shape::Classic).await;
    api.call(Method::POST, "/teams", Some(json!({"name": "Ops"}))).await;
    for email in ["ada@x", "grace@x", "linus@x"] {
        api.call(Method::POST, "/users", Some(json!({"email": email}))).await;
    }
    let added = api
        .call(Method::POST, "/teams/1/members", Some(json!({"add": [1, 2]})))
        .await;
    assert_eq!(
        (added.status, &added.body),
        (StatusCode::OK, &json!({"added": 2, "removed": 0}))
    );
    let mixed = json!({"add": [2, 3], "remove": [1, 1]});
    let mixed = api.call(Method::POST, "/teams/1/members", Some(mixed)).await;
    assert_eq!(mixed.body, json!({"added": 1, "removed": 1}));
    let noop = api
        .call(Method::POST, "/teams/1/members", Some(json!({"remove": [1]})))
        .await;
    assert_eq!(noop.body, json!({"added": 0, "removed": 0}));
    let unknown = api
        .call(
            Method::POST,
            "/teams/1/members",
            Some(json!({"add": [1], "remove": [9]})),
        )
        .await;
    assert_eq!(
        (unknown.status, &unknown.body["error"]["code"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("unprocessable"))
    );
    assert_eq!(
        api.product.team_members("1"),
        Some(vec!["2".to_owned(), "3".to_owned()])
    );
    assert_eq!(api.product.teams()[0]["version"], 3);
    let bad = api
        .call(Method::POST, "/teams/1/members", Some(json!({"add": ["2"]})))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let no_team = api
        .call(Method::POST, "/teams/9/members", Some(json!({"add": [1]})))
        .await;
    assert_eq!(no_team.status, StatusCode::NOT_FOUND);
    assert_eq!(api.product.team_members("9"), None);
}

#[tokio::test]
async fn named_users_are_keyed_by_a_renamable_username() {
    let api = Product::start(Shape::Named).await;
    let body = json!({"username": "ada+1@example.com", "email": "ada@example.com",
                      "full_name": {"given": "Ada", "family": "Lovelace"}, "title": "Countess"});
    let created = api.call(Method::POST, "/users", Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(header(&created, LOCATION), Some("/api/v1/users/ada%2B1@example.com"));
    assert_eq!(created.body["full_name"]["family"], "Lovelace");
    let got = api.call(Method::GET, "/users/ADA%2B1%40example.com", None).await;
    assert_eq!((got.status, &got.body), (StatusCode::OK, &created.body));

    let put = json!({"username": "countess@example.com", "email": "ada@example.com"});
    let renamed = api.call(Method::PUT, "/users/ada%2B1@example.com", Some(put)).await;
    assert_eq!(renamed.body["username"], "countess@example.com");
    assert_eq!(
        (&renamed.body["title"], &renamed.body["full_name"]["given"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(
        api.call(Method::GET, "/users/ada%2B1@example.com", None).await.status,
        StatusCode::NOT_FOUND
    );

    let patch = api
        .call(Method::PATCH, "/users/countess@example.com", Some(json!({})))
        .await;
    assert_eq!(
        (patch.status, header(&patch, ALLOW)),
        (StatusCode::METHOD_NOT_ALLOWED, Some("GET, POST, PUT, DELETE"))
    );
    let sneaky = json!({"username": "countess@example.com", "email": "ada@example.com", "disabled": true});
    let sneaky = api.call(Method::PUT, "/users/countess@example.com", Some(sneaky)).await;
    assert_eq!(sneaky.status, StatusCode::BAD_REQUEST);

    for _ in 0..2 {
        let off = api
            .call(Method::POST, "/users/countess@example.com/deactivate", None)
            .await;
        assert_eq!((off.status, &off.body["disabled"]), (StatusCode::OK, &json!(true)));
    }
    let put = json!({"username": "countess@example.com", "email": "ada@example.com"});
    let kept = api.call(Method::PUT, "/users/countess@example.com", Some(put)).await;
    assert_eq!(kept.body["disabled"], true, "PUT keeps disabled");
    let on = api
        .call(Method::POST, "/users/countess@example.com/reactivate", None)
        .await;
    assert_eq!(on.body["disabled"], false);

    api.call(
        Method::POST,
        "/users",
        Some(json!({"username": "grace", "email": "grace@x"})),
    )
    .await;
    let taken = json!({"username": "GRACE", "email": "ada@example.com"});
    let taken = api.call(Method::PUT, "/users/countess@example.com", Some(taken)).await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn named_lists_page_by_offset_with_a_total_header() {
    let api = Product::start(Shape::Named).await;
    for n in 1..=3 {
        let body = json!({"username": format!("user{n}"), "email": format!("u{n}@x"), "external_ref": format!("E{n}")});
        api.call(Method::POST, "/users", Some(body)).await;
    }
    let page = api.call(Method::GET, "/users?offset=1&limit=1", None).await;
    assert_eq!(header(&page, "x-total-count"), Some("3"));
    assert_eq!(
        page.body.as_array().map(|a| a[0]["username"].clone()),
        Some(json!("user2"))
    );
    let found = api.call(Method::GET, "/users?username=USER3", None).await;
    assert_eq!(
        (header(&found, "x-total-count"), &found.body[0]["external_ref"]),
        (Some("1"), &json!("E3"))
    );
    let by_ref = api.call(Method::GET, "/users?external_ref=E1", None).await;
    assert_eq!(by_ref.body[0]["username"], "user1");
    let past = api.call(Method::GET, "/users?offset=10", None).await;
    assert_eq!((&past.body, header(&past, "x-total-count")), (&json!([]), Some("3")));
    for bad in ["limit=51", "limit=0", "offset=-1", "page=1"] {
        assert_eq!(
            api.call(Method::GET, &format!("/users?{bad}"), None).await.status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    assert!(api.call(Method::GET, "/users?limit=50", None).await.status.is_success());
}

#[tokio::test]
async fn named_teams_carry_their_member_usernames() {
    let api = Product::start(Shape::Named).await;
    for name in ["ada", "grace"] {
        api.call(
            Method::POST,
            "/users",
            Some(json!({"username": name, "email": format!("{name}@x")})),
        )
        .await;
    }
    let team = json!({"name": "Platform Team", "members": ["GRACE", "ada", "grace"]});
    let created = api.call(Method::POST, "/teams", Some(team)).await;
    assert_eq!(header(&created, LOCATION), Some("/api/v1/teams/Platform%20Team"));
    assert_eq!(created.body["members"], json!(["ada", "grace"]));
    let unknown = json!({"name": "Platform Team", "members": ["ada", "nobody"]});
    let unknown = api.call(Method::PUT, "/teams/platform%20team", Some(unknown)).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("nobody"))
    );
    assert_eq!(
        api.product.team_members("platform team"),
        Some(vec!["ada".to_owned(), "grace".to_owned()])
    );

    let rename = json!({"username": "ada.l", "email": "ada@x"});
    api.call(Method::PUT, "/users/ada", Some(rename)).await;
    let replaced = json!({"name": "Platform", "description": "core", "members": ["ada.l"]});
    let replaced = api.call(Method::PUT, "/teams/Platform%20Team", Some(replaced)).await;
    assert_eq!(replaced.body["members"], json!(["ada.l"]));
    api.call(Method::DELETE, "/users/ada.l", None).await;
    let listed = api.call(Method::GET, "/teams?name=PLATFORM", None).await;
    assert_eq!(listed.body[0]["members"], json!([]));
    let patch = api.call(Method::PATCH, "/teams/Platform", Some(json!({}))).await;
    assert_eq!(patch.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        api.call(Method::PUT, "/teams/Platform/members/grace", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(api.product.teams()[0]["name"], "Platform");
}

#[tokio::test]
async fn uuid_users_are_enveloped_and_carry_team_ids() {
    let api = Product::start(Shape::Uuid).await;
    let team = api
        .call(Method::POST, "/teams", Some(json!({"team": {"name": "Ops"}})))
        .await;
    assert_eq!(team.status, StatusCode::CREATED);
    let team_id = team.body["data"]["id"].as_str().expect("uuid").to_owned();
    let body = json!({"user": {"login": "ada", "email": "ada@x", "given_name": "Ada", "team_ids": [team_id]}});
    let created = api.call(Method::POST, "/users", Some(body)).await;
    let user = created.body["data"].clone();
    let id = user["id"].as_str().expect("uuid").to_owned();
    assert_eq!(
        header(&created, LOCATION).map(str::to_owned),
        Some(format!("/api/v1/users/{id}"))
    );
    assert_eq!((&user["team_ids"], &user["version"]), (&json!([team_id]), &json!(1)));
    assert_eq!(api.product.users(), vec![user.clone()]);
    assert_eq!(api.product.team_members(&team_id), Some(vec![id.clone()]));

    let bare = api
        .call(Method::POST, "/users", Some(json!({"login": "x", "email": "x@x"})))
        .await;
    assert_eq!(bare.status, StatusCode::BAD_REQUEST);
    let put = api
        .call(Method::PUT, &format!("/users/{id}"), Some(json!({"user": {}})))
        .await;
    assert_eq!(
        (put.status, header(&put, ALLOW)),
        (StatusCode::METHOD_NOT_ALLOWED, Some("GET, PATCH, DELETE"))
    );
    let patched = api
        .call(
            Method::PATCH,
            &format!("/users/{id}"),
            Some(json!({"user": {"disabled": true}})),
        )
        .await;
    assert_eq!(
        (&patched.body["data"]["disabled"], &patched.body["data"]["given_name"]),
        (&json!(true), &json!("Ada"))
    );
    let ghost = json!({"user": {"team_ids": ["0f8fad5b-d9cb-469f-a165-70867728950e"]}});
    let ghost = api.call(Method::PATCH, &format!("/users/{id}"), Some(ghost)).await;
    assert_eq!(ghost.status, StatusCode::UNPROCESSABLE_ENTITY);
    let dup = api
        .call(
            Method::POST,
            "/users",
            Some(json!({"user": {"login": "ADA", "email": "other@x"}})),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);

    let filter = format!("/users?filter%5Bteam_ids%5D%5B_contains%5D={team_id}");
    assert_eq!(
        api.call(Method::GET, &filter, None).await.body["data"][0]["id"],
        json!(id)
    );
    assert_eq!(
        api.call(Method::DELETE, &format!("/teams/{team_id}"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let after = api.call(Method::GET, &format!("/users/{id}"), None).await;
    assert_eq!(
        (&after.body["data"]["team_ids"], &after.body["data"]["version"]),
        (&json!([]), &json!(3))
    );
    assert_eq!(api.call(Method::GET, &filter, None).await.body["data"], json!([]));
    assert_eq!(
        api.call(Method::GET, "/users/1", None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn uuid_lists_page_by_opaque_cursor_without_totals() {
    let api = Product::start(Shape::Uuid).await;
    for n in 1..=5 {
        let body = json!({"user": {"login": format!("user{n}"), "email": format!("u{n}@x")}});
        api.call(Method::POST, "/users", Some(body)).await;
    }
    let mut seen = Vec::new();
    let mut path = "/users?limit=2".to_owned();
    loop {
        let page = api.call(Method::GET, &path, None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.get("total").is_none() && header(&page, "x-total-count").is_none());
        for user in page.body["data"].as_array().expect("array") {
            seen.push(user["login"].as_str().expect("login").to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/users?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ["user1", "user2", "user3", "user4", "user5"]);
    let exact = api.call(Method::GET, "/users?limit=5", None).await;
    assert_eq!(exact.body["next_cursor"], Value::Null);
    let by_login = api.call(Method::GET, "/users?filter[login][_eq]=USER4", None).await;
    assert_eq!(by_login.body["data"][0]["email"], "u4@x");
    let by_email = api
        .call(Method::GET, "/users?filter%5Bemail%5D%5B_eq%5D=u2%40x", None)
        .await;
    assert_eq!(by_email.body["data"][0]["login"], "user2");
    for bad in [
        "cursor=bm9wZQ",
        "cursor=***",
        "limit=101",
        "limit=0",
        "offset=1",
        "filter[login]=x",
    ] {
        assert_eq!(
            api.call(Method::GET, &format!("/users?{bad}"), None).await.status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    let teams = api.call(Method::GET, "/teams", None).await;
    assert_eq!(teams.body, json!({"data": [], "next_cursor": null}));
}

#[tokio::test]
async fn uuid_teams_patch_partially_and_filter_by_name() {
    let api = Product::start(Shape::Uuid).await;
    let created = api
        .call(
            Method::POST,
            "/teams",
            Some(json!({"team": {"name": "Ops", "description": "on call"}})),
        )
        .await;
    let id = created.body["data"]["id"].as_str().expect("uuid").to_owned();
    let renamed = api
        .call(
            Method::PATCH,
            &format!("/teams/{id}"),
            Some(json!({"team": {"name": "SRE"}})),
        )
        .await;
    assert_eq!(
        (&renamed.body["data"]["description"], &renamed.body["data"]["version"]),
        (&json!("on call"), &json!(2))
    );
    let found = api
        .call(Method::GET, "/teams?filter%5Bname%5D%5B_eq%5D=sre", None)
        .await;
    assert_eq!(found.body["data"][0]["id"], json!(id));
    let clash = api
        .call(Method::POST, "/teams", Some(json!({"team": {"name": "sre"}})))
        .await;
    assert_eq!(clash.status, StatusCode::CONFLICT);
    let read_only = api
        .call(
            Method::PATCH,
            &format!("/teams/{id}"),
            Some(json!({"team": {"version": 9}})),
        )
        .await;
    assert_eq!(read_only.status, StatusCode::BAD_REQUEST);
}
