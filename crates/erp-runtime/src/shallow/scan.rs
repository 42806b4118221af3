//! The quick pass over a structured body: where its list items (or its one item) begin and
//! end, and its envelope (the members around them) as a small value tree.
//!
//! serde_json finds item boundaries only by reading each item in full (escapes, numbers,
//! literals), and the item is then read in full again when it is decoded into its model: on a
//! page of a thousand records that first reading was a fifth of all the decoding work. This
//! pass only follows the structure: strings (with their escapes skipped, found with `memchr`),
//! brackets, commas and colons. What it does not check in detail, the decoding of each item
//! does (serde_json, strictly, from the item's text); the envelope's other members are parsed
//! by serde_json here. A body this pass cannot follow is left to serde_json alone, whose
//! error then says what is wrong: the pass only ever answers for bodies sound in structure.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::{Mode, Node, Want};

/// The bytes that matter inside an object or array passed over whole: quotes and brackets.
const STRUCTURAL: [bool; 256] = {
    let mut table = [false; 256];
    table[b'"' as usize] = true;
    table[b'{' as usize] = true;
    table[b'}' as usize] = true;
    table[b'[' as usize] = true;
    table[b']' as usize] = true;
    table
};

/// What the pass kept raw, by dotted path.
type Kept<'a> = Vec<(String, Node<'a>)>;

/// The tree and the kept items of a body, or `None` where serde_json must read it.
pub(super) fn read<'a>(text: &'a str, wants: &[Want]) -> Option<(Value, Kept<'a>)> {
    let segments = super::segments(wants);
    let modes: Vec<Mode> = wants.iter().map(|w| w.mode).collect();
    let mut scan = Scan { text, pos: 0 };
    let mut kept = Vec::new();
    let live: Vec<usize> = (0..wants.len()).collect();
    scan.blank();
    let tree = scan.place(
        &Paths(&segments, &modes),
        &live,
        0,
        String::new(),
        &mut kept,
    )?;
    scan.blank();
    (scan.pos == text.len()).then_some((tree, kept))
}

/// What a member at a dotted path of an object's text is: `Some(Some(text))` its value's
/// text (the last one, when the member is repeated, as in a tree), `Some(None)` no such
/// member, `None` when the pass cannot tell (text unsound in structure).
pub(super) fn member<'a>(text: &'a str, dotted: &str) -> Option<Option<&'a str>> {
    let mut here = text;
    if dotted.is_empty() {
        return Some(Some(text));
    }
    for key in dotted.split('.') {
        let mut scan = Scan { text: here, pos: 0 };
        scan.blank();
        if scan.peek()? != b'{' {
            // Not an object, so no members (the value is checked whole by its decoding).
            scan.value()?;
            scan.blank();
            return (scan.pos == here.len()).then_some(None);
        }
        let found = scan.member_text(key)?;
        scan.blank();
        if scan.pos != here.len() {
            return None;
        }
        match found {
            Some(value) => here = value,
            None => return Some(None),
        }
    }
    Some(Some(here))
}

/// The wants' paths (split at dots) and modes, by index.
struct Paths<'w>(&'w [Vec<&'w str>], &'w [Mode]);

