//! Real IdP and RFC payloads (tests/fixtures/) through the PATCH engine: each PATCH body is parsed and applied to a
//! base resource, and the effect that IdP means by it is asserted, not just the absence of an error. Create, PUT and
//! search bodies are checked for shape here; the end-to-end suites send them to a running gateway.
//!
//! Sources: Microsoft Entra "Tutorial: Develop and plan provisioning for a SCIM endpoint" and "Known issues and
//! resolutions with SCIM 2.0 protocol compliance"; Okta "SCIM 2.0 Protocol Reference"; RFC 7644 §3.3, §3.4.3, §3.5.2.

use scimgate::scim::filter::{CoreTypes, Filter};
use scimgate::scim::patch::{self, PatchError};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// Members of base-group.json.
const BABS: &str = "2819c223-7f76-453a-919d-413861904646";
const MANDY: &str = "89bb1940-b905-4575-9e7f-6f887cfb368e";
const TEST_USER: &str = "f648f8d5ea4e4cd38e9c";

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture(name: &str) -> Value {
    let path = fixtures_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The resource a PATCH fixture is applied to.
#[derive(Clone, Copy)]
enum Base {
    /// base-user.json.
    User,
    /// base-user.json after a deactivation.
    InactiveUser,
    /// base-group.json.
    Group,
}

impl Base {
    fn load(self) -> Value {
        match self {
            Base::User => fixture("base-user.json"),
            Base::InactiveUser => {
                let mut user = fixture("base-user.json");
                user["active"] = Value::Bool(false);
                user
            }
            Base::Group => fixture("base-group.json"),
        }
    }
}

fn apply(name: &str, base: &Value) -> Result<Value, PatchError> {
    let ops = patch::parse(&fixture(name), 100)?;
    patch::apply(base, &ops, &CoreTypes)
}

/// `value`s of a multi-valued attribute, in order.
fn values(resource: &Value, attr: &str) -> Vec<String> {
    resource[attr]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|m| m["value"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The elements of `attr` whose `type` is `kind`.
fn typed<'v>(resource: &'v Value, attr: &str, kind: &str) -> Vec<&'v Value> {
    resource[attr]
        .as_array()
        .map(|items| items.iter().filter(|e| e["type"] == kind).collect())
        .unwrap_or_default()
}

/// Everything but the listed top-level attributes is as before.
fn unchanged_except(before: &Value, after: &Value, changed: &[&str]) {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(o) = v.as_object_mut() {
            for key in changed {
                o.remove(*key);
            }
        }
        v
    };
    assert_eq!(strip(before), strip(after), "only {changed:?} may change");
}

/// One PATCH fixture, the resource it targets, and what it must do to it.
struct Case {
    fixture: &'static str,
    base: Base,
    expect: fn(before: &Value, after: &Value),
}

