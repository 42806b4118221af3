//! Wire formats and the kinds of bodies an operation sends and receives.

/// The format of structured bodies (requests and responses that hold data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WireFormat {
    Json,
    Xml,
}

impl WireFormat {
    /// The media type of this format.
    pub fn media_type(self) -> &'static str {
        match self {
            WireFormat::Json => "application/json",
            WireFormat::Xml => "application/xml",
        }
    }
}

/// How booleans travel on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BoolEncoding {
    Native,
    /// `1` / `0` (Billomat).
    OneZero,
}

/// How lists inside items (a model's list fields) travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NestedLists {
    /// A nested list is a plain array.
    Plain,
    /// A nested list is wrapped in an object keyed by the item name (`{"tax": [...]}`).
    Wrapped,
}

/// What an operation sends as its request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyKind {
    /// No body.
    None,
    /// A model in the operation's wire format, wrapped in the vendor's request envelope.
    Structured,
    /// A model as `application/x-www-form-urlencoded` pairs.
    Form,
    /// `multipart/form-data` parts (file uploads).
    Multipart,
    /// Raw bytes with the content type the spec names (or the caller gives).
    Bytes { content_type: Option<&'static str> },
}

/// What an operation's response body holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Returns {
    /// Nothing the caller needs (the body is not read into a value).
    None,
    /// One object in the vendor's item envelope.
    Item,
    /// One object, or an empty body (the vendor does not promise to echo a written object).
    ItemOrEmpty,
    /// A list in the vendor's list envelope, paged as the operation's paging says.
    List,
    /// The whole body as bytes (a PDF), with its content type.
    Bytes,
    /// The body as a stream of chunks, never buffered whole (large attachments).
    ByteStream,
    /// The body as text.
    Text,
}

impl Returns {
    /// Whether the body is a structured value that the codec decodes.
    pub fn is_structured(self) -> bool {
        matches!(self, Returns::Item | Returns::ItemOrEmpty | Returns::List)
    }
}
