//! Validation: turns a [`RawSpec`] into an [`ir::Spec`], collecting every problem on the way.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};
use serde_saphyr::{Location, Spanned};

use erp_descriptor::intern;

use crate::error::{SpecError, SpecErrors};
use crate::ir::{self, TypeRef};
use crate::raw::*;
use crate::suggest::{suggest, type_suggestion};

mod auth;
mod client;
mod effects;
mod paging;
mod realism;
mod sandbox;

/// Validates a parsed spec. Returns every error found, not just the first.
pub fn validate(source: &str, raw: RawSpec) -> Result<ir::Spec, SpecErrors> {
    let mut v = Validator {
        file: source.to_owned(),
        errors: Vec::new(),
        concurrency_at: Vec::new(),
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
    /// Where a paging section asks for pages at once (checked against the list envelope,
    /// which must report the total that names the later pages).
    concurrency_at: Vec<(Location, String)>,
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
    "string", "integer", "int64", "number", "decimal", "boolean", "date", "datetime", "guid",
    "bytes", "json",
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
        let paging = raw
            .paging
            .as_ref()
            .map_or(ir::Paging::None, |p| self.paging(p, ""));
        let rate_limits = self.rate_limits(&raw.rate_limits);
        let errors = self.errors(&raw.errors);
        let enums = self.enums(&raw.enums);
        let known_models: BTreeSet<String> = raw.models.keys().map(|k| k.name.clone()).collect();
        let known_enums: BTreeSet<String> = raw.enums.keys().map(|k| k.name.clone()).collect();
        let types = TypeResolver {
            models: &known_models,
            enums: &known_enums,
        };
        let mut models = self.models(&raw.models, &types);
        let resources = self.resources(&raw, &types, &envelope, &wire, &paging, &base_url);
        self.concurrency_needs_total(&envelope);
        let links = self.links(&raw.links, &base_url, &resources, &types);
        self.realism(&raw.models, &mut models, &resources);
        let sandbox = self.sandbox(raw.sandbox.as_ref(), &auth, &rate_limits);
        let mut spec = ir::Spec {
            source: self.file.clone(),
            vendor,
            base_url,
            auth,
            wire,
            envelope,
            paging,
            rate_limits,
            errors,
            resources,
            models,
            enums,
            links,
            sandbox,
        };
        spec.sandbox.resources = self.effects(&raw, &spec);
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
                        ("native", ir::BoolEncoding::Native),
                        ("one_zero", ir::BoolEncoding::OneZero),
                    ],
                )
                .unwrap_or(ir::BoolEncoding::Native),
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
            headers: self.headers(&w.headers),
            idempotency_key: w
                .idempotency_key
                .as_ref()
                .map(|k| self.idempotency_header(k)),
        }
    }

    /// The header of an idempotency key: a valid HTTP header name.
    fn idempotency_header(&mut self, raw: &Spanned<crate::raw::RawIdempotencyKey>) -> String {
        let header = &raw.value.header;
        if http_header_name_invalid(&header.value) {
            self.err(
                &header.referenced,
                format!(
                    "`idempotency_key.header`: `{}` is not a valid HTTP header name",
                    header.value
                ),
            );
        }
        header.value.clone()
    }

    /// Extra request headers: valid names, values without line breaks.
    fn headers(&mut self, raw: &BTreeMap<Key, Spanned<String>>) -> Vec<(String, String)> {
        raw.iter()
            .map(|(name, value)| {
                if http_header_name_invalid(&name.name) {
                    self.err(
                        &name.at,
                        format!("`{}` is not a valid HTTP header name", name.name),
                    );
                }
                if value.value.contains(['\r', '\n']) {
                    self.err(
                        &value.referenced,
                        "header values cannot contain line breaks",
                    );
                }
                (name.name.clone(), value.value.clone())
            })
            .collect()
    }

    fn key(&mut self, style: &Spanned<String>, key: &Option<Spanned<String>>) -> &'static str {
        match key {
            Some(k) if !k.value.is_empty() && !k.value.split('.').any(str::is_empty) => {
                intern(&k.value)
            }
            _ => {
                self.err(
                    &style.referenced,
                    format!(
                        "envelope style `{}` needs a `key` (a member name or dotted path)",
                        style.value
                    ),
                );
                ""
            }
        }
    }

    fn envelope(&mut self, raw: &Spanned<RawEnvelope>) -> ir::Envelope {
        #[derive(Clone, Copy)]
        enum L {
            Data,
            Root,
            Any,
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
                ("any_root", L::Any),
                ("odata", L::OData),
                ("bare", L::Bare),
            ],
        ) {
            Some(L::Data) => ir::ListEnvelope::DataField {
                key: self.key(&l.style, &l.key),
                total: l.total.as_deref().map(intern),
            },
            Some(L::Root) => ir::ListEnvelope::ResourceRoot {
                total: l.total.as_deref().map(intern),
                page: l.page.as_deref().map(intern),
                per_page: l.per_page.as_deref().map(intern),
            },
            Some(L::Any) => ir::ListEnvelope::AnyRoot,
            Some(L::OData) => ir::ListEnvelope::OData,
            Some(L::Bare) | None => ir::ListEnvelope::Bare,
        };
        #[derive(Clone, Copy)]
        enum I {
            Data,
            First,
            Root,
            Any,
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
                ("any_root", I::Any),
                ("odata", I::OData),
                ("bare", I::Bare),
            ],
        ) {
            Some(I::Data) => ir::ItemEnvelope::DataField(self.key(&i.style, &i.key)),
            Some(I::First) => ir::ItemEnvelope::FirstOfList(self.key(&i.style, &i.key)),
            Some(I::Root) => ir::ItemEnvelope::ResourceRoot,
            Some(I::Any) => ir::ItemEnvelope::AnyRoot,
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
        }
    }

    fn rate_limits(&mut self, raw: &[Spanned<RawRateLimit>]) -> Vec<ir::RateLimit> {
        let mut names = BTreeSet::new();
        raw.iter()
            .map(|r| {
                let window = self.rate_limit(r);
                if !names.insert(window.window.name) {
                    self.err(
                        &r.value.name.referenced,
                        format!(
                            "rate-limit window `{}` is declared twice",
                            window.window.name
                        ),
                    );
                }
                window
            })
            .collect()
    }

    fn rate_limit(&mut self, raw: &Spanned<RawRateLimit>) -> ir::RateLimit {
        let r = &raw.value;
        let reset_unit = match &r.reset {
            Some(unit) => self
                .choice(
                    "rate-limit reset unit",
                    unit,
                    &[
                        ("epoch_seconds", ir::ResetUnit::EpochSeconds),
                        ("epoch_millis", ir::ResetUnit::EpochMillis),
                        ("delta_seconds", ir::ResetUnit::DeltaSeconds),
                    ],
                )
                .unwrap_or(ir::ResetUnit::EpochSeconds),
            None => {
                if r.reset_header.is_some() {
                    self.err(
                        &r.name.referenced,
                        "a rate-limit window with a `reset_header` needs `reset` (epoch_seconds, epoch_millis or delta_seconds)",
                    );
                }
                ir::ResetUnit::DeltaSeconds
            }
        };
        let when_exhausted = match &r.when_exhausted {
            Some(w) => self
                .choice(
                    "`when_exhausted`",
                    w,
                    &[
                        ("wait", ir::WhenExhausted::Wait),
                        ("fail_fast", ir::WhenExhausted::FailFast),
                    ],
                )
                .unwrap_or(ir::WhenExhausted::Wait),
            None => ir::WhenExhausted::Wait,
        };
        if r.window_seconds.value == 0 {
            self.err(
                &r.window_seconds.referenced,
                "rate-limit window_seconds must be positive",
            );
        }
        for header in [&r.limit_header, &r.remaining_header, &r.reset_header]
            .into_iter()
            .flatten()
        {
            if http_header_name_invalid(header) {
                self.err(
                    &r.name.referenced,
                    format!("`{header}` is not a valid HTTP header name"),
                );
            }
        }
        ir::RateLimit {
            window: ir::RateWindow {
                name: intern(&r.name.value),
                limit_header: r.limit_header.as_deref().map(intern),
                remaining_header: r.remaining_header.as_deref().map(intern),
                reset_header: r.reset_header.as_deref().map(intern),
                reset_unit,
                seconds: Some(r.window_seconds.value),
                when_exhausted,
            },
            window_seconds: r.window_seconds.value,
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
        for p in e.message.iter().chain(&e.code).chain(&e.in_success) {
            if p.value.is_empty() || p.value.split('.').any(str::is_empty) {
                self.err(
                    &p.referenced,
                    format!("`{}` is not a dotted path like `errors.error`", p.value),
                );
            }
        }
        if let Some(header) = &e.request_id
            && http_header_name_invalid(&header.value)
        {
            self.err(
                &header.referenced,
                format!(
                    "`errors.request_id`: `{}` is not a valid HTTP header name",
                    header.value
                ),
            );
        }
        ir::Errors {
            request_id: e.request_id.as_ref().map(|h| h.value.clone()),
            message_paths: e.message.iter().map(|p| p.value.clone()).collect(),
            code_paths: e.code.iter().map(|p| p.value.clone()).collect(),
            in_success: e.in_success.iter().map(|p| p.value.clone()).collect(),
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
            // Every wire name and alias of the model, to the field that has it.
            let mut wire_names: BTreeMap<String, String> = m
                .value
                .fields
                .keys()
                .map(|k| (k.name.clone(), k.name.clone()))
                .collect();
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
                    aliases: self.aliases(name, wire, &f.value.aliases, &mut wire_names),
                    // The rest of the part is checked once every model is known (`realism`).
                    sandbox: ir::FieldSandbox {
                        examples: f
                            .value
                            .sandbox
                            .as_ref()
                            .and_then(|s| s.value.examples.as_ref())
                            .map(|e| e.value.clone())
                            .unwrap_or_default(),
                        ..Default::default()
                    },
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
        wire: &ir::Wire,
        paging: &ir::Paging,
        base_url: &ir::BaseUrl,
    ) -> Vec<ir::Resource> {
        let mut out = Vec::new();
        let mut rust_names = BTreeMap::new();
        // (method, path, required query names) -> the operation that has it.
        let mut endpoints: BTreeMap<(ir::Method, String, Vec<String>, String), String> =
            BTreeMap::new();
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
            let group = r.value.group.as_ref().map(|g| {
                let valid = !g.value.is_empty()
                    && g.value.starts_with(|c: char| c.is_ascii_lowercase())
                    && g.value
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
                if !valid {
                    self.err(&g.referenced, format!("resource group `{}` must be lower case letters, digits, `-` or `_` (it becomes a cargo feature)", g.value));
                }
                g.value.clone()
            });
            let mut resource = ir::Resource {
                name: name.clone(),
                type_name: name.to_upper_camel_case(),
                feature: group.as_deref().unwrap_or(name).replace('_', "-"),
                group,
                rust_name,
                doc: r.value.doc.clone(),
                path: r.value.path.value.clone(),
                wire_singular: wire_singular.unwrap_or_else(|| name.clone()),
                wire_plural: wire_plural.unwrap_or_else(|| name.clone()),
                get_or_create: false,
                operations: Vec::new(),
            };
            // Method names on the resource handle, including the derived `_all` / `_pages`.
            let mut methods: BTreeMap<String, String> =
                BTreeMap::from([("new".to_owned(), "the handle's constructor".to_owned())]);
            for (op_key, op) in &r.value.operations {
                let context = OperationContext {
                    resource: name,
                    resource_path: &resource.path,
                    wire_singular: &resource.wire_singular,
                    wire,
                    paging,
                    variables: &base_url.variables,
                };
                let Some(op) = self.operation(&context, op_key, op, types) else {
                    continue;
                };
                let mut names = vec![op.rust_name.clone()];
                if op.returns == ir::Returns::List {
                    names.push(format!("{}_all", op.rust_name));
                    if op.paging.is_paged() {
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
                // Two answers of one path in different media types are two endpoints
                // (content negotiation by `Accept`).
                if let Some(other) = endpoints.insert(
                    (op.method, op.path.clone(), required, op.accept.clone()),
                    format!("{name}.{}", op.name),
                ) {
                    self.err(&op_key.at, format!("operation `{name}.{}` has the same method and path ({} {}) as `{other}`", op.name, op.method.as_str(), op.path));
                }
                resource.operations.push(op);
            }
            if let Some(flag) = r.value.get_or_create.as_ref().filter(|f| f.value) {
                resource.get_or_create = self.get_or_create(&flag.referenced, &resource);
                if let Some(other) = methods.get("get_or_create") {
                    self.err(
                        &flag.referenced,
                        format!("resource `{name}`: `get_or_create` clashes with {other}"),
                    );
                }
            }
            out.push(resource);
        }
        out
    }

    fn operation(
        &mut self,
        context: &OperationContext<'_>,
        key: &Key,
        raw: &Spanned<RawOperation>,
        types: &TypeResolver<'_>,
    ) -> Option<ir::Operation> {
        use ir::{Method as M, OperationKind as K};
        let resource = context.resource;
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
        // A path continues the resource's: `/{id}` adds a segment, `(guid'{id}')` or
        // `.xml` continue the last one (OData keys, format suffixes).
        if let Some(p) = o.path.as_ref().filter(|p| {
            p.value.contains(['?', '#', ' '])
                || p.value.contains("//")
                || !braces_balanced(&p.value)
        }) {
            self.err(
                &p.referenced,
                format!("{here}: path `{}` must be a path (no `?`, `#`, spaces or `//`; `{{name}}` placeholders closed)", p.value),
            );
        }
        let path = format!("{}{sub}", context.resource_path);
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
                    ("bytes", ir::Returns::Bytes),
                    ("byte_stream", ir::Returns::ByteStream),
                    ("text", ir::Returns::Text),
                ],
            )?,
            None if response.is_none() => ir::Returns::None,
            None if kind == K::List => ir::Returns::List,
            None => ir::Returns::Item,
        };
        if returns.is_structured() && response.is_none() {
            self.err(
                at,
                format!("{here}: returns a body but names no `response` model"),
            );
        }
        if kind == K::List && returns != ir::Returns::List {
            self.err(at, format!("{here}: a `list` operation must return a list"));
        }
        if !returns.is_structured()
            && let Some(r) = &o.response
        {
            self.err(
                &r.referenced,
                format!(
                    "{here}: an operation that returns `{}` has no `response` model",
                    o.returns.as_ref().map_or("none", |r| r.value.as_str())
                ),
            );
        }
        let format = match &o.format {
            Some(f) => self
                .choice(
                    "wire format",
                    f,
                    &[("json", ir::WireFormat::Json), ("xml", ir::WireFormat::Xml)],
                )
                .unwrap_or(context.wire.format),
            None => context.wire.format,
        };
        let body = self.body_kind(&here, o, request.is_some(), method);
        let mut headers = context.wire.headers.clone();
        for (name, value) in self.headers(&o.headers) {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
            headers.push((name, value));
        }
        let accept = match (&o.accept, returns) {
            (Some(a), _) => a.value.clone(),
            (None, ir::Returns::Bytes | ir::Returns::ByteStream) => "*/*".to_owned(),
            (None, ir::Returns::Text) => "text/plain, */*".to_owned(),
            (None, _) => format.media_type().to_owned(),
        };
        let paging = self.operation_paging(&here, at, o, returns, context.paging);
        let taken = paging.query_params();
        for q in query
            .iter()
            .filter(|q| taken.contains(&q.wire_name.as_str()))
        {
            self.err(at, format!("{here}: query parameter `{}` is set by the paging engine on every page; remove it", q.wire_name));
        }
        let idempotent = o
            .idempotent
            .unwrap_or(matches!(method, M::Get | M::Put | M::Delete));
        let idempotency_key = match &o.idempotency_key {
            Some(k) => {
                if idempotent {
                    self.err(
                        &k.referenced,
                        format!("{here}: `idempotency_key` applies to operations that are not idempotent, and this one is (say `idempotent: false` if repeating it is not safe)"),
                    );
                }
                Some(self.idempotency_header(k))
            }
            // The vendor's key goes with every write that may not be repeated as it is.
            None => context.wire.idempotency_key.clone().filter(|_| !idempotent),
        };
        if let Some(header) = &idempotency_key
            && headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(header))
        {
            let loc = o.idempotency_key.as_ref().map_or(*at, |k| k.referenced);
            self.err(
                &loc,
                format!("{here}: `{header}` carries the idempotency key, so it cannot also be one of the fixed `headers`"),
            );
        }
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
            format,
            body,
            returns,
            accept,
            headers,
            paging,
            idempotent,
            idempotency_key,
            root: o
                .root
                .as_ref()
                .map_or_else(|| context.wire_singular.to_owned(), |r| r.value.clone()),
            requires: o.requires.as_ref().map(|r| {
                if returns == ir::Returns::List {
                    self.err(&r.referenced, format!("{here}: `requires` applies to operations that return no list (a stream checks nothing before its first page)"));
                }
                self.requires(&here, r, context.variables)
            }),
        })
    }

    /// The request body kind: `structured` when a request model is named, unless the spec says
    /// `form`, `multipart`, `bytes` or `none`.
    fn body_kind(
        &mut self,
        here: &str,
        o: &RawOperation,
        has_model: bool,
        method: ir::Method,
    ) -> ir::BodyKind {
        #[derive(Clone, Copy, PartialEq)]
        enum B {
            None,
            Structured,
            Form,
            Multipart,
            Bytes,
        }
        let kind = match &o.body {
            Some(b) => self
                .choice(
                    "body kind",
                    b,
                    &[
                        ("none", B::None),
                        ("structured", B::Structured),
                        ("form", B::Form),
                        ("multipart", B::Multipart),
                        ("bytes", B::Bytes),
                    ],
                )
                .unwrap_or(B::None),
            None if has_model => B::Structured,
            None => B::None,
        };
        let at = o.body.as_ref().map(|b| b.referenced);
        if matches!(kind, B::Structured | B::Form) && !has_model {
            self.err(
                &at.unwrap_or(Location::UNKNOWN),
                format!("{here}: a `structured` or `form` body needs a `request` model"),
            );
        }
        if matches!(kind, B::None | B::Bytes)
            && has_model
            && let Some(r) = &o.request
        {
            self.err(
                &r.referenced,
                format!("{here}: a body of kind `none` or `bytes` takes no `request` model"),
            );
        }
        if kind != B::None && method == ir::Method::Get {
            self.err(
                &at.or(o.request.as_ref().map(|r| r.referenced))
                    .unwrap_or(Location::UNKNOWN),
                format!("{here}: a GET operation cannot have a request body"),
            );
        }
        if let Some(ct) = &o.content_type
            && kind != B::Bytes
        {
            self.err(
                &ct.referenced,
                format!("{here}: `content_type` is only for `body: bytes`"),
            );
        }
        match kind {
            B::None => ir::BodyKind::None,
            B::Structured => ir::BodyKind::Structured,
            B::Form => ir::BodyKind::Form,
            B::Multipart => ir::BodyKind::Multipart,
            B::Bytes => ir::BodyKind::Bytes {
                content_type: o.content_type.as_ref().map(|c| intern(&c.value)),
            },
        }
    }

    /// A list operation's paging: its own `paging`, else the vendor's unless `paged: false`.
    fn operation_paging(
        &mut self,
        here: &str,
        at: &Location,
        o: &RawOperation,
        returns: ir::Returns,
        vendor: &ir::Paging,
    ) -> ir::Paging {
        let own = o
            .paging
            .as_ref()
            .map(|p| self.paging(p, &format!("{here}: ")));
        if returns != ir::Returns::List {
            if o.paging.is_some() || o.paged == Some(true) {
                self.err(
                    at,
                    format!("{here}: only operations that return a list can be paged"),
                );
            }
            return ir::Paging::None;
        }
        match (own, o.paged) {
            (Some(_), Some(false)) => {
                self.err(
                    at,
                    format!("{here}: `paged: false` and a `paging` section contradict each other"),
                );
                ir::Paging::None
            }
            (Some(own), _) => own,
            (None, Some(false)) => ir::Paging::None,
            (None, Some(true)) if *vendor == ir::Paging::None => {
                self.err(
                    at,
                    format!("{here}: `paged: true` but the vendor's paging style is `none`"),
                );
                ir::Paging::None
            }
            (None, _) => *vendor,
        }
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
        let sandbox = p.value.sandbox.as_ref();
        if let Some(s) = sandbox.filter(|_| in_path) {
            // The sandbox filters lists by query parameters; a path parameter names the record.
            self.err(
                &s.referenced,
                format!("{here}: path parameter `{name}` takes no `sandbox` settings (`filter` applies to query parameters)"),
            );
        }
        let filter = match sandbox.and_then(|s| s.value.filter.as_ref()) {
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

/// What an operation inherits from its resource and vendor.
struct OperationContext<'a> {
    resource: &'a str,
    resource_path: &'a str,
    wire_singular: &'a str,
    wire: &'a ir::Wire,
    paging: &'a ir::Paging,
    variables: &'a [ir::Variable],
}

/// Whether every `{` is closed by a `}` before the next `{`.
fn braces_balanced(path: &str) -> bool {
    let mut open = false;
    for c in path.chars() {
        match c {
            '{' if open => return false,
            '{' => open = true,
            '}' if !open => return false,
            '}' => open = false,
            _ => {}
        }
    }
    !open
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
            "int64" => TypeRef::Integer,
            "decimal" => TypeRef::Decimal,
            "guid" => TypeRef::Guid,
            "bytes" => TypeRef::Bytes,
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
