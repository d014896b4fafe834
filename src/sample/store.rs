//! The sample product's data: users, teams and team memberships, held in memory, whatever the API shape.
//!
//! Pure and synchronous, and ignorant of JSON: each API shape (`api/classic`, `api/named`, `api/uuid`) parses a body
//! into [`UserFields`] / [`TeamFields`], resolves its own keys (integer id, name, UUID) through the lookups here, takes
//! the lock, calls one method and renders the objects it gets back. This module owns what holds in every shape:
//! uniqueness (a user's email and login, a team's name, all case-insensitive), ids (a sequence from 1, never reused,
//! plus a random UUID v4 per object), the `created_at`, `updated_at` and `version` bookkeeping, and memberships.
//!
//! A write that changes nothing leaves `version` and `updated_at` alone. A membership change bumps the objects on
//! the side that renders memberships ([`MembersOn`]): the team in the classic and named shapes, the user in the uuid
//! shape; each object moves at most once per call.

mod teams;
mod users;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use time::OffsetDateTime;
use time::macros::format_description;

/// Gives the current time as the API renders it (RFC 3339, UTC, whole seconds).
pub type Clock = fn() -> String;

/// The product's internal, sequential id of a user (the classic shape shows it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(pub u64);

/// The product's internal, sequential id of a team (the classic shape shows it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TeamId(pub u64);

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

/// Which objects render memberships, and so get a new version when a membership changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MembersOn {
    /// Teams list their members (classic, named).
    Teams,
    /// Users list their teams (uuid).
    Users,
}

/// Everything a client can write on a user, in shape-neutral terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserFields {
    /// The sign-in name (`username` in the named shape, `login` in the uuid shape, absent in the classic shape);
    /// unique case-insensitively when present.
    pub login: Option<String>,
    /// Unique case-insensitively when present (the named and uuid shapes require it; the classic shape requires it
    /// or a `username`).
    pub email: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// The full name as the client formats it.
    pub formatted_name: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// The client's own reference (matched exactly by list filters).
    pub external_ref: Option<String>,
    /// Department.
    pub department: Option<String>,
    /// Employee number.
    pub employee_number: Option<String>,
    /// The id the client gives the user's manager (free text: the product does not check it).
    pub manager_id: Option<String>,
    /// Locale, e.g. `en-US`.
    pub locale: Option<String>,
    /// Preferred language, e.g. `en`.
    pub preferred_language: Option<String>,
    /// Mobile phone number.
    pub mobile: Option<String>,
    /// The initial password: write-only, never rendered by any shape.
    pub password: Option<String>,
    /// Kept, but locked out (`status: suspended` / `disabled: true`).
    pub disabled: bool,
    /// Custom field values by field id (the classic shape: read as `custom_fields`, written as
    /// `custom_field_values`).
    pub custom: BTreeMap<u64, String>,
    /// A free-form profile object, replaced whole by every write that names it (the classic shape).
    pub profile: Option<serde_json::Map<String, serde_json::Value>>,
    /// The one team id a user field holds (the classic shape's `team_id`); apart from team memberships.
    pub team: Option<u64>,
}

/// Everything a client can write on a team.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TeamFields {
    /// Unique case-insensitively; never empty.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// The client's own reference (matched exactly by list filters).
    pub external_ref: Option<String>,
}

/// The product's bookkeeping on every object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    /// When the object was created.
    pub created_at: String,
    /// When the object last changed.
    pub updated_at: String,
    /// 1 at creation, +1 per change.
    pub version: u64,
}

impl Meta {
    fn new(now: String) -> Self {
        Meta {
            created_at: now.clone(),
            updated_at: now,
            version: 1,
        }
    }

    fn touch(&mut self, now: &str) {
        self.updated_at = now.to_owned();
        self.version += 1;
    }
}

