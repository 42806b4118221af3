//! A raw HTTP/1.1 server on loopback for tests that need answers no sandbox gives: huge or
//! chunked bodies, redirects to another origin, arbitrary bytes. It records every request it
//! receives, so a test can prove what reached it (and what did not).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub target: String,
    /// Names lower-cased, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The whole request as text (head and body), for "does it contain X" checks.
    pub fn text(&self) -> String {
        let head: Vec<String> = self
            .headers
            .iter()
            .map(|(n, v)| format!("{n}: {v}"))
            .collect();
        format!(
            "{} {}\n{}\n\n{}",
            self.method,
            self.target,
            head.join("\n"),
            String::from_utf8_lossy(&self.body)
        )
    }
}

/// How the body of an answer is framed and produced.
#[derive(Debug, Clone)]
pub enum Body {
    /// These bytes, with `Content-Length`.
    Bytes(Vec<u8>),
    /// `prefix`, then `len` filler bytes, then `suffix`, written 64 KiB at a time (the server
    /// never holds the body), with `Content-Length` unless `chunked` (then
    /// `Transfer-Encoding: chunked`).
    Generated {
        prefix: Vec<u8>,
        len: usize,
        filler: u8,
        suffix: Vec<u8>,
        chunked: bool,
    },
}

/// One answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Answer {
    /// A JSON answer with these bytes.
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Answer {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Body::Bytes(body.into()),
        }
    }

    /// An answer with this content type.
    pub fn typed(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Answer {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: Body::Bytes(body.into()),
        }
    }

    /// A redirect to `location`.
    pub fn redirect(status: u16, location: &str) -> Self {
        Answer {
            status,
            headers: vec![("Location".into(), location.into())],
            body: Body::Bytes(Vec::new()),
        }
    }
}

/// A running server: its address and every request it received.
#[derive(Clone)]
pub struct Server {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Server {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("not poisoned").clone()
    }
}

/// Serves `handler` on a free loopback port until the test's runtime ends; each connection
/// carries one request (`Connection: close`).
pub async fn serve(handler: impl Fn(&Received) -> Answer + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&received);
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let handler = Arc::clone(&handler);
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut stream = stream;
                let Some(request) = read_request(&mut stream).await else {
                    return;
                };
                log.lock().expect("not poisoned").push(request.clone());
                let answer = handler(&request);
                // The client may stop reading (a body over its cap): that is not an error here.
                let _ = write_answer(&mut stream, &answer).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Server { addr, received }
}

async fn read_request(stream: &mut TcpStream) -> Option<Received> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
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
            Ok(0) | Err(_) => break,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    let end = data.len().min(head_end + length);
    Some(Received {
        method,
        target,
        headers,
        body: data[head_end..end].to_vec(),
    })
}

async fn write_answer(stream: &mut TcpStream, answer: &Answer) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} X\r\n", answer.status);
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    match &answer.body {
        Body::Bytes(bytes) => {
            head.push_str(&format!(
                "Content-Length: {}\r\nConnection: close\r\n\r\n",
                bytes.len()
            ));
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(bytes).await
        }
        Body::Generated {
            prefix,
            len,
            filler,
            suffix,
            chunked,
        } => {
            let total = prefix.len() + len + suffix.len();
            if *chunked {
                head.push_str("Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
            } else {
                head.push_str(&format!(
                    "Content-Length: {total}\r\nConnection: close\r\n\r\n"
                ));
            }
            stream.write_all(head.as_bytes()).await?;
            let block = vec![*filler; 64 * 1024];
            let mut write = async |bytes: &[u8]| -> std::io::Result<()> {
                if bytes.is_empty() {
                    return Ok(());
                }
                if *chunked {
                    stream
                        .write_all(format!("{:x}\r\n", bytes.len()).as_bytes())
                        .await?;
                    stream.write_all(bytes).await?;
                    stream.write_all(b"\r\n").await
                } else {
                    stream.write_all(bytes).await
                }
            };
            write(prefix).await?;
            let mut left = *len;
            while left > 0 {
                let n = left.min(block.len());
                write(&block[..n]).await?;
                left -= n;
            }
            write(suffix).await?;
            if *chunked {
                stream.write_all(b"0\r\n\r\n").await?;
            }
            Ok(())
        }
    }
}
