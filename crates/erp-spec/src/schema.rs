//! The keys the spec format knows at each place, read from the `Deserialize` impls of
//! [`crate::raw`] rather than written down a second time: a key added to a raw struct is
//! suggested for misspellings of it without touching this module.
//!
//! A probing [`Deserializer`] plays a document that has every field of every struct, one entry
//! in every map and one item in every sequence; each struct's `deserialize_struct` call names
//! its fields. Places are patterns: map keys become `*`, sequence items `[]`
//! (`resources.*.operations.*`, `auth.headers.[]`).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::OnceLock;

use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess};
use serde::{Deserialize, forward_to_deserialize_any};

use crate::raw::RawSpec;

/// The struct fields at each pattern, and which patterns are maps or sequences.
#[derive(Debug, Default)]
pub(crate) struct Schema {
    pub structs: BTreeMap<Vec<String>, &'static [&'static str]>,
    maps: BTreeSet<Vec<String>>,
    seqs: BTreeSet<Vec<String>>,
}

/// The schema of [`RawSpec`], probed once.
pub(crate) fn spec() -> Option<&'static Schema> {
    static SCHEMA: OnceLock<Option<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| probe(None).ok()).as_ref()
}

impl Schema {
    /// The pattern of a concrete path (`resources.widgets.operations.list` ->
    /// `resources.*.operations.*`).
    pub fn pattern(&self, path: &[String]) -> Vec<String> {
        let mut pattern = Vec::new();
        for segment in path {
            let step = if self.maps.contains(&pattern) {
                "*".to_owned()
            } else if self.seqs.contains(&pattern) {
                "[]".to_owned()
            } else {
                segment.clone()
            };
            pattern.push(step);
        }
        pattern
    }

    /// The keys the struct at `path` knows, if there is a struct there.
    pub fn keys_at(&self, path: &[String]) -> Option<&'static [&'static str]> {
        self.structs.get(&self.pattern(path)).copied()
    }

    /// Keys that must be written whenever their struct is: those whose omission serde rejects.
    #[cfg(test)]
    pub fn required(&self) -> BTreeMap<Vec<String>, Vec<&'static str>> {
        let mut out = BTreeMap::new();
        for (pattern, fields) in &self.structs {
            let required: Vec<&'static str> = fields
                .iter()
                .copied()
                .filter(|field| {
                    matches!(probe(Some((pattern.clone(), field))),
                        Err(ProbeError(m)) if m == format!("missing field `{field}`"))
                })
                .collect();
            out.insert(pattern.clone(), required);
        }
        out
    }
}

/// Runs the probe over [`RawSpec`], leaving out one field of one struct when asked (to learn
/// whether serde requires it).
fn probe(omit: Option<(Vec<String>, &'static str)>) -> Result<Schema, ProbeError> {
    let recorder = Recorder {
        schema: RefCell::new(Schema::default()),
        omit,
    };
    RawSpec::deserialize(Probe {
        recorder: &recorder,
        path: Vec::new(),
    })?;
    Ok(recorder.schema.into_inner())
}

struct Recorder {
    schema: RefCell<Schema>,
    omit: Option<(Vec<String>, &'static str)>,
}

/// serde-saphyr's name for the newtype through which `Spanned<T>` asks for its value.
const SPANNED_NEWTYPE: &str = "__yaml_spanned";
/// The first key serde-saphyr's own `Spanned` representation carries; `Spanned<T>` reads the
/// rest of the map as `{value, referenced, defined}` only when it sees this key.
const SPANNED_MARKER: &str = "__serde_saphyr_private_spanned";

#[derive(Debug)]
struct ProbeError(String);

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProbeError {}

impl de::Error for ProbeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ProbeError(msg.to_string())
    }
}

/// Stands in for the value at `path`; answers each request with a value of the asked shape.
#[derive(Clone)]
struct Probe<'r> {
    recorder: &'r Recorder,
    path: Vec<String>,
}

