//! The rules: what each request of a model accepts, as visitors that translate the input's
//! answer to `deserialize_any`. A value the rule passes on is wrapped again ([`Lenient`]) by
//! replaying it through serde's value deserializers, so the rules also apply below it.

use std::fmt;

use serde::Deserialize;
use serde::de::value::{
    BoolDeserializer, BorrowedStrDeserializer, F64Deserializer, I64Deserializer,
    MapAccessDeserializer, SeqAccessDeserializer, StrDeserializer, StringDeserializer,
    U64Deserializer,
};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use serde_json::Value;

use super::members::Members;
use super::{Lenient, Parsed, Rules, Segment};
use crate::descriptor::NestedLists;
use crate::wire::{FromWire, Scalar};

/// What the model asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Want {
    Bool,
    I64,
    U64,
    F64,
    /// A foreign type that parses text (dates, decimals, GUIDs).
    Parsed(Parsed),
    /// `&str` and `char`: a string as sent.
    Text,
    /// `String`, `Secret`, enums: a string, or a number or bool as its text.
    String,
    Option,
    List,
    Map,
    Struct,
}

/// The rule for `want`, in front of the model's visitor.
pub(super) struct Rule<'t, V> {
    pub want: Want,
    pub visitor: V,
    pub rules: Rules<'t>,
}

/// The value a rule replays to the model, wrapped so the rules apply to it too.
pub(super) fn again<'t, 'de, D: Deserializer<'de>>(input: D, rules: Rules<'t>) -> Lenient<'t, D> {
    Lenient::wrap(input, rules)
}

impl<'de, V: Visitor<'de>> Rule<'_, V> {
    /// `null` or `""`: none for an option, no items for a list, refused where a value is
    /// required.
    fn absent<E: de::Error>(self, unexpected: Unexpected<'_>) -> Result<V::Value, E> {
        match self.want {
            Want::Option => self.visitor.visit_none(),
            Want::List => self
                .visitor
                .visit_seq(NoItems::<E>(std::marker::PhantomData)),
            Want::Map | Want::Struct => Err(E::invalid_type(unexpected, &self.visitor)),
            _ => Err(E::custom("required value is empty")),
        }
    }

    /// A scalar other than a string for a request that converts it.
    fn convert<E: de::Error>(self, scalar: Scalar<'_>) -> Result<V::Value, E> {
        let fail = |e: String| E::custom(e);
        match self.want {
            Want::Bool => self
                .visitor
                .visit_bool(bool::from_scalar(scalar).map_err(fail)?),
            Want::I64 => self
                .visitor
                .visit_i64(i64::from_scalar(scalar).map_err(fail)?),
            // Above i64::MAX only a JSON number can say it; the visitor checks the range.
            Want::U64 => match scalar {
                Scalar::U64(n) => self.visitor.visit_u64(n),
                _ => self
                    .visitor
                    .visit_i64(i64::from_scalar(scalar).map_err(fail)?),
            },
            Want::F64 => self
                .visitor
                .visit_f64(f64::from_scalar(scalar).map_err(fail)?),
            Want::Parsed(kind) => self
                .visitor
                .visit_string(kind.canonical(scalar).map_err(fail)?),
            Want::String => match scalar {
                Scalar::Bool(b) => self.visitor.visit_string(b.to_string()),
                Scalar::List => Err(E::custom("expected a string, found a list")),
                // Never echo the value: the field may be a secret.
                Scalar::Object => Err(E::custom("expected a string, found an object")),
                number => match number.number_text() {
                    Some(text) => self.visitor.visit_string(text),
                    None => Err(E::custom("expected a string")),
                },
            },
            Want::Text | Want::Map | Want::Struct | Want::Option | Want::List => {
                Err(E::invalid_type(unexpected(scalar), &self.visitor))
            }
        }
    }

    /// A scalar replayed to an option (as its value) or a list (as its only item).
    fn scalar<E: de::Error, D: Deserializer<'de, Error = E>>(
        self,
        scalar: Scalar<'_>,
        replay: D,
    ) -> Result<V::Value, E> {
        match self.want {
            Want::Option => self.visitor.visit_some(again(replay, self.rules)),
            Want::List => self.visitor.visit_seq(OneItem {
                item: Some(again(replay, self.rules)),
            }),
            _ => self.convert(scalar),
        }
    }

    /// A string: passed on as it came (borrowed or not) where a string is asked for.
    fn text<E: de::Error, T: Text<'de, E>>(self, text: T) -> Result<V::Value, E> {
        if text.as_str().is_empty() {
            return self.absent(Unexpected::Str(""));
        }
        match self.want {
            Want::Text | Want::String => text.visit(self.visitor),
            Want::Option => self.visitor.visit_some(again(text.replay(), self.rules)),
            Want::List => self.visitor.visit_seq(OneItem {
                item: Some(again(text.replay(), self.rules)),
            }),
            Want::Map | Want::Struct => Err(E::invalid_type(
                Unexpected::Str(text.as_str()),
                &self.visitor,
            )),
            Want::Parsed(kind) if kind.takes_as_is(text.as_str()) => text.visit(self.visitor),
            _ => self.convert(Scalar::Str(text.as_str())),
        }
    }
}

