//! Rails `to_xml` for the sandbox: rendering output trees and parsing request bodies.
//!
//! The sandbox is an independent oracle for the clients, so this module shares no code with
//! `erp-runtime`'s XML codec; it is written differently on purpose (a hand-written renderer in
//! Rails' exact layout, a recursive-descent parser over quick-xml's low-level events).
//!
//! # Rendering ([`to_xml`])
//!
//! Output looks like Spreedly's (Rails 2/3 `to_xml`): the declaration, two-space indentation,
//! a newline after every element, `<x></x>` (never `<x/>`) for empty leaves, `<x type="array"/>`
//! for empty lists.
//!
//! - Objects are elements with one child element per member, in member order.
//! - Lists are `type="array"` elements whose items are named by the singular of the list's
//!   name (`invoices` -> `invoice`, `line-items` -> `line-item`, `categories` -> `category`),
//!   else `item`. An empty list at the root is written under
//!   [`XmlStyle::empty_list_root`] when set (Spreedly: `<nil-classes type="array"/>`).
//! - Leaves carry the `type` that the caller's [`XmlTypes`] gives for their path; without a
//!   hint the type follows the value: booleans `boolean`, whole numbers `integer`, other
//!   numbers `decimal`, strings none. A `decimal` number gets a fractional digit (`24.0`, as
//!   Rails writes BigDecimals).
//! - `null` is `nil="true"`, after the hinted type if any:
//!   `<active-until type="datetime" nil="true"></active-until>`.
//! - Text escapes `&`, `<` and `>` (and `\r` as `&#13;`); characters XML 1.0 cannot carry are
//!   replaced by U+FFFD, so the output is always well-formed. Element names are written as
//!   given: they come from the spec, whose names are valid.
//!
//! Quirks the caller can produce with these rules: Spreedly's empty boolean without `nil`
//! (`<in_grace_period type="boolean"></in_grace_period>`) is the string `""` with a `Boolean`
//! hint; `type="SubscriptionPlan::Version"` is an [`XmlType::Verbatim`] hint; `type="string"`
//! on some fields is [`XmlType::String`].
//!
//! # Parsing ([`parse`])
//!
//! The same tolerant rules as the client's codec: the document is `{"<root>": value}` with
//! names as written; children make an object (a repeated name collects its values into an
//! array, in order); `type="array"` makes an array whatever the child names (`[]` when empty);
//! `type="integer"` is a number when it parses; `type="boolean"` is `true`/`false` for
//! `true`/`false`/`1`/`0` and `null` when empty; `decimal`, `datetime`, `date`, `string`,
//! unknown types and untyped leaves are text as written (`""` when empty); `nil="true"` is
//! `null` unless the element has content, which wins; other attributes are ignored; entities,
//! character references and CDATA are text; declarations, comments and processing instructions
//! are skipped. Refused with a message naming the byte offset: malformed XML, bodies that are
//! not UTF-8 or empty, text outside the root or next to child elements, more than one root,
//! nesting deeper than [`MAX_DEPTH`], DTDs and unknown entities (nothing is expanded).

use std::collections::HashMap;

use erp_spec::ir::{Model, Spec, TypeRef};
use quick_xml::Reader;
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use serde_json::{Map, Value};

use crate::ordered_json::Out;

/// Deepest element nesting [`parse`] accepts; Spreedly's bodies nest five levels. The parser
/// recurses once per level, so this also bounds its stack use.
pub(crate) const MAX_DEPTH: usize = 128;

/// The XML declaration Rails writes first.
const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

// ---------------------------------------------------------------------------------------------
// Type hints

/// The `type` attribute of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum XmlType {
    /// No `type` attribute, whatever the value (Spreedly's `<customer-id>42</customer-id>`).
    Untyped,
    /// `type="string"`.
    String,
    /// `type="integer"`.
    Integer,
    /// `type="decimal"`; numbers get a fractional digit.
    Decimal,
    /// `type="boolean"`.
    Boolean,
    /// `type="datetime"`.
    Datetime,
    /// `type="date"`.
    Date,
    /// Any other `type`, written as given (`SubscriptionPlan::Version`).
    Verbatim(String),
}

