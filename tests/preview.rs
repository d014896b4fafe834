//! `scimgate preview` in every direction, through the real binary, on the shipped example mappings.

use serde_json::{Value, json};
use std::io::Write as _;
use std::process::{Command, Stdio};

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/examples/");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");

/// `scimgate preview --config config/examples/<mapping>.toml <args>`, with `stdin` for `-`; success and stdout
/// (stderr on failure).
fn preview(mapping: &str, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scimgate"))
        .args(["preview", "--config", &format!("{EXAMPLES}{mapping}.toml")])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = if out.status.success() { out.stdout } else { out.stderr };
    (out.status.success(), String::from_utf8_lossy(&text).into_owned())
}

fn fixture(name: &str) -> String {
    format!("{FIXTURES}{name}")
}

/// The calls printed by an update preview: `METHOD path` lines, each followed by its JSON body if any.
fn calls(text: &str) -> Vec<(String, Option<Value>)> {
    let mut out: Vec<(String, Option<Value>)> = Vec::new();
    let mut body = String::new();
    for line in text.lines() {
        if !line.starts_with([' ', '{', '}']) && !line.is_empty() {
            if let Some(last) = out.last_mut()
                && !body.is_empty()
            {
                last.1 = Some(serde_json::from_str(&body).unwrap());
            }
            body.clear();
            out.push((line.to_owned(), None));
        } else {
            body.push_str(line);
        }
    }
    if let Some(last) = out.last_mut()
        && !body.is_empty()
    {
        last.1 = Some(serde_json::from_str(&body).unwrap());
    }
    out
}

#[test]
fn a_patch_of_one_field_on_a_partial_update_endpoint_is_one_call_with_that_field() {
    let (ok, out) = preview(
        "classic",
        &[
            "--product-json",
            &fixture("preview/classic-user.json"),
            "--patch",
            &fixture("preview/patch-given-name.json"),
        ],
        "",
    );
    assert!(ok, "{out}");
    assert_eq!(
        calls(&out),
        [("PATCH /users/17".to_owned(), Some(json!({"first_name": "Augusta"})))]
    );
}

#[test]
fn a_patch_that_needs_the_current_object_reads_it_then_sends_only_what_changed() {
    let (ok, out) = preview(
        "classic",
        &[
            "--product-json",
            &fixture("preview/classic-user.json"),
            "--patch",
            &fixture("entra-patch-update-attributes.json"),
        ],
        "",
    );
    assert!(ok, "{out}");
    assert_eq!(
        calls(&out),
        [
            ("GET /users/17".to_owned(), None),
            (
                "PATCH /users/17".to_owned(),
                Some(json!({"email": "augusta@example.com", "first_name": "Augusta",
                    "title": "Countess of Lovelace", "username": "augusta@example.com"}))
            )
        ]
    );
}

#[test]
fn a_patch_of_one_field_on_a_put_endpoint_shows_the_whole_body_with_its_siblings() {
    // The product object comes on stdin; the id is a name, encoded as one path segment.
    let user = std::fs::read_to_string(fixture("preview/named-user.json")).unwrap();
    let (ok, out) = preview(
        "named",
        &[
            "--product-json",
            "-",
            "--patch",
            &fixture("preview/patch-given-name.json"),
        ],
        &user,
    );
    assert!(ok, "{out}");
    let calls = calls(&out);
    assert_eq!(calls.len(), 2, "{out}");
    assert_eq!(calls[0], ("GET /users/ada%20lovelace".to_owned(), None));
    assert_eq!(calls[1].0, "PUT /users/ada%20lovelace");
    let body = calls[1].1.as_ref().expect("a body");
    assert_eq!(body["full_name"], json!({"given": "Augusta", "family": "Lovelace"}));
    assert_eq!(body["email"], "ada@example.com", "the siblings are sent as they are");
    assert_eq!(body["title"], "Analyst");
    assert!(body.get("created_at").is_none(), "read-only fields are not written");
}

