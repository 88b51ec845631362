//! Softmax cross-entropy (PyTorch's `nn.CrossEntropyLoss`, mean reduction).

use ndarray::{Array2, ArrayView1, ArrayView2};

use crate::error::{Error, Result};

/// Mean softmax cross-entropy of `logits` `[n, classes]` against class
/// indices `targets` `[n]`: `mean_i(logsumexp(logits_i) − logits_i[targets_i])`,
/// computed stably (max-shifted, accumulated in `f64`).
///
/// # Errors
/// [`Error::EmptyInput`] for an empty batch, [`Error::ShapeMismatch`] if
/// `targets` has another length, [`Error::InvalidParameter`] if a target is
/// not a valid class index.
///
/// # Example
/// ```
/// use oxilearn::nn::cross_entropy;
/// use oxilearn::ndarray::array;
/// let loss = cross_entropy(array![[0.0f32, 0.0]].view(), array![1usize].view())?;
/// assert!((loss - std::f32::consts::LN_2).abs() < 1e-6);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn cross_entropy(logits: ArrayView2<'_, f32>, targets: ArrayView1<'_, usize>) -> Result<f32> {
    let t: Vec<usize> = targets.to_vec();
    let mut grad = vec![0.0; logits.len()];
    Ok(cross_entropy_into(logits, &t, &mut grad)?.loss as f32)
}

/// [`cross_entropy`] and its gradient w.r.t. the logits,
/// `(softmax(logits) − onehot(targets)) / n`.
///
/// # Errors
/// As [`cross_entropy`].
///
/// # Example
/// ```
/// use oxilearn::nn::cross_entropy_with_grad;
/// use oxilearn::ndarray::array;
/// let (loss, g) = cross_entropy_with_grad(array![[0.0f32, 0.0]].view(), array![0usize].view())?;
/// assert!(loss > 0.69 && loss < 0.70);
/// assert_eq!(g, array![[-0.5f32, 0.5]]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn cross_entropy_with_grad(
    logits: ArrayView2<'_, f32>,
    targets: ArrayView1<'_, usize>,
) -> Result<(f32, Array2<f32>)> {
    let t: Vec<usize> = targets.to_vec();
    let mut grad = vec![0.0; logits.len()];
    let s = cross_entropy_into(logits, &t, &mut grad)?;
    let g = Array2::from_shape_vec(logits.raw_dim(), grad).expect("shape matches");
    Ok((s.loss as f32, g))
}

/// Loss statistics of one batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LossStats {
    /// Mean loss.
    pub(crate) loss: f64,
    /// Rows whose arg-max equals the target.
    pub(crate) correct: usize,
}

/// Mean loss, correct count and the gradient (written into `grad`, `n × k`).
pub(crate) fn cross_entropy_into(
    logits: ArrayView2<'_, f32>,
    targets: &[usize],
    grad: &mut [f32],
) -> Result<LossStats> {
    let (n, k) = logits.dim();
    check_targets(n, k, targets)?;
    let logits = logits.as_standard_layout();
    let inv_n = 1.0 / n as f64;
    let (total, correct) = cross_entropy_rows(
        logits.as_slice().expect("standard layout"),
        k,
        targets,
        inv_n,
        grad,
    );
    Ok(LossStats {
        loss: total * inv_n,
        correct,
    })
}

/// Checks that `targets` holds one class index below `k` for each of `n`
/// rows (and that there are rows and classes).
pub(crate) fn check_targets(n: usize, k: usize, targets: &[usize]) -> Result<()> {
    if n == 0 || k == 0 {
        return Err(Error::EmptyInput {
            what: "logits (no rows or no classes)",
        });
    }
    if targets.len() != n {
        return Err(Error::ShapeMismatch {
            what: "targets (one class index per row of logits)",
            expected: vec![n],
            got: vec![targets.len()],
        });
    }
    if let Some((i, &t)) = targets.iter().enumerate().find(|&(_, &t)| t >= k) {
        return Err(Error::invalid(
            "targets",
            format!("target {t} at row {i} is not a class index below {k}"),
        ));
    }
    Ok(())
}

/// The summed loss and the correct count of the rows of `logits` (`k`
/// classes each, checked targets), with the gradient rows
/// `(softmax − onehot) · scale` written to `grad`.
pub(crate) fn cross_entropy_rows(
    logits: &[f32],
    k: usize,
    targets: &[usize],
    scale: f64,
    grad: &mut [f32],
) -> (f64, usize) {
    let mut total = 0.0f64;
    let mut correct = 0;
    for ((row, &t), g) in logits.chunks(k).zip(targets).zip(grad.chunks_mut(k)) {
        let (mut arg, mut m) = (0, f32::NEG_INFINITY);
        for (j, &v) in row.iter().enumerate() {
            if v > m || (j == 0) {
                m = v;
                arg = j;
            }
        }
        correct += usize::from(arg == t);
        let m = m as f64;
        let sum: f64 = row.iter().map(|&v| (v as f64 - m).exp()).sum();
        let lse = m + sum.ln();
        total += lse - row[t] as f64;
        for (j, (gj, &v)) in g.iter_mut().zip(row.iter()).enumerate() {
            let p = (v as f64 - lse).exp();
            let onehot = if j == t { 1.0 } else { 0.0 };
            *gj = ((p - onehot) * scale) as f32;
        }
    }
    (total, correct)
}
