//! ReLU.

use ndarray::ArrayViewD;
use rayon::prelude::*;

use super::{Mode, check_grad_shape, no_forward_error};
use crate::error::Result;
use crate::nn::buf::Buf;

/// Elements per rayon task for element-wise layers.
pub(crate) const ELEMWISE_CHUNK: usize = 1 << 15;

/// Rectified linear unit, `max(x, 0)` element-wise (NaN propagates).
///
/// # Shapes
/// - input: any; output: the same shape.
///
/// # Example
/// ```
/// use oxilearn::nn::{Mode, ReLU};
/// use oxilearn::ndarray::array;
/// let mut relu = ReLU::new();
/// let y = relu.forward(array![-1.0f32, 2.0].view().into_dyn(), Mode::Eval)?;
/// assert_eq!(y.as_slice(), Some(&[0.0, 2.0][..]));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ReLU {
    pub(super) output: Buf,
    pub(super) grad_input: Buf,
    cached: bool,
    /// The last forward pass was fused into the following max pooling.
    pub(super) fused: bool,
}

impl ReLU {
    /// A ReLU.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forward pass (never fails for a ReLU; `Result` for uniformity).
    ///
    /// # Errors
    /// None.
    pub fn forward(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<ArrayViewD<'_, f32>> {
        let x = x.as_standard_layout();
        let xs = x.as_slice().expect("standard layout");
        let out = self.output.reshape(x.shape());
        out.par_chunks_mut(ELEMWISE_CHUNK)
            .zip(xs.par_chunks(ELEMWISE_CHUNK))
            .for_each(|(o, x)| relu_chunk(x, o));
        self.cached = mode == Mode::Train;
        self.fused = false;
        Ok(self.output.view())
    }

    /// Marks the last forward pass as fused into the following max pooling
    /// (the ReLU's own output is then empty).
    pub(super) fn mark_fused(&mut self, mode: Mode) {
        self.output.reshape(&[0]);
        self.cached = false;
        self.fused = mode == Mode::Train;
    }

    /// Backward pass: passes the gradient where the output is positive.
    ///
    /// # Errors
    /// [`crate::Error::ShapeMismatch`] if `grad_output` does not have the output's
    /// shape; [`crate::Error::InvalidParameter`] without a training forward pass.
    pub fn backward(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<ArrayViewD<'_, f32>> {
        self.backward_impl(grad_output, true)?;
        Ok(self.grad_input.view())
    }

    pub(super) fn backward_impl(
        &mut self,
        grad_output: ArrayViewD<'_, f32>,
        need_input_grad: bool,
    ) -> Result<()> {
        if !self.cached {
            return Err(no_forward_error());
        }
        check_grad_shape(grad_output.shape(), self.output.shape())?;
        if !need_input_grad {
            return Ok(());
        }
        let g = grad_output.as_standard_layout();
        let gs = g.as_slice().expect("standard layout");
        let ys = self.output.as_slice();
        let gin = self.grad_input.reshape(g.shape());
        gin.par_chunks_mut(ELEMWISE_CHUNK)
            .zip(
                gs.par_chunks(ELEMWISE_CHUNK)
                    .zip(ys.par_chunks(ELEMWISE_CHUNK)),
            )
            .for_each(|(gi, (g, y))| relu_backward_chunk(g, y, gi));
        Ok(())
    }

    /// Sizes the output (unless `fused` with the following pooling) and
    /// (if `need_input_grad`) the input-gradient buffer for a batch of `shape`.
    pub(crate) fn plan(&mut self, shape: &[usize], fused: bool, need_input_grad: bool) {
        self.output.reshape(if fused { &[0] } else { shape });
        if need_input_grad {
            self.grad_input.reshape(shape);
        }
        self.cached = false;
        self.fused = false;
    }

    /// The output and input-gradient buffers.
    pub(crate) fn split(&mut self) -> (&mut [f32], &mut [f32]) {
        (self.output.as_mut_slice(), self.grad_input.as_mut_slice())
    }
}

/// `out = max(x, 0)` (NaN stays NaN).
pub(crate) fn relu_chunk(x: &[f32], out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = if v < 0.0 { 0.0 } else { v };
    }
}

/// The input gradient `gin` from the output gradient `g` and the output `y`.
pub(crate) fn relu_backward_chunk(g: &[f32], y: &[f32], gin: &mut [f32]) {
    for ((gi, &g), &y) in gin.iter_mut().zip(g).zip(y) {
        *gi = if y > 0.0 { g } else { 0.0 };
    }
}
