//! `src/lib.rs`: crate docs, the vendor descriptor and the client type.

use proc_macro2::TokenStream;
use quote::quote;

use erp_spec::ir::{self, AuthScheme, Spec};

use super::docs;
use super::names::{client_type, ident};

pub fn emit(spec: &Spec) -> TokenStream {
    let client = client_type(&spec.vendor.name);
    let crate_doc = docs::inner(&crate_doc(spec));
    let vendor = vendor_static(spec);
    let title = &spec.vendor.title;
    let client_doc = docs::outer(&format!(
        "A client for the {title} API. Cheap to clone: clones share connections, credentials and \nrate-limit state.\n\nBuild one with [`{client}::builder`]; each resource is reached through a method \nnamed after it."
    ));
    let (builder_args, builder_vars): (Vec<_>, Vec<_>) = spec
        .base_url
        .variables
        .iter()
        .map(|v| {
            let name = ident(&v.name);
            let wire = &v.name;
            (
                quote!(#name: impl Into<String>),
                quote!(.variable(#wire, #name)),
            )
        })
        .unzip();
    let builder_doc = docs::outer(&builder_doc(spec));
    let credentials = credentials(spec);
    let oauth2_reexport = matches!(spec.auth.scheme, AuthScheme::OAuth2(_)).then(|| {
        quote! {
            /// OAuth2 sessions and token stores (from `erp-runtime`).
            pub use erp_runtime::oauth2;
        }
    });
    let accessors = spec.resources.iter().map(|r| {
        let method = ident(&r.rust_name);
        let handle = ident(&r.type_name);
        let feature = &r.feature;
        let doc = docs::outer(&r.doc);
        quote! {
            #doc
            #[cfg(feature = #feature)]
            pub fn #method(&self) -> resources::#handle<'_> {
                resources::#handle::new(&self.client)
            }
        }
    });
    let links = spec.links.iter().map(link);
    quote! {
        #crate_doc
        #![forbid(unsafe_code)]
        #![warn(missing_docs)]
        #![allow(clippy::doc_markdown)]

        pub mod models;
        pub mod resources;

        /// The README's example compiles (it is a doctest).
        #[cfg(doctest)]
        #[doc = include_str!("../README.md")]
        pub struct ReadmeDoctests;

        pub use erp_runtime::{chrono, futures, Decimal, Error, Items, JsonValue, Page, Pages, Result, RetryPolicy, Secret, Uuid};
        #oauth2_reexport

        #vendor

        #client_doc
        #[derive(Debug, Clone)]
        pub struct #client {
            client: erp_runtime::Client,
        }

        impl From<erp_runtime::Client> for #client {
            fn from(client: erp_runtime::Client) -> Self {
                Self { client }
            }
        }

        impl #client {
            #builder_doc
            pub fn builder(#(#builder_args),*) -> erp_runtime::ClientBuilder<Self> {
                erp_runtime::ClientBuilder::new(&VENDOR)#(#builder_vars)*
            }

            #credentials

            /// The shared runtime client, for calling an operation descriptor directly.
            pub fn runtime(&self) -> &erp_runtime::Client {
                &self.client
            }

            #(#accessors)*

            #(#links)*
        }
    }
}

