use super::*;
use serde_json::json;

fn path(s: &str) -> AttrPath {
    AttrPath::parse(s).expect("test path")
}

#[test]
fn lookup_ignores_case_and_accepts_the_core_urn_prefix() {
    let user = ResourceSchema::user();
    let r = user.resolve(&path("NAME.givenname")).unwrap();
    assert_eq!(
        (r.attr.name.as_str(), r.sub.map(|s| s.name.as_str())),
        ("name", Some("givenName"))
    );
    let q = user
        .resolve(&path("urn:ietf:params:scim:schemas:core:2.0:User:userName"))
        .unwrap();
    assert_eq!(q.attr.name, "userName");
    assert!(
        user.resolve(&path("urn:ietf:params:scim:schemas:core:2.0:Group:displayName"))
            .is_none()
    );
    assert!(user.resolve(&path("nope")).is_none());
    assert!(user.resolve(&path("name.nope")).is_none());
}

#[test]
fn extension_attributes_need_their_urn() {
    let user = ResourceSchema::user();
    let r = user
        .resolve(&path(&format!("{ENTERPRISE_USER_SCHEMA}:manager.displayName")))
        .unwrap();
    assert_eq!(r.schema, Some(ENTERPRISE_USER_SCHEMA));
    assert_eq!(r.target().mutability, Mutability::ReadOnly);
    assert!(user.resolve(&path("employeeNumber")).is_none());
    assert!(user.extension_of_path(&path(ENTERPRISE_USER_SCHEMA)).is_some());
}

#[test]
fn common_attributes_have_rfc_characteristics() {
    let user = ResourceSchema::user();
    let id = user.resolve(&path("id")).unwrap().attr;
    assert_eq!(
        (id.mutability, id.returned, id.case_exact),
        (Mutability::ReadOnly, Returned::Always, true)
    );
    assert!(user.resolve(&path("externalId")).unwrap().attr.case_exact);
    assert_eq!(
        user.resolve(&path("meta")).unwrap().attr.mutability,
        Mutability::ReadOnly
    );
    let pw = user.resolve(&path("password")).unwrap().attr;
    assert_eq!((pw.mutability, pw.returned), (Mutability::WriteOnly, Returned::Never));
}

#[test]
fn attr_types_come_from_the_definitions_with_core_fallback() {
    let user = ResourceSchema::user();
    assert_eq!(user.meta(&path("meta.lastModified")).kind, AttrKind::DateTime);
    assert_eq!(user.meta(&path("emails.primary")).kind, AttrKind::Boolean);
    assert!(user.meta(&path("id")).case_exact);
    assert!(!user.meta(&path("userName")).case_exact);
    assert_eq!(user.meta(&path("x509Certificates.value")).kind, AttrKind::Binary);
    // Unknown to the schema: CoreTypes answers.
    assert_eq!(user.meta(&path("members")).kind, AttrKind::Complex);
    assert_eq!(
        ResourceSchema::group().meta(&path("members.value")).kind,
        AttrKind::String
    );
}

#[test]
fn user_schema_has_every_rfc_attribute() {
    let names: Vec<&str> = ResourceSchema::user()
        .core
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    for want in [
        "userName",
        "name",
        "displayName",
        "nickName",
        "profileUrl",
        "title",
        "userType",
        "preferredLanguage",
        "locale",
        "timezone",
        "active",
        "password",
        "emails",
        "phoneNumbers",
        "ims",
        "photos",
        "addresses",
        "groups",
        "entitlements",
        "roles",
        "x509Certificates",
    ] {
        assert!(names.contains(&want), "{want} missing");
    }
}

