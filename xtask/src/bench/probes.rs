//! The probe binaries (`tests/probes/`, examples of `erp-clients-tests`): built once in release
//! so that every figure is optimised code, found by name, and the sandbox server started as a
//! process of its own so that a probe's CPU time and memory are not the server's.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// Where the release probes are.
#[derive(Debug, Clone)]
pub struct Probes {
    dir: PathBuf,
}

impl Probes {
    /// Builds every probe (`cargo build --release -p erp-clients-tests --examples`).
    pub fn build(root: &Path) -> Result<Probes, String> {
        eprintln!("bench: building the probes in release");
        let status = Command::new(cargo())
            .args([
                "build",
                "--release",
                "-p",
                "erp-clients-tests",
                "--examples",
            ])
            .current_dir(root)
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !status.success() {
            return Err(format!("building the probes failed ({status})"));
        }
        Ok(Probes {
            dir: target_dir(root).join("release").join("examples"),
        })
    }

    /// A command running probe `name`.
    pub fn command(&self, name: &str) -> Command {
        Command::new(self.dir.join(name))
    }
}

/// The cargo that runs us (`cargo xtask`), or the one on the path.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// `CARGO_TARGET_DIR`, or `target/` of the workspace.
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// A running `bench_server`; closes its input (it then stops) and reaps it when dropped.
pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    pub base_url: String,
    pub root: String,
    /// The credential headers it accepts.
    pub headers: Value,
}

impl Server {
    /// Starts `vendor` with `records` per resource and `latency_ms` on every answer, serving
    /// resource `only` alone if given; waits for its address line (seeding takes seconds).
    pub fn start(
        probes: &Probes,
        vendor: &str,
        records: usize,
        latency_ms: u64,
        only: Option<&str>,
    ) -> Result<Server, String> {
        let what = format!("bench_server {vendor} {records} {latency_ms}");
        let mut child = probes
            .command("bench_server")
            .args([vendor, &records.to_string(), &latency_ms.to_string()])
            .args(only)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {what}: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let (send, receive) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            if let Some(stdout) = stdout {
                let _ = BufReader::new(stdout).read_line(&mut line);
            }
            let _ = send.send(line);
        });
        let mut server = Server {
            child,
            stdin,
            base_url: String::new(),
            root: String::new(),
            headers: Value::Null,
        };
        let line = receive
            .recv_timeout(Duration::from_secs(300))
            .map_err(|_| format!("{what} printed no address within 300 s"))?;
        let parsed: Value = serde_json::from_str(&line).map_err(|e| {
            format!(
                "{what} printed `{}`, not its address line: {e}",
                line.trim()
            )
        })?;
        let text = |key: &str| {
            parsed[key]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("{what} printed `{}` without `{key}`", line.trim()))
        };
        server.base_url = text("base_url")?;
        server.root = text("root")?;
        server.headers = parsed["headers"].clone();
        Ok(server)
    }

    /// The value of credential header `name`.
    pub fn credential(&self, name: &str) -> Result<String, String> {
        self.headers[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("the sandbox accepts no header `{name}`: {}", self.headers))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.flush();
        }
        // Its input is closed now; give it a moment to stop, then end it.
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
