//! The one place that knows which instruction sets the CPU has, and the fast
//! math shared by the kernels.
//!
//! # Dispatch
//! Kernels with a hand-written or re-compiled SIMD variant (the SVM solver's
//! working-set scans and RBF rows, the logistic softmax pass, the AVX-512
//! gram kernel of `linalg`, the direct convolutions and 2×2 max pooling of
//! `nn`) ask [`active`] which variant to run. The CPU is probed once, on the
//! first call, and the answer is cached for the life of the process.
//!
//! # The `OXILEARN_CPU` override
//! Read once, at the first probe:
//!
//! | value | kernels use |
//! |---|---|
//! | unset, empty, `native` | everything the CPU has |
//! | `avx2` | at most AVX2 + FMA (no AVX-512) |
//! | `portable` | the portable Rust code only (no hand-written or re-compiled SIMD variant) |
//!
//! Any other value is treated as `native`. The override never enables what the
//! CPU lacks ([`active`] ⊆ [`hardware`]), so every `unsafe` call of a
//! `target_feature` function guarded by [`active`] stays sound. It changes
//! only oxilearn's own kernels: faer's and a system BLAS's products keep their
//! own dispatch. Every SIMD variant gives the same bits as its portable code
//! (tested next to each kernel) except the FMA convolutions, which are tested
//! against a reference within a tolerance; CI runs the library tests once
//! more with `OXILEARN_CPU=portable`.
//!
//! # Fast math
//! [`exp_f32`], `exp_f64` / [`exp_in_place`] (branch-free, so loops over
//! them vectorise) and the [`dot`] / [`dot_f64`] helpers with fixed
//! summation orders (same result on every run and thread count).

#![forbid(unsafe_code)]

mod dot;
mod exp;

use std::sync::OnceLock;

pub(crate) use dot::{dot, dot_f64};
pub(crate) use exp::{exp_f32, exp_in_place};

/// Instruction sets a kernel may use. On other architectures than x86-64
/// every field is `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Features {
    /// AVX (256-bit float vectors).
    pub(crate) avx: bool,
    /// AVX2 (256-bit integer vectors, gathers).
    pub(crate) avx2: bool,
    /// Fused multiply-add (FMA3).
    pub(crate) fma: bool,
    /// AVX-512 Foundation (512-bit vectors, mask registers).
    pub(crate) avx512f: bool,
}

/// The environment variable that restricts the kernels (module docs).
pub(crate) const ENV_VAR: &str = "OXILEARN_CPU";

/// What the kernels may use: [`hardware`] restricted by `OXILEARN_CPU`.
#[inline]
pub(crate) fn active() -> Features {
    probe().1
}

/// What the CPU supports, whatever `OXILEARN_CPU` says. For code that must
/// react to instructions other libraries may have run (`vzeroupper` after
/// faer's kernels) and for the tests that compare every variant the CPU can
/// run against the portable code.
#[inline]
pub(crate) fn hardware() -> Features {
    probe().0
}

/// `(hardware, active)`, probed and read once.
fn probe() -> (Features, Features) {
    static CACHE: OnceLock<(Features, Features)> = OnceLock::new();
    *CACHE.get_or_init(|| {
        let hw = detect();
        let setting = std::env::var(ENV_VAR).unwrap_or_default();
        (hw, restrict(hw, &setting))
    })
}

/// The CPU's instruction sets (`std` runs CPUID).
fn detect() -> Features {
    #[cfg(target_arch = "x86_64")]
    {
        Features {
            avx: std::arch::is_x86_feature_detected!("avx"),
            avx2: std::arch::is_x86_feature_detected!("avx2"),
            fma: std::arch::is_x86_feature_detected!("fma"),
            avx512f: std::arch::is_x86_feature_detected!("avx512f"),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    Features::default()
}

/// `hw` restricted by an `OXILEARN_CPU` value (module docs); never adds a
/// feature.
fn restrict(hw: Features, setting: &str) -> Features {
    match setting.trim().to_ascii_lowercase().as_str() {
        "portable" => Features::default(),
        "avx2" => Features {
            avx512f: false,
            ..hw
        },
        _ => hw,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subset(a: Features, b: Features) -> bool {
        (!a.avx || b.avx) && (!a.avx2 || b.avx2) && (!a.fma || b.fma) && (!a.avx512f || b.avx512f)
    }

    #[test]
    fn the_override_never_adds_a_feature() {
        let all = Features {
            avx: true,
            avx2: true,
            fma: true,
            avx512f: true,
        };
        let hws = [Features::default(), hardware(), all];
        for hw in hws {
            for s in [
                "",
                "native",
                "avx2",
                "AVX2",
                "portable",
                " Portable ",
                "sse9",
            ] {
                assert!(subset(restrict(hw, s), hw), "{hw:?} {s:?}");
            }
            assert_eq!(restrict(hw, "portable"), Features::default());
            assert_eq!(restrict(hw, ""), hw);
            assert_eq!(restrict(hw, "native"), hw);
            assert_eq!(restrict(hw, "unknown"), hw);
            assert!(!restrict(hw, "avx2").avx512f);
            assert_eq!(restrict(hw, "avx2").avx2, hw.avx2);
        }
        assert!(subset(active(), hardware()));
    }

    /// `active` follows the variable this process started with (read once).
    #[test]
    fn active_follows_the_environment() {
        let setting = std::env::var(ENV_VAR).unwrap_or_default();
        assert_eq!(active(), restrict(hardware(), &setting));
        assert_eq!(active(), active());
    }
}
