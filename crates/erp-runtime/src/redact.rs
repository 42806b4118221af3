//! Value-based redaction of everything the runtime prints about a call.
//!
//! Redacting by field name works only on bodies that parse; a vendor's plain-text 400
//! (`invalid bank_iban DE89…`), an HTML page, a cut-off or XML body echoing the request
//! carries the value with no key the runtime could find. But the runtime knows the values
//! that must not be printed: the `sensitive` fields of the body it sent and the credentials it
//! sent. So every text of an [`Error`] is scrubbed of those exact values, of the spellings a
//! server may echo them in (any letter case, percent/form-encoded, JSON- or XML-escaped,
//! without spaces) and of a prefix of one that ends a text (a truncated echo, or an excerpt
//! cut off inside it). Errors pass through here before they are logged or returned.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::auth::AuthTarget;
use crate::descriptor::Operation;
use crate::error::Error;
use crate::request::{Body, Request};

/// What replaces a scrubbed value.
const REDACTED: &str = "[redacted]";

/// Values shorter than this are scrubbed only where they stand alone (not inside a word or a
/// number), so a PIN `12` does not eat every `12` of a message; it is also the shortest
/// prefix of a cut-off value that is scrubbed.
const SHORT: usize = 4;

/// How many distinct credential sets a client remembers (an OAuth2 token changes on each
/// refresh; an error may come from a call made with the previous one).
const REMEMBERED_CREDENTIALS: usize = 8;

/// The credentials a client has sent, shared by its clones.
#[derive(Default)]
pub(crate) struct SeenCredentials(Mutex<VecDeque<Vec<String>>>);

// Hand-written: a derived `Debug` would print the very values this type exists to hide.
impl fmt::Debug for SeenCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sets = self.0.lock().map_or(0, |seen| seen.len());
        write!(f, "SeenCredentials({sets} sets, not shown)")
    }
}

impl SeenCredentials {
    /// Remembers the secret values of one attempt's credentials.
    pub(crate) fn remember(&self, sent: &AuthTarget) {
        let mut values = Vec::new();
        for value in sent.headers.values().filter(|v| v.is_sensitive()) {
            if let Ok(text) = value.to_str() {
                credential_parts(text, &mut values);
            }
        }
        for (_, secret) in &sent.query {
            values.push(secret.expose().to_owned());
        }
        values.retain(|v| !v.is_empty());
        if values.is_empty() {
            return;
        }
        let Ok(mut seen) = self.0.lock() else {
            return;
        };
        if seen.contains(&values) {
            return;
        }
        if seen.len() == REMEMBERED_CREDENTIALS {
            seen.pop_front();
        }
        seen.push_back(values);
    }

    fn values(&self) -> Vec<String> {
        match self.0.lock() {
            Ok(seen) => seen.iter().flatten().cloned().collect(),
            // A panic elsewhere while holding the lock: scrub nothing rather than panic here;
            // the values are still in the poisoned data, so take them.
            Err(poisoned) => poisoned.into_inner().iter().flatten().cloned().collect(),
        }
    }
}

/// A credential header value and the parts a server may echo alone: the token after a
/// scheme (`Bearer t`, `Token token=t`), and user and password of `Basic`.
fn credential_parts(value: &str, out: &mut Vec<String>) {
    out.push(value.to_owned());
    let mut words = value.split_whitespace();
    let scheme = words.next().unwrap_or_default();
    for word in words {
        let word = word.trim_matches([',', '"']);
        let basic = scheme.eq_ignore_ascii_case("basic");
        // `token=t` names its token; base64 (`Basic`) ends in `=` padding instead.
        let token = match word.split_once('=') {
            Some((_, t)) if !basic => t.trim_matches('"'),
            _ => word,
        };
        out.push(token.to_owned());
        if basic
            && let Ok(pair) = crate::base64::decode(token)
            && let Ok(pair) = String::from_utf8(pair)
        {
            if let Some((user, password)) = pair.split_once(':') {
                out.extend([user, password].map(str::to_owned));
            }
            out.push(pair);
        }
    }
    // A part too short to be told from ordinary text is no secret worth garbling text for
    // (Spreedly's Basic password is the letter `X`); the whole value is always scrubbed.
    out.retain(|v| v.len() >= SHORT || v == value);
}

