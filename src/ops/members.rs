//! Group members over the mapping's membership style: reading a team's members as SCIM user ids, and adding and
//! removing members with as few product calls as the style allows, concurrently within the tenant's bound.
//!
//! Adding a member who is already there and removing one who is not are success (IdPs retry). When some changes
//! fail, the error names each member that was not applied and why; the others stay applied, so repeating the same
//! request converges.

use super::Context;
use crate::audit::{self, Action};
use crate::mapping::GroupMapping;
use crate::mapping::api::{Api, ProductId};
use crate::mapping::listing::{self, Source};
use crate::mapping::members::{Members, Style};
use crate::mapping::pointer::Pointer;
use crate::scim::{Error, ScimType};
use futures_util::StreamExt;

mod keys;
use http::StatusCode;
use serde_json::{Map, Value};

/// A membership key or id as text: strings as they are, numbers in decimal.
pub fn key_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(_) | Value::Null | Value::Bool(_) | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Membership calls for one tenant's groups.
pub struct Membership<'c> {
    ctx: &'c Context<'c>,
    users: Api<'c>,
    teams: &'c Api<'c>,
    members: &'c Members,
}

/// A member change (adding or not, the user's SCIM id) with the user as read: its product id and object.
type Read = (bool, String, Result<Option<(ProductId, Value)>, Error>);

/// One member change that was not applied.
struct Failure {
    what: String,
    error: Error,
}

impl<'c> Membership<'c> {
    /// Membership of `group`'s teams, reached through `teams`.
    pub fn new(ctx: &'c Context<'c>, teams: &'c Api<'c>, group: &'c GroupMapping) -> Self {
        let mapping = &ctx.tenant.mapping;
        Membership {
            ctx,
            users: Api::new(&ctx.tenant.upstream, mapping, &mapping.users),
            teams,
            members: &group.members,
        }
    }

    /// The SCIM ids of a team's members (`team` is the team object just read).
    pub async fn read(&self, pid: &ProductId, team: &Value) -> Result<Vec<String>, Error> {
        let limit = self.ctx.settings.scan_limit as usize;
        let keys = match &self.members.style {
            Style::Endpoints { listing: l, .. } | Style::Batch { listing: l, .. } => {
                let mut paging = self.teams.resource().paging.clone();
                paging.items = l.items.clone();
                let source = Source {
                    paging: &paging,
                    endpoint: &l.endpoint,
                    id: Some(pid),
                };
                let items = listing::scan(self.teams, source, &[], limit, "members").await?;
                items.iter().filter_map(|i| key_text(l.key.get(i))).collect()
            }
            Style::List { pointer } => match pointer.get(team) {
                Some(Value::Array(items)) => items.iter().filter_map(|i| key_text(Some(i))).collect(),
                _ => Vec::new(),
            },
            Style::UserField { filter_param, .. } => {
                let query = [(filter_param.clone(), pid.as_str().to_owned())];
                let users = listing::scan(&self.users, Source::of(&self.users), &query, limit, "users").await?;
                let mut ids = Vec::new();
                for object in &users {
                    ids.push(self.users.id_of(object)?);
                }
                return Ok(ids);
            }
        };
        self.users_of(keys).await
    }

