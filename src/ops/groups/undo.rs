//! Undoing the part of a group write that was applied when its member changes fail, so that the IdP gets an
//! error over nothing applied, or an error that says what was left.

use super::{GROUP, without_members, write};
use crate::audit::{self, Action};
use crate::mapping::api::{Api, ProductId};
use crate::ops::Context;
use crate::scim::Error;
use serde_json::Value;

/// The members of a group just created could not all be added: the group is deleted again, so that the IdP's
/// retry creates it anew. When the delete fails too, the answer names the group left behind.
pub(super) async fn undo_create(ctx: &Context<'_>, api: &Api<'_>, pid: &ProductId, failed: Error) -> Error {
    let id = pid.as_str();
    let mut error = failed;
    match api.delete(pid).await {
        Ok(_) => {
            error.detail = format!(
                "the group was not created: its members could not be added ({}), so it was deleted again",
                error.detail
            );
        }
        Err(undo) => {
            let outcome = error.status.as_u16().to_string();
            audit::record(ctx.tenant.id.as_str(), GROUP.name, Action::Create, id, None, &outcome);
            error.detail = format!(
                "group {id:?} was created, but its members could not all be added ({}), and deleting it again \
                 failed ({})",
                error.detail, undo.detail
            );
        }
    }
    error
}

/// Whether `after` changes a writable attribute of the group `before`. Such a write is all or nothing: its new
/// members are checked before any product call, and a member change that still fails writes the old attributes
/// back. (A create is undone by deleting the group; a change of members alone names what it did not apply.)
pub(super) fn changes_attributes(api: &Api<'_>, before: &Value, after: &Value) -> bool {
    let rules = api.resource().attributes.rules();
    rules
        .iter()
        .filter(|r| !r.read_only)
        .any(|r| r.target.read(before) != r.target.read(after))
}

/// Member changes failed after the group's attributes were written: the old attributes are written back, so
/// that the error leaves no rename applied. When that fails too, the answer says the new attributes were kept.
pub(super) async fn restore(ctx: &Context<'_>, api: &Api<'_>, updated: &Value, before: &Value, failed: Error) -> Error {
    let mut error = failed;
    let undone = match api.id_of(updated) {
        Ok(id) => write(ctx, api, &ProductId::of(&id), updated, &without_members(before))
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    error.detail = match undone {
        Ok(()) => format!("{}; the group's other attributes were left as they were", error.detail),
        Err(undo) => format!(
            "{}; the group's other attributes were changed, and changing them back failed ({})",
            error.detail, undo.detail
        ),
    };
    error
}