impl XmlType {
    /// The attribute value, or `None` for [`XmlType::Untyped`].
    fn attribute(&self) -> Option<&str> {
        Some(match self {
            XmlType::Untyped => return None,
            XmlType::String => "string",
            XmlType::Integer => "integer",
            XmlType::Decimal => "decimal",
            XmlType::Boolean => "boolean",
            XmlType::Datetime => "datetime",
            XmlType::Date => "date",
            XmlType::Verbatim(name) => name,
        })
    }

    /// The hint for a leaf of spec type `ty`; `None` for lists, models and free-form JSON,
    /// whose shape decides. Spec numbers are money at Spreedly, hence `decimal`; strings and
    /// enums are untyped, as Rails writes them.
    pub(crate) fn for_spec(ty: &TypeRef) -> Option<XmlType> {
        match ty {
            TypeRef::Integer => Some(XmlType::Integer),
            TypeRef::Number | TypeRef::Decimal => Some(XmlType::Decimal),
            TypeRef::Boolean => Some(XmlType::Boolean),
            TypeRef::Date => Some(XmlType::Date),
            TypeRef::DateTime => Some(XmlType::Datetime),
            TypeRef::String | TypeRef::Enum(_) | TypeRef::Guid | TypeRef::Bytes => {
                Some(XmlType::Untyped)
            }
            TypeRef::Json | TypeRef::List(_) | TypeRef::Model(_) => None,
        }
    }
}

/// Where the renderer asks for `type` attributes.
///
/// `path` holds the element names from the root to the element itself (its own name last),
/// list item names included: `["subscriber", "invoices", "invoice", "amount"]`. `None` lets the
/// value decide (see the module documentation). Containers are asked too: a hint other than
/// [`XmlType::Untyped`] on an object is written on its start tag; lists are always `array`.
pub(crate) trait XmlTypes {
    /// The type of the element at `path`, or `None` to infer it from the value.
    fn xml_type(&self, path: &[&str]) -> Option<XmlType>;
}

/// Any closure over the path is a source of hints.
impl<F: Fn(&[&str]) -> Option<XmlType>> XmlTypes for F {
    fn xml_type(&self, path: &[&str]) -> Option<XmlType> {
        self(path)
    }
}

/// Hints by element name alone, wherever the element is.
impl XmlTypes for HashMap<String, XmlType> {
    fn xml_type(&self, path: &[&str]) -> Option<XmlType> {
        path.last().and_then(|name| self.get(*name)).cloned()
    }
}

/// No hints: every type follows the value.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Inferred;

impl XmlTypes for Inferred {
    fn xml_type(&self, _path: &[&str]) -> Option<XmlType> {
        None
    }
}

/// Hints from a spec model: the path below the root is followed through the model's fields
/// (list item elements step into the list's item type), and the field's type gives the hint
/// by [`XmlType::for_spec`]. Names the model does not know get no hint.
#[derive(Debug, Clone)]
pub(crate) struct ModelTypes<'a> {
    spec: &'a Spec,
    root: TypeRef,
}

