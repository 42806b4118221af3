//! Small general helpers the generator emits one-line calls to: URLs of a vendor's own pages
//! ([`Client::link`]), operations refused before anything is sent unless the configuration
//! allows them ([`Client::require_variable_contains`]), and [`get_or_create`].

use std::future::Future;

use crate::client::Client;
use crate::descriptor::Operation;
use crate::error::{Error, Origin};
use crate::request::encode_segment;
use crate::send::origin;

impl Client {
    /// A URL of one of the vendor's own pages (a hosted sign-up page, say), from a template
    /// such as `https://spreedly.com/{site}/subscribers/{customer_id}`: base-URL variables
    /// (given to the builder) and `params` fill the placeholders, each value percent-encoded
    /// as one path segment, and the `query` pairs that are `Some` are appended, encoded.
    ///
    /// No request is sent. A placeholder without a value is an [`Error::InvalidInput`].
    pub fn link(
        &self,
        name: &str,
        template: &str,
        params: &[(&str, String)],
        query: &[(&str, Option<String>)],
    ) -> Result<String, Error> {
        let invalid = |field: &str, message: &str| Error::InvalidInput {
            origin: Box::new(Origin {
                vendor: self.vendor().name,
                operation: format!("link {name}"),
                request_id: None,
            }),
            field: field.to_owned(),
            message: message.to_owned(),
        };
        let mut out = String::with_capacity(template.len() + 32);
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let end = after
                .find('}')
                .ok_or_else(|| invalid("template", "unclosed `{`"))?;
            let key = &after[..end];
            let value = params
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.as_str())
                .or_else(|| self.variable(key))
                .ok_or_else(|| invalid(key, "no value for this placeholder"))?;
            if value.is_empty() || value == "." || value == ".." {
                return Err(invalid(key, "not a usable path segment"));
            }
            out.push_str(&encode_segment(value));
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        let mut sep = '?';
        for (key, value) in query {
            if let Some(value) = value {
                out.push(sep);
                out.push_str(&encode_segment(key));
                out.push('=');
                out.push_str(&encode_segment(value));
                sep = '&';
            }
        }
        Ok(out)
    }

    /// Refuses `op` unless the base-URL variable `name` contains `needle`, with an
    /// [`Error::NotAllowed`] and before anything is sent (Spreedly allows deleting
    /// subscribers only on test sites, whose names contain `test`).
    pub fn require_variable_contains(
        &self,
        op: &'static Operation,
        name: &str,
        needle: &str,
    ) -> Result<(), Error> {
        match self.variable(name) {
            Some(value) if value.contains(needle) => Ok(()),
            value => Err(Error::NotAllowed {
                origin: origin(op),
                message: format!(
                    "only allowed when `{name}` contains `{needle}` (it is {}); nothing was sent",
                    value.map_or_else(|| "not set".to_owned(), |v| format!("`{v}`"))
                ),
            }),
        }
    }
}

