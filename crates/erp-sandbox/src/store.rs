//! In-memory records per resource.
//!
//! Records are canonical typed JSON objects: numbers are numbers, booleans are booleans, dates are
//! `YYYY-MM-DD` strings, datetimes RFC 3339 strings, and a field without a value is a missing key.
//! How a vendor puts them on the wire is decided only when rendering.
//!
//! A resource's records are one vector sorted by id, so a page is a slice (no walk over the
//! records before it) and the `n`-th record is one index away, which seeding relies on to draw
//! parents without collecting every id. Fields named at construction (foreign keys) are indexed
//! by their integer value, so a parent's children and a `client_id=` filter are found without a
//! scan of the child resource.
//!
//! Rows keep internal integer ids whatever addresses a record: a resource whose spec declares a
//! key field (`sandbox: {key: customer-id}`) also has a key index from the key's text to the row
//! id, so a path parameter is resolved in one lookup and rows stay one sorted vector.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// Records of every resource, keyed by resource name and id.
#[derive(Debug, Default, Clone)]
pub(crate) struct Store {
    tables: BTreeMap<String, Table>,
    /// Fields to index, per resource (applied when the resource's table is created).
    indexed: BTreeMap<String, Vec<String>>,
    /// The key field of each keyed resource (see the module docs).
    keyed: BTreeMap<String, String>,
    /// Records handed out by [`Store::records`], [`Store::window`], [`Store::get`] and
    /// [`Store::nth`]: lets tests prove that a request reads only what it answers.
    reads: Cell<u64>,
}

#[derive(Debug, Default, Clone)]
struct Table {
    /// Sorted by id, ids unique.
    rows: Vec<(i64, Value)>,
    indexes: Vec<Index>,
    /// `(key field, key text -> row id)` of a keyed resource.
    keys: Option<(String, BTreeMap<String, i64>)>,
}

/// The text a key value is filed under: strings as they are, numbers in decimal.
pub(crate) fn key_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The records of one resource by the value of one field.
#[derive(Debug, Clone)]
struct Index {
    field: String,
    /// Ids (ascending) of the records whose field is an integer, by that integer.
    by_int: BTreeMap<i64, Vec<i64>>,
    /// Ids of the records whose field has another non-null value (a string, a float, a list):
    /// the index cannot tell which of them a lookup matches, so lookups return them all.
    other: BTreeSet<i64>,
}

/// How an indexed field's value is filed.
enum Key {
    Int(i64),
    Other,
    Absent,
}

fn key_of(record: &Value, field: &str) -> Key {
    match record.get(field) {
        None | Some(Value::Null) => Key::Absent,
        Some(value) => value.as_i64().map_or(Key::Other, Key::Int),
    }
}

impl Index {
    fn add(&mut self, id: i64, record: &Value) {
        match key_of(record, &self.field) {
            Key::Int(k) => {
                let ids = self.by_int.entry(k).or_default();
                // Seeding and creates add ascending ids: a push in the common case.
                match ids.last() {
                    Some(&last) if last >= id => {
                        if let Err(at) = ids.binary_search(&id) {
                            ids.insert(at, id);
                        }
                    }
                    _ => ids.push(id),
                }
            }
            Key::Other => {
                self.other.insert(id);
            }
            Key::Absent => {}
        }
    }

    fn drop_entry(&mut self, id: i64, record: &Value) {
        match key_of(record, &self.field) {
            Key::Int(k) => {
                if let Some(ids) = self.by_int.get_mut(&k) {
                    if let Ok(at) = ids.binary_search(&id) {
                        ids.remove(at);
                    }
                    if ids.is_empty() {
                        self.by_int.remove(&k);
                    }
                }
            }
            Key::Other => {
                self.other.remove(&id);
            }
            Key::Absent => {}
        }
    }
}

impl Table {
    fn position(&self, id: i64) -> Result<usize, usize> {
        self.rows.binary_search_by_key(&id, |(row_id, _)| *row_id)
    }