impl<'r> Probe<'r> {
    fn child(&self, step: &str) -> Probe<'r> {
        let mut path = self.path.clone();
        path.push(step.to_owned());
        Probe {
            recorder: self.recorder,
            path,
        }
    }
}

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = ProbeError;

    // Anything without a shape of its own (ignored values, untyped data) reads as nothing.
    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_unit()
    }

    fn deserialize_bool<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_bool(false)
    }

    fn deserialize_i8<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_i64(0)
    }

    fn deserialize_i16<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_i64(0)
    }

    fn deserialize_i32<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_i64(0)
    }

    fn deserialize_i64<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_i64(0)
    }

    fn deserialize_u8<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_u64(0)
    }

    fn deserialize_u16<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_u64(0)
    }

    fn deserialize_u32<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_u64(0)
    }

    fn deserialize_u64<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_u64(0)
    }

    fn deserialize_f32<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_f64(0.0)
    }

    fn deserialize_f64<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_f64(0.0)
    }

    fn deserialize_char<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_char('x')
    }

    fn deserialize_str<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_str("")
    }

    fn deserialize_string<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_str("")
    }

    fn deserialize_identifier<V: de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        visitor.visit_str("")
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: de::Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        if name == SPANNED_NEWTYPE {
            visitor.visit_newtype_struct(SpannedProbe(self))
        } else {
            visitor.visit_newtype_struct(self)
        }
    }

    fn deserialize_seq<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        self.recorder
            .schema
            .borrow_mut()
            .seqs
            .insert(self.path.clone());
        visitor.visit_seq(OneItem(Some(self.child("[]"))))
    }

    fn deserialize_map<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        self.recorder
            .schema
            .borrow_mut()
            .maps
            .insert(self.path.clone());
        visitor.visit_map(OneEntry {
            key: Some(self.child("*")),
            value: Some(self.child("*")),
        })
    }

    fn deserialize_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        self.recorder
            .schema
            .borrow_mut()
            .structs
            .insert(self.path.clone(), fields);
        let omit = match &self.recorder.omit {
            Some((pattern, field)) if *pattern == self.path => Some(*field),
            _ => None,
        };
        visitor.visit_map(Fields {
            probe: self,
            fields: fields.iter(),
            omit,
            next: None,
        })
    }

    fn deserialize_enum<V: de::Visitor<'de>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, ProbeError> {
        // The raw format has no serde enums (choices are strings, see `raw`); one here would
        // need a variant to probe, so the schema is not known rather than guessed.
        Err(ProbeError(format!("enum `{name}` cannot be probed")))
    }

    forward_to_deserialize_any! {
        i128 u128 bytes byte_buf unit unit_struct tuple tuple_struct ignored_any
    }
}

/// The value inside a `Spanned<T>`, handed over in serde-saphyr's own representation.
struct SpannedProbe<'r>(Probe<'r>);

impl<'de> Deserializer<'de> for SpannedProbe<'_> {
    type Error = ProbeError;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_map(SpannedFields {
            probe: Some(self.0),
            state: 0,
        })
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct SpannedFields<'r> {
    probe: Option<Probe<'r>>,
    state: u8,
}

impl<'de> MapAccess<'de> for SpannedFields<'_> {
    type Error = ProbeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ProbeError> {
        let key = match self.state {
            0 => SPANNED_MARKER,
            1 => "value",
            2 => "referenced",
            3 => "defined",
            _ => return Ok(None),
        };
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ProbeError> {
        self.state += 1;
        match self.state {
            1 => seed.deserialize(true.into_deserializer()),
            2 => match self.probe.take() {
                Some(probe) => seed.deserialize(probe),
                None => Err(ProbeError("`value` read twice".to_owned())),
            },
            _ => seed.deserialize(de::value::MapDeserializer::new(
                [("line", 1u32), ("column", 1u32)].into_iter(),
            )),
        }
    }
}

/// A struct's fields, each with a probe for its value.
struct Fields<'r> {
    probe: Probe<'r>,
    fields: std::slice::Iter<'static, &'static str>,
    omit: Option<&'static str>,
    next: Option<&'static str>,
}