#[test]
fn deactivation_by_endpoint_is_the_update_then_the_deactivate_call() {
    let (ok, out) = preview(
        "named",
        &[
            "--product-json",
            &fixture("preview/named-user.json"),
            "--patch",
            &fixture("preview/patch-disable.json"),
        ],
        "",
    );
    assert!(ok, "{out}");
    let lines: Vec<_> = calls(&out).into_iter().map(|c| c.0).collect();
    assert_eq!(
        lines.last().map(String::as_str),
        Some("POST /users/ada%20lovelace/deactivate"),
        "{out}"
    );
}

#[test]
fn a_put_replaces_every_mapped_attribute() {
    let put = r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada@example.com",
        "name": {"givenName": "Ada"}, "active": true}"#;
    let (ok, out) = preview(
        "classic",
        &["--product-json", &fixture("preview/classic-user.json"), "--put", "-"],
        put,
    );
    assert!(ok, "{out}");
    let calls = calls(&out);
    assert_eq!(calls.last().map(|c| c.0.as_str()), Some("PATCH /users/17"), "{out}");
    let body = calls.last().and_then(|c| c.1.clone()).expect("a body");
    // What the PUT leaves out is cleared at the product.
    assert_eq!(body["last_name"], Value::Null, "{out}");
    assert_eq!(body["title"], Value::Null, "{out}");
}

#[test]
fn a_listing_page_becomes_a_list_response() {
    let (ok, out) = preview(
        "classic",
        &["--listing-json", &fixture("preview/classic-listing.json")],
        "",
    );
    assert!(ok, "{out}");
    let list: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list["totalResults"], 42);
    assert_eq!(list["itemsPerPage"], 2);
    assert_eq!(list["Resources"][0]["userName"], "ada@example.com");
    assert_eq!(list["Resources"][1]["id"], "18");
    assert_eq!(list["Resources"][1]["active"], false);
}

#[test]
fn a_cursor_listing_names_its_next_page() {
    let page = r#"{"data": [{"id": "5b3c1c2e-8f55-4c3a-9d1e-0f4b8a7e6d21", "email": "ada@example.com"}],
        "next_cursor": "abc"}"#;
    let (ok, out) = preview("uuid", &["--listing-json", "-"], page);
    assert!(ok, "{out}");
    assert!(
        out.contains("next page: GET") || out.contains("next page: /users?"),
        "{out}"
    );
    assert!(out.contains("abc"), "{out}");
}