    fn add_to_indexes(&mut self, id: i64, record: &Value) {
        for index in &mut self.indexes {
            index.add(id, record);
        }
        if let Some((field, keys)) = &mut self.keys
            && let Some(key) = record.get(field.as_str()).and_then(key_text)
        {
            keys.insert(key, id);
        }
    }

    fn drop_from_indexes(&mut self, id: i64, record: &Value) {
        for index in &mut self.indexes {
            index.drop_entry(id, record);
        }
        if let Some((field, keys)) = &mut self.keys
            && let Some(key) = record.get(field.as_str()).and_then(key_text)
            && keys.get(&key) == Some(&id)
        {
            keys.remove(&key);
        }
    }
}

impl Store {
    /// A store that indexes `field` of `resource` for each pair (see [`Store::candidates`]).
    pub(crate) fn with_indexes<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> Store {
        let mut indexed: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (resource, field) in fields {
            let list = indexed.entry(resource.to_owned()).or_default();
            if !list.iter().any(|f| f == field) {
                list.push(field.to_owned());
            }
        }
        Store {
            indexed,
            ..Store::default()
        }
    }

    /// The same store with a key index on `field` of `resource` for each pair.
    pub(crate) fn with_keys<'a>(
        mut self,
        keys: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Store {
        for (resource, field) in keys {
            self.keyed.insert(resource.to_owned(), field.to_owned());
        }
        self
    }

    /// The row id of the record of a keyed resource whose key is `key`.
    pub(crate) fn by_key(&self, resource: &str, key: &str) -> Option<i64> {
        let (_, keys) = self.tables.get(resource)?.keys.as_ref()?;
        keys.get(key).copied()
    }

    /// Whether `resource` has a key index.
    #[cfg(test)]
    pub(crate) fn is_keyed(&self, resource: &str) -> bool {
        self.keyed.contains_key(resource)
    }

    fn count_reads(&self, n: usize) {
        self.reads.set(self.reads.get().saturating_add(n as u64));
    }

    /// How many records were handed out so far (see the field's docs).
    #[cfg(test)]
    pub(crate) fn reads(&self) -> u64 {
        self.reads.get()
    }

    /// At most `take` records from position `skip` on, in id order.
    pub(crate) fn window(&self, resource: &str, skip: usize, take: usize) -> &[(i64, Value)] {
        let rows = self.tables.get(resource).map_or(&[][..], |t| &t.rows[..]);
        let start = skip.min(rows.len());
        let end = start.saturating_add(take).min(rows.len());
        self.count_reads(end - start);
        &rows[start..end]
    }

    /// The records of a resource, in id order (empty when it has none).
    pub(crate) fn records(&self, resource: &str) -> impl Iterator<Item = (i64, &Value)> {
        let rows = self.tables.get(resource).map_or(&[][..], |t| &t.rows[..]);
        rows.iter().map(|(id, v)| {
            self.count_reads(1);
            (*id, v)
        })
    }

    /// Number of records of a resource.
    pub(crate) fn len(&self, resource: &str) -> usize {
        self.tables.get(resource).map_or(0, |t| t.rows.len())
    }

    /// The record at position `n` in id order.
    pub(crate) fn nth(&self, resource: &str, n: usize) -> Option<(i64, &Value)> {
        let (id, value) = self.tables.get(resource)?.rows.get(n)?;
        self.count_reads(1);
        Some((*id, value))
    }

    pub(crate) fn get(&self, resource: &str, id: i64) -> Option<&Value> {
        let table = self.tables.get(resource)?;
        let at = table.position(id).ok()?;
        self.count_reads(1);
        Some(&table.rows[at].1)
    }

    /// Changes a record in place (its index entries follow); `None` when there is no such record.
    pub(crate) fn update<R>(
        &mut self,
        resource: &str,
        id: i64,
        change: impl FnOnce(&mut Value) -> R,
    ) -> Option<R> {
        let table = self.tables.get_mut(resource)?;
        let at = table.position(id).ok()?;
        let mut record = std::mem::take(&mut table.rows[at].1);
        table.drop_from_indexes(id, &record);
        let result = change(&mut record);
        table.add_to_indexes(id, &record);
        table.rows[at].1 = record;
        Some(result)
    }

