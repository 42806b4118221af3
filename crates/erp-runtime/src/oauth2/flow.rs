//! The authorization code flow: authorization URL with `state` and PKCE, code exchange, and a
//! loopback redirect receiver for command-line programs (RFC 8252 §7.3).

use std::fmt;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::OAuth2;
use super::cache::Renewal;
use super::error::auth_error;
use crate::base64::encode_url as base64_url;
use crate::error::AuthErrorKind;
use crate::{Error, Secret};

/// Whether the authorization request uses PKCE (RFC 7636).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pkce {
    /// `code_challenge_method=S256`: a stolen authorization code is useless without the
    /// verifier that only this process knows. Use it unless the server refuses it.
    #[default]
    S256,
    Disabled,
}

/// A started authorization: the URL to send the user to, and what is needed to check and
/// exchange the code the redirect brings back. Keep it until the redirect arrives.
///
/// `Debug` shows neither the `state` nor the PKCE verifier.
#[derive(Clone)]
pub struct AuthorizationRequest {
    url: String,
    redirect_uri: String,
    state: Secret,
    verifier: Option<Secret>,
}

impl AuthorizationRequest {
    /// The authorization URL, to open in the user's browser.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The redirect URI sent with the request; the code exchange repeats it.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The random `state` the redirect must bring back.
    pub fn state(&self) -> &Secret {
        &self.state
    }
}

impl fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationRequest")
            .field("redirect_uri", &self.redirect_uri)
            .field("state", &"[redacted]")
            .field("pkce", &self.verifier.is_some())
            .finish()
    }
}

impl OAuth2 {
    fn flow_error(&self, kind: AuthErrorKind, message: impl Into<String>) -> Error {
        auth_error(self.session.config.vendor, kind, message)
    }

    /// Starts an authorization with the configured redirect URI: a fresh random `state`
    /// (and PKCE verifier) and the URL to send the user to.
    ///
    /// ```
    /// use erp_runtime::oauth2::{OAuth2, OAuth2Config, Pkce};
    /// let config = OAuth2Config::new("demo", "https://login.example.com/token", "my-app")
    ///     .authorize_url("https://login.example.com/auth")
    ///     .redirect_uri("https://myapp.example.com/callback")
    ///     .scope("read");
    /// let auth = OAuth2::new(config)?;
    /// let request = auth.authorization_request(Pkce::S256)?;
    /// assert!(request.url().starts_with("https://login.example.com/auth?response_type=code&client_id=my-app"));
    /// assert!(request.url().contains("&code_challenge_method=S256"));
    /// // Later, when the redirect arrives with `code` and `state`:
    /// // auth.exchange_code(&request, code, state).await?;
    /// # Ok::<(), erp_runtime::Error>(())
    /// ```
    pub fn authorization_request(&self, pkce: Pkce) -> Result<AuthorizationRequest, Error> {
        let redirect_uri =
            self.session.config.redirect_uri.clone().ok_or_else(|| {
                self.flow_error(AuthErrorKind::Config, "no redirect_uri configured")
            })?;
        self.authorization_request_for(&redirect_uri, pkce)
    }

