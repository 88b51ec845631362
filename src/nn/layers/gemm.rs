//! Register-tiled AVX2 + FMA kernels for the products of the Winograd
//! convolutions and of the fully connected layers.
//!
//! Both are small in one or two dimensions: a Winograd block's 16 products
//! are channels × channels × the block's tiles (16–64 channels, about 200
//! tiles), and the training pass runs a fully connected layer on chunks of
//! about 10 rows, or (a large one) on blocks of 32. A general GEMM packs its
//! operands into panels on every call, which these shapes never amortise:
//! in the Keras network's training step packing (with the kernels that pack
//! as they multiply) took about 10 % of the time and the narrow edge kernels
//! of the 64-row products another 7 %. Here the operands are read in place:
//! - [`nn`], `C = A·B` (Winograd forward and input gradient, dense input
//!   and weight gradients): `A` (`[m][k]`, contiguous) is small, `B` is
//!   read in panels of 16 columns, which (for the Winograd shapes) stay in
//!   L1 while every row tile walks them. Tiles of 6 rows × 16 columns keep 12 accumulators in
//!   registers (with the 2 vectors of `B` and a broadcast element of `A`,
//!   15 of the 16; 4 × 24 would need 16 and spills); each step loads 2
//!   vectors, broadcasts 6 elements and issues 12 fused multiply-adds.
//! - [`nt`], `C += A·Bᵀ` (Winograd weight gradient, dense forward): both
//!   operands are rows along `k`, so each output is a dot product. Tiles of
//!   4 × 3 outputs keep 12 vector partial sums; each step loads 7 vectors
//!   and issues 12 multiply-adds. `k` is cut into blocks of [`KB`], so that
//!   a block of both operands stays in L2 while the tiles walk it; each
//!   block's lanes are summed and added to `C`.
//!
//! On AVX-512 CPUs [`nn`] runs 8 × 32 tiles of 512-bit vectors (16
//! accumulators of the 32 registers) and the AVX2 kernel on the last
//! columns; every output is the same chain of fused multiply-adds over `k`,
//! so the bits match the AVX2 ones. [`nt`] stays 256-bit there (wider lanes
//! would change its partial sums, and with them the bits). Without AVX2 and FMA the products go to
//! [`crate::linalg::gemm_local`]. The register kernels' bits are those of
//! the scalar models in the tests (fused multiply-adds in the same order);
//! like every kernel of the CNN module they run on the calling thread, so
//! results do not depend on the thread count.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::{
    __m256, __m256i, _mm_add_ps, _mm_add_ss, _mm_cvtss_f32, _mm_movehl_ps, _mm_shuffle_ps,
    _mm256_broadcast_ss, _mm256_castps256_ps128, _mm256_cmpgt_epi32, _mm256_extractf128_ps,
    _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_maskload_ps, _mm256_maskstore_ps, _mm256_set1_epi32,
    _mm256_setr_epi32, _mm256_setzero_ps, _mm256_storeu_ps, _mm512_fmadd_ps, _mm512_loadu_ps,
    _mm512_set1_ps, _mm512_setzero_ps, _mm512_storeu_ps,
};

use ndarray::{ArrayView2, ArrayViewMut2, ShapeBuilder};

use super::conv::Isa;
use crate::linalg;

/// Rows of an [`nn`] register tile.
const NN_MR: usize = 6;

/// Rows of an [`nt`] register tile.
const NT_MR: usize = 4;

