//! Membership styles: how a product keeps a team's members, chosen in config.
//!
//! - `endpoints`: a call per member (`PUT /teams/{id}/members/{member}`, `DELETE …`), members read from a listing;
//! - `batch`: one call carrying the keys to add and to remove, members read from a listing;
//! - `list`: an array of member keys on the team object, changed by read–modify–write of the team;
//! - `user_field`: a team id (or an array of them) on each user object; a team's members are the users whose
//!   field holds it, found through a query parameter of the users' listing.
//!
//! A member's key is what the product's membership data holds: the user id by default, or another field of the
//! user object (`user_key`), e.g. a user name.

use super::endpoint::Endpoint;
use super::pointer::Pointer;

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
        /// Add one member.
        add: Endpoint,
        /// Remove one member.
        remove: Endpoint,
        /// Read the members.
        listing: Listing,
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
        listing: Listing,
    },
    /// An array of member keys on the team object.
    List {
        /// Where the array is.
        pointer: Pointer,
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
