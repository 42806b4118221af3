//! The quick pass over a list body: where its items begin and end, and its envelope (the
//! members around the list) as a small value tree.
//!
//! serde_json finds item boundaries only by reading each item in full (escapes, numbers,
//! literals), and the item is then read in full again when it is decoded into its model: on a
//! page of a thousand records that first reading was a fifth of all the decoding work. This
//! pass only follows the structure: strings (with their escapes skipped, found with `memchr`),
//! brackets, commas and colons. What it does not check in detail, the decoding of each item
//! does (serde_json, strictly, from the item's text); the envelope's other members are parsed
//! by serde_json here. A body this pass cannot follow is left to serde_json alone, whose
//! error then says what is wrong: the pass only ever answers for bodies sound in structure.

use serde_json::{Map, Value};

use super::{Mode, Node, Want};

/// What the pass kept raw, by dotted path.
type Kept<'a> = Vec<(String, Node<'a>)>;

/// The tree and the items of a list body, or `None` where serde_json must read it.
pub(super) fn list<'a>(text: &'a str, wants: &[Want]) -> Option<(Value, Kept<'a>)> {
    debug_assert!(wants.iter().all(|w| w.mode == Mode::Items));
    let segments: Vec<Vec<&str>> = wants
        .iter()
        .map(|w| match w.path.as_str() {
            "" => Vec::new(),
            path => path.split('.').collect(),
        })
        .collect();
    let mut scan = Scan { text, pos: 0 };
    let mut kept = Vec::new();
    let live: Vec<usize> = (0..wants.len()).collect();
    scan.blank();
    let tree = scan.place(&segments, &live, 0, String::new(), &mut kept)?;
    scan.blank();
    (scan.pos == text.len()).then_some((tree, kept))
}

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

    /// The value at one place of the envelope: the wanted list kept raw, an object looked
    /// into, anything else parsed into the tree.
    fn place(
        &mut self,
        segments: &[Vec<&str>],
        live: &[usize],
        depth: usize,
        path: String,
        kept: &mut Kept<'a>,
    ) -> Option<Value> {
        let ends_here = live.iter().any(|&i| segments[i].len() == depth);
        let leads_on = live.iter().any(|&i| segments[i].len() > depth);
        match self.peek()? {
            b'[' if ends_here => {
                let items = self.items()?;
                kept.push((path, Node::Items(items)));
                Some(Value::Array(Vec::new()))
            }
            b'{' if leads_on => self.object(segments, live, depth, &path, kept),
            _ => serde_json::from_str(self.value()?).ok(),
        }
    }

    /// An object on the way to the list: its members matched against the paths.
    fn object(
        &mut self,
        segments: &[Vec<&str>],
        live: &[usize],
        depth: usize,
        path: &str,
        kept: &mut Kept<'a>,
    ) -> Option<Value> {
        self.pos += 1;
        let mut map = Map::new();
        self.blank();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Some(Value::Object(map));
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
            let child: Vec<usize> = live
                .iter()
                .copied()
                .filter(|&i| {
                    segments[i]
                        .get(depth)
                        .is_some_and(|s| *s == key || *s == "*")
                })
                .collect();
            let value = if child.is_empty() {
                serde_json::from_str(self.value()?).ok()?
            } else {
                let child_path = match path {
                    "" => key.clone(),
                    _ => format!("{path}.{key}"),
                };
                self.place(segments, &child, depth + 1, child_path, kept)?
            };
            map.insert(key, value);
            self.blank();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(Value::Object(map));
                }
                _ => return None,
            }
        }
    }

    /// A member name, its escapes decoded.
    fn key(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.pos;
        let escaped = self.string()?;
        let quoted = &self.text[start..self.pos];
        let inner = &quoted[1..quoted.len() - 1];
        if escaped || inner.bytes().any(|b| b < 0x20) {
            // Rare: serde_json decodes (or refuses) it.
            return serde_json::from_str(quoted).ok();
        }
        Some(inner.to_owned())
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
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.pos += 1;
                                break;
                            }
                        }
                        _ => {}
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
            let found = at + memchr::memchr2(b'"', b'\\', bytes.get(at..)?)?;
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
        ];
        for (wants, text) in cases {
            let fast = found(list(text, wants));
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
            assert!(list(text, &wants).is_none(), "{text}");
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
        let (_, kept) = list(r#"{"data": [{"a": tru}, {"b": "\q"}]}"#, &wants).unwrap();
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
}
