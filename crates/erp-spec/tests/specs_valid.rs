//! The committed specs must always validate.

#[test]
fn every_committed_spec_is_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs");
    let specs = erp_spec::load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<_> = specs.iter().map(|s| s.vendor.name.as_str()).collect();
    assert!(
        names.contains(&"billomat") && names.contains(&"cloudspot"),
        "{names:?}"
    );
}
