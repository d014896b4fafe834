//! Properties of PATCH over generated User resources and operations: add/remove are inverse for attributes that
//! were absent, replace with the current value and add-twice change nothing more, replace-and-back restores, and no
//! operation sequence panics or fails with anything but a SCIM 400.
//!
//! Equality after add-then-remove is taken modulo RFC 7643 §2.5: "Unassigned attributes, the null value, or empty
//! array (in the case of a multi-valued attribute) SHALL be considered to be equivalent in 'state'" (an emptied
//! `name` or extension object is unassigned too).

use super::*;
use crate::scim::filter::CoreTypes;
use proptest::prelude::*;
use serde_json::json;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Where an operation points, as a generator sees it.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// A single-valued top-level attribute: `title`.
    Top(&'static str),
    /// A sub-attribute of `name`: `name.middleName`.
    Name(&'static str),
    /// An enterprise extension attribute: `urn:…:enterprise:2.0:User:department`.
    Ext(&'static str),
    /// A whole multi-valued attribute: `emails`.
    Multi(&'static str),
    /// The `value` of the element of a given type: `emails[type eq "work"].value`.
    Typed(&'static str, &'static str),
}

impl Target {
    fn path(self) -> String {
        match self {
            Target::Top(a) | Target::Multi(a) => a.to_owned(),
            Target::Name(s) => format!("name.{s}"),
            Target::Ext(a) => format!("{ENTERPRISE}:{a}"),
            Target::Typed(a, t) => format!("{a}[type eq \"{t}\"].value"),
        }
    }

    /// The path that removes what an add at `self.path()` created.
    fn remove_path(self) -> String {
        match self {
            Target::Typed(a, t) => format!("{a}[type eq \"{t}\"]"),
            other => other.path(),
        }
    }

    /// The current value at the target, if any.
    fn get(self, user: &Value) -> Option<&Value> {
        match self {
            Target::Top(a) | Target::Multi(a) => user.get(a),
            Target::Name(s) => user.get("name")?.get(s),
            Target::Ext(a) => user.get(ENTERPRISE)?.get(a),
            Target::Typed(a, t) => user.get(a)?.as_array()?.iter().find(|e| e["type"] == t)?.get("value"),
        }
    }
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9@. -]{1,12}"
}

fn kind() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["work", "home", "other"])
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        prop::sample::select(vec!["displayName", "nickName", "title", "locale", "userType", "active"])
            .prop_map(Target::Top),
        prop::sample::select(vec!["givenName", "familyName", "middleName"]).prop_map(Target::Name),
        prop::sample::select(vec!["department", "employeeNumber", "costCenter"]).prop_map(Target::Ext),
        prop::sample::select(vec!["emails", "phoneNumbers", "roles"]).prop_map(Target::Multi),
        (prop::sample::select(vec!["emails", "phoneNumbers"]), kind()).prop_map(|(a, t)| Target::Typed(a, t)),
    ]
}

/// Elements of a multi-valued attribute: distinct types, at most one primary.
fn elements() -> impl Strategy<Value = Value> {
    (
        prop::sample::subsequence(vec!["work", "home", "other"], 1..=3),
        prop::option::of(0usize..3),
    )
        .prop_flat_map(|(kinds, primary)| {
            let n = kinds.len();
            (Just(kinds), prop::collection::vec(text(), n), Just(primary))
        })
        .prop_map(|(kinds, values, primary)| {
            let items = kinds
                .iter()
                .zip(values)
                .enumerate()
                .map(|(i, (t, v))| {
                    let mut e = json!({"type": t, "value": v});
                    if primary == Some(i) {
                        e["primary"] = json!(true);
                    }
                    e
                })
                .collect();
            Value::Array(items)
        })
}

/// A value that fits `target`.
fn value_for(target: Target) -> BoxedStrategy<Value> {
    match target {
        Target::Top("active") => any::<bool>().prop_map(Value::Bool).boxed(),
        Target::Multi(_) => elements().boxed(),
        _ => text().prop_map(Value::String).boxed(),
    }
}

fn target_and_value() -> impl Strategy<Value = (Target, Value)> {
    target().prop_flat_map(|t| (Just(t), value_for(t)))
}

/// A User with a random selection of attributes set.
fn user() -> impl Strategy<Value = Value> {
    let tops = prop::collection::vec(prop::option::of(text()), 5);
    let name = prop::option::of((prop::option::of(text()), prop::option::of(text())));
    let ext = prop::option::of((prop::option::of(text()), prop::option::of(text())));
    let multi = prop::collection::vec(prop::option::of(elements()), 3);
    (text(), tops, prop::option::of(any::<bool>()), name, ext, multi).prop_map(
        |(user_name, tops, active, name, ext, multi)| {
            let mut u = json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": "2819c223",
                "userName": user_name,
                "meta": {"resourceType": "User"}
            });
            for (key, v) in ["displayName", "nickName", "title", "locale", "userType"]
                .iter()
                .zip(tops)
            {
                if let Some(v) = v {
                    u[*key] = json!(v);
                }
            }
            if let Some(a) = active {
                u["active"] = json!(a);
            }
            if let Some((given, family)) = name {
                let mut n = json!({});
                if let Some(g) = given {
                    n["givenName"] = json!(g);
                }
                if let Some(f) = family {
                    n["familyName"] = json!(f);
                }
                u["name"] = n;
            }
            if let Some((department, number)) = ext {
                let mut e = json!({});
                if let Some(d) = department {
                    e["department"] = json!(d);
                }
                if let Some(n) = number {
                    e["employeeNumber"] = json!(n);
                }
                u[ENTERPRISE] = e;
            }
            for (key, v) in ["emails", "phoneNumbers", "roles"].iter().zip(multi) {
                if let Some(v) = v {
                    u[*key] = v;
                }
            }
            u
        },
    )
}

