//! Validation: turns a [`RawSpec`] into an [`ir::Spec`], collecting every problem on the way.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};
use serde_saphyr::{Location, Spanned};

use crate::error::{SpecError, SpecErrors};
use crate::ir::{self, TypeRef};
use crate::raw::*;
use crate::suggest::{suggest, type_suggestion};

/// Validates a parsed spec. Returns every error found, not just the first.
pub fn validate(source: &str, raw: RawSpec) -> Result<ir::Spec, SpecErrors> {
    let mut v = Validator {
        file: source.to_owned(),
        errors: Vec::new(),
    };
    let spec = v.spec(raw);
    if v.errors.is_empty() {
        Ok(spec)
    } else {
        Err(SpecErrors(v.errors))
    }
}

struct Validator {
    file: String,
    errors: Vec<SpecError>,
}

/// Names generated code uses unqualified (the prelude, derives, imports of resource modules).
const RESERVED_TYPE_NAMES: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Box",
    "String",
    "Vec",
    "Default",
    "Clone",
    "Copy",
    "Debug",
    "PartialEq",
    "Eq",
    "PartialOrd",
    "Ord",
    "Hash",
    "Send",
    "Sync",
    "Sized",
    "Drop",
    "Fn",
    "FnMut",
    "FnOnce",
    "Iterator",
    "IntoIterator",
    "Extend",
    "ToString",
    "ToOwned",
    "AsRef",
    "AsMut",
    "Into",
    "From",
    "TryFrom",
    "TryInto",
    "Self",
    "Method",
    "Operation",
    "Returns",
    "Request",
];

/// Identifiers that cannot be written even as raw identifiers.
const NOT_RAW_KEYWORDS: &[&str] = &["self", "super", "crate", "Self", "_"];

/// Resource accessor names taken by the generated client (and `mod`, the module file).
const RESERVED_RESOURCES: &[&str] = &[
    "builder",
    "credentials",
    "runtime",
    "from",
    "clone",
    "fmt",
    "mod",
    "default",
];

/// Argument names the generated methods use themselves.
const RESERVED_ARGUMENTS: &[&str] = &["body", "query", "self"];

const SCALAR_TYPES: &[&str] = &[
    "string", "integer", "number", "boolean", "date", "datetime", "json",
];

impl Validator {
    fn err(&mut self, at: &Location, message: impl Into<String>) {
        self.errors.push(SpecError {
            file: self.file.clone(),
            line: at.line(),
            column: at.column(),
            message: message.into(),
        });
    }

    /// Maps a string choice to a value, or reports what was expected.
    fn choice<T: Copy>(
        &mut self,
        what: &str,
        value: &Spanned<String>,
        options: &[(&str, T)],
    ) -> Option<T> {
        if let Some((_, v)) = options.iter().find(|(name, _)| *name == value.value) {
            return Some(*v);
        }
        let expected: Vec<_> = options.iter().map(|(n, _)| format!("`{n}`")).collect();
        self.err(
            &value.referenced,
            format!(
                "unknown {what} `{}`; expected one of {}",
                value.value,
                expected.join(", ")
            ),
        );
        None
    }

    fn rust_ident(&mut self, at: &Location, what: &str, name: &str) -> String {
        let snake = name.to_snake_case();
        if snake.is_empty()
            || snake.starts_with(|c: char| c.is_ascii_digit())
            || !is_ident(&snake)
            || NOT_RAW_KEYWORDS.contains(&snake.as_str())
        {
            self.err(
                at,
                format!("{what} `{name}` has no usable Rust name; set `rust_name`"),
            );
        }
        snake
    }

    /// An explicit `rust_name`: a snake_case identifier that can be written in Rust.
    fn explicit_rust_name(&mut self, rn: &Spanned<String>) -> String {
        let ok = is_ident(&rn.value)
            && rn.value.to_snake_case() == rn.value
            && !NOT_RAW_KEYWORDS.contains(&rn.value.as_str());
        if !ok {
            self.err(
                &rn.referenced,
                format!("rust_name `{}` must be a snake_case identifier", rn.value),
            );
        }
        rn.value.clone()
    }

    fn spec(&mut self, raw: RawSpec) -> ir::Spec {
        let vendor = self.vendor(&raw.vendor);
        let base_url = self.base_url(&raw.base_url);
        let auth = self.auth(&raw.auth);
        let wire = self.wire(&raw.wire);
        let envelope = self.envelope(&raw.envelope);
        let paging = self.paging(raw.paging.as_ref());
        let rate_limit = raw.rate_limit.as_ref().map(|r| self.rate_limit(r));
        let errors = self.errors(&raw.errors);
        let enums = self.enums(&raw.enums);
        let known_models: BTreeSet<String> = raw.models.keys().map(|k| k.name.clone()).collect();
        let known_enums: BTreeSet<String> = raw.enums.keys().map(|k| k.name.clone()).collect();
        let types = TypeResolver {
            models: &known_models,
            enums: &known_enums,
        };
        let models = self.models(&raw.models, &types);
        let resources = self.resources(&raw, &types, &envelope, &paging);
        let mut spec = ir::Spec {
            source: self.file.clone(),
            vendor,
            base_url,
            auth,
            wire,
            envelope,
            paging,
            rate_limit,
            errors,
            resources,
            models,
            enums,
        };
        assign_features(&mut spec);
        spec
    }

