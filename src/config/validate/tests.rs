use super::*;
use crate::config::from_toml;

const MAPPING: &str = include_str!("../../../config/examples/classic.toml");

fn config(tenants: &str) -> String {
    format!("[server]\nlisten = \"127.0.0.1:0\"\nplaintext = true\n{tenants}\n{MAPPING}")
}

fn tenant(id: &str, token: &str) -> String {
    format!(
        "[[tenants]]\nid = {id:?}\ntokens = [{token:?}]\nmapping = \"classic\"\n\
         upstream = {{ base_url = \"http://127.0.0.1:9/api\" }}\n"
    )
}

fn digest(token: &str) -> String {
    TokenHash::of(token).to_config()
}

fn error_of(text: &str) -> String {
    validate(&from_toml(text).unwrap()).unwrap_err().to_string()
}

#[test]
fn a_valid_config_builds_tenants() {
    let rt = validate(&from_toml(&config(&tenant("a", &digest("t1")))).unwrap()).unwrap();
    assert_eq!(rt.gateway.tenants.len(), 1);
    assert!(rt.tls.is_none());
    assert_eq!(rt.gateway.settings.base_path, "/scim/v2");
}

#[test]
fn duplicate_tenants_and_shared_tokens_are_refused() {
    let t = digest("t1");
    let err = error_of(&config(&format!("{}{}", tenant("a", &t), tenant("a", &digest("t2")))));
    assert!(err.starts_with("tenants[1].id"), "{err}");
    let err = error_of(&config(&format!("{}{}", tenant("a", &t), tenant("b", &t))));
    assert!(err.starts_with("tenants[1].tokens[0]"), "{err}");
}

#[test]
fn bad_values_name_their_keys() {
    let err = error_of(&config(&tenant("a b", &digest("t"))));
    assert!(err.starts_with("tenants[0].id"), "{err}");
    let err = error_of(&config(
        &tenant("a", &digest("t")).replace("http://127.0.0.1:9/api", "ftp://x"),
    ));
    assert!(err.starts_with("tenants[0].upstream.base_url"), "{err}");
    let err = error_of(&config(&tenant("a", &digest("t"))).replace("listen = \"127.0.0.1:0\"", "listen = \"nowhere\""));
    assert!(err.starts_with("server.listen"), "{err}");
    let err = error_of(&config(&tenant("a", &digest("t"))).replace("\"GET /users/{id}\"", "\"GET /users/{uid}\""));
    assert!(err.starts_with("mappings.classic.users.endpoints.get"), "{err}");
    let err = error_of(&config(&tenant("a", &digest("t"))).replace("userName = \"/username\"\n", ""));
    assert!(err.contains("userName must be mapped"), "{err}");
}

#[test]
fn mapping_mistakes_name_their_keys() {
    let base = config(&tenant("a", &digest("t")));
    let cases: &[(&str, &str, &str)] = &[
        (
            "style = \"page\"\npage_param",
            "style = \"cursor\"\npage_param",
            "mappings.classic.users.paging.next",
        ),
        (
            "style = \"page\"\npage_param",
            "style = \"pages\"\npage_param",
            "mappings.classic.users.paging.style",
        ),
        (
            "total = \"/meta/total\"",
            "total = \"/meta/total\"\ntotal_header = \"X-Total\"",
            "mappings.classic.users.paging.total_header",
        ),
        (
            "unmapped = \"reject\"",
            "unmapped = \"reject\"\ndeactivate = \"endpoint\"",
            "mappings.classic.users.deactivate",
        ),
        (
            "unmapped = \"reject\"",
            "unmapped = \"reject\"\non_conflict = \"merge\"",
            "mappings.classic.users.on_conflict",
        ),
        (
            "displayName = \"/name\"",
            "displayName = \"/name\"\nmembers = \"/members\"",
            "mappings.classic.groups.attributes",
        ),
        (
            "style = \"endpoints\"",
            "style = \"everything\"",
            "mappings.classic.groups.members.style",
        ),
        (
            "add = \"PUT /teams/{id}/members/{member}\"",
            "add = \"PUT /teams/{id}/members\"",
            "mappings.classic.groups.members.add",
        ),
        (
            "add = \"PUT /teams/{id}/members/{member}\"",
            "add = \"PUT /teams/{id}/members/{user}\"",
            "mappings.classic.groups.members.add",
        ),
        (
            "concurrency = 4",
            "concurrency = 0",
            "mappings.classic.groups.members.concurrency",
        ),
        (
            "title = \"/title\"",
            "title = { pointer = \"/title\", template = \"{/a} {/b}\" }",
            "mappings.classic.users.attributes.\"title\"",
        ),
        (
            "title = \"/title\"",
            "title = { template = \"no fields\" }",
            "mappings.classic.users.attributes.\"title\"",
        ),
    ];
    for (from, to, key) in cases {
        assert!(base.contains(from), "{from}");
        let err = error_of(&base.replacen(from, to, 1));
        assert!(err.starts_with(key), "{to}: {err}");
    }
    // Adopting needs a way to find the existing object.
    let err = error_of(
        &base
            .replacen(
                "unmapped = \"reject\"",
                "unmapped = \"reject\"\non_conflict = \"adopt\"",
                1,
            )
            .replace("\"userName eq\" = \"username\"\n", ""),
    );
    assert!(err.starts_with("mappings.classic.users.on_conflict"), "{err}");
}