/// A method building one of the vendor's page URLs (`links.<name>`): one line into
/// `erp_runtime::Client::link`, which fills and percent-encodes the template.
fn link(l: &ir::Link) -> TokenStream {
    use super::types::param_type;
    let name = ident(&l.name);
    let mut args = Vec::new();
    let mut params = Vec::new();
    for p in &l.params {
        let (arg, ty, wire) = (ident(&p.rust_name), param_type(&p.ty), &p.wire_name);
        args.push(quote!(#arg: #ty));
        params.push(quote!((#wire, #arg.to_string())));
    }
    let mut query = Vec::new();
    for q in &l.query {
        let (arg, ty, wire) = (ident(&q.rust_name), param_type(&q.ty), &q.wire_name);
        args.push(quote!(#arg: Option<#ty>));
        query.push(quote!((#wire, #arg.map(|v| v.to_string()))));
    }
    let mut text = format!(
        "{}

`{}`",
        l.doc, l.template
    );
    for p in l.params.iter().chain(&l.query) {
        text.push_str(&format!(
            "

`{}`: {}",
            p.rust_name, p.doc
        ));
    }
    text.push_str("

Base URL variables come from the builder; every value is percent-encoded and `None` query parameters are left out. No request is sent.");
    let doc = docs::outer(&text);
    let (wire_name, template) = (&l.name, &l.template);
    quote! {
        #doc
        pub fn #name(&self, #(#args),*) -> erp_runtime::Result<String> {
            self.client.link(#wire_name, #template, &[#(#params),*], &[#(#query),*])
        }
    }
}

fn builder_doc(spec: &Spec) -> String {
    let mut doc = String::from("Starts configuring a client.");
    for v in &spec.base_url.variables {
        doc.push_str(&format!("\n\n`{}`: {}", v.name, v.doc));
    }
    doc.push_str(&format!(
        "\n\nThe base URL is `{}`; `.base_url(..)` replaces it (e.g. with the sandbox). Timeouts, \nretries and page size have production defaults and can be changed on the builder.",
        spec.base_url.template
    ));
    doc
}

fn credentials(spec: &Spec) -> TokenStream {
    match &spec.auth.scheme {
        // One header with a prefix (`Authorization: Token token=...`).
        AuthScheme::Headers(headers) if headers.len() == 1 && !headers[0].prefix.is_empty() => {
            let h = &headers[0];
            let p = ident(&h.param);
            let (name, prefix) = (&h.name, &h.prefix);
            let doc = docs::outer(&format!(
                "Credentials: {}

`{}` is sent as `{}: {}<{}>`: {}",
                spec.auth.doc, h.param, h.name, h.prefix, h.param, h.doc
            ));
            quote! {
                #doc
                pub fn credentials(#p: impl Into<erp_runtime::Secret>) -> erp_runtime::auth::TokenHeader {
                    erp_runtime::auth::TokenHeader::new(#name, #p).prefix(#prefix)
                }
            }
        }
        AuthScheme::Query(params) => {
            let required: Vec<_> = params.iter().filter(|p| p.required).collect();
            let args = required.iter().map(|p| {
                let p = ident(&p.param);
                quote!(#p: impl Into<erp_runtime::Secret>)
            });
            let calls = required.iter().map(|p| {
                let arg = ident(&p.param);
                let name = &p.name;
                quote!(.param(#name, #arg))
            });
            let mut doc = format!("Credentials: {}", spec.auth.doc);
            for p in params.iter() {
                doc.push_str(&format!(
                    "\n\n`{}` is sent as the query parameter `{}`{}: {}",
                    p.param,
                    p.name,
                    if p.required {
                        ""
                    } else {
                        " (optional; add it with `.param(..)`)"
                    },
                    p.doc
                ));
            }
            let doc = docs::outer(&doc);
            quote! {
                #doc
                pub fn credentials(#(#args),*) -> erp_runtime::auth::ApiKeyQuery {
                    erp_runtime::auth::ApiKeyQuery::new()#(#calls)*
                }
            }
        }
        AuthScheme::Bearer => {
            let doc = docs::outer(&format!(
                "Credentials: {}\n\nThe token is sent as `Authorization: Bearer <token>`.",
                spec.auth.doc
            ));
            quote! {
                #doc
                pub fn credentials(token: impl Into<erp_runtime::Secret>) -> erp_runtime::auth::Bearer {
                    erp_runtime::auth::Bearer::new(token)
                }
            }
        }
        AuthScheme::OAuth2(o) => oauth2_config(spec, o),
        AuthScheme::Headers(headers) => {
            let required: Vec<_> = headers.iter().filter(|h| h.required).collect();
            let optional: Vec<_> = headers.iter().filter(|h| !h.required).collect();
            let args = required.iter().map(|h| {
                let p = ident(&h.param);
                quote!(#p: impl Into<erp_runtime::Secret>)
            });
            let calls = required.iter().map(|h| {
                let p = ident(&h.param);
                let name = &h.name;
                quote!(.header(#name, #p))
            });
            let mut doc = format!("Credentials: {}", spec.auth.doc);
            for h in &required {
                doc.push_str(&format!(
                    "\n\n`{}` is sent as `{}`: {}",
                    h.param, h.name, h.doc
                ));
            }
            for h in &optional {
                doc.push_str(&format!(
                    "\n\nOptional: add `.header(\"{}\", ..)` to the result for {}",
                    h.name,
                    lowercase_first(&h.doc)
                ));
            }
            let doc = docs::outer(&doc);
            quote! {
                #doc
                pub fn credentials(#(#args),*) -> erp_runtime::auth::ApiKeyHeaders {
                    erp_runtime::auth::ApiKeyHeaders::new()#(#calls)*
                }
            }
        }
        AuthScheme::Basic {
            username_doc,
            password_doc,
        } => {
            let doc = docs::outer(&format!(
                "Credentials: {}\n\n`username`: {username_doc}\n\n`password`: {password_doc}",
                spec.auth.doc
            ));
            quote! {
                #doc
                pub fn credentials(username: impl Into<erp_runtime::Secret>, password: impl Into<erp_runtime::Secret>) -> erp_runtime::auth::Basic {
                    erp_runtime::auth::Basic::new(username, password)
                }
            }
        }
    }
}

/// `Vendor::oauth2(client_id, client_secret)`: the vendor's OAuth2 settings from the spec, for
/// `erp_runtime::oauth2::OAuth2` (which the caller builds: it needs a token store).
fn oauth2_config(spec: &Spec, o: &ir::OAuth2) -> TokenStream {
    let name = &spec.vendor.name;
    let (token_url, authorize_url) = (&o.token_url, &o.authorize_url);
    let client_credentials_only = o.grants == [ir::Grant::ClientCredentials];
    let flow = client_credentials_only
        .then(|| quote!(.flow(erp_runtime::oauth2::Flow::ClientCredentials)));
    let scopes = o.scopes.iter().map(|s| quote!(.scope(#s)));
    let interval = o
        .refresh_min_interval_seconds
        .map(|secs| quote!(.min_refresh_interval(std::time::Duration::from_secs(#secs))));
    let doc = docs::outer(&format!(
        "OAuth2 settings: {}\n\nToken endpoint `{token_url}`, authorization endpoint `{authorize_url}`{}. Set a \n`redirect_uri` for the authorization-code flow, then build a session with \n`erp_runtime::oauth2::OAuth2::builder(config).store(..).build()` and pass it to `.auth(..)`.",
        spec.auth.doc,
        o.refresh_min_interval_seconds
            .map(|s| format!("; refreshes at most every {s} s"))
            .unwrap_or_default()
    ));
    quote! {
        #doc
        pub fn oauth2(client_id: impl Into<String>, client_secret: impl Into<erp_runtime::Secret>) -> erp_runtime::oauth2::OAuth2Config {
            erp_runtime::oauth2::OAuth2Config::new(#name, #token_url, client_id)
                .client_secret(client_secret)
                .authorize_url(#authorize_url)
                #flow
                #(#scopes)*
                #interval
        }
    }
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

fn vendor_static(spec: &Spec) -> TokenStream {
    use erp_descriptor::Emit;
    let doc = docs::outer(&format!(
        "How the runtime talks to the {} API (from `{}`).",
        spec.vendor.title,
        super::spec_display_path(&spec.source)
    ));
    let info = erp_spec::descriptors::vendor_info(spec).emit();
    let from_json_doc = docs::outer(&format!(
        "Decodes a value in the {} wire dialect (a webhook body, a stored answer) into a model, \nas the client decodes responses. The models' own `Deserialize` is strict: \n`serde_json::from_value` alone does not read the vendor's dialect.",
        spec.vendor.title
    ));
    quote! {
        #doc
        pub static VENDOR: erp_runtime::descriptor::VendorInfo = {
            use erp_runtime::descriptor::*;
            #info
        };

        #from_json_doc
        pub fn from_json<T: serde::de::DeserializeOwned>(
            value: &JsonValue,
        ) -> std::result::Result<T, erp_runtime::lenient::DecodeError> {
            erp_runtime::lenient::from_value(value, erp_runtime::lenient::Leniency::of(&VENDOR))
        }
    }
}

/// The crate-level documentation, with an example that compiles.
fn crate_doc(spec: &Spec) -> String {
    let mut doc = format!(
        "Typed client for the [{}]({}) API.\n\n{}\n\nGenerated from `{}` by `cargo xtask codegen`; the shared behaviour (HTTP, \nauthentication, paging, retries, rate limits, errors) lives in `erp-runtime`.\n\n",
        spec.vendor.title,
        spec.vendor.docs_url,
        spec.vendor.description.trim(),
        super::spec_display_path(&spec.source),
    );
    doc.push_str("# Example\n\n```no_run\n");
    doc.push_str(&usage_example(spec));
    doc.push_str(
        "```\n\nErrors are [`Error`] values whose `Display` includes the vendor's own message.",
    );
    doc
}

/// A usage example: build a client, stream a list. Lines starting with `# ` are hidden in
/// rustdoc (they make it a compiling doctest) and left out of the README.
pub fn usage_example(spec: &Spec) -> String {
    let client = client_type(&spec.vendor.name).to_string();
    let krate = spec.vendor.crate_name().replace('-', "_");
    let mut doc = String::new();
    doc.push_str(&format!(
        "use {krate}::{client};\nuse {krate}::futures::TryStreamExt;\n\n"
    ));
    doc.push_str(&format!("# async fn run() -> {krate}::Result<()> {{\n"));
    let vars: Vec<String> = spec
        .base_url
        .variables
        .iter()
        .map(|v| format!("{:?}", v.example))
        .collect();
    let creds = match &spec.auth.scheme {
        AuthScheme::Headers(h) => h
            .iter()
            .filter(|h| h.required)
            .map(|h| format!("\"YOUR_{}\"", h.param.to_uppercase()))
            .collect::<Vec<_>>()
            .join(", "),
        AuthScheme::Basic { .. } => "\"USERNAME\", \"PASSWORD\"".to_owned(),
        AuthScheme::Query(p) => p
            .iter()
            .filter(|p| p.required)
            .map(|p| format!("\"YOUR_{}\"", p.param.to_uppercase()))
            .collect::<Vec<_>>()
            .join(", "),
        AuthScheme::Bearer => "\"YOUR_TOKEN\"".to_owned(),
        AuthScheme::OAuth2(_) => String::new(),
    };
    let auth = match &spec.auth.scheme {
        AuthScheme::OAuth2(_) => {
            // Tokens are saved to a file before use, so a rotated refresh token survives a crash.
            doc.push_str(&format!(
                "let config = {client}::oauth2(\"CLIENT_ID\", \"CLIENT_SECRET\")\n    .redirect_uri(\"http://127.0.0.1:8765/callback\");\nlet session = {krate}::oauth2::OAuth2::builder(config)\n    .store({krate}::oauth2::FileTokenStore::new(\"tokens.json\"))\n    .build()?;\n"
            ));
            "session".to_owned()
        }
        _ => format!("{client}::credentials({creds})"),
    };
    doc.push_str(&format!(
        "let {} = {client}::builder({})\n    .auth({auth})\n    .build()?;\n",
        spec.vendor.name,
        vars.join(", ")
    ));
    // Show the most useful list: no required arguments, on the resource with most operations.
    let example = spec
        .resources
        .iter()
        .filter_map(|r| {
            r.operations
                .iter()
                .find(|o| o.kind == ir::OperationKind::List)
                .map(|o| (r, o))
        })
        .min_by_key(|(r, op)| {
            let required = op.path_params.len() + op.query.iter().filter(|p| p.required).count();
            (
                required,
                std::cmp::Reverse(r.operations.len()),
                r.name.clone(),
            )
        });
    if let Some((r, op)) = example {
        let mut args: Vec<String> = op
            .path_params
            .iter()
            .chain(op.query.iter().filter(|p| p.required))
            .map(|p| example_arg(spec, &p.ty))
            .collect();
        if op.query.iter().any(|p| !p.required) {
            args.push("&Default::default()".to_owned());
        }
        doc.push_str(&format!(
            "\n// Items stream in lazily; pages are fetched as needed.\nlet mut {items} = {var}.{}().{}({});\nwhile let Some(item) = {items}.try_next().await? {{\n    println!(\"{{item:?}}\");\n}}\n",
            r.rust_name,
            op.rust_name,
            args.join(", "),
            items = r.rust_name,
            var = spec.vendor.name,
        ));
    }
    doc.push_str("# Ok(())\n# }\n");
    doc
}

fn example_arg(spec: &Spec, ty: &ir::TypeRef) -> String {
    use ir::TypeRef::*;
    match ty {
        String => "\"example\"".to_owned(),
        Integer => "1".to_owned(),
        Number => "1.0".to_owned(),
        Boolean => "true".to_owned(),
        Enum(name) => {
            let variant = spec
                .enumeration(name)
                .and_then(|e| e.variants.first())
                .map(|v| v.rust_name.clone())
                .unwrap_or_default();
            format!(
                "&{}::models::{name}::{variant}",
                spec.vendor.crate_name().replace('-', "_")
            )
        }
        List(_) => "&[]".to_owned(),
        _ => "Default::default()".to_owned(),
    }
}
