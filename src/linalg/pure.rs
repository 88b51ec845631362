//! Pure-Rust backend: faer for products and decompositions, rayon for
//! parallelism. No system library.
//!
//! ndarray views are handed to faer zero-copy: a faer `MatRef`/`MatMut` is a
//! pointer plus signed row/column strides, exactly like an ndarray view, so any
//! ndarray layout (C, Fortran, transposed, sliced with steps, negative strides,
//! broadcast zero strides for read-only inputs) maps onto it without a copy.

use faer::Par;
use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::factor::{LltError, cholesky_in_place, cholesky_in_place_scratch};
use faer::linalg::evd::{ComputeEigenvectors, self_adjoint_evd, self_adjoint_evd_scratch};
use faer::linalg::svd::{ComputeSvdVectors, svd, svd_scratch};
use faer::linalg::triangular_solve::{
    solve_lower_triangular_in_place, solve_upper_triangular_in_place,
};
use faer::traits::RealField;
use ndarray::{
    Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis, ShapeBuilder,
};
use rayon::prelude::*;

use super::local::{self, SimdGram, mat_mut, mat_ref};
use super::{cholesky_error, no_convergence};
use crate::Float;
use crate::error::Result;

/// The element types this backend runs on (`f32`, `f64`).
pub(super) trait Elem: Float + RealField + SimdGram {}
impl<T: Float + RealField + SimdGram> Elem for T {}

/// Below this many flops a product runs on the calling thread: rayon's fork/join
/// overhead (a few µs) would dominate.
const PAR_MIN_FLOPS: usize = 1 << 22;

/// Elements per row block in the parallel GEMV.
const BLOCK_ELEMS: usize = 1 << 16;

fn par_for(flops: usize) -> Par {
    if flops >= PAR_MIN_FLOPS && rayon::current_num_threads() > 1 {
        Par::rayon(0)
    } else {
        Par::Seq
    }
}

pub(super) fn gemm<T: Elem>(
    alpha: T,
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    beta: T,
    c: &mut ArrayViewMut2<'_, T>,
) {
    let par = par_for(2 * a.nrows() * b.ncols() * a.ncols());
    local::gemm_par(alpha, a, b, beta, c, par);
}

pub(super) fn gemv<T: Elem>(
    alpha: T,
    a: ArrayView2<'_, T>,
    x: ArrayView1<'_, T>,
    beta: T,
    y: &mut ArrayViewMut1<'_, T>,
) {
    let (m, n) = a.dim();
    let rows = (BLOCK_ELEMS / n.max(1)).max(64);
    if 2 * m * n < PAR_MIN_FLOPS || m <= rows || rayon::current_num_threads() < 2 {
        ndarray::linalg::general_mat_vec_mul(alpha, &a, &x, beta, y);
        return;
    }
    // Row blocks are independent and each output element is computed by the
    // same sequential dot product whatever the thread count: deterministic.
    let blocks: Vec<_> = a
        .axis_chunks_iter(Axis(0), rows)
        .zip(y.axis_chunks_iter_mut(Axis(0), rows))
        .collect();
    blocks.into_par_iter().for_each(|(ab, mut yb)| {
        ndarray::linalg::general_mat_vec_mul(alpha, &ab, &x, beta, &mut yb);
    });
}

pub(super) fn cholesky<T: Elem>(a: ArrayView2<'_, T>) -> Result<Array2<T>> {
    let n = a.nrows();
    let mut l = Array2::<T>::zeros((n, n).f());
    for j in 0..n {
        for i in j..n {
            l[[i, j]] = a[[i, j]];
        }
    }
    let par = par_for(n * n * n / 3);
    let mut mem = MemBuffer::new(cholesky_in_place_scratch::<T>(n, par, Default::default()));
    let res = cholesky_in_place(
        mat_mut(&mut l.view_mut()),
        Default::default(),
        par,
        MemStack::new(&mut mem),
        Default::default(),
    );
    match res {
        Ok(_) => {
            // faer may leave scratch values above the diagonal.
            for j in 1..n {
                for i in 0..j {
                    l[[i, j]] = T::zero();
                }
            }
            Ok(l)
        }
        Err(LltError::NonPositivePivot { index }) => Err(cholesky_error(index)),
    }
}

pub(super) fn cholesky_solve<T: Elem>(l: ArrayView2<'_, T>, b: &mut ArrayViewMut2<'_, T>) {
    let n = l.nrows();
    let par = par_for(2 * n * n * b.ncols());
    let lr = mat_ref(&l);
    solve_lower_triangular_in_place(lr, mat_mut(b), par);
    solve_upper_triangular_in_place(lr.transpose(), mat_mut(b), par);
}

pub(super) fn svd_thin<T: Elem>(a: ArrayView2<'_, T>) -> Result<(Array2<T>, Array1<T>, Array2<T>)> {
    let (m, n) = a.dim();
    let k = m.min(n);
    // Column-major U and V (faer's preferred layout); V column-major is Vᵀ in
    // row-major order, so Vᵀ is returned in standard layout.
    let mut u = Array2::<T>::zeros((m, k).f());
    let mut vt = Array2::<T>::zeros((k, n));
    let mut s = Diag::<T>::zeros(k);
    // Sequential: faer's parallel SVD is not bitwise reproducible across thread
    // counts (checked by `results_do_not_depend_on_thread_count`), and models
    // promise the same result on any thread count.
    let par = Par::Seq;
    let mut mem = MemBuffer::new(svd_scratch::<T>(
        m,
        n,
        ComputeSvdVectors::Thin,
        ComputeSvdVectors::Thin,
        par,
        Default::default(),
    ));
    let mut uv = u.view_mut();
    let mut vv = vt.view_mut().reversed_axes();
    svd(
        mat_ref(&a),
        s.as_mut(),
        Some(mat_mut(&mut uv)),
        Some(mat_mut(&mut vv)),
        par,
        MemStack::new(&mut mem),
        Default::default(),
    )
    .map_err(|_| no_convergence("svd"))?;
    let s = Array1::from_iter(s.column_vector().iter().copied());
    Ok((u, s, vt))
}

pub(super) fn eigh<T: Elem>(a: ArrayView2<'_, T>) -> Result<(Array1<T>, Array2<T>)> {
    let n = a.nrows();
    // faer reads the lower triangle; give it a symmetric copy so that either
    // convention yields the same matrix.
    let mut sym = Array2::<T>::zeros((n, n).f());
    for j in 0..n {
        for i in j..n {
            sym[[i, j]] = a[[i, j]];
            sym[[j, i]] = a[[i, j]];
        }
    }
    let mut vecs = Array2::<T>::zeros((n, n).f());
    let mut vals = Diag::<T>::zeros(n);
    // Sequential for reproducibility across thread counts, as in `svd_thin`.
    let par = Par::Seq;
    let mut mem = MemBuffer::new(self_adjoint_evd_scratch::<T>(
        n,
        ComputeEigenvectors::Yes,
        par,
        Default::default(),
    ));
    let sv = sym.view();
    let mut vv = vecs.view_mut();
    self_adjoint_evd(
        mat_ref(&sv),
        vals.as_mut(),
        Some(mat_mut(&mut vv)),
        par,
        MemStack::new(&mut mem),
        Default::default(),
    )
    .map_err(|_| no_convergence("eigh"))?;
    let vals = Array1::from_iter(vals.column_vector().iter().copied());
    Ok((vals, vecs))
}
