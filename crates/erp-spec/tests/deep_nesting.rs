//! Deeply nested YAML is refused with an error, not a stack overflow: on a 2 MiB thread (the
//! default of spawned threads and of test threads) in a debug build, the parser's own depth
//! limit of 64 came too late.

/// `depth` levels of each nesting style under `vendor:`.
fn nested(style: usize, depth: usize) -> String {
    let indent = |i: usize| "  ".repeat(i + 1);
    match style {
        0 => format!("vendor: {}{}\n", "[".repeat(depth), "]".repeat(depth)),
        1 => format!("vendor: {}1{}\n", "{a: ".repeat(depth), "}".repeat(depth)),
        2 => {
            let lines: Vec<String> = (0..depth).map(|i| format!("{}a:", indent(i))).collect();
            format!("vendor:\n{}\n", lines.join("\n"))
        }
        _ => {
            let lines: Vec<String> = (0..depth).map(|i| format!("{}-", indent(i))).collect();
            format!("vendor:\n{}\n", lines.join("\n"))
        }
    }
}

#[test]
fn deep_nesting_is_an_error_on_a_small_stack() {
    let refused = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let mut refused = 0;
            for style in 0..4 {
                let depths: &[usize] = if style < 2 {
                    &[60, 100, 1_000, 20_000]
                } else {
                    &[60, 100, 500]
                };
                for &depth in depths {
                    let err = erp_spec::parse_str("deep.yaml", &nested(style, depth)).unwrap_err();
                    assert!(!err.to_string().is_empty());
                    refused += 1;
                }
            }
            refused
        })
        .expect("thread")
        .join()
        .expect("no overflow, no panic");
    assert_eq!(refused, 14);
}
