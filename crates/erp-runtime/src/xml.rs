//! Rails `to_xml` bodies (Spreedly) <-> value trees.
//!
//! Everything above the codec boundary (envelopes, lenient typed decoding) works on
//! [`serde_json::Value`], so this module only maps the XML shape to a tree and back. It reads
//! and writes with quick-xml's low-level events; the mapping is ours.
//!
//! # Decoding
//!
//! - The document becomes `{"<root>": <value>}`; element names are kept exactly as written
//!   (`customer-id`, `in_grace_period`): the spec and the lenient layer deal with spellings.
//! - An element with child elements is an object with one member per child name; a name that
//!   occurs more than once (without `type="array"` on the parent) becomes an array of the
//!   children in document order (`<errors><error/><error/></errors>`).
//! - `type="array"` is a JSON array of the children's values, whatever their names;
//!   `<x type="array"/>` is `[]` (Spreedly's empty list `<nil-classes type="array"/>` becomes
//!   `{"nil-classes": []}`).
//! - Leaves: `type="integer"` is a JSON number when the text parses as one, else the text;
//!   `type="boolean"` is `true`/`false` for `true`/`false`/`1`/`0`, `null` when empty, else the
//!   text; every other type (`decimal`, `datetime`, `date`, `string`, unknown ones such as
//!   `SubscriptionPlan::Version`) and untyped leaves are the text as written, `""` when empty.
//!   Decimals stay strings on purpose: money must stay exact, the typed layer parses it.
//! - `nil="true"` is `null` **unless the element has non-blank content, which then wins**
//!   (Spreedly sends `<active-until type="datetime" nil="true">2010-02-21T19:04:28Z</active-until>`).
//! - An element with children is an object whatever its `type` says, except `array`.
//! - Attributes other than `type` and `nil` are ignored; the five XML entities and character
//!   references are decoded; CDATA is text; the declaration, comments and processing
//!   instructions are skipped; whitespace-only text between elements is ignored.
//! - Refused with an `Err` naming the problem and the byte offset: malformed XML, a body that
//!   is not UTF-8, an empty body, text outside the root element or next to child elements (not
//!   a Rails document: a plain-text error body is an `Err`, and the caller keeps its text),
//!   more than one root, nesting deeper than [`MAX_DEPTH`], and any DTD or entity other than
//!   the five predefined ones (nothing is ever expanded from outside the body).
//!
//! # Encoding
//!
//! - The value must be an object with exactly one member, the root element:
//!   `{"subscriber": {...}}`. Member names are written as given (the caller picks dashes).
//! - Objects are child elements; arrays are `type="array"` elements whose children are named
//!   by the singular of their name (`line-items` -> `line-item`, else `item`); integers are
//!   `type="integer"`, other numbers `type="decimal"`, booleans `type="boolean"`, `null` an
//!   empty element with `nil="true"`, strings escaped text. An empty object or string is an
//!   empty element (it decodes back as `""`).
//! - The output starts with `<?xml version="1.0" encoding="UTF-8"?>` and is indented by two
//!   spaces (leaves stay on one line, so no text gains whitespace).

use std::borrow::Cow;

use quick_xml::escape::{escape, resolve_xml_entity};
use quick_xml::events::attributes::AttrError;
use quick_xml::events::{BytesDecl, BytesEnd, BytesRef, BytesStart, BytesText, Event};
use quick_xml::reader::Reader;
use quick_xml::{Writer, XmlVersion};
use serde_json::{Map, Number, Value};

use crate::codec::Codec;

/// Deepest element nesting accepted (and written); deeper documents are refused rather than
/// risking memory or stack on hostile input. Rails bodies nest five or six levels.
pub const MAX_DEPTH: usize = 128;

/// Rails-style XML bodies (`application/xml`), as Spreedly's subscriptions API speaks them.
///
/// See the [module documentation](crate::xml) for the mapping rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct XmlCodec;