    fn authorization_request_for(
        &self,
        redirect_uri: &str,
        pkce: Pkce,
    ) -> Result<AuthorizationRequest, Error> {
        let config = &self.session.config;
        let base = config
            .authorize_url
            .as_deref()
            .ok_or_else(|| self.flow_error(AuthErrorKind::Config, "no authorize_url configured"))?;
        let mut url = reqwest::Url::parse(base).map_err(|e| {
            self.flow_error(AuthErrorKind::Config, format!("invalid authorize_url: {e}"))
        })?;
        // 128 bits for `state`; 256 bits (43 characters, the minimum RFC 7636 allows) for the
        // verifier.
        let state = self.random_token(16)?;
        let verifier = match pkce {
            Pkce::S256 => Some(self.random_token(32)?),
            Pkce::Disabled => None,
        };
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &config.client_id)
                .append_pair("redirect_uri", redirect_uri);
            if !config.scopes.is_empty() {
                query.append_pair("scope", &config.scopes.join(" "));
            }
            query.append_pair("state", state.expose());
            if let Some(verifier) = &verifier {
                let challenge = base64_url(&sha256(verifier.expose().as_bytes()));
                query
                    .append_pair("code_challenge", &challenge)
                    .append_pair("code_challenge_method", "S256");
            }
        }
        Ok(AuthorizationRequest {
            url: url.into(),
            redirect_uri: redirect_uri.to_owned(),
            state,
            verifier,
        })
    }

    /// Random bytes from the operating system, URL-safe base64. `state` and the PKCE
    /// verifier must be unguessable, so no time- or counter-based fallback.
    fn random_token(&self, bytes: usize) -> Result<Secret, Error> {
        let mut buf = vec![0u8; bytes];
        getrandom::fill(&mut buf).map_err(|e| {
            self.flow_error(
                AuthErrorKind::Authorization,
                format!("the operating system's random source failed: {e}"),
            )
        })?;
        Ok(Secret::from(base64_url(&buf)))
    }

    /// Finishes an authorization: checks that the redirect's `state` is the request's, then
    /// exchanges the code for tokens and saves them to the store. A code works once.
    ///
    /// ```no_run
    /// # async fn example(auth: erp_runtime::oauth2::OAuth2) -> erp_runtime::Result<()> {
    /// use erp_runtime::oauth2::Pkce;
    /// let request = auth.authorization_request(Pkce::S256)?;
    /// println!("Open {}", request.url());
    /// // ... the web framework receives GET /callback?code=...&state=...
    /// # let (code, state) = ("", "");
    /// auth.exchange_code(&request, code, state).await?;
    /// # Ok(()) }
    /// ```
    pub async fn exchange_code(
        &self,
        request: &AuthorizationRequest,
        code: &str,
        returned_state: &str,
    ) -> Result<(), Error> {
        if !constant_time_eq(returned_state.as_bytes(), request.state.expose().as_bytes()) {
            return Err(self.flow_error(
                AuthErrorKind::Authorization,
                "the redirect's `state` does not match the authorization request (a forged or stale redirect); start the authorization again",
            ));
        }
        if code.is_empty() {
            return Err(self.flow_error(
                AuthErrorKind::Authorization,
                "the redirect carries no authorization code",
            ));
        }
        self.session
            .exchange_code(Renewal::Code {
                code: Secret::from(code),
                redirect_uri: request.redirect_uri.clone(),
                verifier: request.verifier.clone(),
            })
            .await
    }

    /// Runs the whole authorization code flow for a command-line program.
    ///
    /// Listens on the loopback address of the configured `redirect_uri` (which must be
    /// `http://127.0.0.1:PORT/path`, `http://localhost:PORT/path` or `http://[::1]:PORT/path`;
    /// port 0, or no `redirect_uri` at all, picks a free port, for servers that accept any
    /// loopback port as RFC 8252 recommends). Then calls `show_url` with the authorization URL
    /// (print it, or open a browser), waits up to `timeout` for the browser's redirect,
    /// answers it with a short HTML page, checks `state` and exchanges the code. Requests to
    /// other paths get a 404 and are otherwise ignored.
    ///
    /// ```no_run
    /// # async fn example() -> erp_runtime::Result<()> {
    /// use std::time::Duration;
    /// use erp_runtime::oauth2::{FileTokenStore, OAuth2, OAuth2Config, Pkce};
    /// let config = OAuth2Config::new("demo", "https://login.example.com/token", "my-app")
    ///     .authorize_url("https://login.example.com/auth")
    ///     .redirect_uri("http://127.0.0.1:8765/callback");
    /// let auth = OAuth2::builder(config).store(FileTokenStore::new("tokens.json")).build()?;
    /// auth.run_loopback_redirect(Pkce::S256, Duration::from_secs(300), |url| {
    ///     eprintln!("Open this URL to sign in:\n{url}");
    /// })
    /// .await?;
    /// # Ok(()) }
    /// ```
    pub async fn run_loopback_redirect(
        &self,
        pkce: Pkce,
        timeout: Duration,
        show_url: impl FnOnce(&str) + Send,
    ) -> Result<(), Error> {
        let (listener, redirect_uri, path) = self.bind_loopback().await?;
        let request = self.authorization_request_for(&redirect_uri, pkce)?;
        show_url(request.url());
        match tokio::time::timeout(timeout, self.await_redirect(&listener, &path, &request)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(self.flow_error(
                AuthErrorKind::Authorization,
                format!(
                    "no authorization redirect arrived within {} s",
                    timeout.as_secs()
                ),
            )),
        }
    }

    /// Binds the redirect URI's loopback address; returns the listener, the redirect URI to
    /// send (with the real port if port 0 was asked for) and the path to wait on.
    async fn bind_loopback(&self) -> Result<(TcpListener, String, String), Error> {
        let config_error = |m: String| self.flow_error(AuthErrorKind::Config, m);
        let configured = self
            .session
            .config
            .redirect_uri
            .as_deref()
            .unwrap_or("http://127.0.0.1:0/");
        let mut uri = reqwest::Url::parse(configured)
            .map_err(|e| config_error(format!("invalid redirect_uri: {e}")))?;
        let host = uri.host_str().unwrap_or_default();
        let ip = if host.eq_ignore_ascii_case("localhost") {
            Some(std::net::IpAddr::from(std::net::Ipv4Addr::LOCALHOST))
        } else {
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .ok()
                .filter(std::net::IpAddr::is_loopback)
        };
        let Some(ip) = ip.filter(|_| uri.scheme() == "http") else {
            return Err(config_error(format!(
                "the loopback redirect needs an http://127.0.0.1:PORT/ redirect_uri, not `{configured}`"
            )));
        };
        let port = uri.port_or_known_default().unwrap_or(0);
        let listener = TcpListener::bind((ip, port)).await.map_err(|e| {
            self.flow_error(
                AuthErrorKind::Authorization,
                format!("cannot listen on {ip}:{port} for the redirect: {e}"),
            )
        })?;
        if port == 0 {
            let actual = listener.local_addr().map(|a| a.port()).map_err(|e| {
                self.flow_error(AuthErrorKind::Authorization, format!("no local port: {e}"))
            })?;
            // An `http` URL with a host always accepts a port.
            let _ = uri.set_port(Some(actual));
        }
        let path = uri.path().to_owned();
        Ok((listener, uri.into(), path))
    }

    async fn await_redirect(
        &self,
        listener: &TcpListener,
        path: &str,
        request: &AuthorizationRequest,
    ) -> Result<(), Error> {
        // Browsers open speculative connections that may never send a request, so each
        // connection is read on its own task; dropping the set on return ends them all.
        let mut readers = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, _) = accepted.map_err(|e| self.flow_error(
                        AuthErrorKind::Authorization,
                        format!("accepting the redirect connection failed: {e}"),
                    ))?;
                    readers.spawn(read_request_line(stream));
                }
                Some(Ok(Some((mut stream, line)))) = readers.join_next() => {
                    match self.handle_redirect(&line, path, request).await {
                        Handled::Ignore => respond(&mut stream, 404, "Not found", "Nothing here.").await,
                        Handled::Done(outcome) => {
                            match &outcome {
                                Ok(()) => respond(&mut stream, 200, "Signed in", "You can close this window and return to the program.").await,
                                Err(e) => respond(&mut stream, 400, "Sign-in failed", &e.to_string()).await,
                            }
                            return outcome;
                        }
                    }
                }
            }
        }
    }

    async fn handle_redirect(
        &self,
        request_line: &str,
        path: &str,
        request: &AuthorizationRequest,
    ) -> Handled {
        let mut parts = request_line.split(' ');
        let (Some("GET"), Some(target)) = (parts.next(), parts.next()) else {
            return Handled::Ignore;
        };
        let Ok(url) =
            reqwest::Url::parse("http://loopback.invalid").and_then(|base| base.join(target))
        else {
            return Handled::Ignore;
        };
        if url.path() != path {
            return Handled::Ignore;
        }
        let param = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        if let Some(code) = param("error") {
            let description = param("error_description")
                .map(|d| format!(": {}", crate::error::excerpt(&d, 300)))
                .unwrap_or_default();
            return Handled::Done(Err(self.flow_error(
                AuthErrorKind::Authorization,
                format!(
                    "the authorization server answered `{}`{description}",
                    crate::error::excerpt(&code, 60)
                ),
            )));
        }
        match (param("code"), param("state")) {
            (Some(code), Some(state)) => {
                Handled::Done(self.exchange_code(request, &code, &state).await)
            }
            _ => Handled::Ignore,
        }
    }
}

