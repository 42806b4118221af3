//! Lenient decoding of vendor values, used by generated models through `#[serde(with = ...)]`.
//!
//! Vendors disagree on how scalars travel: Billomat sends every scalar as a string (`"1"`,
//! `"14.28"`, `""` for empty), Cloudspot's types are undocumented, Exact Online wraps dates as
//! `/Date(ms)/`. Rather than teach every model each dialect, generated fields decode through
//! these helpers, which accept all the shapes a value is known to take:
//!
//! - scalars from numbers, booleans or strings; `""` and `null` become `None`;
//! - lists from arrays, a single object ("one item is an object"), a wrapper object with one
//!   key (`{"tax": [...]}`), `""` or `null` (empty);
//! - enums keep unknown values in their `Unknown(String)` variant.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::Secret;

/// A scalar that can be read from any of the shapes vendors use for it.
pub trait FromWire: Sized {
    /// Converts a non-null, non-empty wire value. The error says what was expected.
    fn from_wire(value: Value) -> Result<Self, String>;
}

fn describe(value: &Value) -> String {
    let text = value.to_string();
    crate::error::excerpt(&text, 60)
}

impl FromWire for String {
    fn from_wire(value: Value) -> Result<Self, String> {
        match value {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(format!("expected a string, found {}", describe(&other))),
        }
    }
}

impl FromWire for Secret {
    fn from_wire(value: Value) -> Result<Self, String> {
        // Never echo the rejected value: it may be the secret itself.
        String::from_wire(value)
            .map(Secret::from)
            .map_err(|_| "expected a string".to_owned())
    }
}

impl FromWire for i64 {
    fn from_wire(value: Value) -> Result<Self, String> {
        match &value {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                        .map(|f| f as i64)
                })
                .ok_or_else(|| format!("expected an integer, found {n}")),
            Value::String(s) => {
                let t = s.trim();
                t.parse::<i64>()
                    .ok()
                    .or_else(|| {
                        t.parse::<f64>()
                            .ok()
                            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                            .map(|f| f as i64)
                    })
                    .ok_or_else(|| format!("expected an integer, found {}", describe(&value)))
            }
            other => Err(format!("expected an integer, found {}", describe(other))),
        }
    }
}

impl FromWire for f64 {
    fn from_wire(value: Value) -> Result<Self, String> {
        match &value {
            Value::Number(n) => n
                .as_f64()
                .ok_or_else(|| format!("expected a number, found {n}")),
            Value::String(s) => {
                let t = s.trim();
                t.parse::<f64>()
                    .ok()
                    .or_else(|| decimal_comma(t))
                    .filter(|f| f.is_finite())
                    .ok_or_else(|| format!("expected a number, found {}", describe(&value)))
            }
            other => Err(format!("expected a number, found {}", describe(other))),
        }
    }
}

/// "12,5" or "12,50" (a European decimal comma). "1,234" is refused: it may be a thousands
/// separator, and guessing would silently change the value a thousandfold.
fn decimal_comma(text: &str) -> Option<f64> {
    let (whole, fraction) = text.split_once(',')?;
    let plausible = !text.contains('.')
        && (1..=2).contains(&fraction.len())
        && fraction.bytes().all(|b| b.is_ascii_digit());
    plausible
        .then(|| format!("{whole}.{fraction}").parse().ok())
        .flatten()
}

impl FromWire for bool {
    fn from_wire(value: Value) -> Result<Self, String> {
        match &value {
            Value::Bool(b) => Ok(*b),
            Value::Number(n) if n.as_i64() == Some(1) => Ok(true),
            Value::Number(n) if n.as_i64() == Some(0) => Ok(false),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "y" => Ok(true),
                "0" | "false" | "no" | "n" => Ok(false),
                _ => Err(format!("expected a boolean, found {}", describe(&value))),
            },
            other => Err(format!("expected a boolean, found {}", describe(other))),
        }
    }
}

impl FromWire for NaiveDate {
    fn from_wire(value: Value) -> Result<Self, String> {
        if let Value::String(s) = &value {
            let t = s.trim();
            if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
                return Ok(d);
            }
        }
        if let Ok(dt) = DateTime::<FixedOffset>::from_wire(value.clone()) {
            return Ok(dt.date_naive());
        }
        Err(format!(
            "expected a date (YYYY-MM-DD), found {}",
            describe(&value)
        ))
    }
}

