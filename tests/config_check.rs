//! `scimgate check` and startup validation: an invalid config exits non-zero with a message naming the key.

use std::process::Command;

fn check(config: &str) -> (bool, String) {
    invoke("check", config)
}

/// Run `scimgate <command>` with this config and the sample mapping; success and stdout + stderr.
fn invoke(command: &str, config: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scimgate.toml");
    std::fs::write(&path, config).unwrap();
    let mapping = concat!(env!("CARGO_MANIFEST_DIR"), "/config/examples/classic.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_scimgate"))
        .args([command, "--config"])
        .arg(&path)
        .args(["--config", mapping])
        .env("SCIMGATE_PRODUCT_KEY_FOR_TEST", "k")
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

const TENANT: &str = r#"
[server]
listen = "127.0.0.1:0"
plaintext = true

[[tenants]]
id = "acme"
tokens = ["sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"]
mapping = "classic"
upstream = { base_url = "http://127.0.0.1:9/api/v1", auth = { header = "X-Api-Key", secret = "env:SCIMGATE_PRODUCT_KEY_FOR_TEST" } }
"#;

#[test]
fn a_valid_config_checks_ok_and_lists_tenants() {
    let (ok, out) = check(TENANT);
    assert!(ok, "{out}");
    assert!(out.contains("config OK") && out.contains("tenant acme"), "{out}");
}

#[test]
fn a_bad_token_digest_names_the_key() {
    let (ok, out) = check(&TENANT.replace("sha256:ba78", "sha1:ba78"));
    assert!(!ok);
    assert!(out.contains("tenants[0].tokens[0]"), "{out}");
}

#[test]
fn a_wrong_type_names_the_key() {
    let (ok, out) = check(&TENANT.replace("id = \"acme\"", "id = \"acme\"\nrate_limit = { per_second = \"fast\" }"));
    assert!(!ok);
    assert!(out.contains("per_second"), "{out}");
}

#[test]
fn cache_and_connection_limits_are_accepted_and_a_zero_names_the_key() {
    let limits = |body: &str| TENANT.replace("[[tenants]]", &format!("[limits]\n{body}\n\n[[tenants]]"));
    let (ok, out) = check(&limits(
        "cache_entries = 2000000\ncache_ttl_s = 60\nmax_connections_per_client = 64",
    ));
    assert!(ok, "{out}");
    for key in ["cache_entries", "cache_ttl_s", "max_connections_per_client"] {
        let (ok, out) = check(&limits(&format!("{key} = 0")));
        assert!(!ok, "{key} = 0 is refused");
        assert!(out.contains(&format!("limits.{key}")), "{out}");
    }
}

#[test]
fn an_unknown_key_is_refused() {
    let (ok, out) = check(&TENANT.replace("plaintext = true", "plaintext = true\nlisten_port = 3"));
    assert!(!ok);
    assert!(out.contains("server.listen_port ("), "{out}");
    assert!(!out.contains("did you mean"), "a far miss has no suggestion: {out}");
}

#[test]
fn an_unknown_key_is_named_as_written_with_a_suggestion_for_a_near_miss() {
    let (ok, out) = check(&TENANT.replace("plaintext = true", "plaintext = true\nlisen = \"127.0.0.1:0\""));
    assert!(!ok);
    assert!(out.contains("error: server.lisen (in "), "{out}");
    assert!(out.contains("unknown key; did you mean `listen`?"), "{out}");
    assert!(out.contains("The keys of server are: listen, "), "{out}");
    assert!(!out.contains("default."), "no internal profile name: {out}");
    assert!(!out.contains("``"), "no doubled backticks: {out}");

    let (ok, out) = check(&TENANT.replace("mapping = \"classic\"", "mapping = \"classic\"\nmaping = \"x\""));
    assert!(!ok);
    assert!(
        out.contains("tenants[0].maping") && out.contains("did you mean `mapping`?"),
        "{out}"
    );
}

#[test]
fn an_unknown_mapping_and_a_missing_secret_name_their_keys() {
    let (ok, out) = check(&TENANT.replace("mapping = \"classic\"", "mapping = \"nope\""));
    assert!(!ok);
    assert!(out.contains("tenants[0].mapping"), "{out}");
    let (ok, out) = check(&TENANT.replace("SCIMGATE_PRODUCT_KEY_FOR_TEST", "SCIMGATE_UNSET_KEY_FOR_TEST"));
    assert!(!ok);
    assert!(
        out.contains("tenants[0].upstream.auth.secret") && out.contains("SCIMGATE_UNSET_KEY_FOR_TEST"),
        "{out}"
    );
}