enum Handled {
    Ignore,
    Done(Result<(), Error>),
}

/// Reads the request line of one connection (the rest of the head is not needed), within a
/// few seconds and a few kilobytes.
async fn read_request_line(mut stream: TcpStream) -> Option<(TcpStream, String)> {
    let mut head = Vec::with_capacity(1024);
    let read = async {
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
            let n = stream.read(&mut buf).await.ok()?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        Some(())
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .ok()??;
    let text = String::from_utf8_lossy(&head);
    let line = text.lines().next()?.to_owned();
    Some((stream, line))
}

async fn respond(stream: &mut TcpStream, status: u16, title: &str, message: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h1>{title}</h1><p>{}</p></body></html>",
        html_escape(message)
    );
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // The browser may be gone already; the outcome does not depend on this page.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// SHA-256 (FIPS 180-4), for the PKCE challenge only. Written out (60 lines, checked against
/// the standard's test vectors) rather than adding a digest crate and its five dependencies
/// for one hash of 43 bytes per login; it hashes a value that is sent in clear later anyway,
/// so timing side channels are irrelevant here.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut message = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bits.to_be_bytes());
    for block in message.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
            *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for (k, wi) in K.iter().zip(w) {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(*k)
                .wrapping_add(wi);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (state, add) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *state = state.wrapping_add(add);
        }
    }
    let mut out = [0u8; 32];
    for (bytes, word) in out.chunks_exact_mut(4).zip(h) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn sha256_matches_the_standard_vectors() {
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha256(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        // Padding edge cases: 55 bytes fit one block, 64 need two; 112 bytes span two.
        assert_eq!(
            hex(&sha256(&[b'a'; 55])),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"
        );
        assert_eq!(
            hex(&sha256(&[b'a'; 64])),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"
        );
        assert_eq!(
            hex(&sha256(b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        );
    }

    #[test]
    fn pkce_challenge_matches_rfc7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            base64_url(&sha256(verifier.as_bytes())),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn html_is_escaped_and_states_compare_exactly() {
        assert_eq!(html_escape("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
