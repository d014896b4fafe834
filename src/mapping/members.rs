//! Membership styles: how a product keeps a team's members, chosen in config.
//!
//! - `endpoints`: a call per member (`PUT /teams/{id}/members/{member}`, `DELETE …`), or one call for all with the
//!   keys in a body template (`POST /groups/{id}/users` with `{"users": "{members}"}`), members read from a listing
//!   or from the team object;
//! - `batch`: one call carrying the keys to add and to remove, members read from a listing or the team object;
//! - `list`: an array of member keys (or of objects holding them) on the team object, changed by
//!   read–modify–write of the team, written where and in the shape it is read or in another (`write_pointer`);
//! - `user_field`: a team id (or an array of them) on each user object; a team's members are the users whose
//!   field holds it, found through a query parameter of the users' listing.
//!
//! A member's key is what the product's membership data holds: the user id by default, or another field of the
//! user object (`user_key`), e.g. a user name.

use super::endpoint::Endpoint;
use super::pointer::Pointer;
use http::StatusCode;
use serde_json::Value;

/// The string in a body template that stands for one member's key.
pub const MEMBER: &str = "{member}";
/// The string in a body template that stands for the array of the keys changed.
pub const MEMBERS: &str = "{members}";

/// How one product keeps members.
#[derive(Debug, Clone)]
pub struct Members {
    /// The style.
    pub style: Style,
    /// Where the member key is in a user object; `None` when it is the user id.
    pub user_key: Option<Pointer>,
    /// Product calls run at once for one group write.
    pub concurrency: usize,
}

/// The membership styles.
#[derive(Debug, Clone)]
pub enum Style {
    /// A call per member added or removed.
    Endpoints {
        /// Add members.
        add: MemberCall,
        /// Remove members.
        remove: MemberCall,
        /// Read the members.
        read: Read,
        /// Product statuses of an add that mean the user is already a member.
        already_member: Vec<StatusCode>,
        /// Product statuses of a remove that mean the user is not a member.
        not_member: Vec<StatusCode>,
    },
    /// One call with the keys to add and remove.
    Batch {
        /// The call.
        call: Endpoint,
        /// Where the keys to add go in its body.
        add: Pointer,
        /// Where the keys to remove go in its body.
        remove: Pointer,
        /// Read the members.
        read: Read,
    },
    /// An array of member keys (or of objects holding them) on the team object.
    List {
        /// Where the array is.
        pointer: Pointer,
        /// Where the key is in one element ("" for elements that are keys).
        key: Pointer,
        /// Where and how the array is written.
        write: ListWrite,
    },
    /// A team field on the user object.
    UserField {
        /// Where the team id (or the array of team ids) is in a user object.
        pointer: Pointer,
        /// The users' query parameter selecting a team's members.
        filter_param: String,
    },
}

/// A team's member listing.
#[derive(Debug, Clone)]
pub struct Listing {
    /// The call.
    pub endpoint: Endpoint,
    /// Where the array is in its answer.
    pub items: Pointer,
    /// Where the key is in one element ("" for elements that are keys).
    pub key: Pointer,
}

// === impl Members ===

impl Members {
    /// Whether the members are read from the team object (the `list` style, or `pointer` instead of `list`).
    pub fn reads_team(&self) -> bool {
        matches!(
            self.style,
            Style::List { .. }
                | Style::Endpoints {
                    read: Read::Team { .. },
                    ..
                }
                | Style::Batch {
                    read: Read::Team { .. },
                    ..
                }
        )
    }
}

/// Where a team's members are read from.
#[derive(Debug, Clone)]
pub enum Read {
    /// A member listing of their own.
    Listing(Listing),
    /// An array on the team object itself.
    Team {
        /// Where the array is in the team object.
        pointer: Pointer,
        /// Where the key is in one element ("" for elements that are keys).
        key: Pointer,
    },
}

/// How many members one membership call carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fan {
    /// One call per member: `{member}` in the path or `"{member}"` in the body.
    PerMember,
    /// One call for all the members added (or removed): `"{members}"` in the body.
    All,
}

/// An add or remove call: its endpoint and the body template sent with it.
#[derive(Debug, Clone)]
pub struct MemberCall {
    /// The endpoint; `{member}` in its path is the member's key.
    pub endpoint: Endpoint,
    /// The body template, in which `"{member}"` and `"{members}"` are replaced.
    pub body: Option<Value>,
    /// One call per member, or one for all.
    pub fan: Fan,
}

/// How the `list` style writes the member array.
#[derive(Debug, Clone)]
pub struct ListWrite {
    /// Where the array goes in the team's update body; `None`: where it is read, the elements kept as read.
    pub pointer: Option<Pointer>,
    /// One new element.
    pub item: Item,
}

/// One member element as written.
#[derive(Debug, Clone)]
pub enum Item {
    /// The key itself.
    Bare,
    /// An object with the key at this pointer (the read shape, `{"id": 1}`).
    KeyAt(Pointer),
    /// A template in which `"{member}"` is the key.
    Template(Value),
}

// === impl MemberCall ===

