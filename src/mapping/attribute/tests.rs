use super::*;
use serde_json::json;

fn rule(key: &str, pointer: &str) -> Rule {
    Rule::plain(key, Target::parse(key).unwrap(), Pointer::parse(pointer).unwrap())
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
    let scim = Value::Object(sample_map().to_scim(&product).unwrap());
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
    let scim = map
        .to_scim(&json!({"email": "a@x", "first_name": "Ada", "last_name": "L"}))
        .unwrap();
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
    locale.default = Some(DefaultValue::Value(json!("en-US")));
    let map = AttributeMap::new(vec![rule("userName", "/email"), password, locale], true);
    let scim = map
        .to_scim(&json!({"email": "a@x", "password": "hash", "locale": "fr"}))
        .unwrap();
    assert!(scim.get("password").is_none());
    assert_eq!(scim["locale"], "fr");
    let mut created = json!({"userName": "a@x", "password": "s3cret"});
    map.apply_defaults(&mut created, crate::scim::schema::ResourceSchema::user());
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

fn active_map(fallback: Option<Value>) -> AttributeMap {
    let mut active = rule("active", "/status");
    active.transform = Transform::from_table(&BTreeMap::from([
        ("true".to_owned(), json!("active")),
        ("false".to_owned(), json!("suspended")),
    ]));
    active.read_fallback = fallback;
    AttributeMap::new(vec![rule("userName", "/email"), active], true)
}

#[test]
fn a_product_value_outside_the_map_reads_as_the_fallback() {
    let scim = active_map(Some(json!(false)))
        .to_scim(&json!({"email": "a@x", "status": "invited"}))
        .unwrap();
    assert_eq!(scim["active"], false);
    let scim = active_map(Some(json!(false)))
        .to_scim(&json!({"email": "a@x", "status": "active"}))
        .unwrap();
    assert_eq!(scim["active"], true, "a known value still maps");
    // Written back unchanged, the product keeps its own value; a change to a value the map lacks is refused.
    let mut map = active_map(Some(json!(false)));
    map.rules[1].transform = Transform::from_table(&BTreeMap::from([("true".to_owned(), json!("active"))]));
    let current = json!({"email": "a@x", "status": "invited"});
    let fields = map
        .to_product_over(&json!({"userName": "a@x", "active": false}), Some(&current))
        .unwrap();
    assert_eq!(fields[&Pointer::parse("/status").unwrap()], "invited");
    let current = json!({"email": "a@x", "status": "active"});
    assert!(
        map.to_product_over(&json!({"userName": "a@x", "active": false}), Some(&current))
            .is_err()
    );
}

#[test]
fn without_a_fallback_an_unknown_product_value_is_a_mapping_error_naming_it() {
    let err = active_map(None)
        .to_scim(&json!({"email": "a@x", "status": "invited"}))
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("\"invited\"") && text.contains("active") && text.contains("read_fallback"),
        "{text}"
    );
    let scim: crate::scim::Error = err.into();
    assert_eq!(scim.status, http::StatusCode::BAD_GATEWAY);
}

fn split(key: &str, reads: &[&str], write: &str) -> Rule {
    let mut r = rule(key, write);
    r.reads = reads.iter().map(|p| ReadPointer::parse(p).unwrap()).collect();
    r
}

#[test]
fn a_split_rule_reads_an_array_element_and_writes_a_map_entry() {
    let map = AttributeMap::new(
        vec![
            rule("userName", "/email"),
            split("title", &["/custom_fields/[id=5]/value"], "/custom_field_values/5"),
        ],
        true,
    );
    let product = json!({"email": "a@x", "custom_fields": [{"id": 4, "value": "x"}, {"id": 5, "value": "CTO"}]});
    assert_eq!(map.to_scim(&product).unwrap()["title"], "CTO");
    let fields = map.to_product(&json!({"userName": "a@x", "title": "CFO"})).unwrap();
    assert_eq!(fields[&Pointer::parse("/custom_field_values/5").unwrap()], "CFO");
    assert!(!fields.contains_key(&Pointer::parse("/custom_fields").unwrap()));
    // Unchanged is judged by where the value is read, not where it is written.
    let at = Pointer::parse("/custom_field_values/5").unwrap();
    assert!(map.holds(&at, &json!("CTO"), &product));
    assert!(!map.holds(&at, &json!("CFO"), &product));
}