impl FromWire for DateTime<FixedOffset> {
    fn from_wire(value: Value) -> Result<Self, String> {
        let Value::String(s) = &value else {
            return Err(format!("expected a date-time, found {}", describe(&value)));
        };
        let t = s.trim();
        if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
            return Ok(dt);
        }
        // OData v2: `/Date(1382667872203)/` or `/Date(1382667872203+0100)/`, milliseconds since the epoch.
        if let Some(inner) = t.strip_prefix("/Date(").and_then(|r| r.strip_suffix(")/")) {
            let digits_end = inner
                .char_indices()
                .skip(1)
                .find(|(_, c)| *c == '+' || *c == '-')
                .map_or(inner.len(), |(i, _)| i);
            if let Some(dt) = inner[..digits_end]
                .parse::<i64>()
                .ok()
                .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
            {
                return Ok(dt.fixed_offset());
            }
        }
        // No offset on the wire: the vendors we know (Exact Online's OData, Billomat's dates)
        // mean UTC there, so that is what the value says; it is never the local clock.
        for format in [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S",
        ] {
            if let Ok(naive) = NaiveDateTime::parse_from_str(t, format) {
                return Ok(naive.and_utc().fixed_offset());
            }
        }
        if let Ok(date) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            return Ok(date
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                .and_utc()
                .fixed_offset());
        }
        Err(format!(
            "expected an ISO 8601 date-time, found {}",
            describe(&value)
        ))
    }
}

impl FromWire for rust_decimal::Decimal {
    fn from_wire(value: Value) -> Result<Self, String> {
        use std::str::FromStr;
        let text = match &value {
            Value::String(s) => s.trim().to_owned(),
            // A JSON number reached us as f64: its shortest form is what the vendor wrote.
            Value::Number(n) => n.to_string(),
            other => return Err(format!("expected a decimal, found {}", describe(other))),
        };
        let comma = (!text.contains('.'))
            .then(|| text.split_once(','))
            .flatten()
            .filter(|(_, f)| (1..=2).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()))
            .map(|(w, f)| format!("{w}.{f}"));
        let text = comma.unwrap_or(text);
        rust_decimal::Decimal::from_str(&text)
            .or_else(|_| rust_decimal::Decimal::from_scientific(&text))
            .map_err(|_| format!("expected a decimal, found {}", describe(&value)))
    }
}

impl FromWire for uuid::Uuid {
    fn from_wire(value: Value) -> Result<Self, String> {
        let Value::String(s) = &value else {
            return Err(format!("expected a GUID, found {}", describe(&value)));
        };
        // OData writes GUID literals as `guid'…'`.
        let t = s.trim();
        let t = t
            .strip_prefix("guid'")
            .and_then(|r| r.strip_suffix('\''))
            .unwrap_or(t);
        uuid::Uuid::parse_str(t).map_err(|_| format!("expected a GUID, found {}", describe(&value)))
    }
}

/// Binary data, base64 in JSON and XML bodies.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Base64(pub Vec<u8>);

impl std::fmt::Debug for Base64 {
    // A blob (a scanned document) is long and rarely readable: show its size.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Base64({} bytes)", self.0.len())
    }
}

impl serde::Serialize for Base64 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::base64::encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Base64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Base64::from_wire(Value::deserialize(d)?).map_err(D::Error::custom)
    }
}

impl FromWire for Base64 {
    fn from_wire(value: Value) -> Result<Self, String> {
        match &value {
            Value::String(s) => crate::base64::decode(s.trim())
                .map(Base64)
                .map_err(|e| format!("expected base64 data: {e}")),
            other => Err(format!("expected base64 data, found {}", describe(other))),
        }
    }
}

impl FromWire for Value {
    fn from_wire(value: Value) -> Result<Self, String> {
        Ok(value)
    }
}

fn is_absent(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// `Option<T>` for scalars and enums: `null`, `""` and a missing key are `None`.
pub mod opt {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>, T: FromWire>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        let value = Value::deserialize(d)?;
        if is_absent(&value) {
            return Ok(None);
        }
        T::from_wire(value).map(Some).map_err(D::Error::custom)
    }

    pub fn serialize<S: serde::Serializer, T: serde::Serialize>(
        value: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(value, s)
    }
}

