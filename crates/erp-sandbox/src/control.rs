//! The HTTP control endpoint `/__sandbox/faults`, for users of the binary.
//!
//! `POST` a JSON object whose members are named like the [`Faults`] methods:
//!
//! ```json
//! {"reset": true, "rate_limit_next": 2, "retry_in_seconds": 3, "html_502_next": 1, "hang": false,
//!  "malformed_next": 1, "errors_in_success_next": 1, "unknown_enum_values": true,
//!  "numbers_as_strings": true, "nulls_for_optionals": true, "empty_list_for_unknown_id": true,
//!  "empty_write_bodies": true, "lose_answers_next": 1, "truncate_next": 1, "html_200_next": 1,
//!  "latency_ms": 20, "drip_ms": 100}
//! ```
//!
//! `latency_ms` delays every answer, `drip_ms` sends bodies 16 bytes at a time that many
//! milliseconds apart; `0` turns either off.
//!
//! `xml_nil_on_values` (a switch) and `xml_untyped_leaves_as` (a `type` name, or `null` for
//! off) turn on the XML quirks of [`Faults::xml_nil_on_values`] and
//! [`Faults::xml_untyped_leaves_as`].
//! `text_answer_next` takes `{"n": 1, "status": 504, "text": "Gateway Time-out"}` (a plain-text
//! answer before anything else; `n` defaults to 1).
//! `rate_limit_next` also takes `{"n": 2, "retry_in_seconds": 3}`; `retry_in_ms` may replace
//! `retry_in_seconds` (default one second). `reset` is applied first. The whole object is checked
//! before anything changes. `GET` returns the current state, including `requests_seen`.

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use crate::faults::Faults;
use crate::oauth::OAuthServer;
use crate::ordered_json::Out;
use crate::reply::Reply;

/// The path of the control endpoint (outside the vendor's base path).
pub(crate) const FAULTS_PATH: &str = "/__sandbox/faults";

/// The path of the OAuth2 control endpoint (OAuth2 vendors only).
pub(crate) const OAUTH_PATH: &str = "/__sandbox/oauth";

/// Answers a request to a `/__sandbox/…` path.
pub(crate) fn handle(
    faults: &Faults,
    oauth: Option<&OAuthServer>,
    method: &str,
    path: &str,
    body: &[u8],
) -> Reply {
    if path == OAUTH_PATH
        && let Some(oauth) = oauth
    {
        return oauth_control(oauth, method, body, SystemTime::now());
    }
    if path != FAULTS_PATH {
        return Reply::text(
            404,
            format!("unknown sandbox control path `{path}`; use {FAULTS_PATH}"),
        );
    }
    match method {
        "GET" => state(faults),
        "POST" | "PUT" => match parse(body) {
            Ok(changes) => {
                changes.apply(faults);
                state(faults)
            }
            Err(message) => Reply::text(400, message),
        },
        _ => Reply::text(405, "use GET or POST").with_header("Allow", "GET, POST"),
    }
}