/// One user as stored.
#[derive(Clone, Debug)]
pub struct User {
    /// Sequential id.
    pub id: UserId,
    /// Random UUID v4, lowercase hex.
    pub uuid: String,
    /// What clients wrote.
    pub fields: UserFields,
    /// Bookkeeping.
    pub meta: Meta,
}

/// One team as stored.
#[derive(Clone, Debug)]
pub struct Team {
    /// Sequential id.
    pub id: TeamId,
    /// Random UUID v4, lowercase hex.
    pub uuid: String,
    /// What clients wrote.
    pub fields: TeamFields,
    /// The members, ordered by user id (that is, by creation).
    pub members: BTreeSet<UserId>,
    /// Bookkeeping.
    pub meta: Meta,
}

/// All data of one sample product.
#[derive(Debug)]
pub struct Store {
    users: BTreeMap<UserId, User>,
    teams: BTreeMap<TeamId, Team>,
    /// Lower-cased email → owner.
    emails: HashMap<String, UserId>,
    /// Lower-cased login → owner.
    logins: HashMap<String, UserId>,
    /// UUID → user.
    user_uuids: HashMap<String, UserId>,
    /// Lower-cased team name → team.
    team_names: HashMap<String, TeamId>,
    /// UUID → team.
    team_uuids: HashMap<String, TeamId>,
    last_user: u64,
    last_team: u64,
    members_on: MembersOn,
    clock: Clock,
}

impl Default for Store {
    fn default() -> Self {
        Store::new(MembersOn::Teams)
    }
}

// === impl Store ===

impl Store {
    /// An empty store on the wall clock.
    pub fn new(members_on: MembersOn) -> Self {
        Store::with_clock(members_on, utc_now)
    }

    /// An empty store whose timestamps come from `clock`.
    pub fn with_clock(members_on: MembersOn, clock: Clock) -> Self {
        Store {
            users: BTreeMap::new(),
            teams: BTreeMap::new(),
            emails: HashMap::new(),
            logins: HashMap::new(),
            user_uuids: HashMap::new(),
            team_names: HashMap::new(),
            team_uuids: HashMap::new(),
            last_user: 0,
            last_team: 0,
            members_on,
            clock,
        }
    }

    fn now(&self) -> String {
        (self.clock)()
    }

    /// Bumps every object in `touched` once.
    fn commit(&mut self, touched: Touched) {
        let now = self.now();
        for id in touched.users {
            if let Some(user) = self.users.get_mut(&id) {
                user.meta.touch(&now);
            }
        }
        for id in touched.teams {
            if let Some(team) = self.teams.get_mut(&id) {
                team.meta.touch(&now);
            }
        }
    }
}

/// The objects one store call changed, each to be bumped once.
#[derive(Debug, Default)]
struct Touched {
    users: BTreeSet<UserId>,
    teams: BTreeSet<TeamId>,
}

impl Touched {
    /// Notes that the membership of `user` in `team` changed, on the side that renders it.
    fn membership(&mut self, side: MembersOn, team: TeamId, user: UserId) {
        match side {
            MembersOn::Teams => self.teams.insert(team),
            MembersOn::Users => self.users.insert(user),
        };
    }
}

/// A fresh random UUID v4 in its 8-4-4-4-12 lowercase hex form.
pub fn new_uuid() -> String {
    let bits = rand::random::<u128>();
    // RFC 9562 §5.4: version 4 in bits 48..52, variant 0b10 in bits 64..66.
    let bits = (bits & !(0xF_u128 << 76) & !(0x3_u128 << 62)) | (0x4_u128 << 76) | (0x2_u128 << 62);
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Whether `text` is a UUID in 8-4-4-4-12 hex form (either case).
pub fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(at, c)| match at {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The current UTC time in RFC 3339 with whole seconds, e.g. `2026-11-24T12:00:00Z`.
pub fn utc_now() -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    // Formatting a UTC time with every component present cannot fail; the fallback only keeps this total.
    OffsetDateTime::now_utc()
        .format(format)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}