    pub(crate) fn insert(&mut self, resource: &str, id: i64, record: Value) {
        if !self.tables.contains_key(resource) {
            let indexes = self
                .indexed
                .get(resource)
                .into_iter()
                .flatten()
                .map(|field| Index {
                    field: field.clone(),
                    by_int: BTreeMap::new(),
                    other: BTreeSet::new(),
                })
                .collect();
            let table = Table {
                rows: Vec::new(),
                indexes,
                keys: self
                    .keyed
                    .get(resource)
                    .map(|field| (field.clone(), BTreeMap::new())),
            };
            self.tables.insert(resource.to_owned(), table);
        }
        let Some(table) = self.tables.get_mut(resource) else {
            return; // inserted just above
        };
        // Ids only grow while seeding and creating: a push in the common case.
        if table.rows.last().is_none_or(|(last, _)| *last < id) {
            table.add_to_indexes(id, &record);
            table.rows.push((id, record));
            return;
        }
        match table.position(id) {
            Ok(at) => {
                let old = std::mem::replace(&mut table.rows[at].1, Value::Null);
                table.drop_from_indexes(id, &old);
                table.add_to_indexes(id, &record);
                table.rows[at].1 = record;
            }
            Err(at) => {
                table.add_to_indexes(id, &record);
                table.rows.insert(at, (id, record));
            }
        }
    }

    pub(crate) fn remove(&mut self, resource: &str, id: i64) -> Option<Value> {
        let table = self.tables.get_mut(resource)?;
        let at = table.position(id).ok()?;
        let (_, record) = table.rows.remove(at);
        table.drop_from_indexes(id, &record);
        Some(record)
    }

    /// The ids of a resource, ascending.
    #[cfg(test)]
    pub(crate) fn ids(&self, resource: &str) -> Vec<i64> {
        self.tables
            .get(resource)
            .map(|t| t.rows.iter().map(|(id, _)| *id).collect())
            .unwrap_or_default()
    }

    /// One more than the largest id (1 for an empty resource).
    pub(crate) fn next_id(&self, resource: &str) -> i64 {
        self.tables
            .get(resource)
            .and_then(|t| t.rows.last())
            .map_or(1, |(max, _)| max.saturating_add(1))
    }

