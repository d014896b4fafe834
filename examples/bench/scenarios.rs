//! The scenarios: for each, the SCIM request the gateway column sends and the product request with the same
//! effect that the direct and minimal-hop columns send (what the gateway itself sends the product for it).

use crate::load::{self, MakeRequest, Turn};
use http::{HeaderName, HeaderValue, Method};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// SCIM user schema URN.
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// SCIM PATCH message URN.
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Who answers: the product itself, the minimal hop in front of it, or the gateway in front of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// Plain HTTP straight to the product.
    Direct,
    /// TLS to the minimal hop, plain HTTP on to the product.
    Hop,
    /// TLS to the gateway, plain HTTP on to the product.
    Gateway,
}

impl Column {
    /// Every column, in table order.
    pub const ALL: [Column; 3] = [Column::Direct, Column::Hop, Column::Gateway];

    /// Its place in [`Column::ALL`] and in the tables.
    pub fn index(self) -> usize {
        match self {
            Column::Direct => 0,
            Column::Hop => 1,
            Column::Gateway => 2,
        }
    }

    /// Its name in the table.
    pub fn label(self) -> &'static str {
        match self {
            Column::Direct => "direct",
            Column::Hop => "hop",
            Column::Gateway => "gateway",
        }
    }
}

/// A load scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// `GET /Users/{id}`.
    GetUser,
    /// `GET /Users?filter=userName eq "…"` over the seeded users (the cache is warm after the first pass).
    FindUser,
    /// `POST /Users`.
    CreateUser,
    /// `PATCH /Users/{id}` in Entra's dialect: `{"op":"Replace","path":"active","value":"False"}`.
    PatchUser,
    /// `PATCH /Groups/{id}` adding (then, next time, removing) 100 members in one request.
    Members,
}

impl Scenario {
    /// Every closed-loop scenario, in table order.
    pub const ALL: [Scenario; 5] = [
        Scenario::GetUser,
        Scenario::FindUser,
        Scenario::CreateUser,
        Scenario::PatchUser,
        Scenario::Members,
    ];

    /// Its name in the table.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::GetUser => "GET /Users/{id}",
            Scenario::FindUser => "GET /Users?filter=userName eq",
            Scenario::CreateUser => "POST /Users",
            Scenario::PatchUser => "PATCH /Users/{id} (Entra)",
            Scenario::Members => "PATCH /Groups/{id} 100 members",
        }
    }
}

/// What the scenarios need to know about the running world.
#[derive(Debug, Clone)]
pub struct World {
    /// The product's API key (direct and hop columns).
    pub api_key: String,
    /// The tenant's bearer token (gateway column).
    pub token: String,
    /// How many users were seeded (ids 1..=users).
    pub users: u64,
}

/// Makes the create scenario's userNames unique within one invocation.
static NONCE: AtomicU64 = AtomicU64::new(0);

/// A user id spread over 1..=n.
pub fn pick(seq: u64, n: u64) -> u64 {
    seq.wrapping_mul(2_654_435_761) % n + 1
}

impl World {
    fn headers(&self, column: Column) -> Vec<(HeaderName, HeaderValue)> {
        let (name, value) = match column {
            Column::Direct | Column::Hop => (HeaderName::from_static("x-api-key"), self.api_key.clone()),
            Column::Gateway => (http::header::AUTHORIZATION, format!("Bearer {}", self.token)),
        };
        vec![(name, HeaderValue::from_str(&value).expect("a token is header-safe"))]
    }

