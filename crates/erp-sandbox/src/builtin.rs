//! Vendor specs embedded at compile time (see `build.rs`).

include!(concat!(env!("OUT_DIR"), "/builtin_specs.rs"));

/// Names of the embedded vendors (the spec file stems), sorted.
pub(crate) fn vendors() -> Vec<&'static str> {
    BUILTIN_SPECS.iter().map(|(vendor, _, _)| *vendor).collect()
}

/// Parses and validates the embedded spec of `vendor`.
pub(crate) fn load(vendor: &str) -> Result<erp_spec::ir::Spec, String> {
    let (_, source, text) = BUILTIN_SPECS
        .iter()
        .find(|(name, _, _)| *name == vendor)
        .ok_or_else(|| {
            format!(
                "unknown vendor `{vendor}`; built-in vendors: {}",
                vendors().join(", ")
            )
        })?;
    erp_spec::parse_str(source, text)
        .map_err(|e| format!("the built-in spec of `{vendor}` is invalid: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_embedded_spec_loads() {
        let vendors = super::vendors();
        assert!(
            vendors.contains(&"billomat") && vendors.contains(&"cloudspot"),
            "{vendors:?}"
        );
        let mut sorted = vendors.clone();
        sorted.sort_unstable();
        assert_eq!(vendors, sorted);
        for vendor in vendors {
            let spec = super::load(vendor).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(spec.vendor.name, vendor);
        }
    }

    #[test]
    fn unknown_vendors_are_named() {
        let err = super::load("nope").unwrap_err();
        assert!(err.contains("nope") && err.contains("billomat"), "{err}");
    }
}
