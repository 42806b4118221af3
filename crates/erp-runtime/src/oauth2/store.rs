//! Where a session's tokens live between requests and between processes.

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use super::TokenSet;

/// Persists a session's [`TokenSet`].
///
/// The session calls [`exclusive`](TokenStore::exclusive) around every renewal and, inside it,
/// [`load`](TokenStore::load) (to pick up what another process stored), the token endpoint, and
/// [`save`](TokenStore::save) (before the new access token is used). A store shared between
/// processes makes `exclusive` hold a lock they all respect, so that only one of them
/// refreshes; the others find its tokens when they get the lock.
///
/// Errors are `std::io::Error`s; wrap other errors with `io::Error::other`. Messages must not
/// contain token values.
///
/// ```
/// use erp_runtime::oauth2::{MemoryTokenStore, TokenSet, TokenStore};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryTokenStore::new();
/// store.save(&TokenSet::new("at")).await?;
/// assert_eq!(store.load().await?.map(|t| t.access_token), Some("at".into()));
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub trait TokenStore: Send + Sync + fmt::Debug + 'static {
    /// The stored tokens, or `None` if nothing is stored yet.
    fn load(&self) -> BoxFuture<'_, io::Result<Option<TokenSet>>>;

    /// Stores `tokens` durably, replacing what was stored. Returns only once they would
    /// survive a crash.
    fn save<'a>(&'a self, tokens: &'a TokenSet) -> BoxFuture<'a, io::Result<()>>;

    /// Runs `critical` (load, refresh, save) while holding whatever lock keeps other users of
    /// the same storage from doing the same. Returns an error, without running `critical`, if
    /// the lock cannot be had. The default takes no lock: within one process the session
    /// already runs one renewal at a time.
    fn exclusive<'a>(&'a self, critical: BoxFuture<'a, ()>) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            critical.await;
            Ok(())
        })
    }
}

impl<T: TokenStore + ?Sized> TokenStore for Arc<T> {
    fn load(&self) -> BoxFuture<'_, io::Result<Option<TokenSet>>> {
        (**self).load()
    }

    fn save<'a>(&'a self, tokens: &'a TokenSet) -> BoxFuture<'a, io::Result<()>> {
        (**self).save(tokens)
    }

    fn exclusive<'a>(&'a self, critical: BoxFuture<'a, ()>) -> BoxFuture<'a, io::Result<()>> {
        (**self).exclusive(critical)
    }
}

/// Tokens in memory only: lost when the process ends. The default store.
///
/// ```
/// use erp_runtime::oauth2::{MemoryTokenStore, TokenSet};
/// let store = MemoryTokenStore::with_tokens(TokenSet::from_refresh_token("s3cret"));
/// assert_eq!(format!("{store:?}"), "MemoryTokenStore { tokens: \"present\" }");
/// ```
#[derive(Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<Option<TokenSet>>,
}

impl MemoryTokenStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that starts with `tokens` (e.g. a refresh token from a previous login).
    pub fn with_tokens(tokens: TokenSet) -> Self {
        MemoryTokenStore {
            tokens: Mutex::new(Some(tokens)),
        }
    }

    fn get(&self) -> Option<TokenSet> {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = if self.get().is_some() {
            "present"
        } else {
            "absent"
        };
        f.debug_struct("MemoryTokenStore")
            .field("tokens", &shown)
            .finish()
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> BoxFuture<'_, io::Result<Option<TokenSet>>> {
        Box::pin(async move { Ok(self.get()) })
    }

    fn save<'a>(&'a self, tokens: &'a TokenSet) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            *self.tokens.lock().unwrap_or_else(PoisonError::into_inner) = Some(tokens.clone());
            Ok(())
        })
    }
}

/// Tokens in a JSON file, shareable between processes (several CLI runs, a cron job and a
/// service).
///
/// - **Writes are atomic and durable**: a temporary file in the same directory (mode `0600`
///   on Unix), `fsync`, rename over the token file, `fsync` of the directory. A reader sees
///   the old file or the new one, never a torn one, and a crash never loses a rotated refresh
///   token that was reported saved.
/// - **Renewals are exclusive**: [`exclusive`](TokenStore::exclusive) holds an advisory lock
///   (`flock` on Unix, `LockFileEx` on Windows) on a separate file, `<path>.lock`, across
///   load → refresh → save. The lock is on its own file because the token file is replaced by
///   each save, and a lock on a replaced file protects nothing. The lock file is never
///   deleted: deleting it would let two processes lock two different files. Advisory locks
///   bind only processes that use them, and may not work on network file systems.
///
/// ```no_run
/// use erp_runtime::oauth2::{FileTokenStore, OAuth2, OAuth2Config};
/// let store = FileTokenStore::new("/var/lib/myapp/erp-tokens.json");
/// let config = OAuth2Config::new("demo", "https://login.example.com/oauth2/token", "client-id");
/// let auth = OAuth2::builder(config).store(store).build()?;
/// # Ok::<(), erp_runtime::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    path: PathBuf,
    lock_path: PathBuf,
    lock_timeout: Duration,
}

