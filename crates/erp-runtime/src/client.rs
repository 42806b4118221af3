//! The client every vendor crate wraps: one typed method per kind of answer. The pipeline
//! lives in `send`, failure classification in `classify`, body decoding in `decode` and the
//! paging engine in `paging`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use futures::{StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::auth::Auth;
use crate::body::{Binary, ByteStream, file_name, read_capped};
use crate::config::{ClientBuilder, Config};
use crate::decode;
use crate::descriptor::{Method, Operation, VendorInfo};
use crate::envelope::{self, Shape};
use crate::error::Error;
use crate::paging::{self, Items, Pages};
use crate::rate_limit::Gate;
use crate::redact::{Redactor, SeenCredentials};
use crate::request::Request;
use crate::send::{Answer, AnswerBody, origin};

/// A configured connection to one vendor. Cheap to clone; clones share connections,
/// credentials and rate-limit state.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    vendor: &'static VendorInfo,
    base_url: String,
    /// The base-URL variables given to the builder (also when `.base_url(..)` replaced the
    /// template), for links and requirements.
    variables: BTreeMap<String, String>,
    http: reqwest::Client,
    auth: Arc<dyn Auth>,
    config: Config,
    gate: Gate,
    /// The credentials sent so far, scrubbed from every error and log line.
    credentials: Arc<SeenCredentials>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("vendor", &self.inner.vendor.name)
            .field("base_url", &self.inner.base_url)
            .field("auth", &self.inner.auth)
            .field("config", &self.inner.config)
            .finish()
    }
}

impl Client {
    pub fn builder(vendor: &'static VendorInfo) -> ClientBuilder<Client> {
        ClientBuilder::new(vendor)
    }

    pub(crate) fn from_parts(
        vendor: &'static VendorInfo,
        base_url: String,
        variables: BTreeMap<String, String>,
        http: reqwest::Client,
        auth: Arc<dyn Auth>,
        config: Config,
    ) -> Self {
        Client {
            inner: Arc::new(Inner {
                vendor,
                base_url,
                variables,
                http,
                auth,
                config,
                gate: Gate::new(vendor.rate_limits),
                credentials: Arc::default(),
            }),
        }
    }

    pub fn vendor(&self) -> &'static VendorInfo {
        self.inner.vendor
    }

    /// The resolved base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// A base-URL variable as given to the builder (`site`, `billomat_id`).
    pub fn variable(&self, name: &str) -> Option<&str> {
        self.inner.variables.get(name).map(String::as_str)
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub(crate) fn auth(&self) -> &dyn Auth {
        &*self.inner.auth
    }

    pub(crate) fn gate(&self) -> &Gate {
        &self.inner.gate
    }

    pub(crate) fn credentials(&self) -> &SeenCredentials {
        &self.inner.credentials
    }

    /// Scrubs the sensitive values of `req` and the credentials sent from an error.
    pub(crate) fn redactor(&self, op: &'static Operation, req: &Request) -> Redactor {
        Redactor::new(op, req, Arc::clone(&self.inner.credentials))
    }

    /// Calls an operation that returns one object.
    pub async fn item<T: DeserializeOwned>(
        &self,
        op: &'static Operation,
        req: Request,
    ) -> Result<T, Error> {
        let answer = self.send(op, &req, None).await?;
        decode_item(op, &answer, &req).map_err(|e| answer.error(e))
    }

    /// Calls an operation that returns one object or, as some vendors do after a write, an
    /// empty body (`Ok(None)`).
    pub async fn item_or_empty<T: DeserializeOwned>(
        &self,
        op: &'static Operation,
        req: Request,
    ) -> Result<Option<T>, Error> {
        let answer = self.send(op, &req, None).await?;
        if answer.bytes().iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        decode_item(op, &answer, &req)
            .map(Some)
            .map_err(|e| answer.error(e))
    }

    /// Calls an operation whose answer carries no data the caller needs.
    pub async fn unit(&self, op: &'static Operation, req: Request) -> Result<(), Error> {
        self.send(op, &req, None).await.map(drop)
    }

    /// Calls an operation that returns a file, read whole.
    pub async fn bytes(&self, op: &'static Operation, req: Request) -> Result<Binary, Error> {
        let started = Instant::now();
        let answer = self.send(op, &req, None).await?;
        let (content_type, file_name) = file_facts(&answer);
        let bytes = match answer.body {
            AnswerBody::Full(bytes) => bytes,
            AnswerBody::Unread(response) => {
                let config = self.config();
                let limit = config.max_response_bytes;
                read_capped(response, limit).await.map_err(|e| {
                    let timeout = config.request_timeout;
                    crate::classify::unread_body(op, answer.status, e, limit, timeout, started).2
                })?
            }
        };
        Ok(Binary {
            content_type,
            file_name,
            bytes,
        })
    }

    /// Calls an operation that returns a file, as a stream of chunks that is never held in
    /// memory whole.
    pub async fn byte_stream(
        &self,
        op: &'static Operation,
        req: Request,
    ) -> Result<ByteStream, Error> {
        let started = Instant::now();
        let answer = self.send(op, &req, None).await?;
        let (content_type, file_name) = file_facts(&answer);
        let timeout = self.config().request_timeout;
        let (content_length, chunks) = match answer.body {
            AnswerBody::Unread(response) => (
                response.content_length(),
                response
                    .bytes_stream()
                    .map_err(move |e| crate::classify::transport(op, e, timeout, started).2)
                    .boxed(),
            ),
            AnswerBody::Full(bytes) => (
                Some(bytes.len() as u64),
                futures::stream::iter([Ok(bytes)]).boxed(),
            ),
        };
        Ok(ByteStream {
            content_type,
            file_name,
            content_length,
            chunks,
        })
    }

    /// Calls an operation that returns text.
    pub async fn text(&self, op: &'static Operation, req: Request) -> Result<String, Error> {
        let answer = self.send(op, &req, None).await?;
        String::from_utf8(answer.bytes().to_vec()).map_err(|e| Error::Decode {
            origin: origin(op),
            path: ".".to_owned(),
            message: format!("the text is not UTF-8: {e}"),
            excerpt: String::new(),
        })
    }

    /// Lazily streams every item of a list, fetching pages as they are consumed.
    pub fn items<T: DeserializeOwned + Send + 'static>(
        &self,
        op: &'static Operation,
        req: Request,
    ) -> Items<T> {
        let redactor = self.redactor(op, &req);
        paging::items(self.clone(), op, req)
            .map_err(move |e| redactor.error(e))
            .boxed()
    }

    /// Lazily streams the pages of a list (with the totals the vendor reports).
    pub fn pages<T: DeserializeOwned + Send + 'static>(
        &self,
        op: &'static Operation,
        req: Request,
    ) -> Pages<T> {
        let redactor = self.redactor(op, &req);
        paging::pages(self.clone(), op, req)
            .map_err(move |e| redactor.error(e))
            .boxed()
    }

    /// Fetches every item of a list into memory. Meant for small lists; use [`Client::items`]
    /// to process large ones as they arrive.
    pub async fn all<T: DeserializeOwned + Send + 'static>(
        &self,
        op: &'static Operation,
        req: Request,
    ) -> Result<Vec<T>, Error> {
        self.items(op, req).try_collect().await
    }
}

