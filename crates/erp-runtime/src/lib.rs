//! The runtime shared by every erp-clients vendor crate.
//!
//! Generated crates (`erp-billomat`, `erp-cloudspot`, ...) hold only data types, static
//! operation descriptors ([`descriptor::Operation`]) and one-line methods. Everything with
//! behaviour lives here, once:
//!
//! - [`Client`]: HTTP over reqwest (rustls), timeouts, `https` enforced except on loopback;
//! - [`auth`]: API keys in headers or query parameters, token headers, bearer tokens, HTTP
//!   Basic; the [`auth::Auth`] trait is async so token providers with refresh plug in without
//!   touching generated code;
//! - [`oauth2`]: OAuth2 sessions (authorization code with PKCE, refresh with rotation, client
//!   credentials), single-flight refresh, token stores shareable between processes;
//! - [`codec`], [`xml`], [`wire`] and [`lenient`]: bodies to value trees (JSON, Rails XML),
//!   vendor envelopes, and one lenient deserializer to the models' plain derives (strings for
//!   numbers, `""` for none, one-or-many lists, enums with `Unknown(String)`), over a tree or
//!   straight over JSON text (list items are decoded from their bytes, one by one);
//! - [`paging`]: one lazy engine for page-number, next-link and cursor paging, as
//!   `futures::Stream`s of items or pages;
//! - [`RetryPolicy`] and rate limits: capped exponential backoff with jitter, `Retry-After`
//!   and vendor reset headers honoured, a write that may have been applied never repeated
//!   unless it carries an idempotency key (one per call, declared by the spec), every call
//!   bounded by an operation deadline across attempts and waits ([`Config`]);
//!   [`rate_limit`] meters every declared window on the client side (shared by all clones of
//!   a client), so concurrent calls wait their turn instead of earning 429s;
//! - [`Error`]: one typed error whose `Display` always carries the vendor's own message;
//! - [`Secret`]: credentials that never print; every error is scrubbed of the values of the
//!   `sensitive` fields and the credentials a call sent, in whatever spelling a server echoes
//!   them, before it is logged or returned.
//!
//! Each request runs in a `tracing` span `erp.request` with vendor, operation, attempt and
//! status; credentials are never logged.

pub mod auth;
mod base64;
pub mod body;
mod classify;
pub mod client;
pub mod codec;
pub mod config;
mod conveniences;
mod decode;
pub mod descriptor;
mod envelope;
pub mod error;
mod idempotency;
pub mod lenient;
pub mod oauth2;
pub mod paging;
pub mod rate_limit;
mod redact;
pub mod request;
pub mod retry;
mod secret;
mod send;
mod shallow;
#[cfg(test)]
mod test_server;
#[cfg(test)]
mod testing;
pub mod wire;
pub mod xml;

pub use body::{Binary, ByteStream, Multipart};
/// Byte buffers of binary bodies.
pub use bytes::Bytes;
pub use client::Client;
pub use config::{ClientBuilder, Config};
pub use conveniences::get_or_create;
pub use envelope::PageMeta;
pub use error::{AuthErrorKind, Error, TimeLimit};
pub use paging::{Items, Page, Pages, PagingProblem};
pub use request::Request;
pub use retry::RetryPolicy;
pub use secret::Secret;
/// Free-form JSON, for spec fields of type `json` and unknown members.
pub use serde_json::Value as JsonValue;

/// Result with the runtime's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Re-exports used by generated code and by [`wire_enum!`]; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use chrono;
    pub use futures;
    pub use serde;
    pub use serde_json;
}

/// Re-exported so users can name date, money and GUID types of generated models without
/// another dependency.
pub use chrono;
pub use futures;
pub use rust_decimal::Decimal;
pub use uuid::Uuid;
pub use wire::Base64;
