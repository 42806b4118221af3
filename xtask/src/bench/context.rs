//! The machine and the code a run measured, so that figures are read with what they came from:
//! a ratio from a loaded two-core machine is not one from an idle workstation.

use std::path::Path;
use std::process::Command;

/// Where and on what a bench run happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// Short commit id, with `+changes` when the work tree differed from it.
    pub commit: String,
    pub rustc: String,
    pub cpu: String,
    pub cores: usize,
    /// `YYYY-MM-DD` (UTC) of the run.
    pub date: String,
    /// One-minute load average when the run started and when it ended.
    pub load_start: f64,
    pub load_end: f64,
}

impl Context {
    /// Reads everything but the load at the end (see [`Context::finish`]).
    pub fn start(root: &Path) -> Context {
        Context {
            commit: commit(root),
            rustc: output("rustc", &["--version"], root).unwrap_or_else(|| "unknown".into()),
            cpu: cpu_model().unwrap_or_else(|| "unknown".into()),
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            date: today(),
            load_start: load_average().unwrap_or(f64::NAN),
            load_end: f64::NAN,
        }
    }

    /// Records the load average at the end of the run.
    pub fn finish(&mut self) {
        self.load_end = load_average().unwrap_or(f64::NAN);
    }
}

fn output(program: &str, args: &[&str], dir: &Path) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn commit(root: &Path) -> String {
    let id = output("git", &["rev-parse", "--short=10", "HEAD"], root)
        .unwrap_or_else(|| "unknown".into());
    // Generated output of the run itself (target/) is ignored by git; anything else counts.
    let dirty = output(
        "git",
        &["status", "--porcelain", "--untracked-files=no"],
        root,
    )
    .is_some_and(|s| !s.is_empty());
    if dirty { format!("{id}+changes") } else { id }
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map(|(_, name)| name.trim().to_owned())
}

fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn today() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date(seconds / 86_400)
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01 (Howard Hinnant's days-to-civil algorithm).
pub fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(20_789), "2026-12-02");
    }
}