struct Scan<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scan<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    /// Skips JSON whitespace.
    fn blank(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// The value at one place of the envelope: the wanted item or list kept raw, an object
    /// looked into, anything else parsed into the tree.
    fn place(
        &mut self,
        paths: &Paths<'_>,
        live: &[usize],
        depth: usize,
        path: String,
        kept: &mut Kept<'a>,
    ) -> Option<Value> {
        // The first want that ends here decides, as in serde_json's reading.
        let ending = live
            .iter()
            .find(|&&i| paths.0[i].len() == depth)
            .map(|&i| paths.1[i]);
        let leads_on = live.iter().any(|&i| paths.0[i].len() > depth);
        match (ending, self.peek()?) {
            (Some(Mode::Item), _) => {
                kept.push((path, Node::Raw(self.value()?)));
                Some(Value::Object(Map::new()))
            }
            (Some(Mode::Items), b'[') => {
                let items = self.items()?;
                kept.push((path, Node::Items(items)));
                Some(Value::Array(Vec::new()))
            }
            (_, b'{') if leads_on => self.object(paths, live, depth, &path, kept),
            _ => serde_json::from_str(self.value()?).ok(),
        }
    }

    /// An object on the way to the list: its members matched against the paths.
    fn object(
        &mut self,
        paths: &Paths<'_>,
        live: &[usize],
        depth: usize,
        path: &str,
        kept: &mut Kept<'a>,
    ) -> Option<Value> {
        let mut map = Map::new();
        self.members(|scan, key| {
            let child: Vec<usize> = live
                .iter()
                .copied()
                .filter(|&i| {
                    paths.0[i]
                        .get(depth)
                        .is_some_and(|s| *s == key || *s == "*")
                })
                .collect();
            let value = if child.is_empty() {
                serde_json::from_str(scan.value()?).ok()?
            } else {
                let child_path = match path {
                    "" => key.to_string(),
                    _ => format!("{path}.{key}"),
                };
                scan.place(paths, &child, depth + 1, child_path, kept)?
            };
            map.insert(key.into_owned(), value);
            Some(())
        })?;
        Some(Value::Object(map))
    }

    /// Passes over an object (at its `{`) and returns the text of its last member named
    /// `wanted`, if any.
    fn member_text(&mut self, wanted: &str) -> Option<Option<&'a str>> {
        let mut found = None;
        self.members(|scan, key| {
            let value = scan.value()?;
            if key == wanted {
                found = Some(value);
            }
            Some(())
        })?;
        Some(found)
    }

    /// Passes over an object (at its `{`), handing each member's name to `on`, which reads
    /// the member's value; `None` as soon as the object is unsound in structure.
    fn members(&mut self, mut on: impl FnMut(&mut Self, Cow<'a, str>) -> Option<()>) -> Option<()> {
        self.pos += 1;
        self.blank();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Some(());
        }
        loop {
            self.blank();
            let key = self.key()?;
            self.blank();
            if self.peek()? != b':' {
                return None;
            }
            self.pos += 1;
            self.blank();
            on(self, key)?;
            self.blank();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A member name, its escapes decoded (borrowed from the text when it has none).
    fn key(&mut self) -> Option<Cow<'a, str>> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.pos;
        let escaped = self.string()?;
        let quoted = &self.text[start..self.pos];
        let inner = &quoted[1..quoted.len() - 1];
        if escaped || inner.bytes().any(|b| b < 0x20) {
            // Rare: serde_json decodes (or refuses) it.
            return serde_json::from_str::<String>(quoted).ok().map(Cow::Owned);
        }
        Some(Cow::Borrowed(inner))
    }

    /// The items of an array, each as its text.
    fn items(&mut self) -> Option<Vec<&'a str>> {
        self.pos += 1;
        let mut items = Vec::new();
        self.blank();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Some(items);
        }
        loop {
            self.blank();
            items.push(self.value()?);
            self.blank();
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(items);
                }
                _ => return None,
            }
        }
    }

    /// Passes over one value and returns its text. Objects and arrays are followed by their
    /// brackets alone, however deep, without recursion.
    fn value(&mut self) -> Option<&'a str> {
        let start = self.pos;
        match self.peek()? {
            b'"' => {
                self.string()?;
            }
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    // Straight to the next quote or bracket: everything else is passed over.
                    let rest = self.bytes().get(self.pos..)?;
                    self.pos += rest.iter().position(|&b| STRUCTURAL[usize::from(b)])?;
                    match self.bytes()[self.pos] {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        _ => {
                            depth -= 1;
                            if depth == 0 {
                                self.pos += 1;
                                break;
                            }
                        }
                    }
                    self.pos += 1;
                }
            }
            b',' | b']' | b'}' | b':' => return None,
            _ => {
                // A number or literal: up to the next delimiter.
                while let Some(b) = self.peek() {
                    if matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.pos += 1;
                }
            }
        }
        Some(&self.text[start..self.pos])
    }

    /// Passes over a string (at its opening quote); says whether it holds escapes.
    fn string(&mut self) -> Option<bool> {
        let bytes = self.bytes();
        let mut at = self.pos + 1;
        let mut escaped = false;
        loop {
            let found = at + quote_or_backslash(bytes.get(at..)?)?;
            if bytes[found] == b'"' {
                self.pos = found + 1;
                return Some(escaped);
            }
            escaped = true;
            // The escaped byte is skipped, whatever it is (`\"` included).
            at = found + 2;
        }
    }
}

