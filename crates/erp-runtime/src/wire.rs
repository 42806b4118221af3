//! What vendors send for each scalar type, and the types and macros generated models use.
//!
//! Vendors disagree on how scalars travel: Billomat sends every scalar as a string (`"1"`,
//! `"14.28"`, `""` for empty), Cloudspot's types are undocumented, Exact Online wraps dates as
//! `/Date(ms)/`. [`FromWire`] says, per type, every shape a value is known to take; the
//! decoder in [`crate::lenient`] applies it (and the rules for empty values, lists and enums)
//! whenever a generated model asks for a value, so the models themselves carry plain derives.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::de::Visitor;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// One wire value as the lenient decoder meets it: scalars borrowed from the input (a JSON
/// text or a value tree), containers only by kind. Conversions never need more than this, so
/// the same rules serve bytes decoded as they stream and trees alike.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar<'a> {
    Null,
    Bool(bool),
    /// A JSON integer that is not negative.
    U64(u64),
    /// A negative JSON integer.
    I64(i64),
    /// A JSON number with a fraction or an exponent.
    F64(f64),
    Str(&'a str),
    /// A list (its items are not looked at).
    List,
    /// An object (its members are not looked at).
    Object,
}

impl<'a> Scalar<'a> {
    /// The scalar of a tree value.
    pub fn of(value: &'a Value) -> Self {
        match value {
            Value::Null => Scalar::Null,
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => Scalar::U64(u),
                (None, Some(i)) => Scalar::I64(i),
                _ => Scalar::F64(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => Scalar::Str(s),
            Value::Array(_) => Scalar::List,
            Value::Object(_) => Scalar::Object,
        }
    }

    /// A number as JSON writes it (`12`, `-3`, `12.5`, `1e20`): the text a vendor's number
    /// stands for when a string is asked for.
    pub fn number_text(self) -> Option<String> {
        match self {
            Scalar::U64(n) => Some(n.to_string()),
            Scalar::I64(n) => Some(n.to_string()),
            Scalar::F64(f) => serde_json::Number::from_f64(f).map(|n| n.to_string()),
            _ => None,
        }
    }

    /// The value for an error message: scalars as JSON writes them (shortened), containers by
    /// kind only (their content may be long, or secret).
    fn describe(self) -> String {
        match self {
            Scalar::Null => "null".to_owned(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Str(s) => {
                let text = serde_json::to_string(s).unwrap_or_default();
                crate::error::excerpt(&text, 60)
            }
            Scalar::List => "a list".to_owned(),
            Scalar::Object => "an object".to_owned(),
            number => number.number_text().unwrap_or_default(),
        }
    }
}

/// A scalar that can be read from any of the shapes vendors use for it.
pub trait FromWire: Sized {
    /// Converts a non-null, non-empty wire value. The error says what was expected.
    fn from_scalar(value: Scalar<'_>) -> Result<Self, String>;

    /// Converts a tree value, like [`FromWire::from_scalar`].
    fn from_wire(value: &Value) -> Result<Self, String> {
        Self::from_scalar(Scalar::of(value))
    }
}

/// An integral float within the range where f64 holds integers exactly.
fn integral(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

impl FromWire for i64 {
    fn from_scalar(value: Scalar<'_>) -> Result<Self, String> {
        let found = || format!("expected an integer, found {}", value.describe());
        match value {
            Scalar::U64(n) => i64::try_from(n).map_err(|_| found()),
            Scalar::I64(n) => Ok(n),
            Scalar::F64(f) => integral(f).ok_or_else(found),
            Scalar::Str(s) => {
                let t = s.trim();
                t.parse::<i64>()
                    .ok()
                    .or_else(|| t.parse::<f64>().ok().and_then(integral))
                    .ok_or_else(found)
            }
            _ => Err(found()),
        }
    }
}

impl FromWire for f64 {
    fn from_scalar(value: Scalar<'_>) -> Result<Self, String> {
        let found = || format!("expected a number, found {}", value.describe());
        match value {
            Scalar::U64(n) => Ok(n as f64),
            Scalar::I64(n) => Ok(n as f64),
            Scalar::F64(f) => Ok(f),
            Scalar::Str(s) => {
                let t = s.trim();
                t.parse::<f64>()
                    .ok()
                    .or_else(|| decimal_comma(t))
                    .filter(|f| f.is_finite())
                    .ok_or_else(found)
            }
            _ => Err(found()),
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
    fn from_scalar(value: Scalar<'_>) -> Result<Self, String> {
        let found = || format!("expected a boolean, found {}", value.describe());
        match value {
            Scalar::Bool(b) => Ok(b),
            Scalar::U64(1) => Ok(true),
            Scalar::U64(0) => Ok(false),
            Scalar::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "y" => Ok(true),
                "0" | "false" | "no" | "n" => Ok(false),
                _ => Err(found()),
            },
            _ => Err(found()),
        }
    }
}

impl FromWire for NaiveDate {
    fn from_scalar(value: Scalar<'_>) -> Result<Self, String> {
        if let Scalar::Str(s) = value
            && let Ok(d) = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        {
            return Ok(d);
        }
        if let Ok(dt) = DateTime::<FixedOffset>::from_scalar(value) {
            return Ok(dt.date_naive());
        }
        Err(format!(
            "expected a date (YYYY-MM-DD), found {}",
            value.describe()
        ))
    }
}

impl FromWire for DateTime<FixedOffset> {
    fn from_scalar(value: Scalar<'_>) -> Result<Self, String> {
        let Scalar::Str(s) = value else {
            return Err(format!("expected a date-time, found {}", value.describe()));
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
            value.describe()
        ))
    }
}

impl FromWire for rust_decimal::Decimal {
    fn from_scalar(value: Scalar<'_>) -> Result<Self, String> {
        use std::str::FromStr;
        let found = || format!("expected a decimal, found {}", value.describe());
        let text = match value {
            Scalar::Str(s) => s.trim().to_owned(),
            // A JSON number reached us as f64: its shortest form is what the vendor wrote.
            number => number.number_text().ok_or_else(found)?,
        };
        let comma = (!text.contains('.'))
            .then(|| text.split_once(','))
            .flatten()
            .filter(|(_, f)| (1..=2).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()))
            .map(|(w, f)| format!("{w}.{f}"));
        let text = comma.unwrap_or(text);
        rust_decimal::Decimal::from_str(&text)
            .or_else(|_| rust_decimal::Decimal::from_scientific(&text))
            .map_err(|_| found())
    }
}

impl FromWire for uuid::Uuid {
    fn from_scalar(value: Scalar<'_>) -> Result<Self, String> {
        let found = || format!("expected a GUID, found {}", value.describe());
        let Scalar::Str(s) = value else {
            return Err(found());
        };
        // OData writes GUID literals as `guid'…'`.
        let t = s.trim();
        let t = t
            .strip_prefix("guid'")
            .and_then(|r| r.strip_suffix('\''))
            .unwrap_or(t);
        uuid::Uuid::parse_str(t).map_err(|_| found())
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
        struct Base64Visitor;
        impl Visitor<'_> for Base64Visitor {
            type Value = Base64;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("base64 data")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Base64, E> {
                // A trailing newline is not data.
                crate::base64::decode(text.trim())
                    .map(Base64)
                    .map_err(|e| E::custom(format!("expected base64 data: {e}")))
            }
        }
        d.deserialize_str(Base64Visitor)
    }
}

impl FromWire for Base64 {
    fn from_scalar(value: Scalar<'_>) -> Result<Self, String> {
        match value {
            Scalar::Str(s) => crate::base64::decode(s.trim())
                .map(Base64)
                .map_err(|e| format!("expected base64 data: {e}")),
            other => Err(format!("expected base64 data, found {}", other.describe())),
        }
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
                struct WireVisitor;
                impl $crate::__private::serde::de::Visitor<'_> for WireVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " value"))
                    }
                    fn visit_str<E>(self, value: &str) -> ::std::result::Result<$name, E> {
                        Ok($name::from(value))
                    }
                }
                // A string request: the lenient decoder hands numbers and booleans over as text
                // and refuses an empty required value.
                d.deserialize_string(WireVisitor)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decimals_guids_and_base64() {
        use std::str::FromStr;
        let d = |v: Value| rust_decimal::Decimal::from_wire(&v);
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
            uuid::Uuid::from_wire(&json!(format!("guid'{g}'")))
                .unwrap()
                .to_string(),
            g
        );
        assert_eq!(Base64::from_wire(&json!("Zm9v")).unwrap().0, b"foo");
        assert_eq!(
            serde_json::to_value(Base64(b"foo".to_vec())).unwrap(),
            json!("Zm9v")
        );
        let plain: Base64 = serde_json::from_value(json!("Zm9v\n")).unwrap();
        assert_eq!(plain.0, b"foo");
    }

