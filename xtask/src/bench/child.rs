//! Runs one child process and measures it from outside: wall time, CPU time (user + system)
//! and peak resident memory, from the `rusage` that `wait4` returns for exactly that child, so
//! a probe's figures are its own and not the harness's or a server's.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What one child run cost, and what it printed.
#[derive(Debug, Clone)]
pub struct Measured {
    pub wall: Duration,
    /// User plus system CPU time of the child (and of children it waited for).
    pub cpu: Duration,
    /// Peak resident set size in KiB (`ru_maxrss`).
    pub max_rss_kib: u64,
    pub stdout: String,
}

/// Runs `command` to completion, killing it after `timeout`. A non-zero exit, a signal or a
/// timeout is an error naming the command and quoting the end of its standard error.
pub fn run(command: &mut Command, timeout: Duration) -> Result<Measured, String> {
    let shown = show(command);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
    let pid = child.id() as libc::pid_t;
    // Both pipes are drained while the child runs, so that it never blocks on a full pipe.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let (done, finished) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(timeout) == Err(mpsc::RecvTimeoutError::Timeout) {
            // SAFETY: `pid` is our child, not yet reaped (the main thread reaps it and then
            // tells us), so the id cannot belong to another process.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            return true;
        }
        false
    });
    let (status, usage) = wait(pid).map_err(|e| format!("waiting for `{shown}`: {e}"))?;
    let wall = start.elapsed();
    let _ = done.send(());
    let timed_out = watchdog.join().unwrap_or(false);
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if timed_out {
        return Err(format!(
            "`{shown}` did not finish within {} s and was killed{}",
            timeout.as_secs(),
            tail(&stderr)
        ));
    }
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        let how = if libc::WIFEXITED(status) {
            format!("exit code {}", libc::WEXITSTATUS(status))
        } else {
            format!("signal {}", libc::WTERMSIG(status))
        };
        return Err(format!("`{shown}` failed ({how}){}", tail(&stderr)));
    }
    Ok(Measured {
        wall,
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        stdout,
    })
}

/// Waits for `pid` with `wait4`, which also returns its resource usage.
fn wait(pid: libc::pid_t) -> std::io::Result<(libc::c_int, libc::rusage)> {
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers are to live locals of the right types.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            return Ok((status, usage));
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
        + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        text
    })
}

/// The last lines of a child's standard error, for an error message.
fn tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    if lines.is_empty() {
        return String::new();
    }
    let start = lines.len().saturating_sub(8);
    format!(":\n    {}", lines[start..].join("\n    "))
}

/// The command as a person would type it (program and arguments).
pub fn show(command: &Command) -> String {
    let mut words = vec![command.get_program().to_string_lossy().into_owned()];
    words.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
    words.join(" ")
}

/// The last line of `stdout` parsed as JSON: how every probe reports.
pub fn json_line(measured: &Measured, what: &str) -> Result<serde_json::Value, String> {
    let line = measured
        .stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .ok_or_else(|| format!("{what} printed nothing"))?;
    serde_json::from_str(line).map_err(|e| format!("{what} printed `{line}`, not JSON: {e}"))
}

/// Member `key` of a probe's JSON line as a number.
pub fn number(line: &serde_json::Value, key: &str, what: &str) -> Result<f64, String> {
    line.get(key)
        .and_then(serde_json::Value::as_f64)
        .ok_or_else(|| format!("{what} printed `{line}` without a number `{key}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_child() {
        let m = run(
            Command::new("sh").args(["-c", "echo '{\"n\": 3}'"]),
            Duration::from_secs(10),
        )
        .unwrap();
        assert!(m.max_rss_kib > 0);
        assert_eq!(
            number(&json_line(&m, "sh").unwrap(), "n", "sh").unwrap(),
            3.0
        );
    }

    #[test]
    fn failure_quotes_stderr() {
        let e = run(
            Command::new("sh").args(["-c", "echo broken >&2; exit 3"]),
            Duration::from_secs(10),
        )
        .unwrap_err();
        assert!(e.contains("exit code 3") && e.contains("broken"), "{e}");
    }

    #[test]
    fn timeout_kills() {
        let start = Instant::now();
        let e = run(Command::new("sleep").arg("30"), Duration::from_millis(200)).unwrap_err();
        assert!(e.contains("killed"), "{e}");
        assert!(start.elapsed() < Duration::from_secs(10));
    }
}