#[test]
fn schema_json_has_rfc_7643_section_7_shape() {
    let body = ResourceSchema::group().core.to_json("https://gw.example/scim/v2");
    assert_eq!(body["schemas"], json!([SCHEMA_SCHEMA]));
    assert_eq!(body["id"], GROUP_SCHEMA);
    assert_eq!(body["meta"]["resourceType"], "Schema");
    assert_eq!(
        body["meta"]["location"],
        format!("https://gw.example/scim/v2/Schemas/{GROUP_SCHEMA}")
    );
    let members = &body["attributes"][1];
    assert_eq!(members["name"], "members");
    assert_eq!(members["type"], "complex");
    assert_eq!(members["multiValued"], true);
    assert!(members.get("caseExact").is_none());
    let r#ref = &members["subAttributes"][1];
    assert_eq!(r#ref["name"], "$ref");
    assert_eq!(r#ref["referenceTypes"], json!(["User", "Group"]));
    assert_eq!(r#ref["mutability"], "immutable");
    assert_eq!(body["attributes"][0]["uniqueness"], "none");
    assert_eq!(body["attributes"][0]["returned"], "default");
}

fn mapped(paths: &[(&str, Access)]) -> ResourceSchema {
    let mapped: Vec<Mapped> = paths.iter().map(|(p, a)| Mapped::new(*p, *a)).collect();
    ResourceSchema::user().restricted(&mapped).expect("valid mapping")
}

fn names(attrs: &[Attribute]) -> Vec<&str> {
    attrs.iter().map(|a| a.name.as_str()).collect()
}

#[test]
fn restricted_keeps_mapped_attributes_and_always_id_and_meta() {
    let r = mapped(&[("userName", Access::ReadWrite), ("name.givenName", Access::ReadWrite)]);
    assert_eq!(names(&r.common), ["id", "meta"]);
    assert_eq!(names(&r.core.attributes), ["userName", "name"]);
    assert_eq!(names(&r.core.attributes[1].sub_attributes), ["givenName"]);
    assert!(r.extensions.is_empty(), "no enterprise attribute mapped");
}

#[test]
fn restricted_value_path_keeps_value_type_and_mapped_types() {
    let r = mapped(&[
        ("emails[type eq \"work\"].value", Access::ReadWrite),
        ("externalId", Access::ReadWrite),
    ]);
    assert_eq!(names(&r.common), ["id", "externalId", "meta"]);
    let emails = &r.core.attributes[0];
    assert_eq!(names(&emails.sub_attributes), ["value", "type"]);
    assert_eq!(emails.sub_attributes[1].canonical_values, ["work"]);
    let all = mapped(&[
        ("emails[type eq \"work\"].value", Access::ReadWrite),
        ("emails.value", Access::ReadWrite),
    ]);
    assert_eq!(
        all.core.attributes[0].sub_attributes[1].canonical_values,
        ["work", "home", "other"]
    );
}

#[test]
fn restricted_applies_read_only_and_write_only_overrides() {
    let r = mapped(&[
        ("title", Access::ReadOnly),
        ("password", Access::WriteOnly),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            Access::ReadOnly,
        ),
    ]);
    assert_eq!(r.core.attributes[0].mutability, Mutability::ReadOnly);
    assert_eq!(r.core.attributes[1].returned, Returned::Never);
    assert_eq!(names(&r.extensions[0].attributes), ["employeeNumber"]);
    assert_eq!(r.extensions[0].attributes[0].mutability, Mutability::ReadOnly);
    let ro = mapped(&[("name.givenName", Access::ReadOnly)]);
    assert_eq!(
        ro.core.attributes[0].mutability,
        Mutability::ReadOnly,
        "all kept subs read-only"
    );
}

#[test]
fn restricted_whole_extension_and_groups_members() {
    let r = mapped(&[(ENTERPRISE_USER_SCHEMA, Access::ReadWrite)]);
    assert_eq!(r.extensions[0].attributes.len(), 6);
    let g = ResourceSchema::group()
        .restricted(&[
            Mapped::new("displayName", Access::ReadWrite),
            Mapped::new("members", Access::ReadWrite),
        ])
        .unwrap();
    assert_eq!(names(&g.core.attributes), ["displayName", "members"]);
    assert_eq!(g.core.attributes[1].sub_attributes.len(), 4);
}

#[test]
fn restricted_rejects_unknown_and_malformed_paths() {
    let user = ResourceSchema::user();
    assert!(matches!(
        user.restricted(&[Mapped::new("shoeSize", Access::ReadWrite)]),
        Err(SchemaError::Unknown(_))
    ));
    assert!(matches!(
        user.restricted(&[Mapped::new("name.nope", Access::ReadWrite)]),
        Err(SchemaError::Unknown(_))
    ));
    assert!(matches!(
        user.restricted(&[Mapped::new("emails[", Access::ReadWrite)]),
        Err(SchemaError::BadPath { .. })
    ));
}
