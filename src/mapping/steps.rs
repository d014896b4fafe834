//! What a create and a delete do besides the product's own call: the uniqueness check before a create
//! (`unique`) and the steps before a delete (`before_delete`).

use super::endpoint::Endpoint;

/// How a create keeps `userName` (users) or `displayName` (groups) unique.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unique {
    /// The product refuses a duplicate itself (a 409, or what an error rule makes one).
    #[default]
    Product,
    /// The gateway looks the name up first (through the `eq` push-down rule, else a scan of the listing) and
    /// answers 409 `uniqueness` when it exists (or adopts it, under `on_conflict = "adopt"`).
    Lookup,
}

/// One step before a delete.
#[derive(Debug, Clone)]
pub enum DeleteStep {
    /// Groups: remove every member of the team, through the membership style.
    Members,
    /// A product call on the object (`"DELETE /teams/{id}/roles"`); it must succeed.
    Call(Endpoint),
}
