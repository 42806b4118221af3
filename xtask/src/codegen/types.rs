//! Rust types for spec types.

use proc_macro2::TokenStream;
use quote::quote;

use erp_spec::ir::TypeRef;

use super::names::ident;

/// The Rust type of a value of `ty` (without the `Option` of an optional field), as named
/// outside `models.rs`.
pub fn rust_type(ty: &TypeRef, sensitive: bool) -> TokenStream {
    type_tokens(ty, sensitive, true)
}

/// The same type as named inside `models.rs`, where models and enums need no path.
pub fn model_field_type(ty: &TypeRef, sensitive: bool) -> TokenStream {
    type_tokens(ty, sensitive, false)
}

fn type_tokens(ty: &TypeRef, sensitive: bool, qualified: bool) -> TokenStream {
    match ty {
        TypeRef::String if sensitive => quote!(erp_runtime::Secret),
        TypeRef::String => quote!(String),
        TypeRef::Integer => quote!(i64),
        TypeRef::Number => quote!(f64),
        TypeRef::Decimal => quote!(erp_runtime::Decimal),
        TypeRef::Guid => quote!(erp_runtime::Uuid),
        TypeRef::Bytes => quote!(erp_runtime::Base64),
        TypeRef::Boolean => quote!(bool),
        TypeRef::Date => quote!(erp_runtime::chrono::NaiveDate),
        TypeRef::DateTime => {
            quote!(erp_runtime::chrono::DateTime<erp_runtime::chrono::FixedOffset>)
        }
        TypeRef::Json => quote!(erp_runtime::JsonValue),
        TypeRef::List(inner) => {
            let inner = type_tokens(inner, sensitive, qualified);
            quote!(Vec<#inner>)
        }
        TypeRef::Model(name) | TypeRef::Enum(name) => {
            let name = ident(name);
            if qualified {
                quote!(crate::models::#name)
            } else {
                quote!(#name)
            }
        }
    }
}

/// A parameter type for generated methods (borrowed where that reads better).
pub fn param_type(ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::String => quote!(&str),
        TypeRef::List(inner) => {
            let inner = param_type(inner);
            quote!(&[#inner])
        }
        TypeRef::Enum(_) => {
            let t = rust_type(ty, false);
            quote!(&#t)
        }
        other => rust_type(other, false),
    }
}

/// Whether `Default` can be derived for a required field of this type.
pub fn has_default(ty: &TypeRef) -> bool {
    !matches!(ty, TypeRef::Model(_) | TypeRef::Enum(_))
}
