//! A structured body read only as deep as its envelope: the members around the data become a
//! small value tree (page meta, error members, links, cursors), the data itself stays as
//! borrowed slices of the JSON text, each decoded into a model later, straight from its text.
//!
//! One pass over the text: where the envelope puts a list, its items are kept as raw slices
//! (`serde_json::value::RawValue`, borrowed, never copied); where it puts one item, that item
//! is. Everything else in the body is small and parsed into the tree as usual.

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Where the envelope may put the data, and how to keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Want {
    /// A dotted path; `*` stands for any key, `""` for the body itself.
    pub path: String,
    pub mode: Mode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A list: an array there keeps its items raw; an object is looked into for the other
    /// wants (OData's `d` may be the list or hold it); anything else joins the tree.
    Items,
    /// One item: kept raw whatever it is.
    Item,
}

/// What sits at a place of the body: from the tree, or raw from the text.
#[derive(Debug)]
pub(crate) enum Node<'a> {
    Tree(Value),
    /// One value kept raw: its JSON text. Found by the [`scan`], it is sound in structure but
    /// not yet checked in detail: decoding it checks it whole.
    Raw(&'a str),
    /// The items of an array kept raw: the JSON text of each. Items of a list found by the
    /// [`scan`] are sound in structure but not yet checked in detail (escapes, numbers,
    /// literals): decoding an item checks it whole.
    Items(Vec<&'a str>),
}

/// One data item of a body: raw JSON text, or a tree (XML bodies, single objects).
#[derive(Debug)]
pub(crate) enum Item<'a> {
    Raw(&'a str),
    Tree(Value),
}

impl Item<'_> {
    /// The item as a value tree (for a cursor field, an error excerpt); raw items are parsed.
    pub fn to_value(&self) -> Value {
        match self {
            // Text that is not JSON after all fails its decoding, which names it.
            Item::Raw(raw) => serde_json::from_str(raw).unwrap_or(Value::Null),
            Item::Tree(value) => value.clone(),
        }
    }

    /// The value at a dotted path of the item (a record's key), as
    /// `lookup(&self.to_value(), dotted)` gives it, without building the whole item's tree.
    pub fn member(&self, dotted: &str) -> Option<Value> {
        match self {
            Item::Raw(raw) => match scan::member(raw, dotted) {
                Some(found) => found.and_then(|text| serde_json::from_str(text).ok()),
                None => crate::envelope::lookup(&self.to_value(), dotted).cloned(),
            },
            Item::Tree(value) => crate::envelope::lookup(value, dotted).cloned(),
        }
    }
}

/// A decoded structured body.
#[derive(Debug, Default)]
pub(crate) struct Body<'a> {
    /// The body, without what was kept raw: an array kept raw is an empty array here, an item
    /// kept raw an empty object, so the envelope still sees the shapes.
    pub tree: Value,
    /// What was kept raw, by dotted path.
    raw: Vec<(String, Node<'a>)>,
    /// The whole JSON text, for an error excerpt of the whole body.
    text: Option<&'a str>,
}

impl<'a> Body<'a> {
    /// A body that is a tree already (a codec that builds one, as XML's does).
    pub fn tree(tree: Value) -> Self {
        Body {
            tree,
            ..Body::default()
        }
    }

    /// Reads a JSON text as deep as `wants` say. serde_json's recursion limit stays on.
    ///
    /// What is wanted raw is found by the [`scan`] (one quick pass over its text, which the
    /// items' decoding reads again in detail); a body the scan cannot read, or one of which
    /// nothing is wanted raw, is read by serde_json alone, whose errors say what is wrong.
    pub fn json(text: &'a str, wants: &[Want]) -> Result<Self, serde_json::Error> {
        if !wants.is_empty()
            && let Some((tree, raw)) = scan::read(text, wants)
        {
            return Ok(Body {
                tree,
                raw,
                text: Some(text),
            });
        }
        Self::parsed(text, wants)
    }

