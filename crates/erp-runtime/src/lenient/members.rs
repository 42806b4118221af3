//! The members of an object, values decoded by the rules, keys noted on the way so that an
//! error can name the member it arose in (borrowed from the input: no copy while all goes well).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;

use super::rules::again;
use super::{Rules, Segment};

/// The key of the member being decoded, for the path of an error.
enum Key<'de> {
    Unknown,
    Borrowed(&'de str),
    Owned(String),
}

/// The members of an object; keys as sent, values decoded by the rules.
pub(super) struct Members<'t, 'de, A> {
    members: A,
    /// The key just handed out (borrowed from the input unless it had escapes).
    key: Key<'de>,
    rules: Rules<'t>,
}

impl<'t, A> Members<'t, '_, A> {
    pub(super) fn new(members: A, rules: Rules<'t>) -> Self {
        Members {
            members,
            key: Key::Unknown,
            rules,
        }
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Members<'_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.members.next_key_seed(KeySeed {
            seed,
            key: &mut self.key,
        })
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        let rules = self.rules;
        self.members
            .next_value_seed(ValueSeed { seed, rules })
            .inspect_err(|_| {
                let key = match std::mem::replace(&mut self.key, Key::Unknown) {
                    Key::Borrowed(key) => key.to_owned(),
                    Key::Owned(key) => key,
                    Key::Unknown => "?".to_owned(),
                };
                rules.track.push(Segment::Key(key));
            })
    }

    fn size_hint(&self) -> Option<usize> {
        self.members.size_hint()
    }
}

struct ValueSeed<'t, T> {
    seed: T,
    rules: Rules<'t>,
}

impl<'de, T: DeserializeSeed<'de>> DeserializeSeed<'de> for ValueSeed<'_, T> {
    type Value = T::Value;

    fn deserialize<D: Deserializer<'de>>(self, input: D) -> Result<T::Value, D::Error> {
        self.seed.deserialize(again(input, self.rules))
    }
}

/// Hands the key to the model's seed as it is, noting it on the way.
struct KeySeed<'k, 'de, K> {
    seed: K,
    key: &'k mut Key<'de>,
}

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, 'de, K> {
    type Value = K::Value;

    fn deserialize<D: Deserializer<'de>>(self, input: D) -> Result<K::Value, D::Error> {
        *self.key = Key::Unknown;
        self.seed.deserialize(KeyInput {
            input,
            key: self.key,
        })
    }
}

struct KeyInput<'k, 'de, D> {
    input: D,
    key: &'k mut Key<'de>,
}

/// Each request goes to the input with a visitor that notes a string key.
macro_rules! noting {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
                self.input.$method(NoteKey { visitor, key: self.key })
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for KeyInput<'_, 'de, D> {
    type Error = D::Error;

    noting! {
        deserialize_any deserialize_str deserialize_string deserialize_identifier
        deserialize_bool deserialize_i64 deserialize_u64 deserialize_f64
        deserialize_option deserialize_ignored_any
    }

    forward_to_deserialize_any! {
        i8 i16 i32 i128 u8 u16 u32 u128 f32 char bytes byte_buf unit unit_struct
        newtype_struct seq tuple tuple_struct map struct enum
    }
}

struct NoteKey<'k, 'de, V> {
    visitor: V,
    key: &'k mut Key<'de>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for NoteKey<'_, 'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<V::Value, E> {
        *self.key = Key::Borrowed(s);
        self.visitor.visit_borrowed_str(s)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<V::Value, E> {
        // An escaped key (`"na\u006de"`) has no text in the input to borrow.
        *self.key = Key::Owned(s.to_owned());
        self.visitor.visit_str(s)
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<V::Value, E> {
        *self.key = Key::Owned(s.clone());
        self.visitor.visit_string(s)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<V::Value, E> {
        self.visitor.visit_bool(b)
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<V::Value, E> {
        self.visitor.visit_i64(n)
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<V::Value, E> {
        self.visitor.visit_u64(n)
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<V::Value, E> {
        self.visitor.visit_f64(f)
    }

    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<V::Value, E> {
        self.visitor.visit_bytes(b)
    }

    fn visit_borrowed_bytes<E: de::Error>(self, b: &'de [u8]) -> Result<V::Value, E> {
        self.visitor.visit_borrowed_bytes(b)
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_unit()
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_some<D2: Deserializer<'de>>(self, input: D2) -> Result<V::Value, D2::Error> {
        self.visitor.visit_some(input)
    }

    fn visit_newtype_struct<D2: Deserializer<'de>>(self, input: D2) -> Result<V::Value, D2::Error> {
        self.visitor.visit_newtype_struct(input)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, items: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_seq(items)
    }

    fn visit_map<A: MapAccess<'de>>(self, members: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(members)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_enum(data)
    }
}
