//! The model repository: `DIR/<name>/<version>/model.safetensors`.
//!
//! - `<name>`: letters, digits, `_`, `-`, `.` (not starting with `.`);
//!   other entries of `DIR` are ignored.
//! - `<version>`: a positive integer; every version on disk is loaded and
//!   can be addressed; an unversioned request goes to the highest version
//!   that is `READY`.
//! - A scan (at start, every `--poll-interval`, and on
//!   `POST /v2/repository/models/{name}/load`) compares each file's size,
//!   modification time and inode with what is loaded: new and changed files
//!   are loaded, versions whose directory is gone are unloaded. Loading
//!   happens beside serving: the previous versions answer until the new one
//!   is `READY`.
//! - A file that fails to load makes its version `UNAVAILABLE` with the
//!   reason (in the repository index, the model metadata and the log); it
//!   never stops the server or other versions. If a `READY` version's file
//!   is replaced by a broken one, the loaded model keeps serving and the
//!   failure is reported as its reason. A file that changes while it is
//!   read is retried at the next scan.
//!
//! Write new versions atomically (write elsewhere, then `mv` into place, or
//! create the version directory last), as `oxilearn fit` and the library's
//! `save` do.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::error::ApiError;
use super::metrics::{Metrics, VersionMetrics};
use super::model::ServedModel;

/// The file name of a model inside its version directory.
pub const MODEL_FILE: &str = "model.safetensors";

/// The state of one model version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    /// Loaded; answers requests.
    Ready,
    /// Could not be loaded (see the reason).
    Unavailable,
    /// Found, not loaded yet.
    Loading,
}

impl State {
    /// `READY`, `UNAVAILABLE` or `LOADING`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ready => "READY",
            State::Unavailable => "UNAVAILABLE",
            State::Loading => "LOADING",
        }
    }
}

/// Identity of a file on disk: changes when the file is rewritten or replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified_ns: u128,
    inode: u64,
    device: u64,
}

fn stamp(path: &Path) -> std::io::Result<Stamp> {
    let m = fs::metadata(path)?;
    let modified_ns = m
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    #[cfg(unix)]
    let (inode, device) = {
        use std::os::unix::fs::MetadataExt;
        (m.ino(), m.dev())
    };
    #[cfg(not(unix))]
    let (inode, device) = (0, 0);
    Ok(Stamp {
        len: m.len(),
        modified_ns,
        inode,
        device,
    })
}

/// One version of a model.
#[derive(Debug, Clone)]
pub struct Version {
    /// Its state.
    pub state: State,
    /// Why it is not ready, or why its last reload failed.
    pub reason: String,
    /// The loaded model (`READY` only).
    pub model: Option<Arc<ServedModel>>,
    /// Its metric handles (`READY` only).
    pub metrics: Option<VersionMetrics>,
    /// When the served file was loaded (seconds since the epoch).
    pub loaded_at: Option<u64>,
    stamp: Option<Stamp>,
}

/// Every version of one model name.
pub type Versions = BTreeMap<u64, Version>;

/// A consistent view of the repository.
pub type Snapshot = BTreeMap<String, Versions>;

/// One row of the repository index (`POST /v2/repository/index`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct IndexEntry {
    /// Model name.
    pub name: String,
    /// Version.
    pub version: String,
    /// `READY`, `UNAVAILABLE` or `LOADING`.
    pub state: &'static str,
    /// Why, when not ready (or why the last reload failed).
    pub reason: String,
}

/// The repository and what is loaded from it.
#[derive(Debug)]
pub struct Repository {
    root: PathBuf,
    snapshot: RwLock<Arc<Snapshot>>,
    scan_lock: std::sync::Mutex<()>,
    metrics: Arc<Metrics>,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn parse_version(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|&v| v > 0)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What a scan found on disk for one version.
enum OnDisk {
    File(PathBuf, Stamp),
    Missing(String),
}

impl Repository {
    /// A repository rooted at `root` (not scanned yet).
    ///
    /// # Errors
    /// When `root` is not a readable directory.
    pub fn open(root: impl Into<PathBuf>, metrics: Arc<Metrics>) -> std::io::Result<Self> {
        let root = root.into();
        fs::read_dir(&root)?;
        Ok(Repository {
            root,
            snapshot: RwLock::new(Arc::new(Snapshot::new())),
            scan_lock: std::sync::Mutex::new(()),
            metrics,
        })
    }

    /// The repository directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The current view.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn publish(&self, f: impl FnOnce(&mut Snapshot)) {
        let mut guard = self.snapshot.write().unwrap_or_else(|p| p.into_inner());
        let mut next = Snapshot::clone(&guard);
        f(&mut next);
        let (mut ready, mut unavailable, mut loading) = (0, 0, 0);
        for v in next.values().flat_map(|vs| vs.values()) {
            match v.state {
                State::Ready => ready += 1,
                State::Unavailable => unavailable += 1,
                State::Loading => loading += 1,
            }
        }
        self.metrics.set_versions(ready, unavailable, loading);
        *guard = Arc::new(next);
    }

