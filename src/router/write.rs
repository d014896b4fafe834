//! Writes run to their end. A `POST`, `PUT`, `PATCH` or `DELETE` of a user or group, once its body is read, runs
//! in a task of its own: an IdP that disconnects or resets its stream, or the request timeout answering it
//! first, cancels only the wait for the answer, never the product calls. The task writes the audit line of its
//! outcome either way — a success where the operation makes it, a failure here, with what it tried to write.

use super::dispatch::{Call, dispatch};
use crate::audit::{self, Action, Target};
use crate::gateway::Gateway;
use crate::ops::{Context, Reply};
use crate::scim::{self, json};
use crate::tenant::Tenant;
use crate::upstream::PRODUCT_CALLS;
use serde_json::Value;
use std::cell::Cell;
use std::sync::Arc;
use tracing::Instrument as _;

/// What a write needs once detached from its request.
pub struct Write {
    /// The runtime whose settings it runs under.
    pub gw: Arc<Gateway>,
    /// The authenticated tenant.
    pub tenant: Arc<Tenant>,
    /// The SCIM base URL for `meta.location`.
    pub base_url: String,
    /// The request's `If-Match`.
    pub if_match: Option<String>,
    /// The operation, its body read.
    pub call: Call,
    /// The audited resource type and action.
    pub audit: (&'static str, Action),
}

impl Write {
    /// Run the write in its own task and wait for its outcome; the product calls it made are added to the
    /// request's count. Dropping the returned future leaves the task running to its end.
    pub async fn run(self) -> Result<Reply, scim::Error> {
        let writes = self.gw.writes.clone();
        let task = writes.spawn(self.finish().instrument(tracing::Span::current()));
        match task.await {
            Ok((outcome, calls)) => {
                let _ = PRODUCT_CALLS.try_with(|n| n.set(n.get() + calls));
                outcome
            }
            Err(e) => Err(scim::Error::internal("the change could not be completed").with_cause(e.to_string())),
        }
    }

    /// The operation, then the audit line of a failure; the product calls made.
    async fn finish(self) -> (Result<Reply, scim::Error>, u32) {
        let Write {
            gw,
            tenant,
            base_url,
            if_match,
            call,
            audit: (resource, action),
        } = self;
        let target = target(call.id.as_deref(), &call.body);
        let ctx = Context {
            tenant,
            base_url,
            settings: &gw.settings,
            if_match,
        };
        let (outcome, calls) = PRODUCT_CALLS
            .scope(Cell::new(0), async {
                let outcome = dispatch(&ctx, call).await;
                (outcome, PRODUCT_CALLS.with(Cell::get))
            })
            .await;
        if let Err(e) = &outcome {
            let outcome = audit::outcome(e.status);
            audit::record_failure(ctx.tenant.id.as_str(), resource, action, &target, &outcome);
        }
        (outcome, calls)
    }
}

/// What a write names: the SCIM id of its path (decoded), and the `userName`, `externalId` and `displayName` its
/// body sets — at the top level of a resource, or in a PATCH operation (`"path": "userName"`, or a value object
/// without a path).
pub fn target(id: Option<&str>, body: &Value) -> Target {
    let id = id
        .map(|id| {
            percent_encoding::percent_decode_str(id)
                .decode_utf8_lossy()
                .into_owned()
        })
        .filter(|id| !id.is_empty());
    let mut target = Target {
        scim_id: id,
        ..Target::default()
    };
    let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
    let mut take = |name: &str, value: &Value| {
        let slot = if name.eq_ignore_ascii_case("userName") {
            &mut target.user_name
        } else if name.eq_ignore_ascii_case("externalId") {
            &mut target.external_id
        } else if name.eq_ignore_ascii_case("displayName") {
            &mut target.display_name
        } else {
            return;
        };
        if let Some(value) = text(value) {
            *slot = Some(value);
        }
    };
    if let Some(resource) = body.as_object() {
        for (name, value) in resource {
            take(name, value);
        }
    }
    let operations = json::get(body, "Operations").and_then(Value::as_array);
    for op in operations.into_iter().flatten() {
        let value = json::get(op, "value").unwrap_or(&Value::Null);
        match json::get(op, "path").and_then(Value::as_str) {
            Some(path) => take(path, value),
            None => {
                for (name, value) in value.as_object().into_iter().flatten() {
                    take(name, value);
                }
            }
        }
    }
    target
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_create_names_the_identity_it_sends() {
        let t = target(
            None,
            &json!({"userName": "ada@example.com", "externalId": "e1", "displayName": "", "name": {}}),
        );
        assert_eq!(t.scim_id, None, "no empty id");
        assert_eq!(t.user_name.as_deref(), Some("ada@example.com"));
        assert_eq!(t.external_id.as_deref(), Some("e1"));
        assert_eq!(t.display_name, None);
    }

    #[test]
    fn a_patch_names_its_id_and_the_names_it_sets() {
        let body = json!({"Operations": [
            {"op": "Replace", "path": "userName", "value": "new@example.com"},
            {"op": "replace", "value": {"externalId": "e2", "active": false}},
            {"op": "add", "path": "members", "value": [{"value": "7"}]},
        ]});
        let t = target(Some("a%40b"), &body);
        assert_eq!(t.scim_id.as_deref(), Some("a@b"));
        assert_eq!(t.user_name.as_deref(), Some("new@example.com"));
        assert_eq!(t.external_id.as_deref(), Some("e2"));
        assert_eq!(target(Some(""), &Value::Null), Target::default());
    }
}