fn unexpected(scalar: Scalar<'_>) -> Unexpected<'_> {
    match scalar {
        Scalar::Null => Unexpected::Unit,
        Scalar::Bool(b) => Unexpected::Bool(b),
        Scalar::U64(n) => Unexpected::Unsigned(n),
        Scalar::I64(n) => Unexpected::Signed(n),
        Scalar::F64(f) => Unexpected::Float(f),
        Scalar::Str(s) => Unexpected::Str(s),
        Scalar::List => Unexpected::Seq,
        Scalar::Object => Unexpected::Map,
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Rule<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<V::Value, E> {
        self.scalar(Scalar::Bool(b), BoolDeserializer::new(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<V::Value, E> {
        self.scalar(Scalar::I64(n), I64Deserializer::new(n))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<V::Value, E> {
        self.scalar(Scalar::U64(n), U64Deserializer::new(n))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<V::Value, E> {
        self.scalar(Scalar::F64(f), F64Deserializer::new(f))
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<V::Value, E> {
        self.text(Borrowed(s))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<V::Value, E> {
        self.text(Transient(s))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<V::Value, E> {
        self.text(Owned(s))
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.absent(Unexpected::Unit)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.absent(Unexpected::Unit)
    }

    fn visit_some<D: Deserializer<'de>>(self, input: D) -> Result<V::Value, D::Error> {
        match self.want {
            Want::Option => self.visitor.visit_some(again(input, self.rules)),
            _ => input.deserialize_any(self),
        }
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, input: D) -> Result<V::Value, D::Error> {
        input.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, items: A) -> Result<V::Value, A::Error> {
        match self.want {
            Want::List => self.visitor.visit_seq(Items {
                items,
                index: 0,
                rules: self.rules,
            }),
            Want::Option => self
                .visitor
                .visit_some(again(SeqAccessDeserializer::new(items), self.rules)),
            // A struct sent as an array: serde's own positional form, as serde_json reads it.
            Want::Struct => self.visitor.visit_seq(items),
            _ => self.convert(Scalar::List),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, members: A) -> Result<V::Value, A::Error> {
        match self.want {
            Want::Map | Want::Struct => self.visitor.visit_map(Members::new(members, self.rules)),
            Want::Option => self
                .visitor
                .visit_some(again(MapAccessDeserializer::new(members), self.rules)),
            Want::List if self.rules.leniency.nested_lists == NestedLists::Wrapped => {
                // Whether `{"tax": [...]}` is a wrapper or one item shows only once every
                // member is known: this object (a nested list, not a page) is buffered.
                let object = Value::deserialize(MapAccessDeserializer::new(members))?;
                self.visitor.visit_seq(Buffered {
                    items: wrapped_elements(object).into_iter(),
                    index: 0,
                    rules: self.rules,
                    error: std::marker::PhantomData,
                })
            }
            Want::List => self.visitor.visit_seq(OneItem {
                item: Some(again(MapAccessDeserializer::new(members), self.rules)),
            }),
            _ => self.convert(Scalar::Object),
        }
    }
}

/// A string as the input handed it over: borrowed from the input, borrowed for the call, or
/// owned. The rule passes it on in the same form, so a borrowed string is never copied.
trait Text<'de, E: de::Error> {
    type Replay: Deserializer<'de, Error = E>;
    fn as_str(&self) -> &str;
    fn visit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E>;
    fn replay(self) -> Self::Replay;
}

struct Borrowed<'de>(&'de str);
struct Transient<'a>(&'a str);
struct Owned(String);

impl<'de, E: de::Error> Text<'de, E> for Borrowed<'de> {
    type Replay = BorrowedStrDeserializer<'de, E>;
    fn as_str(&self) -> &str {
        self.0
    }
    fn visit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_borrowed_str(self.0)
    }
    fn replay(self) -> Self::Replay {
        BorrowedStrDeserializer::new(self.0)
    }
}

impl<'a, 'de, E: de::Error> Text<'de, E> for Transient<'a> {
    type Replay = StrDeserializer<'a, E>;
    fn as_str(&self) -> &str {
        self.0
    }
    fn visit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_str(self.0)
    }
    fn replay(self) -> Self::Replay {
        StrDeserializer::new(self.0)
    }
}

impl<'de, E: de::Error> Text<'de, E> for Owned {
    type Replay = StringDeserializer<E>;
    fn as_str(&self) -> &str {
        &self.0
    }
    fn visit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_string(self.0)
    }
    fn replay(self) -> Self::Replay {
        StringDeserializer::new(self.0)
    }
}

/// The elements of a wrapped list (the spec's `nested_lists: wrapped`, Billomat's
/// `{"tax": [...]}`): an object whose only data key (keys starting with `@` are metadata)
/// holds an array, an object, `""` or `null` is a wrapper around the list; any other object
/// is one item. Inside a wrapper an object is always one item (a category with one member
/// `children` is a category, not a wrapper).
fn wrapped_elements(object: Value) -> Vec<Value> {
    let Value::Object(mut map) = object else {
        return vec![object];
    };
    let mut data = map.keys().filter(|k| !k.starts_with('@'));
    match (data.next(), data.next()) {
        // Only metadata (`{"@total": "0"}`): an empty list.
        (None, _) => Vec::new(),
        (Some(key), None) => {
            let key = key.clone();
            match map.remove(&key) {
                Some(Value::Array(items)) => items,
                Some(inner @ Value::Object(_)) => vec![inner],
                Some(Value::Null) => Vec::new(),
                Some(Value::String(s)) if s.is_empty() => Vec::new(),
                Some(other) => {
                    map.insert(key, other);
                    vec![Value::Object(map)]
                }
                None => vec![Value::Object(map)],
            }
        }
        _ => vec![Value::Object(map)],
    }
}

fn is_absent(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// No items (`null` or `""` where a list was asked for).
struct NoItems<E>(std::marker::PhantomData<E>);

impl<'de, E: de::Error> SeqAccess<'de> for NoItems<E> {
    type Error = E;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, _: T) -> Result<Option<T::Value>, E> {
        Ok(None)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(0)
    }
}

/// One value standing for a list of one.
struct OneItem<D> {
    item: Option<D>,
}

impl<'de, D: Deserializer<'de>> SeqAccess<'de> for OneItem<D> {
    type Error = D::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, D::Error> {
        match self.item.take() {
            Some(item) => seed.deserialize(item).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(usize::from(self.item.is_some()))
    }
}

/// The items of an array; `null` and `""` items are left out (no value is no item).
struct Items<'t, A> {
    items: A,
    /// Items handed out so far: the index of the next one in the decoded list.
    index: usize,
    rules: Rules<'t>,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Items<'_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        let mut seed = Some(seed);
        loop {
            let item = self.items.next_element_seed(Item {
                seed: &mut seed,
                rules: self.rules,
            });
            match item {
                Ok(None) => return Ok(None),
                // An empty item: the seed is still there for the next one.
                Ok(Some(None)) => continue,
                Ok(Some(Some(value))) => {
                    self.index += 1;
                    return Ok(Some(value));
                }
                Err(e) => {
                    self.rules.track.push(Segment::Index(self.index));
                    return Err(e);
                }
            }
        }
    }

    fn size_hint(&self) -> Option<usize> {
        // An upper bound: empty items are skipped.
        self.items.size_hint()
    }
}

/// One array item: `None` when it is empty, else the model's value.
struct Item<'s, 't, T> {
    seed: &'s mut Option<T>,
    rules: Rules<'t>,
}

impl<'de, T: DeserializeSeed<'de>> DeserializeSeed<'de> for Item<'_, '_, T> {
    type Value = Option<T::Value>;

    fn deserialize<D: Deserializer<'de>>(self, input: D) -> Result<Self::Value, D::Error> {
        input.deserialize_any(self)
    }
}

