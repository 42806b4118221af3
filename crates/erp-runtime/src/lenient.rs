//! One leniency layer for every generated model: a [`Deserializer`] wrapper that applies the
//! vendor's wire rules whenever a model's plain `#[derive(Deserialize)]` asks for a value.
//!
//! The wrapper sits over any serde_json deserializer: over the bytes of a JSON body
//! ([`from_str`], [`from_slice`]: items are decoded straight from their text, no value tree is
//! built) or over a value tree ([`from_value`]: XML bodies, values got elsewhere). Each request
//! of the model becomes one `deserialize_any` on the input, whose answer a rule visitor
//! translates; the rules exist once, whatever the input.
//!
//! Generated models carry no per-field decoding helpers; what a field accepts follows from what
//! its type asks the deserializer for:
//!
//! | the model asks for | the vendor may send |
//! |---|---|
//! | an integer, float or bool | a number, a bool or a string (`"12"`, `12.0`, `"14,5"`, `"1"`, `"true"`), see [`FromWire`] |
//! | `Option<T>` | `null` or `""` for `None` (for every `T`, `String` included: `""` means "not set") |
//! | a required value | anything but `null` and `""` ("required value is empty") |
//! | a string (`String`, `Secret`, enums) | a string, or a number or bool as its text |
//! | a list | an array, one item standing for a list of one, `null` or `""` for none; items that are `null` or `""` are left out; with [`NestedLists::Wrapped`] also `{"tax": [...]}` |
//! | a date, date-time, decimal or GUID | every form [`FromWire`] knows (`/Date(ms)/`, no offset, `guid'…'`, `"12,5"`) |
//! | free-form JSON (`JsonValue`, the `extra` map) | anything, kept verbatim |
//!
//! Enums declared with [`wire_enum!`](crate::wire_enum) keep unknown values in `Unknown(String)`.
//!
//! Errors name the path of the field that did not fit (`client-property-values[0].id`).
//! Decoding the same models with `serde_json::from_value` alone is strict: the vendor's dialect
//! is this module's business, not the models'.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::de::{self, DeserializeOwned, Deserializer, Error as _, Expected, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::Value;

use crate::descriptor::{NestedLists, VendorInfo};
use crate::wire::{FromWire, Scalar};

mod members;
mod rules;

use rules::{Rule, Want};

/// The rules that differ between vendors; everything else applies to all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leniency {
    /// Whether list fields may arrive wrapped in an object (`{"tax": [...]}`).
    pub nested_lists: NestedLists,
}

impl Leniency {
    /// The rules of `vendor`, as its spec states them.
    pub const fn of(vendor: &VendorInfo) -> Self {
        Leniency {
            nested_lists: vendor.nested_lists,
        }
    }
}

impl Default for Leniency {
    fn default() -> Self {
        Leniency {
            nested_lists: NestedLists::Plain,
        }
    }
}

/// A model that did not fit the value: where, and why.
///
/// The path is collected as the error travels up through the lists and objects it arose in,
/// so decoding that succeeds never pays for it (no key is copied, no path is tracked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    message: String,
    /// Innermost segment first.
    path: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

impl DecodeError {
    /// The path of the value that did not fit, as `serde_path_to_error` writes it
    /// (`client-property-values[0].id`); `.` is the value itself.
    pub fn path(&self) -> String {
        if self.path.is_empty() {
            return ".".to_owned();
        }
        let mut out = String::new();
        for segment in self.path.iter().rev() {
            match segment {
                Segment::Key(key) if out.is_empty() => out.push_str(key),
                Segment::Key(key) => {
                    out.push('.');
                    out.push_str(key);
                }
                Segment::Index(i) => {
                    let _ = write!(out, "[{i}]");
                }
            }
        }
        out
    }

    /// What was expected and what was found.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "at `{}`: {}", self.path(), self.message)
        }
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        DecodeError {
            message: message.to_string(),
            path: Vec::new(),
        }
    }
}

/// Where an error arose. The input's own error type (serde_json's) cannot carry a path, so
/// the lists and objects an error travels up through note their segment here; nothing is
/// written while decoding succeeds.
#[derive(Debug, Default)]
struct Track {
    path: RefCell<Vec<Segment>>,
}

impl Track {
    fn push(&self, segment: Segment) {
        self.path.borrow_mut().push(segment);
    }

    /// The located error. serde_json appends the position in the text it read (`at line 1
    /// column 40`) to errors from a text; the path says more, and the message must not
    /// depend on whether the input was text or a tree.
    fn error(self, e: serde_json::Error) -> DecodeError {
        let mut message = e.to_string();
        if e.line() != 0 {
            let position = format!(" at line {} column {}", e.line(), e.column());
            if message.ends_with(&position) {
                message.truncate(message.len() - position.len());
            }
        }
        DecodeError {
            message,
            path: self.path.into_inner(),
        }
    }
}