impl<'a> ModelTypes<'a> {
    /// Hints for an item document whose root element is a record of `model`.
    pub(crate) fn item(spec: &'a Spec, model: &Model) -> ModelTypes<'a> {
        ModelTypes {
            spec,
            root: TypeRef::Model(model.name.clone()),
        }
    }

    /// Hints for a list document whose root holds records of `model`.
    pub(crate) fn list(spec: &'a Spec, model: &Model) -> ModelTypes<'a> {
        ModelTypes {
            spec,
            root: TypeRef::List(Box::new(TypeRef::Model(model.name.clone()))),
        }
    }

    /// The spec type of the element at `path`, if the model describes it.
    fn type_at(&self, path: &[&str]) -> Option<&TypeRef> {
        let mut ty = &self.root;
        for name in path.iter().skip(1) {
            ty = match ty {
                // The item element of a list: its name does not matter.
                TypeRef::List(inner) => inner,
                TypeRef::Model(model) => {
                    let model = self.spec.model(model)?;
                    &model.fields.iter().find(|f| f.wire_name == *name)?.ty
                }
                _ => return None,
            };
        }
        Some(ty)
    }
}

impl XmlTypes for ModelTypes<'_> {
    fn xml_type(&self, path: &[&str]) -> Option<XmlType> {
        self.type_at(path).and_then(XmlType::for_spec)
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering

/// How [`to_xml`] writes a document.
pub(crate) struct XmlStyle<'a> {
    /// Where `type` attributes come from.
    pub types: &'a dyn XmlTypes,
    /// The root name of an empty list instead of the caller's root (Spreedly answers an empty
    /// `subscribers.xml` with `<nil-classes type="array"/>`); `None` keeps the root name.
    pub empty_list_root: Option<&'a str>,
    /// Oddities some Rails answers have, switched on by the sandbox's faults.
    pub quirks: XmlQuirks,
}

/// Rails serialisation oddities a client must survive (spreedly.md §3 shows both in real
/// answers); off by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct XmlQuirks {
    /// Leaves that hold a value also say `nil="true"`
    /// (`<active-until type="datetime" nil="true">2010-02-21T19:04:28Z</active-until>`).
    pub nil_on_values: bool,
    /// Leaves written without a `type` attribute carry this one instead
    /// (`<name type="SubscriptionPlan::Version">Paid</name>`).
    pub untyped_as: Option<String>,
}

impl<'a> XmlStyle<'a> {
    /// `types` for the leaves and `<nil-classes type="array"/>` for empty lists (what a spec's
    /// `sandbox.empty_list_root: nil-classes` asks for; the tests' shorthand).
    #[cfg(test)]
    pub(crate) fn with_nil_classes(types: &'a dyn XmlTypes) -> XmlStyle<'a> {
        XmlStyle {
            types,
            empty_list_root: Some("nil-classes"),
            quirks: XmlQuirks::default(),
        }
    }
}

/// Renders `value` as a Rails XML document whose root element is `root` (e.g. `subscriber`
/// for an item, `subscribers` for a list). See the module documentation for the rules.
///
/// ```text
/// to_xml("subscribers", &Out::Array(vec![]), &XmlStyle::with_nil_classes(&Inferred))
///   == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<nil-classes type=\"array\"/>\n"
/// ```
pub(crate) fn to_xml(root: &str, value: &Out, style: &XmlStyle<'_>) -> String {
    let root = match (value, style.empty_list_root) {
        (Out::Array(items), Some(empty)) if items.is_empty() => empty,
        _ => root,
    };
    let mut renderer = Renderer {
        out: String::from(DECLARATION),
        path: Vec::new(),
        types: style.types,
        quirks: &style.quirks,
    };
    renderer.element(root, value);
    renderer.out
}

/// Writes elements into `out`; `path` holds the names of the open elements.
struct Renderer<'s> {
    out: String,
    path: Vec<String>,
    types: &'s dyn XmlTypes,
    quirks: &'s XmlQuirks,
}

impl Renderer<'_> {
    fn element(&mut self, name: &str, value: &Out) {
        debug_assert!(is_name(name), "{name:?} is not an XML element name");
        self.path.push(name.to_owned());
        let path: Vec<&str> = self.path.iter().map(String::as_str).collect();
        let hint = self.types.xml_type(&path);
        let indent = "  ".repeat(self.path.len() - 1);
        self.out.push_str(&indent);
        match value {
            Out::Array(items) => self.array(name, items, &indent),
            Out::Object(members) => self.object(name, hint.as_ref(), members, &indent),
            leaf => self.leaf(name, hint, leaf),
        }
        self.out.push('\n');
        self.path.pop();
    }

