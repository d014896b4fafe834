//! Evaluation against a realistic SCIM User (RFC 7643 §8.2 shaped, with the enterprise extension).

use crate::scim::filter::{AttrKind, AttrMeta, AttrTypes, CoreTypes, Filter};
use crate::scim::path::AttrPath;
use serde_json::{Value, json};

fn user() -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "bJensen",
        "userName": "bjensen@example.com",
        "name": { "familyName": "O'Malley", "givenName": "Barbara" },
        "displayName": "Babs Jensen",
        "title": "Tour Guide",
        "userType": "Employee",
        "nickName": "",
        "active": true,
        "loginCount": 42,
        "score": 7.5,
        "emails": [
            { "value": "bjensen@example.com", "type": "work", "primary": true },
            { "value": "babs@jensen.org", "type": "home" }
        ],
        "ims": [{ "value": "someaimhandle", "type": "aim" }],
        "phoneNumbers": [],
        "photos": null,
        "x509Certificates": [{}],
        "meta": {
            "resourceType": "User",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34Z",
            "version": "W/\"3694e05e9dff591\""
        },
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984",
            "department": "Tour Operations",
            "manager": { "value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith" }
        }
    })
}

fn check(filter: &str) -> bool {
    match Filter::parse(filter) {
        Ok(f) => f.matches(&user(), &CoreTypes),
        Err(e) => panic!("{filter:?}: {e}"),
    }
}

fn all_match(filters: &[&str]) {
    for f in filters {
        assert!(check(f), "should match: {f}");
    }
}

fn none_match(filters: &[&str]) {
    for f in filters {
        assert!(!check(f), "should not match: {f}");
    }
}

#[test]
fn rfc_examples_evaluate() {
    all_match(&[
        "userName eq \"bjensen@example.com\"",
        "name.familyName co \"O'Malley\"",
        "userName sw \"B\"",
        "urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"bjen\"",
        "title pr",
        "meta.lastModified ge \"2011-05-13T04:42:34Z\"",
        "meta.lastModified le \"2011-05-13T04:42:34Z\"",
        "title pr and userType eq \"Employee\"",
        "title pr or userType eq \"Intern\"",
        "schemas eq \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"",
        "userType eq \"Employee\" and (emails co \"example.com\" or emails.value co \"example.org\")",
        "userType eq \"Employee\" and (emails.type eq \"work\")",
        "userType eq \"Employee\" and emails[type eq \"work\" and value co \"@example.com\"]",
        "emails[type eq \"work\" and value co \"@example.com\"] or ims[type eq \"xmpp\" and value co \"@foo.com\"]",
    ]);
    none_match(&[
        "meta.lastModified gt \"2011-05-13T04:42:34Z\"",
        "meta.lastModified lt \"2011-05-13T04:42:34Z\"",
        "userType ne \"Employee\" and not (emails co \"example.com\" or emails.value co \"example.org\")",
        "emails[type eq \"home\" and value co \"@example.com\"]",
    ]);
}

#[test]
fn case_exact_follows_attribute_type() {
    all_match(&[
        "userName eq \"BJENSEN@EXAMPLE.COM\"",
        "externalId eq \"bJensen\"",
        "title co \"guide\"",
    ]);
    none_match(&[
        "externalId eq \"bjensen\"",
        "id eq \"2819C223-7F76-453A-919D-413861904646\"",
    ]);
}

#[test]
fn unicode_lowercase_when_not_case_exact() {
    let resource = json!({ "displayName": "ÉLODIE Ünal" });
    let f = |s: &str| {
        Filter::parse(s)
            .map(|f| f.matches(&resource, &CoreTypes))
            .unwrap_or(false)
    };
    assert!(f("displayName eq \"élodie ünal\""));
    assert!(f("displayName sw \"\\u00e9lo\""));
}

#[test]
fn substring_operators() {
    all_match(&[
        "displayName co \"s J\"",
        "displayName sw \"babs\"",
        "displayName ew \"JENSEN\"",
    ]);
    none_match(&[
        "displayName sw \"Jensen\"",
        "displayName ew \"Babs\"",
        "active co \"t\"",
        "loginCount sw 4",
    ]);
}

#[test]
fn string_ordering_is_lexicographic_after_folding() {
    all_match(&[
        "title gt \"tour\"",
        "title lt \"U\"",
        "title ge \"TOUR GUIDE\"",
        "title le \"tour guide\"",
    ]);
    none_match(&["title gt \"tour guide\"", "title lt \"A\""]);
}

#[test]
fn date_times_compare_as_instants() {
    // 2011-05-13T06:42:34+02:00 is the same instant as 2011-05-13T04:42:34Z.
    all_match(&[
        "meta.lastModified eq \"2011-05-13T06:42:34+02:00\"",
        "meta.lastModified ge \"2011-05-13T06:42:34+02:00\"",
        "meta.lastModified gt \"2011-05-13T06:42:33+02:00\"",
        "meta.lastModified lt \"2011-05-13T04:42:34.5Z\"",
        "meta.lastModified eq \"2011-05-13T04:42:34\"",
        "meta.created lt \"2011-01-01T00:00:00Z\"",
        "meta.lastModified sw \"2011-05\"",
    ]);
    none_match(&[
        "meta.lastModified gt \"2011-05-13T06:42:34+02:00\"",
        "meta.lastModified gt \"not a date\"",
        "meta.lastModified lt \"not a date\"",
        "meta.lastModified eq \"2011-05-13\"",
    ]);
}