/// Fetches an object and creates it only when the vendor says it does not exist
/// ([`Error::NotFound`]); every other error of the get is returned as it is, and the create's
/// errors too. The create runs at most once.
///
/// ```no_run
/// # async fn demo(get: impl std::future::Future<Output = erp_runtime::Result<u32>>) -> erp_runtime::Result<()> {
/// let record = erp_runtime::get_or_create(get, || async { Ok(7) }).await?;
/// # let _ = record; Ok(()) }
/// ```
pub async fn get_or_create<T, G, C, F>(get: G, create: C) -> Result<T, Error>
where
    G: Future<Output = Result<T, Error>>,
    C: FnOnce() -> F,
    F: Future<Output = Result<T, Error>>,
{
    match get.await {
        Err(e) if e.is_not_found() => create().await,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Basic;
    use crate::descriptor::*;

    static VENDOR: VendorInfo = VendorInfo {
        name: "acme",
        title: "Acme",
        base_url: "https://acme.example/api/{site}",
        base_url_variables: &["site"],
        booleans: BoolEncoding::Native,
        nested_lists: NestedLists::Plain,
        list_envelope: ListEnvelope::Bare,
        item_envelope: ItemEnvelope::Bare,
        request_envelope: RequestEnvelope::Bare,
        success_error_paths: &[],
        rate_limits: &[],
        error_message_paths: &[],
        error_code_paths: &[],
        request_id_header: None,
    };

    fn client(site: &str) -> Client {
        Client::builder(&VENDOR)
            .variable("site", site)
            .auth(Basic::new("token", "X"))
            .build()
            .expect("client")
    }

    #[test]
    fn links_fill_variables_and_params_and_encode_them() {
        let c = client("my-site");
        let url = c
            .link(
                "signup",
                "https://acme.example/{site}/subscribers/{id}/subscribe/{plan}/{name}",
                &[
                    ("id", "42/x".to_owned()),
                    ("plan", "7".to_owned()),
                    ("name", "Jöe & co".to_owned()),
                ],
                &[
                    (
                        "return_url",
                        Some("https://shop.example/back?a=1&b=2".to_owned()),
                    ),
                    ("unused", None),
                ],
            )
            .expect("url");
        assert_eq!(
            url,
            "https://acme.example/my-site/subscribers/42%2Fx/subscribe/7/J%C3%B6e%20%26%20co?return_url=https%3A%2F%2Fshop.example%2Fback%3Fa%3D1%26b%3D2"
        );
        let plain = c
            .link("a", "https://acme.example/{site}", &[], &[("r", None)])
            .expect("url");
        assert_eq!(plain, "https://acme.example/my-site");
        let missing = c.link("a", "https://acme.example/{nope}", &[], &[]);
        assert!(matches!(missing, Err(Error::InvalidInput { field, .. }) if field == "nope"));
        let dots = c.link(
            "a",
            "https://acme.example/{id}",
            &[("id", "..".into())],
            &[],
        );
        assert!(dots.is_err());
    }

    static RESOURCE: ResourceInfo = ResourceInfo {
        vendor: &VENDOR,
        name: "things",
        wire_plural: "things",
    };

    static DELETE_ALL: Operation = Operation {
        resource: &RESOURCE,
        name: "delete_all",
        method: Method::Delete,
        path: "/things",
        paging: Paging::None,
        body: BodyKind::None,
        returns: Returns::None,
        format: WireFormat::Json,
        accept: "application/json",
        headers: &[],
        idempotent: true,
        root: "thing",
        redact: &[],
        key: None,
        idempotency_key: None,
    };

    #[test]
    fn requirements_refuse_before_sending() {
        assert!(
            client("acme-test")
                .require_variable_contains(&DELETE_ALL, "site", "test")
                .is_ok()
        );
        let refused = client("acme")
            .require_variable_contains(&DELETE_ALL, "site", "test")
            .expect_err("refused");
        assert!(matches!(refused, Error::NotAllowed { .. }));
        assert_eq!(
            refused.to_string(),
            "acme things.delete_all: not allowed: only allowed when `site` contains `test` (it is `acme`); nothing was sent"
        );
    }

    #[tokio::test]
    async fn get_or_create_creates_on_not_found_only() {
        let not_found = || Error::NotFound {
            origin: origin(&DELETE_ALL),
            status: 404,
            message: None,
        };
        let created = get_or_create(async { Err(not_found()) }, || async { Ok(2) }).await;
        assert_eq!(created.expect("created"), 2);
        let found = get_or_create(async { Ok(1) }, || async { panic!("no create") }).await;
        assert_eq!(found.expect("found"), 1);
        let forbidden = Error::Api {
            origin: origin(&DELETE_ALL),
            status: 403,
            message: Some("no".into()),
            code: None,
            body_excerpt: String::new(),
        };
        let failed: Result<i32, _> =
            get_or_create(async { Err(forbidden) }, || async { panic!("no create") }).await;
        assert_eq!(failed.expect_err("surfaces").status(), Some(403));
    }
}