#[test]
fn tls_is_required_unless_plaintext_is_explicit() {
    let (ok, out) = check(&TENANT.replace("plaintext = true", ""));
    assert!(!ok);
    assert!(out.contains("server.tls"), "{out}");
}

#[test]
fn a_mapping_mistake_names_the_attribute_key() {
    let text = check_classic_with(
        "\"name.givenName\" = \"/first_name\"",
        "\"name.givenName\" = \"first_name\"",
    );
    assert!(
        text.contains("mappings.classic.users.attributes.\"name.givenName\""),
        "{text}"
    );
}

#[test]
fn environment_overrides_config_keys_but_not_the_commands_own_variables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, TENANT).unwrap();
    let mapping = concat!(env!("CARGO_MANIFEST_DIR"), "/config/examples/classic.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_scimgate"))
        .arg("check")
        .env("SCIMGATE_CONFIG", format!("{},{mapping}", path.display()))
        .env("SCIMGATE_LOG", "warn")
        .env("SCIMGATE_SERVER__LISTEN", "127.0.0.1:7443")
        .env("SCIMGATE_PRODUCT_KEY_FOR_TEST", "k")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("listen: 127.0.0.1:7443"), "{text}");
}

#[test]
fn run_refuses_to_start_on_an_invalid_config() {
    let (ok, out) = invoke("run", &TENANT.replace("sha256:ba78", "sha256:zz78"));
    assert!(!ok);
    assert!(out.contains("tenants[0].tokens[0]"), "{out}");
}

