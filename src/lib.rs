//! scimgate: a SCIM 2.0 gateway that provisions users and groups into products that only have their own REST API.
//!
//! A request travels `server` → `router` (auth, rate limit) → `ops` → `scim` (pure protocol) and `mapping` →
//! `upstream` → the product, and back; in reverse-proxy mode, a request outside the SCIM base paths goes from
//! `router` straight to `proxy` and on to the product's origin. `config` builds the runtime; `sample` is the
//! bundled sample product.
#![forbid(unsafe_code)]

pub mod admin;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod check;
pub mod config;
pub mod demo;
pub mod gateway;
pub mod json;
pub mod logging;
pub mod mapping;
pub mod metrics;
pub mod ops;
pub mod preview;
pub mod proxy;
pub mod ratelimit;
pub mod reload;
pub mod request;
pub mod router;
pub mod sample;
pub mod scim;
pub mod server;
pub mod shared;
mod sync;
pub mod tenant;
pub mod token;
pub mod upstream;