    /// Ids (ascending) of every record of `resource` whose `field` could equal one of the integers
    /// `keys`: those where it is one of them, plus those where it holds something other than an
    /// integer or null (a string `"5"`, `5.0`, a list), which only a look at the value can decide.
    /// Records without the field are never included. `None` when the field is not indexed, so the
    /// caller must scan.
    pub(crate) fn candidates(&self, resource: &str, field: &str, keys: &[i64]) -> Option<Vec<i64>> {
        let Some(table) = self.tables.get(resource) else {
            // No table yet: an indexed field has no records, an unindexed one must be scanned.
            return self
                .indexed
                .get(resource)
                .is_some_and(|fields| fields.iter().any(|f| f == field))
                .then(Vec::new);
        };
        let index = table.indexes.iter().find(|i| i.field == field)?;
        let mut ids: Vec<i64> = index.other.iter().copied().collect();
        for key in keys {
            if let Some(found) = index.by_int.get(key) {
                ids.extend_from_slice(found);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        Some(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_grow_from_the_largest() {
        let mut store = Store::default();
        assert_eq!(store.next_id("clients"), 1);
        store.insert("clients", 1, json!({"id": 1}));
        store.insert("clients", 7, json!({"id": 7}));
        assert_eq!(store.next_id("clients"), 8);
        assert_eq!(store.ids("clients"), vec![1, 7]);
        assert!(store.remove("clients", 7).is_some());
        assert_eq!(store.records("clients").count(), 1);
        assert!(store.get("clients", 7).is_none() && store.get("other", 1).is_none());
    }

    #[test]
    fn rows_stay_sorted_and_windows_are_slices() {
        let mut store = Store::default();
        for id in [5, 1, 3, 9, 7] {
            store.insert("r", id, json!({"id": id}));
        }
        store.insert("r", 3, json!({"id": 3, "again": true}));
        assert_eq!(store.ids("r"), vec![1, 3, 5, 7, 9]);
        assert_eq!(store.len("r"), 5);
        assert_eq!(store.get("r", 3), Some(&json!({"id": 3, "again": true})));
        assert_eq!(store.nth("r", 3).map(|(id, _)| id), Some(7));
        assert_eq!(store.nth("r", 5), None);
        let ids = |rows: &[(i64, Value)]| rows.iter().map(|(id, _)| *id).collect::<Vec<_>>();
        assert_eq!(ids(store.window("r", 1, 2)), vec![3, 5]);
        assert_eq!(ids(store.window("r", 4, 10)), vec![9]);
        assert!(store.window("r", 99, 10).is_empty());
        assert!(store.window("none", 0, 10).is_empty());
        assert_eq!(store.update("r", 9, |v| v["id"].take()), Some(json!(9)));
        assert_eq!(store.update("r", 4, |_| ()), None);
    }

    #[test]
    fn indexes_follow_inserts_updates_and_removes() {
        let mut store = Store::with_indexes([("contacts", "client_id")]);
        assert_eq!(
            store.candidates("contacts", "client_id", &[1]),
            Some(vec![])
        );
        assert_eq!(store.candidates("contacts", "name", &[1]), None);
        store.insert("contacts", 1, json!({"client_id": 1}));
        store.insert("contacts", 2, json!({"client_id": 2}));
        store.insert("contacts", 3, json!({"client_id": 1}));
        store.insert("contacts", 4, json!({"client_id": "1"}));
        store.insert("contacts", 5, json!({"client_id": null}));
        store.insert("contacts", 6, json!({}));
        store.insert("contacts", 7, json!({"client_id": 1.0}));
        let found = |store: &Store, keys: &[i64]| store.candidates("contacts", "client_id", keys);
        assert_eq!(found(&store, &[1]), Some(vec![1, 3, 4, 7]));
        assert_eq!(found(&store, &[2, 1]), Some(vec![1, 2, 3, 4, 7]));
        assert_eq!(found(&store, &[]), Some(vec![4, 7]));
        store.update("contacts", 3, |v| v["client_id"] = json!(2));
        assert_eq!(found(&store, &[2]), Some(vec![2, 3, 4, 7]));
        store.insert("contacts", 2, json!({"client_id": 1}));
        assert_eq!(found(&store, &[1]), Some(vec![1, 2, 4, 7]));
        store.insert("contacts", 2, json!({"client_id": 1, "name": "same key"}));
        assert_eq!(found(&store, &[1]), Some(vec![1, 2, 4, 7]));
        store.remove("contacts", 1);
        store.remove("contacts", 4);
        assert_eq!(found(&store, &[1]), Some(vec![2, 7]));
        assert_eq!(store.candidates("clients", "client_id", &[1]), None);
    }
}

#[cfg(test)]
mod key_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_resolve_to_rows_and_follow_changes() {
        let mut store = Store::default().with_keys([("subscribers", "customer-id")]);
        assert!(store.is_keyed("subscribers") && !store.is_keyed("plans"));
        store.insert("subscribers", 1, json!({"customer-id": "8889"}));
        store.insert("subscribers", 2, json!({"customer-id": 44}));
        assert_eq!(store.by_key("subscribers", "8889"), Some(1));
        assert_eq!(store.by_key("subscribers", "44"), Some(2));
        store.update("subscribers", 1, |r| r["customer-id"] = json!("9000"));
        assert_eq!(store.by_key("subscribers", "8889"), None);
        assert_eq!(store.by_key("subscribers", "9000"), Some(1));
        store.remove("subscribers", 2);
        assert_eq!(store.by_key("subscribers", "44"), None);
        assert_eq!(store.by_key("plans", "1"), None);
    }
}