    fn vendor(&mut self, raw: &Spanned<RawVendor>) -> ir::Vendor {
        let name = &raw.value.name;
        let valid = !name.value.is_empty()
            && name.value.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            self.err(
                &name.referenced,
                format!(
                    "vendor name `{}` must be lower snake_case (e.g. `exact_online`)",
                    name.value
                ),
            );
        }
        ir::Vendor {
            name: name.value.clone(),
            title: raw.value.title.clone(),
            docs_url: raw.value.docs_url.clone(),
            description: raw.value.description.clone(),
        }
    }

    fn base_url(&mut self, raw: &Spanned<RawBaseUrl>) -> ir::BaseUrl {
        let template = &raw.value.template;
        // The runtime refuses plain http to anything but loopback, so a vendor URL must be https.
        if !template.value.starts_with("https://") {
            self.err(
                &template.referenced,
                format!("base URL `{}` must start with https://", template.value),
            );
        }
        let used = placeholders(&template.value);
        for name in &used {
            if !raw.value.variables.contains_key(name.as_str()) {
                self.err(
                    &template.referenced,
                    format!("base URL uses `{{{name}}}` but `base_url.variables` does not declare `{name}`"),
                );
            }
        }
        let mut variables = Vec::new();
        for (name_key, var) in &raw.value.variables {
            let name = &name_key.name;
            if !used.contains(name) {
                self.err(
                    &name_key.at,
                    format!("base URL variable `{name}` is declared but not used in the template"),
                );
            }
            let rust = self.rust_ident(&name_key.at, "base URL variable", name);
            if rust != *name {
                self.err(
                    &name_key.at,
                    format!("base URL variable `{name}` must be snake_case (`{rust}`)"),
                );
            }
            variables.push(ir::Variable {
                name: name.clone(),
                doc: var.value.doc.clone(),
                example: var.value.example.clone(),
            });
        }
        ir::BaseUrl {
            template: template.value.clone(),
            variables,
        }
    }

    fn auth(&mut self, raw: &Spanned<RawAuth>) -> ir::Auth {
        #[derive(Clone, Copy)]
        enum S {
            Headers,
            Basic,
            OAuth2,
        }
        let scheme = self.choice(
            "auth scheme",
            &raw.value.scheme,
            &[
                ("api_key_headers", S::Headers),
                ("token_header", S::Headers),
                ("basic", S::Basic),
                ("oauth2", S::OAuth2),
            ],
        );
        let scheme = match scheme {
            Some(S::Headers) => {
                if raw.value.headers.is_empty() {
                    self.err(
                        &raw.value.scheme.referenced,
                        format!(
                            "auth scheme `{}` needs at least one entry in `headers`",
                            raw.value.scheme.value
                        ),
                    );
                }
                if raw.value.scheme.value == "token_header" && raw.value.headers.len() > 1 {
                    self.err(&raw.value.scheme.referenced, "auth scheme `token_header` takes exactly one header; use `api_key_headers` for several");
                }
                let mut params = BTreeSet::new();
                let headers = raw
                    .value
                    .headers
                    .iter()
                    .map(|h| {
                        let param = self.rust_ident(
                            &h.value.param.referenced,
                            "auth header param",
                            &h.value.param.value,
                        );
                        if !params.insert(param.clone()) {
                            self.err(
                                &h.value.param.referenced,
                                format!("auth header param `{param}` is used twice"),
                            );
                        }
                        if http_header_name_invalid(&h.value.name.value) {
                            self.err(
                                &h.value.name.referenced,
                                format!("`{}` is not a valid HTTP header name", h.value.name.value),
                            );
                        }
                        ir::AuthHeader {
                            name: h.value.name.value.clone(),
                            param,
                            required: h.value.required,
                            doc: h.value.doc.clone(),
                        }
                    })
                    .collect();
                ir::AuthScheme::Headers(headers)
            }
            Some(S::Basic) => match &raw.value.basic {
                Some(b) => ir::AuthScheme::Basic {
                    username_doc: b.value.username_doc.clone(),
                    password_doc: b.value.password_doc.clone(),
                },
                None => {
                    self.err(
                        &raw.value.scheme.referenced,
                        "auth scheme `basic` needs a `basic` section",
                    );
                    ir::AuthScheme::Basic {
                        username_doc: String::new(),
                        password_doc: String::new(),
                    }
                }
            },
            Some(S::OAuth2) => match &raw.value.oauth2 {
                Some(o) => ir::AuthScheme::OAuth2 {
                    authorize_url: o.value.authorize_url.value.clone(),
                    token_url: o.value.token_url.value.clone(),
                    refresh_min_interval_seconds: o.value.refresh_min_interval_seconds,
                },
                None => {
                    self.err(
                        &raw.value.scheme.referenced,
                        "auth scheme `oauth2` needs an `oauth2` section",
                    );
                    ir::AuthScheme::Headers(Vec::new())
                }
            },
            None => ir::AuthScheme::Headers(Vec::new()),
        };
        let unauthorized = match &raw.value.unauthorized {
            Some(u) => self.error_example(&u.value.status, &u.value.message, u.value.code.as_ref()),
            None => ir::ErrorExample {
                status: 401,
                message: "Unauthorized".into(),
                code: None,
            },
        };
        ir::Auth {
            scheme,
            doc: raw.value.doc.clone(),
            unauthorized,
        }
    }

    fn error_example(
        &mut self,
        status: &Spanned<u16>,
        message: &str,
        code: Option<&String>,
    ) -> ir::ErrorExample {
        if !(400..=599).contains(&status.value) {
            self.err(
                &status.referenced,
                format!("error status {} must be between 400 and 599", status.value),
            );
        }
        ir::ErrorExample {
            status: status.value,
            message: message.to_owned(),
            code: code.cloned(),
        }
    }

    fn wire(&mut self, raw: &Spanned<RawWire>) -> ir::Wire {
        let w = &raw.value;
        ir::Wire {
            format: self
                .choice(
                    "wire format",
                    &w.format,
                    &[("json", ir::WireFormat::Json), ("xml", ir::WireFormat::Xml)],
                )
                .unwrap_or(ir::WireFormat::Json),
            scalars: self
                .choice(
                    "scalar encoding",
                    &w.scalars,
                    &[
                        ("native", ir::Scalars::Native),
                        ("strings", ir::Scalars::Strings),
                    ],
                )
                .unwrap_or(ir::Scalars::Native),
            booleans: self
                .choice(
                    "boolean encoding",
                    &w.booleans,
                    &[
                        ("native", ir::Booleans::Native),
                        ("one_zero", ir::Booleans::OneZero),
                    ],
                )
                .unwrap_or(ir::Booleans::Native),
            empty_string_is_null: w.empty_string_is_null,
            one_or_many: w.one_or_many,
            nested_lists: self
                .choice(
                    "nested list style",
                    &w.nested_lists,
                    &[
                        ("plain", ir::NestedLists::Plain),
                        ("wrapped", ir::NestedLists::Wrapped),
                    ],
                )
                .unwrap_or(ir::NestedLists::Plain),
            send_content_type_on_get: w.send_content_type_on_get,
            accept_required: w.accept_required,
        }
    }

    fn key(&mut self, style: &Spanned<String>, key: &Option<Spanned<String>>) -> String {
        match key {
            Some(k) if !k.value.is_empty() => k.value.clone(),
            _ => {
                self.err(
                    &style.referenced,
                    format!("envelope style `{}` needs a non-empty `key`", style.value),
                );
                String::new()
            }
        }
    }

    fn envelope(&mut self, raw: &Spanned<RawEnvelope>) -> ir::Envelope {
        #[derive(Clone, Copy)]
        enum L {
            Data,
            Root,
            OData,
            Bare,
        }
        let l = &raw.value.list.value;
        let list = match self.choice(
            "list envelope style",
            &l.style,
            &[
                ("data_field", L::Data),
                ("resource_root", L::Root),
                ("odata", L::OData),
                ("bare", L::Bare),
            ],
        ) {
            Some(L::Data) => ir::ListEnvelope::DataField {
                key: self.key(&l.style, &l.key),
            },
            Some(L::Root) => ir::ListEnvelope::ResourceRoot {
                total: l.total.clone(),
                page: l.page.clone(),
                per_page: l.per_page.clone(),
            },
            Some(L::OData) => ir::ListEnvelope::OData,
            Some(L::Bare) | None => ir::ListEnvelope::Bare,
        };
        #[derive(Clone, Copy)]
        enum I {
            Data,
            First,
            Root,
            OData,
            Bare,
        }
        let i = &raw.value.item.value;
        let item = match self.choice(
            "item envelope style",
            &i.style,
            &[
                ("data_field", I::Data),
                ("first_of_list", I::First),
                ("resource_root", I::Root),
                ("odata", I::OData),
                ("bare", I::Bare),
            ],
        ) {
            Some(I::Data) => ir::ItemEnvelope::DataField {
                key: self.key(&i.style, &i.key),
            },
            Some(I::First) => ir::ItemEnvelope::FirstOfList {
                key: self.key(&i.style, &i.key),
            },
            Some(I::Root) => ir::ItemEnvelope::ResourceRoot,
            Some(I::OData) => ir::ItemEnvelope::OData,
            Some(I::Bare) | None => ir::ItemEnvelope::Bare,
        };
        let request = self
            .choice(
                "request envelope",
                &raw.value.request,
                &[
                    ("bare", ir::RequestEnvelope::Bare),
                    ("resource_root", ir::RequestEnvelope::ResourceRoot),
                ],
            )
            .unwrap_or(ir::RequestEnvelope::Bare);
        ir::Envelope {
            list,
            item,
            request,
            errors_in_success: raw.value.errors_in_success,
            success_members: raw
                .value
                .success_members
                .iter()
                .map(|(k, v)| (k.name.clone(), v.clone()))
                .collect(),
        }
    }

    fn paging(&mut self, raw: Option<&Spanned<RawPaging>>) -> ir::Paging {
        let Some(raw) = raw else {
            return ir::Paging::None;
        };
        let p = &raw.value;
        #[derive(Clone, Copy)]
        enum P {
            None,
            Page,
            Next,
            Cursor,
        }
        let style = self.choice(
            "paging style",
            &p.style,
            &[
                ("none", P::None),
                ("page_number", P::Page),
                ("next_link", P::Next),
                ("cursor", P::Cursor),
            ],
        );
        let need = |v: &mut Self, name: &str, value: &Option<String>| -> String {
            value.clone().unwrap_or_else(|| {
                v.err(
                    &p.style.referenced,
                    format!("paging style `{}` needs `{name}`", p.style.value),
                );
                String::new()
            })
        };
        match style {
            Some(P::Page) => {
                let page_param = need(self, "page_param", &p.page_param);
                let size_param = need(self, "size_param", &p.size_param);
                let default_size = p.default_size.as_ref().map(|s| s.value).unwrap_or(100);
                let max_size = p.max_size.as_ref().map(|s| s.value).unwrap_or(default_size);
                if let Some(m) = p.max_size.as_ref().filter(|m| m.value == 0) {
                    self.err(&m.referenced, "max_size must be at least 1");
                }
                if let Some(d) = p
                    .default_size
                    .as_ref()
                    .filter(|d| d.value == 0 || d.value > max_size)
                {
                    self.err(
                        &d.referenced,
                        format!(
                            "default_size {} must be between 1 and max_size {max_size}",
                            d.value
                        ),
                    );
                }
                ir::Paging::PageNumber {
                    page_param,
                    size_param,
                    first_page: p.first_page.unwrap_or(1),
                    default_size,
                    max_size,
                }
            }
            Some(P::Next) => ir::Paging::NextLink {
                field: need(self, "next_link", &p.next_link),
            },
            Some(P::Cursor) => ir::Paging::Cursor {
                param: need(self, "cursor_param", &p.cursor_param),
                field: need(self, "cursor_field", &p.cursor_field),
            },
            Some(P::None) | None => ir::Paging::None,
        }
    }

    fn rate_limit(&mut self, raw: &Spanned<RawRateLimit>) -> ir::RateLimit {
        let r = &raw.value;
        let reset = self
            .choice(
                "rate-limit reset unit",
                &r.reset,
                &[
                    ("epoch_seconds", ir::ResetUnit::EpochSeconds),
                    ("epoch_millis", ir::ResetUnit::EpochMillis),
                    ("delta_seconds", ir::ResetUnit::DeltaSeconds),
                ],
            )
            .unwrap_or(ir::ResetUnit::EpochSeconds);
        if r.window_seconds.value == 0 {
            self.err(
                &r.window_seconds.referenced,
                "rate-limit window_seconds must be positive",
            );
        }
        if r.quota.value == 0 {
            self.err(&r.quota.referenced, "rate-limit quota must be positive");
        }
        ir::RateLimit {
            remaining_header: r.remaining_header.clone(),
            reset_header: r.reset_header.clone(),
            reset,
            limit_header: r.limit_header.clone(),
            window_seconds: r.window_seconds.value,
            quota: r.quota.value,
            exceeded_message: r.exceeded_message.clone(),
        }
    }

    fn errors(&mut self, raw: &Spanned<RawErrors>) -> ir::Errors {
        let e = &raw.value;
        if e.message.is_empty() {
            self.err(
                &raw.referenced,
                "errors.message needs at least one path to the vendor's error message",
            );
        }
        for p in e.message.iter().chain(&e.code) {
            if p.value.is_empty() || p.value.split('.').any(str::is_empty) {
                self.err(
                    &p.referenced,
                    format!("`{}` is not a dotted path like `errors.error`", p.value),
                );
            }
        }
        ir::Errors {
            message_paths: e.message.iter().map(|p| p.value.clone()).collect(),
            code_paths: e.code.iter().map(|p| p.value.clone()).collect(),
            not_found: self.error_example(
                &e.not_found.value.status,
                &e.not_found.value.message,
                e.not_found.value.code.as_ref(),
            ),
            invalid: self.error_example(
                &e.invalid.value.status,
                &e.invalid.value.message,
                e.invalid.value.code.as_ref(),
            ),
        }
    }

    fn enums(&mut self, raw: &BTreeMap<Key, Spanned<RawEnum>>) -> Vec<ir::Enum> {
        let mut out = Vec::new();
        for (name_key, e) in raw {
            let name = &name_key.name;
            self.type_name(&name_key.at, "enum", name);
            if e.value.values.is_empty() {
                self.err(&name_key.at, format!("enum `{name}` has no values"));
            }
            for (wire_key, rn) in &e.value.rust_names {
                let wire = &wire_key.name;
                if !e.value.values.contains_key(wire.as_str()) {
                    self.err(&rn.referenced, format!("enum `{name}`: `rust_names` mentions `{wire}`, which is not one of its values"));
                }
            }
            let mut seen: BTreeMap<String, String> = BTreeMap::new();
            let mut variants = Vec::new();
            for (wire_key, doc) in &e.value.values {
                let wire = &wire_key.name;
                let rust_name = match e.value.rust_names.get(wire.as_str()) {
                    Some(n) => n.value.clone(),
                    None => wire.to_upper_camel_case(),
                };
                if rust_name.is_empty()
                    || !is_ident(&rust_name)
                    || rust_name.starts_with(|c: char| c.is_ascii_digit())
                {
                    self.err(&doc.referenced, format!("enum `{name}`: value `{wire}` has no usable Rust name; add it to `rust_names`"));
                } else if rust_name == "Unknown" {
                    self.err(&doc.referenced, format!("enum `{name}`: value `{wire}` would be named `Unknown`, which is reserved for unrecognised values; add it to `rust_names`"));
                } else if let Some(other) = seen.insert(rust_name.clone(), wire.clone()) {
                    self.err(&doc.referenced, format!("enum `{name}`: values `{other}` and `{wire}` both become variant `{rust_name}`; add one to `rust_names`"));
                }
                variants.push(ir::Variant {
                    wire: wire.clone(),
                    rust_name,
                    doc: doc.value.clone(),
                });
            }
            out.push(ir::Enum {
                name: name.clone(),
                doc: e.value.doc.clone(),
                variants,
                features: Vec::new(),
            });
        }
        out
    }

    fn type_name(&mut self, at: &Location, what: &str, name: &str) {
        if name.to_upper_camel_case() != name || !is_ident(name) {
            self.err(
                at,
                format!(
                    "{what} name `{name}` must be UpperCamelCase (e.g. `{}`)",
                    name.to_upper_camel_case()
                ),
            );
        }
        if RESERVED_TYPE_NAMES.contains(&name) {
            self.err(at, format!("{what} name `{name}` would hide a standard Rust type in generated code; choose another name"));
        }
        if SCALAR_TYPES.contains(&name) || name.starts_with("list") {
            self.err(
                at,
                format!("{what} name `{name}` clashes with a built-in type"),
            );
        }
    }

    fn models(
        &mut self,
        raw: &BTreeMap<Key, Spanned<RawModel>>,
        types: &TypeResolver<'_>,
    ) -> Vec<ir::Model> {
        let mut out = Vec::new();
        for (name_key, m) in raw {
            let name = &name_key.name;
            self.type_name(&name_key.at, "model", name);
            if types.enums.contains(name) {
                self.err(
                    &name_key.at,
                    format!("`{name}` is declared both as a model and as an enum"),
                );
            }
            let mut seen: BTreeMap<String, String> = BTreeMap::new();
            let mut fields = Vec::new();
            for (wire_key, f) in &m.value.fields {
                let wire = &wire_key.name;
                let rust_name = match &f.value.rust_name {
                    Some(rn) => self.explicit_rust_name(rn),
                    None => self.rust_ident(&wire_key.at, "field", wire),
                };
                if rust_name == "extra" {
                    self.err(&wire_key.at, format!("model `{name}`: field name `extra` is reserved for members the spec does not describe; set `rust_name`"));
                }
                if let Some(other) = seen.insert(rust_name.clone(), wire.clone()) {
                    self.err(&wire_key.at, format!("model `{name}`: fields `{other}` and `{wire}` both become `{rust_name}`; set `rust_name` on one"));
                }
                let ty = self.type_ref(&f.value.ty, types);
                if matches!(&ty, TypeRef::List(inner) if inner.is_list()) {
                    self.err(&f.value.ty.referenced, format!("model `{name}`: field `{wire}` is a list of lists; wrap the inner list in a model"));
                }
                if f.value.sensitive && ty != TypeRef::String {
                    self.err(&f.value.ty.referenced, format!("model `{name}`: field `{wire}` is `sensitive`, which only string fields can be"));
                }
                if f.value.required && f.value.read_only {
                    self.err(&wire_key.at, format!("model `{name}`: field `{wire}` cannot be both `required` and `read_only`"));
                }
                fields.push(ir::Field {
                    wire_name: wire.clone(),
                    rust_name,
                    ty,
                    doc: f.value.doc.clone(),
                    required: f.value.required,
                    sensitive: f.value.sensitive,
                    read_only: f.value.read_only,
                    examples: f.value.examples.clone(),
                });
            }
            // `id` first, then alphabetical by Rust name: stable, and reads naturally.
            fields.sort_by(|a, b| {
                (a.rust_name != "id", &a.rust_name).cmp(&(b.rust_name != "id", &b.rust_name))
            });
            out.push(ir::Model {
                name: name.clone(),
                doc: m.value.doc.clone(),
                fields,
                features: Vec::new(),
            });
        }
        out
    }

    fn type_ref(&mut self, ty: &Spanned<String>, types: &TypeResolver<'_>) -> TypeRef {
        match types.resolve(&ty.value) {
            Ok(t) => t,
            Err(msg) => {
                self.err(&ty.referenced, msg);
                TypeRef::Json
            }
        }
    }

    fn resources(
        &mut self,
        raw: &RawSpec,
        types: &TypeResolver<'_>,
        envelope: &ir::Envelope,
        paging: &ir::Paging,
    ) -> Vec<ir::Resource> {
        let mut out = Vec::new();
        let mut rust_names = BTreeMap::new();
        // (method, path, required query names) -> the operation that has it.
        let mut endpoints: BTreeMap<(ir::Method, String, Vec<String>), String> = BTreeMap::new();
        for (name_key, r) in &raw.resources {
            let name = &name_key.name;
            let rust_name = self.rust_ident(&name_key.at, "resource", name);
            if RESERVED_RESOURCES.contains(&rust_name.as_str()) {
                self.err(&name_key.at, format!("resource name `{name}` is taken by the generated client (`{rust_name}`); choose another name"));
            }
            if RESERVED_TYPE_NAMES.contains(&name.to_upper_camel_case().as_str()) {
                self.err(&name_key.at, format!("resource name `{name}` would make a handle type `{}` that hides a name generated code uses", name.to_upper_camel_case()));
            }
            if let Some(other) = rust_names.insert(rust_name.clone(), name.clone()) {
                self.err(
                    &name_key.at,
                    format!("resources `{other}` and `{name}` both become `{rust_name}`"),
                );
            }
            if !r.value.path.value.starts_with('/') {
                self.err(
                    &r.value.path.referenced,
                    format!("resource path `{}` must start with `/`", r.value.path.value),
                );
            }
            let needs_root = matches!(envelope.list, ir::ListEnvelope::ResourceRoot { .. })
                || envelope.item == ir::ItemEnvelope::ResourceRoot
                || envelope.request == ir::RequestEnvelope::ResourceRoot;
            let wire_singular = r.value.wire_singular.as_ref().map(|s| s.value.clone());
            let wire_plural = r.value.wire_plural.as_ref().map(|s| s.value.clone());
            if needs_root && wire_singular.is_none() {
                self.err(&name_key.at, format!("resource `{name}`: the vendor's envelopes use resource root keys, so `wire_singular` is required"));
            }
            if r.value.operations.is_empty() {
                self.err(&name_key.at, format!("resource `{name}` has no operations"));
            }
            let mut resource = ir::Resource {
                name: name.clone(),
                type_name: name.to_upper_camel_case(),
                feature: name.replace('_', "-"),
                rust_name,
                doc: r.value.doc.clone(),
                path: r.value.path.value.clone(),
                wire_singular: wire_singular.unwrap_or_else(|| name.clone()),
                wire_plural: wire_plural.unwrap_or_else(|| name.clone()),
                operations: Vec::new(),
            };
            // Method names on the resource handle, including the derived `_all` / `_pages`.
            let mut methods: BTreeMap<String, String> =
                BTreeMap::from([("new".to_owned(), "the handle's constructor".to_owned())]);
            for (op_key, op) in &r.value.operations {
                let Some(op) = self.operation(name, &resource.path, op_key, op, types, paging)
                else {
                    continue;
                };
                let mut names = vec![op.rust_name.clone()];
                if op.returns == ir::Returns::List {
                    names.push(format!("{}_all", op.rust_name));
                    if op.paged {
                        names.push(format!("{}_pages", op.rust_name));
                    }
                }
                for method in names {
                    if let Some(other) =
                        methods.insert(method.clone(), format!("operation `{}`", op.name))
                    {
                        self.err(&op_key.at, format!("operation `{name}.{}`: its method `{method}` clashes with {other}; rename one", op.name));
                    }
                }
                let required: Vec<String> = op
                    .query
                    .iter()
                    .filter(|q| q.required)
                    .map(|q| q.wire_name.clone())
                    .collect();
                if let Some(other) = endpoints.insert(
                    (op.method, op.path.clone(), required),
                    format!("{name}.{}", op.name),
                ) {
                    self.err(&op_key.at, format!("operation `{name}.{}` has the same method and path ({} {}) as `{other}`", op.name, op.method.as_str(), op.path));
                }
                resource.operations.push(op);
            }
            out.push(resource);
        }
        out
    }

    fn operation(
        &mut self,
        resource: &str,
        resource_path: &str,
        key: &Key,
        raw: &Spanned<RawOperation>,
        types: &TypeResolver<'_>,
        paging: &ir::Paging,
    ) -> Option<ir::Operation> {
        use ir::{Method as M, OperationKind as K};
        let name = key.name.as_str();
        let at = &key.at;
        let o = &raw.value;
        let here = format!("operation `{resource}.{name}`");
        let kind = match name {
            "list" => K::List,
            "get" => K::Get,
            "create" => K::Create,
            "update" => K::Update,
            "delete" => K::Delete,
            _ => K::Action,
        };
        let rust_name = self.rust_ident(at, "operation", name);
        let default_method = match kind {
            K::List | K::Get => Some(M::Get),
            K::Create => Some(M::Post),
            K::Update => Some(M::Put),
            K::Delete => Some(M::Delete),
            K::Action => None,
        };
        let method = match &o.method {
            Some(m) => self.choice(
                "HTTP method",
                m,
                &[
                    ("GET", M::Get),
                    ("POST", M::Post),
                    ("PUT", M::Put),
                    ("PATCH", M::Patch),
                    ("DELETE", M::Delete),
                ],
            ),
            None => {
                if default_method.is_none() {
                    self.err(
                        at,
                        format!("{here}: named actions need an explicit `method`"),
                    );
                }
                default_method
            }
        }?;
        let sub = o.path.as_ref().map(|p| p.value.clone()).unwrap_or_default();
        if let Some(p) = o
            .path
            .as_ref()
            .filter(|p| !p.value.is_empty() && !p.value.starts_with('/'))
        {
            self.err(
                &p.referenced,
                format!("{here}: path `{}` must start with `/`", p.value),
            );
        }
        let path = format!("{resource_path}{sub}");
        let used = placeholders(&path);
        let path_loc = o.path.as_ref().map(|p| p.referenced).unwrap_or(*at);
        for p in &used {
            if !o.path_params.contains_key(p.as_str()) {
                self.err(
                    &path_loc,
                    format!("{here}: path uses `{{{p}}}` but `path_params` does not declare `{p}`"),
                );
            }
        }
        let mut path_params = Vec::new();
        for (pname_key, p) in &o.path_params {
            let pname = &pname_key.name;
            if !used.contains(pname) {
                self.err(
                    &p.referenced,
                    format!("{here}: path parameter `{pname}` is not used in path `{path}`"),
                );
            }
            path_params.push(self.param(&here, pname, p, types, true));
        }
        let query: Vec<_> = o
            .query
            .iter()
            .map(|(q, p)| self.param(&here, q, p, types, false))
            .collect();
        let request = o
            .request
            .as_ref()
            .and_then(|r| self.model_ref(&here, r, types));
        let response = o
            .response
            .as_ref()
            .and_then(|r| self.model_ref(&here, r, types));
        if request.is_some() && method == M::Get {
            self.err(
                &o.request.as_ref().map(|r| r.referenced).unwrap_or(*at),
                format!("{here}: a GET operation cannot have a `request` body"),
            );
        }
        let returns = match &o.returns {
            Some(r) => self.choice(
                "`returns`",
                r,
                &[
                    ("none", ir::Returns::None),
                    ("item", ir::Returns::Item),
                    ("item_or_empty", ir::Returns::ItemOrEmpty),
                    ("list", ir::Returns::List),
                ],
            )?,
            None if response.is_none() => ir::Returns::None,
            None if kind == K::List => ir::Returns::List,
            None => ir::Returns::Item,
        };
        if returns != ir::Returns::None && response.is_none() {
            self.err(
                at,
                format!("{here}: returns a body but names no `response` model"),
            );
        }
        if kind == K::List && returns != ir::Returns::List {
            self.err(at, format!("{here}: a `list` operation must return a list"));
        }
        let paged = match o.paged {
            Some(true) if *paging == ir::Paging::None => {
                self.err(
                    at,
                    format!("{here}: `paged: true` but the vendor's paging style is `none`"),
                );
                false
            }
            Some(true) if returns != ir::Returns::List => {
                self.err(
                    at,
                    format!("{here}: only operations that return a list can be paged"),
                );
                false
            }
            Some(p) => p,
            None => returns == ir::Returns::List && *paging != ir::Paging::None,
        };
        let paging_params: Vec<&str> = match paging {
            ir::Paging::PageNumber {
                page_param,
                size_param,
                ..
            } if paged => vec![page_param, size_param],
            ir::Paging::Cursor { param, .. } if paged => vec![param],
            _ => Vec::new(),
        };
        for q in query
            .iter()
            .filter(|q| paging_params.contains(&q.wire_name.as_str()))
        {
            self.err(at, format!("{here}: query parameter `{}` is set by the paging engine on every page; remove it", q.wire_name));
        }
        let idempotent = o
            .idempotent
            .unwrap_or(matches!(method, M::Get | M::Put | M::Delete));
        Some(ir::Operation {
            name: name.to_owned(),
            rust_name,
            kind,
            doc: o.doc.clone(),
            method,
            path,
            path_params,
            query,
            request,
            response,
            returns,
            paged,
            idempotent,
            root: o.root.as_ref().map(|r| r.value.clone()),
        })
    }

    fn model_ref(
        &mut self,
        here: &str,
        r: &Spanned<String>,
        types: &TypeResolver<'_>,
    ) -> Option<String> {
        if types.models.contains(&r.value) {
            Some(r.value.clone())
        } else {
            self.err(
                &r.referenced,
                format!(
                    "{here}: unknown model `{}`{}",
                    r.value,
                    suggest(&r.value, types.models)
                ),
            );
            None
        }
    }

    fn param(
        &mut self,
        here: &str,
        name: &str,
        p: &Spanned<RawParam>,
        types: &TypeResolver<'_>,
        in_path: bool,
    ) -> ir::Param {
        let ty = self.type_ref(&p.value.ty, types);
        let scalar =
            |t: &TypeRef| !matches!(t, TypeRef::Model(_) | TypeRef::Json | TypeRef::List(_));
        let ok = match &ty {
            TypeRef::List(inner) => !in_path && scalar(inner),
            t => scalar(t),
        };
        if !ok {
            self.err(
                &p.value.ty.referenced,
                format!(
                    "{here}: parameter `{name}` has type `{}`; parameters take scalars or enums{}",
                    p.value.ty.value,
                    if in_path { "" } else { " (or a list of them)" }
                ),
            );
        }
        let rust_name = match &p.value.rust_name {
            Some(rn) => self.explicit_rust_name(rn),
            None => self.rust_ident(&p.referenced, "parameter", name),
        };
        if (in_path || p.value.required) && RESERVED_ARGUMENTS.contains(&rust_name.as_str()) {
            self.err(&p.referenced, format!("{here}: parameter name `{rust_name}` is reserved for the generated method's own arguments; set `rust_name`"));
        }
        let filter = match &p.value.filter {
            Some(f) => self
                .choice(
                    "filter mode",
                    f,
                    &[
                        ("equals", ir::FilterMode::Equals),
                        ("contains", ir::FilterMode::Contains),
                        ("any_of", ir::FilterMode::AnyOf),
                    ],
                )
                .unwrap_or(ir::FilterMode::Equals),
            None => ir::FilterMode::Equals,
        };
        ir::Param {
            wire_name: name.to_owned(),
            rust_name,
            ty,
            required: in_path || p.value.required,
            doc: p.value.doc.clone(),
            filter,
        }
    }
}