impl Codec for XmlCodec {
    fn accept(&self) -> &'static str {
        "application/xml"
    }

    fn content_type(&self) -> &'static str {
        "application/xml"
    }

    fn decode(&self, body: &[u8]) -> Result<Value, String> {
        decode(body)
    }

    fn encode(&self, value: &Value) -> Result<Vec<u8>, String> {
        encode(value)
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// What an element's `type` attribute changes about its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Text as written: untyped, `string`, `decimal`, `datetime`, `date` and unknown types.
    Text,
    Integer,
    Boolean,
    Array,
}

impl Kind {
    fn from_type(value: &str) -> Kind {
        match value {
            "integer" => Kind::Integer,
            "boolean" => Kind::Boolean,
            "array" => Kind::Array,
            // `decimal` is deliberately text (exact money); unknown types fall back to text.
            _ => Kind::Text,
        }
    }
}

/// An element being read: its facts and what it holds so far.
struct Frame {
    name: String,
    kind: Kind,
    nil: bool,
    /// Byte offset of the start tag, for messages about the element.
    at: u64,
    text: String,
    children: Vec<(String, Value)>,
}

/// Builds the value tree from reader events; owns no reader so each step is testable alone.
#[derive(Default)]
struct Tree {
    stack: Vec<Frame>,
    root: Option<(String, Value)>,
}

impl Tree {
    fn open(&mut self, start: &BytesStart<'_>, at: u64) -> Result<(), String> {
        let name = start.name().into_inner().to_owned();
        if self.root.is_some() {
            return Err(format!(
                "invalid XML at byte {at}: a second root element <{name}>"
            ));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(format!(
                "XML nested too deeply at byte {at}: <{name}> is deeper than {MAX_DEPTH} levels"
            ));
        }
        if let Some(parent) = self.stack.last_mut() {
            if !is_blank(&parent.text) {
                return Err(mixed_content(&parent.name, at));
            }
            // Whitespace between children is indentation, not content.
            parent.text.clear();
        }
        let (kind, nil) = type_and_nil(start, at)?;
        self.stack.push(Frame {
            name,
            kind,
            nil,
            at,
            text: String::new(),
            children: Vec::new(),
        });
        Ok(())
    }

    fn close(&mut self, at: u64) -> Result<(), String> {
        let frame = self
            .stack
            .pop()
            .ok_or_else(|| format!("invalid XML at byte {at}: an end tag without a start tag"))?;
        let name = frame.name.clone();
        let value = frame.into_value(at)?;
        match self.stack.last_mut() {
            Some(parent) => parent.children.push((name, value)),
            None => self.root = Some((name, value)),
        }
        Ok(())
    }

    fn text(&mut self, text: &str, at: u64) -> Result<(), String> {
        match self.stack.last_mut() {
            None if is_blank(text) => Ok(()),
            None => Err(format!(
                "not an XML document: text outside the root element at byte {at}"
            )),
            Some(frame) if !frame.children.is_empty() && !is_blank(text) => {
                Err(mixed_content(&frame.name, at))
            }
            Some(frame) => {
                frame.text.push_str(text);
                Ok(())
            }
        }
    }

    fn finish(self, at: u64) -> Result<Value, String> {
        if let Some(open) = self.stack.last() {
            return Err(format!(
                "invalid XML: the body ends at byte {at} inside <{}> (opened at byte {})",
                open.name, open.at
            ));
        }
        let (name, value) = self
            .root
            .ok_or_else(|| "not an XML document: no root element".to_owned())?;
        let mut map = Map::new();
        map.insert(name, value);
        Ok(Value::Object(map))
    }
}

impl Frame {
    /// The finished element's value; `at` is the offset of its end tag.
    fn into_value(self, at: u64) -> Result<Value, String> {
        if self.kind == Kind::Array {
            if !is_blank(&self.text) {
                return Err(format!(
                    "invalid Rails XML at byte {at}: text inside the array <{}>",
                    self.name
                ));
            }
            if self.children.is_empty() && self.nil {
                return Ok(Value::Null);
            }
            return Ok(Value::Array(
                self.children.into_iter().map(|(_, v)| v).collect(),
            ));
        }
        if !self.children.is_empty() {
            return Ok(object(self.children));
        }
        Ok(leaf(self.kind, self.nil, self.text))
    }
}