const PATCHES: &[Case] = &[
    Case {
        fixture: "entra-patch-replace-active-string.json",
        base: Base::User,
        expect: |before, after| {
            // Entra sends "False" as a string; the boolean attribute becomes false.
            assert_eq!(after["active"], Value::Bool(false));
            unchanged_except(before, after, &["active"]);
        },
    },
    Case {
        fixture: "entra-patch-disable-user.json",
        base: Base::User,
        expect: |before, after| {
            assert_eq!(after["active"], Value::Bool(false));
            unchanged_except(before, after, &["active"]);
        },
    },
    Case {
        fixture: "okta-patch-deactivate.json",
        base: Base::User,
        expect: |before, after| {
            assert_eq!(after["active"], Value::Bool(false));
            unchanged_except(before, after, &["active"]);
        },
    },
    Case {
        fixture: "okta-patch-reactivate.json",
        base: Base::InactiveUser,
        expect: |before, after| {
            assert_eq!(after["active"], Value::Bool(true));
            unchanged_except(before, after, &["active"]);
        },
    },
    Case {
        fixture: "entra-patch-update-attributes.json",
        base: Base::User,
        expect: |before, after| {
            assert_eq!(after["name"]["givenName"], "Augusta");
            assert_eq!(after["name"]["familyName"], "Jensen", "unnamed sub-attributes stay");
            assert_eq!(values(after, "emails"), ["augusta@example.com"]);
            assert_eq!(after["emails"][0]["primary"], Value::Bool(true));
            assert_eq!(after["userName"], "augusta@example.com");
            assert_eq!(after["title"], "Countess of Lovelace");
            unchanged_except(before, after, &["name", "emails", "userName", "title"]);
        },
    },
    Case {
        fixture: "entra-patch-emails-value-path.json",
        base: Base::User,
        expect: |before, after| {
            let work = typed(after, "emails", "work");
            assert_eq!(work.len(), 1, "the work email is updated in place, not added");
            assert_eq!(work[0]["value"], "updatedEmail@microsoft.com");
            assert_eq!(work[0]["primary"], Value::Bool(true));
            assert_eq!(after["name"]["familyName"], "updatedFamilyName");
            assert_eq!(after["name"]["givenName"], "Barbara");
            unchanged_except(before, after, &["emails", "name"]);
        },
    },
    Case {
        fixture: "entra-patch-multi-op-capitalised.json",
        base: Base::User,
        expect: |before, after| {
            assert_eq!(after["displayName"], "Pvlo");
            assert_eq!(values(after, "emails"), ["TestBcwqnm@test.microsoft.com"]);
            assert_eq!(after["name"]["givenName"], "Gtfd");
            assert_eq!(after["name"]["familyName"], "Pkqf");
            assert_eq!(after["externalId"], "Eqpj");
            assert_eq!(after[ENTERPRISE]["employeeNumber"], "Eqpj");
            assert_eq!(after[ENTERPRISE]["department"], before[ENTERPRISE]["department"]);
            unchanged_except(
                before,
                after,
                &["displayName", "emails", "name", "externalId", ENTERPRISE],
            );
        },
    },
    Case {
        fixture: "entra-patch-enterprise-extension-no-path.json",
        base: Base::User,
        expect: |before, after| {
            assert_eq!(values(after, "emails"), ["TestMhvaes@test.microsoft.com"]);
            assert_eq!(after["displayName"], "Bjfe");
            assert_eq!(after["name"]["givenName"], "Kkom");
            assert_eq!(after["name"]["familyName"], "Unua");
            assert_eq!(after[ENTERPRISE]["employeeNumber"], "Aklq");
            assert_eq!(after[ENTERPRISE]["department"], "Tour Operations");
            assert!(
                after.get("name.givenName").is_none()
                    && after.get(format!("{ENTERPRISE}:employeeNumber").as_str()).is_none(),
                "dotted and URN-qualified keys are paths, not attribute names: {after}"
            );
            unchanged_except(before, after, &["emails", "displayName", "name", ENTERPRISE]);
        },
    },
    Case {
        fixture: "entra-patch-add-single-value-string.json",
        base: Base::User,
        expect: |before, after| {
            assert_eq!(after["nickName"], "Babs");
            unchanged_except(before, after, &["nickName"]);
        },
    },
    Case {
        fixture: "entra-patch-replace-empty-string.json",
        base: Base::User,
        expect: |before, after| {
            // The PATCH itself keeps the empty string; the mapping clears the product field (tests/writes.rs).
            assert_eq!(after["title"], "");
            unchanged_except(before, after, &["title"]);
        },
    },
    Case {
        fixture: "entra-patch-add-work-email.json",
        base: Base::User,
        expect: |before, after| {
            assert_eq!(after["title"], "tester");
            // Entra says "Add" where it means replace: the existing work email changes, no second one appears.
            let work = typed(after, "emails", "work");
            assert_eq!(work.len(), 1, "{after}");
            assert_eq!(work[0]["value"], "babs@joe.com");
            // No mobile number yet: the element the filter describes is created.
            assert_eq!(
                after["phoneNumbers"],
                serde_json::json!([{"type": "mobile", "value": "+1 555 0100"}])
            );
            unchanged_except(before, after, &["title", "emails", "phoneNumbers"]);
        },
    },
    Case {
        fixture: "entra-patch-add-manager.json",
        base: Base::User,
        expect: |before, after| {
            // Entra sends the manager's id as a bare string for the complex `manager` (RFC 7643 §4.3); accept
            // either the string as sent or a normalised `{"value": id}`.
            let manager = &after[ENTERPRISE]["manager"];
            let id = manager.as_str().or_else(|| manager["value"].as_str());
            assert_eq!(id, Some("26118915-6090-4610-87e4-49d8ca9f808d"), "{after}");
            assert_eq!(after[ENTERPRISE]["employeeNumber"], "701984");
            unchanged_except(before, after, &[ENTERPRISE]);
        },
    },
    Case {
        fixture: "entra-patch-group-rename.json",
        base: Base::Group,
        expect: |before, after| {
            assert_eq!(
                after["displayName"],
                "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
            );
            unchanged_except(before, after, &["displayName"]);
        },
    },
    Case {
        fixture: "entra-patch-add-member.json",
        base: Base::Group,
        expect: |before, after| {
            assert_eq!(
                values(after, "members"),
                [BABS, MANDY, TEST_USER, "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]
            );
            unchanged_except(before, after, &["members"]);
        },
    },
    Case {
        fixture: "entra-patch-remove-member-by-filter.json",
        base: Base::Group,
        expect: |before, after| {
            assert_eq!(values(after, "members"), [BABS, TEST_USER]);
            unchanged_except(before, after, &["members"]);
        },
    },
    Case {
        fixture: "entra-patch-remove-member-value-list.json",
        base: Base::Group,
        expect: |before, after| {
            // Entra's default dialect names the members to remove in `value`; only those leave the group.
            assert_eq!(values(after, "members"), [BABS, MANDY]);
            unchanged_except(before, after, &["members"]);
        },
    },
    Case {
        fixture: "okta-patch-group-rename.json",
        base: Base::Group,
        expect: |before, after| {
            // Okta repeats the group's own id beside the new name.
            assert_eq!(after["displayName"], "Test SCIMv2");
            assert_eq!(after["id"], before["id"]);
            unchanged_except(before, after, &["displayName"]);
        },
    },
    Case {
        fixture: "okta-patch-group-membership.json",
        base: Base::Group,
        expect: |before, after| {
            assert_eq!(
                values(after, "members"),
                [BABS, TEST_USER, "23a35c27-23d3-4c03-b4c5-6443c09e7173"]
            );
            unchanged_except(before, after, &["members"]);
        },
    },
    Case {
        fixture: "okta-patch-replace-group-members.json",
        base: Base::Group,
        expect: |before, after| {
            assert_eq!(
                values(after, "members"),
                ["23a35c27-23d3-4c03-b4c5-6443c09e7173", MANDY]
            );
            unchanged_except(before, after, &["members"]);
        },
    },
    Case {
        fixture: "rfc7644-3.5.2.1-add-member.json",
        base: Base::Group,
        expect: |before, after| {
            // Babs is already a member: RFC 7644 §3.5.2.1 "If the target location already contains the value
            // specified, no changes SHOULD be made".
            assert_eq!(values(after, "members"), [BABS, MANDY, TEST_USER]);
            unchanged_except(before, after, &[]);
        },
    },
    Case {
        fixture: "rfc7644-3.5.2.1-add-without-path.json",
        base: Base::User,
        expect: |before, after| {
            assert_eq!(values(after, "emails"), ["bjensen@example.com", "babs@jensen.org"]);
            assert_eq!(after["nickname"], "Babs");
            unchanged_except(before, after, &["emails", "nickname"]);
        },
    },
    Case {
        fixture: "rfc7644-3.5.2.2-remove-member.json",
        base: Base::Group,
        expect: |before, after| {
            assert_eq!(values(after, "members"), [MANDY, TEST_USER]);
            unchanged_except(before, after, &["members"]);
        },
    },
    Case {
        fixture: "rfc7644-3.5.2.2-remove-all-members.json",
        base: Base::Group,
        expect: |before, after| {
            assert!(after.get("members").is_none(), "{after}");
            unchanged_except(before, after, &["members"]);
        },
    },
    Case {
        fixture: "rfc7644-3.5.2.2-remove-emails-by-filter.json",
        base: Base::User,
        expect: |before, after| {
            // The only email is the work one at example.com; an emptied multi-valued attribute is unassigned.
            assert!(after.get("emails").is_none(), "{after}");
            unchanged_except(before, after, &["emails"]);
        },
    },
    Case {
        fixture: "rfc7644-3.5.2.2-remove-and-add-member.json",
        base: Base::Group,
        expect: |before, after| {
            assert_eq!(
                values(after, "members"),
                [MANDY, TEST_USER, "08e1d05d-121c-4561-8b96-473d93df9210"]
            );
            unchanged_except(before, after, &["members"]);
        },
    },
    Case {
        fixture: "rfc7644-3.5.2.3-replace-members.json",
        base: Base::Group,
        expect: |before, after| {
            assert_eq!(values(after, "members"), [BABS, "08e1d05d-121c-4561-8b96-473d93df9210"]);
            assert_eq!(after["members"][0]["display"], "Babs Jensen");
            unchanged_except(before, after, &["members"]);
        },
    },
    Case {
        fixture: "rfc7644-3.5.2.3-replace-work-address.json",
        base: Base::User,
        expect: |before, after| {
            let work = typed(after, "addresses", "work");
            assert_eq!(work.len(), 1, "{after}");
            assert_eq!(work[0]["streetAddress"], "911 Universal City Plaza");
            assert_eq!(work[0]["formatted"], "911 Universal City Plaza\nHollywood, CA 91608 US");
            unchanged_except(before, after, &["addresses"]);
        },
    },
    Case {
        fixture: "rfc7644-3.5.2.3-replace-street-address.json",
        base: Base::User,
        expect: |before, after| {
            let work = typed(after, "addresses", "work");
            assert_eq!(work.len(), 1, "{after}");
            assert_eq!(work[0]["streetAddress"], "1010 Broadway Ave");
            assert_eq!(work[0]["locality"], "Hollywood", "other sub-attributes stay");
            unchanged_except(before, after, &["addresses"]);
        },
    },
    Case {
        fixture: "rfc7644-3.5.2.3-replace-without-path.json",
        base: Base::User,
        expect: |before, after| {
            assert_eq!(values(after, "emails"), ["bjensen@example.com", "babs@jensen.org"]);
            assert_eq!(typed(after, "emails", "work")[0]["primary"], Value::Bool(true));
            assert_eq!(after["nickname"], "Babs");
            unchanged_except(before, after, &["emails", "nickname"]);
        },
    },
];

/// Create and PUT bodies: the resource type's core schema they must declare, and what else they must carry.
const DOCUMENTS: &[(&str, &str, &[&str])] = &[
    ("base-user.json", USER_SCHEMA, &["id", "userName"]),
    ("base-group.json", GROUP_SCHEMA, &["id", "displayName", "members"]),
    (
        "entra-create-user.json",
        USER_SCHEMA,
        &["userName", "externalId", "active"],
    ),
    ("entra-create-group.json", GROUP_SCHEMA, &["displayName", "externalId"]),
    (
        "okta-create-user.json",
        USER_SCHEMA,
        &["userName", "password", "locale"],
    ),
    ("okta-create-group.json", GROUP_SCHEMA, &["displayName", "members"]),
    ("okta-put-user.json", USER_SCHEMA, &["userName", "active"]),
    ("rfc7644-3.3-create-user.json", USER_SCHEMA, &["userName", "externalId"]),
];

#[test]
fn every_patch_fixture_has_its_effect_on_the_base_resource() {
    // Every case runs, so one failure does not hide the next; the panics above name what differed.
    let mut failed = Vec::new();
    for case in PATCHES {
        let before = case.base.load();
        let outcome = match apply(case.fixture, &before) {
            Ok(after) => std::panic::catch_unwind(|| (case.expect)(&before, &after)).map_err(|_| after.to_string()),
            Err(e) => Err(format!("{e:?}")),
        };
        if let Err(why) = outcome {
            failed.push(format!("{}: {why}", case.fixture));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn patch_fixtures_are_idempotent_where_the_idp_retries() {
    // IdPs retry after timeouts; applying these a second time must change nothing more.
    for name in [
        "entra-patch-add-member.json",
        "entra-patch-remove-member-by-filter.json",
        "entra-patch-remove-member-value-list.json",
        "okta-patch-group-membership.json",
        "rfc7644-3.5.2.1-add-member.json",
        "rfc7644-3.5.2.2-remove-member.json",
    ] {
        let once = apply(name, &Base::Group.load()).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let twice = apply(name, &once).unwrap_or_else(|e| panic!("{name} again: {e:?}"));
        assert_eq!(once, twice, "{name}");
    }
}

#[test]
fn create_and_put_fixtures_are_resources_of_their_schema() {
    for (name, schema, required) in DOCUMENTS {
        let doc = fixture(name);
        assert!(doc.is_object(), "{name}");
        let schemas = doc["schemas"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: no schemas"));
        assert!(schemas.iter().any(|s| s == schema), "{name}: {schema} missing");
        for attr in *required {
            assert!(doc.get(*attr).is_some(), "{name}: {attr} missing");
        }
    }
    let entra = fixture("entra-create-user.json");
    assert!(entra["schemas"].as_array().unwrap().iter().any(|s| s == ENTERPRISE));
    assert_eq!(entra["emails"][0]["type"], "work");
    let okta = fixture("okta-create-user.json");
    assert_eq!(okta["locale"], "en-US");
    assert_eq!(okta["groups"], serde_json::json!([]));
}

#[test]
fn rfc_search_request_filter_parses_and_selects_by_display_name() {
    let request = fixture("rfc7644-3.4.3-search-request.json");
    assert_eq!(request["schemas"][0], SEARCH_SCHEMA);
    assert_eq!(request["startIndex"], 1);
    assert_eq!(request["count"], 10);
    let filter = Filter::parse(request["filter"].as_str().expect("filter is a string")).expect("filter parses");
    let mut user = Base::User.load();
    assert!(
        !filter.matches(&user, &CoreTypes),
        "Babs Jensen does not start with smith"
    );
    user["displayName"] = Value::String("Smith, Babs".into());
    assert!(filter.matches(&user, &CoreTypes), "sw compares case-insensitively");
}

#[test]
fn every_fixture_is_covered_by_an_assertion() {
    let mut covered: BTreeSet<&str> = PATCHES.iter().map(|c| c.fixture).collect();
    covered.extend(DOCUMENTS.iter().map(|(name, ..)| *name));
    covered.insert("rfc7644-3.4.3-search-request.json");
    let on_disk: BTreeSet<String> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures exists")
        .map(|e| e.expect("readable entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    let missing: Vec<&String> = on_disk.iter().filter(|n| !covered.contains(n.as_str())).collect();
    assert!(missing.is_empty(), "fixtures without an assertion: {missing:?}");
    let stale: Vec<&&str> = covered.iter().filter(|n| !on_disk.contains(**n)).collect();
    assert!(stale.is_empty(), "assertions naming absent fixtures: {stale:?}");
    for name in &on_disk {
        if name.contains("patch") {
            assert!(
                PATCHES.iter().any(|c| c.fixture == name),
                "{name} is a PATCH body without a Case"
            );
        }
    }
}