#[test]
fn base_paths_and_passthrough_are_validated_by_key() {
    let base = config(&tenant("a", &digest("t")));
    let with = |server: &str| base.replace("plaintext = true\n", &format!("plaintext = true\n{server}\n"));
    let rt = validate(&from_toml(&with("base_path = [\"/scim/v2/\", \"/api/scim\"]")).unwrap()).unwrap();
    assert_eq!(rt.gateway.settings.base_paths, ["/scim/v2", "/api/scim"]);
    assert_eq!(rt.gateway.settings.base_path, "/scim/v2");
    assert!(rt.gateway.passthrough.is_none());
    for (server, key) in [
        ("base_path = []", "server.base_path"),
        ("base_path = \"scim\"", "server.base_path"),
        ("base_path = [\"/a\", \"/a/\"]", "server.base_path[1]"),
        ("passthrough = { origin = \"ftp://x\" }", "server.passthrough.origin"),
        (
            "passthrough = { origin = \"http://x/app\" }",
            "server.passthrough.origin",
        ),
        (
            "passthrough = { origin = \"http://x\", host = \"client\" }",
            "server.passthrough.host",
        ),
        (
            "passthrough = { origin = \"http://x\", forwarded = \"all\" }",
            "server.passthrough.forwarded",
        ),
        (
            "passthrough = { origin = \"http://x\", timeout_ms = 0 }",
            "server.passthrough.timeout_ms",
        ),
        (
            "passthrough = { origin = \"http://x\", ca = \"/nonexistent\" }",
            "server.passthrough.ca",
        ),
    ] {
        let err = error_of(&with(server));
        assert!(err.starts_with(key), "{server}: {err}");
    }
    let passthrough = |server: &str| {
        let rt = validate(&from_toml(&with(server)).unwrap()).unwrap();
        rt.gateway.passthrough.expect("a pass-through").options().clone()
    };
    let options = passthrough("passthrough = { origin = \"https://product.internal:8443\" }");
    assert!(!options.trust_forwarded && !options.via);
    assert_eq!(options.timeout, Duration::from_secs(30));
    // Whether a trusted proxy stands in front is one fact: the pass-through follows the server's setting.
    let options = passthrough("trust_forwarded_headers = true\npassthrough = { origin = \"http://p\" }");
    assert!(options.trust_forwarded);
    let options =
        passthrough("trust_forwarded_headers = true\npassthrough = { origin = \"http://p\", trust_forwarded = false }");
    assert!(!options.trust_forwarded);
}

#[test]
fn tenant_hosts_are_host_names_bound_once() {
    let bound = |id: &str, token: &str, hosts: &str| {
        tenant(id, &digest(token)).replace("mapping = ", &format!("hosts = {hosts}\nmapping = "))
    };
    let rt = validate(&from_toml(&config(&bound("a", "t1", "[\"Acme.Example.\"]"))).unwrap()).unwrap();
    assert_eq!(rt.gateway.tenants[0].hosts, ["acme.example"]);
    for hosts in ["[\"acme.example:8443\"]", "[\"\"]", "[\"a..b\"]", "[\"acme example\"]"] {
        let err = error_of(&config(&bound("a", "t1", hosts)));
        assert!(err.starts_with("tenants[0].hosts[0]"), "{hosts}: {err}");
    }
    let two = format!(
        "{}{}",
        bound("a", "t1", "[\"acme.example\"]"),
        bound("b", "t2", "[\"b.example\", \"ACME.example\"]")
    );
    let err = error_of(&config(&two));
    assert!(err.starts_with("tenants[1].hosts[1]"), "{err}");
}

