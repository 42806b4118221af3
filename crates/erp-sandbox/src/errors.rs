//! Error bodies in the vendor's shape, built from the spec's error paths.
//!
//! The first message path and the first code path decide the shape: `errors.error` gives
//! `{"errors":{"error":"…"}}`; `message` with code path `status` gives `{"message":"…","status":"…"}`.

use erp_spec::ir::{ErrorExample, Spec};

use crate::ordered_json::Out;
use crate::reply::Reply;

/// The vendor's error body for `message` (and `code`, when the vendor has a code path).
pub(crate) fn body(spec: &Spec, message: &str, code: Option<&str>) -> Out {
    let mut root = Out::Object(Vec::new());
    let message_path = spec
        .errors
        .message_paths
        .first()
        .map(String::as_str)
        .unwrap_or("message");
    set_path(&mut root, message_path, Out::str(message));
    if let (Some(code), Some(code_path)) = (code, spec.errors.code_paths.first()) {
        set_path(&mut root, code_path, Out::str(code));
    }
    root
}

/// Sets `value` at a dotted path, creating objects on the way.
fn set_path(root: &mut Out, path: &str, value: Out) {
    let mut parts = path.split('.').filter(|p| !p.is_empty()).peekable();
    let mut here = root;
    while let Some(part) = parts.next() {
        let Out::Object(members) = here else { return };
        let index = match members.iter().position(|(k, _)| k == part) {
            Some(i) => i,
            None => {
                members.push((part.to_owned(), Out::Object(Vec::new())));
                members.len() - 1
            }
        };
        if parts.peek().is_none() {
            members[index].1 = value;
            return;
        }
        if !matches!(members[index].1, Out::Object(_)) {
            members[index].1 = Out::Object(Vec::new());
        }
        here = &mut members[index].1;
    }
}

/// A reply with `status` and the vendor's error body.
pub(crate) fn reply(spec: &Spec, status: u16, message: &str, code: Option<&str>) -> Reply {
    crate::codec::reply(
        spec,
        status,
        &body(spec, message, code),
        &crate::xml::Inferred,
        crate::xml::XmlQuirks::default(),
    )
}

/// The answer of one of the spec's errors, its `{<path parameter>}` placeholders filled and its
/// body in the declared kind (structured or plain text).
fn example(spec: &Spec, example: &ErrorExample, params: &[(String, String)]) -> Reply {
    let mut message = example.message.clone();
    for (name, value) in params {
        message = message.replace(&format!("{{{name}}}"), value);
    }
    crate::effects::answer(
        spec,
        example.status,
        &message,
        example.code.as_deref(),
        example.body,
    )
}

/// The spec's "not found" answer.
pub(crate) fn not_found(spec: &Spec) -> Reply {
    example(spec, &spec.sandbox.errors.not_found, &[])
}

/// The spec's "not found" answer for a request with these path parameters.
pub(crate) fn not_found_for(spec: &Spec, params: &[(String, String)]) -> Reply {
    example(spec, &spec.sandbox.errors.not_found, params)
}

/// The spec's "invalid request" status and code with a specific message.
pub(crate) fn invalid(spec: &Spec, message: &str) -> Reply {
    let invalid = &spec.sandbox.errors.invalid;
    crate::effects::answer(
        spec,
        invalid.status,
        message,
        invalid.code.as_deref(),
        invalid.body,
    )
}

/// The spec's "unauthorized" answer.
pub(crate) fn unauthorized(spec: &Spec) -> Reply {
    example(spec, &spec.sandbox.errors.unauthorized, &[])
}

/// 405 for a known path with a method no operation uses.
pub(crate) fn method_not_allowed(spec: &Spec, allowed: &[&str]) -> Reply {
    reply(spec, 405, "Method Not Allowed", Some("NOT_ALLOWED"))
        .with_header("Allow", allowed.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(vendor: &str) -> Spec {
        crate::builtin::load(vendor).expect("builtin spec")
    }

    #[test]
    fn billomat_errors_nest_under_errors_error() {
        let spec = spec("billomat");
        assert_eq!(
            body(&spec, "Resource not found", Some("X")).to_json(),
            r#"{"errors":{"error":"Resource not found"}}"#
        );
        assert_eq!(not_found(&spec).status, 404);
    }

    #[test]
    fn cloudspot_errors_carry_message_and_status() {
        let spec = spec("cloudspot");
        let reply = unauthorized(&spec);
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.json_value(),
            serde_json::json!({"message": "Authentication credentials were not provided or are invalid.", "status": "NOT_AUTHORIZED"})
        );
        let reply = method_not_allowed(&spec, &["GET"]);
        assert_eq!(reply.status, 405);
        assert_eq!(reply.headers, vec![("Allow".to_owned(), "GET".to_owned())]);
    }

    #[test]
    fn paths_merge_into_one_object() {
        let mut root = Out::Object(Vec::new());
        set_path(&mut root, "error.message", Out::str("m"));
        set_path(&mut root, "error.code", Out::str("c"));
        assert_eq!(root.to_json(), r#"{"error":{"message":"m","code":"c"}}"#);
    }
}
