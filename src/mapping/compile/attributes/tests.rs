use crate::config::ConfigError;
use crate::mapping::{Mapping, compile};

/// A small user mapping with these lines added to its `attributes` table, and `resource` to the users table.
fn with(attributes: &str, resource: &str) -> Result<Mapping, ConfigError> {
    let text = format!(
        "[mappings.m.users]\n{resource}\n\
         [mappings.m.users.endpoints]\n\
         list = \"GET /users\"\nget = \"GET /users/{{id}}\"\ncreate = \"POST /users\"\n\
         update = \"PATCH /users/{{id}}\"\ndelete = \"DELETE /users/{{id}}\"\n\
         [mappings.m.users.attributes]\nuserName = \"/email\"\n{attributes}\n"
    );
    let file = crate::config::from_toml(&text).expect("the test mapping parses");
    compile(&file.mappings["m"], "mappings.m")
}

/// The key and message of the mistake in these lines.
fn refused(attributes: &str, resource: &str) -> (String, String) {
    match with(attributes, resource) {
        Err(ConfigError::Invalid { key, message }) => (key, message),
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("accepted: {attributes} {resource}"),
    }
}

#[test]
fn the_new_constructs_compile() {
    let m = with(
        r#"active = { pointer = "/status", map = { true = "active", false = "suspended" }, read_fallback = false }
title = { pointer = "/custom_fields/[id=5]/value", write = "/custom_field_values/5" }
displayName = { pointer = ["/display_name", "/full_name"] }
nickName = { ignore = true }
"name.givenName" = { pointer = "/profile/first", whole = true }
locale = { pointer = "/locale", default = [{ when = 'title pr', value = "en-GB" }, { value = "en-US" }] }
'emails[type eq "work"].value' = { pointer = "/contact", default = { from = "userName" } }"#,
        "whole = [\"/address\"]",
    )
    .unwrap();
    let attrs = &m.users.attributes;
    assert_eq!(attrs.ignored().collect::<Vec<_>>(), ["nickName"]);
    let whole: Vec<&str> = attrs.whole().iter().map(|p| p.as_str()).collect();
    assert_eq!(whole, ["/profile", "/address"]);
    let title = attrs.rules().iter().find(|r| r.key == "title").unwrap();
    assert_eq!(title.pointer.as_str(), "/custom_field_values/5");
    assert!(
        !format!("{:?}", m.users.schema).contains("nickName"),
        "an ignored attribute is not advertised"
    );
}

#[test]
fn each_contradiction_names_its_key() {
    let at = |k: &str| format!("mappings.m.users.attributes.{k}");
    for (attributes, key, says) in [
        (
            r#"title = { pointer = "/t", read_fallback = "x" }"#,
            at("\"title\".read_fallback"),
            "map",
        ),
        (
            r#"active = { pointer = "/s", map = { true = "on", false = "off" }, read_fallback = "off" }"#,
            at("\"active\".read_fallback"),
            "boolean",
        ),
        (
            r#"title = { pointer = "/t", write = "/u", read_only = true }"#,
            at("\"title\".write"),
            "read_only",
        ),
        (
            r#"title = { pointer = "/f/[id=5]/value" }"#,
            at("\"title\".pointer"),
            "write",
        ),
        (
            r#"title = { pointer = ["/a", "/f/[id=5"] , write = "/b" }"#,
            at("\"title\".pointer[1]"),
            "selector",
        ),
        (r#"title = { pointer = [] }"#, at("\"title\".pointer"), "one pointer"),
        (
            r#"title = { ignore = true, pointer = "/t" }"#,
            at("\"title\".ignore"),
            "alone",
        ),
        (
            r#"title = { pointer = "/t", whole = true }"#,
            at("\"title\".whole"),
            "sub-object",
        ),
        (
            r#"title = { pointer = "/t", default = { form = "userName" } }"#,
            at("\"title\".default.form"),
            "from",
        ),
        (
            r#"title = { pointer = "/t", default = { from = "title" } }"#,
            at("\"title\".default"),
            "itself",
        ),
        (
            r#"title = { pointer = "/t", default = [{ when = "x eq", value = 1 }] }"#,
            at("\"title\".default[0].when"),
            "filter",
        ),
        (
            r#"template = { template = "{/a}", write = "/b" }"#,
            at("\"template\""),
            "template",
        ),
        // The two-rule trick for a split read and write: one rule, with `write`.
        (
            "Title = { pointer = \"/t\", read_only = true }\ntitle = \"/u\"",
            at("\"title\""),
            "write = ",
        ),
    ] {
        let (k, m) = refused(attributes, "");
        assert_eq!(k, key, "{attributes}: {m}");
        assert!(m.contains(says), "{attributes}: {m}");
    }
    let (k, m) = refused(
        r#"title = "/t""#,
        r#"whole = ["/profile"]
update_style = "replace""#,
    );
    assert_eq!(k, "mappings.m.users.whole[0]", "{m}");
    let (k, _) = refused(r#"title = "/t""#, r#"whole = ["profile"]"#);
    assert_eq!(k, "mappings.m.users.whole[0]");
}
