//! Client authentication at the token endpoint (RFC 6749 §2.3.1): HTTP Basic or the form body,
//! whichever the settings accept, never both in one request.

use axum::http::{HeaderMap, header};

use super::answers::OAuthError;
use super::params::Params;
use super::settings::OAuthSettings;

/// Checks the client's credentials and answers its id.
pub(super) fn authenticate(
    settings: &OAuthSettings,
    headers: &HeaderMap,
    params: &Params,
) -> Result<String, OAuthError> {
    match headers.get(header::AUTHORIZATION) {
        Some(value) => by_header(settings, value.to_str().unwrap_or_default(), params),
        None => by_body(settings, params),
    }
}

fn by_header(settings: &OAuthSettings, value: &str, params: &Params) -> Result<String, OAuthError> {
    if !settings.client_auth.basic {
        // Some vendors refuse any Authorization header here; imitate that instead of ignoring it.
        return Err(OAuthError::invalid_client(
            "the token endpoint does not accept an Authorization header; \
             send client_id and client_secret in the form body",
        ));
    }
    let (id, secret) = basic_credentials(value).ok_or_else(|| {
        OAuthError::invalid_client("the Authorization header is not valid HTTP Basic")
            .with_basic_challenge()
    })?;
    if params.get("client_secret")?.is_some() {
        return Err(OAuthError::invalid_request(
            "the client authenticates both with HTTP Basic and with client_secret in the body",
        ));
    }
    // RFC 6749 §3.2.1 lets the body repeat the id; it must then name the same client.
    if params
        .get("client_id")?
        .is_some_and(|body_id| body_id != id)
    {
        return Err(OAuthError::invalid_request(
            "client_id in the body differs from the one in the Authorization header",
        ));
    }
    verify(settings, &id, &secret).map_err(OAuthError::with_basic_challenge)
}

fn by_body(settings: &OAuthSettings, params: &Params) -> Result<String, OAuthError> {
    if !settings.client_auth.form_body {
        let error = OAuthError::invalid_client(
            "authenticate the client with HTTP Basic (Authorization header)",
        );
        return Err(error.with_basic_challenge());
    }
    let id = params.get("client_id")?;
    let secret = params.get("client_secret")?;
    match (id, secret) {
        (Some(id), Some(secret)) => verify(settings, id, secret),
        _ => Err(OAuthError::invalid_client(
            "client authentication is missing: send client_id and client_secret",
        )),
    }
}

fn verify(settings: &OAuthSettings, id: &str, secret: &str) -> Result<String, OAuthError> {
    if id != settings.client_id {
        return Err(OAuthError::invalid_client(format!(
            "unknown client_id `{id}`"
        )));
    }
    if secret != settings.client_secret {
        return Err(OAuthError::invalid_client("client_secret is wrong"));
    }
    Ok(id.to_owned())
}

/// `(id, secret)` of an `Authorization: Basic …` value.
fn basic_credentials(value: &str) -> Option<(String, String)> {
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let text = String::from_utf8(base64_decode(encoded.trim())?).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((form_decode(id)?, form_decode(secret)?))
}

/// RFC 6749 §2.3.1 form-encodes id and secret before the Basic encoding; decoding is the
/// identity for the usual unreserved characters, so clients that skip the step work too.
fn form_decode(text: &str) -> Option<String> {
    // serde_urlencoded decodes whole forms; one value is a form with one pair.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={text}")).ok()?;
    match pairs.as_slice() {
        [(_, value)] => Some(value.clone()),
        _ => None,
    }
}

/// Standard base64 (RFC 4648 §4), padding optional; `None` for anything else.
pub(super) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text
        .strip_suffix("==")
        .or(text.strip_suffix('='))
        .unwrap_or(text);
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for byte in text.bytes() {
        acc = (acc << 6) | u32::from(sextet(byte)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            // `acc` holds at most 14 bits here, so the shifted value fits in a byte.
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Six bits left over means a lone character that cannot encode a byte.
    (bits < 6).then_some(out)
}

fn sextet(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_rfc_4648_vectors() {
        for (encoded, decoded) in [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg", "foob"),
            ("Zm9vYmFy", "foobar"),
        ] {
            assert_eq!(base64_decode(encoded), Some(decoded.as_bytes().to_vec()));
        }
        assert_eq!(base64_decode("Zm9vY"), None);
        assert_eq!(base64_decode("Zm9v!"), None);
        assert_eq!(base64_decode("Zg==="), None);
    }

    #[test]
    fn basic_values() {
        // base64("a%3Ab:s e+c") — the id form-encodes its colon.
        assert_eq!(
            basic_credentials("basic YSUzQWI6cyBlK2M="),
            Some(("a:b".to_owned(), "s e c".to_owned()))
        );
        assert_eq!(basic_credentials("Bearer YTpi"), None);
        assert_eq!(basic_credentials("Basic bm9jb2xvbg=="), None);
        assert_eq!(basic_credentials("Basic"), None);
    }
}