    /// Add and remove members (SCIM user ids). Already-there adds and already-gone removes succeed.
    pub async fn change(
        &self,
        pid: &ProductId,
        team: &Value,
        adds: &[String],
        removes: &[String],
    ) -> Result<(), Error> {
        if adds.is_empty() && removes.is_empty() {
            return Ok(());
        }
        let mut failures = Vec::new();
        let (add_keys, remove_keys) = match &self.members.style {
            Style::UserField { pointer, .. } => {
                failures.extend(self.change_user_fields(pid, team, pointer, adds, removes).await?);
                return self.finish(pid, adds, removes, failures);
            }
            _ => (
                self.keys(adds, &mut failures).await?,
                self.keys(removes, &mut failures).await?,
            ),
        };
        match &self.members.style {
            Style::Endpoints { add, remove, .. } => {
                let mut calls = Vec::new();
                for (adding, (id, key)) in add_keys
                    .iter()
                    .map(|k| (true, k))
                    .chain(remove_keys.iter().map(|k| (false, k)))
                {
                    let endpoint = if adding { add } else { remove };
                    calls.push(self.member_call(endpoint, pid, adding, id.clone(), key.clone()));
                }
                let results: Vec<Option<Failure>> = futures_util::stream::iter(calls)
                    .buffer_unordered(self.members.concurrency)
                    .collect()
                    .await;
                failures.extend(results.into_iter().flatten());
            }
            Style::Batch { .. } | Style::List { .. } => {
                let mut adds = add_keys;
                let mut outcome = self.write_all(pid, team, &adds, &remove_keys).await;
                // One call carries every change, so one unknown user fails them all: find which added users the
                // product does not have, leave them out, and apply the rest.
                if let Err(e) = &outcome
                    && e.status.is_client_error()
                    && !adds.is_empty()
                {
                    let missing = self.missing_users(&adds).await?;
                    if !missing.is_empty() {
                        adds.retain(|(id, _)| !missing.contains(id));
                        failures.extend(missing.iter().map(|id| Failure {
                            what: format!("add {id}"),
                            error: no_such_user(id),
                        }));
                        outcome = self.write_all(pid, team, &adds, &remove_keys).await;
                    }
                }
                if let Err(error) = outcome {
                    let all = adds.iter().map(|(id, _)| format!("add {id}"));
                    let all = all.chain(remove_keys.iter().map(|(id, _)| format!("remove {id}")));
                    failures.extend(all.map(|what| Failure {
                        what,
                        error: error.clone(),
                    }));
                }
            }
            Style::UserField { .. } => {}
        }
        self.finish(pid, adds, removes, failures)
    }

    /// Every change in one product call (the `batch` and `list` styles).
    async fn write_all(
        &self,
        pid: &ProductId,
        team: &Value,
        adds: &[(String, String)],
        removes: &[(String, String)],
    ) -> Result<(), Error> {
        match &self.members.style {
            Style::Batch { call, add, remove, .. } => {
                if adds.is_empty() && removes.is_empty() {
                    return Ok(());
                }
                let mut body = Value::Object(Map::new());
                let as_json =
                    |keys: &[(String, String)]| Value::Array(keys.iter().map(|(_, k)| self.key_json(k)).collect());
                if !adds.is_empty() {
                    super::objects::set(add, &mut body, as_json(adds))?;
                }
                if !removes.is_empty() {
                    super::objects::set(remove, &mut body, as_json(removes))?;
                }
                let r = self.teams.send(call, Some(pid), None, &[], Some(body)).await?;
                if r.status.is_success() {
                    Ok(())
                } else {
                    Err(self.teams.error(&r))
                }
            }
            Style::List { pointer } => self.change_list(pid, team, pointer, adds, removes).await,
            _ => Ok(()),
        }
    }

    /// The ids among `adds` whose user the product does not have.
    async fn missing_users(&self, adds: &[(String, String)]) -> Result<Vec<String>, Error> {
        let mut missing = Vec::new();
        for (id, _) in adds {
            let exists = match self.users.product_id(id) {
                Some(upid) => self.users.get(&upid).await?.is_some(),
                None => false,
            };
            if !exists {
                missing.push(id.clone());
            }
        }
        Ok(missing)
    }

    /// Write each member change to the audit trail, then report the failures, if any.
    fn finish(
        &self,
        pid: &ProductId,
        adds: &[String],
        removes: &[String],
        failures: Vec<Failure>,
    ) -> Result<(), Error> {
        let tenant = self.ctx.tenant.id.as_str();
        for (action, verb, ids) in [
            (Action::MemberAdd, "add", adds),
            (Action::MemberRemove, "remove", removes),
        ] {
            for id in ids {
                let failed = failures
                    .iter()
                    .find(|f| f.what == format!("{verb} {id}") || f.what == format!("member {id}"));
                let outcome = failed.map_or_else(|| "ok".to_owned(), |f| audit::outcome(f.error.status));
                audit::record(tenant, "Group", action, pid.as_str(), Some(id), &outcome);
            }
        }
        report(failures, adds.len() + removes.len())
    }