/// A required scalar or enum.
pub mod req {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>, T: FromWire>(d: D) -> Result<T, D::Error> {
        let value = Value::deserialize(d)?;
        if is_absent(&value) {
            return Err(D::Error::custom("required value is empty"));
        }
        T::from_wire(value).map_err(D::Error::custom)
    }

    pub fn serialize<S: serde::Serializer, T: serde::Serialize>(
        value: &T,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(value, s)
    }
}

/// `Option<Model>`: `""` and `null` are `None`.
pub mod opt_model {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>, T: DeserializeOwned>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        let value = Value::deserialize(d)?;
        if is_absent(&value) {
            return Ok(None);
        }
        decode_nested(value).map(Some).map_err(D::Error::custom)
    }

    pub fn serialize<S: serde::Serializer, T: serde::Serialize>(
        value: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(value, s)
    }
}

/// Turns every list shape a vendor uses into the list of its elements.
///
/// Arrays stay arrays; `null` and `""` are empty; an object is one item. With `wrapped` (the
/// spec's `nested_lists: wrapped`, e.g. Billomat's `{"tax": [...]}`), an object whose only data
/// key (keys starting with `@` are metadata) holds an array, an object, `""` or `null` is a
/// wrapper around the list instead.
pub fn list_elements(value: Value, wrapped: bool) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        Value::String(s) if s.is_empty() => Vec::new(),
        Value::Object(mut map) if wrapped => {
            let mut data_keys = map.keys().filter(|k| !k.starts_with('@'));
            match (data_keys.next().cloned(), data_keys.next()) {
                // Only metadata (`{"@total": "0"}`): an empty list.
                (None, _) => Vec::new(),
                (Some(key), None)
                    if matches!(
                        map.get(&key),
                        Some(Value::Array(_) | Value::Object(_) | Value::Null)
                    ) || map.get(&key).is_some_and(is_absent) =>
                {
                    list_elements(map.remove(&key).unwrap_or(Value::Null), false)
                }
                _ => vec![Value::Object(map)],
            }
        }
        item => vec![item],
    }
}

fn decode_nested<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            e.into_inner().to_string()
        } else {
            format!("at `{path}`: {}", e.into_inner())
        }
    })
}

fn scalar_items<'de, D: Deserializer<'de>, T: FromWire>(
    d: D,
    wrapped: bool,
) -> Result<Vec<T>, D::Error> {
    let value = Value::deserialize(d)?;
    list_elements(value, wrapped)
        .into_iter()
        .filter(|v| !is_absent(v))
        .enumerate()
        .map(|(i, v)| T::from_wire(v).map_err(|e| D::Error::custom(format!("item {i}: {e}"))))
        .collect()
}

fn model_items<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    d: D,
    wrapped: bool,
) -> Result<Vec<T>, D::Error> {
    let value = Value::deserialize(d)?;
    list_elements(value, wrapped)
        .into_iter()
        .enumerate()
        .map(|(i, v)| decode_nested(v).map_err(|e| D::Error::custom(format!("item {i}: {e}"))))
        .collect()
}

/// Lists are sent as plain arrays, whatever shape they arrive in.
#[doc(hidden)]
pub fn serialize_items<S: serde::Serializer, T: serde::Serialize>(
    value: &[T],
    s: S,
) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(value, s)
}

/// `Vec<T>` of scalars or enums: an array, one value, `""` or `null`.
pub mod list {
    pub use super::serialize_items as serialize;
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>, T: FromWire>(d: D) -> Result<Vec<T>, D::Error> {
        scalar_items(d, false)
    }
}

/// `Vec<Model>`: an array, one object, `""` or `null`.
pub mod model_list {
    pub use super::serialize_items as serialize;
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>, T: DeserializeOwned>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        model_items(d, false)
    }
}

/// Like [`list`](mod@list), for vendors that wrap nested lists (`{"tag": [...]}`).
pub mod wrapped_list {
    pub use super::serialize_items as serialize;
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>, T: FromWire>(d: D) -> Result<Vec<T>, D::Error> {
        scalar_items(d, true)
    }
}

/// Like [`model_list`], for vendors that wrap nested lists (`{"tax": {...}}`).
pub mod wrapped_model_list {
    pub use super::serialize_items as serialize;
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>, T: DeserializeOwned>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        model_items(d, true)
    }
}