    fn array(&mut self, name: &str, items: &[Out], indent: &str) {
        if items.is_empty() {
            self.out.push_str(&format!("<{name} type=\"array\"/>"));
            return;
        }
        self.out.push_str(&format!("<{name} type=\"array\">\n"));
        let item = singular(name).unwrap_or_else(|| "item".to_owned());
        for value in items {
            self.element(&item, value);
        }
        self.out.push_str(&format!("{indent}</{name}>"));
    }

    fn object(
        &mut self,
        name: &str,
        hint: Option<&XmlType>,
        members: &[(String, Out)],
        indent: &str,
    ) {
        self.open(name, hint.and_then(XmlType::attribute), false);
        if members.is_empty() {
            self.out.push_str(&format!("</{name}>"));
            return;
        }
        self.out.push('\n');
        for (key, value) in members {
            self.element(key, value);
        }
        self.out.push_str(&format!("{indent}</{name}>"));
    }

    fn leaf(&mut self, name: &str, hint: Option<XmlType>, value: &Out) {
        let ty = match (
            hint.unwrap_or_else(|| inferred_type(value)),
            &self.quirks.untyped_as,
        ) {
            (XmlType::Untyped, Some(instead)) => XmlType::Verbatim(instead.clone()),
            (ty, _) => ty,
        };
        let text = match value {
            Out::Null => String::new(),
            Out::Bool(b) => b.to_string(),
            // Rails writes BigDecimals with a fraction: `24.0`, never `24`.
            Out::Number(n) if ty == XmlType::Decimal && is_whole(n) => format!("{n}.0"),
            // Number texts are formatted numbers; escaping keeps even a stray one well-formed.
            Out::Number(n) => escape_text(n),
            Out::String(s) => escape_text(s),
            // Containers never reach here (see `element`); pre-written JSON text is only made
            // for JSON vendors, so written as text it at least stays well-formed.
            Out::Array(_) | Out::Object(_) => String::new(),
            Out::Raw(json) => escape_text(json),
        };
        let nil = *value == Out::Null || (self.quirks.nil_on_values && !text.is_empty());
        self.open(name, ty.attribute(), nil);
        self.out.push_str(&text);
        self.out.push_str(&format!("</{name}>"));
    }

    /// `<name type="…" nil="true">`, the attributes only when given.
    fn open(&mut self, name: &str, ty: Option<&str>, nil: bool) {
        self.out.push('<');
        self.out.push_str(name);
        if let Some(ty) = ty {
            self.out
                .push_str(&format!(" type=\"{}\"", escape_attribute(ty)));
        }
        if nil {
            self.out.push_str(" nil=\"true\"");
        }
        self.out.push('>');
    }
}

/// `-12`, `0`: an integer text that a decimal must extend with `.0`.
fn is_whole(number: &str) -> bool {
    let digits = number.strip_prefix('-').unwrap_or(number);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The type a leaf gets without a hint.
fn inferred_type(value: &Out) -> XmlType {
    match value {
        Out::Bool(_) => XmlType::Boolean,
        Out::Number(n) if n.contains(['.', 'e', 'E']) => XmlType::Decimal,
        Out::Number(_) => XmlType::Integer,
        _ => XmlType::Untyped,
    }
}

/// The singular of an English plural, for list item names; `None` when `plural` is not one.
fn singular(plural: &str) -> Option<String> {
    // Checked in order: the first matching ending decides.
    const ENDINGS: [(&str, &str); 6] = [
        ("ies", "y"),   // categories -> category
        ("sses", "ss"), // addresses -> address
        ("shes", "sh"), // wishes -> wish
        ("ches", "ch"), // batches -> batch
        ("xes", "x"),   // boxes -> box
        ("s", ""),      // invoices -> invoice, line-items -> line-item
    ];
    if plural.ends_with("ss") || plural.ends_with("us") || plural.ends_with("is") {
        return None; // address, status, basis: already singular
    }
    let (end, replacement) = ENDINGS.iter().find(|(end, _)| plural.ends_with(end))?;
    let stem = &plural[..plural.len() - end.len()];
    (!stem.is_empty() && !stem.ends_with('-')).then(|| format!("{stem}{replacement}"))
}

/// Text content: `&`, `<`, `>` escaped as Rails' Builder does, `\r` kept from line-end
/// normalisation, and characters XML 1.0 forbids replaced so the document stays well-formed.
fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{fffd}'),
        }
    }
    out
}

