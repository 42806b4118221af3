//! `src/models.rs`: one struct per spec model, one enum per spec enum.

use proc_macro2::TokenStream;
use quote::quote;

use std::collections::BTreeSet;

use erp_spec::ir::{Enum, Field, Model, Spec, TypeRef};

use super::docs;
use super::names::ident;
use super::types::{has_default, model_field_type};

pub fn emit(spec: &Spec) -> TokenStream {
    let module_doc = docs::inner(&format!(
        "Data types of the {} API, as described in `{}`.\n\nDecoding is lenient where the vendor is: numbers and booleans may arrive as strings, `\"\"` and `null` mean \"not set\", \none item may stand for a list, and enum values this crate does not know are kept in an `Unknown` variant. \nMembers the spec does not describe are kept in each model's `extra` map. \n\nThe leniency lives in the decoder (`erp_runtime::lenient`), which the client uses for every \nresponse and [`crate::from_json`] offers for other values; the models carry plain derives.",
        spec.vendor.title,
        super::spec_display_path(&spec.source)
    ));
    let models = spec.models.iter().map(|m| model(spec, m));
    let enums = spec.enums.iter().map(enumeration);
    quote! {
        #module_doc
        #![allow(clippy::doc_markdown)]

        #(#models)*
        #(#enums)*
    }
}

pub fn cfg(features: &[String]) -> TokenStream {
    match features {
        [] => quote!(),
        [one] => quote!(#[cfg(feature = #one)]),
        many => quote!(#[cfg(any(#(feature = #many),*))]),
    }
}

fn model(spec: &Spec, m: &Model) -> TokenStream {
    let name = ident(&m.name);
    let doc = docs::outer(&m.doc);
    let gate = cfg(&m.features);
    let derive_default = m.fields.iter().all(|f| !f.required || has_default(&f.ty));
    let default = if derive_default {
        quote!(Default,)
    } else {
        quote!()
    };
    // With no required field, a container-level default says "every member is optional" once.
    let container_default = m.fields.iter().all(|f| !f.required);
    let container_attr = if container_default {
        quote!(#[serde(default)])
    } else {
        quote!()
    };
    let fields = m
        .fields
        .iter()
        .map(|f| field(spec, m, f, container_default));
    // Plain derives: what each field accepts on the wire is the decoder's business
    // (`erp_runtime::lenient`), so no field carries a `with` helper.
    quote! {
        #doc
        #gate
        #[derive(Debug, Clone, #default PartialEq, serde::Serialize, serde::Deserialize)]
        #container_attr
        pub struct #name {
            #(#fields)*
            /// Members the vendor sent that the spec does not describe (never sent back).
            #[serde(flatten, skip_serializing)]
            pub extra: std::collections::BTreeMap<String, erp_runtime::JsonValue>,
        }
    }
}

fn field(spec: &Spec, model: &Model, f: &Field, container_default: bool) -> TokenStream {
    let name = ident(&f.rust_name);
    let mut doc_text = f.doc.clone();
    if f.read_only {
        doc_text.push_str("\n\nSet by the vendor; never sent on create or update.");
    }
    if f.required {
        doc_text.push_str("\n\nRequired.");
    }
    let doc = docs::outer(&doc_text);
    let base = model_field_type(&f.ty, f.sensitive);
    // A model that contains itself, directly or through others, needs a box to have a size.
    let base = match &f.ty {
        TypeRef::Model(m) if reaches(spec, m, &model.name) => quote!(Box<#base>),
        _ => base,
    };
    let ty = match (&f.ty, f.required) {
        (TypeRef::List(_), _) | (_, true) => base,
        _ => quote!(Option<#base>),
    };
    let mut attrs = Vec::new();
    if f.wire_name != f.rust_name {
        let wire = &f.wire_name;
        attrs.push(quote!(rename = #wire));
    }
    for alias in &f.aliases {
        attrs.push(quote!(alias = #alias));
    }
    if !container_default && (!f.required || f.ty.is_list()) {
        attrs.push(quote!(default));
    }
    if f.read_only {
        attrs.push(quote!(skip_serializing));
    } else if f.ty.is_list() {
        attrs.push(quote!(skip_serializing_if = "Vec::is_empty"));
    } else if !f.required {
        attrs.push(quote!(skip_serializing_if = "Option::is_none"));
    }
    let serde_attr = if attrs.is_empty() {
        quote!()
    } else {
        quote!(#[serde(#(#attrs),*)])
    };
    quote! {
        #doc
        #serde_attr
        pub #name: #ty,
    }
}

/// Whether model `from` contains model `to` by value (lists are on the heap and break cycles).
fn reaches(spec: &Spec, from: &str, to: &str) -> bool {
    let mut stack = vec![from.to_owned()];
    let mut seen = BTreeSet::new();
    while let Some(name) = stack.pop() {
        if name == to {
            return true;
        }
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(model) = spec.model(&name) {
            stack.extend(model.fields.iter().filter_map(|f| match &f.ty {
                TypeRef::Model(m) => Some(m.clone()),
                _ => None,
            }));
        }
    }
    false
}

fn enumeration(e: &Enum) -> TokenStream {
    let name = ident(&e.name);
    let doc = docs::outer(&format!(
        "{}\n\nValues the vendor adds later decode as `Unknown`, so they never break a response.",
        e.doc
    ));
    let gate = cfg(&e.features);
    let variants = e.variants.iter().map(|v| {
        let vdoc = docs::outer(&format!("`{}`: {}", v.wire, v.doc));
        let vname = ident(&v.rust_name);
        quote! { #vdoc #vname, }
    });
    let pairs = e.variants.iter().map(|v| {
        let vname = ident(&v.rust_name);
        let wire = &v.wire;
        quote!(#vname = #wire)
    });
    quote! {
        #doc
        #gate
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum #name {
            #(#variants)*
            /// A value this version of the crate does not know, kept verbatim.
            Unknown(String),
        }

        #gate
        erp_runtime::impl_wire_enum!(#name { #(#pairs),* });
    }
}