impl<'de> MapAccess<'de> for Fields<'_> {
    type Error = ProbeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ProbeError> {
        let Some(field) = self.fields.find(|f| Some(**f) != self.omit) else {
            return Ok(None);
        };
        self.next = Some(field);
        seed.deserialize(field.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ProbeError> {
        let field = self.next.take().unwrap_or_default();
        seed.deserialize(self.probe.child(field))
    }
}

/// A map with one entry, both of whose halves are probed at the entry's pattern (a key never
/// records anything: keys are strings).
struct OneEntry<'r> {
    key: Option<Probe<'r>>,
    value: Option<Probe<'r>>,
}

impl<'de> MapAccess<'de> for OneEntry<'_> {
    type Error = ProbeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ProbeError> {
        self.key.take().map(|k| seed.deserialize(k)).transpose()
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ProbeError> {
        match self.value.take() {
            Some(v) => seed.deserialize(v),
            None => Err(ProbeError("map value read twice".to_owned())),
        }
    }
}

struct OneItem<'r>(Option<Probe<'r>>);

impl<'de> SeqAccess<'de> for OneItem<'_> {
    type Error = ProbeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ProbeError> {
        self.0.take().map(|p| seed.deserialize(p)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn knows_the_keys_of_every_struct_at_any_depth() {
        let schema = spec().expect("the raw format can be probed");
        assert!(schema.keys_at(&[]).unwrap().contains(&"resources"));
        assert!(
            schema
                .keys_at(&path("vendor"))
                .unwrap()
                .contains(&"docs_url")
        );
        assert!(
            schema
                .keys_at(&path("resources.widgets.operations.list"))
                .unwrap()
                .contains(&"path_params")
        );
        assert!(
            schema
                .keys_at(&path(
                    "resources.widgets.operations.list.query.name.sandbox"
                ))
                .unwrap()
                .contains(&"filter")
        );
        assert!(
            schema
                .keys_at(&path("auth.headers.[1]"))
                .unwrap()
                .contains(&"param")
        );
        assert!(
            schema
                .keys_at(&path("models.Widget.fields.value"))
                .unwrap()
                .contains(&"read_only")
        );
        assert!(
            schema
                .keys_at(&path("models.Widget.fields.value.sandbox"))
                .unwrap()
                .contains(&"examples")
        );
        assert!(
            schema
                .keys_at(&path("sandbox.rate_limits.minutely"))
                .unwrap()
                .contains(&"quota")
        );
        // Maps of names are not structs: any key is allowed there.
        assert_eq!(schema.keys_at(&path("models.Widget.fields")), None);
    }

    /// The table of required keys in `specs/README.md` is the format's: a key made required
    /// (or optional) in `raw` without the table following fails here.
    #[test]
    fn the_readme_lists_the_required_keys() {
        let readme = include_str!("../../../specs/README.md");
        let start = readme.find("| Where | Required keys |").expect("the table");
        let mut documented = BTreeMap::new();
        for row in readme[start..].lines().skip(2) {
            let Some(row) = row.strip_prefix("| ") else {
                break;
            };
            let (places, keys) = row.split_once(" | ").expect("two columns");
            let keys: BTreeSet<&str> = keys
                .trim_end_matches(" |")
                .split(", ")
                .map(|k| k.trim_matches('`'))
                .collect();
            for place in places.split(", ") {
                let pattern: Vec<String> = match place {
                    "top level" => Vec::new(),
                    _ => place
                        .trim_matches('`')
                        .replace("[]", ".[]")
                        .split('.')
                        .map(|s| {
                            if s.starts_with('<') {
                                "*".to_owned()
                            } else {
                                s.to_owned()
                            }
                        })
                        .collect(),
                };
                documented.insert(pattern, keys.clone());
            }
        }
        let actual: BTreeMap<Vec<String>, BTreeSet<&str>> = spec()
            .unwrap()
            .required()
            .into_iter()
            .filter(|(_, keys)| !keys.is_empty())
            .map(|(pattern, keys)| (pattern, keys.into_iter().collect()))
            .collect();
        assert_eq!(documented, actual, "update the table in specs/README.md");
    }

    #[test]
    fn required_keys_are_those_serde_requires() {
        let required = spec().unwrap().required();
        assert_eq!(
            required[&path("resources.*")],
            ["doc", "path", "operations"]
        );
        assert_eq!(required[&path("auth.headers.[]")], ["name", "param", "doc"]);
        assert_eq!(required[&path("paging")], ["style"]);
    }
}
