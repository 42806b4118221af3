//! One leniency layer for every generated model: a [`Deserializer`] over a decoded body that
//! applies the vendor's wire rules whenever a model's plain `#[derive(Deserialize)]` asks for
//! a value.
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

use std::fmt::{self, Write as _};
use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, Error as _, Expected, MapAccess,
    SeqAccess, Visitor,
};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Value};

use crate::descriptor::{NestedLists, VendorInfo};
use crate::wire::FromWire;

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

    fn within(mut self, segment: Segment) -> Self {
        self.path.push(segment);
        self
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

/// Values the adapter hands to serde_json's own deserializer (free-form JSON, refusals of the
/// wrong type) fail with its error; only the message matters here.
impl From<serde_json::Error> for DecodeError {
    fn from(e: serde_json::Error) -> Self {
        DecodeError::custom(e)
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
    T::deserialize(Lenient::new(value, leniency))
}

/// The deserializer: a borrowed value and the vendor's rules. [`from_value`] is the short way
/// to use it; this type serves types that borrow from the value, and `DeserializeSeed`s.
#[derive(Debug, Clone, Copy)]
pub struct Lenient<'de> {
    value: &'de Value,
    leniency: Leniency,
}

impl<'de> Lenient<'de> {
    pub fn new(value: &'de Value, leniency: Leniency) -> Self {
        Lenient { value, leniency }
    }

    /// The value, unless it is `null` or `""`. A type asks for a value directly only when it
    /// is required: `Option` is handled by `deserialize_option`, and lists leave such items out.
    fn present(self) -> Result<&'de Value, DecodeError> {
        if is_absent(self.value) {
            Err(DecodeError::custom("required value is empty"))
        } else {
            Ok(self.value)
        }
    }

    fn scalar<T: FromWire>(self) -> Result<T, DecodeError> {
        T::from_wire(self.present()?).map_err(DecodeError::custom)
    }

    /// A value of a type that parses its own text, converted with the rules of [`FromWire`]
    /// and handed over in the type's canonical form.
    fn parsed<V: Visitor<'de>>(self, kind: Parsed, visitor: V) -> Result<V::Value, DecodeError> {
        let value = self.present()?;
        let text = match kind {
            Parsed::DateTime => DateTime::<FixedOffset>::from_wire(value).map(|d| d.to_rfc3339()),
            Parsed::Date => NaiveDate::from_wire(value).map(|d| d.format("%Y-%m-%d").to_string()),
            Parsed::Decimal => rust_decimal::Decimal::from_wire(value).map(|d| d.to_string()),
            Parsed::Guid => uuid::Uuid::from_wire(value).map(|u| u.to_string()),
        }
        .map_err(DecodeError::custom)?;
        visitor.visit_string(text)
    }
}

