use super::*;
use serde_json::json;

fn rule(key: &str, pointer: &str) -> Rule {
    Rule {
        key: key.into(),
        target: Target::parse(key).unwrap(),
        pointer: Pointer::parse(pointer).unwrap(),
        transform: Transform::Identity,
        read_only: false,
        write_only: false,
        default: None,
        required: false,
        empty: Default::default(),
    }
}

fn sample_map() -> AttributeMap {
    let mut active = rule("active", "/status");
    active.transform = Transform::from_table(&BTreeMap::from([
        ("true".to_owned(), json!("active")),
        ("false".to_owned(), json!("suspended")),
    ]));
    let mut created = rule("meta.created", "/created_at");
    created.read_only = true;
    AttributeMap::new(
        vec![
            rule("userName", "/email"),
            rule("emails[type eq \"work\"].value", "/email"),
            rule("name.givenName", "/profile/first"),
            rule(
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                "/dept",
            ),
            active,
            created,
        ],
        true,
    )
}

#[test]
fn product_object_becomes_scim_attributes() {
    let product = json!({"email": "a@b.c", "profile": {"first": "Ada"}, "dept": "R&D", "status": "suspended",
        "created_at": "2024-01-01T00:00:00Z"});
    let scim = Value::Object(sample_map().to_scim(&product));
    assert_eq!(scim["userName"], "a@b.c");
    assert_eq!(scim["emails"], json!([{"type": "work", "value": "a@b.c"}]));
    assert_eq!(scim["name"]["givenName"], "Ada");
    assert_eq!(
        scim["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
        "R&D"
    );
    assert_eq!(scim["active"], false);
    assert_eq!(scim["meta"]["created"], "2024-01-01T00:00:00Z");
}

#[test]
fn scim_resource_becomes_product_fields_with_nulls_for_absent() {
    let scim = json!({"userName": "a@b.c", "active": "True", "name": {"givenName": "Ada"},
        "emails": [{"type": "work", "value": "a@b.c", "primary": true}]});
    let fields = sample_map().to_product(&scim).unwrap();
    let get = |p: &str| fields.get(&Pointer::parse(p).unwrap()).cloned();
    assert_eq!(get("/email"), Some(json!("a@b.c")));
    assert_eq!(
        get("/status"),
        Some(json!("active")),
        "Entra's string boolean maps like a boolean"
    );
    assert_eq!(get("/profile/first"), Some(json!("Ada")));
    assert_eq!(get("/dept"), Some(Value::Null));
    assert_eq!(get("/created_at"), None, "read-only attributes are never written");
}

#[test]
fn attribute_names_are_case_insensitive() {
    let fields = sample_map()
        .to_product(&json!({"USERNAME": "a@b.c", "Name": {"GivenName": "x"}}))
        .unwrap();
    assert_eq!(fields[&Pointer::parse("/email").unwrap()], json!("a@b.c"));
    assert_eq!(fields[&Pointer::parse("/profile/first").unwrap()], json!("x"));
}

#[test]
fn unmapped_attributes_are_refused_by_name() {
    let map = sample_map();
    let err = map.to_product(&json!({"userName": "a", "nickName": "x"})).unwrap_err();
    assert!(err.to_string().contains("nickName"), "{err}");
    let err = map
        .to_product(&json!({"userName": "a", "name": {"familyName": "x"}}))
        .unwrap_err();
    assert!(err.to_string().contains("name.familyName"), "{err}");
    let err = map
        .to_product(&json!({"userName": "a", "emails": [{"type": "home", "value": "h@x"}]}))
        .unwrap_err();
    assert!(err.to_string().contains("emails[type eq \"home\"].value"), "{err}");
    let err = map
        .to_product(&json!({"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"costCenter": "1"}}))
        .unwrap_err();
    assert!(err.to_string().contains("costCenter"), "{err}");
    // Protocol members and nulls are not data to store.
    map.to_product(&json!({"schemas": [], "id": "1", "meta": {}, "userName": "a", "title": null}))
        .unwrap();
}

#[test]
fn ignore_policy_drops_unmapped_attributes() {
    let map = AttributeMap::new(sample_map().rules().to_vec(), false);
    assert!(map.to_product(&json!({"userName": "a", "nickName": "x"})).is_ok());
}

#[test]
fn two_attributes_with_different_values_for_one_field_conflict() {
    let err = sample_map()
        .to_product(&json!({"userName": "a@b.c", "emails": [{"type": "work", "value": "other@b.c"}]}))
        .unwrap_err();
    assert!(matches!(err, MappingError::Conflict { .. }), "{err}");
}

#[test]
fn unknown_mapped_values_are_invalid() {
    let err = sample_map()
        .to_product(&json!({"userName": "a", "active": "maybe"}))
        .unwrap_err();
    assert!(matches!(err, MappingError::InvalidValue { .. }), "{err}");
}

#[test]
fn target_keys_are_validated() {
    assert!(Target::parse("emails[value co \"x\"].value").is_err());
    assert!(Target::parse("emails[type eq \"work\"]").is_err());
    assert_eq!(
        Target::parse("urn:ietf:params:scim:schemas:core:2.0:User:userName").unwrap(),
        Target::Plain {
            schema: None,
            name: "userName".into(),
            sub: None
        }
    );
}

#[test]
fn templates_compose_read_only_values_from_product_fields() {
    let t = Template::parse("{/first_name} {/last_name}").unwrap();
    assert_eq!(
        t.render(&json!({"first_name": "Ada", "last_name": "Lovelace"}))
            .as_deref(),
        Some("Ada Lovelace")
    );
    assert_eq!(t.render(&json!({"last_name": "Lovelace"})).as_deref(), Some("Lovelace"));
    assert_eq!(t.render(&json!({})), None);
    assert!(Template::parse("no fields").is_err());
    assert!(Template::parse("{first_name}").is_err());
    let map = AttributeMap::new(vec![rule("userName", "/email")], true).with_templates(vec![(
        "displayName".into(),
        Target::parse("displayName").unwrap(),
        t,
    )]);
    let scim = map.to_scim(&json!({"email": "a@x", "first_name": "Ada", "last_name": "L"}));
    assert_eq!(scim["displayName"], "Ada L");
    // A template is read-only: a write carrying it is accepted (RFC 7643 §2.2 readOnly) but sends nothing.
    let fields = map.to_product(&json!({"userName": "a@x", "displayName": "X"})).unwrap();
    assert_eq!(fields.len(), 1);
}

#[test]
fn write_only_attributes_are_sent_but_never_read_and_defaults_fill_creates() {
    let mut password = rule("password", "/password");
    password.write_only = true;
    let mut locale = rule("locale", "/locale");
    locale.default = Some(json!("en-US"));
    let map = AttributeMap::new(vec![rule("userName", "/email"), password, locale], true);
    let scim = map.to_scim(&json!({"email": "a@x", "password": "hash", "locale": "fr"}));
    assert!(scim.get("password").is_none());
    assert_eq!(scim["locale"], "fr");
    let mut created = json!({"userName": "a@x", "password": "s3cret"});
    map.apply_defaults(&mut created);
    assert_eq!(created["locale"], "en-US");
    let fields = map.to_product(&created).unwrap();
    assert_eq!(fields[&Pointer::parse("/password").unwrap()], json!("s3cret"));
}

#[test]
fn on_update_the_attribute_that_changed_a_shared_field_wins() {
    let map = AttributeMap::new(
        vec![
            rule("userName", "/email"),
            rule("emails[type eq \"work\"].value", "/email"),
        ],
        true,
    );
    let current = json!({"email": "old@x"});
    let renamed = json!({"userName": "new@x", "emails": [{"type": "work", "value": "old@x"}]});
    let fields = map.to_product_over(&renamed, Some(&current)).unwrap();
    assert_eq!(fields[&Pointer::parse("/email").unwrap()], json!("new@x"));
    let reversed = json!({"userName": "old@x", "emails": [{"type": "work", "value": "new@x"}]});
    let fields = map.to_product_over(&reversed, Some(&current)).unwrap();
    assert_eq!(fields[&Pointer::parse("/email").unwrap()], json!("new@x"));
    // Both changed, differently: refused, as on create.
    let both = json!({"userName": "a@x", "emails": [{"type": "work", "value": "b@x"}]});
    assert!(map.to_product_over(&both, Some(&current)).is_err());
    assert!(map.to_product(&renamed).is_err());
}

#[test]
fn two_different_values_of_one_mapped_type_are_refused_by_name() {
    let map = sample_map();
    let two = json!({"userName": "a@x", "emails": [
        {"type": "work", "value": "a@x"}, {"type": "Work", "value": "b@x"}]});
    let err = map.to_product(&two).unwrap_err().to_string();
    assert!(err.contains("emails[type eq \"work\"]") && err.contains("b@x"), "{err}");
    // The same value twice loses nothing.
    let same = json!({"userName": "a@x", "emails": [
        {"type": "work", "value": "a@x"}, {"type": "work", "value": "a@x", "primary": true}]});
    assert!(map.to_product(&same).is_ok());
}
