//! Shared by every criterion bench file (`#[path = "common/mod.rs"] mod common;`):
//! one group configuration and the bench datasets, generated deterministically
//! in Rust and exported as `.npy` for the Python peers (`benches/peers/`), so
//! both sides time the very same data.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use criterion::Criterion;

/// The one criterion configuration every bench group uses: short warm-up,
/// enough samples for a stable median on a noisy 2-core machine.
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .sample_size(10)
        .configure_from_args()
}

/// Where the benches export their datasets for the Python peers:
/// `<target dir>/bench-data`, created if missing. The target dir is
/// `$CARGO_TARGET_DIR` when set (a relative one is taken from the repository
/// root, as cargo does when run there), else the repository root's `target/` —
/// also for the benches of the separate `benches/linfa` workspace, so that the
/// Python peers find every dataset in one place. (cargo runs each bench in its
/// package directory, `benches/` or `benches/linfa/`.)
pub fn bench_data_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // The repository root: the nearest ancestor holding the library's sources.
    let root = manifest
        .ancestors()
        .find(|d| d.join("src/lib.rs").is_file() && d.join("benches/common").is_dir())
        .map_or_else(|| manifest.join(".."), PathBuf::from);
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => root.join(t),
        None => root.join("target"),
    };
    let dir = target.join("bench-data");
    std::fs::create_dir_all(&dir).expect("create the bench-data directory");
    dir
}
