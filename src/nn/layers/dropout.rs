//! Dropout.

use ndarray::ArrayViewD;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Mode, check_grad_shape, no_forward_error};
use crate::error::{Error, Result};
use crate::nn::buf::Buf;

/// Dropout (PyTorch's `nn.Dropout`): in [`Mode::Train`] each element is
/// zeroed with probability `p` and the survivors are scaled by `1/(1 − p)`;
/// in [`Mode::Eval`] it is the identity. The masks come from a ChaCha8
/// stream seeded at construction, so runs are reproducible.
///
/// # Shapes
/// - input: any; output: the same shape.
///
/// # Example
/// ```
/// use oxilearn::nn::{Dropout, Mode};
/// use oxilearn::ndarray::Array1;
/// let mut drop = Dropout::new(0.5, 42)?;
/// let x = Array1::<f32>::ones(1000);
/// let y = drop.forward(x.view().into_dyn(), Mode::Train)?;
/// assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));
/// let y = drop.forward(x.view().into_dyn(), Mode::Eval)?;
/// assert!(y.iter().all(|&v| v == 1.0));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Dropout {
    p: f64,
    rng: ChaCha8Rng,
    mask: Vec<f32>,
    pub(super) output: Buf,
    pub(super) grad_input: Buf,
    cached: Option<Mode>,
}

impl Dropout {
    /// Dropout with drop probability `p` (PyTorch's default is 0.5) and a
    /// seed for the masks.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `0 ≤ p ≤ 1`.
    pub fn new(p: f64, seed: u64) -> Result<Self> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::invalid("p", format!("must be in [0, 1], got {p}")));
        }
        Ok(Dropout {
            p,
            rng: ChaCha8Rng::seed_from_u64(seed),
            mask: Vec::new(),
            output: Buf::default(),
            grad_input: Buf::default(),
            cached: None,
        })
    }

    pub(super) fn fresh(&self) -> Dropout {
        Dropout {
            p: self.p,
            rng: self.rng.clone(),
            mask: Vec::new(),
            output: Buf::default(),
            grad_input: Buf::default(),
            cached: None,
        }
    }

    /// The drop probability.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// Forward pass.
    ///
    /// # Errors
    /// None (any shape is accepted).
    pub fn forward(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<ArrayViewD<'_, f32>> {
        let x = x.as_standard_layout();
        let xs = x.as_slice().expect("standard layout");
        if mode == Mode::Train {
            self.draw_mask(xs.len());
        }
        let out = self.output.reshape(x.shape());
        match mode {
            Mode::Eval => out.copy_from_slice(xs),
            Mode::Train => mask_chunk(xs, &self.mask, out),
        }
        self.cached = Some(mode);
        Ok(self.output.view())
    }

    /// Backward pass: the gradient through the last training mask.
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
        if self.cached != Some(Mode::Train) {
            return Err(no_forward_error());
        }
        check_grad_shape(grad_output.shape(), self.output.shape())?;
        if !need_input_grad {
            return Ok(());
        }
        let g = grad_output.as_standard_layout();
        let gs = g.as_slice().expect("standard layout");
        let gin = self.grad_input.reshape(g.shape());
        mask_chunk(gs, &self.mask, gin);
        Ok(())
    }

    /// A fresh mask of `len` factors (0 with probability `p`, else
    /// `1 / (1 − p)`).
    fn draw_mask(&mut self, len: usize) {
        let scale = if self.p < 1.0 {
            (1.0 / (1.0 - self.p)) as f32
        } else {
            0.0
        };
        self.mask.clear();
        let (p, rng) = (self.p, &mut self.rng);
        self.mask
            .extend((0..len).map(|_| if rng.random::<f64>() < p { 0.0 } else { scale }));
    }

    /// Draws the mask of a training batch of `shape` and sizes the output
    /// and (if `need_input_grad`) the input-gradient buffer.
    pub(crate) fn plan(&mut self, shape: &[usize], need_input_grad: bool) {
        let len = self.output.reshape(shape).len();
        if need_input_grad {
            self.grad_input.reshape(shape);
        }
        self.draw_mask(len);
        self.cached = None;
    }

    /// The mask of the last [`plan`](Self::plan) with the output and
    /// input-gradient buffers.
    pub(crate) fn split(&mut self) -> (&[f32], &mut [f32], &mut [f32]) {
        (
            &self.mask,
            self.output.as_mut_slice(),
            self.grad_input.as_mut_slice(),
        )
    }
}

/// `out = x · mask` elementwise.
pub(crate) fn mask_chunk(x: &[f32], mask: &[f32], out: &mut [f32]) {
    for ((o, &v), &m) in out.iter_mut().zip(x).zip(mask) {
        *o = v * m;
    }
}