/// `/__sandbox/oauth`: `GET` the counters; `POST` a JSON object with any of
/// `{"reset": true, "revoke_access_tokens": true, "revoke_refresh_tokens": true,
/// "expire_access_tokens": true, "expire_access_tokens_after": 3,
/// "enforce_refresh_min_interval": false}` (checked whole before anything changes).
fn oauth_control(oauth: &OAuthServer, method: &str, body: &[u8], now: SystemTime) -> Reply {
    let state = |oauth: &OAuthServer| {
        oauth.purge(now);
        let mut snapshot = oauth.snapshot();
        let r = oauth.remembered();
        snapshot["remembered"] = serde_json::json!({
            "codes": r.codes, "access_tokens": r.access_tokens, "refresh_tokens": r.refresh_tokens,
        });
        Reply::json(200, &Out::from_value(&snapshot))
    };
    match method {
        "GET" => state(oauth),
        "POST" | "PUT" => {
            let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
                return Reply::text(400, "expected a JSON object");
            };
            let flag = |key: &str| map.get(key).and_then(Value::as_bool);
            for key in map.keys() {
                let known = [
                    "reset",
                    "revoke_access_tokens",
                    "revoke_refresh_tokens",
                    "expire_access_tokens",
                    "expire_access_tokens_after",
                    "enforce_refresh_min_interval",
                ];
                if !known.contains(&key.as_str()) {
                    return Reply::text(
                        400,
                        format!("unknown control `{key}`; known: {}", known.join(", ")),
                    );
                }
            }
            let after = match map.get("expire_access_tokens_after") {
                None => None,
                Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
                    Some(n) => Some(n),
                    None => return Reply::text(400, "`expire_access_tokens_after` takes a count"),
                },
            };
            if flag("reset") == Some(true) {
                oauth.reset();
            }
            if flag("revoke_access_tokens") == Some(true) {
                oauth.revoke_access_tokens();
            }
            if flag("revoke_refresh_tokens") == Some(true) {
                oauth.revoke_refresh_tokens(now);
            }
            if flag("expire_access_tokens") == Some(true) {
                oauth.expire_access_tokens(now);
            }
            if let Some(n) = after {
                oauth.expire_access_tokens_after(n);
            }
            if let Some(on) = flag("enforce_refresh_min_interval") {
                oauth.enforce_refresh_min_interval(on);
            }
            state(oauth)
        }
        _ => Reply::text(405, "use GET or POST").with_header("Allow", "GET, POST"),
    }
}

fn state(faults: &Faults) -> Reply {
    Reply::json(200, &Out::from_value(&faults.snapshot()))
}

/// Validated changes, applied all at once.
#[derive(Debug, Default, PartialEq)]
struct Changes {
    reset: bool,
    rate_limit_next: Option<(u32, Duration)>,
    text_answer_next: Option<(u32, u16, String)>,
    counters: Vec<(&'static str, u32)>,
    switches: Vec<(&'static str, bool)>,
    /// `Some(None)` turns the quirk off.
    untyped_leaves_as: Option<Option<String>>,
}

/// Settings that take a non-negative integer: counts of next requests, and milliseconds.
const COUNTERS: [&str; 8] = [
    "html_502_next",
    "html_200_next",
    "latency_ms",
    "drip_ms",
    "malformed_next",
    "errors_in_success_next",
    "lose_answers_next",
    "truncate_next",
];
const SWITCHES: [&str; 7] = [
    "hang",
    "unknown_enum_values",
    "numbers_as_strings",
    "nulls_for_optionals",
    "empty_list_for_unknown_id",
    "empty_write_bodies",
    "xml_nil_on_values",
];

impl Changes {
    fn apply(&self, faults: &Faults) {
        if self.reset {
            faults.reset();
        }
        if let Some((n, retry_in)) = self.rate_limit_next {
            faults.rate_limit_next(n, retry_in);
        }
        if let Some((n, status, text)) = &self.text_answer_next {
            faults.text_answer_next(*n, *status, text.clone());
        }
        for (name, n) in &self.counters {
            match *name {
                "html_502_next" => faults.html_502_next(*n),
                "html_200_next" => faults.html_200_next(*n),
                "latency_ms" => faults.latency(Duration::from_millis(u64::from(*n))),
                "drip_ms" => faults.drip((*n > 0).then(|| Duration::from_millis(u64::from(*n)))),
                "malformed_next" => faults.malformed_next(*n),
                "lose_answers_next" => faults.lose_answers_next(*n),
                "truncate_next" => faults.truncate_next(*n),
                _ => faults.errors_in_success_next(*n),
            }
        }
        for (name, on) in &self.switches {
            match *name {
                "hang" => faults.hang(*on),
                "unknown_enum_values" => faults.unknown_enum_values(*on),
                "numbers_as_strings" => faults.numbers_as_strings(*on),
                "nulls_for_optionals" => faults.nulls_for_optionals(*on),
                "empty_list_for_unknown_id" => faults.empty_list_for_unknown_id(*on),
                "xml_nil_on_values" => faults.xml_nil_on_values(*on),
                _ => faults.empty_write_bodies(*on),
            }
        }
        if let Some(ty) = &self.untyped_leaves_as {
            faults.xml_untyped_leaves_as(ty.clone());
        }
    }
}

fn count(name: &str, value: &Value) -> Result<u32, String> {
    value
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("`{name}` must be a non-negative integer, got {value}"))
}

fn retry_in(map: &Map<String, Value>) -> Result<Option<Duration>, String> {
    if let Some(v) = map.get("retry_in_ms") {
        let ms = v
            .as_u64()
            .ok_or_else(|| format!("`retry_in_ms` must be a non-negative integer, got {v}"))?;
        return Ok(Some(Duration::from_millis(ms)));
    }
    if let Some(v) = map.get("retry_in_seconds") {
        let secs = v
            .as_f64()
            .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e9)
            .ok_or_else(|| format!("`retry_in_seconds` must be a non-negative number, got {v}"))?;
        return Ok(Some(Duration::from_secs_f64(secs)));
    }
    Ok(None)
}

