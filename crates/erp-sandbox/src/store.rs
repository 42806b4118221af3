//! In-memory records per resource.
//!
//! Records are canonical typed JSON objects: numbers are numbers, booleans are booleans, dates are
//! `YYYY-MM-DD` strings, datetimes RFC 3339 strings, and a field without a value is a missing key.
//! How a vendor puts them on the wire is decided only when rendering.

use std::collections::BTreeMap;

use serde_json::Value;

/// Records of every resource, keyed by resource name and id.
#[derive(Debug, Default, Clone)]
pub(crate) struct Store {
    tables: BTreeMap<String, BTreeMap<i64, Value>>,
}

impl Store {
    /// The records of a resource, in id order (empty when it has none).
    pub(crate) fn records(&self, resource: &str) -> impl Iterator<Item = (i64, &Value)> {
        self.tables
            .get(resource)
            .into_iter()
            .flat_map(|t| t.iter().map(|(id, v)| (*id, v)))
    }

    pub(crate) fn get(&self, resource: &str, id: i64) -> Option<&Value> {
        self.tables.get(resource).and_then(|t| t.get(&id))
    }

    pub(crate) fn get_mut(&mut self, resource: &str, id: i64) -> Option<&mut Value> {
        self.tables.get_mut(resource).and_then(|t| t.get_mut(&id))
    }

    pub(crate) fn insert(&mut self, resource: &str, id: i64, record: Value) {
        self.tables
            .entry(resource.to_owned())
            .or_default()
            .insert(id, record);
    }

    pub(crate) fn remove(&mut self, resource: &str, id: i64) -> Option<Value> {
        self.tables.get_mut(resource).and_then(|t| t.remove(&id))
    }

    /// The ids of a resource, ascending.
    pub(crate) fn ids(&self, resource: &str) -> Vec<i64> {
        self.tables
            .get(resource)
            .map(|t| t.keys().copied().collect())
            .unwrap_or_default()
    }

    /// One more than the largest id (1 for an empty resource).
    pub(crate) fn next_id(&self, resource: &str) -> i64 {
        self.tables
            .get(resource)
            .and_then(|t| t.keys().next_back())
            .map_or(1, |max| max.saturating_add(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_grow_from_the_largest() {
        let mut store = Store::default();
        assert_eq!(store.next_id("clients"), 1);
        store.insert("clients", 1, serde_json::json!({"id": 1}));
        store.insert("clients", 7, serde_json::json!({"id": 7}));
        assert_eq!(store.next_id("clients"), 8);
        assert_eq!(store.ids("clients"), vec![1, 7]);
        assert!(store.remove("clients", 7).is_some());
        assert_eq!(store.records("clients").count(), 1);
        assert!(store.get("clients", 7).is_none() && store.get("other", 1).is_none());
    }
}
