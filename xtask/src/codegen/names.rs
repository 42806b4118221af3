//! Rust identifiers for spec names.

use proc_macro2::{Ident, Span};

/// Rust keywords (all editions, reserved ones included) that need a raw identifier.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// Keywords that cannot even be raw identifiers.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate"];

/// An identifier, raw (`r#type`) when the name is a keyword.
pub fn ident(name: &str) -> Ident {
    if NOT_RAW.contains(&name) {
        Ident::new(&format!("{name}_"), Span::call_site())
    } else if KEYWORDS.contains(&name) {
        Ident::new_raw(name, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
}

/// A SCREAMING_SNAKE identifier for statics.
pub fn constant(name: &str) -> Ident {
    use heck::ToShoutySnakeCase;
    Ident::new(&name.to_shouty_snake_case(), Span::call_site())
}

/// UpperCamel type name of the vendor's client, e.g. `ExactOnline`.
pub fn client_type(vendor: &str) -> Ident {
    use heck::ToUpperCamelCase;
    Ident::new(&vendor.to_upper_camel_case(), Span::call_site())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_become_raw_identifiers() {
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("gen").to_string(), "r#gen");
        assert_eq!(ident("self").to_string(), "self_");
        assert_eq!(ident("naam").to_string(), "naam");
    }
}