impl MemberCall {
    /// A call of `endpoint` with an optional body template. `Err` says what is wrong: no `{member}` anywhere,
    /// both `"{member}"` and `"{members}"`, or `"{members}"` with a `{member}` path.
    pub fn new(endpoint: Endpoint, body: Option<Value>) -> Result<Self, String> {
        let (one, all) = body
            .as_ref()
            .map_or((false, false), |b| (holds(b, MEMBER), holds(b, MEMBERS)));
        let fan = match (endpoint.has_member(), one, all) {
            (_, true, true) => return Err("the body holds both \"{member}\" and \"{members}\"; use one".into()),
            (true, _, true) => {
                return Err(
                    "\"{members}\" (one call for all) cannot go with {member} in the path (a call each)".into(),
                );
            }
            (true, _, false) | (false, true, false) => Fan::PerMember,
            (false, false, true) => Fan::All,
            (false, false, false) => {
                return Err(
                    "needs {member} in the path, or a body (add_body / remove_body) holding \"{member}\" or \"{members}\""
                        .into(),
                );
            }
        };
        Ok(MemberCall { endpoint, body, fan })
    }

    /// The body of a call for these keys (one key for a per-member call), if the call has a body.
    pub fn body_for(&self, keys: &[Value]) -> Option<Value> {
        let member = keys.first().cloned().unwrap_or(Value::Null);
        let members = Value::Array(keys.to_vec());
        self.body.as_ref().map(|b| fill(b, &member, &members))
    }
}

// === impl Item ===

impl Item {
    /// The element written for `key`.
    pub fn render(&self, key: Value) -> Value {
        match self {
            Item::Bare => key,
            Item::KeyAt(pointer) => {
                let mut element = Value::Object(serde_json::Map::new());
                // A pointer into a fresh object only meets objects on its way.
                let _ = pointer.set(&mut element, key);
                element
            }
            Item::Template(template) => fill(template, &key, &Value::Null),
        }
    }
}

/// Whether the string `mark` is a value somewhere in `template`.
pub fn holds(template: &Value, mark: &str) -> bool {
    match template {
        Value::String(s) => s == mark,
        Value::Array(items) => items.iter().any(|v| holds(v, mark)),
        Value::Object(map) => map.values().any(|v| holds(v, mark)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// `template` with each string `"{member}"` replaced by `member` and each `"{members}"` by `members`.
fn fill(template: &Value, member: &Value, members: &Value) -> Value {
    match template {
        Value::String(s) if s == MEMBER => member.clone(),
        Value::String(s) if s == MEMBERS => members.clone(),
        Value::Array(items) => Value::Array(items.iter().map(|v| fill(v, member, members)).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), fill(v, member, members))).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(endpoint: &str, body: Option<Value>) -> Result<MemberCall, String> {
        MemberCall::new(Endpoint::parse_member(endpoint).unwrap(), body)
    }

    #[test]
    fn a_members_body_is_one_call_for_all_keys() {
        let c = call("POST /groups/{id}/users", Some(json!({"users": "{members}"}))).unwrap();
        assert_eq!(c.fan, Fan::All);
        assert_eq!(
            c.body_for(&[json!("ada"), json!("bob")]),
            Some(json!({"users": ["ada", "bob"]}))
        );
    }

    #[test]
    fn a_member_body_or_path_is_one_call_per_key() {
        let c = call(
            "POST /groups/{id}/members",
            Some(json!({"user": {"id": "{member}"}, "role": "x"})),
        )
        .unwrap();
        assert_eq!(c.fan, Fan::PerMember);
        assert_eq!(c.body_for(&[json!(7)]), Some(json!({"user": {"id": 7}, "role": "x"})));
        let c = call(
            "PUT /api/permissions/{id}/{member}",
            Some(json!({"read": ".*", "write": ""})),
        )
        .unwrap();
        assert_eq!(c.fan, Fan::PerMember);
        assert_eq!(c.body_for(&[json!("ada")]), Some(json!({"read": ".*", "write": ""})));
        let c = call("PUT /teams/{id}/members/{member}", None).unwrap();
        assert_eq!((c.fan, c.body_for(&[json!(1)])), (Fan::PerMember, None));
        let c = call("POST /groups/{id}/users", Some(json!({"users": ["{member}"]}))).unwrap();
        assert_eq!(c.body_for(&[json!("ada")]), Some(json!({"users": ["ada"]})));
    }

    #[test]
    fn a_call_without_a_member_anywhere_or_with_both_marks_is_refused() {
        for (endpoint, body) in [
            ("POST /groups/{id}/users", None),
            ("POST /groups/{id}/users", Some(json!({"users": "members"}))),
            (
                "POST /groups/{id}/users",
                Some(json!({"a": "{member}", "b": "{members}"})),
            ),
            ("PUT /teams/{id}/members/{member}", Some(json!({"all": "{members}"}))),
        ] {
            assert!(call(endpoint, body.clone()).is_err(), "{endpoint} {body:?}");
        }
    }

    #[test]
    fn list_items_are_written_bare_at_a_key_or_from_a_template() {
        assert_eq!(Item::Bare.render(json!(1)), json!(1));
        let at = Item::KeyAt(Pointer::parse("/user/id").unwrap());
        assert_eq!(at.render(json!(1)), json!({"user": {"id": 1}}));
        let t = Item::Template(json!({"id": "{member}", "access": "member"}));
        assert_eq!(t.render(json!("ada")), json!({"id": "ada", "access": "member"}));
    }
}