    /// One member endpoint call; `None` when the member is where the IdP wants it.
    async fn member_call(
        &self,
        endpoint: &crate::mapping::endpoint::Endpoint,
        pid: &ProductId,
        adding: bool,
        id: String,
        key: String,
    ) -> Option<Failure> {
        let outcome = self.teams.send(endpoint, Some(pid), Some(&key), &[], None).await;
        let error = match outcome {
            Ok(r) if r.status.is_success() => return None,
            // Already a member / already gone: the state the IdP asked for.
            Ok(r) if adding && r.status == StatusCode::CONFLICT => return None,
            Ok(r) if !adding && r.status == StatusCode::NOT_FOUND => return None,
            Ok(r) if r.status == StatusCode::NOT_FOUND => no_such_user(&id),
            Ok(r) => self.teams.error(&r),
            Err(e) => e.into(),
        };
        Some(Failure {
            what: format!("{} {id}", if adding { "add" } else { "remove" }),
            error,
        })
    }

    /// Read–modify–write of the member array on the team object.
    async fn change_list(
        &self,
        pid: &ProductId,
        team: &Value,
        pointer: &Pointer,
        adds: &[(String, String)],
        removes: &[(String, String)],
    ) -> Result<(), Error> {
        let current: Vec<Value> = match pointer.get(team) {
            Some(Value::Array(items)) => items.clone(),
            _ => Vec::new(),
        };
        let mut next: Vec<Value> = current
            .iter()
            .filter(|v| !removes.iter().any(|(_, k)| key_text(Some(v)).as_deref() == Some(k)))
            .cloned()
            .collect();
        for (_, key) in adds {
            if !next.iter().any(|v| key_text(Some(v)).as_deref() == Some(key)) {
                next.push(self.key_json(key));
            }
        }
        if next == current {
            return Ok(());
        }
        let body = self.write_body(self.teams, team, pointer, Value::Array(next))?;
        self.teams
            .update(pid, body)
            .await?
            .map(|_| ())
            .ok_or_else(|| Error::not_found("the group no longer exists"))
    }

    /// Each member's user object gets the team added to or removed from its team field. Every user is read
    /// first: a single-valued team field that holds another team refuses the whole change with 409 before
    /// anything is written, rather than moving the user out of its other team.
    async fn change_user_fields(
        &self,
        pid: &ProductId,
        team: &Value,
        pointer: &Pointer,
        adds: &[String],
        removes: &[String],
    ) -> Result<Vec<Failure>, Error> {
        let team_id = self
            .teams
            .resource()
            .id
            .get(team)
            .cloned()
            .unwrap_or(Value::String(pid.as_str().to_owned()));
        let mut lookups = Vec::new();
        for (adding, id) in adds
            .iter()
            .map(|id| (true, id))
            .chain(removes.iter().map(|id| (false, id)))
        {
            lookups.push(self.user(adding, id.clone()));
        }
        let reads: Vec<Read> = futures_util::stream::iter(lookups)
            .buffered(self.members.concurrency)
            .collect()
            .await;
        let occupied: Vec<String> = reads
            .iter()
            .filter(|(adding, _, _)| *adding)
            .filter_map(|(_, id, read)| {
                let held = pointer.get(&read.as_ref().ok()?.as_ref()?.1)?;
                let other = key_text(Some(held)).filter(|_| !held.is_array())?;
                (Some(&other) != key_text(Some(&team_id)).as_ref())
                    .then(|| format!("user {id:?} is in group {other:?}"))
            })
            .collect();
        if !occupied.is_empty() {
            return Err(Error::conflict(format!(
                "{}; this service holds one group per user, so adding to group {:?} was refused and nothing was \
                 changed: remove the user from its group first",
                occupied.join(", "),
                pid.as_str()
            )));
        }
        let mut calls = Vec::new();
        for read in reads {
            calls.push(self.user_field_call(pointer, team_id.clone(), read));
        }
        let results: Vec<Option<Failure>> = futures_util::stream::iter(calls)
            .buffer_unordered(self.members.concurrency)
            .collect()
            .await;
        Ok(results.into_iter().flatten().collect())
    }

