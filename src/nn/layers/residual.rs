//! Residual connections: [`Residual`] adds a block's input (or a projection
//! of it) to the block's output.

use ndarray::ArrayViewD;
use rayon::prelude::*;

use super::activation::ELEMWISE_CHUNK;
use super::{Buffer, Layer, Mode, Param, check_grad_shape, no_forward_error, vectorized};
use crate::error::{Error, Result};
use crate::nn::Sequential;
use crate::nn::buf::Buf;

/// The name under which the shortcut's parameters appear.
const SHORTCUT: &str = "shortcut";

/// A residual block `y = body(x) + shortcut(x)` (the shortcut is the
/// identity unless given), optionally followed by a ReLU — the basic block
/// of ResNet: `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`.
///
/// Parameter names follow a PyTorch module whose attributes are the body's
/// layers and a `shortcut` `nn.Sequential`: `conv1.weight`, `bn1.running_mean`
/// …, `shortcut.0.weight`, `shortcut.1.weight` …
///
/// # Shapes
/// - input: what the body takes; output: the body's output, which must have
///   the shortcut's output shape (the input's, for the identity).
///
/// # Example
/// ```
/// use oxilearn::nn::{BatchNorm2d, Conv2d, Conv2dConfig, Layer, Mode, Padding, ReLU, Residual, Sequential};
/// use oxilearn::ndarray::Array4;
/// let cfg = Conv2dConfig { padding: Padding::Same, bias: false, ..Default::default() };
/// let body = Sequential::new()
///     .add("conv1", Conv2d::new(8, 8, 3, cfg, 1)?)
///     .add("bn1", BatchNorm2d::new(8)?)
///     .add("relu1", ReLU::new())
///     .add("conv2", Conv2d::new(8, 8, 3, cfg, 2)?)
///     .add("bn2", BatchNorm2d::new(8)?);
/// let mut block = Residual::new(body)?.relu_after(true);
/// let y = block.forward(Array4::<f32>::ones((2, 8, 6, 6)).view().into_dyn(), Mode::Train)?;
/// assert_eq!(y.shape(), &[2, 8, 6, 6]);
/// let names: Vec<String> = block.params().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names[0], "conv1.weight");
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Residual {
    body: Sequential,
    shortcut: Option<Sequential>,
    relu_after: bool,
    output: Buf,
    grad_input: Buf,
    /// The gradient after the final ReLU (when there is one).
    grad_sum: Buf,
    cached: bool,
}

impl Residual {
    /// A block with an identity shortcut.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] for a body without layers;
    /// [`Error::InvalidParameter`] if the body has a layer named
    /// `"shortcut"` (the shortcut's name).
    pub fn new(body: Sequential) -> Result<Self> {
        if body.layers().is_empty() {
            return Err(Error::EmptyInput {
                what: "residual body (no layers)",
            });
        }
        if body.layer(SHORTCUT).is_some() {
            return Err(Error::invalid(
                "body",
                "a residual body cannot have a layer named `shortcut` (the shortcut's name)",
            ));
        }
        Ok(Residual {
            body,
            shortcut: None,
            relu_after: false,
            output: Buf::default(),
            grad_input: Buf::default(),
            grad_sum: Buf::default(),
            cached: false,
        })
    }

    /// The block with a projection shortcut (e.g. a strided 1×1
    /// convolution and a batch norm, named `"0"`, `"1"` by
    /// [`Sequential::push`]).
    ///
    /// # Errors
    /// [`Error::EmptyInput`] for a shortcut without layers.
    pub fn with_shortcut(mut self, shortcut: Sequential) -> Result<Self> {
        if shortcut.layers().is_empty() {
            return Err(Error::EmptyInput {
                what: "residual shortcut (no layers)",
            });
        }
        self.shortcut = Some(shortcut);
        Ok(self)
    }

    /// Whether a ReLU follows the addition (default false; true for
    /// ResNet's basic block).
    pub fn relu_after(mut self, relu: bool) -> Self {
        self.relu_after = relu;
        self
    }

    /// The main branch.
    pub fn body(&self) -> &Sequential {
        &self.body
    }

    /// The projection shortcut, if any (`None`: the identity).
    pub fn shortcut(&self) -> Option<&Sequential> {
        self.shortcut.as_ref()
    }

    /// Whether a ReLU follows the addition.
    pub fn has_relu_after(&self) -> bool {
        self.relu_after
    }