    /// Model names on disk (valid directory names only).
    fn disk_models(&self) -> std::io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if valid_name(&name) && entry.path().is_dir() {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    fn disk_versions(&self, name: &str) -> BTreeMap<u64, OnDisk> {
        let mut out = BTreeMap::new();
        let dir = self.root.join(name);
        let Ok(entries) = fs::read_dir(&dir) else {
            return out;
        };
        for entry in entries.flatten() {
            let fname = entry.file_name().to_string_lossy().into_owned();
            let Some(v) = parse_version(&fname) else {
                continue;
            };
            if !entry.path().is_dir() {
                continue;
            }
            let file = entry.path().join(MODEL_FILE);
            let found = match stamp(&file) {
                Ok(s) => OnDisk::File(file, s),
                Err(e) => OnDisk::Missing(format!("cannot read {}: {e}", file.display())),
            };
            out.insert(v, found);
        }
        out
    }

    /// Scans the whole repository (blocking; run it off the async executor).
    /// Returns the number of versions whose state changed.
    pub fn scan(&self) -> usize {
        let _one_scan = self.scan_lock.lock().unwrap_or_else(|p| p.into_inner());
        let names = match self.disk_models() {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(root = %self.root.display(), error = %e,
                    "cannot list the model repository; keeping the loaded models");
                return 0;
            }
        };
        let mut changed = 0;
        let gone: Vec<String> = self
            .snapshot()
            .keys()
            .filter(|k| !names.contains(k))
            .cloned()
            .collect();
        if !gone.is_empty() {
            for name in &gone {
                tracing::info!(model = %name, "model directory removed; unloading every version");
            }
            changed += gone.len();
            self.publish(|s| gone.iter().for_each(|n| drop(s.remove(n))));
        }
        for name in names {
            changed += self.scan_model_locked(&name);
        }
        changed
    }

    /// Scans one model now (`POST /v2/repository/models/{name}/load`).
    ///
    /// # Errors
    /// 404 when there is no such model directory.
    pub fn scan_model(&self, name: &str) -> Result<usize, ApiError> {
        let _one_scan = self.scan_lock.lock().unwrap_or_else(|p| p.into_inner());
        if !valid_name(name) || !self.root.join(name).is_dir() {
            return Err(ApiError::not_found(format!(
                "no model directory `{name}` in the repository"
            )));
        }
        Ok(self.scan_model_locked(name))
    }

    fn scan_model_locked(&self, name: &str) -> usize {
        let disk = self.disk_versions(name);
        let current = self.snapshot().get(name).cloned().unwrap_or_default();
        let mut changed = 0;
        let removed: Vec<u64> = current
            .keys()
            .filter(|v| !disk.contains_key(v))
            .copied()
            .collect();
        if !removed.is_empty() || !self.snapshot().contains_key(name) {
            for v in &removed {
                tracing::info!(model = %name, version = v, "version directory removed; unloaded");
            }
            changed += removed.len();
            self.publish(|s| {
                let versions = s.entry(name.to_string()).or_default();
                removed.iter().for_each(|v| drop(versions.remove(v)));
            });
        }
        for (v, found) in disk {
            let old = current.get(&v);
            match found {
                OnDisk::Missing(reason) => {
                    if old.is_some_and(|o| o.state == State::Unavailable && o.reason == reason) {
                        continue;
                    }
                    tracing::warn!(model = %name, version = v, %reason, "version not loadable");
                    changed += 1;
                    self.publish(|s| {
                        s.entry(name.to_string()).or_default().insert(
                            v,
                            Version {
                                state: State::Unavailable,
                                reason,
                                model: None,
                                metrics: None,
                                loaded_at: None,
                                stamp: None,
                            },
                        );
                    });
                }
                OnDisk::File(path, st) => {
                    if old.is_some_and(|o| o.stamp == Some(st)) {
                        continue;
                    }
                    if self.load_version(name, v, &path, st, old) {
                        changed += 1;
                    }
                }
            }
        }
        changed
    }

