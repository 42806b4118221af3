//! The operation contract of erp-clients, defined once.
//!
//! Every layer speaks these types: the spec validator (`erp-spec`) lowers YAML into them, the
//! generator writes them into each vendor crate as `static`s (through [`Emit`], feature
//! `tokens`), the runtime (`erp-runtime`) acts on them and the sandbox serves them. Adding a
//! paging style or an envelope therefore means one new variant here, its parsing in the
//! validator, its behaviour in the runtime and its imitation in the sandbox: one file per layer.
//!
//! Strings are `&'static str` so that generated descriptors are plain `static`s. Descriptors
//! built at run time from a spec (the validator, test drivers) get their strings from
//! [`intern`], which keeps one copy of each distinct string for the life of the process.
//!
//! ```
//! use erp_descriptor::{Paging, PageSize};
//! let paging = Paging::OffsetLimit {
//!     offset_param: "offset",
//!     size: PageSize { param: "limit", default: 100, max: 500 },
//!     concurrency: 1,
//! };
//! assert_eq!(paging.size().map(|s| s.max), Some(500));
//! assert_eq!(paging.query_params(), ["offset", "limit"]);
//! ```

mod envelope;
mod intern;
mod operation;
mod paging;
mod rate_limit;
#[cfg(feature = "tokens")]
mod tokens;
mod wire;

pub use envelope::{ItemEnvelope, ListEnvelope, RequestEnvelope};
pub use intern::{intern, intern_opt};
pub use operation::{Method, Operation, ResourceInfo, VendorInfo};
pub use paging::{CursorSource, LinkSource, PageSize, Paging};
pub use rate_limit::{RateWindow, ResetUnit, WhenExhausted};
#[cfg(feature = "tokens")]
pub use tokens::{Emit, operation as emit_operation, resource_info as emit_resource_info};
pub use wire::{BodyKind, BoolEncoding, NestedLists, Returns, WireFormat};
