//! Body codecs: bytes on the wire <-> a JSON value tree.
//!
//! Envelopes, error bodies and typed decoding work on [`serde_json::Value`], so a vendor
//! whose bodies are XML only needs a codec that maps XML to the same tree; nothing above this
//! boundary changes. Successful JSON answers skip the tree for their data: the runtime reads
//! only their envelope into one and decodes each item straight from its text, through the
//! same lenient rules ([`crate::lenient`]).

use std::fmt;

use serde_json::Value;

use crate::descriptor::WireFormat;
pub use crate::xml::XmlCodec;

/// Converts bodies between their wire form and a value tree.
pub trait Codec: Send + Sync + fmt::Debug {
    /// Media type for the `Accept` header.
    fn accept(&self) -> &'static str;
    /// Media type for the `Content-Type` header of bodies this codec encodes.
    fn content_type(&self) -> &'static str;
    fn decode(&self, body: &[u8]) -> Result<Value, String>;
    fn encode(&self, value: &Value) -> Result<Vec<u8>, String>;
}

/// JSON bodies.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonCodec;

impl Codec for JsonCodec {
    fn accept(&self) -> &'static str {
        "application/json"
    }

    fn content_type(&self) -> &'static str {
        "application/json"
    }

    fn decode(&self, body: &[u8]) -> Result<Value, String> {
        serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))
    }

    fn encode(&self, value: &Value) -> Result<Vec<u8>, String> {
        serde_json::to_vec(value).map_err(|e| e.to_string())
    }
}

/// The codec for a wire format. Every format has one today; the `Result` stays so a future
/// format can be declared in specs before its codec exists.
pub fn for_format(format: WireFormat) -> Result<&'static dyn Codec, String> {
    match format {
        WireFormat::Json => Ok(&JsonCodec),
        WireFormat::Xml => Ok(&XmlCodec),
    }
}