#[test]
fn token_new_prints_a_token_and_its_digest_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_scimgate"))
        .args(["token", "new", "--tenant", "acme"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let token = text.lines().find(|l| l.starts_with("scimgate_")).expect("a token line");
    let digest = text
        .lines()
        .find(|l| l.starts_with("\"sha256:"))
        .expect("a digest line");
    assert_eq!(
        digest.trim_matches('"'),
        scimgate::token::TokenHash::of(token).to_config()
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_scimgate"))
        .args(["token", "new", "--tenant", "a b"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[test]
fn preview_shows_both_directions_offline() {
    let dir = tempfile::tempdir().unwrap();
    let product = dir.path().join("user.json");
    std::fs::write(
        &product,
        r#"{"id": 12, "email": "ada@example.com", "last_name": "Lovelace", "status": "active"}"#,
    )
    .unwrap();
    let scim = dir.path().join("scim.json");
    std::fs::write(
        &scim,
        r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bob@example.com", "active": false}"#,
    )
    .unwrap();
    let mapping = concat!(env!("CARGO_MANIFEST_DIR"), "/config/examples/classic.toml");
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_scimgate"))
            .args(["preview", "--config", mapping])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, out) = run(&["--product-json", product.to_str().unwrap()]);
    assert!(ok, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["id"], "12");
    assert_eq!(v["name"]["familyName"], "Lovelace");
    assert_eq!(v["active"], true);
    let (ok, out) = run(&["--scim-json", scim.to_str().unwrap()]);
    assert!(ok, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"username": "bob@example.com", "status": "suspended"})
    );
    let (ok, out) = run(&["--resource", "group", "--scim-json", scim.to_str().unwrap()]);
    assert!(!ok);
    assert!(out.contains("urn:ietf:params:scim:schemas:core:2.0:Group"), "{out}");
}

#[test]
fn check_shows_the_reverse_proxy_mode_and_host_bound_tenants() {
    let (ok, out) = check(TENANT);
    assert!(ok && out.contains("SCIM under /scim/v2; other paths: 404"), "{out}");
    let config = TENANT
        .replace(
            "plaintext = true",
            "plaintext = true\nbase_path = [\"/scim/v2\", \"/api/scim\"]\n\
             passthrough = { origin = \"http://product.internal:8080\", host = \"origin\" }",
        )
        .replace(
            "mapping = \"classic\"",
            "mapping = \"classic\"\nhosts = [\"acme.product.example\"]",
        );
    let (ok, out) = check(&config);
    assert!(ok, "{out}");
    assert!(
        out.contains("SCIM under /scim/v2, /api/scim; every other path passed through to http://product.internal:8080"),
        "{out}"
    );
    assert!(out.contains("tenant acme on acme.product.example:"), "{out}");
    let (ok, out) = check(&config.replace("host = \"origin\"", "host = \"client\""));
    assert!(!ok && out.contains("server.passthrough.host"), "{out}");
}

#[test]
fn a_thousand_tenants_check_ok_sharing_one_read_of_the_system_roots() {
    let mut config = String::from("[server]\nlisten = \"127.0.0.1:0\"\nplaintext = true\n");
    for i in 0..1000 {
        config.push_str(&format!(
            "[[tenants]]\nid = \"t{i}\"\ntokens = [{:?}]\nmapping = \"classic\"\n\
             upstream = {{ base_url = \"https://127.0.0.1:9/api/v1\", auth = {{ header = \"X-Api-Key\", \
             secret = \"env:SCIMGATE_PRODUCT_KEY_FOR_TEST\" }} }}\n",
            scimgate::token::TokenHash::of(&format!("token-{i}")).to_config()
        ));
    }
    let started = std::time::Instant::now();
    let (ok, out) = check(&config);
    // The time is shown, not asserted (the machine may be busy); sharing is asserted by the unit test of
    // `upstream::roots`.
    eprintln!("check with 1,000 tenants: {:?}", started.elapsed());
    assert!(ok, "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("tenant t")).count(), 1000, "{out}");
}

#[test]
fn a_scan_budget_no_larger_than_the_scan_limit_names_the_key() {
    let (ok, out) = check(&format!(
        "{TENANT}\n[limits]\nscan_limit = 100\ntenant_scan_budget = 100\n"
    ));
    assert!(!ok);
    assert!(out.contains("limits.tenant_scan_budget"), "{out}");
    let (ok, out) = check(&format!("{TENANT}\n[limits]\nscan_limit = 100\nscan_budget = 50\n"));
    assert!(!ok);
    assert!(out.contains("limits.scan_budget"), "{out}");
}

#[test]
fn an_unknown_empty_string_rule_names_its_key() {
    let text = check_classic_with(
        "title = \"/title\"",
        "title = { pointer = \"/title\", empty = \"null\" }",
    );
    assert!(
        text.contains("mappings.classic.users.attributes.\"title\".empty") && text.contains("\"keep\""),
        "{text}"
    );
}

#[test]
fn relative_paths_are_relative_to_the_config_file_not_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let certs = scimgate::demo::generate_certs(dir.path()).unwrap();
    std::fs::rename(&certs.cert, dir.path().join("tls.crt")).unwrap();
    std::fs::rename(&certs.key, dir.path().join("tls.key")).unwrap();
    std::fs::create_dir(dir.path().join("secrets")).unwrap();
    std::fs::write(dir.path().join("secrets/product.key"), "k\n").unwrap();
    let config = dir.path().join("scimgate.toml");
    std::fs::write(
        &config,
        TENANT
            .replace("plaintext = true", r#"tls = { cert = "tls.crt", key = "tls.key" }"#)
            .replace("env:SCIMGATE_PRODUCT_KEY_FOR_TEST", "file:secrets/product.key"),
    )
    .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scimgate"))
        .current_dir(elsewhere.path())
        .args(["check", "--config"])
        .arg(&config)
        .args([
            "--config",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config/examples/classic.toml"),
        ])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("(TLS)"), "{text}");
}

/// `scimgate check` of the test tenant with the shipped classic mapping, `from` replaced by `to` in it: the
/// command must fail; its error output.
fn check_classic_with(from: &str, to: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mapping = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/examples/classic.toml"))
        .unwrap()
        .replace(from, to);
    let path = dir.path().join("m.toml");
    std::fs::write(&path, mapping).unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, TENANT).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scimgate"))
        .args(["check", "--config"])
        .arg(&cfg)
        .arg("--config")
        .arg(&path)
        .env("SCIMGATE_PRODUCT_KEY_FOR_TEST", "k")
        .output()
        .unwrap();
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_two_rule_trick_for_a_split_pointer_is_refused_pointing_to_write() {
    let text = check_classic_with(
        "title = \"/title\"",
        "title = { pointer = \"/title\", read_only = true }\n\"urn:ietf:params:scim:schemas:core:2.0:User:title\" = \"/department\"",
    );
    assert!(
        text.contains("mappings.classic.users.attributes.\"urn:ietf:params:scim:schemas:core:2.0:User:title\"")
            && text.contains("write = "),
        "{text}"
    );
}

#[test]
fn attribute_constructs_are_checked_by_key() {
    for (line, key) in [
        (
            "title = { pointer = \"/custom_fields/[id=5]/value\" }",
            "\"title\".pointer",
        ),
        (
            "title = { pointer = \"/title\", read_fallback = \"x\" }",
            "\"title\".read_fallback",
        ),
        ("title = { ignore = true, pointer = \"/title\" }", "\"title\".ignore"),
        (
            "title = { pointer = \"/title\", default = { when = \"title\" } }",
            "\"title\".default.when",
        ),
        ("title = { pointer = \"/title\", whole = true }", "\"title\".whole"),
    ] {
        let text = check_classic_with("title = \"/title\"", line);
        assert!(
            text.contains(&format!("mappings.classic.users.attributes.{key}")),
            "{line}: {text}"
        );
    }
}