#[test]
fn create_path_fields_are_checked_by_key() {
    let base = config(&tenant("a", &digest("t")));
    let with = |endpoint: &str| base.replacen("create = \"POST /users\"", endpoint, 1);
    validate(&from_toml(&with("create = \"POST /users/{/username}\"")).unwrap()).unwrap();
    // A create default or the managed marker writes a field too.
    let defaulted = with("create = \"POST /orgs/{/org}/users\"").replacen(
        "unmapped = \"reject\"",
        "unmapped = \"reject\"\ncreate_defaults = { \"/org\" = \"main\" }",
        1,
    );
    validate(&from_toml(&defaulted).unwrap()).unwrap();
    for (endpoint, key, says) in [
        (
            "create = \"POST /users/{/nickname}\"",
            "mappings.classic.users.endpoints.create",
            "no attribute",
        ),
        (
            "create = \"POST /users/{/created_at}\"",
            "mappings.classic.users.endpoints.create",
            "no attribute",
        ),
        (
            "create = \"POST /users/{/a~2}\"",
            "mappings.classic.users.endpoints.create",
            "'~'",
        ),
    ] {
        let err = error_of(&with(endpoint));
        assert!(err.starts_with(key) && err.contains(says), "{endpoint}: {err}");
    }
    let elsewhere = base.replacen("\"GET /users/{id}\"", "\"GET /users/{/username}\"", 1);
    let err = error_of(&elsewhere);
    assert!(
        err.starts_with("mappings.classic.users.endpoints.get") && err.contains("only in endpoints.create"),
        "{err}"
    );
    let member = base.replacen("{id}/members/{member}\"", "{id}/members/{/username}\"", 1);
    let err = error_of(&member);
    assert!(err.starts_with("mappings.classic.groups.members.add"), "{err}");
}

#[test]
fn membership_call_shapes_are_checked_by_key() {
    let base = config(&tenant("a", &digest("t")));
    let add = "add = \"PUT /teams/{id}/members/{member}\"";
    let list = "list = \"GET /teams/{id}/members\"\nlist_items = \"/data\"\n";
    let members = "[mappings.classic.groups.members]\nstyle = \"endpoints\"";
    let with = |from: &str, to: &str| {
        assert!(base.contains(from), "{from}");
        base.replacen(from, to, 1)
    };
    // Accepted: one call for all through a body, a call per member through a body, a body with a {member} path,
    // members read from the team object.
    for ok in [
        with(
            add,
            "add = \"POST /teams/{id}/members\"\nadd_body = { add = \"{members}\" }",
        ),
        with(
            add,
            "add = \"POST /teams/{id}/members\"\nadd_body = { add = [\"{member}\"] }",
        ),
        with(
            add,
            &format!("{add}\nadd_body = {{ role = \"member\" }}\nalready_member = [409, 422]"),
        ),
        with(list, "pointer = \"/member_ids\"\n"),
    ] {
        validate(&from_toml(&ok).unwrap()).unwrap();
    }
    let at = "mappings.classic.groups.members";
    for (text, key) in [
        (with(add, "add = \"POST /teams/{id}/members\""), "add"),
        (
            with(
                add,
                "add = \"POST /teams/{id}/members\"\nadd_body = { add = \"members\" }",
            ),
            "add_body",
        ),
        (
            with(add, &format!("{add}\nadd_body = {{ all = \"{{members}}\" }}")),
            "add_body",
        ),
        (
            with(
                add,
                "add = \"POST /teams/{id}/m\"\nadd_body = { a = \"{member}\", b = \"{members}\" }",
            ),
            "add_body",
        ),
        (with(add, &format!("{add}\nalready_member = [200]")), "already_member"),
        (with(add, &format!("{add}\nnot_member = [1000]")), "not_member"),
        (with(add, &format!("{add}\nwrite_pointer = \"/ids\"")), "write_pointer"),
        (
            with(list, "list = \"GET /teams/{id}/members\"\npointer = \"/ids\"\n"),
            "pointer",
        ),
        (with(list, ""), "list"),
        (
            with(
                members,
                "[mappings.classic.groups.members]\nstyle = \"list\"\npointer = \"/ids\"\nadd_body = 1",
            ),
            "add_body",
        ),
        (
            with(
                members,
                "[mappings.classic.groups.members]\nstyle = \"list\"\npointer = \"/ids\"\nwrite_item = { id = 1 }",
            ),
            "write_item",
        ),
    ] {
        let err = error_of(&text);
        assert!(err.starts_with(&format!("{at}.{key}")), "{key}: {err}");
    }
}