    fn sum_error(body: &[usize], other: &[usize]) -> Error {
        Error::ShapeMismatch {
            what: "residual shortcut output (the body's output shape)",
            expected: body.to_vec(),
            got: other.to_vec(),
        }
    }
}

/// `out = a + b`, then `max(·, 0)` with `relu`.
fn add_chunk(a: &[f32], b: &[f32], out: &mut [f32], relu: bool) {
    vectorized(
        #[inline(always)]
        || add_relu(a, b, out, relu),
    )
}

/// [`add_chunk`]'s loop, compiled by its caller.
#[inline(always)]
fn add_relu(a: &[f32], b: &[f32], out: &mut [f32], relu: bool) {
    for ((o, &u), &v) in out.iter_mut().zip(a).zip(b) {
        let s = u + v;
        *o = if relu && s < 0.0 { 0.0 } else { s };
    }
}

impl Layer for Residual {
    fn kind(&self) -> &str {
        "Residual"
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let out = self.body.output_shape(input)?;
        let other = match &self.shortcut {
            Some(s) => s.output_shape(input)?,
            None => input.to_vec(),
        };
        if other != out {
            return Err(Self::sum_error(&out, &other));
        }
        Ok(out)
    }

    fn forward(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<ArrayViewD<'_, f32>> {
        let Residual {
            body,
            shortcut,
            relu_after,
            output,
            cached,
            ..
        } = self;
        *cached = false;
        let yb = body.forward(x.view(), mode)?;
        let ys = match shortcut {
            Some(s) => s.forward(x.view(), mode)?,
            None => x.view(),
        };
        if yb.shape() != ys.shape() {
            return Err(Self::sum_error(yb.shape(), ys.shape()));
        }
        let (yb, ys) = (yb.as_standard_layout(), ys.as_standard_layout());
        let (a, b) = (
            yb.as_slice().expect("standard layout"),
            ys.as_slice().expect("standard layout"),
        );
        let out = output.reshape(yb.shape());
        let relu = *relu_after;
        out.par_chunks_mut(ELEMWISE_CHUNK)
            .zip(
                a.par_chunks(ELEMWISE_CHUNK)
                    .zip(b.par_chunks(ELEMWISE_CHUNK)),
            )
            .for_each(|(o, (a, b))| add_chunk(a, b, o, relu));
        *cached = mode == Mode::Train;
        Ok(self.output.view())
    }

    fn backward(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<ArrayViewD<'_, f32>> {
        self.backward_impl(grad_output, true)?;
        Ok(self.grad_input.view())
    }

