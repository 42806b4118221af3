//! A bounded, deterministic fuzz harness on stable Rust (no dependency): the decoders and the
//! spec parser get random and mutated inputs and must never panic.
//!
//! Seeds are real answers: the sample responses in `../shared/fixtures/*/*/` (in CI the folder
//! must exist; elsewhere a missing folder only drops those seeds) and the sandbox's own
//! answers to every list and get of every spec. Each input is a seed with a few mutations (bit
//! flips, structural bytes, cut, doubled or spliced ranges, thousands of nesting levels,
//! extreme numbers, invalid UTF-8) or plain random bytes, fed to
//!
//! - every list operation's page decoding (`erp_runtime::paging::decode_page`: envelope, page
//!   meta, links and cursors, lenient typed items) as JSON values and, for one resource of
//!   each vendor crate, as its generated model;
//! - the lenient item decoder (`erp_runtime::lenient::from_slice`) with those models;
//! - the XML codec (decode, and encode what decoded) and the JSON codec;
//! - a get through the real client (item envelopes, the requested-record check) against a
//!   loopback server answering the mutated bytes;
//! - `erp_spec::parse_str` on mutated `specs/*.yaml` and `tests/conformance/*.yaml` texts.
//!
//! `FUZZ_SCALE=n` multiplies every iteration count (default 1: a few seconds in debug).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use erp_clients_tests::hostile::{self, Answer};
use erp_runtime::codec::{Codec, JsonCodec, XmlCodec};
use erp_runtime::descriptor::{Operation, Returns};
use erp_runtime::lenient::{Leniency, from_slice};
use erp_runtime::paging::decode_page;
use erp_runtime::{Client, Request};
use erp_spec::descriptors::descriptors;
use erp_spec::ir::{self, OperationKind};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::conformance::{specs_in, start_with};

const URL: &str = "https://example.com/api/things";

/// xorshift64*: deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn scale() -> usize {
    std::env::var("FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

/// Bytes that change structure in JSON, XML and YAML.
const STRUCTURAL: &[u8] = b"{}[]<>\"':,/=&;#!?-\\ \n\t0123456789.eE+xyz";

/// Texts that stress scalars and markup.
const TOKENS: &[&str] = &[
    "1e999",
    "-0",
    "18446744073709551616",
    "-9223372036854775809",
    "0.0000000000000000000000000001",
    "null",
    "true",
    "\"\"",
    "[]",
    "{}",
    "\\u0000",
    "\\ud800",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "&unknown;",
    "<![CDATA[x]]>",
    "<?xml version=\"1.0\"?>",
    "<!DOCTYPE x [<!ENTITY a \"b\">]>",
    " nil=\"true\"",
    " type=\"array\"",
    " type=\"integer\"",
    " type=\"datetime\"",
    "9999-99-99T99:99:99Z",
    "2024-02-30",
    "é",
    "\u{10FFFF}",
    "{{",
    "}}",
    ": &anchor",
    "*anchor",
    "!!binary",
    "---",
    "- ",
];

/// One mutation of `input`; `others` are other seeds to splice from.
fn mutate_once(rng: &mut Rng, input: &mut Vec<u8>, others: &[Vec<u8>]) {
    let len = input.len();
    let at = rng.below(len + 1);
    match rng.below(11) {
        0 if len > 0 => {
            let i = rng.below(len);
            input[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            input[i] = *rng.pick(STRUCTURAL);
        }
        2 => {
            let n = 1 + rng.below(8);
            let bytes: Vec<u8> = (0..n).map(|_| *rng.pick(STRUCTURAL)).collect();
            input.splice(at..at, bytes);
        }
        3 if len > 0 => {
            let end = (at + 1 + rng.below(64)).min(len);
            input.drain(at.min(end)..end);
        }
        4 if len > 0 => {
            let end = (at + 1 + rng.below(256)).min(len);
            let start = at.min(end);
            let copy = input[start..end].to_vec();
            input.splice(start..start, copy);
        }
        5 => input.truncate(at),
        6 if !others.is_empty() => {
            let other = rng.pick(others);
            let from = rng.below(other.len());
            let end = (from + rng.below(512)).min(other.len());
            input.splice(at..at, other[from..end].iter().copied());
        }
        7 => {
            // Deep nesting: past every recursion limit.
            let depth = 1 + rng.below(20_000);
            let (open, close): (&[u8], &[u8]) = *rng.pick(&[
                (&b"["[..], &b"]"[..]),
                (b"{\"a\":", b"}"),
                (b"<a>", b"</a>"),
                (b"- ", b""),
                (b"{a: ", b"}"),
            ]);
            let mut nested = open.repeat(depth);
            if rng.below(2) == 0 {
                nested.extend(close.repeat(depth));
            }
            input.splice(at..at, nested);
        }
        8 => {
            let token = rng.pick(TOKENS).as_bytes().to_vec();
            input.splice(at..at, token);
        }
        9 => {
            // Invalid UTF-8 and control bytes.
            let bytes = [0xff, 0xfe, 0xc0, 0x80, 0x00, 0xed, 0xa0, 0x80];
            let n = 1 + rng.below(bytes.len());
            input.splice(at..at, bytes[..n].iter().copied());
        }
        _ => {
            // A line dropped or doubled (YAML structure, pretty-printed bodies).
            let lines: Vec<usize> = (0..len).filter(|&i| input[i] == b'\n').collect();
            if lines.len() >= 2 {
                let i = rng.below(lines.len() - 1);
                let (start, end) = (lines[i] + 1, lines[i + 1] + 1);
                if rng.below(2) == 0 {
                    input.drain(start..end);
                } else {
                    let line = input[start..end].to_vec();
                    input.splice(start..start, line);
                }
            }
        }
    }
}

/// A seed with one to four mutations, or (one time in ten) random bytes.
fn input(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    if rng.below(10) == 0 || seeds.is_empty() {
        let n = rng.below(256);
        return (0..n).map(|_| rng.next() as u8).collect();
    }
    let mut bytes = rng.pick(seeds).clone();
    for _ in 0..1 + rng.below(4) {
        mutate_once(rng, &mut bytes, seeds);
    }
    bytes
}

/// Runs `f` on `bytes`; a panic fails the test naming the input.
fn no_panic(what: &str, i: usize, bytes: &[u8], f: impl FnOnce()) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(f)) {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(600)]);
        panic!(
            "{what} panicked on input {i} ({} bytes): {message}\ninput: {shown:?}",
            bytes.len()
        );
    }
}