fn escape_attribute(text: &str) -> String {
    escape_text(text).replace('"', "&quot;")
}

/// XML 1.0 `Char` (surrogates cannot occur in a `char`).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='\u{fffd}' | '\u{10000}'..)
}

/// A name Rails and XML parsers accept: a letter or `_`, then letters, digits, `-`, `_`, `.`.
fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// Parses an XML request body into `{"<root>": value}`; see the module documentation.
pub(crate) fn parse(body: &[u8]) -> Result<Value, String> {
    let (root, value) = parse_ordered(body)?;
    let mut map = Map::new();
    map.insert(root, to_value(value));
    Ok(Value::Object(map))
}

/// Like [`parse`], but keeps element order: the root name and its value as an [`Out`] tree
/// (integers as [`Out::Number`]), e.g. to echo a request in the order it came.
pub(crate) fn parse_ordered(body: &[u8]) -> Result<(String, Out), String> {
    let text = std::str::from_utf8(body).map_err(|e| {
        format!(
            "The request body is not UTF-8 (invalid bytes at byte {}).",
            e.valid_up_to()
        )
    })?;
    // A UTF-8 byte order mark may precede the declaration; offsets keep counting it.
    let (text, bom) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, 3),
        None => (text, 0),
    };
    if text.trim_matches(XML_SPACE).is_empty() {
        return Err("The request body is empty; expected an XML document.".to_owned());
    }
    let mut parser = Parser {
        reader: Reader::from_str(text),
        offset: bom,
    };
    let (root, empty, at) = parser.root_start()?;
    let value = parser.element(&root, empty, at, 1)?;
    parser.epilogue()?;
    Ok((root_name(&root), value))
}

const XML_SPACE: [char; 4] = [' ', '\t', '\n', '\r'];

fn is_space(text: &str) -> bool {
    text.trim_matches(XML_SPACE).is_empty()
}

fn root_name(start: &BytesStart<'_>) -> String {
    start.name().into_inner().to_owned()
}

/// Content of an element collected so far.
#[derive(Default)]
struct Content {
    text: String,
    children: Vec<(String, Out)>,
}

/// `type` and `nil` of an element.
struct Attrs {
    ty: Option<String>,
    nil: bool,
}

struct Parser<'a> {
    reader: Reader<&'a [u8]>,
    /// Bytes skipped before the reader's input (a byte order mark), added to offsets.
    offset: u64,
}

impl<'a> Parser<'a> {
    /// The next event and the byte offset where it starts.
    fn next(&mut self) -> Result<(Event<'a>, u64), String> {
        let at = self.reader.buffer_position() + self.offset;
        let event = self.reader.read_event().map_err(|e| {
            format!(
                "The request body is not valid XML at byte {}: {e}.",
                self.reader.error_position() + self.offset
            )
        })?;
        Ok((event, at))
    }

    /// Skips the prologue and returns the root's start tag, whether it is empty, and its offset.
    fn root_start(&mut self) -> Result<(BytesStart<'a>, bool, u64), String> {
        loop {
            match self.next()? {
                (Event::Start(start), at) => return Ok((start, false, at)),
                (Event::Empty(start), at) => return Ok((start, true, at)),
                (Event::Text(t), _) if is_space(&t) => {}
                (Event::Decl(_) | Event::Comment(_) | Event::PI(_), _) => {}
                (event, at) => return Err(outside_root(&event, at)),
            }
        }
    }

