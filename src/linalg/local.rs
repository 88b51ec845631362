//! Kernels that run on the calling thread, the same on both backends: the
//! leaves of parallel reductions (the normal equations of the linear models,
//! the pure-Rust [`super::gram`]) call these.
//!
//! Why not the backend's own routines inside a leaf: OpenBLAS 0.3 cannot be
//! told to use one thread for one call, so a BLAS call from a rayon task
//! starts OpenBLAS's own threads beside rayon's and the two pools fight for
//! the cores (measured: linear fits 2–4× slower on the `openblas-system`
//! backend than on pure Rust). faer with `Par::Seq` and the hand-written
//! AVX-512 gram kernel ([`super::syrk_avx512`]) never start a thread.

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::traits::RealField;
use faer::{Accum, MatMut, MatRef, Par};
use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis, ShapeBuilder, Zip};

use crate::Float;

/// Zero-copy faer view of an ndarray view.
pub(super) fn mat_ref<'a, T>(a: &ArrayView2<'a, T>) -> MatRef<'a, T> {
    let (m, n) = a.dim();
    let s = a.strides();
    // SAFETY: an ndarray view guarantees that `ptr + i*s[0] + j*s[1]` is a valid,
    // initialised, aligned element of one allocation for every `i < m, j < n`
    // (and `as_ptr` is aligned and non-null even when empty); the view is
    // immutable and borrowed for `'a`, so nothing writes through it meanwhile.
    unsafe { MatRef::from_raw_parts(a.as_ptr(), m, n, s[0], s[1]) }
}

/// Zero-copy mutable faer view of an ndarray mutable view.
pub(super) fn mat_mut<'a, T>(a: &'a mut ArrayViewMut2<'_, T>) -> MatMut<'a, T> {
    let (m, n) = a.dim();
    let (s0, s1) = (a.strides()[0], a.strides()[1]);
    // SAFETY: as in `mat_ref`; in addition a mutable ndarray view never aliases
    // two distinct indices (ndarray forbids zero/overlapping strides on mutable
    // views of length > 1), and we hold the unique borrow for `'a`.
    unsafe { MatMut::from_raw_parts_mut(a.as_mut_ptr(), m, n, s0, s1) }
}

/// `C ← α·A·B + β·C` through faer with the given parallelism (BLAS
/// semantics: `C` is not read when `β = 0`).
pub(super) fn gemm_par<T: Float + RealField>(
    alpha: T,
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    beta: T,
    c: &mut ArrayViewMut2<'_, T>,
    par: Par,
) {
    let accum = if beta == T::zero() {
        Accum::Replace
    } else {
        if beta != T::one() {
            c.mapv_inplace(|v| v * beta);
        }
        Accum::Add
    };
    if a.ncols() == 0 || alpha == T::zero() {
        // BLAS semantics: A and B are not read; C = β·C.
        if accum == Accum::Replace {
            c.fill(T::zero());
        }
        return;
    }
    matmul(mat_mut(c), accum, mat_ref(&a), mat_ref(&b), alpha, par);
}

/// The element types with a hand-written gram kernel on some CPUs.
pub(super) trait SimdGram: Float {
    /// Lanes of the kernel's vectors (the strip width of the packed layout).
    const LANES: usize;
    /// Whether this CPU has the kernel.
    fn simd_available() -> bool;
    /// `G += PᵀP` for a packed chunk (layout: `syrk_avx512` module docs).
    /// Only called when [`SimdGram::simd_available`] is true.
    fn syrk_packed(
        buf: &[Self],
        rows: usize,
        strips: usize,
        g: &mut [Self],
        prefetch: std::ops::Range<*const u8>,
    );
}

