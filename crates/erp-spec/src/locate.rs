//! Where things are written: the YAML document as a tree of located nodes, whatever its
//! schema, for the errors serde reports by path (unknown keys) or by a nearby position only
//! (missing keys, values of the wrong shape).
//!
//! The YAML parser itself places every key and value, so block and flow mappings, quoted keys
//! and sequences are all found exactly; nothing is searched in the text by name, which once
//! let a field called `value` (also a step of serde's paths through `Spanned`) capture the
//! errors of the fields after it.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

/// A YAML node and the place it starts.
#[derive(Debug)]
pub(crate) struct Node {
    pub at: Location,
    pub value: Value,
}

#[derive(Debug)]
pub(crate) enum Value {
    /// Entries in the order written.
    Map(Vec<Entry>),
    Seq(Vec<Node>),
    Scalar(String),
    Null,
}

/// One `key: value` of a mapping; `at` is where the key is written.
#[derive(Debug)]
pub(crate) struct Entry {
    pub key: String,
    pub at: Location,
    pub node: Node,
}

/// Parses `text` into a tree; `None` when it is not YAML (the spec parse reports why).
pub(crate) fn tree(text: &str) -> Option<Node> {
    serde_saphyr::from_str_with_options(text, crate::yaml_options()).ok()
}

impl Node {
    /// The node at `path` (map keys, and `[i]` for sequence items) and where its key or item
    /// is written; `None` when a step is not in the document.
    pub fn get(&self, path: &[String]) -> Option<(Location, &Node)> {
        let mut here = (self.at, self);
        for segment in path {
            here = here.1.child(segment)?;
        }
        Some(here)
    }

    fn child(&self, segment: &str) -> Option<(Location, &Node)> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|e| e.key == segment)
                .map(|e| (e.at, &e.node)),
            Value::Seq(items) => {
                let index: usize = segment.strip_prefix('[')?.strip_suffix(']')?.parse().ok()?;
                items.get(index).map(|item| (item.at, item))
            }
            _ => None,
        }
    }

    /// Where `path` is written, or its deepest step that is (a path into a value that is not
    /// there ends at the value's key).
    pub fn locate(&self, path: &[String]) -> Location {
        (0..=path.len())
            .rev()
            .find_map(|n| self.get(&path[..n]).map(|(at, _)| at))
            .unwrap_or(self.at)
    }

    /// The entries of the mapping at `path`, if a mapping is there.
    pub fn entries(&self, path: &[String]) -> Option<&[Entry]> {
        match &self.get(path)?.1.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The path of the mapping one of whose keys is written at `at`, or else of the deepest
    /// node starting there: serde-saphyr places a missing key at the last key of its mapping
    /// (at the mapping itself when it is empty).
    pub fn mapping_at(&self, at: Location) -> Option<Vec<String>> {
        let mut path = Vec::new();
        if let Some(found) = self.find(at, &mut path, &|node, at| {
            matches!(&node.value, Value::Map(entries) if entries.iter().any(|e| same_place(e.at, at)))
        }) {
            return Some(found);
        }
        self.find(at, &mut path, &|node, at| {
            matches!(node.value, Value::Map(_)) && same_place(node.at, at)
        })
    }

    /// Depth first, deepest match wins.
    fn find(
        &self,
        at: Location,
        path: &mut Vec<String>,
        hit: &dyn Fn(&Node, Location) -> bool,
    ) -> Option<Vec<String>> {
        let children: Vec<(String, &Node)> = match &self.value {
            Value::Map(entries) => entries.iter().map(|e| (e.key.clone(), &e.node)).collect(),
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| (format!("[{i}]"), item))
                .collect(),
            _ => Vec::new(),
        };
        for (segment, child) in children {
            path.push(segment);
            let found = child.find(at, path, hit);
            path.pop();
            if found.is_some() {
                return found;
            }
        }
        hit(self, at).then(|| path.clone())
    }
}

pub(crate) fn same_place(a: Location, b: Location) -> bool {
    a.line() == b.line() && a.column() == b.column()
}

/// `resources.widgets.operations`, `auth.headers[0]`: a path as a person reads it.
pub(crate) fn display_path(path: &[String]) -> String {
    path.iter().fold(String::new(), |mut acc, segment| {
        if !acc.is_empty() && !segment.starts_with('[') {
            acc.push('.');
        }
        acc.push_str(segment);
        acc
    })
}

/// "in `resources.widgets`", or "at the top level" for the document itself.
pub(crate) fn describe(path: &[String]) -> String {
    if path.is_empty() {
        "at the top level".to_owned()
    } else {
        format!("in `{}`", display_path(path))
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(d)?;
        Ok(Node {
            at: spanned.referenced,
            value: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let node = map.next_value::<Node>()?;
            entries.push(Entry {
                key: key.value,
                at: key.referenced,
                node,
            });
        }
        Ok(Value::Map(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_owned()))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_owned).collect()
    }

    const YAML: &str = "vendor:\n  name: x\n  colour: blue\nresources:\n  widgets:\n    operations:\n      list:\n        doc: d\n        query:\n          name: {type: string, size: 3}\nauth:\n  headers:\n    - name: A\n      param: a\n    - name: B\n      shade: c\nmodels:\n  W:\n    fields:\n      value: {type: string, doc: V.}\n      name: {type: string, colour: red}\n";

    fn at(p: &[String]) -> (u64, u64) {
        let found = tree(YAML).unwrap().locate(p);
        (found.line(), found.column())
    }

    #[test]
    fn finds_block_flow_and_sequence_keys() {
        assert_eq!(at(&path("vendor.colour")), (3, 3));
        assert_eq!(
            at(&path("resources.widgets.operations.list.query.name.size")),
            (10, 32)
        );
        assert_eq!(at(&path("auth.headers.[1].shade")), (16, 7));
        assert_eq!(at(&path("auth.headers.[1].name")), (15, 7));
    }

    #[test]
    fn a_field_named_value_is_only_that_field() {
        assert_eq!(at(&path("models.W.fields.name.colour")), (21, 28));
        assert_eq!(at(&path("models.W.fields.value.doc")), (20, 29));
    }

    #[test]
    fn a_missing_step_ends_at_the_deepest_key_found() {
        assert_eq!(at(&path("vendor.nothing")), (1, 1));
    }

    #[test]
    fn mapping_by_the_place_of_one_of_its_keys() {
        let tree = tree(YAML).unwrap();
        let colour = tree.locate(&path("models.W.fields.name.colour"));
        assert_eq!(tree.mapping_at(colour), Some(path("models.W.fields.name")));
        assert_eq!(display_path(&path("auth.headers.[1]")), "auth.headers[1]");
    }
}
