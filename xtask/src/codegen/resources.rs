//! `src/resources/`: per resource, its operation descriptors, query types and a handle whose
//! methods are one-line calls into `erp_runtime::Client`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use erp_spec::ir::{BodyKind, Operation, Param, Resource, Returns, Spec};

use super::docs;
use super::names::{constant, ident};
use super::types::{param_type, rust_type};

pub fn emit_mod(spec: &Spec) -> TokenStream {
    let doc = docs::inner(&format!(
        "One handle per resource of the {} API. Each resource is a cargo feature (all on by default), \nso a program that needs few resources can build only those.",
        spec.vendor.title
    ));
    let items = spec.resources.iter().map(|r| {
        let module = ident(&r.rust_name);
        let handle = ident(&r.type_name);
        let feature = &r.feature;
        let doc = docs::outer(&r.doc);
        quote! {
            #doc
            #[cfg(feature = #feature)]
            pub mod #module;
            #[cfg(feature = #feature)]
            pub use #module::#handle;
        }
    });
    quote! {
        #doc
        #(#items)*
    }
}

pub fn emit_resource(spec: &Spec, r: &Resource) -> TokenStream {
    let doc = docs::inner(&format!("{}\n\nBase path: `{}`.", r.doc, r.path));
    let descriptors = ResourceStatics::new(spec, r);
    let resource_static = descriptors.resource();
    let statics = r
        .operations
        .iter()
        .zip(&descriptors.operations)
        .map(|(op, d)| descriptor(op, d));
    let queries = r.operations.iter().filter_map(|op| query_struct(r, op));
    let handle = ident(&r.type_name);
    let handle_doc = docs::outer(&format!(
        "{}\n\nGet one from the vendor client's `{}()` method.",
        r.doc, r.rust_name
    ));
    let methods = r.operations.iter().map(|op| methods(spec, r, op));
    let get_or_create = r.get_or_create.then(|| get_or_create(r)).flatten();
    quote! {
        #doc
        #![allow(clippy::doc_markdown)]

        use erp_runtime::descriptor::*;
        use erp_runtime::Request;

        #resource_static
        #(#statics)*
        #(#queries)*

        #handle_doc
        #[derive(Debug, Clone, Copy)]
        pub struct #handle<'a> {
            client: &'a erp_runtime::Client,
        }

        impl<'a> #handle<'a> {
            pub(crate) fn new(client: &'a erp_runtime::Client) -> Self {
                Self { client }
            }

            #(#methods)*
            #get_or_create
        }
    }
}

