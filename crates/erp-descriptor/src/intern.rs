//! One `'static` copy of each distinct string, for descriptors built from a spec at run time.

use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock};

fn table() -> &'static Mutex<BTreeSet<&'static str>> {
    static TABLE: OnceLock<Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    TABLE.get_or_init(Mutex::default)
}

/// A `'static` copy of `s`. Each distinct string is stored once per process, so loading the
/// same spec again (every sandbox in a test run does) allocates nothing new.
///
/// ```
/// let a = erp_descriptor::intern(&String::from("clients"));
/// let b = erp_descriptor::intern("clients");
/// assert!(std::ptr::eq(a, b));
/// ```
pub fn intern(s: &str) -> &'static str {
    // A poisoned lock still holds a valid set: inserts are the only change.
    let mut table = table().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(known) = table.get(s) {
        return known;
    }
    let stored: &'static str = Box::leak(s.to_owned().into_boxed_str());
    table.insert(stored);
    stored
}

/// [`intern`] for optional strings.
pub fn intern_opt(s: Option<&str>) -> Option<&'static str> {
    s.map(intern)
}
