//! Layers: [`Conv2d`], [`MaxPool2d`], [`ReLU`], [`Flatten`], [`Linear`],
//! [`Dropout`], and the [`Layer`] enum that [`Sequential`](super::Sequential)
//! chains.
//!
//! Every layer works on `f32` tensors (images in NCHW order), keeps the state
//! its backward pass needs from the last [`Mode::Train`] forward pass, and
//! writes its outputs and gradients into buffers it owns and reuses, so the
//! views it returns borrow the layer. `backward` **overwrites** the parameter
//! gradients (PyTorch's `zero_grad()` followed by `backward()`).

mod activation;
mod conv;
mod dropout;
mod linear;
mod pool;

pub use activation::ReLU;
pub(crate) use activation::{relu_backward_chunk, relu_chunk};
pub use conv::{Conv2d, Conv2dConfig};
pub(crate) use conv::{ConvKernel, ConvSink};
pub use dropout::Dropout;
pub(crate) use dropout::mask_chunk;
pub use linear::{Flatten, Linear};
pub(crate) use linear::{LinearKernel, LinearSink};
pub use pool::MaxPool2d;
pub(crate) use pool::PoolKernel;

use ndarray::{ArrayD, ArrayViewD, IxDyn};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};

/// Whether a forward pass is for training (caches what backward needs,
/// dropout active) or for evaluation (no caching, dropout is the identity).
///
/// # Example
/// ```
/// use oxilearn::nn::Mode;
/// assert_ne!(Mode::Train, Mode::Eval);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Training: state for `backward` is kept, dropout drops.
    Train,
    /// Inference: nothing is cached, dropout passes values through.
    Eval,
}

/// A learnable tensor and the gradient of the loss with respect to it
/// (same shape), as filled by the last `backward`.
///
/// # Example
/// ```
/// use oxilearn::nn::Param;
/// use oxilearn::ndarray::ArrayD;
/// let p = Param::new(ArrayD::zeros(vec![2, 3]));
/// assert_eq!(p.shape(), &[2, 3]);
/// assert_eq!(p.grad().sum(), 0.0);
/// ```
#[derive(Debug, Clone)]
pub struct Param {
    value: ArrayD<f32>,
    grad: ArrayD<f32>,
}

impl Param {
    /// A parameter holding `value`, with a zero gradient.
    pub fn new(value: ArrayD<f32>) -> Self {
        let value = value.as_standard_layout().into_owned();
        let grad = ArrayD::zeros(value.raw_dim());
        Param { value, grad }
    }

    /// The value (standard layout).
    pub fn value(&self) -> &ArrayD<f32> {
        &self.value
    }

    /// The gradient from the last `backward` (zeros before the first).
    pub fn grad(&self) -> &ArrayD<f32> {
        &self.grad
    }

    /// The shape of value and gradient.
    pub fn shape(&self) -> &[usize] {
        self.value.shape()
    }

    /// The value for in-place updates together with the gradient (what an
    /// optimizer needs).
    pub fn value_and_grad_mut(&mut self) -> (&mut ArrayD<f32>, &ArrayD<f32>) {
        (&mut self.value, &self.grad)
    }

    /// Replaces the value.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `value` has another shape.
    pub fn set_value(&mut self, value: ArrayViewD<'_, f32>) -> Result<()> {
        if value.shape() != self.value.shape() {
            return Err(Error::ShapeMismatch {
                what: "parameter value",
                expected: self.value.shape().to_vec(),
                got: value.shape().to_vec(),
            });
        }
        self.value.assign(&value);
        Ok(())
    }

    pub(crate) fn value_slice(&self) -> &[f32] {
        self.value
            .as_slice()
            .expect("parameters are in standard layout")
    }

    pub(crate) fn grad_slice_mut(&mut self) -> &mut [f32] {
        self.grad
            .as_slice_mut()
            .expect("gradients are in standard layout")
    }
}

/// `U(-bound, bound)` samples of `shape` from `rng`.
pub(crate) fn uniform(shape: &[usize], bound: f32, rng: &mut ChaCha8Rng) -> ArrayD<f32> {
    let n: usize = shape.iter().product();
    let data: Vec<f32> = (0..n)
        .map(|_| {
            if bound > 0.0 {
                rng.random_range(-bound..bound)
            } else {
                0.0
            }
        })
        .collect();
    ArrayD::from_shape_vec(IxDyn(shape), data).expect("length matches shape")
}

/// PyTorch's default initialisation for a weight with `fan_in` inputs and
/// its bias: Kaiming-uniform with `a = √5` gives `U(±1/√fan_in)`, and the
/// bias is `U(±1/√fan_in)` too.
pub(crate) fn torch_default_init(
    weight_shape: &[usize],
    bias_len: Option<usize>,
    fan_in: usize,
    seed: u64,
) -> (ArrayD<f32>, Option<ArrayD<f32>>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let bound = if fan_in > 0 {
        1.0 / (fan_in as f32).sqrt()
    } else {
        0.0
    };
    let w = uniform(weight_shape, bound, &mut rng);
    let b = bias_len.map(|n| uniform(&[n], bound, &mut rng));
    (w, b)
}