/// The names `call` gives the arguments of `op`, in its order (for forwarding them).
fn arg_names(op: &Operation) -> Vec<TokenStream> {
    let mut names: Vec<TokenStream> = op
        .path_params
        .iter()
        .chain(op.query.iter().filter(|p| p.required))
        .map(|p| {
            let name = ident(&p.rust_name);
            quote!(#name)
        })
        .collect();
    match op.body {
        BodyKind::Structured | BodyKind::Form if op.request.is_some() => names.push(quote!(body)),
        BodyKind::Multipart => names.push(quote!(form)),
        BodyKind::Bytes { .. } => names.push(quote!(data)),
        _ => {}
    }
    if !optional_query(op).is_empty() {
        names.push(quote!(query));
    }
    names
}

/// `get_or_create`: the resource's `get`, and its `create` on a 404 only (the spec's
/// `get_or_create: true`; the validator made sure both exist and fit).
fn get_or_create(r: &Resource) -> Option<TokenStream> {
    use erp_spec::ir::OperationKind;
    let get = r.operations.iter().find(|o| o.kind == OperationKind::Get)?;
    let create = r
        .operations
        .iter()
        .find(|o| o.kind == OperationKind::Create)?;
    let item = ident(get.response.as_deref()?);
    let (get_name, create_name) = (ident(&get.rust_name), ident(&create.rust_name));
    let mut args = call(r, get).args;
    args.extend(call(r, create).args);
    let get_args = arg_names(get);
    let create_args = arg_names(create);
    let doc = docs::outer(&format!(
        "Fetches the object with [`Self::{}`] and, only when the vendor answers that it does not exist ([`erp_runtime::Error::NotFound`]), creates it from `body` with [`Self::{}`]. Every other error is returned as it is.",
        get.rust_name, create.rust_name
    ));
    Some(quote! {
        #doc
        pub async fn get_or_create(&self, #(#args),*) -> erp_runtime::Result<crate::models::#item> {
            erp_runtime::get_or_create(self.#get_name(#(#get_args),*), || self.#create_name(#(#create_args),*)).await
        }
    })
}

/// The descriptors of one resource, built by `erp_spec::descriptors` (the same function the
/// test drivers use) and written back as Rust.
struct ResourceStatics {
    info: &'static erp_descriptor::ResourceInfo,
    operations: Vec<erp_descriptor::Operation>,
}

impl ResourceStatics {
    fn new(spec: &Spec, r: &Resource) -> Self {
        use erp_spec::descriptors;
        let vendor = Box::leak(Box::new(descriptors::vendor_info(spec)));
        let info = Box::leak(Box::new(descriptors::resource_info(vendor, r)));
        let operations = r
            .operations
            .iter()
            .map(|op| descriptors::operation(spec, info, op))
            .collect();
        ResourceStatics { info, operations }
    }

    fn resource(&self) -> TokenStream {
        let doc = docs::outer(&format!(
            "The `{}` resource: the vendor and the list root key its operations share.",
            self.info.name
        ));
        let info = erp_descriptor::emit_resource_info(self.info, &quote!(crate::VENDOR));
        quote! {
            #doc
            pub static RESOURCE: ResourceInfo = #info;
        }
    }
}

fn descriptor(op: &Operation, d: &erp_descriptor::Operation) -> TokenStream {
    let name = constant(&op.name);
    let doc = docs::outer(&format!(
        "`{} {}`: {}",
        op.method.as_str(),
        op.path,
        first_sentence(&op.doc)
    ));
    let value = erp_descriptor::emit_operation(d, &quote!(RESOURCE));
    quote! {
        #doc
        pub static #name: Operation = #value;
    }
}

fn optional_query(op: &Operation) -> Vec<&Param> {
    op.query.iter().filter(|p| !p.required).collect()
}

fn query_struct(r: &Resource, op: &Operation) -> Option<TokenStream> {
    let params = optional_query(op);
    if params.is_empty() {
        return None;
    }
    let name = ident(&op.query_type_name(r));
    let doc = docs::outer(&format!(
        "Optional parameters of [`{}::{}`]. Unset fields are not sent; build one with \n`{} {{ field: Some(..), ..Default::default() }}`.",
        r.type_name,
        op.rust_name,
        op.query_type_name(r)
    ));
    let fields = params.iter().map(|p| {
        let field = ident(&p.rust_name);
        let fdoc = docs::outer(&p.doc);
        let inner = rust_type(&p.ty, false);
        let rename = (p.rust_name != p.wire_name).then(|| {
            let wire = &p.wire_name;
            quote!(rename = #wire,)
        });
        if p.ty.is_list() {
            quote! {
                #fdoc
                #[serde(#rename skip_serializing_if = "Vec::is_empty")]
                pub #field: #inner,
            }
        } else {
            quote! {
                #fdoc
                #[serde(#rename skip_serializing_if = "Option::is_none")]
                pub #field: Option<#inner>,
            }
        }
    });
    Some(quote! {
        #doc
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
        pub struct #name {
            #(#fields)*
        }
    })
}

/// Arguments and request-building calls shared by every method of one operation.
struct Call {
    args: Vec<TokenStream>,
    request: TokenStream,
}

fn call(r: &Resource, op: &Operation) -> Call {
    let mut args = Vec::new();
    let mut request = quote!(Request::new());
    for p in &op.path_params {
        let name = ident(&p.rust_name);
        let ty = param_type(&p.ty);
        let wire = &p.wire_name;
        args.push(quote!(#name: #ty));
        request = quote!(#request.path(#wire, #name));
    }
    for p in op.query.iter().filter(|p| p.required) {
        let name = ident(&p.rust_name);
        let ty = param_type(&p.ty);
        let wire = &p.wire_name;
        args.push(quote!(#name: #ty));
        request = quote!(#request.query_param(#wire, #name));
    }
    match (op.body, &op.request) {
        (BodyKind::Structured | BodyKind::Form, Some(model)) => {
            let model = ident(model);
            args.push(quote!(body: &crate::models::#model));
            request = quote!(#request.body(body));
        }
        (BodyKind::Multipart, _) => {
            args.push(quote!(form: erp_runtime::Multipart));
            request = quote!(#request.multipart(form));
        }
        (BodyKind::Bytes { .. }, _) => {
            args.push(quote!(data: impl Into<erp_runtime::Bytes>));
            request = quote!(#request.bytes(data, None));
        }
        _ => {}
    }
    if !optional_query(op).is_empty() {
        let q = ident(&op.query_type_name(r));
        args.push(quote!(query: &#q));
        request = quote!(#request.query(query));
    }
    Call { args, request }
}

fn methods(spec: &Spec, r: &Resource, op: &Operation) -> TokenStream {
    let descriptor = constant(&op.name);
    let name = ident(&op.rust_name);
    let Call { args, request } = call(r, op);
    let mut endpoint = format!("`{} {}`", op.method.as_str(), op.path);
    // A condition on the configuration, checked before anything is sent.
    let guard = op.requires.as_ref().map(|req| {
        let (var, needle) = (&req.base_var, &req.contains);
        endpoint = format!(
            "{endpoint}. Refused with [`erp_runtime::Error::NotAllowed`], before anything is sent, unless the base URL variable `{var}` contains `{needle}`"
        );
        quote!(self.client.require_variable_contains(&#descriptor, #var, #needle)?;)
    });
    let response = op.response.as_ref().map(|m| {
        let m = ident(m);
        quote!(crate::models::#m)
    });
    match (op.returns, response) {
        (Returns::List, Some(item)) => {
            let paging_note = if op.paging.is_paged() {
                "Pages are fetched lazily as the stream is read, with every filter kept on every page."
            } else {
                "The vendor returns the whole list in one response."
            };
            let doc = docs::outer(&format!("{}\n\n{endpoint}. {paging_note}", op.doc));
            let all = format_ident!("{}_all", op.rust_name);
            let all_doc = docs::outer(&format!(
                "Like [`Self::{}`], collected into a `Vec`. Meant for small lists: use the stream to process large ones as they arrive.",
                op.rust_name
            ));
            let pages = op.paging.is_paged().then(|| {
                let pages = format_ident!("{}_pages", op.rust_name);
                let pages_doc = docs::outer(&format!(
                    "Like [`Self::{}`], page by page, with the totals the vendor reports (for progress display).",
                    op.rust_name
                ));
                quote! {
                    #pages_doc
                    pub fn #pages(&self, #(#args),*) -> erp_runtime::Pages<#item> {
                        self.client.pages(&#descriptor, #request)
                    }
                }
            });
            quote! {
                #doc
                pub fn #name(&self, #(#args),*) -> erp_runtime::Items<#item> {
                    self.client.items(&#descriptor, #request)
                }

                #pages

                #all_doc
                pub async fn #all(&self, #(#args),*) -> erp_runtime::Result<Vec<#item>> {
                    #guard
                    self.client.all(&#descriptor, #request).await
                }
            }
        }
        (Returns::Item, Some(item)) => {
            let not_found = if matches!(
                spec.envelope.item,
                erp_spec::ir::ItemEnvelope::FirstOfList { .. }
            ) || op.method == erp_spec::ir::Method::Get
            {
                " An unknown id is reported as [`erp_runtime::Error::NotFound`]."
            } else {
                ""
            };
            let doc = docs::outer(&format!("{}\n\n{endpoint}.{not_found}", op.doc));
            quote! {
                #doc
                pub async fn #name(&self, #(#args),*) -> erp_runtime::Result<#item> {
                    #guard
                    self.client.item(&#descriptor, #request).await
                }
            }
        }
        (Returns::ItemOrEmpty, Some(item)) => {
            let doc = docs::outer(&format!(
                "{}\n\n{endpoint}. The vendor may answer with an empty body instead of the object; that is `Ok(None)`.",
                op.doc
            ));
            quote! {
                #doc
                pub async fn #name(&self, #(#args),*) -> erp_runtime::Result<Option<#item>> {
                    #guard
                    self.client.item_or_empty(&#descriptor, #request).await
                }
            }
        }
        (Returns::Bytes | Returns::ByteStream | Returns::Text, _) => {
            let (output, call, note) = match op.returns {
                Returns::Bytes => (
                    quote!(erp_runtime::Binary),
                    quote!(bytes),
                    " The whole file is read into memory; its content type and file name come with it.",
                ),
                Returns::ByteStream => (
                    quote!(erp_runtime::ByteStream),
                    quote!(byte_stream),
                    " The file arrives as a stream of chunks and is never held in memory whole.",
                ),
                _ => (quote!(String), quote!(text), ""),
            };
            let doc = docs::outer(&format!("{}\n\n{endpoint}.{note}", op.doc));
            quote! {
                #doc
                pub async fn #name(&self, #(#args),*) -> erp_runtime::Result<#output> {
                    #guard
                    self.client.#call(&#descriptor, #request).await
                }
            }
        }
        _ => {
            let doc = docs::outer(&format!("{}\n\n{endpoint}.", op.doc));
            quote! {
                #doc
                pub async fn #name(&self, #(#args),*) -> erp_runtime::Result<()> {
                    #guard
                    self.client.unit(&#descriptor, #request).await
                }
            }
        }
    }
}

fn first_sentence(text: &str) -> String {
    let text = text.trim();
    match text.find(". ") {
        Some(i) => text[..=i].to_owned(),
        None => text.to_owned(),
    }
}
