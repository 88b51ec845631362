//! Hand-written AVX-512 kernel for the lower triangle of `XᵀX` on one thread.
//!
//! Why hand-written: the gram of a tall, narrow block (`d` ≈ 10…500 columns,
//! ~10³ rows per leaf) is the inner loop of every linear fit. A general GEMM
//! computes the whole square; faer's triangular product splits the triangle
//! recursively into small GEMMs that re-pack the same columns at every level.
//! Here the block is packed once and both operands of the rank-1 updates
//! `G += xₚxₚᵀ` are read from that one copy.
//!
//! # Scheme
//! A chunk of `rows ≤ KC` rows is packed (by the caller) into column
//! *strips* of `L` lanes (one zmm vector per row of a strip, zero-padded past
//! the last column): element `(p, s·L + l)` at `buf[(s·rows + p)·L + l]`.
//! `G` (padded to `dp × dp`, `dp = strips·L`, row-major) is cut into column
//! panels of up to `NV = 3` strips; in a panel only rows `i ≥` its first
//! column are computed, in tiles of `MR = 8` rows, and a tile uses only the
//! vectors that reach its diagonal. A full tile keeps `8 × 3` zmm
//! accumulators; each packed row feeds them with 8 broadcasts and 3 vector
//! loads, all from a few cache lines that the chunk keeps in L1/L2.
//!
//! Only the entries `i ≥ j` are meaningful; diagonal tiles also write a few
//! entries above the diagonal, which the caller discards.

use std::arch::x86_64::*;

/// Rows of `G` per tile (broadcast operands).
const MR: usize = 8;
/// Rows of `X` per packed chunk.
pub(super) const KC: usize = 128;

/// Whether the kernel may run: the CPU has AVX-512F and `OXILEARN_CPU` does
/// not restrict it ([`crate::cpu::active`], a subset of what the CPU has).
pub(super) fn available() -> bool {
    crate::cpu::active().avx512f
}

macro_rules! syrk_impl {
    ($name:ident, $tile:ident, $t:ty, $lanes:expr, $vec:ty,
     $set1:ident, $zero:ident, $load:ident, $store:ident, $fmadd:ident, $add:ident) => {
        /// `G += PᵀP` on the entries `i ≥ j` of the row-major `dp × dp`
        /// buffer `g` (`dp = strips · lanes`), for a chunk of `rows` packed
        /// rows in `buf` (layout in the module docs).
        ///
        /// `prefetch` names memory the caller reads next (the rows of the
        /// following chunk): the tiles issue one prefetch per 64-byte line of
        /// it while they compute, so that its load from DRAM overlaps this
        /// chunk's arithmetic. Prefetches never fault and never change
        /// memory; the range is only a hint.
        ///
        /// # Safety
        /// The CPU supports AVX-512F ([`available`]).
        ///
        /// # Panics
        /// If `buf` or `g` is shorter than the stated shapes.
        #[target_feature(enable = "avx512f")]
        pub(super) unsafe fn $name(
            buf: &[$t],
            rows: usize,
            strips: usize,
            g: &mut [$t],
            prefetch: std::ops::Range<*const u8>,
        ) {
            const L: usize = $lanes;
            let dp = strips * L;
            assert!(
                buf.len() >= strips * rows * L,
                "syrk: packed chunk too short"
            );
            assert!(g.len() >= dp * dp, "syrk: G too short");
            if rows == 0 {
                return;
            }
            let mut pf = prefetch.start;
            let pf_end = prefetch.end;
            let mut s0 = 0;
            while s0 < strips {
                let nv = (strips - s0).min(3);
                let j0 = s0 * L;
                let mut i0 = j0;
                while i0 < dp {
                    // Vectors of the panel that reach column i0 + MR − 1.
                    let need = (i0 + MR - j0).div_ceil(L).min(nv);
                    // SAFETY: strips s0..s0+need ≤ strips and the tile's rows
                    // i0..i0+MR ≤ dp lie in `buf` (rows·L per strip) and `g`
                    // (asserted above); AVX-512F is the caller's guarantee.
                    unsafe {
                        let a = buf.as_ptr().add((i0 / L) * rows * L + i0 % L);
                        let b = buf.as_ptr().add(s0 * rows * L);
                        let gp = g.as_mut_ptr().add(i0 * dp + j0);
                        match need {
                            1 => $tile::<1>(a, b, rows, rows * L, gp, dp, &mut pf, pf_end),
                            2 => $tile::<2>(a, b, rows, rows * L, gp, dp, &mut pf, pf_end),
                            _ => $tile::<3>(a, b, rows, rows * L, gp, dp, &mut pf, pf_end),
                        }
                    }
                    i0 += MR;
                }
                s0 += nv;
            }
        }

        /// One `MR × NV·L` tile: `g[r·ldg + v·L + l] += Σₚ a[p·L + r]·b[v·sstride + p·L + l]`.
        ///
        /// # Safety
        /// AVX-512F; `a[p·L + r]` (`r < MR`) and `b[v·sstride + p·L + l]`
        /// (`v < NV`, `l < L`) are readable for `p < rows`; `g[r·ldg + c]`
        /// (`c < NV·L`) is writable.
        #[target_feature(enable = "avx512f")]
        #[inline]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $tile<const NV: usize>(
            a: *const $t,
            b: *const $t,
            rows: usize,
            sstride: usize,
            g: *mut $t,
            ldg: usize,
            pf: &mut *const u8,
            pf_end: *const u8,
        ) {
            const L: usize = $lanes;
            // SAFETY: the caller's contract.
            unsafe {
                let mut acc: [[$vec; NV]; MR] = [[$zero(); NV]; MR];
                for p in 0..rows {
                    let mut bv: [$vec; NV] = [$zero(); NV];
                    for (v, x) in bv.iter_mut().enumerate() {
                        *x = $load(b.add(v * sstride + p * L));
                    }
                    if *pf < pf_end {
                        _mm_prefetch::<_MM_HINT_T0>((*pf).cast::<i8>());
                        *pf = pf.wrapping_add(64);
                    }
                    let ap = a.add(p * L);
                    for (r, acc_r) in acc.iter_mut().enumerate() {
                        let s = $set1(*ap.add(r));
                        for (c, x) in acc_r.iter_mut().zip(&bv) {
                            *c = $fmadd(s, *x, *c);
                        }
                    }
                }
                for (r, acc_r) in acc.iter().enumerate() {
                    for (v, x) in acc_r.iter().enumerate() {
                        let gp = g.add(r * ldg + v * L);
                        $store(gp, $add($load(gp), *x));
                    }
                }
            }
        }
    };
}

syrk_impl!(
    syrk_packed_f64,
    tile_f64,
    f64,
    8,
    __m512d,
    _mm512_set1_pd,
    _mm512_setzero_pd,
    _mm512_loadu_pd,
    _mm512_storeu_pd,
    _mm512_fmadd_pd,
    _mm512_add_pd
);
syrk_impl!(
    syrk_packed_f32,
    tile_f32,
    f32,
    16,
    __m512,
    _mm512_set1_ps,
    _mm512_setzero_ps,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_fmadd_ps,
    _mm512_add_ps
);