/// Decodes `value` into `T` with the vendor's rules; the error names the failing field's path.
///
/// ```
/// use erp_runtime::descriptor::NestedLists;
/// use erp_runtime::lenient::{from_value, Leniency};
///
/// #[derive(serde::Deserialize)]
/// struct Client {
///     id: Option<i64>,
///     archived: Option<bool>,
///     #[serde(default)]
///     tags: Vec<String>,
/// }
///
/// let billomat = Leniency { nested_lists: NestedLists::Wrapped };
/// let body = serde_json::json!({"id": "12", "archived": "0", "tags": {"tag": ["vip", "new"]}});
/// let client: Client = from_value(&body, billomat)?;
/// assert_eq!((client.id, client.archived), (Some(12), Some(false)));
/// assert_eq!(client.tags, ["vip", "new"]);
///
/// let err = from_value::<Client>(&serde_json::json!({"id": "twelve"}), billomat).err().unwrap();
/// assert_eq!(err.path(), "id");
/// # Ok::<(), erp_runtime::lenient::DecodeError>(())
/// ```
pub fn from_value<T: DeserializeOwned>(
    value: &Value,
    leniency: Leniency,
) -> Result<T, DecodeError> {
    let track = Track::default();
    let decoded = T::deserialize(Lenient::new(value, leniency, &track));
    decoded.map_err(|e| track.error(e))
}

/// Decodes a JSON text into `T` with the vendor's rules, straight from the text (no value
/// tree); results and errors are those of [`from_value`] on the same JSON.
///
/// ```
/// use erp_runtime::lenient::{from_str, Leniency};
///
/// #[derive(serde::Deserialize)]
/// struct Client { id: Option<i64>, name: Option<String> }
///
/// let client: Client = from_str(r#"{"id": "12", "name": ""}"#, Leniency::default())?;
/// assert_eq!((client.id, client.name), (Some(12), None));
/// # Ok::<(), erp_runtime::lenient::DecodeError>(())
/// ```
pub fn from_str<T: DeserializeOwned>(json: &str, leniency: Leniency) -> Result<T, DecodeError> {
    let track = Track::default();
    // serde_json's recursion limit stays on: deeply nested input is an error, not a crash.
    let mut input = serde_json::Deserializer::from_str(json);
    let decoded = T::deserialize(Lenient::new(&mut input, leniency, &track)).and_then(|value| {
        input.end()?;
        Ok(value)
    });
    decoded.map_err(|e| track.error(e))
}

/// [`from_str`] for bytes (a JSON text in UTF-8).
pub fn from_slice<T: DeserializeOwned>(json: &[u8], leniency: Leniency) -> Result<T, DecodeError> {
    match std::str::from_utf8(json) {
        Ok(text) => from_str(text, leniency),
        Err(e) => Err(DecodeError::custom(format!("invalid JSON: {e}"))),
    }
}

/// The deserializer: any serde_json input (a text being read, a value tree) and the vendor's
/// rules. Every value it hands out is wrapped again, down to the last scalar.
struct Lenient<'t, D> {
    input: D,
    rules: Rules<'t>,
}

/// What every wrapper of one decoding shares.
#[derive(Debug, Clone, Copy)]
struct Rules<'t> {
    leniency: Leniency,
    track: &'t Track,
}

impl<'t, D> Lenient<'t, D> {
    fn new(input: D, leniency: Leniency, track: &'t Track) -> Self {
        Lenient {
            input,
            rules: Rules { leniency, track },
        }
    }

    fn wrap(input: D, rules: Rules<'t>) -> Self {
        Lenient { input, rules }
    }
}