/// The error returned by `backward` without a preceding training forward pass.
pub(crate) fn no_forward_error() -> Error {
    Error::invalid(
        "mode",
        "backward needs a preceding forward pass in Mode::Train with the same batch",
    )
}

/// Checks that a gradient has the shape of the layer's last output.
pub(crate) fn check_grad_shape(grad: &[usize], out: &[usize]) -> Result<()> {
    if grad != out {
        return Err(Error::ShapeMismatch {
            what: "gradient w.r.t. the layer output",
            expected: out.to_vec(),
            got: grad.to_vec(),
        });
    }
    Ok(())
}

/// One layer of a [`Sequential`](super::Sequential) network.
///
/// An enum (not a trait object) so that networks can be cloned, sent across
/// threads, described in model files and matched on.
///
/// # Example
/// ```
/// use oxilearn::nn::{Layer, Linear, Mode, ReLU};
/// use oxilearn::ndarray::Array2;
/// let mut layer = Layer::from(Linear::new(3, 2, 0));
/// let y = layer.forward(Array2::<f32>::ones((4, 3)).view().into_dyn(), Mode::Eval)?;
/// assert_eq!(y.shape(), &[4, 2]);
/// assert_eq!(Layer::from(ReLU::new()).kind(), "ReLU");
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub enum Layer {
    /// 2-D convolution.
    Conv2d(Conv2d),
    /// 2-D max pooling.
    MaxPool2d(MaxPool2d),
    /// Rectified linear unit.
    ReLU(ReLU),
    /// Flattens all but the batch dimension.
    Flatten(Flatten),
    /// Fully connected layer.
    Linear(Linear),
    /// Dropout.
    Dropout(Dropout),
}

macro_rules! dispatch {
    ($self:expr, $l:ident => $e:expr) => {
        match $self {
            Layer::Conv2d($l) => $e,
            Layer::MaxPool2d($l) => $e,
            Layer::ReLU($l) => $e,
            Layer::Flatten($l) => $e,
            Layer::Linear($l) => $e,
            Layer::Dropout($l) => $e,
        }
    };
}

impl Layer {
    /// The layer type as PyTorch names it (`"Conv2d"`, `"ReLU"` …).
    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Conv2d(_) => "Conv2d",
            Layer::MaxPool2d(_) => "MaxPool2d",
            Layer::ReLU(_) => "ReLU",
            Layer::Flatten(_) => "Flatten",
            Layer::Linear(_) => "Linear",
            Layer::Dropout(_) => "Dropout",
        }
    }

    /// Forward pass; the output view borrows the layer.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `x` does not have the shape the layer takes.
    pub fn forward(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<ArrayViewD<'_, f32>> {
        dispatch!(self, l => l.forward(x, mode))
    }

    /// Backward pass from the gradient w.r.t. the output of the last training
    /// forward pass: fills the parameter gradients and returns the gradient
    /// w.r.t. the input.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `grad_output` does not have the output's
    /// shape; [`Error::InvalidParameter`] without a preceding
    /// [`Mode::Train`] forward pass.
    pub fn backward(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<ArrayViewD<'_, f32>> {
        self.backward_impl(grad_output, true)?;
        Ok(self.grad_input())
    }

    /// The output of the last forward pass.
    pub fn output(&self) -> ArrayViewD<'_, f32> {
        dispatch!(self, l => l.output.view())
    }

    pub(crate) fn grad_input(&self) -> ArrayViewD<'_, f32> {
        dispatch!(self, l => l.grad_input.view())
    }

    /// Where the parameter gradients of a planned batch go (see
    /// [`crate::nn::pipeline`]), with the output and input-gradient buffers.
    pub(crate) fn grad_parts(&mut self) -> (GradSink<'_>, &[f32], &[f32]) {
        match self {
            Layer::Conv2d(l) => {
                let (s, o, g) = l.grad_parts();
                (GradSink::Conv(s), o, g)
            }
            Layer::Linear(l) => {
                let (s, o, g) = l.grad_parts();
                (GradSink::Linear(s), o, g)
            }
            l => (GradSink::None, l.output_slice(), l.grad_input_slice()),
        }
    }

    fn output_slice(&self) -> &[f32] {
        dispatch!(self, l => l.output.as_slice())
    }

    fn grad_input_slice(&self) -> &[f32] {
        dispatch!(self, l => l.grad_input.as_slice())
    }

    pub(crate) fn backward_impl(
        &mut self,
        grad_output: ArrayViewD<'_, f32>,
        need_input_grad: bool,
    ) -> Result<()> {
        dispatch!(self, l => l.backward_impl(grad_output, need_input_grad))
    }

    /// The same layer (parameters, configuration) with empty work buffers.
    pub(crate) fn fresh(&self) -> Layer {
        match self {
            Layer::Conv2d(l) => Layer::Conv2d(Conv2d::from_parts(
                l.weight.clone(),
                l.bias.clone(),
                l.config(),
            )),
            Layer::Linear(l) => Layer::Linear(Linear::from_parts(l.weight.clone(), l.bias.clone())),
            Layer::MaxPool2d(l) => Layer::MaxPool2d(
                MaxPool2d::with_stride(l.kernel(), l.stride()).expect("valid pooling"),
            ),
            Layer::ReLU(_) => Layer::ReLU(ReLU::new()),
            Layer::Flatten(_) => Layer::Flatten(Flatten::new()),
            Layer::Dropout(l) => Layer::Dropout(l.fresh()),
        }
    }

    /// The learnable parameters with their PyTorch names (`"weight"`,
    /// `"bias"`), in PyTorch's order.
    pub fn params(&self) -> Vec<(&'static str, &Param)> {
        match self {
            Layer::Conv2d(l) => weight_bias(&l.weight, l.bias.as_ref()),
            Layer::Linear(l) => weight_bias(&l.weight, l.bias.as_ref()),
            _ => Vec::new(),
        }
    }

    /// Mutable access to the learnable parameters, in the order of
    /// [`params`](Self::params).
    pub fn params_mut(&mut self) -> Vec<(&'static str, &mut Param)> {
        match self {
            Layer::Conv2d(l) => weight_bias_mut(&mut l.weight, l.bias.as_mut()),
            Layer::Linear(l) => weight_bias_mut(&mut l.weight, l.bias.as_mut()),
            _ => Vec::new(),
        }
    }
}

