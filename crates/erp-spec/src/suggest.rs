//! "Did you mean ...?" hints: for unknown keys, type names and other names a spec refers to.

use std::collections::BTreeSet;

/// " (did you mean `X`?)" when a known name is close to the unknown one, else "".
pub(crate) fn suggest(unknown: &str, known: &BTreeSet<String>) -> String {
    closest(unknown, known.iter().map(String::as_str))
        .map(did_you_mean)
        .unwrap_or_default()
}

pub(crate) fn did_you_mean(name: &str) -> String {
    format!(" (did you mean `{name}`?)")
}

/// The known name closest to `unknown`, if it is close enough to be a likely misspelling.
/// Case is ignored; ties go to the alphabetically first name, so the hint is reproducible.
pub(crate) fn closest<'a>(
    unknown: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = unknown.to_ascii_lowercase();
    // Two edits turn a short name into many unrelated ones (`id` -> `doc`), so short names
    // get one: the hint must be right when given, or it misleads.
    let limit = (unknown.chars().count() / 3 + 1).min(2);
    known
        .into_iter()
        .map(|k| (edit_distance(&lower, &k.to_ascii_lowercase()), k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k)
}

/// The hint for an unknown type name: a declared name that differs only in case, then the spec
/// format's name for a type other languages spell differently (`int`, `bool`, `X[]`), then the
/// closest spelling.
pub(crate) fn type_suggestion(unknown: &str, known: &BTreeSet<String>) -> String {
    let unknown = unknown.trim();
    if let Some(same) = known.iter().find(|k| k.eq_ignore_ascii_case(unknown)) {
        return did_you_mean(same);
    }
    match type_alias(unknown) {
        Some(alias) => did_you_mean(&alias),
        None => suggest(unknown, known),
    }
}

/// The spec format's spelling of a type written as another language or schema would.
fn type_alias(ty: &str) -> Option<String> {
    let ty = ty.trim();
    let list_inner = ["array<", "Array<", "vec<", "Vec<", "List<", "sequence<"]
        .iter()
        .find_map(|open| ty.strip_prefix(open)?.strip_suffix('>'))
        .or_else(|| ty.strip_suffix("[]"));
    if let Some(inner) = list_inner {
        let inner = inner.trim();
        let inner = type_alias(inner).unwrap_or_else(|| inner.to_owned());
        return Some(format!("list<{inner}>"));
    }
    let scalar = match ty.to_ascii_lowercase().as_str() {
        "int" | "int32" | "int64" | "i32" | "i64" | "u32" | "u64" | "long" | "short" | "uint"
        | "usize" | "isize" => "integer",
        "float" | "double" | "f32" | "f64" | "decimal" | "real" | "numeric" => "number",
        "bool" => "boolean",
        "str" | "text" | "varchar" | "char" => "string",
        "timestamp" | "date_time" | "date-time" | "instant" => "datetime",
        "object" | "any" | "map" | "dict" => "json",
        _ => return None,
    };
    Some(scalar.to_owned())
}

/// Optimal string alignment distance: Levenshtein plus swaps of adjacent characters, the most
/// common typo (`tpye`), as one edit.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows[i][j]: distance between the first i chars of a and the first j chars of b.
    let mut rows: Vec<Vec<usize>> = (0..=a.len())
        .map(|i| {
            let mut row = vec![0; b.len() + 1];
            row[0] = i;
            row
        })
        .collect();
    rows[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn swaps_count_as_one_edit() {
        assert_eq!(edit_distance("tpye", "type"), 1);
        assert_eq!(edit_distance("opertions", "operations"), 1);
        assert_eq!(edit_distance("", "doc"), 3);
    }

    #[test]
    fn short_names_need_a_closer_match() {
        assert_eq!(closest("id", ["doc"]), None);
        assert_eq!(closest("dox", ["doc", "path"]), Some("doc"));
        assert_eq!(closest("titel", ["title", "docs_url"]), Some("title"));
    }

    #[test]
    fn type_aliases() {
        let known = set(&["string", "integer", "number", "Widget"]);
        for (from, to) in [
            ("int", "integer"),
            ("float", "number"),
            ("double", "number"),
            ("bool", "boolean"),
            ("str", "string"),
            ("text", "string"),
            ("timestamp", "datetime"),
            ("array<int>", "list<integer>"),
            ("Widget[]", "list<Widget>"),
            ("widget", "Widget"),
        ] {
            assert_eq!(
                type_suggestion(from, &known),
                format!(" (did you mean `{to}`?)"),
                "{from}"
            );
        }
        assert_eq!(type_suggestion("Sprocket", &known), "");
    }
}
