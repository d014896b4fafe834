//! The SCIM 2.0 protocol, pure and upstream-agnostic (RFC 7643, RFC 7644): errors, filters, attribute paths,
//! PATCH, resources and list responses. Nothing here does I/O or knows the product's API.

pub mod error;
pub mod filter;
pub mod json;
pub mod list;
pub mod patch;
pub mod path;

pub use error::{Error, ScimType};