    /// [`Body::json`] by serde_json alone.
    fn parsed(text: &'a str, wants: &[Want]) -> Result<Self, serde_json::Error> {
        let segments = segments(wants);
        let all: Vec<usize> = (0..wants.len()).collect();
        let mut raw = Vec::new();
        let mut input = serde_json::Deserializer::from_str(text);
        let tree = Place {
            wants,
            segments: &segments,
            live: all,
            depth: 0,
            path: String::new(),
            raw: &mut raw,
        }
        .deserialize(&mut input)?;
        input.end()?;
        Ok(Body {
            tree,
            raw,
            text: Some(text),
        })
    }

    /// Takes what sits at a dotted path (`""`: the body itself).
    pub fn take(&mut self, dotted: &str) -> Option<Node<'a>> {
        // A repeated member: the last one counts, as in a tree.
        if let Some(i) = self.raw.iter().rposition(|(path, _)| path == dotted) {
            let (_, node) = self.raw.swap_remove(i);
            return Some(node);
        }
        if dotted.is_empty() {
            return Some(Node::Tree(self.tree.take()));
        }
        let (parent, last) = match dotted.rsplit_once('.') {
            Some((parent, last)) => (
                parent
                    .split('.')
                    .try_fold(&mut self.tree, |v, key| v.get_mut(key))?,
                last,
            ),
            None => (&mut self.tree, dotted),
        };
        parent.as_object_mut()?.remove(last).map(Node::Tree)
    }

    /// The whole body as a tree, raw parts included: only for error excerpts.
    pub fn whole(&self) -> Value {
        match self.text {
            Some(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            None => self.tree.clone(),
        }
    }
}

/// Each want's path, split at its dots (`""`, the body itself: no segments).
fn segments(wants: &[Want]) -> Vec<Vec<&str>> {
    wants
        .iter()
        .map(|w| match w.path.as_str() {
            "" => Vec::new(),
            path => path.split('.').collect(),
        })
        .collect()
}

/// One place of the body being read: which wants still lead through it.
struct Place<'w, 'r, 'a> {
    wants: &'w [Want],
    segments: &'w [Vec<&'w str>],
    /// Indices of the wants whose path leads here.
    live: Vec<usize>,
    depth: usize,
    path: String,
    raw: &'r mut Vec<(String, Node<'a>)>,
}

impl<'w, 'a> Place<'w, '_, 'a> {
    /// The want that ends here, if any.
    fn ending(&self) -> Option<Mode> {
        self.live
            .iter()
            .find(|&&i| self.segments[i].len() == self.depth)
            .map(|&i| self.wants[i].mode)
    }

    fn leads_on(&self) -> bool {
        self.live
            .iter()
            .any(|&i| self.segments[i].len() > self.depth)
    }

    fn child(&mut self, key: &str) -> Place<'w, '_, 'a> {
        let depth = self.depth;
        let live = self
            .live
            .iter()
            .copied()
            .filter(|&i| {
                self.segments[i]
                    .get(depth)
                    .is_some_and(|s| *s == key || *s == "*")
            })
            .collect();
        let path = if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        };
        Place {
            wants: self.wants,
            segments: self.segments,
            live,
            depth: depth + 1,
            path,
            raw: self.raw,
        }
    }
}

impl<'a> DeserializeSeed<'a> for Place<'_, '_, 'a> {
    type Value = Value;

    fn deserialize<D: Deserializer<'a>>(self, input: D) -> Result<Value, D::Error> {
        match self.ending() {
            Some(Mode::Item) => {
                let raw = <&'a RawValue>::deserialize(input)?;
                self.raw.push((self.path, Node::Raw(raw.get())));
                Ok(Value::Object(Map::new()))
            }
            Some(Mode::Items) => input.deserialize_any(Level {
                place: self,
                items: true,
            }),
            None if self.leads_on() => input.deserialize_any(Level {
                place: self,
                items: false,
            }),
            None => Value::deserialize(input),
        }
    }
}

/// The value at a place: a list kept raw (`items`), an object looked into, or a tree.
struct Level<'w, 'r, 'a> {
    place: Place<'w, 'r, 'a>,
    items: bool,
}

