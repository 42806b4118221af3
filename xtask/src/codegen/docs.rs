//! Doc comments from spec text.

use proc_macro2::TokenStream;
use quote::quote;

/// Outer doc attributes (`/// ...`), one per line.
pub fn outer(text: &str) -> TokenStream {
    let lines = lines(text);
    quote! { #( #[doc = #lines] )* }
}

/// Inner doc attributes (`//! ...`), one per line.
pub fn inner(text: &str) -> TokenStream {
    let lines = lines(text);
    quote! { #( #![doc = #lines] )* }
}

fn lines(text: &str) -> Vec<String> {
    let text = text.trim();
    if text.is_empty() {
        return vec![" (No description in the spec.)".to_owned()];
    }
    text.lines()
        .map(|l| {
            if l.trim().is_empty() {
                String::new()
            } else {
                format!(" {}", l.trim_end())
            }
        })
        .collect()
}