    /// Loads one file; returns whether the snapshot changed.
    fn load_version(
        &self,
        name: &str,
        v: u64,
        path: &Path,
        st: Stamp,
        old: Option<&Version>,
    ) -> bool {
        if old.is_none() {
            self.publish(|s| {
                s.entry(name.to_string()).or_default().insert(
                    v,
                    Version {
                        state: State::Loading,
                        reason: String::new(),
                        model: None,
                        metrics: None,
                        loaded_at: None,
                        stamp: None,
                    },
                );
            });
        }
        let started = std::time::Instant::now();
        let result = fs::read(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))
            .and_then(|bytes| {
                // A file being written while we read it: try again at the next scan.
                match stamp(path) {
                    Ok(after) if after == st => Ok(bytes),
                    _ => Err(String::new()),
                }
            })
            .and_then(|bytes| {
                ServedModel::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))
            });
        let next = match result {
            Err(reason) if reason.is_empty() => {
                tracing::info!(model = %name, version = v, "file changed while being read; retrying at the next scan");
                return old.is_none();
            }
            Ok(model) => {
                self.metrics.load(name, true);
                tracing::info!(
                    model = %name, version = v, kind = %model.metadata().kind,
                    n_features = ?model.metadata().n_features,
                    millis = started.elapsed().as_millis() as u64,
                    "{}", if old.is_some() { "version reloaded" } else { "version loaded" }
                );
                Version {
                    state: State::Ready,
                    reason: String::new(),
                    model: Some(Arc::new(model)),
                    metrics: Some(self.metrics.version(name, v)),
                    loaded_at: Some(now_secs()),
                    stamp: Some(st),
                }
            }
            Err(reason) => {
                self.metrics.load(name, false);
                match old.filter(|o| o.state == State::Ready) {
                    Some(o) => {
                        tracing::error!(model = %name, version = v, %reason,
                            "new file failed to load; the previously loaded model keeps serving");
                        Version {
                            reason: format!(
                                "the file was replaced by one that failed to load ({reason}); \
                                 serving the previously loaded file"
                            ),
                            stamp: Some(st),
                            ..o.clone()
                        }
                    }
                    None => {
                        tracing::error!(model = %name, version = v, %reason, "version failed to load");
                        Version {
                            state: State::Unavailable,
                            reason,
                            model: None,
                            metrics: None,
                            loaded_at: None,
                            stamp: Some(st),
                        }
                    }
                }
            }
        };
        self.publish(|s| {
            s.entry(name.to_string()).or_default().insert(v, next);
        });
        true
    }

    /// The repository index, sorted by name and version.
    pub fn index(&self, ready_only: bool) -> Vec<IndexEntry> {
        self.snapshot()
            .iter()
            .flat_map(|(name, vs)| {
                vs.iter().map(move |(v, ver)| IndexEntry {
                    name: name.clone(),
                    version: v.to_string(),
                    state: ver.state.as_str(),
                    reason: ver.reason.clone(),
                })
            })
            .filter(|e| !ready_only || e.state == "READY")
            .collect()
    }

    /// True when every model (with at least one version directory) has a
    /// `READY` version.
    pub fn all_ready(&self) -> bool {
        self.snapshot()
            .values()
            .filter(|vs| !vs.is_empty())
            .all(|vs| vs.values().any(|v| v.state == State::Ready))
    }
}

/// A resolved model version.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The version number.
    pub version: u64,
    /// Its entry.
    pub entry: Version,
    /// Every version of the model, ascending.
    pub versions: Vec<u64>,
}

/// Finds `name` (and `version`, or the highest `READY` one) in `snapshot`.
///
/// # Errors
/// 404 for an unknown model or version. An unversioned request for a model
/// with no `READY` version resolves to its highest version (the caller
/// reports why it is not ready).
pub fn resolve(
    snapshot: &Snapshot,
    name: &str,
    version: Option<&str>,
) -> Result<Resolved, ApiError> {
    let versions = snapshot.get(name).ok_or_else(|| {
        let known: Vec<&str> = snapshot.keys().take(20).map(String::as_str).collect();
        ApiError::not_found(format!(
            "unknown model `{name}`; the repository has {known:?}"
        ))
    })?;
    let list: Vec<u64> = versions.keys().copied().collect();
    let v = match version {
        Some(s) => parse_version(s)
            .filter(|v| versions.contains_key(v))
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "model `{name}` has no version `{s}`; it has {list:?}"
                ))
            })?,
        None => versions
            .iter()
            .rev()
            .find(|(_, e)| e.state == State::Ready)
            .or_else(|| versions.iter().next_back())
            .map(|(v, _)| *v)
            .ok_or_else(|| ApiError::not_found(format!("model `{name}` has no versions")))?,
    };
    Ok(Resolved {
        version: v,
        entry: versions[&v].clone(),
        versions: list,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions_follow_the_layout_rules() {
        assert!(valid_name("spam-svc_v2.1"));
        assert!(!valid_name(".hidden"));
        assert!(!valid_name("a b"));
        assert!(!valid_name(""));
        assert_eq!(parse_version("12"), Some(12));
        assert_eq!(parse_version("0"), None);
        assert_eq!(parse_version("+1"), None);
        assert_eq!(parse_version("1.0"), None);
        assert_eq!(parse_version("99999999999999999999999"), None);
    }
}