/// `../shared/fixtures/*/*/*` as bytes; in CI a missing folder fails.
fn fixtures() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
    if !dir.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is missing; CI must have ../shared beside the checkout",
            dir.display()
        );
        eprintln!("fuzzing without fixtures: {} not found", dir.display());
        return Vec::new();
    }
    let mut files = Vec::new();
    let mut pending = vec![dir];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("fixture folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|x| x == "json" || x == "xml" || x == "txt")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(!files.is_empty(), "no fixture files");
    files
        .iter()
        .map(|p| std::fs::read(p).expect("fixture"))
        .collect()
}

fn all_specs() -> Vec<ir::Spec> {
    let mut specs = specs_in("specs");
    specs.extend(specs_in("tests/conformance"));
    specs
}

/// The sandbox's own answers: every list (no required parameter) and a get of each spec,
/// fetched over TCP through the runtime (`text` returns the body as sent).
async fn sandbox_answers(specs: &[ir::Spec]) -> Vec<Vec<u8>> {
    let mut answers = Vec::new();
    for spec in specs {
        let v = start_with(spec.clone(), 3).await;
        for r in &v.spec.resources {
            for op in &r.operations {
                let req = match op.kind {
                    OperationKind::List if op.query.iter().all(|q| !q.required) => Request::new(),
                    OperationKind::Get => {
                        let records = v.sandbox.records(&r.name);
                        match records.first().map(|rec| v.address(r, op, rec)) {
                            Some(Ok(req)) => req,
                            _ => continue,
                        }
                    }
                    _ => continue,
                };
                if let Ok(text) = v.client.text(v.op(r, op), req).await {
                    answers.push(text.into_bytes());
                }
            }
        }
        v.sandbox.shutdown().await;
    }
    answers
}

/// Decodes `bytes` as a page of `T` and as one `T`, the vendor's rules applied.
fn typed<T: DeserializeOwned>(op: &'static Operation, bytes: &[u8]) {
    let _ = decode_page::<T>(op, bytes, URL);
    let _ = from_slice::<T>(bytes, Leniency::of(op.vendor()));
}