    /// After the root: only whitespace, comments and processing instructions.
    fn epilogue(&mut self) -> Result<(), String> {
        loop {
            match self.next()? {
                (Event::Eof, _) => return Ok(()),
                (Event::Text(t), _) if is_space(&t) => {}
                (Event::Comment(_) | Event::PI(_), _) => {}
                (Event::Start(s) | Event::Empty(s), at) => {
                    return Err(format!(
                        "The request body has a second root element <{}> at byte {at}.",
                        root_name(&s)
                    ));
                }
                (event, at) => return Err(outside_root(&event, at)),
            }
        }
    }

    /// Reads the element opened by `start` (at byte `at`, nesting level `depth`) up to its end
    /// tag and returns its value.
    fn element(
        &mut self,
        start: &BytesStart<'a>,
        empty: bool,
        at: u64,
        depth: usize,
    ) -> Result<Out, String> {
        let name = root_name(start);
        if depth > MAX_DEPTH {
            return Err(format!(
                "The request body nests elements deeper than {MAX_DEPTH} levels (<{name}> at byte {at})."
            ));
        }
        let attrs = attributes(start, at)?;
        let mut content = Content::default();
        if !empty {
            self.content(&name, &mut content, depth)?;
        }
        value_of(&name, attrs, content, at)
    }

    /// Reads the child element `child` of `name` into `content`.
    fn child(
        &mut self,
        name: &str,
        content: &mut Content,
        child: &BytesStart<'a>,
        empty: bool,
        at: u64,
        depth: usize,
    ) -> Result<(), String> {
        if !is_space(&content.text) {
            return Err(mixed(name, at));
        }
        // Whitespace before a child is indentation, not content.
        content.text.clear();
        let value = self.element(child, empty, at, depth + 1)?;
        content.children.push((root_name(child), value));
        Ok(())
    }

    /// Collects the children and text of `name` until its end tag.
    fn content(&mut self, name: &str, content: &mut Content, depth: usize) -> Result<(), String> {
        loop {
            let (event, at) = self.next()?;
            let text = match event {
                Event::End(_) => return Ok(()),
                Event::Start(child) => {
                    self.child(name, content, &child, false, at, depth)?;
                    continue;
                }
                Event::Empty(child) => {
                    self.child(name, content, &child, true, at, depth)?;
                    continue;
                }
                Event::Text(t) => t.xml10_content().into_owned(),
                Event::CData(c) => c.xml10_content().into_owned(),
                Event::GeneralRef(r) => entity(&r, at)?,
                Event::Comment(_) | Event::PI(_) => continue,
                Event::Eof => {
                    return Err(format!(
                        "The request body ends at byte {at} before </{name}>."
                    ));
                }
                Event::Decl(_) | Event::DocType(_) => return Err(outside_root(&event, at)),
            };
            if !content.children.is_empty() && !is_space(&text) {
                return Err(mixed(name, at));
            }
            content.text.push_str(&text);
        }
    }
}

fn mixed(name: &str, at: u64) -> String {
    format!("The request body has text next to child elements in <{name}> at byte {at}.")
}

/// Why an event cannot stand outside the root element.
fn outside_root(event: &Event<'_>, at: u64) -> String {
    match event {
        Event::DocType(_) => format!(
            "The request body has a document type declaration at byte {at}; DTDs and entities are not accepted."
        ),
        Event::Eof => "The request body has no root element.".to_owned(),
        _ => format!(
            "The request body is not an XML document: text outside the root element at byte {at}."
        ),
    }
}

/// The five XML entities and character references; nothing else is ever expanded.
fn entity(r: &BytesRef<'_>, at: u64) -> Result<String, String> {
    let name: &str = r;
    match r.resolve_char_ref() {
        Ok(Some(c)) => Ok(c.to_string()),
        Ok(None) => resolve_xml_entity(name).map(str::to_owned).ok_or_else(|| {
            format!(
                "The request body uses the unknown entity &{name}; at byte {at}; only the XML entities and character references are accepted."
            )
        }),
        Err(e) => Err(format!(
            "The request body has an invalid character reference &{name}; at byte {at}: {e}."
        )),
    }
}