impl<'de, T: DeserializeSeed<'de>> Item<'_, '_, T> {
    fn give<D: Deserializer<'de>>(self, replay: D) -> Result<Option<T::Value>, D::Error> {
        match self.seed.take() {
            Some(seed) => seed.deserialize(again(replay, self.rules)).map(Some),
            None => Err(de::Error::custom("an item was asked for twice")),
        }
    }
}

impl<'de, T: DeserializeSeed<'de>> Visitor<'de> for Item<'_, '_, T> {
    type Value = Option<T::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list item")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
        self.give(BoolDeserializer::new(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
        self.give(I64Deserializer::new(n))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
        self.give(U64Deserializer::new(n))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Self::Value, E> {
        self.give(F64Deserializer::new(f))
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        if s.is_empty() {
            return Ok(None);
        }
        self.give(BorrowedStrDeserializer::new(s))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        if s.is_empty() {
            return Ok(None);
        }
        self.give(StrDeserializer::new(s))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
        if s.is_empty() {
            return Ok(None);
        }
        self.give(StringDeserializer::new(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, items: A) -> Result<Self::Value, A::Error> {
        self.give(SeqAccessDeserializer::new(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, members: A) -> Result<Self::Value, A::Error> {
        self.give(MapAccessDeserializer::new(members))
    }
}

/// The items of a buffered wrapped list, decoded by the same rules from the buffer.
struct Buffered<'t, E> {
    items: std::vec::IntoIter<Value>,
    index: usize,
    rules: Rules<'t>,
    error: std::marker::PhantomData<E>,
}

impl<'de, E: de::Error> SeqAccess<'de> for Buffered<'_, E> {
    type Error = E;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, E> {
        let Some(item) = self.items.by_ref().find(|item| !is_absent(item)) else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(again(item, self.rules))
            .map(Some)
            .map_err(|e| {
                self.rules.track.push(Segment::Index(index));
                E::custom(e)
            })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}