/// Children to an object; a repeated name collects its values in document order.
fn object(children: Vec<(String, Value)>) -> Value {
    // Grouping first (rather than turning a member into an array when it repeats) keeps a
    // single child that is itself an array (`type="array"`) apart from a repeated child.
    let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
    for (name, value) in children {
        match groups.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => values.push(value),
            None => groups.push((name, vec![value])),
        }
    }
    let mut map = Map::new();
    for (name, mut values) in groups {
        let value = if values.len() == 1 {
            values.pop().unwrap_or(Value::Null)
        } else {
            Value::Array(values)
        };
        map.insert(name, value);
    }
    Value::Object(map)
}

/// A childless element's value (see the module documentation for the rules).
fn leaf(kind: Kind, nil: bool, text: String) -> Value {
    // A value next to `nil="true"` wins: Spreedly sends both, and dropping real data is worse.
    if nil && is_blank(&text) {
        return Value::Null;
    }
    let trimmed = text.trim_matches([' ', '\t', '\n', '\r']);
    match kind {
        Kind::Integer => integer(trimmed).unwrap_or(Value::String(text)),
        Kind::Boolean => match trimmed {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            "" => Value::Null,
            _ => Value::String(text),
        },
        // An array never reaches here; text stays exactly as written (spaces may matter).
        Kind::Array | Kind::Text => Value::String(text),
    }
}

fn integer(text: &str) -> Option<Value> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(Value::from(i));
    }
    text.parse::<u64>().ok().map(Value::from)
}

/// The `type` and `nil` attributes of a start tag; other attributes are ignored.
fn type_and_nil(start: &BytesStart<'_>, at: u64) -> Result<(Kind, bool), String> {
    let mut kind = Kind::Text;
    let mut nil = false;
    for attr in start.attributes() {
        let attr = attr.map_err(|e| attr_error(&e, start.name().into_inner(), at))?;
        let key = attr.key.into_inner();
        if key != "type" && key != "nil" {
            continue;
        }
        // Only `type` and `nil` are read, so only their values need to be well-formed.
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| format!("invalid XML attribute `{key}` in the tag at byte {at}: {e}"))?;
        if key == "type" {
            kind = Kind::from_type(value.trim());
        } else {
            nil = matches!(value.trim(), "true" | "1");
        }
    }
    Ok((kind, nil))
}

/// An attribute error with absolute byte offsets (quick-xml counts from the tag name).
fn attr_error(e: &AttrError, tag: &str, at: u64) -> String {
    let abs = |pos: usize| at + 1 + pos as u64;
    let (pos, what) = match e {
        AttrError::ExpectedEq(p) => (*p, "an attribute name must be followed by `=`".to_owned()),
        AttrError::ExpectedValue(p) => (*p, "`=` must be followed by a value".to_owned()),
        AttrError::UnquotedValue(p) => (*p, "attribute values must be quoted".to_owned()),
        AttrError::ExpectedQuote(p, q) => (*p, format!("missing closing quote `{}`", *q as char)),
        AttrError::Duplicated(p, first) => (
            *p,
            format!("duplicated attribute (first at byte {})", abs(*first)),
        ),
    };
    format!(
        "invalid XML attribute in <{tag}> at byte {}: {what}",
        abs(pos)
    )
}