/// Scrubs the sensitive values of one call from its errors.
#[derive(Clone)]
pub(crate) struct Redactor {
    /// The wire names of the operation's sensitive fields: a value the vendor sends (another
    /// record's IBAN in a cut-off body) is known only by the name before it.
    names: &'static [&'static str],
    /// The sensitive values of the request body.
    request: Arc<[String]>,
    credentials: Arc<SeenCredentials>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("names", &self.names)
            .field("values", &self.request.len())
            .field("credentials", &self.credentials)
            .finish()
    }
}

impl Redactor {
    /// The redactor of `req` sent through `op` by a client that remembers `credentials`.
    pub(crate) fn new(op: &Operation, req: &Request, credentials: Arc<SeenCredentials>) -> Self {
        let mut values = Vec::new();
        match &req.body {
            Some(Body::Value(value)) => sensitive_values(value, op.redact, &mut values),
            Some(Body::Multipart(form)) => values.extend(form.texts_named(op.redact)),
            Some(Body::Bytes { .. }) | None => {}
        }
        values.retain(|v| !v.is_empty());
        Redactor {
            names: op.redact,
            request: values.into(),
            credentials,
        }
    }

    /// A redactor that scrubs nothing, until `send` puts the call's own in place.
    pub(crate) fn none() -> Self {
        Redactor {
            names: &[],
            request: Arc::new([]),
            credentials: Arc::default(),
        }
    }

    /// `error` with every sensitive value scrubbed from its texts.
    pub(crate) fn error(&self, mut error: Error) -> Error {
        let values: Vec<String> = self
            .request
            .iter()
            .cloned()
            .chain(self.credentials.values())
            .collect();
        if values.is_empty() && self.names.is_empty() {
            return error;
        }
        let spellings = spellings(&values);
        let clean = |text: &str| scrub(&scrub_named(text, self.names), &spellings);
        let scrub_opt = |text: &mut Option<String>| {
            if let Some(text) = text {
                *text = clean(text);
            }
        };
        let scrub = |text: &mut String| *text = clean(text);
        match &mut error {
            Error::Transport { message, .. }
            | Error::NotAllowed { message, .. }
            | Error::Config { message, .. }
            | Error::Auth { message, .. } => scrub(message),
            Error::Api {
                message,
                code,
                body_excerpt,
                ..
            } => {
                scrub_opt(message);
                scrub_opt(code);
                scrub(body_excerpt);
            }
            Error::NotFound { message, .. }
            | Error::Unauthorized { message, .. }
            | Error::RateLimited { message, .. } => scrub_opt(message),
            Error::Decode {
                path,
                message,
                excerpt,
                ..
            } => {
                scrub(path);
                scrub(message);
                scrub(excerpt);
            }
            Error::InvalidInput { field, message, .. } => {
                scrub(field);
                scrub(message);
            }
            Error::UnexpectedContent {
                content_type,
                excerpt,
                ..
            } => {
                scrub_opt(content_type);
                scrub(excerpt);
            }
            // A next link or cursor may carry what the vendor echoed.
            Error::Paging { problem, .. } => match problem {
                crate::paging::PagingProblem::LinkNotAdvancing(text)
                | crate::paging::PagingProblem::CursorNotAdvancing(text) => scrub(text),
                _ => {}
            },
            Error::WrongRecord {
                requested,
                received,
                ..
            } => {
                scrub(requested);
                scrub(received);
            }
            Error::Timeout { .. } | Error::ResponseTooLarge { .. } => {}
        }
        error
    }
}

/// The values of members named in `sensitive`, at any depth (scalars as their text).
fn sensitive_values(value: &Value, sensitive: &[&str], out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, member) in map {
                if sensitive.contains(&key.as_str()) {
                    scalars(member, out);
                } else {
                    sensitive_values(member, sensitive, out);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                sensitive_values(item, sensitive, out);
            }
        }
        _ => {}
    }
}

fn scalars(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|i| scalars(i, out)),
        Value::Object(map) => map.values().for_each(|m| scalars(m, out)),
        Value::Bool(_) | Value::Null => {}
    }
}