impl FileTokenStore {
    /// A store in the file `path` (created on the first save; its directory must exist).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let mut lock_path = path.clone().into_os_string();
        lock_path.push(".lock");
        FileTokenStore {
            path,
            lock_path: lock_path.into(),
            lock_timeout: Duration::from_secs(60),
        }
    }

    /// How long [`exclusive`](TokenStore::exclusive) waits for another process to release the
    /// lock before failing. Default 60 s: longer than a token request should ever take.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn context(&self, e: io::Error, what: &str) -> io::Error {
        io::Error::new(e.kind(), format!("{what} {}: {e}", self.path.display()))
    }
}

impl TokenStore for FileTokenStore {
    fn load(&self) -> BoxFuture<'_, io::Result<Option<TokenSet>>> {
        Box::pin(async move {
            let path = self.path.clone();
            let bytes = match blocking(move || std::fs::read(path)).await {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(self.context(e, "cannot read token file")),
            };
            serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                // serde's message may quote a value from the file: only the position is shown.
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "token file {} is not a valid token set (line {}, column {})",
                        self.path.display(),
                        e.line(),
                        e.column()
                    ),
                )
            })
        })
    }

    fn save<'a>(&'a self, tokens: &'a TokenSet) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let mut bytes = serde_json::to_vec_pretty(tokens).map_err(io::Error::other)?;
            bytes.push(b'\n');
            let path = self.path.clone();
            blocking(move || write_atomically(&path, &bytes))
                .await
                .map_err(|e| self.context(e, "cannot write token file"))
        })
    }

    fn exclusive<'a>(&'a self, critical: BoxFuture<'a, ()>) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let lock_path = self.lock_path.clone();
            let file = blocking(move || open_private(&lock_path, false))
                .await
                .map_err(|e| self.context(e, "cannot open the lock file of"))?;
            let mut lock = fd_lock::RwLock::new(file);
            let started = Instant::now();
            let mut pause = Duration::from_millis(5);
            // Polled rather than blocking: a blocking lock would tie up a runtime thread, and
            // the guard borrows the lock, so it cannot be taken on a blocking thread and
            // brought back.
            loop {
                match lock.try_write() {
                    Ok(_guard) => {
                        critical.await;
                        return Ok(());
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(self.context(e, "cannot lock the lock file of")),
                }
                if started.elapsed() >= self.lock_timeout {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "another process has held the lock on {} for more than {} s",
                            self.lock_path.display(),
                            self.lock_timeout.as_secs()
                        ),
                    ));
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(100));
            }
        })
    }
}

/// File system calls block; they run on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| io::Error::other(format!("file task failed: {e}")))?
}

/// Opens (creating if needed) a file only its owner may read.
fn open_private(path: &Path, create_new: bool) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true);
    if create_new {
        options.create_new(true);
    } else {
        options.create(true).truncate(false);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Replaces `path` with `bytes` so that readers and crashes see the old or the new content.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the token path has no file name",
        )
    })?;
    // Same directory, so the rename stays on one file system (and is atomic).
    let temp = dir.join(format!(
        ".{}.{}-{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = open_private(&temp, true)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        // Best effort; after a successful rename the temporary name no longer exists.
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Makes the rename durable: on Unix a directory entry is only on disk after the directory is
/// synced.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fresh, empty directory under the system's temporary directory, removed on drop.
    pub(crate) struct TempDir(pub PathBuf);

    impl TempDir {
        pub(crate) fn new(label: &str) -> Self {
            static N: AtomicU64 = AtomicU64::new(0);
            let path = std::env::temp_dir().join(format!(
                "erp-runtime-{label}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            TempDir(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[tokio::test]
    async fn the_file_round_trips_is_private_and_leaves_no_temporary_files() {
        let dir = TempDir::new("store");
        let store = FileTokenStore::new(dir.0.join("tokens.json"));
        assert_eq!(store.load().await.unwrap(), None);
        let tokens = TokenSet::new("at").refresh_token("rt");
        store.save(&tokens).await.unwrap();
        store.save(&tokens).await.unwrap();
        assert_eq!(store.load().await.unwrap(), Some(tokens));
        let names: Vec<String> = std::fs::read_dir(&dir.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["tokens.json"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[tokio::test]
    async fn a_broken_file_is_reported_without_its_content() {
        let dir = TempDir::new("broken");
        let path = dir.0.join("tokens.json");
        std::fs::write(&path, r#"{"access_token": 5, "refresh_token": "s3cret"}"#).unwrap();
        let err = FileTokenStore::new(&path).load().await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("line 1"), "{err}");
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }

    #[tokio::test]
    async fn the_lock_excludes_a_second_store_on_the_same_file() {
        let dir = TempDir::new("lock");
        let first = FileTokenStore::new(dir.0.join("tokens.json"));
        let second = first.clone().lock_timeout(Duration::from_millis(50));
        let (held_tx, held_rx) = tokio::sync::oneshot::channel();
        let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
        let holder = tokio::spawn(async move {
            first
                .exclusive(Box::pin(async move {
                    let _ = held_tx.send(());
                    let _ = release_rx.await;
                }))
                .await
        });
        held_rx.await.unwrap();
        let mut ran = false;
        let err = second
            .exclusive(Box::pin(async { ran = true }))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(!ran);
        release_tx.send(()).unwrap();
        holder.await.unwrap().unwrap();
        second
            .exclusive(Box::pin(async { ran = true }))
            .await
            .unwrap();
        assert!(ran);
    }
}