    /// A member change with its user read by SCIM id (`None` when there is no such user).
    async fn user(&self, adding: bool, id: String) -> Read {
        let user = match self.users.product_id(&id) {
            None => Ok(None),
            Some(upid) => self.users.get(&upid).await.map(|u| u.map(|user| (upid, user))),
        };
        (adding, id, user)
    }

    async fn user_field_call(&self, pointer: &Pointer, team_id: Value, read: Read) -> Option<Failure> {
        let (adding, id, user) = read;
        let outcome = match user {
            Ok(user) => self.change_user_field(pointer, &team_id, adding, &id, user).await,
            Err(e) => Err(e),
        };
        outcome.err().map(|error| Failure {
            what: format!("{} {id}", if adding { "add" } else { "remove" }),
            error,
        })
    }

    async fn change_user_field(
        &self,
        pointer: &Pointer,
        team_id: &Value,
        adding: bool,
        id: &str,
        user: Option<(ProductId, Value)>,
    ) -> Result<(), Error> {
        let Some((upid, user)) = user else {
            return if adding { Err(no_such_user(id)) } else { Ok(()) };
        };
        let same = |v: &Value| key_text(Some(v)) == key_text(Some(team_id));
        let next = match (pointer.get(&user), adding) {
            (Some(Value::Array(items)), true) if items.iter().any(same) => return Ok(()),
            (Some(Value::Array(items)), true) => Value::Array(items.iter().cloned().chain([team_id.clone()]).collect()),
            (Some(Value::Array(items)), false) if !items.iter().any(same) => return Ok(()),
            (Some(Value::Array(items)), false) => Value::Array(items.iter().filter(|v| !same(v)).cloned().collect()),
            (Some(v), true) if same(v) => return Ok(()),
            (_, true) => team_id.clone(),
            // A single-valued team field is cleared when its team loses the user.
            (Some(v), false) if same(v) => Value::Null,
            (_, false) => return Ok(()),
        };
        let body = self.write_body(&self.users, &user, pointer, next)?;
        match self.users.update(&upid, body).await? {
            Some(_) => Ok(()),
            None if adding => Err(no_such_user(id)),
            None => Ok(()),
        }
    }

    /// The update body that sets `pointer` to `value` in `object`: that field alone for a partial update, the
    /// whole object (without read-only fields) for a replace.
    fn write_body(&self, api: &Api<'_>, object: &Value, pointer: &Pointer, value: Value) -> Result<Value, Error> {
        let mut body = if api.update_replaces() {
            let mut whole = object.clone();
            for rule in api.resource().attributes.rules().iter().filter(|r| r.read_only) {
                rule.strip(&mut whole);
            }
            whole
        } else {
            Value::Object(Map::new())
        };
        super::objects::set(pointer, &mut body, value)?;
        Ok(body)
    }
}

fn no_such_user(id: &str) -> Error {
    Error::bad_request(ScimType::InvalidValue, format!("no user has id {id:?}"))
}

/// Success, or one error naming every change that was not applied.
fn report(failures: Vec<Failure>, total: usize) -> Result<(), Error> {
    let Some(first) = failures.first() else {
        return Ok(());
    };
    // A product or transport failure outranks a bad member value: the IdP should retry those.
    let status = failures
        .iter()
        .map(|f| f.error.status)
        .find(|s| s.is_server_error() || *s == StatusCode::TOO_MANY_REQUESTS)
        .unwrap_or(first.error.status);
    let list: Vec<String> = failures
        .iter()
        .map(|f| format!("{} ({})", f.what, f.error.detail))
        .collect();
    let detail = format!(
        "{} of {total} member changes were not applied: {}; the others were applied, and repeating the request applies the rest",
        failures.len(),
        list.join("; ")
    );
    let mut error = Error::new(status, detail);
    if status == StatusCode::BAD_REQUEST {
        error = error.with_type(ScimType::InvalidValue);
    }
    if let Some(after) = failures.iter().find_map(|f| f.error.retry_after) {
        error = error.with_retry_after(after);
    }
    Err(error)
}
