//! A tiny HTTP/1.1 server over real TCP for unit tests: one handler, `Connection: close`.

// Shared by several test modules; not every module uses every helper.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::descriptor::*;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub method: String,
    pub target: String,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// A field of the form-encoded body.
    pub fn form(&self, name: &str) -> Option<String> {
        let url = reqwest::Url::parse(&format!("http://x/?{}", self.body)).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

pub(crate) struct Reply {
    pub status: u16,
    pub body: String,
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Reply {
            status,
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// Serves `handler` on a free loopback port until the test's runtime ends.
pub(crate) async fn serve(handler: impl Fn(Seen) -> Reply + Send + Sync + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let handler = Arc::clone(&handler);
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut buf = [0u8; 4096];
                let head_end = loop {
                    if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => data.extend_from_slice(&buf[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
                let mut lines = head.lines();
                let mut first = lines.next().unwrap_or_default().split(' ');
                let method = first.next().unwrap_or_default().to_owned();
                let target = first.next().unwrap_or_default().to_owned();
                let headers: Vec<(String, String)> = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
                    .collect();
                let length: usize = headers
                    .iter()
                    .find(|(n, _)| n == "content-length")
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                while data.len() < head_end + length {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => data.extend_from_slice(&buf[..n]),
                    }
                }
                let body = String::from_utf8_lossy(&data[head_end..head_end + length]).into_owned();
                let reply = handler(Seen {
                    method,
                    target,
                    headers,
                    body,
                });
                tokio::time::sleep(reply.delay).await;
                let response = format!(
                    "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                    reply.status,
                    reply.body.len(),
                    reply.body
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    addr
}

/// A minimal JSON vendor and one GET operation, for driving a real `Client` in tests.
pub(crate) static VENDOR: VendorInfo = VendorInfo {
    name: "test",
    title: "Test",
    base_url: "http://127.0.0.1",
    base_url_variables: &[],
    booleans: BoolEncoding::Native,
    nested_lists: NestedLists::Plain,
    list_envelope: ListEnvelope::Bare,
    item_envelope: ItemEnvelope::Bare,
    request_envelope: RequestEnvelope::Bare,
    success_error_paths: &[],
    rate_limits: &[],
    error_message_paths: &["message"],
    error_code_paths: &[],
};

static ITEMS: ResourceInfo = ResourceInfo {
    vendor: &VENDOR,
    name: "items",
    wire_plural: "items",
};

pub(crate) static GET_ITEM: Operation = Operation {
    resource: &ITEMS,
    name: "get",
    method: Method::Get,
    path: "/items",
    root: "item",
    format: WireFormat::Json,
    body: BodyKind::None,
    returns: Returns::Item,
    accept: "application/json",
    headers: &[],
    paging: Paging::None,
    idempotent: true,
    redact: &[],
};

/// A client for `addr` without retries.
pub(crate) fn client(addr: SocketAddr, auth: impl crate::auth::Auth) -> crate::Client {
    crate::Client::builder(&VENDOR)
        .base_url(format!("http://{addr}"))
        .auth(auth)
        .retry(crate::RetryPolicy::disabled())
        .build()
        .unwrap()
}
