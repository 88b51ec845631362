//! Shared by every criterion bench file (`#[path = "common/mod.rs"] mod common;`):
//! one group configuration and the bench datasets, generated deterministically
//! in Rust and exported as `.npy` for the Python peers (`benches/peers/`), so
//! both sides time the very same data.
#![allow(dead_code)]

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