/// Declares a vendor enum with an `Unknown(String)` fallback, so that a value the vendor adds
/// later never breaks decoding.
///
/// ```
/// erp_runtime::wire_enum! {
///     /// Visibility of a product.
///     pub enum Status {
///         /// Visible.
///         Visible = "VISIBLE",
///         /// Hidden.
///         Hidden = "HIDDEN",
///     }
/// }
/// assert_eq!(Status::from("VISIBLE"), Status::Visible);
/// assert_eq!(Status::from("ARCHIVED"), Status::Unknown("ARCHIVED".into()));
/// assert_eq!(Status::Hidden.as_str(), "HIDDEN");
/// ```
#[macro_export]
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version of the crate does not know; kept verbatim.
            Unknown(::std::string::String),
        }

        $crate::impl_wire_enum!($name { $($variant = $wire),* });
    };
}

/// Implements wire conversions for an enum declared with the known variants plus
/// `Unknown(String)` (generated crates declare the enum themselves so it reads like normal code).
///
/// ```
/// #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
/// pub enum NetGross { Net, Gross, Unknown(String) }
/// erp_runtime::impl_wire_enum!(NetGross { Net = "NET", Gross = "GROSS" });
/// assert_eq!(NetGross::from("GROSS"), NetGross::Gross);
/// assert_eq!(NetGross::KNOWN.len(), 2);
/// ```
#[macro_export]
macro_rules! impl_wire_enum {
    ($name:ident { $($variant:ident = $wire:literal),* $(,)? }) => {
        impl $name {
            /// Every known value, in spec order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// The value as it travels on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )*
                    $name::Unknown(other) => other.as_str(),
                }
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $wire => $name::$variant, )*
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for $name {
            fn from(value: ::std::string::String) -> Self {
                $name::from(value.as_str())
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                let value = <$crate::__private::serde_json::Value as $crate::__private::serde::Deserialize>::deserialize(d)?;
                <$name as $crate::wire::FromWire>::from_wire(value).map_err(<D::Error as $crate::__private::serde::de::Error>::custom)
            }
        }

        impl $crate::wire::FromWire for $name {
            fn from_wire(value: $crate::__private::serde_json::Value) -> ::std::result::Result<Self, ::std::string::String> {
                <::std::string::String as $crate::wire::FromWire>::from_wire(value).map($name::from)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        #[serde(default, with = "opt")]
        id: Option<i64>,
        #[serde(default, with = "opt")]
        price: Option<f64>,
        #[serde(default, with = "opt")]
        active: Option<bool>,
        #[serde(default, with = "opt")]
        day: Option<NaiveDate>,
        #[serde(default, with = "wrapped_model_list")]
        children: Vec<Item>,
    }

    #[test]
    fn decimals_guids_and_base64() {
        use std::str::FromStr;
        let d = |v: Value| rust_decimal::Decimal::from_wire(v);
        assert_eq!(d(json!("12.10")).unwrap().to_string(), "12.10");
        assert_eq!(
            d(json!(0.1)).unwrap(),
            rust_decimal::Decimal::from_str("0.1").unwrap()
        );
        assert_eq!(d(json!("12,5")).unwrap().to_string(), "12.5");
        assert!(
            d(json!("1,234")).is_err(),
            "a thousands separator is not guessed"
        );
        assert!(d(json!("abc")).unwrap_err().contains("decimal"));
        let g = "5f9f5ad5-4f2f-4d7c-8c7a-3b6cf2b1e3c4";
        assert_eq!(
            uuid::Uuid::from_wire(json!(format!("guid'{g}'")))
                .unwrap()
                .to_string(),
            g
        );
        assert_eq!(Base64::from_wire(json!("Zm9v")).unwrap().0, b"foo");
        assert_eq!(
            serde_json::to_value(Base64(b"foo".to_vec())).unwrap(),
            json!("Zm9v")
        );
    }

    #[test]
    fn scalars_accept_strings_numbers_and_empties() {
        let a: Item = serde_json::from_value(
            json!({"id": "12", "price": "14.28", "active": "1", "day": "2024-02-29"}),
        )
        .unwrap();
        assert_eq!(
            (a.id, a.price, a.active),
            (Some(12), Some(14.28), Some(true))
        );
        assert_eq!(a.day, NaiveDate::from_ymd_opt(2024, 2, 29));
        let b: Item =
            serde_json::from_value(json!({"id": 12, "price": 3, "active": false, "day": ""}))
                .unwrap();
        assert_eq!(
            (b.id, b.price, b.active, b.day),
            (Some(12), Some(3.0), Some(false), None)
        );
        let c: Item =
            serde_json::from_value(json!({"id": null, "price": "", "unknown": {"x": 1}})).unwrap();
        assert_eq!((c.id, c.price), (None, None));
    }

    #[test]
    fn decimal_commas_only_when_unambiguous() {
        assert_eq!(f64::from_wire(json!("12,5")), Ok(12.5));
        assert_eq!(f64::from_wire(json!("-0,25")), Ok(-0.25));
        assert!(
            f64::from_wire(json!("1,234")).is_err(),
            "could be a thousands separator"
        );
        assert!(f64::from_wire(json!("1.234,5")).is_err());
        assert!(f64::from_wire(json!("NaN")).is_err());
    }

    #[test]
    fn a_bad_scalar_names_what_was_expected() {
        let err = serde_json::from_value::<Item>(json!({"id": "twelve"}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("expected an integer") && err.contains("twelve"),
            "{err}"
        );
    }

    #[test]
    fn lists_accept_every_vendor_shape() {
        let one: Item = serde_json::from_value(json!({"children": {"id": "1"}})).unwrap();
        assert_eq!(one.children.len(), 1);
        let wrapped_one: Item =
            serde_json::from_value(json!({"children": {"child": {"id": "1"}}})).unwrap();
        assert_eq!(wrapped_one.children[0].id, Some(1));
        let wrapped_many: Item =
            serde_json::from_value(json!({"children": {"child": [{"id": "1"}, {"id": "2"}]}}))
                .unwrap();
        assert_eq!(wrapped_many.children.len(), 2);
        let empty: Item = serde_json::from_value(json!({"children": ""})).unwrap();
        assert!(empty.children.is_empty());
        let meta_only: Item = serde_json::from_value(json!({"children": {"@total": "0"}})).unwrap();
        assert!(meta_only.children.is_empty());
        let wrapped_empty: Item =
            serde_json::from_value(json!({"children": {"child": ""}})).unwrap();
        assert!(
            wrapped_empty.children.is_empty(),
            "a wrapper around \"\" is an empty list"
        );
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Category {
        #[serde(default, with = "opt")]
        id: Option<i64>,
        #[serde(default, with = "model_list")]
        children: Vec<Category>,
    }

    #[test]
    fn plain_lists_never_unwrap_an_item_that_has_one_member() {
        // One category sent as an object: it is one item, not a wrapper around its children.
        let one: Category =
            serde_json::from_value(json!({"children": {"children": [{"id": 2}, {"id": 3}]}}))
                .unwrap();
        assert_eq!(one.children.len(), 1);
        assert_eq!(one.children[0].children.len(), 2);
    }

    #[test]
    fn datetimes_in_iso_and_odata_forms() {
        let iso = DateTime::<FixedOffset>::from_wire(json!("2020-05-15T14:31:37+02:00")).unwrap();
        assert_eq!(iso.to_rfc3339(), "2020-05-15T14:31:37+02:00");
        let odata = DateTime::<FixedOffset>::from_wire(json!("/Date(1382667872203)/")).unwrap();
        assert_eq!(odata.timestamp_millis(), 1382667872203);
    }

    crate::wire_enum! {
        /// Test enum.
        pub enum Salutation {
            /// Mr.
            Mr = "Mijnh.",
            /// Mrs.
            Mrs = "Mevr.",
        }
    }

    #[test]
    fn enums_keep_unknown_values() {
        let v: Vec<Salutation> = serde_json::from_value(json!(["Mijnh.", "Dr."])).unwrap();
        assert_eq!(v, vec![Salutation::Mr, Salutation::Unknown("Dr.".into())]);
        assert_eq!(serde_json::to_value(&v).unwrap(), json!(["Mijnh.", "Dr."]));
        assert_eq!(Salutation::KNOWN, &[Salutation::Mr, Salutation::Mrs]);
    }
}