fn file_facts(answer: &Answer) -> (Option<String>, Option<String>) {
    (
        answer.header("content-type").map(str::to_owned),
        answer.header("content-disposition").and_then(file_name),
    )
}

fn decode_item<T: DeserializeOwned>(
    op: &'static Operation,
    answer: &Answer,
    req: &Request,
) -> Result<T, Error> {
    let mut body = decode::structured(
        op,
        answer.status,
        answer.header("content-type"),
        answer.bytes(),
        Shape::Item,
    )?;
    let not_found = |message: Option<String>| Error::NotFound {
        origin: origin(op),
        status: answer.status,
        message,
    };
    let Some(found) =
        envelope::item(op, &mut body).map_err(|m| decode::shape_error(op, &body, m))?
    else {
        return Err(not_found(None));
    };
    // Without a known key (or the value asked for) the first record is the answer, as the
    // envelope says; with one, only a record holding the requested key is.
    // Only a read asks for a key: a create's parameters name a parent, never the new record.
    let Some((field, wanted)) = (op.key.filter(|_| op.method == Method::Get))
        .and_then(|field| req.param_text(field).map(|wanted| (field, wanted)))
    else {
        return decode::typed(op, &found.items[0], &found.path_of(0));
    };
    let keys: Vec<Option<Value>> = found.items.iter().map(|item| item.member(field)).collect();
    let matching = keys
        .iter()
        .position(|key| key.as_ref().is_some_and(|k| same_key(&wanted, k)));
    match (matching, keys.as_slice()) {
        (Some(i), _) => decode::typed(op, &found.items[i], &found.path_of(i)),
        // A record that does not show its key cannot contradict the request.
        (None, [None]) => decode::typed(op, &found.items[0], &found.path_of(0)),
        (None, [Some(other)]) if !found.is_list() => Err(Error::WrongRecord {
            origin: origin(op),
            field,
            requested: wanted,
            received: key_text(other),
        }),
        (None, keys) => Err(not_found(Some(format!(
            "the answer held {} record{}, none with `{field}` = {wanted}",
            keys.len(),
            if keys.len() == 1 { "" } else { "s" }
        )))),
    }
}

/// A key value as text: a string as it is, anything else in its JSON form.
fn key_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Whether a record's key value is the one asked for: the same text, the same integer
/// (`"42"` and `42`, as vendors that send every scalar as a string do), or the same GUID
/// whatever its case or OData's `guid'…'` wrapping.
fn same_key(wanted: &str, value: &Value) -> bool {
    let (wanted, got) = (wanted.trim(), key_text(value));
    let got = got.trim();
    if wanted == got {
        return true;
    }
    if let (Ok(a), Ok(b)) = (wanted.parse::<i128>(), got.parse::<i128>()) {
        return a == b;
    }
    let guid = |s: &str| {
        let s = s
            .strip_prefix("guid'")
            .and_then(|s| s.strip_suffix('\''))
            .unwrap_or(s);
        uuid::Uuid::parse_str(s).ok()
    };
    matches!((guid(wanted), guid(got)), (Some(a), Some(b)) if a == b)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::same_key;

    #[test]
    fn keys_compare_as_text_integers_or_guids() {
        assert!(same_key("42", &json!(42)));
        assert!(same_key("42", &json!("42")));
        assert!(same_key("abc", &json!("abc")));
        assert!(!same_key("abc", &json!("ABC")), "text keys are exact");
        assert!(!same_key("42", &json!(1)));
        assert!(!same_key("42", &json!(null)));
        assert!(same_key(
            "5f0c6f8e-1d2b-4c3a-9e8f-0a1b2c3d4e5f",
            &json!("guid'5F0C6F8E-1D2B-4C3A-9E8F-0A1B2C3D4E5F'")
        ));
    }
}