struct TypeResolver<'a> {
    models: &'a BTreeSet<String>,
    enums: &'a BTreeSet<String>,
}

impl TypeResolver<'_> {
    fn resolve(&self, text: &str) -> Result<TypeRef, String> {
        let text = text.trim();
        if let Some(inner) = text.strip_prefix("list<").and_then(|t| t.strip_suffix('>')) {
            return Ok(TypeRef::List(Box::new(self.resolve(inner)?)));
        }
        Ok(match text {
            "string" => TypeRef::String,
            "integer" => TypeRef::Integer,
            "number" => TypeRef::Number,
            "boolean" => TypeRef::Boolean,
            "date" => TypeRef::Date,
            "datetime" => TypeRef::DateTime,
            "json" => TypeRef::Json,
            t if self.models.contains(t) => TypeRef::Model(t.to_owned()),
            t if self.enums.contains(t) => TypeRef::Enum(t.to_owned()),
            t => {
                let all: BTreeSet<String> = self
                    .models
                    .iter()
                    .chain(self.enums)
                    .cloned()
                    .chain(SCALAR_TYPES.iter().map(|s| s.to_string()))
                    .collect();
                return Err(format!(
                    "unknown type `{t}`{}; expected one of {}, `list<T>`, or a model or enum declared in this spec",
                    type_suggestion(t, &all),
                    SCALAR_TYPES
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        })
    }
}

/// Gives each model and enum the features of every resource that reaches it.
fn assign_features(spec: &mut ir::Spec) {
    let mut model_features: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut enum_features: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &spec.resources {
        let roots = r
            .operations
            .iter()
            .flat_map(|op| op.request.iter().chain(&op.response))
            .map(String::as_str);
        let models = spec.reachable_models(roots);
        let field_types = models.iter().flat_map(|m| m.fields.iter().map(|f| &f.ty));
        let param_types = r
            .operations
            .iter()
            .flat_map(|op| op.query.iter().chain(&op.path_params))
            .map(|p| &p.ty);
        for ty in field_types.chain(param_types) {
            if let TypeRef::Enum(e) = ty.innermost() {
                enum_features
                    .entry(e.clone())
                    .or_default()
                    .insert(r.feature.clone());
            }
        }
        for m in models {
            model_features
                .entry(m.name.clone())
                .or_default()
                .insert(r.feature.clone());
        }
    }
    for m in &mut spec.models {
        m.features = model_features
            .remove(&m.name)
            .unwrap_or_default()
            .into_iter()
            .collect();
    }
    for e in &mut spec.enums {
        e.features = enum_features
            .remove(&e.name)
            .unwrap_or_default()
            .into_iter()
            .collect();
    }
}

fn placeholders(template: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                out.insert(after[..end].to_owned());
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

fn http_header_name_invalid(s: &str) -> bool {
    s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
