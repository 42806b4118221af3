//! The sandbox's side of resources and operations (their `sandbox:` parts): how records are
//! keyed, and what an operation answers, refuses and changes. Generated clients never read it.

use std::collections::BTreeMap;

use crate::expr::effect::{Cond, Term};
use crate::expr::{Operand, Template};

/// The `sandbox:` part of one resource, with those of its operations.
#[derive(Debug, Clone, Default)]
pub struct ResourceSandbox {
    /// How records are addressed; `None`: by the server's integer `id`.
    pub key: Option<RecordKey>,
    /// The answer to a request for a record that does not exist; `None`: the vendor-wide
    /// `sandbox.errors.not_found`.
    pub not_found: Option<Refusal>,
    /// By operation name; operations without a `sandbox:` part are absent.
    pub operations: BTreeMap<String, OperationSandbox>,
}

/// A key field other than the server's integer `id`.
#[derive(Debug, Clone)]
pub struct RecordKey {
    /// Wire name of the key field.
    pub field: String,
    pub origin: KeyOrigin,
    /// The answer to a create or rename with a key another record has.
    pub duplicate: Refusal,
}

/// Who chooses a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrigin {
    /// The client, on create (Spreedly's `customer-id`).
    Client,
    /// The server: 40 lower-case hex digits (Spreedly's invoice `token`).
    Hex40,
    /// The server: a GUID (Exact Online's `ID`).
    Guid,
}

/// The `sandbox:` part of one operation.
#[derive(Debug, Clone, Default)]
pub struct OperationSandbox {
    /// The success status; `None`: 201 for creates, 200 otherwise.
    pub status: Option<u16>,
    /// Success answers carry a `Location` header with the URL of the record's `get`.
    pub location: bool,
    /// Success answers carry no body.
    pub empty_body: bool,
    /// Made in order before anything changes; the first that fails answers.
    pub checks: Vec<Check>,
    /// Written on success, in the order of the spec's keys; each value reads the record as it
    /// was before any of them.
    pub set: Vec<Assignment>,
    /// A body field whose value becomes the record's new key (updates of keyed resources).
    pub renames: Option<String>,
    /// On success the action removes every record of its resource.
    pub clears: bool,
}

/// One check of an operation.
#[derive(Debug, Clone)]
pub enum Check {
    /// Refuses when the condition holds.
    When { cond: Cond, refusal: Refusal },
    /// Looks up the record of `resource` whose key equals `by` and names it `name` for later
    /// checks and effects; refuses when there is none (and `or_create` cannot make one).
    Find {
        name: String,
        resource: String,
        by: Term,
        /// An object of the record's model (`body.subscriber`): when nothing is found, a record
        /// is made from it as the resource's create makes one (key, stamps, read-only values)
        /// and stored when the operation succeeds. Refuses when the object is absent, lacks a
        /// required field or the key, or its key is taken.
        or_create: Option<Operand>,
        refusal: Refusal,
    },
    /// Refuses while a record of another resource refers to the addressed record: one of the
    /// `(resource, field)` pairs, the field declared `references: <this resource>`, holds the
    /// record's key (its `sandbox.key`, else `id`).
    Referenced {
        by: Vec<(String, String)>,
        refusal: Refusal,
    },
}

impl Check {
    /// The answer the check gives when it refuses.
    pub fn refusal(&self) -> &Refusal {
        match self {
            Check::When { refusal, .. }
            | Check::Find { refusal, .. }
            | Check::Referenced { refusal, .. } => refusal,
        }
    }
}

/// An answer that refuses a request.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: u16,
    /// `{field}`, `{body.field}`, `{<found>.field}` and `{<path parameter>}` are filled in.
    pub message: Template,
    pub body: ErrorBody,
    pub code: Option<String>,
}

/// How an error answer carries its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorBody {
    /// In the vendor's error shape (`errors.message`), in the vendor's format.
    #[default]
    Structured,
    /// As plain text (`text/plain`), whatever the format.
    Text,
}

/// One field an operation writes.
#[derive(Debug, Clone)]
pub struct Assignment {
    /// The `find` name of the record written; `None`: the addressed record.
    pub target: Option<String>,
    /// Wire name of the field.
    pub field: String,
    pub value: Term,
    /// Written only when this holds (`'PAID' if invoice.open_amount <= body.amount`), read
    /// before any write like the value.
    pub when: Option<Cond>,
}