/// `C = A·B`: `A` is `[m][k]` (contiguous), `B` is `[k][n]` with rows `ldb`
/// apart, `C` is `[m][n]` with rows `ldc` apart (overwritten).
///
/// # Panics
/// If a slice is shorter than its shape needs (an internal invariant).
#[allow(clippy::too_many_arguments)]
pub(super) fn nn(
    isa: Isa,
    (m, n, k): (usize, usize, usize),
    a: &[f32],
    b: &[f32],
    ldb: usize,
    c: &mut [f32],
    ldc: usize,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        n <= ldb
            && n <= ldc
            && a.len() >= m * k
            && (k == 0 || b.len() >= (k - 1) * ldb + n)
            && c.len() >= (m - 1) * ldc + n,
        "winograd gemm: operands shorter than their shapes"
    );
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa` comes from `isa_of` of this CPU's features, which
        // found AVX2 and FMA (AVX-512F implies neither: `isa_of` checks
        // both before it returns `Avx512`).
        Isa::Avx2 => unsafe { nn_avx2(m, n, k, a, b, ldb, c, ldc) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, and `isa_of` returns `Avx512` only with
        // AVX-512F as well.
        Isa::Avx512 => unsafe { nn_avx512(m, n, k, a, b, ldb, c, ldc) },
        _ => {
            let av = ArrayView2::from_shape((m, k), &a[..m * k]).expect("A in bounds");
            let bv = ArrayView2::from_shape((k, n).strides((ldb, 1)), b).expect("B in bounds");
            let mut cv =
                ArrayViewMut2::from_shape((m, n).strides((ldc, 1)), c).expect("C in bounds");
            linalg::gemm_local(1.0, av, bv, 0.0, &mut cv);
        }
    }
}

/// `C += A·Bᵀ`: `A` is `[m][k]` with rows `lda` apart, `B` is `[n][k]` with
/// rows `ldb` apart, `C` is `[m][n]` (contiguous).
///
/// # Panics
/// If a slice is shorter than its shape needs (an internal invariant).
#[allow(clippy::too_many_arguments)]
pub(super) fn nt(
    isa: Isa,
    (m, n, k): (usize, usize, usize),
    a: &[f32],
    lda: usize,
    b: &[f32],
    ldb: usize,
    c: &mut [f32],
) {
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    assert!(
        k <= lda
            && k <= ldb
            && a.len() >= (m - 1) * lda + k
            && b.len() >= (n - 1) * ldb + k
            && c.len() >= m * n,
        "winograd gemm: operands shorter than their shapes"
    );
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as in `nn`: `isa` says this CPU has AVX2 and FMA.
        Isa::Avx2 | Isa::Avx512 => unsafe { nt_avx2(m, n, k, a, lda, b, ldb, c) },
        _ => {
            let av = ArrayView2::from_shape((m, k).strides((lda, 1)), a).expect("A in bounds");
            let bv = ArrayView2::from_shape((n, k).strides((ldb, 1)), b).expect("B in bounds");
            let mut cv = ArrayViewMut2::from_shape((m, n), &mut c[..m * n]).expect("C in bounds");
            linalg::gemm_local(1.0, av, bv.t(), 1.0, &mut cv);
        }
    }
}

/// Lanes below `left` (at most 8) set: the mask of a partial vector.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(super) fn lanes_below(left: usize) -> __m256i {
    // `left` ≤ 8 fits an i32.
    _mm256_cmpgt_epi32(
        _mm256_set1_epi32(left as i32),
        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
    )
}

/// [`nn`] with AVX2 + FMA: column panels of 16, then 8, then a masked
/// partial vector; within each, tiles of [`NN_MR`] rows and the row
/// remainder.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
fn nn_avx2(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    b: &[f32],
    ldb: usize,
    c: &mut [f32],
    ldc: usize,
) {
    let full = lanes_below(8);
    let mut j = 0;
    while j < n {
        let (w, mask) = match n - j {
            16.. => (16, full),
            8.. => (8, full),
            left => (left, lanes_below(left)),
        };
        let p = NnArgs {
            k,
            a,
            b: &b[j..],
            ldb,
            ldc,
        };
        match w {
            16 => nn_panel::<2, false>(&p, m, j, mask, c),
            8 => nn_panel::<1, false>(&p, m, j, mask, c),
            _ => nn_panel::<1, true>(&p, m, j, mask, c),
        }
        j += w;
    }
}

/// [`nn_avx2`]'s operands for one column panel (bounds checked by [`nn`]).
#[cfg(target_arch = "x86_64")]
struct NnArgs<'a> {
    k: usize,
    a: &'a [f32],
    /// `B` from the panel's first column on.
    b: &'a [f32],
    ldb: usize,
    ldc: usize,
}

/// Columns `j .. j + 8·NV` (the last vector under `mask` if `MASKED`) of
/// every row.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
fn nn_panel<const NV: usize, const MASKED: bool>(
    p: &NnArgs<'_>,
    m: usize,
    j: usize,
    mask: __m256i,
    c: &mut [f32],
) {
    let mut i = 0;
    while i + NN_MR <= m {
        nn_tile::<NN_MR, NV, MASKED>(p, i, j, mask, c);
        i += NN_MR;
    }
    match m - i {
        1 => nn_tile::<1, NV, MASKED>(p, i, j, mask, c),
        2 => nn_tile::<2, NV, MASKED>(p, i, j, mask, c),
        3 => nn_tile::<3, NV, MASKED>(p, i, j, mask, c),
        4 => nn_tile::<4, NV, MASKED>(p, i, j, mask, c),
        5 => nn_tile::<5, NV, MASKED>(p, i, j, mask, c),
        _ => {}
    }
}

/// Rows `i .. i + R`, columns `j .. j + 8·NV` of `C = A·B`.
// Indexing the register arrays by position keeps them in registers.
#[allow(clippy::needless_range_loop)]
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
fn nn_tile<const R: usize, const NV: usize, const MASKED: bool>(
    p: &NnArgs<'_>,
    i: usize,
    j: usize,
    mask: __m256i,
    c: &mut [f32],
) {
    let NnArgs { k, a, b, ldb, ldc } = *p;
    // `nn` checked a.len() ≥ m·k, b.len() ≥ (k − 1)·ldb + n and
    // c.len() ≥ (m − 1)·ldc + n; `b` here starts at column j of B, the
    // callers keep i + R ≤ m and j + 8·NV ≤ n, except for a masked last
    // vector, whose set lanes are below n.
    let (ap, bp, cp) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
    let mut acc = [[_mm256_setzero_ps(); NV]; R];
    for kk in 0..k {
        let mut bv = [_mm256_setzero_ps(); NV];
        for v in 0..NV {
            // SAFETY: row kk < k of the panel, its columns 8v .. 8v + 8
            // (or the masked lanes of them): inside b (see above).
            bv[v] = unsafe {
                let src = bp.add(kk * ldb + 8 * v);
                if MASKED && v == NV - 1 {
                    _mm256_maskload_ps(src, mask)
                } else {
                    _mm256_loadu_ps(src)
                }
            };
        }
        for r in 0..R {
            // SAFETY: (i + r)·k + kk < m·k ≤ a.len().
            let av = unsafe { _mm256_broadcast_ss(&*ap.add((i + r) * k + kk)) };
            for v in 0..NV {
                acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
            }
        }
    }
    for r in 0..R {
        for v in 0..NV {
            // SAFETY: row i + r < m of C, columns as for B, below n ≤ ldc.
            unsafe {
                let dst = cp.add((i + r) * ldc + j + 8 * v);
                if MASKED && v == NV - 1 {
                    _mm256_maskstore_ps(dst, mask, acc[r][v]);
                } else {
                    _mm256_storeu_ps(dst, acc[r][v]);
                }
            }
        }
    }
}

/// Rows of an [`nn_avx512`] register tile.
const NN_MR_512: usize = 8;

/// [`nn`] with AVX-512F: column panels of 32 in tiles of [`NN_MR_512`]
/// rows (16 accumulators, 2 vectors of `B` and a broadcast: 19 of the 32
/// registers), the row remainder in smaller tiles, and the last columns
/// (fewer than 32) by [`nn_avx2`]. Each output is the same chain of fused
/// multiply-adds over `k` as in [`nn_avx2`], so the bits are the same.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,avx512f")]
#[allow(clippy::too_many_arguments)]
fn nn_avx512(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    b: &[f32],
    ldb: usize,
    c: &mut [f32],
    ldc: usize,
) {
    let mut j = 0;
    while j + 32 <= n {
        let p = NnArgs {
            k,
            a,
            b: &b[j..],
            ldb,
            ldc,
        };
        let mut i = 0;
        while i + NN_MR_512 <= m {
            nn_tile512::<NN_MR_512>(&p, i, j, c);
            i += NN_MR_512;
        }
        match m - i {
            1 => nn_tile512::<1>(&p, i, j, c),
            2 => nn_tile512::<2>(&p, i, j, c),
            3 => nn_tile512::<3>(&p, i, j, c),
            4 => nn_tile512::<4>(&p, i, j, c),
            5 => nn_tile512::<5>(&p, i, j, c),
            6 => nn_tile512::<6>(&p, i, j, c),
            7 => nn_tile512::<7>(&p, i, j, c),
            _ => {}
        }
        j += 32;
    }
    if j < n {
        nn_avx2(m, n - j, k, a, &b[j..], ldb, &mut c[j..], ldc);
    }
}

/// Rows `i .. i + R`, columns `j .. j + 32` of `C = A·B`, with 512-bit
/// vectors.
#[allow(clippy::needless_range_loop)]
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn nn_tile512<const R: usize>(p: &NnArgs<'_>, i: usize, j: usize, c: &mut [f32]) {
    let NnArgs { k, a, b, ldb, ldc } = *p;
    // `nn` checked a.len() ≥ m·k, b.len() ≥ (k − 1)·ldb + n and
    // c.len() ≥ (m − 1)·ldc + n; `b` here starts at column j of B, and the
    // caller keeps i + R ≤ m and j + 32 ≤ n.
    let (ap, bp, cp) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
    let mut acc = [[_mm512_setzero_ps(); 2]; R];
    for kk in 0..k {
        // SAFETY: row kk < k of the panel, its columns 0 .. 32: inside b.
        let bv = unsafe {
            let src = bp.add(kk * ldb);
            [_mm512_loadu_ps(src), _mm512_loadu_ps(src.add(16))]
        };
        for r in 0..R {
            // SAFETY: (i + r)·k + kk < m·k ≤ a.len().
            let av = _mm512_set1_ps(unsafe { *ap.add((i + r) * k + kk) });
            for v in 0..2 {
                acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
            }
        }
    }
    for r in 0..R {
        for v in 0..2 {
            // SAFETY: row i + r < m of C, columns j + 16v .. j + 16v + 16 ≤
            // n ≤ ldc.
            unsafe { _mm512_storeu_ps(cp.add((i + r) * ldc + j + 16 * v), acc[r][v]) };
        }
    }
}

/// Columns (rows of `B`) per [`nt`] register tile.
const NT_NR: usize = 3;

/// Elements of `k` per [`nt`] block (a multiple of 8): 2 KB of each row, so
/// the rows of one register tile (14 KB) stay in L1 and a block of 128
/// rows in L2.
const KB: usize = 512;

/// [`nt`] with AVX2 + FMA: tiles of [`NT_MR`] × [`NT_NR`] outputs and the
/// remainders.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
fn nt_avx2(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    lda: usize,
    b: &[f32],
    ldb: usize,
    c: &mut [f32],
) {
    for k0 in (0..k).step_by(KB) {
        let p = NtArgs {
            n,
            k0,
            k1: (k0 + KB).min(k),
            a,
            lda,
            b,
            ldb,
            tail: lanes_below((k - k0).min(KB) % 8),
        };
        let mut i = 0;
        while i + NT_MR <= m {
            nt_rows::<NT_MR>(&p, i, c);
            i += NT_MR;
        }
        match m - i {
            1 => nt_rows::<1>(&p, i, c),
            2 => nt_rows::<2>(&p, i, c),
            3 => nt_rows::<3>(&p, i, c),
            _ => {}
        }
    }
}

/// [`nt_avx2`]'s operands (bounds checked by [`nt`]).
#[cfg(target_arch = "x86_64")]
struct NtArgs<'a> {
    n: usize,
    /// The block of `k`: `k0 .. k1`.
    k0: usize,
    k1: usize,
    a: &'a [f32],
    lda: usize,
    b: &'a [f32],
    ldb: usize,
    /// The lanes of the block's last, partial vector (`(k1 − k0) % 8`).
    tail: __m256i,
}

/// Rows `i .. i + R` of `C`, all columns.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
fn nt_rows<const R: usize>(p: &NtArgs<'_>, i: usize, c: &mut [f32]) {
    let mut j = 0;
    while j + NT_NR <= p.n {
        nt_tile::<R, NT_NR>(p, i, j, c);
        j += NT_NR;
    }
    match p.n - j {
        1 => nt_tile::<R, 1>(p, i, j, c),
        2 => nt_tile::<R, 2>(p, i, j, c),
        _ => {}
    }
}

/// The sum of a vector's lanes: halves, then quarters, then the last pair.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
fn lane_sum(v: __m256) -> f32 {
    let s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps::<1>(s2, s2)))
}

/// Outputs `(i .. i + R) × (j .. j + S)` of `C += A·Bᵀ` over the block
/// `k0 .. k1`: each lane sums every eighth product of the row pair, then
/// the lanes are summed and added to `C`.
#[allow(clippy::needless_range_loop)]
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
fn nt_tile<const R: usize, const S: usize>(p: &NtArgs<'_>, i: usize, j: usize, c: &mut [f32]) {
    let NtArgs {
        n,
        k0,
        k1,
        a,
        lda,
        b,
        ldb,
        tail,
    } = *p;
    // `nt` checked a.len() ≥ (m − 1)·lda + k, b.len() ≥ (n − 1)·ldb + k
    // and c.len() ≥ m·n; the callers keep i + R ≤ m, j + S ≤ n and
    // k1 ≤ k.
    let (ap, bp) = (a.as_ptr(), b.as_ptr());
    let mut acc = [[_mm256_setzero_ps(); S]; R];
    let mut kk = k0;
    while kk + 8 <= k1 {
        let mut bv = [_mm256_setzero_ps(); S];
        for s in 0..S {
            // SAFETY: row j + s < n of B, elements kk .. kk + 8 ≤ k1 ≤ k.
            bv[s] = unsafe { _mm256_loadu_ps(bp.add((j + s) * ldb + kk)) };
        }
        for r in 0..R {
            // SAFETY: row i + r < m of A, elements kk .. kk + 8 ≤ k1 ≤ k.
            let av = unsafe { _mm256_loadu_ps(ap.add((i + r) * lda + kk)) };
            for s in 0..S {
                acc[r][s] = _mm256_fmadd_ps(av, bv[s], acc[r][s]);
            }
        }
        kk += 8;
    }
    if kk < k1 {
        // The masked lanes load zeros and add 0·0 to their sums.
        let mut bv = [_mm256_setzero_ps(); S];
        for s in 0..S {
            // SAFETY: the set lanes of `tail` are elements kk .. k1 ≤ k of
            // row j + s < n of B.
            bv[s] = unsafe { _mm256_maskload_ps(bp.add((j + s) * ldb + kk), tail) };
        }
        for r in 0..R {
            // SAFETY: as above, for row i + r < m of A.
            let av = unsafe { _mm256_maskload_ps(ap.add((i + r) * lda + kk), tail) };
            for s in 0..S {
                acc[r][s] = _mm256_fmadd_ps(av, bv[s], acc[r][s]);
            }
        }
    }
    for r in 0..R {
        for s in 0..S {
            c[(i + r) * n + j + s] += lane_sum(acc[r][s]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::layers::conv::isas;
    use crate::nn::layers::test_data as data;

    /// [`nn`]'s register kernels in scalar code: one fused multiply-add
    /// per step of `k`, in order, from zero.
    fn nn_model(
        (m, n, k): (usize, usize, usize),
        a: &[f32],
        b: &[f32],
        ldb: usize,
        c: &mut [f32],
        ldc: usize,
    ) {
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0f32;
                for kk in 0..k {
                    s = a[i * k + kk].mul_add(b[kk * ldb + j], s);
                }
                c[i * ldc + j] = s;
            }
        }
    }

    /// [`nt`]'s register kernels in scalar code: per block of [`KB`], lane
    /// `l` sums the block's products `kk ≡ l (mod 8)` in order (a partial
    /// last vector adds 0·0 in its empty lanes), then the lanes are summed
    /// as halves, quarters, pair and added to `C`.
    fn nt_model(
        (m, n, k): (usize, usize, usize),
        a: &[f32],
        lda: usize,
        b: &[f32],
        ldb: usize,
        c: &mut [f32],
    ) {
        for i in 0..m {
            for j in 0..n {
                for k0 in (0..k).step_by(KB) {
                    let k1 = (k0 + KB).min(k);
                    let mut l = [0.0f32; 8];
                    for kk in k0..k0 + (k1 - k0).div_ceil(8) * 8 {
                        let (x, y) = if kk < k1 {
                            (a[i * lda + kk], b[j * ldb + kk])
                        } else {
                            (0.0, 0.0)
                        };
                        l[(kk - k0) % 8] = x.mul_add(y, l[(kk - k0) % 8]);
                    }
                    let s4: Vec<f32> = (0..4).map(|q| l[q] + l[q + 4]).collect();
                    let s2 = [s4[0] + s4[2], s4[1] + s4[3]];
                    c[i * n + j] += s2[0] + s2[1];
                }
            }
        }
    }

    const SHAPES: [(usize, usize, usize); 13] = [
        (1, 1, 1),
        (4, 24, 32),
        (7, 25, 13),
        (64, 196, 32),
        (5, 47, 9),
        (3, 8, 1),
        (9, 50, 64),
        (2, 7, 8),
        (13, 33, 17),
        (5, 10, 1100),
        (2, 4, 1024),
        (8, 1030, 5),
        (23, 96, 6),
    ];

    /// The register kernels give their scalar models' bits, on every shape
    /// remainder (rows, column panels, masked columns, partial vectors,
    /// blocks of `k`).
    #[test]
    fn kernels_match_their_scalar_models_bit_for_bit() {
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        for isa in isas().into_iter().filter(|i| *i != Isa::Plain) {
            for &(m, n, k) in &SHAPES {
                let (ldb, ldc) = (n + 3, n + 5);
                let a = data(m * k, 1);
                let b = data(k * ldb, 2);
                let mut got = data(m * ldc, 3);
                let mut want = got.clone();
                nn(isa, (m, n, k), &a, &b, ldb, &mut got, ldc);
                nn_model((m, n, k), &a, &b, ldb, &mut want, ldc);
                assert_eq!(bits(&got), bits(&want), "nn {isa:?} {:?}", (m, n, k));

                let (lda, ldb) = (k + 2, k + 7);
                let a = data(m * lda, 4);
                let b = data(n * ldb, 5);
                let mut got = data(m * n, 6);
                let mut want = got.clone();
                nt(isa, (m, n, k), &a, lda, &b, ldb, &mut got);
                nt_model((m, n, k), &a, lda, &b, ldb, &mut want);
                assert_eq!(bits(&got), bits(&want), "nt {isa:?} {:?}", (m, n, k));
            }
        }
    }

    /// Every path (the register kernels and the general GEMM) computes the
    /// products: against f64 sums, leaving what lies between rows alone.
    #[test]
    fn every_path_computes_the_products() {
        for isa in isas() {
            for &(m, n, k) in &SHAPES {
                let (ldb, ldc) = (n + 3, n + 5);
                let a = data(m * k, 7);
                let b = data(k * ldb, 8);
                let mut c = vec![f32::NAN; m * ldc];
                nn(isa, (m, n, k), &a, &b, ldb, &mut c, ldc);
                for i in 0..m {
                    for j in 0..ldc {
                        let got = c[i * ldc + j];
                        if j >= n {
                            assert!(got.is_nan(), "nn wrote past row {i}");
                            continue;
                        }
                        let want: f64 = (0..k)
                            .map(|kk| a[i * k + kk] as f64 * b[kk * ldb + j] as f64)
                            .sum();
                        assert!((got as f64 - want).abs() < 1e-5 * (k as f64).sqrt().max(1.0));
                    }
                }

                let (lda, ldb) = (k + 2, k + 7);
                let a = data(m * lda, 9);
                let b = data(n * ldb, 10);
                let c0 = data(m * n, 11);
                let mut c = c0.clone();
                nt(isa, (m, n, k), &a, lda, &b, ldb, &mut c);
                for i in 0..m {
                    for j in 0..n {
                        let want: f64 = c0[i * n + j] as f64
                            + (0..k)
                                .map(|kk| a[i * lda + kk] as f64 * b[j * ldb + kk] as f64)
                                .sum::<f64>();
                        let got = c[i * n + j] as f64;
                        assert!((got - want).abs() < 1e-5 * (k as f64).sqrt().max(1.0));
                    }
                }
            }
        }
    }
}