/// Where the first `"` or `\\` of `bytes` is. Most strings of a record are short, and
/// memchr's start-up costs more than reading them: the first bytes are read eight at a time
/// in plain integer arithmetic, the rest (a long text) by memchr.
fn quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    const QUOTES: u64 = ONES * b'"' as u64;
    const BACKSLASHES: u64 = ONES * b'\\' as u64;
    /// How many bytes are read in words before memchr takes over.
    const SHORT: usize = 32;
    let mut at = 0;
    while at < SHORT {
        let Some(word) = bytes.get(at..at + 8) else {
            break;
        };
        let word = u64::from_le_bytes(word.try_into().ok()?);
        // A byte equal to the one sought is a zero byte of the xor; the lowest zero byte is
        // found exactly (borrows only run upwards from it).
        let (q, b) = (word ^ QUOTES, word ^ BACKSLASHES);
        let hits = ((q.wrapping_sub(ONES) & !q) | (b.wrapping_sub(ONES) & !b)) & HIGH;
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let rest = &bytes[at..];
    let found = if at < SHORT {
        rest.iter().position(|&b| b == b'"' || b == b'\\')
    } else {
        memchr::memchr2(b'"', b'\\', rest)
    };
    found.map(|i| at + i)
}

#[cfg(test)]
mod tests {
    use super::super::Body;
    use super::*;

    fn want(path: &str) -> Want {
        Want {
            path: path.to_owned(),
            mode: Mode::Items,
        }
    }

    type Found = (Value, Vec<(String, Vec<String>)>);

