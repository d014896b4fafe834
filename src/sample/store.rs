//! The sample product's data: users, teams and team memberships, held in memory.
//!
//! Pure and synchronous: the HTTP layer (`api.rs`) parses paths and queries, takes the lock, calls one method here and
//! shapes the reply. This module owns validation of bodies (`fields`), paging (`paging`), uniqueness (email of a user,
//! name of a team, both case-insensitive), id assignment (from 1, never reused) and the read-only `created_at`,
//! `updated_at` and `version` of every object. Answers are the product's API JSON as `serde_json::Value`s.

mod fields;
mod paging;
mod teams;
mod users;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::macros::format_description;

use self::fields::{TeamFields, USER_NULLABLE, UserFields};
pub use self::paging::Page;

/// Gives the current time as the API renders it (RFC 3339, UTC, whole seconds).
pub type Clock = fn() -> String;

/// The id the product gave a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(pub u64);

/// The id the product gave a team.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TeamId(pub u64);

impl UserId {
    /// A path segment as a user id; `None` (answered with 404) unless it is a positive decimal integer.
    pub fn parse(segment: &str) -> Option<Self> {
        positive_int(segment).map(UserId)
    }
}

impl TeamId {
    /// A path segment as a team id; `None` (answered with 404) unless it is a positive decimal integer.
    pub fn parse(segment: &str) -> Option<Self> {
        positive_int(segment).map(TeamId)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for TeamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Whether a write replaces the object or changes only the fields it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    /// `PATCH`: absent fields stay as they are.
    Patch,
    /// `PUT`: absent nullable fields become null, an absent status becomes `active`.
    Replace,
}

/// The exact-match filters of `GET /users`.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// Matches the email case-insensitively.
    pub email: Option<String>,
    /// Matches `external_ref` exactly.
    pub external_ref: Option<String>,
}

/// All data of one sample product.
#[derive(Debug)]
pub struct Store {
    users: BTreeMap<UserId, User>,
    teams: BTreeMap<TeamId, Team>,
    /// Lower-cased email → owner, for uniqueness and the `email` filter.
    emails: HashMap<String, UserId>,
    /// Lower-cased team name → team.
    team_names: HashMap<String, TeamId>,
    last_user: u64,
    last_team: u64,
    clock: Clock,
}

impl Default for Store {
    fn default() -> Self {
        Store::with_clock(utc_now)
    }
}

impl Store {
    /// An empty store on the wall clock.
    pub fn new() -> Self {
        Store::default()
    }

    /// An empty store whose timestamps come from `clock`.
    pub fn with_clock(clock: Clock) -> Self {
        Store {
            users: BTreeMap::new(),
            teams: BTreeMap::new(),
            emails: HashMap::new(),
            team_names: HashMap::new(),
            last_user: 0,
            last_team: 0,
            clock,
        }
    }

    fn now(&self) -> String {
        (self.clock)()
    }
}

/// The product's bookkeeping on every object.
#[derive(Clone, Debug)]
struct Meta {
    created_at: String,
    updated_at: String,
    version: u64,
}

impl Meta {
    fn new(now: String) -> Self {
        Meta {
            created_at: now.clone(),
            updated_at: now,
            version: 1,
        }
    }

    fn touch(&mut self, now: String) {
        self.updated_at = now;
        self.version += 1;
    }

    fn write_into(&self, object: &mut Map<String, Value>) {
        object.insert("created_at".to_owned(), json!(self.created_at));
        object.insert("updated_at".to_owned(), json!(self.updated_at));
        object.insert("version".to_owned(), json!(self.version));
    }
}

#[derive(Clone, Debug)]
struct User {
    id: UserId,
    fields: UserFields,
    meta: Meta,
}

impl User {
    fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("id".to_owned(), json!(self.id.0));
        object.insert("email".to_owned(), json!(self.fields.email));
        for (name, value) in USER_NULLABLE.iter().zip(&self.fields.nullable) {
            object.insert((*name).to_owned(), json!(value));
        }
        object.insert("status".to_owned(), json!(self.fields.status.as_str()));
        self.meta.write_into(&mut object);
        Value::Object(object)
    }
}

#[derive(Clone, Debug)]
struct Team {
    id: TeamId,
    fields: TeamFields,
    meta: Meta,
    members: BTreeSet<UserId>,
}

impl Team {
    fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("id".to_owned(), json!(self.id.0));
        object.insert("name".to_owned(), json!(self.fields.name));
        object.insert("description".to_owned(), json!(self.fields.description));
        self.meta.write_into(&mut object);
        Value::Object(object)
    }
}

/// The current UTC time in RFC 3339 with whole seconds, e.g. `2026-11-24T12:00:00Z`.
pub fn utc_now() -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    // Formatting a UTC time with every component present cannot fail; the fallback only keeps this total.
    OffsetDateTime::now_utc()
        .format(format)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

/// A decimal integer of at least 1, ASCII digits only (no sign, no spaces).
pub(crate) fn positive_int(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|n| *n >= 1)
}
