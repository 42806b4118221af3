//! The annotated example in `specs/README.md` is a valid spec: the documentation cannot drift
//! from the format.

#[test]
fn the_documented_example_is_a_valid_spec() {
    let readme = include_str!("../../../specs/README.md");
    let start = readme.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    let end = start + readme[start..].find("```").expect("closed block");
    let spec = erp_spec::parse_str("specs/README.md", &readme[start..end])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.vendor.name, "acme");
    let complete = spec.resources[0]
        .operations
        .iter()
        .find(|o| o.name == "complete")
        .expect("action");
    assert_eq!(complete.method, erp_spec::ir::Method::Put);
}