#[test]
fn a_filter_shows_what_is_pushed_down_and_what_the_gateway_evaluates() {
    let (ok, out) = preview("classic", &["--filter", r#"userName eq "ada@example.com""#], "");
    assert!(ok, "{out}");
    assert!(
        out.contains("product call: GET /users?username=ada%40example.com"),
        "{out}"
    );
    assert!(out.contains("evaluated by the gateway: nothing"), "{out}");

    let (ok, out) = preview(
        "classic",
        &["--filter", r#"userName eq "ada@example.com" and title co "Count""#],
        "",
    );
    assert!(ok, "{out}");
    assert!(out.contains("pushed down: username=ada@example.com"), "{out}");
    assert!(
        out.contains(
            r#"evaluated by the gateway over the listing: userName eq "ada@example.com" and title co "Count""#
        ),
        "{out}"
    );

    let (ok, out) = preview("classic", &["--filter", r#"title co "Count""#], "");
    assert!(ok, "{out}");
    assert!(out.contains("product call: GET /users\n"), "{out}");
    assert!(out.contains("pushed down: nothing"), "{out}");

    let (ok, out) = preview("classic", &["--filter", r#"userName eq"#], "");
    assert!(!ok, "{out}");
    assert!(out.contains("invalidFilter"), "{out}");
}

#[test]
fn a_product_error_becomes_the_scim_error_the_idp_gets() {
    let (ok, out) = preview(
        "classic",
        &[
            "--error-json",
            &fixture("preview/classic-error-409.json"),
            "--status",
            "409",
        ],
        "",
    );
    assert!(ok, "{out}");
    let (status, body) = out.split_once('\n').unwrap();
    assert_eq!(status, "HTTP 409");
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["scimType"], "uniqueness");
    assert!(
        body["detail"].as_str().unwrap().contains("username already taken"),
        "{out}"
    );

    let (ok, out) = preview(
        "classic",
        &["--error-json", "-", "--status", "500"],
        "<html>oops</html>",
    );
    assert!(ok, "{out}");
    assert!(out.starts_with("HTTP 502"), "{out}");
}

#[test]
fn a_member_added_by_the_users_team_field_is_a_write_of_that_user_keeping_its_other_teams() {
    let patch = fixture("entra-patch-add-member.json");
    let (ok, out) = preview(
        "uuid",
        &[
            "--resource",
            "group",
            "--product-json",
            &fixture("preview/uuid-team.json"),
            "--user-json",
            &fixture("preview/uuid-user.json"),
            "--patch",
            &patch,
        ],
        "",
    );
    assert!(ok, "{out}");
    let calls = calls(&out);
    let user = "/users/7f4bc1a3-285e-48ae-8202-5accb43efb0e";
    assert_eq!(
        calls.last(),
        Some(&(
            format!("PATCH {user}"),
            Some(json!({"user": {"team_ids": ["11111111-1111-4111-8111-111111111111",
                "5b3c1c2e-8f55-4c3a-9d1e-0f4b8a7e6d21"]}}))
        )),
        "{out}"
    );
    assert!(calls.contains(&(format!("GET {user}"), None)), "{out}");

    // Without the user, the preview says which user it could not find.
    let (ok, out) = preview(
        "uuid",
        &[
            "--resource",
            "group",
            "--product-json",
            &fixture("preview/uuid-team.json"),
            "--patch",
            &patch,
        ],
        "",
    );
    assert!(!ok);
    assert!(out.contains("no user has id") && out.contains("--user-json"), "{out}");
}

#[test]
fn a_create_answer_shows_the_resource_or_the_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let scim = r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada"}"#;
    let answer = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let array = answer("array.json", r#"[{"id": 7, "username": "ada"}]"#);
    let (ok, out) = preview("classic", &["--scim-json", "-", "--answer-json", &array], scim);
    assert!(ok, "{out}");
    let (_, shown) = out.split_once("the IdP gets:\n").expect(&out);
    let shown: Value = serde_json::from_str(shown).unwrap();
    assert_eq!(
        (shown["id"].as_str(), shown["userName"].as_str()),
        (Some("7"), Some("ada"))
    );
    let empty = answer("empty.json", "");
    let args = [
        "--scim-json",
        "-",
        "--answer-json",
        &empty,
        "--location",
        "/api/v1/users/8",
    ];
    let (ok, out) = preview("classic", &args, scim);
    assert!(ok && out.ends_with("the object is read back: GET /users/8\n"), "{out}");
    let two = answer("two.json", r#"[{"id": 7}, {"id": 8}]"#);
    let (ok, out) = preview("classic", &["--scim-json", "-", "--answer-json", &two], scim);
    assert!(!ok && out.contains("array of 2 elements"), "{out}");
}

#[test]
fn a_filter_shows_the_match_of_each_rule_and_what_the_gateway_rechecks_or_scans() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keystone.toml");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/config/products/keystone.toml"),
        &path,
    )
    .unwrap();
    let run = |filter: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_scimgate"))
            .args(["preview", "--config"])
            .arg(&path)
            .args(["--filter", filter])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let out = run(r#"userName eq "Ada@x" and active eq true"#);
    assert!(
        out.contains("product call: GET /v3/users?name=Ada%40x&enabled=true"),
        "{out}"
    );
    assert!(
        out.contains(
            r#"pushed down: name=Ada@x for userName eq "Ada@x" (case-sensitive match, each result re-checked"#
        ),
        "{out}"
    );
    assert!(
        out.contains("pushed down: enabled=true for active eq true (exact match"),
        "{out}"
    );
    assert!(
        out.contains(r#"evaluated by the gateway over the listing: userName eq "Ada@x" and active eq true"#),
        "{out}"
    );
    assert!(
        out.contains("an empty answer is confirmed by the gateway's own scan (within limits.scan_limit): GET /v3/users?enabled=true"),
        "{out}"
    );
    let out = run("active eq false");
    assert!(out.contains("evaluated by the gateway: nothing"), "{out}");
    assert!(!out.contains("confirmed"), "{out}");
}
