//! Atomic file writes and data fingerprints.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::Float;
use crate::error::{Error, Result};

/// A short, stable fingerprint of an array's dtype, shape and values
/// (64-bit FNV-1a over the little-endian bytes in logical order), for the
/// user metadata of a model file: which data was it trained on?
///
/// Not cryptographic: it detects accidental differences, not tampering.
///
/// # Example
/// ```
/// use std::collections::BTreeMap;
/// use oxilearn::ndarray::array;
/// use oxilearn::persist::fingerprint;
///
/// let x = array![[1.0, 2.0], [3.0, 4.0]];
/// let fp = fingerprint(x.view());
/// assert!(fp.starts_with("fnv1a64:"));
/// assert_eq!(fp, fingerprint(x.t().as_standard_layout().t())); // layout does not matter
/// assert_ne!(fp, fingerprint(x.mapv(|v| v as f32).view()));   // dtype does
/// let mut user = BTreeMap::new();
/// user.insert("train_data".to_string(), fp); // then model.save_with(path, &user)
/// ```
pub fn fingerprint<F: Float, D: ndarray::Dimension>(a: ndarray::ArrayView<'_, F, D>) -> String {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(PRIME);
        }
    };
    eat(F::NAME.as_bytes());
    for d in a.shape() {
        eat(&(*d as u64).to_le_bytes());
    }
    for v in a.iter() {
        eat(&v.to_f64_exact().to_le_bytes());
    }
    format!("fnv1a64:{h:016x}")
}

/// Writes `bytes` to `path` atomically: a uniquely named temporary file in the
/// same directory, `fsync`, rename over `path`, then `fsync` of the directory
/// (best effort). The temporary file is removed on failure.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let file_name = path.file_name().ok_or_else(|| {
        Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "path has no file name"),
        )
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        ".{}.{}.{}.tmp",
        file_name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    // Make the rename itself durable (not supported on every platform).
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