impl<'a> Visitor<'a> for Level<'_, '_, 'a> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'a>>(self, mut items: A) -> Result<Value, A::Error> {
        if self.items {
            let mut raw = Vec::with_capacity(items.size_hint().unwrap_or(0));
            while let Some(item) = items.next_element::<&'a RawValue>()? {
                raw.push(item.get());
            }
            self.place.raw.push((self.place.path, Node::Items(raw)));
            return Ok(Value::Array(Vec::new()));
        }
        Value::deserialize(serde::de::value::SeqAccessDeserializer::new(items))
    }

    fn visit_map<A: MapAccess<'a>>(self, mut members: A) -> Result<Value, A::Error> {
        let mut place = self.place;
        if !place.leads_on() {
            return Value::deserialize(MapAccessDeserializer::new(members));
        }
        let mut map = Map::new();
        // Keys are decoded (escapes included) before they are matched against the paths.
        while let Some(key) = members.next_key::<String>()? {
            let child = place.child(&key);
            let value = if child.live.is_empty() {
                members.next_value::<Value>()?
            } else {
                members.next_value_seed(child)?
            };
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
        Ok(Value::from(n))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
        Ok(Value::from(n))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

mod scan;

#[cfg(test)]
mod tests {
    use super::*;

    fn want(path: &str, mode: Mode) -> Want {
        Want {
            path: path.to_owned(),
            mode,
        }
    }

    #[test]
    fn data_before_or_after_meta_and_escaped_keys() {
        let wants = [want("clients.client", Mode::Items)];
        for text in [
            r#"{"clients": {"client": [{"id": 1}, {"id": 2}], "@total": "2"}}"#,
            r#"{"clients": {"@total": "2", "client": [{"id": 1}, {"id": 2}]}}"#,
            r#"{"cli\u0065nts": {"@tot\u0061l": "2", "client": [{"id": 1},{"id": 2}]}}"#,
        ] {
            let mut body = Body::json(text, &wants).unwrap();
            assert_eq!(body.tree["clients"]["@total"], "2", "{text}");
            let Some(Node::Items(items)) = body.take("clients.client") else {
                panic!("{text}: items not kept raw");
            };
            assert_eq!(items[1].replace(' ', ""), r#"{"id":2}"#, "{text}");
        }
    }

    #[test]
    fn only_the_data_is_kept_raw() {
        let wants = [want("d", Mode::Items), want("d.results", Mode::Items)];
        let text = r#"{"d": {"__next": "n", "results": [{"a": 1}], "__count": "1"}}"#;
        let mut body = Body::json(text, &wants).unwrap();
        assert_eq!(body.tree["d"]["__next"], "n");
        assert!(matches!(body.take("d.results"), Some(Node::Items(i)) if i.len() == 1));
        // An array where `d` may hold the list itself.
        let mut body = Body::json(r#"{"d": [{"a": 1}, {"a": 2}]}"#, &wants).unwrap();
        assert!(matches!(body.take("d"), Some(Node::Items(i)) if i.len() == 2));
        // One item kept raw whatever it is; a repeated member counts once, the last.
        let item = [want("*", Mode::Item)];
        let mut body = Body::json(r#"{"client": {"id": 1}, "client": {"id": 2}}"#, &item).unwrap();
        assert!(matches!(body.take("client"), Some(Node::Raw(r)) if r == r#"{"id": 2}"#));
        assert_eq!(body.whole(), serde_json::json!({"client": {"id": 2}}));
    }

    #[test]
    fn deep_or_broken_bodies_are_errors() {
        let wants = [want("data", Mode::Items)];
        let deep = format!(
            "{{\"meta\": {}1{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let err = Body::json(&deep, &wants).unwrap_err();
        assert!(err.to_string().contains("recursion limit"), "{err}");
        let deep_item = format!(
            "{{\"data\": [{}1{}]}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        // Skipping over an item to keep it raw takes no stack; decoding it meets the limit.
        let mut body = Body::json(&deep_item, &wants).unwrap();
        let Some(Node::Items(items)) = body.take("data") else {
            panic!("items not kept raw");
        };
        let err = crate::lenient::from_str::<serde_json::Value>(
            items[0],
            crate::lenient::Leniency::default(),
        )
        .unwrap_err();
        assert!(err.message().contains("recursion limit"), "{err}");
        assert!(Body::json(r#"{"data": [1, 2"#, &wants).is_err());
        assert!(Body::json(r#"{"data": []} x"#, &wants).is_err());
    }
}