#[test]
fn numbers_compare_numerically() {
    all_match(&[
        "loginCount eq 42",
        "loginCount eq 42.0",
        "loginCount gt 41.5",
        "loginCount le 4.2e1",
        "score lt 8",
    ]);
    all_match(&["score eq 7.5", "score ge 7", "loginCount gt -1"]);
    none_match(&[
        "loginCount eq \"42\"",
        "loginCount gt 42",
        "score gt 7.5",
        "loginCount co 4",
    ]);
}

#[test]
fn booleans_support_only_eq_and_ne() {
    all_match(&["active eq true", "active ne false", "emails[primary eq true]"]);
    none_match(&["active eq false", "active gt false", "active eq \"true\""]);
}

#[test]
fn multi_valued_matches_any_value() {
    all_match(&[
        "emails.value eq \"babs@jensen.org\"",
        "emails eq \"babs@jensen.org\"",
        "emails co \"jensen.org\"",
        "emails.type eq \"home\"",
        "emails[type eq \"home\"]",
        "emails[value ew \".org\" and type eq \"home\"]",
    ]);
    none_match(&[
        "emails[value ew \".org\" and type eq \"work\"]",
        "emails[type eq \"other\"]",
    ]);
}

#[test]
fn sub_attribute_after_value_path_in_filter() {
    all_match(&[
        "emails[type eq \"work\"].value eq \"bjensen@example.com\"",
        "emails[type eq \"home\"].value pr",
    ]);
    none_match(&[
        "emails[type eq \"work\"].value eq \"babs@jensen.org\"",
        "emails[type eq \"home\"].primary pr",
    ]);
}

#[test]
fn enterprise_extension_is_found_by_urn() {
    let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    all_match(&[
        &format!("{ent}:employeeNumber eq \"701984\""),
        "URN:IETF:params:scim:schemas:extension:enterprise:2.0:user:DEPARTMENT sw \"tour\"",
        &format!("{ent}:manager.value eq \"26118915-6090-4610-87e4-49d8ca9f808d\""),
        &format!("{ent}:manager eq \"26118915-6090-4610-87e4-49d8ca9f808d\""),
        &format!("{ent}:manager pr"),
    ]);
    none_match(&[
        // Unqualified names read the core (top-level) attributes only.
        "employeeNumber eq \"701984\"",
        &format!("{ent}:userName pr"),
        "urn:example:other:1.0:User:employeeNumber pr",
    ]);
}

#[test]
fn attribute_names_match_case_insensitively() {
    all_match(&[
        "USERNAME eq \"bjensen@example.com\"",
        "Name.FamilyName eq \"o'malley\"",
        "EMAILS[TYPE eq \"work\"]",
    ]);
}

#[test]
fn present_excludes_null_empty_string_and_empty_collections() {
    all_match(&[
        "userName pr",
        "active pr",
        "emails pr",
        "name pr",
        "emails.primary pr",
        "loginCount pr",
    ]);
    none_match(&[
        "nickName pr",
        "phoneNumbers pr",
        "photos pr",
        "x509Certificates pr",
        "missing pr",
    ]);
    none_match(&["name.middleName pr", "ims.primary pr"]);
}

#[test]
fn null_comparisons_mean_absence_and_presence() {
    all_match(&["nickName eq null", "missing eq null", "title ne null", "photos eq null"]);
    none_match(&["title eq null", "missing ne null", "title gt null"]);
}

#[test]
fn ne_is_the_negation_of_eq() {
    all_match(&["missing ne \"x\"", "title ne \"Boss\"", "emails.type ne \"other\""]);
    // A multi-valued attribute is "not equal" only when no value equals.
    none_match(&["emails.type ne \"work\"", "title ne \"tour guide\""]);
}

#[test]
fn not_negates() {
    all_match(&["not (title eq \"Boss\")", "not(missing pr)", "not (not (title pr))"]);
    none_match(&["not (title pr)"]);
}

#[test]
fn custom_attr_types_drive_comparison() {
    struct ExactDisplay;
    impl AttrTypes for ExactDisplay {
        fn meta(&self, path: &AttrPath) -> AttrMeta {
            let exact = path.name.eq_ignore_ascii_case("displayName");
            let kind = if path.name.eq_ignore_ascii_case("title") {
                AttrKind::DateTime
            } else {
                AttrKind::String
            };
            AttrMeta {
                kind,
                case_exact: exact,
            }
        }
    }
    let resource = user();
    let run = |s: &str| {
        Filter::parse(s)
            .map(|f| f.matches(&resource, &ExactDisplay))
            .unwrap_or(false)
    };
    assert!(run("displayName eq \"Babs Jensen\""));
    assert!(!run("displayName eq \"babs jensen\""));
    // "Tour Guide" is no dateTime: ordering never matches.
    assert!(!run("title gt \"2000-01-01T00:00:00Z\""));
    assert!(!run("title lt \"2000-01-01T00:00:00Z\""));
}

#[test]
fn non_object_resource_matches_nothing_but_negations() {
    let f = Filter::parse("title pr").map(|f| f.matches(&json!([1, 2]), &CoreTypes));
    assert_eq!(f.ok(), Some(false));
    let f = Filter::parse("title ne \"x\"").map(|f| f.matches(&Value::Null, &CoreTypes));
    assert_eq!(f.ok(), Some(true));
}
