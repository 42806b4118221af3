//! Per-request overhead of the generated client, for `cargo xtask bench`: N sequential small
//! `get`s of one Cloudspot product category from a sandbox (`bench_server` in another
//! process), either through the full runtime (`runtime`: auth, rate limits, retries policy,
//! envelope, lenient typed decoding, error classification) or with bare reqwest and serde_json
//! (`bare`: the same request and headers, a plain derive of the same fields), the baseline.
//!
//! ```sh
//! target/release/examples/get_overhead runtime BASE_URL TOKEN 2000
//! target/release/examples/get_overhead bare BASE_URL TOKEN 2000
//! ```
//!
//! Both modes warm up (connection, first allocations) with the same number of calls before the
//! timed ones, and print one JSON line with the mean time of one call.

use std::time::Instant;

use serde::Deserialize;
use serde_json::{Value, json};

/// Untimed calls before the timed ones.
const WARM_UP: usize = 50;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, base_url, token, calls] = args.as_slice() else {
        return Err("usage: get_overhead (runtime|bare) BASE_URL TOKEN CALLS".into());
    };
    let calls: usize = calls.parse().map_err(|e| format!("CALLS `{calls}`: {e}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let bare = Bare {
        http: reqwest::Client::builder().build()?,
        base_url: base_url.clone(),
        token: token.clone(),
    };
    let seconds = runtime.block_on(async {
        let id = bare.first_id().await?;
        match mode.as_str() {
            "runtime" => {
                let client = erp_cloudspot::Cloudspot::builder()
                    .base_url(base_url)
                    .auth(erp_cloudspot::Cloudspot::credentials(token.clone()))
                    .build()?;
                let categories = client.categories();
                time_gets(id, calls, async |id| Ok(categories.get(id).await?.id)).await
            }
            "bare" => time_gets(id, calls, async |id| Ok(bare.get(id).await?.id)).await,
            other => Err(format!("unknown mode `{other}` (runtime or bare)").into()),
        }
    })?;
    println!(
        "{}",
        json!({"calls": calls, "seconds": seconds, "per_call_us": seconds * 1e6 / calls as f64})
    );
    Ok(())
}

type Failure = Box<dyn std::error::Error>;

/// Warms up, then times `calls` gets of category `id` (each answer's id is checked), in seconds.
async fn time_gets(
    id: i64,
    calls: usize,
    mut get: impl AsyncFnMut(i64) -> Result<Option<i64>, Failure>,
) -> Result<f64, Failure> {
    for _ in 0..WARM_UP {
        get(id).await?;
    }
    let start = Instant::now();
    for _ in 0..calls {
        let got = get(id).await?;
        if got != Some(id) {
            return Err(format!("asked for category {id}, got {got:?}").into());
        }
    }
    Ok(start.elapsed().as_secs_f64())
}

/// The same request with reqwest and serde_json alone.
struct Bare {
    http: reqwest::Client,
    base_url: String,
    token: String,
}

#[derive(Deserialize)]
struct Envelope {
    data: Vec<PlainCategory>,
}

/// The generated `ArtikelCategorie`'s fields with plain serde.
#[derive(Deserialize, Default)]
#[serde(default)]
#[allow(dead_code)]
struct PlainCategory {
    id: Option<i64>,
    children: Vec<PlainCategory>,
    naam: Option<String>,
    #[serde(flatten)]
    extra: std::collections::BTreeMap<String, Value>,
}

impl Bare {
    async fn fetch(
        &self,
        query: &[(&str, String)],
    ) -> Result<Envelope, Box<dyn std::error::Error>> {
        let response = self
            .http
            .get(format!("{}/categories/", self.base_url))
            .query(query)
            .header("X-ERP-TOKEN", &self.token)
            .header("Content-Type", "application/json")
            .send()
            .await?
            .error_for_status()?;
        let bytes = response.bytes().await?;
        Ok(serde_json::from_slice(&bytes)?)
    }

    async fn get(&self, id: i64) -> Result<PlainCategory, Box<dyn std::error::Error>> {
        self.fetch(&[("id", id.to_string())])
            .await?
            .data
            .into_iter()
            .next()
            .ok_or_else(|| format!("category {id} not found").into())
    }

    /// The id of the first seeded category (untimed).
    async fn first_id(&self) -> Result<i64, Box<dyn std::error::Error>> {
        self.fetch(&[])
            .await?
            .data
            .first()
            .and_then(|c| c.id)
            .ok_or_else(|| "the sandbox lists no categories".into())
    }
}