fn is_absent(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

impl<'de> Deserializer<'de> for Lenient<'de> {
    type Error = DecodeError;

    /// Free-form values (`JsonValue` fields, the `extra` map) are kept verbatim; only the
    /// foreign types that parse text ask this way too (`Decimal`).
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match Parsed::of(&visitor) {
            Some(kind) => self.parsed(kind, visitor),
            None => self
                .value
                .deserialize_any(visitor)
                .map_err(DecodeError::from),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_bool(self.scalar()?)
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_i64(self.scalar()?)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        // Above i64::MAX only a JSON number can say it; the visitor checks the range.
        match self.value {
            Value::Number(n) if n.is_u64() => self
                .value
                .deserialize_u64(visitor)
                .map_err(DecodeError::from),
            _ => visitor.visit_i64(self.scalar()?),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_f64(self.scalar()?)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.present()?
            .deserialize_char(visitor)
            .map_err(DecodeError::from)
    }

    /// Types that parse text ask for a borrowed string: chrono's and uuid's are recognised and
    /// get their lenient forms, anything else (`Base64`) gets the string as sent.
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match Parsed::of(&visitor) {
            Some(kind) => self.parsed(kind, visitor),
            None => self
                .present()?
                .deserialize_str(visitor)
                .map_err(DecodeError::from),
        }
    }

    /// `String`, `Secret` and enums: a number or bool is taken as its text.
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.present()? {
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Number(n) => visitor.visit_string(n.to_string()),
            Value::Bool(b) => visitor.visit_string(b.to_string()),
            // Never echo the value: the field may be a secret.
            Value::Array(_) => Err(Self::Error::custom("expected a string, found a list")),
            _ => Err(Self::Error::custom("expected a string, found an object")),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.value
            .deserialize_bytes(visitor)
            .map_err(DecodeError::from)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.value
            .deserialize_byte_buf(visitor)
            .map_err(DecodeError::from)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        if is_absent(self.value) {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.value
            .deserialize_unit(visitor)
            .map_err(DecodeError::from)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.value
            .deserialize_unit_struct(name, visitor)
            .map_err(DecodeError::from)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        let wrapped = self.leniency.nested_lists == NestedLists::Wrapped;
        visitor.visit_seq(Items {
            items: list_elements(self.value, wrapped).iter(),
            index: 0,
            leniency: self.leniency,
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_seq(visitor)
    }

    /// Models with an `extra` map (`#[serde(flatten)]`) ask for a map.
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.value {
            Value::Object(map) => visitor.visit_map(Members::new(map, self.leniency)),
            other => other.deserialize_map(visitor).map_err(DecodeError::from),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.value {
            Value::Object(map) => visitor.visit_map(Members::new(map, self.leniency)),
            other => other
                .deserialize_struct(name, fields, visitor)
                .map_err(DecodeError::from),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.value
            .deserialize_enum(name, variants, visitor)
            .map_err(DecodeError::from)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.value
            .deserialize_identifier(visitor)
            .map_err(DecodeError::from)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }
}

/// Every list shape a vendor uses, as the slice of its elements.
///
/// Arrays are their items; `null` and `""` are empty; any other value is one item. With
/// `wrapped` (the spec's `nested_lists: wrapped`, Billomat's `{"tax": [...]}`), an object whose
/// only data key (keys starting with `@` are metadata) holds an array, an object, `""` or
/// `null` is a wrapper around the list instead; without it an object is always one item (a
/// category with one member `children` is a category, not a wrapper).
fn list_elements(value: &Value, wrapped: bool) -> &[Value] {
    match value {
        Value::Array(items) => items,
        Value::Null => &[],
        Value::String(s) if s.is_empty() => &[],
        Value::Object(map) if wrapped => {
            let mut data = map.iter().filter(|(k, _)| !k.starts_with('@'));
            match (data.next(), data.next()) {
                // Only metadata (`{"@total": "0"}`): an empty list.
                (None, _) => &[],
                (Some((_, inner)), None)
                    if matches!(inner, Value::Array(_) | Value::Object(_)) || is_absent(inner) =>
                {
                    list_elements(inner, false)
                }
                _ => std::slice::from_ref(value),
            }
        }
        item => std::slice::from_ref(item),
    }
}

/// The items of a list; `null` and `""` items are left out (no value is no item).
struct Items<'de> {
    items: std::slice::Iter<'de, Value>,
    /// Items handed out so far: the index of the next one in the decoded list.
    index: usize,
    leniency: Leniency,
}

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        let Some(item) = self.items.by_ref().find(|item| !is_absent(item)) else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(Lenient::new(item, self.leniency))
            .map(Some)
            .map_err(|e| e.within(Segment::Index(index)))
    }

    fn size_hint(&self) -> Option<usize> {
        // An upper bound: empty items are skipped.
        Some(self.items.len())
    }
}

/// The members of an object; keys as sent, values decoded leniently.
struct Members<'de> {
    members: serde_json::map::Iter<'de>,
    /// The member whose key was just handed out.
    current: Option<(&'de str, &'de Value)>,
    leniency: Leniency,
}

impl<'de> Members<'de> {
    fn new(map: &'de Map<String, Value>, leniency: Leniency) -> Self {
        Members {
            members: map.iter(),
            current: None,
            leniency,
        }
    }
}

impl<'de> MapAccess<'de> for Members<'de> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        let Some((key, value)) = self.members.next() else {
            return Ok(None);
        };
        self.current = Some((key, value));
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        let Some((key, value)) = self.current.take() else {
            return Err(DecodeError::custom("a value was asked for before its key"));
        };
        seed.deserialize(Lenient::new(value, self.leniency))
            .map_err(|e| e.within(Segment::Key(key.to_owned())))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.members.len())
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
enum Parsed {
    DateTime,
    Date,
    Decimal,
    Guid,
}

impl Parsed {
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