/// The text of an entity or character reference; nothing else is expanded.
fn reference(r: &BytesRef<'_>, at: u64) -> Result<Cow<'static, str>, String> {
    let name: &str = r;
    let ch = r
        .resolve_char_ref()
        .map_err(|e| format!("invalid character reference &{name}; at byte {at}: {e}"))?;
    if let Some(ch) = ch {
        return Ok(Cow::Owned(ch.to_string()));
    }
    resolve_xml_entity(name).map(Cow::Borrowed).ok_or_else(|| {
        format!(
            "unknown entity &{name}; at byte {at}: only the five XML entities and character \
             references are accepted (entities are never expanded)"
        )
    })
}

fn mixed_content(element: &str, at: u64) -> String {
    format!("invalid Rails XML at byte {at}: text next to child elements in <{element}>")
}

/// Only XML's own whitespace (space, tab, CR, LF): a no-break space is content.
fn is_blank(text: &str) -> bool {
    text.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
}

/// Decodes a Rails XML body; see the module documentation.
pub(crate) fn decode(body: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(body).map_err(|e| {
        format!(
            "XML body is not UTF-8: invalid bytes at byte {}",
            e.valid_up_to()
        )
    })?;
    // A UTF-8 byte order mark is legal before the declaration; offsets still count it.
    let (text, skipped) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, 3),
        None => (text, 0),
    };
    if is_blank(text) {
        return Err("empty body: expected an XML document".to_owned());
    }
    let mut reader = Reader::from_str(text);
    let mut tree = Tree::default();
    loop {
        let at = reader.buffer_position() + skipped;
        let event = reader.read_event().map_err(|e| {
            format!(
                "invalid XML at byte {}: {e}",
                reader.error_position() + skipped
            )
        })?;
        match event {
            Event::Start(start) => tree.open(&start, at)?,
            Event::Empty(start) => {
                tree.open(&start, at)?;
                tree.close(at)?;
            }
            // quick-xml has already checked that the end tag matches the open element.
            Event::End(_) => tree.close(at)?,
            Event::Text(t) => tree.text(&t.xml10_content(), at)?,
            Event::CData(c) => tree.text(&c.xml10_content(), at)?,
            Event::GeneralRef(r) => tree.text(&reference(&r, at)?, at)?,
            Event::DocType(_) => {
                return Err(format!(
                    "XML document type declaration at byte {at} refused: DTDs and their \
                     entities are never processed"
                ));
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => return tree.finish(at),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding

type XmlWriter = Writer<Vec<u8>>;

/// Encodes `{"<root>": value}` as a Rails XML document; see the module documentation.
pub(crate) fn encode(value: &Value) -> Result<Vec<u8>, String> {
    let (root, inner) = match value {
        Value::Object(map) if map.len() == 1 => map
            .iter()
            .next()
            .ok_or_else(|| "an XML body needs a root element".to_owned())?,
        other => {
            return Err(format!(
                "an XML body needs exactly one root element: expected an object with one \
                 member, got {}",
                describe(other)
            ));
        }
    };
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    write(
        &mut writer,
        Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)),
    )?;
    element(&mut writer, root, inner, root, 1)?;
    Ok(writer.into_inner())
}

/// Writes one element for `value`; `path` names it in errors (`subscriber.invoices[0]`).
fn element(
    w: &mut XmlWriter,
    name: &str,
    value: &Value,
    path: &str,
    depth: usize,
) -> Result<(), String> {
    check_name(name, path)?;
    if depth > MAX_DEPTH {
        return Err(format!(
            "cannot encode `{path}` as XML: nested deeper than {MAX_DEPTH} levels"
        ));
    }
    match value {
        Value::Null => write(w, Event::Empty(start(name, Some(("nil", "true"))))),
        Value::Bool(b) => leaf_element(w, name, Some("boolean"), if *b { "true" } else { "false" }),
        Value::Number(n) => leaf_element(w, name, Some(number_type(n)), &n.to_string()),
        Value::String(s) => {
            let text = escape_text(s).map_err(|c| {
                format!(
                    "cannot encode `{path}` as XML: it contains U+{:04X}, which XML 1.0 cannot carry",
                    u32::from(c)
                )
            })?;
            leaf_element(w, name, None, &text)
        }
        Value::Array(items) => array_element(w, name, items, path, depth),
        Value::Object(map) if map.is_empty() => write(w, Event::Empty(start(name, None))),
        Value::Object(map) => {
            write(w, Event::Start(start(name, None)))?;
            for (key, child) in map {
                element(w, key, child, &format!("{path}.{key}"), depth + 1)?;
            }
            write(w, Event::End(BytesEnd::new(name)))
        }
    }
}

fn array_element(
    w: &mut XmlWriter,
    name: &str,
    items: &[Value],
    path: &str,
    depth: usize,
) -> Result<(), String> {
    let tag = start(name, Some(("type", "array")));
    if items.is_empty() {
        return write(w, Event::Empty(tag));
    }
    write(w, Event::Start(tag))?;
    let child = item_name(name);
    for (i, item) in items.iter().enumerate() {
        element(w, &child, item, &format!("{path}[{i}]"), depth + 1)?;
    }
    write(w, Event::End(BytesEnd::new(name)))
}

/// A leaf with already escaped `text`; empty text is an empty element.
fn leaf_element(w: &mut XmlWriter, name: &str, ty: Option<&str>, text: &str) -> Result<(), String> {
    let tag = start(name, ty.map(|t| ("type", t)));
    if text.is_empty() {
        return write(w, Event::Empty(tag));
    }
    write(w, Event::Start(tag))?;
    write(w, Event::Text(BytesText::from_escaped(text)))?;
    write(w, Event::End(BytesEnd::new(name)))
}

fn start<'a>(name: &'a str, attr: Option<(&'a str, &'a str)>) -> BytesStart<'a> {
    let tag = BytesStart::new(name);
    match attr {
        Some(attr) => tag.with_attributes([attr]),
        None => tag,
    }
}