/// Every spelling of `values` a server may echo, lower-cased (matching ignores ASCII case),
/// longest first so that a longer spelling is scrubbed before a shorter one inside it.
fn spellings(values: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for value in values {
        let collapsed = value.split_whitespace().collect::<Vec<_>>();
        let candidates = [
            value.clone(),
            collapsed.join(" "),
            collapsed.concat(),
            percent_encode(value, false),
            percent_encode(value, true),
            serde_json::to_string(value)
                .map(|q| q.trim_matches('"').to_owned())
                .unwrap_or_default(),
            xml_escape(value),
        ];
        out.extend(
            candidates
                .into_iter()
                .filter(|c| !c.is_empty())
                .map(|c| c.to_ascii_lowercase()),
        );
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// `text` with every occurrence of a spelling, and a prefix of one that ends it, replaced.
fn scrub(text: &str, spellings: &[String]) -> String {
    let mut text = text.to_owned();
    for spelling in spellings {
        text = replace_all(&text, spelling);
    }
    cut_off_tail(text, spellings)
}

fn replace_all(text: &str, spelling: &str) -> String {
    // ASCII lower-casing keeps byte offsets, so positions found in the copy hold in `text`.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    while let Some(found) = lower[from..].find(spelling) {
        let start = from + found;
        let end = start + spelling.len();
        if spelling.len() < SHORT && !stands_alone(&lower, start, end) {
            out.push_str(&text[from..end]);
        } else {
            out.push_str(&text[from..start]);
            out.push_str(REDACTED);
        }
        from = end;
    }
    out.push_str(&text[from..]);
    out
}

/// Whether `text[start..end]` has no letter or digit right before or after it.
fn stands_alone(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// A text that ends inside a value (the server cut its echo short, or an excerpt was cut
/// there) ends with a prefix of it: that prefix goes too.
fn cut_off_tail(mut text: String, spellings: &[String]) -> String {
    let marker = if text.ends_with('…') { "…" } else { "" };
    let body_len = text.len() - marker.len();
    let lower = text[..body_len].to_ascii_lowercase();
    let longest = spellings
        .iter()
        .filter_map(|s| {
            (SHORT..s.len())
                .rev()
                .filter(|n| s.is_char_boundary(*n))
                .find(|n| lower.ends_with(&s[..*n]))
        })
        .max();
    if let Some(n) = longest {
        text.replace_range(body_len - n..body_len, REDACTED);
    }
    text
}

/// `text` with the value after each sensitive name replaced, in the syntaxes a body that
/// did not parse may still show: `"name": "v"` (JSON), `<name>v</name>` (XML), `name=v`
/// (forms, query strings). A value cut off by the end of the text goes too.
fn scrub_named(text: &str, names: &[&str]) -> String {
    let mut text = text.to_owned();
    for name in names.iter().filter(|n| !n.is_empty()) {
        let name = name.to_ascii_lowercase();
        let mut out = String::with_capacity(text.len());
        let lower = text.to_ascii_lowercase();
        let bytes = lower.as_bytes();
        let mut from = 0;
        let mut search = 0;
        while let Some(found) = lower[search..].find(&name) {
            let start = search + found;
            search = start + name.len();
            let Some((value_start, value_end)) = value_after(bytes, start, name.len()) else {
                continue;
            };
            out.push_str(&text[from..value_start]);
            out.push_str(REDACTED);
            from = value_end;
            search = search.max(value_end);
        }
        out.push_str(&text[from..]);
        text = out;
    }
    text
}

/// Where the value after the name at `text[start..start + len]` lies, if a separator
/// follows it. Every delimiter is ASCII, so the positions are character boundaries.
fn value_after(text: &[u8], start: usize, len: usize) -> Option<(usize, usize)> {
    let before = start.checked_sub(1).map(|i| text[i]);
    if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    let skip_space = |mut i: usize| {
        while text.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    let mut i = start + len;
    if matches!(text.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    i = skip_space(i);
    let separator = *text.get(i)?;
    let xml = separator == b'>' && before == Some(b'<');
    if !(separator == b':' || separator == b'=' || xml) {
        return None;
    }
    i = skip_space(i + 1);
    let (value_start, ends): (usize, &[u8]) = match text.get(i) {
        Some(q @ (b'"' | b'\'')) if !xml => (i + 1, std::slice::from_ref(q)),
        _ if xml => (i, b"<"),
        _ => (i, b"&,;}]< \t\r\n"),
    };
    let mut end = value_start;
    while end < text.len() && !ends.contains(&text[end]) {
        // A quoted value may hold an escaped quote.
        end += if text[end] == b'\\' { 2 } else { 1 };
    }
    let end = end.min(text.len());
    // Scrubbing twice (a retried error, then the returned one) must not eat the marker's `]`.
    let done = text[value_start..].starts_with(REDACTED.as_bytes());
    (end > value_start && !done).then_some((value_start, end))
}

/// RFC 3986 percent-encoding of everything but unreserved characters; `form` writes a space
/// as `+` (`application/x-www-form-urlencoded`).
fn percent_encode(value: &str, form: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b' ' if form => out.push('+'),
            b if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') => {
                out.push(b as char)
            }
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn xml_escape(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrubbed(text: &str, values: &[&str]) -> String {
        let values: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        scrub(text, &spellings(&values))
    }

    #[test]
    fn every_spelling_of_a_value_goes() {
        let v = "12 34/56+78&9";
        for echo in [
            "12 34/56+78&9",
            "12+34%2F56%2B78%269",
            "12%2034%2f56%2b78%269",
            "12 34/56+78&amp;9",
            "1234/56+78&9",
        ] {
            assert_eq!(scrubbed(&format!("bad: {echo}!"), &[v]), "bad: [redacted]!");
        }
        assert_eq!(
            scrubbed("iban de89370400440532013000", &["DE89370400440532013000"]),
            "iban [redacted]"
        );
    }

    #[test]
    fn a_cut_off_value_goes_and_short_values_only_alone() {
        let iban = ["DE89370400440532013000"];
        assert_eq!(scrubbed("echo: DE893704", &iban), "echo: [redacted]");
        assert_eq!(scrubbed("echo: DE893704…", &iban), "echo: [redacted]…");
        assert_eq!(
            scrubbed("code DE8", &iban),
            "code DE8",
            "3 chars prove nothing"
        );
        assert_eq!(
            scrubbed("pin 12 of 4123", &["12"]),
            "pin [redacted] of 4123"
        );
    }

    #[test]
    fn values_after_a_sensitive_name_go_in_every_syntax() {
        let names = ["bank_iban"];
        for (text, expected) in [
            (
                r#"{"bank_iban" : "DE12", "x":1}"#,
                r#"{"bank_iban" : "[redacted]", "x":1}"#,
            ),
            (
                r#"{"bank_iban":"DE12\"5"}"#,
                r#"{"bank_iban":"[redacted]"}"#,
            ),
            (r#"{"bank_iban":"DE1250"#, r#"{"bank_iban":"[redacted]"#),
            (
                "<bank_iban>DE12</bank_iban>",
                "<bank_iban>[redacted]</bank_iban>",
            ),
            ("a=1&bank_iban=DE12&b=2", "a=1&bank_iban=[redacted]&b=2"),
            ("invalid bank_iban DE12", "invalid bank_iban DE12"),
            ("my_bank_iban=x", "my_bank_iban=x"),
            ("bank_iban=[redacted]&y", "bank_iban=[redacted]&y"),
            (r#""bank_iban":"[redacted]""#, r#""bank_iban":"[redacted]""#),
        ] {
            assert_eq!(scrub_named(text, &names), expected, "{text}");
        }
    }

    #[test]
    fn the_redactor_itself_prints_no_value() {
        let seen = Arc::new(SeenCredentials::default());
        let mut sent = AuthTarget::default();
        sent.query.push(("api_key".into(), "s3cret-key".into()));
        seen.remember(&sent);
        let op = crate::test_server::get_item();
        let req = Request::new().body(&serde_json::json!({"x": "y"}));
        let shown = format!("{:?}", Redactor::new(op, &req, seen));
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn credential_headers_yield_their_secret_parts() {
        let mut parts = Vec::new();
        credential_parts("Token token=abcdef", &mut parts);
        assert!(parts.contains(&"abcdef".to_owned()), "{parts:?}");
        let mut parts = Vec::new();
        let basic = crate::base64::encode(b"user-name:pass-word");
        credential_parts(&format!("Basic {basic}"), &mut parts);
        for part in ["user-name", "pass-word", "user-name:pass-word"] {
            assert!(parts.contains(&part.to_owned()), "{parts:?}");
        }
    }
}
