//! The raw `sandbox:` parts of a resource and of an operation: how the sandbox keys a
//! resource's records, and what an operation answers, refuses and changes. Only the sandbox
//! reads them; they are validated by `validate::effects` into `ir::effects`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::raw::Key;

/// `resources.<r>.sandbox`.
#[derive(Debug, Deserialize)]
pub struct RawResourceSandbox {
    /// The field that addresses a record when it is not the server's integer `id`.
    #[serde(default)]
    pub key: Option<Spanned<String>>,
    /// Who chooses the key: `client` (default; sent on create), `hex40` or `guid` (the server).
    #[serde(default)]
    pub generated: Option<Spanned<String>>,
    /// The answer to a create (or rename) with a key another record has.
    #[serde(default)]
    pub duplicate: Option<Spanned<RawRefusal>>,
    /// The answer when a request addresses a record that does not exist (default: the
    /// vendor-wide `sandbox.errors.not_found`); `{<path parameter>}` is filled in.
    #[serde(default)]
    pub not_found: Option<Spanned<RawRefusal>>,
}

/// `resources.<r>.operations.<op>.sandbox`.
#[derive(Debug, Deserialize)]
pub struct RawOperationSandbox {
    /// The success status (default 201 for creates, 200 otherwise).
    #[serde(default)]
    pub status: Option<Spanned<u16>>,
    /// A `Location` header with the URL of the record's `get`.
    #[serde(default)]
    pub location: bool,
    /// Success answers carry no body.
    #[serde(default)]
    pub empty_body: bool,
    /// Checks made in order before anything changes; the first that fails answers.
    #[serde(default)]
    pub refuse: Vec<Spanned<RawCheck>>,
    /// Field -> value written on success (`field` of the record, `<found>.field` of a looked-up
    /// record).
    #[serde(default)]
    pub set: BTreeMap<Key, Spanned<String>>,
    /// A body field whose value becomes the record's new key (update only).
    #[serde(default)]
    pub renames: Option<Spanned<String>>,
    /// An action on the collection that removes every record of the resource (Spreedly's
    /// `DELETE subscribers.xml` on test sites).
    #[serde(default)]
    pub clears: Option<Spanned<bool>>,
}

/// One entry of `refuse`: a condition (`when`), a look-up (`find` + `resource` + `by`) that
/// refuses when nothing is found (and, with `or_create`, nothing can be created), or the
/// resources whose records may not refer to the addressed record (`referenced_by`).
#[derive(Debug, Deserialize)]
pub struct RawCheck {
    #[serde(default)]
    pub when: Option<Spanned<String>>,
    /// Resources whose records refer to this one through a field declared `references`: the
    /// operation is refused while any of them does (a client with documents is not deleted).
    #[serde(default)]
    pub referenced_by: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub find: Option<Spanned<String>>,
    #[serde(default)]
    pub resource: Option<Spanned<String>>,
    #[serde(default)]
    pub by: Option<Spanned<String>>,
    /// With `find`: an object (`body.subscriber`) to create the record from when none is found.
    #[serde(default)]
    pub or_create: Option<Spanned<String>>,
    pub status: Spanned<u16>,
    pub message: Spanned<String>,
    #[serde(default)]
    pub body: Option<Spanned<String>>,
    #[serde(default)]
    pub code: Option<String>,
}

/// A refusal without a condition (`duplicate`, `not_found`).
#[derive(Debug, Deserialize)]
pub struct RawRefusal {
    pub status: Spanned<u16>,
    pub message: Spanned<String>,
    #[serde(default)]
    pub body: Option<Spanned<String>>,
    #[serde(default)]
    pub code: Option<String>,
}
