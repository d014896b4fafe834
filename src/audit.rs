//! The audit trail: one JSON line per change a SCIM request made or tried to make in a product — create,
//! update, deactivate, reactivate, delete, member add, member remove — with the tenant, the resource type, the
//! SCIM id, the product id and the outcome. Events go to the `scimgate::audit` tracing target; `main` routes that
//! target to the configured output (a file or stdout) and keeps it out of the ordinary logs.

/// The tracing target of audit events.
pub const TARGET: &str = "scimgate::audit";

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A resource was created (or an existing product object adopted).
    Create,
    /// Attributes changed.
    Update,
    /// A user was deactivated.
    Deactivate,
    /// A user was reactivated.
    Reactivate,
    /// A resource was deleted.
    Delete,
    /// A member joined a group.
    MemberAdd,
    /// A member left a group.
    MemberRemove,
}

impl Action {
    /// The name written to the trail.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Deactivate => "deactivate",
            Action::Reactivate => "reactivate",
            Action::Delete => "delete",
            Action::MemberAdd => "member_add",
            Action::MemberRemove => "member_remove",
        }
    }
}

/// One change: `resource` is `User` or `Group`; `member` the user id of a member change; `outcome` `ok` or the
/// SCIM status of the failure.
pub fn record(tenant: &str, resource: &str, action: Action, scim_id: &str, member: Option<&str>, outcome: &str) {
    tracing::info!(
        target: TARGET,
        tenant,
        resource,
        action = action.as_str(),
        scim_id,
        // The SCIM id is the product id by design (docs/MAPPING.md); both are written so the trail reads alone.
        product_id = scim_id,
        member,
        outcome,
        "audit"
    );
}