macro_rules! simd_gram {
    ($t:ty, $lanes:expr, $kernel:ident) => {
        impl SimdGram for $t {
            const LANES: usize = $lanes;
            fn simd_available() -> bool {
                #[cfg(target_arch = "x86_64")]
                return super::syrk_avx512::available();
                #[cfg(not(target_arch = "x86_64"))]
                return false;
            }
            #[allow(unused_variables)]
            fn syrk_packed(
                buf: &[Self],
                rows: usize,
                strips: usize,
                g: &mut [Self],
                prefetch: std::ops::Range<*const u8>,
            ) {
                #[cfg(target_arch = "x86_64")]
                {
                    assert!(super::syrk_avx512::available(), "AVX-512F required");
                    // SAFETY: AVX-512F was detected just above.
                    unsafe { super::syrk_avx512::$kernel(buf, rows, strips, g, prefetch) };
                }
                #[cfg(not(target_arch = "x86_64"))]
                unreachable!("no SIMD gram kernel on this architecture");
            }
        }
    };
}
simd_gram!(f64, 8, syrk_packed_f64);
simd_gram!(f32, 16, syrk_packed_f32);

/// `XᵀWX` (exactly symmetric) for [`super::gram`] on both backends: the rows
/// are reduced in leaves of [`super::leaf_rows`] by
/// [`super::reduce_row_leaves`] (bit-identical on any pool size); each leaf's
/// lower triangle is computed on one thread ([`gram_lower`]) and sibling
/// partial grams are added.
pub(super) fn gram_tree<T: Float + RealField + SimdGram>(
    x: ArrayView2<'_, T>,
    w: Option<ArrayView1<'_, T>>,
) -> Array2<T> {
    let (n, d) = x.dim();
    let leaf = |r: std::ops::Range<usize>| {
        gram_lower(
            x.slice(ndarray::s![r.clone(), ..]),
            w.map(|w| w.slice_move(ndarray::s![r])),
        )
    };
    let add = |mut a: Array2<T>, b: Array2<T>| {
        a += &b;
        a
    };
    let mut g = super::reduce_row_leaves(0..n, super::leaf_rows(d), &leaf, &add);
    super::mirror_lower(&mut g);
    g
}

/// Lower triangle (upper zero) of `XᵀWX` on the calling thread.
pub(super) fn gram_lower<T: Float + RealField + SimdGram>(
    x: ArrayView2<'_, T>,
    w: Option<ArrayView1<'_, T>>,
) -> Array2<T> {
    let (n, d) = x.dim();
    if n == 0 || d == 0 {
        return Array2::<T>::zeros((d, d).f());
    }
    gram_lower_simd(x, w).unwrap_or_else(|| gram_lower_faer(x, w))
}

/// [`gram_lower`] through faer's triangular product (any CPU, any weights).
pub(super) fn gram_lower_faer<T: Float + RealField>(
    x: ArrayView2<'_, T>,
    w: Option<ArrayView1<'_, T>>,
) -> Array2<T> {
    let d = x.ncols();
    let mut g = Array2::<T>::zeros((d, d).f());
    let xr = mat_ref(&x);
    let product = |g: &mut Array2<T>, rhs: MatRef<'_, T>| {
        triangular::matmul(
            mat_mut(&mut g.view_mut()),
            BlockStructure::TriangularLower,
            Accum::Replace,
            xr.transpose(),
            BlockStructure::Rectangular,
            rhs,
            BlockStructure::Rectangular,
            T::one(),
            Par::Seq,
        )
    };
    match w {
        None => product(&mut g, xr),
        Some(w) => {
            // Z = diag(w)·X, G = XᵀZ (lower half only). Works for weights of
            // any sign; a leaf-sized copy.
            let z = scaled_rows(x, w, |v| v);
            product(&mut g, mat_ref(&z.view()));
        }
    }
    g
}

/// `diag(f(w))·X` as a new row-major array.
fn scaled_rows<T: Float>(
    x: ArrayView2<'_, T>,
    w: ArrayView1<'_, T>,
    f: impl Fn(T) -> T,
) -> Array2<T> {
    let mut z = Array2::<T>::zeros(x.dim());
    Zip::from(&mut z)
        .and(&x)
        .and_broadcast(&w.insert_axis(Axis(1)))
        .for_each(|z, &xv, &wv| *z = xv * f(wv));
    z
}