/// Arbitrary JSON, with keys that PATCH gives meaning to mixed in.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop::sample::select(vec!["True", "false", "work", "", "urn:x"]).prop_map(|s| json!(s)),
        any::<String>().prop_map(Value::String),
    ];
    let key = prop_oneof![
        3 => prop::sample::select(vec![
            "value", "type", "primary", "display", "$ref", "active", "id", "meta", "members", "emails",
            "name", "name.givenName", "givenName", ENTERPRISE,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        ])
        .prop_map(str::to_owned),
        1 => any::<String>(),
    ];
    leaf.prop_recursive(3, 24, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn any_path() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "emails", "emails[type eq \"work\"]", "emails[type eq \"work\"].value", "emails[value co \"@\"].primary",
            "members", "members[value eq \"1\"]", "name", "name.givenName", "active", "id", "meta.created",
            "phoneNumbers[type eq \"mobile\" and primary eq true].value", ENTERPRISE,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            "urn:ietf:params:scim:schemas:core:2.0:User:userName", "addresses[not (type pr)].country", "",
        ])
        .prop_map(|p| json!(p)),
        1 => "[a-z\\[\\]\". :=]{0,24}".prop_map(Value::String),
        1 => any_json(),
    ]
}

fn any_operation() -> impl Strategy<Value = Value> {
    let op = prop::sample::select(vec!["add", "Add", "replace", "Replace", "remove", "REMOVE", "move"]);
    (op, prop::option::of(any_path()), prop::option::of(any_json())).prop_map(|(op, path, value)| {
        let mut o = json!({"op": op});
        if let Some(p) = path {
            o["path"] = p;
        }
        if let Some(v) = value {
            o["value"] = v;
        }
        o
    })
}

fn body(ops: Vec<Value>) -> Value {
    json!({"schemas": [PATCH_SCHEMA], "Operations": ops})
}

fn run(resource: &Value, ops: Vec<Value>) -> Result<Value, PatchError> {
    apply(resource, &parse(&body(ops), 100)?, &CoreTypes)
}

/// RFC 7643 §2.5: drop null, empty arrays and empty objects, which all mean "unassigned".
fn normalised(v: &Value) -> Value {
    match v {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), normalised(v)))
                .filter(|(_, v)| !is_unassigned(v))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalised).collect()),
        other => other.clone(),
    }
}

fn is_unassigned(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn add_then_remove_restores_an_absent_attribute(u in user(), (t, v) in target_and_value()) {
        prop_assume!(t.get(&u).is_none());
        let added = run(&u, vec![json!({"op": "add", "path": t.path(), "value": v})]).expect("add applies");
        prop_assert!(t.get(&added).is_some(), "add set nothing at {}: {}", t.path(), added);
        let removed = run(&added, vec![json!({"op": "remove", "path": t.remove_path()})]).expect("remove applies");
        prop_assert_eq!(normalised(&removed), normalised(&u));
    }

    #[test]
    fn replace_with_the_current_value_changes_nothing(u in user(), t in target(), pathless in any::<bool>()) {
        let Some(current) = t.get(&u).cloned() else {
            return Ok(());
        };
        let op = if pathless {
            json!({"op": "replace", "value": {t.path(): current}})
        } else {
            json!({"op": "replace", "path": t.path(), "value": current})
        };
        prop_assert_eq!(run(&u, vec![op]).expect("replace applies"), u);
    }

    #[test]
    fn the_same_add_twice_equals_it_once(u in user(), (t, v) in target_and_value(), pathless in any::<bool>()) {
        let op = if pathless {
            json!({"op": "add", "value": {t.path(): v}})
        } else {
            json!({"op": "add", "path": t.path(), "value": v})
        };
        let once = run(&u, vec![op.clone()]).expect("add applies");
        let twice = run(&once, vec![op.clone()]).expect("add applies again");
        prop_assert_eq!(&twice, &once);
        prop_assert_eq!(run(&u, vec![op.clone(), op]).expect("both apply"), once);
    }

    #[test]
    fn replace_then_replace_back_restores(u in user(), (t, v) in target_and_value()) {
        let Some(current) = t.get(&u).cloned() else {
            return Ok(());
        };
        let there = json!({"op": "replace", "path": t.path(), "value": v});
        let back = json!({"op": "replace", "path": t.path(), "value": current});
        let changed = run(&u, vec![there]).expect("replace applies");
        prop_assert_eq!(run(&changed, vec![back]).expect("replace back applies"), u);
    }

    #[test]
    fn arbitrary_operations_apply_or_fail_with_400(
        u in user(),
        group in any::<bool>(),
        ops in prop::collection::vec(any_operation(), 1..6),
    ) {
        let resource = if group {
            json!({"id": "g", "displayName": "g", "members": [{"value": "1"}, {"value": "2", "type": "User"}]})
        } else {
            u
        };
        match parse(&body(ops), 100).and_then(|ops| apply(&resource, &ops, &CoreTypes)) {
            Ok(out) => prop_assert!(out.is_object()),
            Err(e) => prop_assert_eq!(Error::from(e).status.as_u16(), 400),
        }
    }
}
