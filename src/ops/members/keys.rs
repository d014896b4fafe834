//! Membership keys: the SCIM member value is the user id; the product's membership data may hold another field
//! of the user (`user_key`). Translation both ways goes through the tenant's id cache.

use super::{Failure, Membership, key_text, no_such_user};
use crate::cache::Key;
use crate::mapping::IdType;
use crate::mapping::listing::{self, Source};
use crate::ops::{objects, resource, users};
use crate::scim::{Error, ScimType};
use futures_util::StreamExt;
use serde_json::Value;

impl Membership<'_> {
    /// A key as the product's JSON: a number when user ids are integers and are the keys.
    pub(super) fn key_json(&self, key: &str) -> Value {
        if self.members.user_key.is_none()
            && self.users.resource().id_type == IdType::Integer
            && let Ok(n) = key.parse::<u64>()
        {
            return Value::from(n);
        }
        Value::String(key.to_owned())
    }

    /// (user id, membership key) of each id; ids that cannot be users become failures.
    pub(super) async fn keys(
        &self,
        ids: &[String],
        failures: &mut Vec<Failure>,
    ) -> Result<Vec<(String, String)>, Error> {
        let mut out = Vec::new();
        for id in ids {
            match self.key_of(id).await? {
                Some(key) => out.push((id.clone(), key)),
                None => failures.push(Failure {
                    what: format!("member {id}"),
                    error: no_such_user(id),
                }),
            }
        }
        Ok(out)
    }

    /// Refuse, before any product write, members to add that are no user: 400 invalidValue naming each of them.
    /// A request that changes more than one thing checks its members first, so that an unknown member leaves
    /// nothing applied.
    pub async fn check_users(&self, ids: &[String]) -> Result<(), Error> {
        let mut checks = Vec::new();
        for id in ids {
            checks.push(self.exists(id.clone()));
        }
        let results: Vec<(String, Result<bool, Error>)> = futures_util::stream::iter(checks)
            .buffer_unordered(self.members.concurrency)
            .collect()
            .await;
        let mut missing = Vec::new();
        for (id, exists) in results {
            if !exists? {
                missing.push(format!("{id:?}"));
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        missing.sort();
        Err(Error::bad_request(
            ScimType::InvalidValue,
            format!("no user has id {}; nothing was changed", missing.join(", ")),
        ))
    }

    /// Whether the product has the user `id` (a cached membership key counts as yes).
    async fn exists(&self, id: String) -> (String, Result<bool, Error>) {
        let found = match self.users.product_id(&id) {
            None => Ok(false),
            Some(_) if self.members.user_key.is_some() => self.key_of(&id).await.map(|k| k.is_some()),
            Some(upid) => self.users.get(&upid).await.map(|u| u.is_some()),
        };
        (id, found)
    }

    /// The membership key of a user id, through the cache; `None` when there is no such user.
    pub(super) async fn key_of(&self, id: &str) -> Result<Option<String>, Error> {
        let Some(upid) = self.users.product_id(id) else {
            return Ok(None);
        };
        let Some(pointer) = &self.members.user_key else {
            return Ok(Some(id.to_owned()));
        };
        let cache = &self.ctx.tenant.cache;
        if let Some(key) = cache.get(&Key::MemberKey(id.to_owned())) {
            return Ok(Some(key));
        }
        let Some(user) = self.users.get(&upid).await? else {
            return Ok(None);
        };
        let key = key_text(pointer.get(&user));
        if let Some(k) = &key {
            cache.put(Key::MemberKey(id.to_owned()), k.clone());
            cache.put(Key::MemberUser(k.clone()), id);
        }
        Ok(key)
    }

    /// The user ids of membership keys, through the cache; on a miss the users' listing is read once (within the
    /// scan limit) to fill it. Keys of users the gateway cannot see are left out.
    pub(super) async fn users_of(&self, keys: Vec<String>) -> Result<Vec<String>, Error> {
        if self.members.user_key.is_none() {
            return Ok(keys);
        }
        let cache = &self.ctx.tenant.cache;
        let mut out = Vec::new();
        let mut scanned = false;
        for key in keys {
            let mut found = cache.get(&Key::MemberUser(key.clone()));
            if found.is_none() && !scanned {
                scanned = true;
                let limit = self.ctx.settings.scan_limit as usize;
                let all = listing::scan(&self.users, Source::of(&self.users), &[], limit, "users").await?;
                for object in &all {
                    let user = objects::render(self.ctx, resource::USER, &self.users, object)?;
                    users::remember(self.ctx, &user.json, object);
                }
                found = cache.get(&Key::MemberUser(key.clone()));
            }
            match found {
                Some(id) => out.push(id),
                None => tracing::warn!(member = %key, "a team member matches no user; left out of the group"),
            }
        }
        Ok(out)
    }
}