    #[test]
    fn scalars_accept_strings_and_numbers() {
        assert_eq!(i64::from_wire(&json!("12")), Ok(12));
        assert_eq!(i64::from_wire(&json!(" 12 ")), Ok(12));
        assert_eq!(i64::from_wire(&json!(12.0)), Ok(12));
        assert_eq!(i64::from_wire(&json!("12.0")), Ok(12));
        assert!(i64::from_wire(&json!(12.5)).is_err());
        assert_eq!(f64::from_wire(&json!("14.28")), Ok(14.28));
        assert_eq!(f64::from_wire(&json!(3)), Ok(3.0));
        assert_eq!(bool::from_wire(&json!("1")), Ok(true));
        assert_eq!(bool::from_wire(&json!(0)), Ok(false));
        assert_eq!(bool::from_wire(&json!("Yes")), Ok(true));
        assert!(bool::from_wire(&json!(2)).is_err());
        let err = i64::from_wire(&json!("twelve")).unwrap_err();
        assert!(
            err.contains("expected an integer") && err.contains("twelve"),
            "{err}"
        );
    }

    #[test]
    fn decimal_commas_only_when_unambiguous() {
        assert_eq!(f64::from_wire(&json!("12,5")), Ok(12.5));
        assert_eq!(f64::from_wire(&json!("-0,25")), Ok(-0.25));
        assert!(
            f64::from_wire(&json!("1,234")).is_err(),
            "could be a thousands separator"
        );
        assert!(f64::from_wire(&json!("1.234,5")).is_err());
        assert!(f64::from_wire(&json!("NaN")).is_err());
    }

    #[test]
    fn datetimes_in_iso_and_odata_forms() {
        let iso = DateTime::<FixedOffset>::from_wire(&json!("2020-05-15T14:31:37+02:00")).unwrap();
        assert_eq!(iso.to_rfc3339(), "2020-05-15T14:31:37+02:00");
        let odata = DateTime::<FixedOffset>::from_wire(&json!("/Date(1382667872203)/")).unwrap();
        assert_eq!(odata.timestamp_millis(), 1382667872203);
        let naive = DateTime::<FixedOffset>::from_wire(&json!("2024-01-02 10:00:00")).unwrap();
        assert_eq!(naive.to_rfc3339(), "2024-01-02T10:00:00+00:00");
        let day = NaiveDate::from_wire(&json!("2024-01-02T23:30:00+01:00")).unwrap();
        assert_eq!(day.to_string(), "2024-01-02");
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
