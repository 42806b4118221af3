//! `erp-sandbox`: serve one or more vendor sandboxes until Ctrl-C.
//!
//! ```text
//! cargo run -p erp-sandbox -- --vendor cloudspot --addr 127.0.0.1:8091 --vendor billomat=127.0.0.1:8092
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use erp_sandbox::{RateLimitSettings, Sandbox, SandboxOptions};

const USAGE: &str = "\
Usage: erp-sandbox --vendor NAME[=ADDR] [--addr ADDR] [--vendor ...] [OPTIONS]

Serves a local imitation of each vendor's API, one vendor per address, until Ctrl-C.

  --vendor NAME[=ADDR]   Vendor to serve (repeatable). Without =ADDR the next --addr applies,
                         else 127.0.0.1:0 (an ephemeral port).
  --addr ADDR            Address of the preceding --vendor given without =ADDR.
  --seed-records N       Records generated per resource (default 25).
  --seed S               Seed of the generated data (default 1).
  --rate-limit Q/SECS    Replace the spec's (first) rate limit: Q requests per SECS-second window.
  --list                 Print the built-in vendors and exit.
  --help                 Print this help and exit.

Faults can be injected while running: POST <root>/__sandbox/faults with a JSON object,
e.g. {\"html_502_next\": 1} or {\"rate_limit_next\": 2, \"retry_in_seconds\": 5}.";

/// Parsed command line.
#[derive(Debug, Default, PartialEq)]
struct Args {
    vendors: Vec<(String, Option<SocketAddr>)>,
    options: Options,
    help: bool,
    list: bool,
}

#[derive(Debug, PartialEq)]
struct Options {
    seed_records: usize,
    seed: u64,
    rate_limit: Option<RateLimitSettings>,
}

impl Default for Options {
    fn default() -> Self {
        let defaults = SandboxOptions::default();
        Options {
            seed_records: defaults.seed_records,
            seed: defaults.seed,
            rate_limit: defaults.rate_limit,
        }
    }
}

fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not an address like 127.0.0.1:8091"))
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args::default();
    // Whether the last --vendor still waits for an --addr.
    let mut open_vendor = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match inline.clone().or_else(|| args.next()) {
                Some(v) if !v.is_empty() => Ok(v),
                _ => Err(format!("{name} needs a value")),
            }
        };
        match flag.as_str() {
            "--help" | "-h" => parsed.help = true,
            "--list" => parsed.list = true,
            "--vendor" => {
                let spec = value("--vendor")?;
                let (name, addr) = match spec.split_once('=') {
                    Some((name, addr)) => (name.to_owned(), Some(parse_addr(addr)?)),
                    None => (spec, None),
                };
                if name.is_empty() {
                    return Err("--vendor needs a vendor name".to_owned());
                }
                open_vendor = addr.is_none();
                parsed.vendors.push((name, addr));
            }
            "--addr" => {
                let addr = parse_addr(&value("--addr")?)?;
                match parsed.vendors.last_mut() {
                    Some((_, slot)) if open_vendor => *slot = Some(addr),
                    _ => return Err("--addr must follow a --vendor given without =ADDR".to_owned()),
                }
                open_vendor = false;
            }
            "--seed-records" => {
                let text = value("--seed-records")?;
                parsed.options.seed_records = text
                    .parse()
                    .map_err(|_| format!("--seed-records takes a count, not `{text}`"))?;
            }
            "--seed" => {
                let text = value("--seed")?;
                parsed.options.seed = text
                    .parse()
                    .map_err(|_| format!("--seed takes a number, not `{text}`"))?;
            }
            "--rate-limit" => {
                let text = value("--rate-limit")?;
                let settings = text
                    .split_once('/')
                    .and_then(|(q, s)| {
                        Some((q.trim().parse::<u64>().ok()?, s.trim().parse::<u64>().ok()?))
                    })
                    .filter(|(_, secs)| *secs > 0)
                    .map(|(quota, secs)| RateLimitSettings {
                        quota,
                        window: Duration::from_secs(secs),
                    })
                    .ok_or_else(|| {
                        format!("--rate-limit takes QUOTA/SECONDS like 300/900, not `{text}`")
                    })?;
                parsed.options.rate_limit = Some(settings);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let mut seen: Vec<SocketAddr> = Vec::new();
    for (name, addr) in &parsed.vendors {
        if let Some(addr) = addr.filter(|a| a.port() != 0) {
            if seen.contains(&addr) {
                return Err(format!(
                    "{addr} is used twice (one vendor per address; `{name}`)"
                ));
            }
            seen.push(addr);
        }
    }
    if parsed.vendors.is_empty() && !parsed.help && !parsed.list {
        return Err(format!(
            "name at least one --vendor ({})",
            Sandbox::builtin_vendors().join(", ")
        ));
    }
    Ok(parsed)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("erp-sandbox: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if args.help {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    if args.list {
        for vendor in Sandbox::builtin_vendors() {
            println!("{vendor}");
        }
        return ExitCode::SUCCESS;
    }
    let options = SandboxOptions {
        seed_records: args.options.seed_records,
        seed: args.options.seed,
        rate_limit: args.options.rate_limit,
    };
    let mut sandboxes = Vec::new();
    for (vendor, addr) in &args.vendors {
        let sandbox = match Sandbox::builtin(vendor, options.clone()) {
            Ok(sandbox) => sandbox,
            Err(message) => {
                eprintln!("erp-sandbox: {message}");
                return ExitCode::from(2);
            }
        };
        let required: Vec<bool> = match &sandbox.spec().auth.scheme {
            erp_spec::ir::AuthScheme::Headers(headers) => {
                headers.iter().map(|h| h.required).collect()
            }
            _ => Vec::new(),
        };
        let credentials = sandbox.credentials();
        let addr = addr.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let running = match sandbox.start(addr).await {
            Ok(running) => running,
            Err(e) => {
                eprintln!("erp-sandbox: cannot listen on {addr} for `{vendor}`: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("{vendor}: {}", running.base_url());
        for (i, (name, value)) in credentials.headers.iter().enumerate() {
            let optional = if required.get(i).copied().unwrap_or(true) {
                ""
            } else {
                " (optional)"
            };
            println!("  header {name}: {value}{optional}");
        }
        for (name, value) in &credentials.query {
            println!("  query parameter {name}={value}");
        }
        if let Some(token) = &credentials.bearer {
            println!("  bearer token {token}");
        }
        if let Some((user, password)) = &credentials.basic {
            println!("  basic auth {user} / {password}");
        }
        if let Some(oauth) = &credentials.oauth2 {
            println!(
                "  oauth2 client {} / {}",
                oauth.client_id, oauth.client_secret
            );
            println!("  oauth2 authorize {}", running.url(&oauth.authorize_path));
            println!("  oauth2 token {}", running.url(&oauth.token_path));
            println!(
                "  oauth2 controls: POST http://{}/__sandbox/oauth",
                running.addr()
            );
        }
        println!("  faults: POST http://{}/__sandbox/faults", running.addr());
        sandboxes.push(running);
    }
    println!("Press Ctrl-C to stop.");
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("erp-sandbox: cannot wait for Ctrl-C ({e}); stopping");
    }
    for running in sandboxes {
        running.shutdown().await;
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, String> {
        parse_args(args.iter().map(|a| (*a).to_owned()))
    }

    #[test]
    fn vendors_and_addresses() {
        let args = parse(&[
            "--vendor",
            "cloudspot",
            "--addr",
            "127.0.0.1:8091",
            "--vendor=billomat=127.0.0.1:8092",
            "--vendor",
            "x",
        ])
        .expect("valid");
        assert_eq!(
            args.vendors,
            vec![
                (
                    "cloudspot".to_owned(),
                    Some(parse_addr("127.0.0.1:8091").expect("addr"))
                ),
                (
                    "billomat".to_owned(),
                    Some(parse_addr("127.0.0.1:8092").expect("addr"))
                ),
                ("x".to_owned(), None),
            ]
        );
        let args = parse(&[
            "--vendor",
            "billomat",
            "--seed-records",
            "3",
            "--seed=9",
            "--rate-limit",
            "5/60",
        ])
        .expect("valid");
        assert_eq!(args.options.seed_records, 3);
        assert_eq!(args.options.seed, 9);
        assert_eq!(
            args.options.rate_limit,
            Some(RateLimitSettings {
                quota: 5,
                window: Duration::from_secs(60)
            })
        );
        assert!(parse(&["--help"]).expect("help").help);
    }

    #[test]
    fn bad_arguments_are_explained() {
        for (args, needle) in [
            (&["--vendor"][..], "needs a value"),
            (&["--addr", "127.0.0.1:1"][..], "must follow"),
            (
                &["--vendor", "a=127.0.0.1:1", "--addr", "127.0.0.1:2"][..],
                "must follow",
            ),
            (
                &["--vendor", "a", "--addr", "nowhere"][..],
                "not an address",
            ),
            (
                &["--vendor", "a=127.0.0.1:5", "--vendor", "b=127.0.0.1:5"][..],
                "twice",
            ),
            (&["--vendor", "a", "--seed-records", "-1"][..], "count"),
            (&["--vendor", "a", "--rate-limit", "5"][..], "QUOTA/SECONDS"),
            (&["--frobnicate"][..], "unknown argument"),
            (&[][..], "at least one --vendor"),
        ] {
            let err = parse(args).expect_err("invalid");
            assert!(err.contains(needle), "{args:?}: {err}");
        }
    }
}
