//! Dot products with a fixed summation order: independent partial sums the
//! compiler keeps in vector registers, combined in a fixed tree, so the
//! result is the same on every run and thread count.

use ndarray::ArrayView2;

use crate::Float;

/// `Σ aᵢ·bᵢ` in `F` with eight independent accumulators (vectorises); the
/// tail past a multiple of 8 is added after the accumulators.
/// Used by the SVM kernels.
#[inline]
pub(crate) fn dot<F: Float>(a: &[F], b: &[F]) -> F {
    let mut acc = [F::zero(); 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ra.iter().zip(rb) {
        s += *x * *y;
    }
    s
}

/// `⟨a, b⟩` in f64 (four partial sums over contiguous data, so it
/// vectorises; element order otherwise). Used by the logistic solvers.
pub(crate) fn dot_f64<F: Float>(a: ArrayView2<'_, F>, b: ArrayView2<'_, F>) -> f64 {
    if let (Some(a), Some(b)) = (a.as_slice(), b.as_slice()) {
        let mut acc = [0.0f64; 4];
        let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
        let tail: f64 = ca
            .remainder()
            .iter()
            .zip(cb.remainder())
            .map(|(x, y)| x.to_f64_exact() * y.to_f64_exact())
            .sum();
        for (x, y) in ca.zip(cb) {
            for l in 0..4 {
                acc[l] += x[l].to_f64_exact() * y[l].to_f64_exact();
            }
        }
        return (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail;
    }
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| x.to_f64_exact() * y.to_f64_exact())
        .sum()
}

#[cfg(test)]
mod tests {
    use ndarray::{Array2, ShapeBuilder};

    use super::*;

    /// Exact on small integers for every length around the 8-lane blocks.
    #[test]
    fn dot_is_exact_on_integers_for_every_tail() {
        for n in 0..40 {
            let a: Vec<f64> = (0..n).map(|i| (i % 7) as f64 - 3.0).collect();
            let b: Vec<f64> = (0..n).map(|i| (i % 5) as f64 + 1.0).collect();
            let want: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert_eq!(dot(&a, &b), want, "n = {n}");
            let (a32, b32): (Vec<f32>, Vec<f32>) = (
                a.iter().map(|&v| v as f32).collect(),
                b.iter().map(|&v| v as f32).collect(),
            );
            assert_eq!(dot(&a32, &b32), want as f32, "f32 n = {n}");
        }
    }

    /// The summation order is the documented one (not a serial chain): with
    /// values whose sum depends on the order, the result equals the
    /// eight-accumulator tree.
    #[test]
    fn dot_sums_in_eight_lanes_then_a_tree() {
        let a = [1e16, 1.0, 1.0, 1.0, -1e16, 1.0, 1.0, 1.0, 1.0];
        let b = [1.0; 9];
        // lanes 0 and 4: (1e16 + −1e16) = 0, six lanes of 1, tail 1.
        assert_eq!(dot(&a, &b), 7.0);
        // A serial chain loses the three 1s added to 1e16 (its ulp is 2).
        let serial: f64 = a.iter().sum();
        assert_eq!(serial, 4.0);
    }

    /// Contiguous (four partial sums) and strided (element order) views
    /// agree on exact data, f32 inputs are widened before multiplying.
    #[test]
    fn dot_f64_contiguous_and_strided() {
        let a = Array2::from_shape_fn((3, 7), |(i, j)| (i * 7 + j) as f64 - 10.0);
        let b = Array2::from_shape_fn((3, 7), |(i, j)| ((i + 2 * j) % 5) as f64);
        let want: f64 = a.iter().zip(b.iter()).map(|(x, y)| x * y).sum();
        assert_eq!(dot_f64(a.view(), b.view()), want);
        let af = Array2::from_shape_vec((3, 7).f(), a.t().iter().copied().collect()).unwrap();
        assert_eq!(af, a);
        assert_eq!(dot_f64(af.view(), b.view()), want);
        let big = 4097.0f32; // 4097² = 2²⁴ + 2·2¹² + 1 rounds in f32, not in f64
        let x = Array2::from_elem((1, 1), big);
        assert_eq!(dot_f64(x.view(), x.view()), (big as f64) * (big as f64));
    }
}