fn write(w: &mut XmlWriter, event: Event<'_>) -> Result<(), String> {
    // Writing into a Vec cannot fail; the mapping keeps `?` honest anyway.
    w.write_event(event)
        .map_err(|e| format!("writing XML failed: {e}"))
}

/// `integer` for whole numbers serde_json holds as integers, `decimal` for the rest.
fn number_type(n: &Number) -> &'static str {
    if n.is_i64() || n.is_u64() {
        "integer"
    } else {
        "decimal"
    }
}

/// Escapes text for an element; `\r` becomes `&#13;` so a parser's line-end normalisation
/// cannot turn it into `\n`. Fails with the first character XML 1.0 cannot represent at all.
fn escape_text(s: &str) -> Result<String, char> {
    if let Some(bad) = s.chars().find(|c| !is_xml_char(*c)) {
        return Err(bad);
    }
    Ok(escape(s).replace('\r', "&#13;"))
}

/// XML 1.0 `Char`: tab, line feed, carriage return and everything from U+0020 except the
/// surrogates (impossible in a Rust `char`) and U+FFFE/U+FFFF.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
}

/// Refuses member names that would not make a well-formed element name.
fn check_name(name: &str, path: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c == '_' || c.is_alphabetic());
    let rest_ok = chars.all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if first_ok && rest_ok {
        Ok(())
    } else {
        Err(format!(
            "cannot encode `{path}` as XML: {name:?} is not a valid element name"
        ))
    }
}

/// The element name for items of the list `list`: the singular of an English plural ending
/// in `s` (`line-items` -> `line-item`, `categories` -> `category`, `addresses` -> `address`),
/// else `item` (`data`, `status`). Decoders ignore these names; they only make the body readable to a human and
/// to Rails.
pub(crate) fn item_name(list: &str) -> String {
    if let Some(stem) = list.strip_suffix("ies") {
        return match stem {
            "" => "item".to_owned(),
            stem => format!("{stem}y"),
        };
    }
    for suffix in ["sses", "shes", "ches", "xes"] {
        if list.ends_with(suffix) {
            return list[..list.len() - 2].to_owned();
        }
    }
    // `-ss`, `-us` and `-is` end singulars (`address`, `status`, `basis`), not plurals.
    let singular_ending = ["ss", "us", "is"].iter().any(|e| list.ends_with(e));
    match list.strip_suffix('s') {
        Some(stem) if !stem.is_empty() && !stem.ends_with('-') && !singular_ending => {
            stem.to_owned()
        }
        _ => "item".to_owned(),
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Object(map) => format!("an object with {} members", map.len()),
        Value::Array(_) => "an array".to_owned(),
        Value::String(_) => "a string".to_owned(),
        Value::Number(_) => "a number".to_owned(),
        Value::Bool(_) => "a boolean".to_owned(),
        Value::Null => "null".to_owned(),
    }
}

#[cfg(test)]
mod tests;