fn weight_bias<'a>(w: &'a Param, b: Option<&'a Param>) -> Vec<(&'static str, &'a Param)> {
    let mut v = vec![("weight", w)];
    if let Some(b) = b {
        v.push(("bias", b));
    }
    v
}

fn weight_bias_mut<'a>(
    w: &'a mut Param,
    b: Option<&'a mut Param>,
) -> Vec<(&'static str, &'a mut Param)> {
    let mut v = vec![("weight", w)];
    if let Some(b) = b {
        v.push(("bias", b));
    }
    v
}

macro_rules! impl_from {
    ($($t:ident),*) => {$(
        impl From<$t> for Layer {
            fn from(l: $t) -> Self {
                Layer::$t(l)
            }
        }
    )*};
}
impl_from!(Conv2d, MaxPool2d, ReLU, Flatten, Linear, Dropout);

/// A layer's parameter gradients for the batch-parallel training pass.
#[derive(Debug)]
pub(crate) enum GradSink<'a> {
    /// No parameters.
    None,
    /// Summed from the chunk partials.
    Conv(ConvSink<'a>),
    /// Computed over the whole batch.
    Linear(LinearSink<'a>),
}

/// ReLU → MaxPool2d pairs are fused by [`Sequential`](super::Sequential):
/// one pass computes `pool(relu(x))` and one pass its gradient (the same
/// values as the two layers one after the other; see
/// `MaxPool2d::forward_impl`).
pub(crate) fn is_relu_pool(a: &Layer, b: &Layer) -> bool {
    matches!((a, b), (Layer::ReLU(_), Layer::MaxPool2d(_)))
}

/// Forward pass of a fused ReLU → MaxPool2d pair (`is_relu_pool`).
pub(crate) fn relu_pool_forward(
    relu: &mut Layer,
    pool: &mut Layer,
    x: ArrayViewD<'_, f32>,
    mode: Mode,
) -> Result<()> {
    let (Layer::ReLU(r), Layer::MaxPool2d(p)) = (relu, pool) else {
        unreachable!("relu_pool_forward needs a ReLU → MaxPool2d pair")
    };
    p.forward_impl(x, mode, true)?;
    r.mark_fused(mode);
    Ok(())
}

/// Backward pass through a ReLU → MaxPool2d pair: when the last forward
/// pass was fused, writes the gradient w.r.t. the ReLU's input into the
/// ReLU's input-gradient buffer and returns `Ok(true)`; otherwise does
/// nothing and returns `Ok(false)` (the layers run their own backward).
pub(crate) fn relu_pool_backward(
    relu: &mut Layer,
    pool: &Layer,
    grad_output: ArrayViewD<'_, f32>,
    need_input_grad: bool,
) -> Result<bool> {
    match (relu, pool) {
        (Layer::ReLU(r), Layer::MaxPool2d(p)) if r.fused => {
            p.backward_relu_into(grad_output, need_input_grad, true, &mut r.grad_input)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Splits `n` images into a fixed (thread-count independent) list of
/// near-equal chunks of at most about `target` images: `(chunk_len, n_chunks)`.
pub(crate) fn chunking(n: usize, target: usize) -> (usize, usize) {
    if n == 0 {
        return (1, 0);
    }
    let target = target.max(1);
    let n_chunks = n.div_ceil(target);
    let len = n.div_ceil(n_chunks);
    (len, n.div_ceil(len))
}