    /// What a reading found, comparable: the tree and each kept node's texts.
    fn found(body: Option<(Value, Kept<'_>)>) -> Option<Found> {
        let (tree, kept) = body?;
        let kept = kept
            .into_iter()
            .map(|(path, node)| {
                let texts = match node {
                    Node::Items(items) => items.iter().map(|i| i.to_string()).collect(),
                    Node::Raw(raw) => vec![raw.to_owned()],
                    Node::Tree(tree) => vec![tree.to_string()],
                };
                (path, texts)
            })
            .collect();
        Some((tree, kept))
    }

    #[test]
    fn the_pass_finds_what_serde_json_finds() {
        let wants = [want("clients.client")];
        let odata = [want("d"), want("d.results")];
        let bare = [want("")];
        let any = [want("*.items")];
        let item = [Want {
            path: "client".to_owned(),
            mode: Mode::Item,
        }];
        let any_item = [Want {
            path: "*".to_owned(),
            mode: Mode::Item,
        }];
        let cases: &[(&[Want], &str)] = &[
            (
                &wants,
                r#"{"clients": {"@total": "2", "client": [{"id": 1}, {"id": 2}]}}"#,
            ),
            (
                &wants,
                r#"{"clients":{"client":[{"a":"x\"]}"},{"b":["[",{"c":"\\"}]}],"@page":"1"}}"#,
            ),
            (&wants, "\n{ \"clients\" :\t{ \"client\" : [ ] } }\n"),
            (
                &wants,
                r#"{"cli\u0065nts": {"client": [1, "two", null, true, -3.5e2]}}"#,
            ),
            (
                &wants,
                r#"{"clients": {"client": {"id": 1}, "@total": "1"}}"#,
            ),
            (
                &wants,
                r#"{"clients": {"client": ""}, "other": [1, {"x": [2]}]}"#,
            ),
            (
                &wants,
                r#"{"clients": {"client": [{"id": 1}]}, "clients": {"client": [{"id": 2}]}}"#,
            ),
            (&wants, r#"{"errors": {"error": "Resource not found"}}"#),
            (
                &odata,
                r#"{"d": {"__next": "n", "results": [{"a": 1}], "__count": "1"}}"#,
            ),
            (&odata, r#"{"d": [{"a": 1}, {"a": 2}]}"#),
            (&bare, r#"[{"id": "é"}, {"id": "\u00e9"}]"#),
            (&bare, "[]"),
            (&any, r#"{"page": {"items": [{"n": 1}]}, "x": 1}"#),
            (&item, r#"{"client": {"id": "7", "name": "A \"B\" [C]"}}"#),
            (&item, r#"{"meta": {"v": 1}, "client": [1, 2], "x": null}"#),
            (&item, r#"{"client": "text"}"#),
            (&item, r#"{"other": {"id": 1}}"#),
            (&any_item, r#"{"invoice": {"id": 1}}"#),
        ];
        for (wants, text) in cases {
            let fast = found(read(text, wants));
            let slow = found(Body::parsed(text, wants).ok().map(|b| (b.tree, b.raw)));
            assert!(fast.is_some(), "the pass read {text}");
            assert_eq!(fast, slow, "{text}");
        }
    }

    #[test]
    fn bodies_unsound_in_structure_are_left_to_serde_json() {
        let wants = [want("data")];
        for text in [
            r#"{"data": [1, 2"#,
            r#"{"data": [1, 2,]}"#,
            r#"{"data": [1 2]}"#,
            r#"{"data": [{"a": 1}] x"#,
            r#"{"data": []} x"#,
            r#"{"data" [1]}"#,
            r#"{"data": ["unterminated]}"#,
            r#"{"data": [1], }"#,
            r#"{"meta": tru, "data": []}"#,
            r#"{data: []}"#,
            "",
            r#"{"da\u00"#,
        ] {
            assert!(read(text, &wants).is_none(), "{text}");
            assert!(
                Body::json(text, &wants).is_err(),
                "serde_json refuses {text}"
            );
        }
    }

    #[test]
    fn items_are_checked_in_detail_by_their_decoding() {
        // Sound in structure, wrong in detail: the pass keeps the item, its decoding refuses it.
        let wants = [want("data")];
        let (_, kept) = read(r#"{"data": [{"a": tru}, {"b": "\q"}]}"#, &wants).unwrap();
        let Node::Items(items) = &kept[0].1 else {
            panic!("items kept");
        };
        for item in items {
            assert!(
                crate::lenient::from_str::<Value>(item, crate::lenient::Leniency::default())
                    .is_err(),
                "{item}"
            );
        }
    }

    #[test]
    fn a_member_is_found_as_a_tree_would_find_it() {
        let texts = [
            r#"{"id": "7", "name": "x"}"#,
            r#"{"name": "{\"id\": 1}", "id": 8}"#,
            r#"{"id": 1, "id": 2}"#,
            r#"{"a": {"b": {"c": [1, {"d": 2}]}}, "id": null}"#,
            r#"{"client": {"id": "9"}}"#,
            r#" [1, 2] "#,
            r#""text""#,
            r#"{}"#,
            r#"{"i\u0064": 3}"#,
        ];
        for text in texts {
            let tree: Value = serde_json::from_str(text).unwrap();
            for path in ["id", "a.b", "a.b.c", "client.id", "missing", "a.missing.id"] {
                let fast = member(text, path)
                    .unwrap_or_else(|| panic!("the pass reads {text}"))
                    .map(|t| serde_json::from_str::<Value>(t).unwrap());
                let slow = crate::envelope::lookup(&tree, path).cloned();
                assert_eq!(fast, slow, "{path} in {text}");
            }
        }
        // Unsound text: the pass does not answer, the caller asks the full parser.
        for text in [
            r#"{"id": 1"#,
            r#"{"id" 1}"#,
            r#"{"id": 1} x"#,
            r#"{"a": {"id": 1}"#,
        ] {
            assert_eq!(member(text, "a.id").or(member(text, "id")), None, "{text}");
        }
    }

    #[test]
    fn quotes_and_backslashes_are_found_at_every_place() {
        for len in 0..80 {
            for at in 0..=len {
                for (sought, filler) in [(b'"', b'a'), (b'\\', 0xc3), (b'"', b'!'), (b'\\', b'#')] {
                    let mut bytes = vec![filler; len];
                    if at < len {
                        bytes[at] = sought;
                    }
                    if at + 3 < len {
                        bytes[at + 3] = b'"';
                    }
                    let naive = bytes.iter().position(|&b| b == b'"' || b == b'\\');
                    assert_eq!(quote_or_backslash(&bytes), naive, "{len} {at} {sought}");
                }
            }
        }
    }
}