    fn backward_params(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<()> {
        self.backward_impl(grad_output, false)
    }

    fn params(&self) -> Vec<(String, &Param)> {
        let mut v = self.body.params();
        if let Some(s) = &self.shortcut {
            v.extend(
                s.params()
                    .into_iter()
                    .map(|(n, p)| (format!("{SHORTCUT}.{n}"), p)),
            );
        }
        v
    }

    fn params_mut(&mut self) -> Vec<(String, &mut Param)> {
        let mut v = self.body.params_mut();
        if let Some(s) = &mut self.shortcut {
            v.extend(
                s.params_mut()
                    .into_iter()
                    .map(|(n, p)| (format!("{SHORTCUT}.{n}"), p)),
            );
        }
        v
    }

    fn buffers(&self) -> Vec<(String, &Buffer)> {
        let mut v = self.body.buffers();
        if let Some(s) = &self.shortcut {
            v.extend(
                s.buffers()
                    .into_iter()
                    .map(|(n, b)| (format!("{SHORTCUT}.{n}"), b)),
            );
        }
        v
    }

    fn buffers_mut(&mut self) -> Vec<(String, &mut Buffer)> {
        let mut v = self.body.buffers_mut();
        if let Some(s) = &mut self.shortcut {
            v.extend(
                s.buffers_mut()
                    .into_iter()
                    .map(|(n, b)| (format!("{SHORTCUT}.{n}"), b)),
            );
        }
        v
    }

    fn materialize(&mut self, input: &[usize], seed: u64) -> Result<()> {
        self.body.materialize(input, seed)?;
        if let Some(s) = &mut self.shortcut {
            s.materialize(input, super::derive_seed(seed, SHORTCUT))?;
        }
        self.output_shape(input).map(|_| ())
    }

    fn is_materialized(&self) -> bool {
        self.body.is_materialized() && self.shortcut.as_ref().is_none_or(|s| s.is_materialized())
    }

    fn extra_state(&self) -> Option<serde_json::Value> {
        let body = self.body.extra_state();
        let short = self.shortcut.as_ref().and_then(|s| s.extra_state());
        if body.is_none() && short.is_none() {
            return None;
        }
        Some(serde_json::json!({ "body": body, SHORTCUT: short }))
    }

    fn set_extra_state(&mut self, state: &serde_json::Value) -> Result<()> {
        if let Some(b) = state.get("body").filter(|v| !v.is_null()) {
            self.body.set_extra_state(b)?;
        }
        if let (Some(s), Some(v)) = (
            &mut self.shortcut,
            state.get(SHORTCUT).filter(|v| !v.is_null()),
        ) {
            s.set_extra_state(v)?;
        }
        Ok(())
    }

    fn fresh(&self) -> Box<dyn Layer> {
        Box::new(Residual {
            body: self.body.fresh_copy(),
            shortcut: self.shortcut.as_ref().map(Sequential::fresh_copy),
            relu_after: self.relu_after,
            output: Buf::default(),
            grad_input: Buf::default(),
            grad_sum: Buf::default(),
            cached: false,
        })
    }
}

impl Residual {
    fn backward_impl(
        &mut self,
        grad_output: ArrayViewD<'_, f32>,
        need_input_grad: bool,
    ) -> Result<()> {
        if !self.cached {
            return Err(no_forward_error());
        }
        check_grad_shape(grad_output.shape(), self.output.shape())?;
        let Residual {
            body,
            shortcut,
            relu_after,
            output,
            grad_input,
            grad_sum,
            ..
        } = self;
        let g = grad_output.as_standard_layout();
        let gs = g.as_slice().expect("standard layout");
        // The gradient w.r.t. the sum.
        let gsum: &[f32] = if *relu_after {
            let buf = grad_sum.reshape(g.shape());
            let ys = output.as_slice();
            buf.par_chunks_mut(ELEMWISE_CHUNK)
                .zip(
                    gs.par_chunks(ELEMWISE_CHUNK)
                        .zip(ys.par_chunks(ELEMWISE_CHUNK)),
                )
                .for_each(|(d, (g, y))| {
                    for ((d, &g), &y) in d.iter_mut().zip(g).zip(y) {
                        *d = if y > 0.0 { g } else { 0.0 };
                    }
                });
            buf
        } else {
            gs
        };
        let gview = ArrayViewD::from_shape(g.shape(), gsum).expect("gradient shape");
        if !need_input_grad {
            body.backward(gview.view())?;
            if let Some(s) = shortcut {
                s.backward(gview.view())?;
            }
            return Ok(());
        }
        let gb = body.backward_to_input(gview.view())?;
        let gb = gb.as_standard_layout();
        let a = gb.as_slice().expect("standard layout");
        let gin = grad_input.reshape(gb.shape());
        match shortcut {
            Some(s) => {
                let gsc = s.backward_to_input(gview.view())?;
                let gsc = gsc.as_standard_layout();
                let b = gsc.as_slice().expect("standard layout");
                gin.par_chunks_mut(ELEMWISE_CHUNK)
                    .zip(
                        a.par_chunks(ELEMWISE_CHUNK)
                            .zip(b.par_chunks(ELEMWISE_CHUNK)),
                    )
                    .for_each(|(o, (a, b))| add_chunk(a, b, o, false));
            }
            None => {
                gin.par_chunks_mut(ELEMWISE_CHUNK)
                    .zip(
                        a.par_chunks(ELEMWISE_CHUNK)
                            .zip(gsum.par_chunks(ELEMWISE_CHUNK)),
                    )
                    .for_each(|(o, (a, b))| add_chunk(a, b, o, false));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::layers::conv::isas;
    use crate::nn::layers::{Isa, test_data, vectorized_on};

    /// The addition (with and without ReLU) gives the same bits on every
    /// instruction set.
    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        let (a, b) = (test_data(999, 7), test_data(999, 8));
        for relu in [false, true] {
            let run = |isa| {
                let mut out = vec![0.0f32; a.len()];
                vectorized_on(isa, || add_relu(&a, &b, &mut out, relu));
                out.iter().map(|e| e.to_bits()).collect::<Vec<_>>()
            };
            let plain = run(Isa::Plain);
            assert!(plain.contains(&0) == relu);
            for isa in isas() {
                assert!(run(isa) == plain, "relu {relu} on {isa:?}");
            }
        }
    }
}