fn parse(body: &[u8]) -> Result<Changes, String> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the body must be a JSON object of fault settings: {e}"))?;
    let Value::Object(map) = value else {
        return Err("the body must be a JSON object of fault settings".to_owned());
    };
    let mut changes = Changes::default();
    let top_retry = retry_in(&map)?;
    for (key, value) in &map {
        match key.as_str() {
            "reset" => changes.reset = value.as_bool().ok_or("`reset` must be true or false")?,
            "retry_in_ms" | "retry_in_seconds" => {}
            "rate_limit_next" => {
                let (n, retry) = match value {
                    Value::Object(inner) => (
                        count(
                            "rate_limit_next.n",
                            inner.get("n").unwrap_or(&Value::from(1)),
                        )?,
                        retry_in(inner)?,
                    ),
                    other => (count(key, other)?, None),
                };
                let retry = retry.or(top_retry).unwrap_or(Duration::from_secs(1));
                changes.rate_limit_next = Some((n, retry));
            }
            "text_answer_next" => {
                let Value::Object(inner) = value else {
                    return Err(
                        "`text_answer_next` takes {\"n\": 1, \"status\": 504, \"text\": \"...\"}"
                            .to_owned(),
                    );
                };
                let n = count(
                    "text_answer_next.n",
                    inner.get("n").unwrap_or(&Value::from(1)),
                )?;
                let status = inner
                    .get("status")
                    .and_then(Value::as_u64)
                    .and_then(|s| u16::try_from(s).ok())
                    .filter(|s| (100..=599).contains(s))
                    .ok_or("`text_answer_next.status` must be an HTTP status (100-599)")?;
                let text = inner
                    .get("text")
                    .and_then(Value::as_str)
                    .ok_or("`text_answer_next.text` must be a string")?;
                changes.text_answer_next = Some((n, status, text.to_owned()));
            }
            "xml_untyped_leaves_as" => {
                changes.untyped_leaves_as = Some(match value {
                    Value::Null => None,
                    Value::String(ty) if !ty.is_empty() => Some(ty.clone()),
                    _ => {
                        return Err(
                            "`xml_untyped_leaves_as` takes a `type` name or null".to_owned()
                        );
                    }
                });
            }
            name => {
                if let Some(counter) = COUNTERS.iter().find(|c| **c == name) {
                    changes.counters.push((counter, count(name, value)?));
                } else if let Some(switch) = SWITCHES.iter().find(|s| **s == name) {
                    let on = value
                        .as_bool()
                        .ok_or_else(|| format!("`{name}` must be true or false"))?;
                    changes.switches.push((switch, on));
                } else {
                    return Err(format!(
                        "unknown fault `{name}`; known: reset, rate_limit_next, retry_in_seconds, retry_in_ms, text_answer_next, xml_untyped_leaves_as, {}, {}",
                        COUNTERS.join(", "),
                        SWITCHES.join(", ")
                    ));
                }
            }
        }
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_setting() {
        let faults = Faults::default();
        let reply = handle(
            &faults,
            None,
            "POST",
            FAULTS_PATH,
            br#"{"rate_limit_next": {"n": 2, "retry_in_ms": 250}, "html_502_next": 1, "hang": false,
                 "numbers_as_strings": true, "empty_list_for_unknown_id": true,
                 "empty_write_bodies": true, "html_200_next": 2, "latency_ms": 20, "drip_ms": 5}"#,
        );
        assert_eq!(reply.status, 200);
        let state = reply.json_value();
        assert_eq!(state["html_200_next"], 2);
        assert_eq!(
            (state["latency_ms"].clone(), state["drip_ms"].clone()),
            (20.into(), 5.into())
        );
        assert_eq!(state["rate_limit_next"], 2);
        assert_eq!(state["retry_in_ms"], 250);
        assert_eq!(state["html_502_next"], 1);
        assert_eq!(state["numbers_as_strings"], true);
        assert_eq!(state["empty_list_for_unknown_id"], true);
        assert_eq!(state["empty_write_bodies"], true);
        assert!(faults.empty_write_bodies_on());
        assert_eq!(faults.take_rate_limit(), Some(Duration::from_millis(250)));
    }

    #[test]
    fn rejects_unknown_names_and_bad_values_without_changing_anything() {
        let faults = Faults::default();
        let reply = handle(
            &faults,
            None,
            "POST",
            FAULTS_PATH,
            br#"{"html_502_next": 1, "explode": true}"#,
        );
        assert_eq!(reply.status, 400);
        assert!(!faults.take_html_502());
        assert_eq!(
            handle(&faults, None, "POST", FAULTS_PATH, br#"{"hang": 3}"#).status,
            400
        );
        assert_eq!(
            handle(&faults, None, "POST", FAULTS_PATH, b"[1]").status,
            400
        );
        assert_eq!(
            handle(&faults, None, "POST", FAULTS_PATH, b"not json").status,
            400
        );
        assert_eq!(
            handle(&faults, None, "DELETE", FAULTS_PATH, b"").status,
            405
        );
        assert_eq!(
            handle(&faults, None, "GET", "/__sandbox/other", b"").status,
            404
        );
    }

    #[test]
    fn injects_plain_text_answers() {
        let faults = Faults::default();
        let body = br#"{"text_answer_next": {"n": 2, "status": 504, "text": "Gateway Time-out"}}"#;
        assert_eq!(handle(&faults, None, "POST", FAULTS_PATH, body).status, 200);
        let answer = Some((504, "Gateway Time-out".to_owned()));
        assert_eq!(faults.take_text_answer(), answer);
        assert_eq!(faults.take_text_answer(), answer);
        assert_eq!(faults.take_text_answer(), None);
        let bad = br#"{"text_answer_next": {"status": 42, "text": "x"}}"#;
        assert_eq!(handle(&faults, None, "POST", FAULTS_PATH, bad).status, 400);
        let bad = br#"{"text_answer_next": 1}"#;
        assert_eq!(handle(&faults, None, "POST", FAULTS_PATH, bad).status, 400);
        assert_eq!(faults.take_text_answer(), None);
    }

    #[test]
    fn reset_comes_first() {
        let faults = Faults::default();
        faults.malformed_next(3);
        handle(
            &faults,
            None,
            "POST",
            FAULTS_PATH,
            br#"{"html_502_next": 1, "reset": true}"#,
        );
        assert!(!faults.take_malformed());
        assert!(faults.take_html_502());
        assert!(!faults.take_html_502());
    }
}
