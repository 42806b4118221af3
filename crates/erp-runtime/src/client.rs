//! The client every vendor crate wraps: one typed method per kind of answer. The pipeline
//! lives in `send`, failure classification in `classify`, body decoding in `decode` and the
//! paging engine in `paging`.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;

use crate::auth::Auth;
use crate::body::{Binary, ByteStream, file_name, read_capped};
use crate::config::{ClientBuilder, Config};
use crate::decode;
use crate::descriptor::{Operation, VendorInfo};
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
        decode_item(op, &answer).map_err(|e| answer.redactor.error(e))
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
        decode_item(op, &answer)
            .map(Some)
            .map_err(|e| answer.redactor.error(e))
    }

    /// Calls an operation whose answer carries no data the caller needs.
    pub async fn unit(&self, op: &'static Operation, req: Request) -> Result<(), Error> {
        self.send(op, &req, None).await.map(drop)
    }

    /// Calls an operation that returns a file, read whole.
    pub async fn bytes(&self, op: &'static Operation, req: Request) -> Result<Binary, Error> {
        let answer = self.send(op, &req, None).await?;
        let (content_type, file_name) = file_facts(&answer);
        let bytes = match answer.body {
            AnswerBody::Full(bytes) => bytes,
            AnswerBody::Unread(response) => {
                let config = self.config();
                let limit = config.max_response_bytes;
                read_capped(response, limit).await.map_err(|e| {
                    let timeout = config.request_timeout;
                    crate::classify::unread_body(op, answer.status, e, limit, timeout).2
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
        let answer = self.send(op, &req, None).await?;
        let (content_type, file_name) = file_facts(&answer);
        let timeout = self.config().request_timeout;
        let (content_length, chunks) = match answer.body {
            AnswerBody::Unread(response) => (
                response.content_length(),
                response
                    .bytes_stream()
                    .map_err(move |e| crate::classify::transport(op, e, timeout).2)
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

fn decode_item<T: DeserializeOwned>(op: &'static Operation, answer: &Answer) -> Result<T, Error> {
    let mut body = decode::structured(
        op,
        answer.status,
        answer.header("content-type"),
        answer.bytes(),
        Shape::Item,
    )?;
    match envelope::item(op, &mut body).map_err(|m| decode::shape_error(op, &body, m))? {
        Some((item, path)) => decode::typed(op, &item, &path),
        None => Err(Error::NotFound {
            origin: origin(op),
            status: answer.status,
            message: None,
        }),
    }
}