/// The SIMD path of [`gram_lower`], when the CPU has the kernel, `X` has at
/// least two strips of columns and the weights (if any) are non-negative
/// (applied as `√wᵢ` while packing); `None` otherwise. Rows are packed in
/// chunks of `KC` (any layout of `x`).
///
/// Below two strips (f64: 16 columns) the padded strip wastes most of the
/// arithmetic and faer is faster (measured 80 000 × 10: 0.31 ms faer vs
/// 0.52 ms here; × 16: 0.53 vs 0.42 ms).
pub(super) fn gram_lower_simd<T: SimdGram>(
    x: ArrayView2<'_, T>,
    w: Option<ArrayView1<'_, T>>,
) -> Option<Array2<T>> {
    #[cfg(target_arch = "x86_64")]
    use super::syrk_avx512::KC;
    #[cfg(not(target_arch = "x86_64"))]
    const KC: usize = 128;
    let (n, d) = x.dim();
    if !T::simd_available()
        || d < 2 * T::LANES
        || w.is_some_and(|w| w.iter().any(|&v| v < T::zero()))
    {
        return None;
    }
    let lanes = T::LANES;
    let strips = d.div_ceil(lanes);
    let dp = strips * lanes;
    let mut gp = vec![T::zero(); dp * dp];
    let mut buf = vec![T::zero(); strips * KC.min(n) * lanes];
    let mut p0 = 0;
    while p0 < n {
        let rows = (n - p0).min(KC);
        let chunk = &mut buf[..strips * rows * lanes];
        for p in 0..rows {
            let row = x.row(p0 + p);
            let scale = w.map(|w| w[p0 + p].sqrt());
            match row.as_slice() {
                Some(r) => {
                    // Full strips: fixed-length copies (vector moves).
                    let full = d / lanes;
                    for s in 0..full {
                        let dst = &mut chunk[(s * rows + p) * lanes..][..lanes];
                        dst.copy_from_slice(&r[s * lanes..][..lanes]);
                        if let Some(f) = scale {
                            dst.iter_mut().for_each(|v| *v *= f);
                        }
                    }
                    if full < strips {
                        let dst = &mut chunk[(full * rows + p) * lanes..][..lanes];
                        let tail = &r[full * lanes..];
                        dst[..tail.len()].copy_from_slice(tail);
                        if let Some(f) = scale {
                            dst.iter_mut().for_each(|v| *v *= f);
                        }
                        // Padding lanes (the chunk layout moves with `rows`,
                        // so they are cleared every time).
                        dst[tail.len()..].fill(T::zero());
                    }
                }
                None => {
                    let f = scale.unwrap_or_else(T::one);
                    for s in 0..strips {
                        let dst = &mut chunk[(s * rows + p) * lanes..][..lanes];
                        for (l, o) in dst.iter_mut().enumerate() {
                            let j = s * lanes + l;
                            *o = if j < d { row[j] * f } else { T::zero() };
                        }
                    }
                }
            }
        }
        // The next chunk's rows, when they are one contiguous block of
        // memory (row-major `x`): prefetched while this chunk computes.
        let next = (n - p0 - rows).min(KC);
        let prefetch = if next > 0 && x.is_standard_layout() {
            let start = x.row(p0 + rows).as_ptr().cast::<u8>();
            start..start.wrapping_add(next * d * std::mem::size_of::<T>())
        } else {
            std::ptr::null()..std::ptr::null()
        };
        T::syrk_packed(chunk, rows, strips, &mut gp, prefetch);
        p0 += rows;
    }
    Some(Array2::from_shape_fn((d, d), |(i, j)| {
        if i >= j { gp[i * dp + j] } else { T::zero() }
    }))
}