type TypedDecoder = fn(&'static Operation, &[u8]);

/// One resource of each vendor crate with its generated model.
fn typed_decoders(specs: &[ir::Spec]) -> Vec<(&'static Operation, TypedDecoder)> {
    let wanted: &[(&str, &str, TypedDecoder)] = &[
        ("billomat", "clients", typed::<erp_billomat::models::Client>),
        (
            "billomat",
            "invoices",
            typed::<erp_billomat::models::Invoice>,
        ),
        (
            "cloudspot",
            "artikels",
            typed::<erp_cloudspot::models::Artikel>,
        ),
        (
            "spreedly",
            "subscribers",
            typed::<erp_spreedly::models::Subscriber>,
        ),
    ];
    wanted
        .iter()
        .map(|(vendor, resource, decode)| {
            let spec = specs
                .iter()
                .find(|s| s.vendor.name == *vendor)
                .unwrap_or_else(|| panic!("no spec of {vendor}"));
            let op = descriptors(spec)
                .operation(resource, "list")
                .unwrap_or_else(|| panic!("{vendor}: no {resource}.list"));
            (op, *decode)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decoders_never_panic() {
    let specs = all_specs();
    let mut seeds = fixtures();
    let fixtures = seeds.len();
    seeds.extend(sandbox_answers(&specs).await);
    assert!(
        seeds.len() > fixtures + specs.len(),
        "the sandbox answered too few calls: {} seeds",
        seeds.len() - fixtures
    );
    let lists: Vec<&'static Operation> = specs
        .iter()
        .flat_map(|spec| {
            let d = descriptors(spec);
            spec.resources
                .iter()
                .flat_map(|r| {
                    r.operations
                        .iter()
                        .map(move |o| (r.name.clone(), o.name.clone()))
                })
                .filter_map(move |(r, o)| d.operation(&r, &o))
                .filter(|op| op.returns == Returns::List)
                .collect::<Vec<_>>()
        })
        .collect();
    let typed = typed_decoders(&specs);
    let mut rng = Rng(0x5eed_f00d_cafe_d00d);
    let runs = 3_000 * scale();
    for i in 0..runs {
        let bytes = input(&mut rng, &seeds);
        let list = *rng.pick(&lists);
        let (typed_op, decode) = *rng.pick(&typed);
        no_panic("a decoder", i, &bytes, || {
            let _ = decode_page::<Value>(list, &bytes, URL);
            decode(typed_op, &bytes);
            if let Ok(tree) = XmlCodec.decode(&bytes) {
                let _ = XmlCodec.encode(&tree);
            }
            if let Ok(tree) = JsonCodec.decode(&bytes) {
                let _ = XmlCodec.encode(&tree);
            }
        });
    }
    println!(
        "fuzzed {runs} inputs from {} seeds ({fixtures} fixtures) through {} list decoders",
        seeds.len(),
        lists.len()
    );
}

/// Gets through the real client, the mutated answers served over loopback: the item
/// envelopes and the check that the answer is the record asked for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gets_never_panic_on_mutated_answers() {
    let specs = all_specs();
    let seeds = sandbox_answers(&specs).await;
    let next: Arc<Mutex<Vec<u8>>> = Arc::default();
    let served = Arc::clone(&next);
    let server = hostile::serve(move |_| {
        let body = served.lock().map(|b| b.clone()).unwrap_or_default();
        Answer::typed(200, "application/json", body)
    })
    .await;
    // Every get of every spec, with the client of its vendor pointed at the server.
    let mut gets = Vec::new();
    for spec in &specs {
        let d = descriptors(spec);
        let mut builder = Client::builder(d.vendor)
            .base_url(server.url())
            .auth(erp_runtime::auth::NoAuth)
            .retry(erp_runtime::RetryPolicy::disabled());
        for v in &spec.base_url.variables {
            builder = builder.variable(v.name.clone(), v.example.clone());
        }
        let client = builder.build().expect("client");
        for r in &spec.resources {
            for op in r.operations.iter().filter(|o| o.kind == OperationKind::Get) {
                let Some(descriptor) = d.operation(&r.name, &op.name) else {
                    continue;
                };
                let mut req = Request::new();
                for p in &op.path_params {
                    req = req.path(crate::conformance::name(&p.wire_name), "7");
                }
                for q in op.query.iter().filter(|q| q.required) {
                    req = req.query_param(&q.wire_name, "7");
                }
                gets.push((client.clone(), descriptor, req));
            }
        }
    }
    assert!(!gets.is_empty(), "no get operation in any spec");
    let mut rng = Rng(0xdec0_de00_1234_5678);
    let runs = 300 * scale();
    for i in 0..runs {
        let bytes = input(&mut rng, &seeds);
        *next.lock().expect("lock") = bytes.clone();
        let (client, op, req) = rng.pick(&gets).clone();
        let call = tokio::spawn(async move { client.item::<Value>(op, req).await.map(drop) });
        let outcome = tokio::time::timeout(std::time::Duration::from_secs(30), call)
            .await
            .expect("a get ends");
        if let Err(join) = outcome
            && join.is_panic()
        {
            let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(600)]);
            panic!("a get panicked on input {i}: {join}\ninput: {shown:?}");
        }
    }
    println!("fuzzed {runs} gets over {} operations", gets.len());
}

#[test]
fn the_spec_parser_never_panics() {
    let mut texts: Vec<(String, Vec<u8>)> = Vec::new();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    for folder in ["specs", "tests/conformance"] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join(folder))
            .expect("spec folder")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        paths.sort();
        for path in paths {
            let name = format!("{folder}/{}", path.file_name().unwrap().to_string_lossy());
            texts.push((name, std::fs::read(&path).expect("spec")));
        }
    }
    // The large imported spec parses slowly in debug: it is mutated less often.
    let small: Vec<Vec<u8>> = texts
        .iter()
        .filter(|(_, t)| t.len() < 64 * 1024)
        .map(|(_, t)| t.clone())
        .collect();
    let large: Vec<Vec<u8>> = texts
        .iter()
        .filter(|(_, t)| t.len() >= 64 * 1024)
        .map(|(_, t)| t.clone())
        .collect();
    let mut rng = Rng(0x0bad_5eed_0ddb_a110);
    let runs = 300 * scale();
    for i in 0..runs {
        let pool = if i % 100 == 0 && !large.is_empty() {
            &large
        } else {
            &small
        };
        let bytes = input(&mut rng, pool);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        no_panic("the spec parser", i, &bytes, || {
            let _ = erp_spec::parse_str("fuzzed.yaml", &text);
        });
    }
    println!("fuzzed {runs} spec texts from {} specs", texts.len());
}