fn attributes(start: &BytesStart<'_>, at: u64) -> Result<Attrs, String> {
    let mut attrs = Attrs {
        ty: None,
        nil: false,
    };
    for attr in start.attributes() {
        let attr = attr.map_err(|e| {
            format!(
                "The request body has a malformed attribute in the tag at byte {at} ({e}, counted from the tag name)."
            )
        })?;
        let key = attr.key.into_inner();
        if key != "type" && key != "nil" {
            continue;
        }
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| {
                format!("The request body has a malformed `{key}` attribute at byte {at}: {e}.")
            })?
            .trim_matches(XML_SPACE)
            .to_owned();
        if key == "type" {
            attrs.ty = Some(value);
        } else {
            attrs.nil = value == "true" || value == "1";
        }
    }
    Ok(attrs)
}

/// The value of a finished element.
fn value_of(name: &str, attrs: Attrs, content: Content, at: u64) -> Result<Out, String> {
    let Content { text, children } = content;
    if attrs.ty.as_deref() == Some("array") {
        if !is_space(&text) {
            return Err(format!(
                "The request body has text inside the array <{name}> at byte {at}."
            ));
        }
        if children.is_empty() && attrs.nil {
            return Ok(Out::Null);
        }
        return Ok(Out::Array(children.into_iter().map(|(_, v)| v).collect()));
    }
    if !children.is_empty() {
        return Ok(grouped(children));
    }
    Ok(leaf_value(attrs, text))
}

/// Members in first-seen order; a name seen again turns its member into an array.
fn grouped(children: Vec<(String, Out)>) -> Out {
    let mut members: Vec<(String, Out)> = Vec::new();
    // Which members are repeat groups (an array value of one child is not one).
    let mut repeated: Vec<bool> = Vec::new();
    for (name, value) in children {
        let Some(i) = members.iter().position(|(n, _)| *n == name) else {
            members.push((name, value));
            repeated.push(false);
            continue;
        };
        if !repeated[i] {
            let first = std::mem::replace(&mut members[i].1, Out::Null);
            members[i].1 = Out::Array(vec![first]);
            repeated[i] = true;
        }
        if let Out::Array(items) = &mut members[i].1 {
            items.push(value);
        }
    }
    Out::Object(members)
}

fn leaf_value(attrs: Attrs, text: String) -> Out {
    let trimmed = text.trim_matches(XML_SPACE);
    if attrs.nil && trimmed.is_empty() {
        return Out::Null; // content, when there is any, wins over nil="true"
    }
    match attrs.ty.as_deref() {
        Some("integer") => match integer_text(trimmed) {
            Some(number) => Out::Number(number),
            None => Out::String(text),
        },
        Some("boolean") if matches!(trimmed, "true" | "1") => Out::Bool(true),
        Some("boolean") if matches!(trimmed, "false" | "0") => Out::Bool(false),
        Some("boolean") if trimmed.is_empty() => Out::Null,
        // decimal (exact money), datetime, date, string and unknown types stay text.
        _ => Out::String(text),
    }
}

/// The integer in `text` written as JSON (`+5` and `007` are valid XML integers, not JSON).
fn integer_text(text: &str) -> Option<String> {
    match text.parse::<i64>() {
        Ok(i) => Some(i.to_string()),
        Err(_) => text.parse::<u64>().ok().map(|u| u.to_string()),
    }
}

/// An ordered tree as a serde_json value. The parser only makes integer numbers; other
/// number texts are converted too, and one that is no JSON number stays text.
fn to_value(out: Out) -> Value {
    match out {
        Out::Null => Value::Null,
        Out::Bool(b) => Value::Bool(b),
        Out::Number(n) => serde_json::from_str::<serde_json::Number>(&n)
            .map(Value::Number)
            .unwrap_or(Value::String(n)),
        Out::String(s) => Value::String(s),
        Out::Raw(json) => serde_json::from_str(&json).unwrap_or(Value::String(json)),
        Out::Array(items) => Value::Array(items.into_iter().map(to_value).collect()),
        Out::Object(members) => {
            Value::Object(members.into_iter().map(|(k, v)| (k, to_value(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests;