    /// The request maker of `scenario` for `column`.
    pub fn make(&self, scenario: Scenario, column: Column) -> MakeRequest {
        let headers = self.headers(column);
        let users = self.users;
        let scim = column == Column::Gateway;
        let get = move |path: String| load::request(Method::GET, &path, &headers, None);
        let headers = self.headers(column);
        let with_body =
            move |method: Method, path: String, body: String| load::request(method, &path, &headers, Some(body));
        match scenario {
            Scenario::GetUser => Arc::new(move |t: Turn| {
                let id = pick(t.seq, users);
                get(if scim {
                    format!("/scim/v2/Users/{id}")
                } else {
                    format!("/api/v1/users/{id}")
                })
            }),
            Scenario::FindUser => Arc::new(move |t: Turn| {
                let email = format!("user{}@bench.example", pick(t.seq, users));
                get(if scim {
                    format!("/scim/v2/Users?filter=userName%20eq%20%22{email}%22")
                } else {
                    format!("/api/v1/users?email={email}")
                })
            }),
            Scenario::CreateUser => Arc::new(move |_: Turn| {
                // The warm-up and the measured run share this maker: a counter of its own keeps names unique.
                let n = NONCE.fetch_add(1, Ordering::Relaxed);
                let (name, ext) = (format!("new{n}@bench.example"), format!("new{n}"));
                if scim {
                    with_body(Method::POST, "/scim/v2/Users".into(), scim_user(&name, &ext))
                } else {
                    with_body(Method::POST, "/api/v1/users".into(), product_user(&name, &ext))
                }
            }),
            Scenario::PatchUser => Arc::new(move |t: Turn| {
                let id = pick(t.seq, users);
                let active = t.iter % 2 == 1;
                if scim {
                    let value = if active { "True" } else { "False" };
                    let body = format!(
                        r#"{{"schemas":["{PATCH_OP}"],"Operations":[{{"op":"Replace","path":"active","value":"{value}"}}]}}"#
                    );
                    with_body(Method::PATCH, format!("/scim/v2/Users/{id}"), body)
                } else {
                    let status = if active { "active" } else { "suspended" };
                    with_body(
                        Method::PATCH,
                        format!("/api/v1/users/{id}"),
                        format!(r#"{{"status":"{status}"}}"#),
                    )
                }
            }),
            Scenario::Members => Arc::new(move |t: Turn| {
                // Each connection has its own team and hundred users, and alternates adding and removing them.
                let team = t.conn + 1;
                let first = t.conn as u64 * 100 + 1;
                let ids: Vec<u64> = (first..first + 100).collect();
                let adding = t.iter.is_multiple_of(2);
                if scim {
                    let values: Vec<String> = ids.iter().map(|id| format!(r#"{{"value":"{id}"}}"#)).collect();
                    let op = if adding { "add" } else { "remove" };
                    let body = format!(
                        r#"{{"schemas":["{PATCH_OP}"],"Operations":[{{"op":"{op}","path":"members","value":[{}]}}]}}"#,
                        values.join(",")
                    );
                    with_body(Method::PATCH, format!("/scim/v2/Groups/{team}"), body)
                } else {
                    let key = if adding { "add" } else { "remove" };
                    let list: Vec<String> = ids.iter().map(u64::to_string).collect();
                    let body = format!(r#"{{"{key}":[{}]}}"#, list.join(","));
                    with_body(Method::POST, format!("/api/v1/teams/{team}/members"), body)
                }
            }),
        }
    }

    /// Product requests creating users `{prefix}{n}@bench.example` (externalId `{prefix}{n}`), n from 1.
    pub fn seed_users(&self, prefix: &'static str) -> MakeRequest {
        let headers = self.headers(Column::Direct);
        Arc::new(move |t: Turn| {
            let (name, ext) = (
                format!("{prefix}{}@bench.example", t.seq + 1),
                format!("{prefix}{}", t.seq + 1),
            );
            load::request(Method::POST, "/api/v1/users", &headers, Some(product_user(&name, &ext)))
        })
    }

    /// Product requests creating teams `team-{n}`, n from 1.
    pub fn seed_teams(&self) -> MakeRequest {
        let headers = self.headers(Column::Direct);
        Arc::new(move |t: Turn| {
            let body = format!(r#"{{"name":"team-{}"}}"#, t.seq + 1);
            load::request(Method::POST, "/api/v1/teams", &headers, Some(body))
        })
    }

    /// SCIM list requests of the tenant whose token is `token`, reading every user in pages of 200 (which fills
    /// that tenant's id cache).
    pub fn list_pages(&self, token: &str) -> MakeRequest {
        let auth = HeaderValue::from_str(&format!("Bearer {token}")).expect("a token is header-safe");
        let headers = vec![(http::header::AUTHORIZATION, auth)];
        Arc::new(move |t: Turn| {
            let path = format!("/scim/v2/Users?startIndex={}&count=200", t.seq * 200 + 1);
            load::request(Method::GET, &path, &headers, None)
        })
    }
}

/// A SCIM user as Entra creates one.
pub fn scim_user(user_name: &str, external_id: &str) -> String {
    format!(
        r#"{{"schemas":["{USER}"],"userName":"{user_name}","externalId":"{external_id}","active":true,"name":{{"givenName":"Bench","familyName":"User"}}}}"#
    )
}

/// The same user in the product's own terms.
fn product_user(email: &str, external_ref: &str) -> String {
    format!(
        r#"{{"username":"{email}","email":"{email}","external_ref":"{external_ref}","first_name":"Bench","last_name":"User","status":"active"}}"#
    )
}