#[test]
fn fallback_pointers_read_the_first_present_and_write_the_first() {
    let map = AttributeMap::new(
        vec![
            rule("userName", "/login"),
            split("displayName", &["/display_name", "/full_name"], "/display_name"),
        ],
        true,
    );
    let read = |p: Value| map.to_scim(&p).unwrap().get("displayName").cloned();
    assert_eq!(read(json!({"display_name": "A", "full_name": "B"})), Some(json!("A")));
    assert_eq!(read(json!({"display_name": null, "full_name": "B"})), Some(json!("B")));
    assert_eq!(read(json!({})), None);
    let fields = map.to_product(&json!({"userName": "a", "displayName": "C"})).unwrap();
    assert_eq!(fields[&Pointer::parse("/display_name").unwrap()], "C");
    assert!(!fields.contains_key(&Pointer::parse("/full_name").unwrap()));
}

#[test]
fn an_ignored_attribute_is_accepted_but_never_sent_or_read() {
    let map = AttributeMap::new(vec![rule("userName", "/email")], true)
        .with_ignored(vec![("nickName".into(), Target::parse("nickName").unwrap())]);
    let fields = map.to_product(&json!({"userName": "a@x", "nickName": "Al"})).unwrap();
    assert_eq!(fields.len(), 1);
    assert!(
        map.to_product(&json!({"userName": "a@x", "title": "x"})).is_err(),
        "other unmapped attributes are still refused"
    );
    let scim = map.to_scim(&json!({"email": "a@x", "nickName": "Al"})).unwrap();
    assert!(scim.get("nickName").is_none());
    assert!(map.advertised().iter().all(|(k, _, _)| *k != "nickName"));
}

#[test]
fn a_change_inside_a_whole_sub_object_sends_all_of_it_from_the_read() {
    let map =
        AttributeMap::new(vec![rule("userName", "/email")], true).with_whole(vec![Pointer::parse("/profile").unwrap()]);
    let current = json!({"email": "a@x", "profile": {"first": "Ada", "last": "Lovelace", "pronouns": "she"}});
    let changed = BTreeMap::from([
        (Pointer::parse("/profile/first").unwrap(), json!("Augusta")),
        (Pointer::parse("/profile/last").unwrap(), Value::Null),
        (Pointer::parse("/email").unwrap(), json!("b@x")),
    ]);
    let sent = map.widen(changed, &current);
    assert_eq!(sent[&Pointer::parse("/email").unwrap()], "b@x");
    assert_eq!(
        sent[&Pointer::parse("/profile").unwrap()],
        json!({"first": "Augusta", "last": null, "pronouns": "she"})
    );
    assert_eq!(sent.len(), 2);
    // A sub-object the product does not hold yet starts empty.
    let sent = map.widen(
        BTreeMap::from([(Pointer::parse("/profile/first").unwrap(), json!("A"))]),
        &json!({}),
    );
    assert_eq!(sent[&Pointer::parse("/profile").unwrap()], json!({"first": "A"}));
    assert!(map.whole_of(&Pointer::parse("/profiles").unwrap()).is_none());
}

#[test]
fn computed_defaults_fill_a_create_from_the_body() {
    let mut email = rule("emails[type eq \"work\"].value", "/email");
    email.default = Some(DefaultValue::parse(&json!({"from": "userName"})).unwrap());
    let mut kind = rule("userType", "/kind");
    kind.default = Some(
        DefaultValue::parse(&json!([{"when": "title sw \"Contract\"", "value": "contractor"}, {"value": "staff"}]))
            .unwrap(),
    );
    let map = AttributeMap::new(vec![rule("userName", "/login"), email, kind], true);
    let types = crate::scim::schema::ResourceSchema::user();
    let mut body = json!({"userName": "ada@x", "title": "Contractor"});
    map.apply_defaults(&mut body, types);
    assert_eq!(body["emails"], json!([{"type": "work", "value": "ada@x"}]));
    assert_eq!(body["userType"], "contractor");
    let mut body = json!({"userName": "bob@x", "userType": "intern",
        "emails": [{"type": "work", "value": "bob@work"}]});
    map.apply_defaults(&mut body, types);
    assert_eq!(body["userType"], "intern", "a value the IdP sent is kept");
    assert_eq!(body["emails"][0]["value"], "bob@work");
}
