//! The SCIM 2.0 protocol, pure and upstream-agnostic (RFC 7643, RFC 7644): errors, filters, attribute paths,
//! schemas and discovery, PATCH, projection (`attributes`/`excludedAttributes`), sorting, list requests and list
//! responses. Nothing here does I/O or knows the product's API.

pub mod body;
pub mod discovery;
pub mod error;
pub mod filter;
pub mod json;
pub mod list;
pub mod patch;
pub mod patch_path;
pub mod path;
pub mod projection;
pub mod schema;
pub mod sort;

pub use error::{Error, ScimType};