impl<'de, D: Deserializer<'de>> Lenient<'_, D> {
    /// Asks the input for whatever it holds and lets the rule for `want` translate it.
    fn ask<V: Visitor<'de>>(self, want: Want, visitor: V) -> Result<V::Value, D::Error> {
        self.input.deserialize_any(Rule {
            want,
            visitor,
            rules: self.rules,
        })
    }
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Lenient<'_, D> {
    type Error = D::Error;

    /// Free-form values (`JsonValue` fields, the `extra` map) are kept verbatim; only the
    /// foreign types that parse text ask this way too (`Decimal`).
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match Parsed::of(&visitor) {
            Some(kind) => self.ask(Want::Parsed(kind), visitor),
            None => self.input.deserialize_any(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.ask(Want::Bool, visitor)
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.ask(Want::I64, visitor)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.ask(Want::I64, visitor)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.ask(Want::I64, visitor)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.ask(Want::I64, visitor)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.ask(Want::U64, visitor)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.ask(Want::U64, visitor)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.ask(Want::U64, visitor)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.ask(Want::U64, visitor)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.ask(Want::F64, visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.ask(Want::F64, visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.ask(Want::Text, visitor)
    }

    /// Types that parse text ask for a borrowed string: chrono's and uuid's are recognised and
    /// get their lenient forms, anything else (`Base64`) gets the string as sent.
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match Parsed::of(&visitor) {
            Some(kind) => self.ask(Want::Parsed(kind), visitor),
            None => self.ask(Want::Text, visitor),
        }
    }

    /// `String`, `Secret` and enums: a number or bool is taken as its text.
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.ask(Want::String, visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.input.deserialize_bytes(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.input.deserialize_byte_buf(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.ask(Want::Option, visitor)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.input.deserialize_unit(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.input.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.ask(Want::List, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.ask(Want::List, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.ask(Want::List, visitor)
    }

    /// Models with an `extra` map (`#[serde(flatten)]`) ask for a map. serde decodes their
    /// known fields straight from it (through these rules) and buffers only unknown members.
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.ask(Want::Map, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.ask(Want::Struct, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.input.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.input.deserialize_identifier(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        // A text must still be read past the value.
        self.input.deserialize_ignored_any(visitor)
    }
}

/// Foreign types that parse text with their own, strict rules, and that the adapter
/// recognises so it can apply [`FromWire`]'s instead.
///
/// chrono, uuid and rust_decimal ask for a string (or any value) like every other type;
/// the only trace of the type in that request is the visitor's description of what it expects.
/// The descriptions are not hard-coded here: they are read from the real types once (see
/// [`expectation_of`]), so an upgrade of those crates cannot silently change the match, and a
/// type the table does not know simply gets its value as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parsed {
    DateTime,
    Date,
    Decimal,
    Guid,
}

impl Parsed {
    /// Whether `text` is already in the type's canonical text, so that the type's own parser
    /// can read it as sent (no conversion, no second parse). Only the common, cheaply
    /// recognised case says yes; anything else goes through [`Parsed::canonical`].
    fn takes_as_is(self, text: &str) -> bool {
        match self {
            // `YYYY-MM-DD`, a day that exists.
            Parsed::Date => {
                let b = text.as_bytes();
                let digits = |range: std::ops::Range<usize>| {
                    b[range].iter().try_fold(0u32, |n, &c| {
                        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
                    })
                };
                b.len() == 10
                    && b[4] == b'-'
                    && b[7] == b'-'
                    && matches!(
                        (digits(0..4), digits(5..7), digits(8..10)),
                        (Some(y), Some(m), Some(d))
                            if i32::try_from(y).ok().and_then(|y| NaiveDate::from_ymd_opt(y, m, d)).is_some()
                    )
            }
            Parsed::DateTime | Parsed::Decimal | Parsed::Guid => false,
        }
    }

    /// The value in the type's canonical text, converted with the rules of [`FromWire`].
    fn canonical(self, value: Scalar<'_>) -> Result<String, String> {
        match self {
            Parsed::DateTime => DateTime::<FixedOffset>::from_scalar(value).map(|d| d.to_rfc3339()),
            Parsed::Date => NaiveDate::from_scalar(value).map(|d| d.format("%Y-%m-%d").to_string()),
            Parsed::Decimal => rust_decimal::Decimal::from_scalar(value).map(|d| d.to_string()),
            Parsed::Guid => uuid::Uuid::from_scalar(value).map(|u| u.to_string()),
        }
    }

    fn of(visitor: &dyn Expected) -> Option<Parsed> {
        static KNOWN: OnceLock<Vec<(String, Parsed)>> = OnceLock::new();
        let known = KNOWN.get_or_init(|| {
            [
                (expectation_of::<DateTime<FixedOffset>>(), Parsed::DateTime),
                (expectation_of::<NaiveDate>(), Parsed::Date),
                (expectation_of::<rust_decimal::Decimal>(), Parsed::Decimal),
                (expectation_of::<uuid::Uuid>(), Parsed::Guid),
            ]
            .into_iter()
            .filter_map(|(text, kind)| Some((text?, kind)))
            .collect()
        });
        let mut text = Short::default();
        // A description that does not fit is not one of the table's (they are short).
        write!(text, "{visitor}").ok()?;
        known
            .iter()
            .find(|(expected, _)| expected.as_bytes() == text.as_bytes())
            .map(|&(_, kind)| kind)
    }
}

/// A visitor's description, formatted without allocating.
struct Short {
    bytes: [u8; 96],
    len: usize,
}

impl Default for Short {
    fn default() -> Self {
        Short {
            bytes: [0; 96],
            len: 0,
        }
    }
}

impl Short {
    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl fmt::Write for Short {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// What `T`'s visitor says it expects, read by asking `T` to deserialize itself from a
/// deserializer that only records that description.
fn expectation_of<T: DeserializeOwned>() -> Option<String> {
    match T::deserialize(Probe) {
        Err(ProbeError::Expecting(text)) => Some(text),
        _ => None,
    }
}

struct Probe;

#[derive(Debug)]
enum ProbeError {
    Expecting(String),
    Other,
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::Expecting(text) => f.write_str(text),
            ProbeError::Other => f.write_str("probe"),
        }
    }
}

impl std::error::Error for ProbeError {}

impl de::Error for ProbeError {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        ProbeError::Other
    }
}

impl<'de> Deserializer<'de> for Probe {
    type Error = ProbeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        Err(ProbeError::Expecting(
            (&visitor as &dyn Expected).to_string(),
        ))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests;
