//! 2-D max pooling.

use ndarray::ArrayViewD;
use rayon::prelude::*;

use super::{Mode, check_grad_shape, no_forward_error};
use crate::error::{Error, Result};
use crate::nn::buf::Buf;

/// 2-D max pooling without padding (PyTorch's `nn.MaxPool2d(kernel, stride)`,
/// floor mode). Ties pick the first maximum in row-major window order; NaN
/// propagates.
///
/// # Shapes
/// - input: `[n, c, h, w]`
/// - output: `[n, c, (h − k) / stride + 1, (w − k) / stride + 1]`
///
/// # Example
/// ```
/// use oxilearn::nn::{MaxPool2d, Mode};
/// use oxilearn::ndarray::Array4;
/// let mut pool = MaxPool2d::new(2)?;
/// let x = Array4::from_shape_fn((1, 1, 4, 4), |(_, _, i, j)| (i * 4 + j) as f32);
/// let y = pool.forward(x.view().into_dyn(), Mode::Eval)?;
/// assert_eq!(y.shape(), &[1, 1, 2, 2]);
/// assert_eq!(y[[0, 0, 1, 1]], 15.0);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MaxPool2d {
    kernel: usize,
    stride: usize,
    pub(super) output: Buf,
    pub(super) grad_input: Buf,
    argmax: Vec<u32>,
    in_shape: Vec<usize>,
    cached: bool,
}

impl MaxPool2d {
    /// Pooling over `kernel × kernel` windows with stride `kernel` (PyTorch's default).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `kernel` is 0.
    pub fn new(kernel: usize) -> Result<Self> {
        Self::with_stride(kernel, kernel)
    }

    /// Pooling with an explicit stride.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `kernel` or `stride` is 0.
    pub fn with_stride(kernel: usize, stride: usize) -> Result<Self> {
        if kernel == 0 {
            return Err(Error::invalid("kernel", "must be at least 1, got 0"));
        }
        if stride == 0 {
            return Err(Error::invalid("stride", "must be at least 1, got 0"));
        }
        Ok(MaxPool2d {
            kernel,
            stride,
            output: Buf::default(),
            grad_input: Buf::default(),
            argmax: Vec::new(),
            in_shape: Vec::new(),
            cached: false,
        })
    }

    /// Window size.
    pub fn kernel(&self) -> usize {
        self.kernel
    }

    /// Stride.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Forward pass.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `x` is not 4-D or smaller than the window.
    pub fn forward(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<ArrayViewD<'_, f32>> {
        let s = x.shape();
        if s.len() != 4 || s[2] < self.kernel || s[3] < self.kernel {
            return Err(Error::ShapeMismatch {
                what: "max-pool input [n, c, h, w] (h, w ≥ kernel)",
                expected: vec![usize::MAX, usize::MAX, self.kernel, self.kernel],
                got: s.to_vec(),
            });
        }
        let (n, c, h, w) = (s[0], s[1], s[2], s[3]);
        let (k, st) = (self.kernel, self.stride);
        let (oh, ow) = ((h - k) / st + 1, (w - k) / st + 1);
        let x = x.as_standard_layout();
        let xs = x.as_slice().expect("standard layout");
        self.in_shape = s.to_vec();
        let out = self.output.reshape(&[n, c, oh, ow]);
        let (plane, oplane) = (h * w, oh * ow);
        if oplane == 0 || n * c == 0 {
            self.cached = mode == Mode::Train;
            return Ok(self.output.view());
        }
        self.argmax.resize(out.len(), 0);
        let work = |(o, (am, xp)): (&mut [f32], (&mut [u32], &[f32]))| {
            if k == 2 && st == 2 {
                pool_2x2(xp, w, oh, ow, o, am);
                return;
            }
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut at = (oy * st) * w + ox * st;
                    let mut best = xp[at];
                    for ky in 0..k {
                        let row = (oy * st + ky) * w;
                        for kx in 0..k {
                            let idx = row + ox * st + kx;
                            let v = xp[idx];
                            if v > best || (v.is_nan() && !best.is_nan()) {
                                best = v;
                                at = idx;
                            }
                        }
                    }
                    o[oy * ow + ox] = best;
                    am[oy * ow + ox] = at as u32;
                }
            }
        };
        let planes = out
            .par_chunks_mut(oplane)
            .zip(self.argmax.par_chunks_mut(oplane).zip(xs.par_chunks(plane)));
        planes.with_min_len(64).for_each(work);
        self.cached = mode == Mode::Train;
        Ok(self.output.view())
    }

    /// Backward pass: routes each output gradient to its window's maximum.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `grad_output` does not have the output's
    /// shape; [`Error::InvalidParameter`] without a training forward pass.
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
        let gout = grad_output.as_standard_layout();
        let gs = gout.as_slice().expect("standard layout");
        let plane = self.in_shape[2] * self.in_shape[3];
        let oplane = self.output.shape()[2] * self.output.shape()[3];
        let gin = self.grad_input.reshape(&self.in_shape);
        if oplane == 0 || gin.is_empty() {
            gin.fill(0.0);
            return Ok(());
        }
        gin.par_chunks_mut(plane)
            .zip(gs.par_chunks(oplane).zip(self.argmax.par_chunks(oplane)))
            .with_min_len(64)
            .for_each(|(gi, (go, am))| {
                gi.fill(0.0);
                for (g, &a) in go.iter().zip(am) {
                    gi[a as usize] += g;
                }
            });
        Ok(())
    }
}

/// `v` replaces the running maximum (first maximum wins; NaN propagates).
#[inline(always)]
fn better(v: f32, best: f32) -> bool {
    v > best || (v.is_nan() && !best.is_nan())
}

/// The common 2×2, stride-2 case of one plane, same semantics as the general loop.
fn pool_2x2(xp: &[f32], w: usize, oh: usize, ow: usize, o: &mut [f32], am: &mut [u32]) {
    for oy in 0..oh {
        let r0 = 2 * oy * w;
        let (row0, row1) = (&xp[r0..r0 + w], &xp[r0 + w..r0 + 2 * w]);
        let orow = &mut o[oy * ow..(oy + 1) * ow];
        let arow = &mut am[oy * ow..(oy + 1) * ow];
        for ox in 0..ow {
            let c = 2 * ox;
            let (mut best, mut at) = (row0[c], r0 + c);
            if better(row0[c + 1], best) {
                best = row0[c + 1];
                at = r0 + c + 1;
            }
            if better(row1[c], best) {
                best = row1[c];
                at = r0 + w + c;
            }
            if better(row1[c + 1], best) {
                best = row1[c + 1];
                at = r0 + w + c + 1;
            }
            orow[ox] = best;
            arow[ox] = at as u32;
        }
    }
}
