//! Layers and the open [`Layer`] trait that [`Sequential`](super::Sequential)
//! chains.
//!
//! Every built-in layer works on `f32` tensors (images in NCHW order), keeps
//! the state its backward pass needs from the last [`Mode::Train`] forward
//! pass, and writes its outputs and gradients into buffers it owns and
//! reuses, so the views it returns borrow the layer. `backward`
//! **overwrites** the parameter gradients (PyTorch's `zero_grad()` followed
//! by `backward()`).

mod activation;
mod avgpool;
mod batchnorm;
mod conv;
mod dropout;
mod gemm;
mod linear;
mod pool;
mod residual;

pub(crate) use activation::{ActKind, act_backward_chunk, act_chunk};
pub use activation::{Gelu, GeluApproximation, LeakyReLU, ReLU, Sigmoid, Tanh};
pub use avgpool::{AdaptiveAvgPool2d, AvgPool2d};
pub use batchnorm::{BatchNorm1d, BatchNorm2d, BatchNormConfig};
pub use conv::{Conv2d, Conv2dConfig, Padding};
pub(crate) use conv::{ConvKernel, ConvSink};
pub(crate) use dropout::{DropCore, mask_chunk};
pub use dropout::{Dropout, Dropout2d};
pub use linear::{Flatten, Linear};
pub(crate) use linear::{LinearKernel, LinearSink};
pub use pool::MaxPool2d;
pub(crate) use pool::PoolKernel;
pub use residual::Residual;

use std::any::Any;
use std::fmt;

use ndarray::{ArrayD, ArrayViewD, IxDyn};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};
use conv::{Isa, isa};

/// Whether a forward pass is for training (caches what backward needs,
/// dropout active, batch norm uses and updates batch statistics) or for
/// evaluation (no caching, dropout is the identity, batch norm uses its
/// running statistics).
///
/// # Example
/// ```
/// use oxilearn::nn::Mode;
/// assert_ne!(Mode::Train, Mode::Eval);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Training: state for `backward` is kept, dropout drops, batch norm
    /// normalises with the batch's statistics and updates its running ones.
    Train,
    /// Inference: nothing is cached, dropout passes values through, batch
    /// norm uses its running statistics.
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

    /// The gradient, for in-place changes (gradient clipping, custom
    /// layers' backward passes).
    pub fn grad_mut(&mut self) -> &mut ArrayD<f32> {
        &mut self.grad
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

/// A tensor of a layer's state that is not learned by gradient descent but
/// belongs in its `state_dict` (PyTorch's *buffers*: batch norm's
/// `running_mean`, `running_var` and `num_batches_tracked`).
///
/// Values are `f32`; an *integer* buffer (PyTorch `int64`, such as
/// `num_batches_tracked`) holds whole numbers and is written to weight files
/// as `I64` (exact up to 2²⁴).
///
/// # Example
/// ```
/// use oxilearn::nn::Buffer;
/// use oxilearn::ndarray::ArrayD;
/// let b = Buffer::new(ArrayD::ones(vec![4]));
/// assert_eq!(b.value().len(), 4);
/// assert!(!b.is_integer());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Buffer {
    value: ArrayD<f32>,
    integer: bool,
}

impl Buffer {
    /// A floating-point buffer.
    pub fn new(value: ArrayD<f32>) -> Self {
        Buffer {
            value: value.as_standard_layout().into_owned(),
            integer: false,
        }
    }

    /// An integer buffer (whole numbers, `I64` in weight files).
    pub fn integer(value: ArrayD<f32>) -> Self {
        Buffer {
            value: value.as_standard_layout().into_owned(),
            integer: true,
        }
    }

    /// The value (standard layout).
    pub fn value(&self) -> &ArrayD<f32> {
        &self.value
    }

    /// Whether the buffer holds integers.
    pub fn is_integer(&self) -> bool {
        self.integer
    }

    /// The value, for in-place updates.
    pub fn value_mut(&mut self) -> &mut ArrayD<f32> {
        &mut self.value
    }

    /// Replaces the value.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `value` has another shape;
    /// [`Error::InvalidParameter`] for a non-integer value in an integer
    /// buffer.
    pub fn set_value(&mut self, value: ArrayViewD<'_, f32>) -> Result<()> {
        if value.shape() != self.value.shape() {
            return Err(Error::ShapeMismatch {
                what: "buffer value",
                expected: self.value.shape().to_vec(),
                got: value.shape().to_vec(),
            });
        }
        if self.integer && value.iter().any(|v| v.fract() != 0.0 || !v.is_finite()) {
            return Err(Error::invalid(
                "buffer",
                "an integer buffer takes whole numbers",
            ));
        }
        self.value.assign(&value);
        Ok(())
    }

    pub(crate) fn slice(&self) -> &[f32] {
        self.value
            .as_slice()
            .expect("buffers are in standard layout")
    }

    pub(crate) fn slice_mut(&mut self) -> &mut [f32] {
        self.value
            .as_slice_mut()
            .expect("buffers are in standard layout")
    }
}

/// One layer of a network: what [`Sequential`](super::Sequential) chains.
///
/// Every built-in layer implements it, and so can yours: a layer computes
/// its output into a buffer it owns and returns a view of it, remembers in a
/// [`Mode::Train`] forward pass what its backward pass needs, and in
/// `backward` overwrites its parameter gradients and returns the gradient
/// w.r.t. its input. Derive `Clone` and `Debug`; the `Any`/cloning plumbing
/// ([`LayerBase`]) is implemented for you.
///
/// The built-in layers keep their fused fast paths inside a
/// [`Sequential`](super::Sequential) (a ReLU followed by max pooling runs as
/// one pass; a network made only of convolutions, pooling, element-wise
/// activations, dropout, flattening and fully connected layers trains in a
/// batch-parallel pipeline); a network holding any other layer trains layer
/// by layer, with the same results.
///
/// # Example
/// A custom layer that scales its input by a learnable scalar:
/// ```
/// use oxilearn::ndarray::{ArrayD, ArrayViewD, IxDyn};
/// use oxilearn::nn::{Layer, Linear, Mode, Param, Sequential};
///
/// #[derive(Debug, Clone)]
/// struct Scale {
///     s: Param,
///     x: ArrayD<f32>,
///     out: ArrayD<f32>,
///     gin: ArrayD<f32>,
/// }
///
/// impl Layer for Scale {
///     fn kind(&self) -> &str {
///         "Scale"
///     }
///     fn output_shape(&self, input: &[usize]) -> oxilearn::Result<Vec<usize>> {
///         Ok(input.to_vec())
///     }
///     fn forward(&mut self, x: ArrayViewD<'_, f32>, _mode: Mode) -> oxilearn::Result<ArrayViewD<'_, f32>> {
///         self.x = x.to_owned();
///         self.out = &x * self.s.value()[[0]];
///         Ok(self.out.view())
///     }
///     fn backward(&mut self, g: ArrayViewD<'_, f32>) -> oxilearn::Result<ArrayViewD<'_, f32>> {
///         self.s.grad_mut()[[0]] = (&g * &self.x).sum();
///         self.gin = &g * self.s.value()[[0]];
///         Ok(self.gin.view())
///     }
///     fn params(&self) -> Vec<(String, &Param)> {
///         vec![("s".to_string(), &self.s)]
///     }
///     fn params_mut(&mut self) -> Vec<(String, &mut Param)> {
///         vec![("s".to_string(), &mut self.s)]
///     }
/// }
///
/// let scale = Scale {
///     s: Param::new(ArrayD::from_elem(IxDyn(&[1]), 2.0)),
///     x: ArrayD::zeros(IxDyn(&[0])),
///     out: ArrayD::zeros(IxDyn(&[0])),
///     gin: ArrayD::zeros(IxDyn(&[0])),
/// };
/// let mut net = Sequential::new().add("scale", scale).add("fc", Linear::new(3, 2, 0)?);
/// let y = net.forward(ArrayD::<f32>::ones(IxDyn(&[4, 3])).view(), Mode::Eval)?;
/// assert_eq!(y.shape(), &[4, 2]);
/// assert_eq!(net.state_dict()[0].0, "scale.s");
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub trait Layer: fmt::Debug + Send + Sync + LayerBase {
    /// The layer type as PyTorch names the module (`"Conv2d"`, `"ReLU"` …).
    fn kind(&self) -> &str;

    /// The output shape for an input of shape `input` (batch dimension
    /// first), after checking that the layer takes it.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for an input the layer does not take.
    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>>;

    /// Forward pass; the output view borrows the layer.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `x` does not have a shape the layer
    /// takes; layer-specific errors (batch norm on one value per channel in
    /// training mode).
    fn forward(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<ArrayViewD<'_, f32>>;

    /// Backward pass from the gradient w.r.t. the output of the last
    /// [`Mode::Train`] forward pass: overwrites the parameter gradients and
    /// returns the gradient w.r.t. the input.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `grad_output` does not have the output's
    /// shape; [`Error::InvalidParameter`] without a preceding training
    /// forward pass.
    fn backward(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<ArrayViewD<'_, f32>>;

    /// [`backward`](Self::backward) when the gradient w.r.t. the input is
    /// not needed (the first layer of a network): only the parameter
    /// gradients. The default runs `backward`.
    ///
    /// # Errors
    /// As [`backward`](Self::backward).
    fn backward_params(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<()> {
        self.backward(grad_output).map(|_| ())
    }

    /// The learnable parameters with their names relative to the layer
    /// (`"weight"`, `"bias"`; a container's are prefixed with its children's
    /// names), in PyTorch's order. Default: none.
    fn params(&self) -> Vec<(String, &Param)> {
        Vec::new()
    }

    /// Mutable access to the parameters, in the order of
    /// [`params`](Self::params). Default: none.
    fn params_mut(&mut self) -> Vec<(String, &mut Param)> {
        Vec::new()
    }

    /// The buffers (state saved with the weights but not learned:
    /// `running_mean` …), named like [`params`](Self::params). Default:
    /// none.
    fn buffers(&self) -> Vec<(String, &Buffer)> {
        Vec::new()
    }

    /// Mutable access to the buffers, in the order of
    /// [`buffers`](Self::buffers). Default: none.
    fn buffers_mut(&mut self) -> Vec<(String, &mut Buffer)> {
        Vec::new()
    }

    /// Gives a lazy layer (one built without its input size, such as
    /// [`Linear::lazy`]) its parameters for inputs of shape `input`,
    /// initialised from `seed`; a no-op for a layer that has them. The
    /// default does nothing.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for an input the layer cannot take.
    fn materialize(&mut self, input: &[usize], seed: u64) -> Result<()> {
        let _ = (input, seed);
        Ok(())
    }

    /// Whether the layer has all its parameters (false for a lazy layer
    /// before [`materialize`](Self::materialize)). Default: true.
    fn is_materialized(&self) -> bool {
        true
    }

    /// State outside parameters and buffers that a training checkpoint must
    /// keep to resume bit-identically (a dropout layer's random-stream
    /// position). Default: none.
    fn extra_state(&self) -> Option<serde_json::Value> {
        None
    }

    /// Restores what [`extra_state`](Self::extra_state) returned. Default:
    /// ignores it.
    ///
    /// # Errors
    /// [`Error::Format`] for a state this layer did not write.
    fn set_extra_state(&mut self, state: &serde_json::Value) -> Result<()> {
        let _ = state;
        Ok(())
    }

    /// The same layer (parameters, buffers, configuration) without the work
    /// buffers of past passes; what prediction from a shared reference runs
    /// on. Default: a clone.
    fn fresh(&self) -> Box<dyn Layer> {
        self.clone_box()
    }
}

/// Plumbing every [`Layer`] gets for free: downcasting (how
/// [`Sequential`](super::Sequential) finds the built-in layers' fast paths)
/// and cloning behind a `Box`. Implemented for every `Layer + Clone`.
///
/// # Example
/// ```
/// use oxilearn::nn::{Layer, LayerBase, ReLU};
/// let layer: Box<dyn Layer> = Box::new(ReLU::new());
/// assert!(layer.as_any().downcast_ref::<ReLU>().is_some());
/// let copy = layer.clone_box();
/// assert_eq!(copy.kind(), "ReLU");
/// ```
pub trait LayerBase {
    /// The layer as `Any` (for downcasting to its concrete type).
    fn as_any(&self) -> &dyn Any;
    /// The layer as mutable `Any`.
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// A boxed clone.
    fn clone_box(&self) -> Box<dyn Layer>;
}

impl<T: Layer + Clone + 'static> LayerBase for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn clone_box(&self) -> Box<dyn Layer> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn Layer> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

impl<'a> dyn Layer + 'a {
    /// The layer as its concrete type, if it is a `T`.
    ///
    /// # Example
    /// ```
    /// use oxilearn::nn::{Layer, Linear};
    /// let layer: Box<dyn Layer> = Box::new(Linear::new(3, 2, 0)?);
    /// assert_eq!(layer.downcast_ref::<Linear>().unwrap().out_features(), 2);
    /// # Ok::<(), oxilearn::Error>(())
    /// ```
    pub fn downcast_ref<T: Layer + 'static>(&self) -> Option<&T> {
        self.as_any().downcast_ref()
    }

    /// The layer as its concrete mutable type, if it is a `T`.
    pub fn downcast_mut<T: Layer + 'static>(&mut self) -> Option<&mut T> {
        self.as_any_mut().downcast_mut()
    }

    /// Whether the layer is a `T`.
    pub fn is<T: Layer + 'static>(&self) -> bool {
        self.as_any().is::<T>()
    }

    /// Number of learnable scalars.
    pub fn n_parameters(&self) -> usize {
        self.params().iter().map(|(_, p)| p.value().len()).sum()
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

/// A seed for the child `name` of a layer or network seeded with `seed`
/// (FNV-1a of the name, mixed with SplitMix64): distinct names give
/// unrelated streams.
pub(crate) fn derive_seed(seed: u64, name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    splitmix64(seed ^ splitmix64(h))
}

/// SplitMix64 finaliser: well-mixed seeds from one seed.
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
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

/// The error of a lazy layer used before it knows its input size.
pub(crate) fn lazy_error(what: &'static str) -> Error {
    Error::invalid(
        "layer",
        format!(
            "{what} is lazy (built without its input size): give the network an input shape \
             (Sequential::with_input_shape) or run a forward pass first"
        ),
    )
}

/// `(weight, bias)` as named parameters.
pub(crate) fn weight_bias<'a>(w: &'a Param, b: Option<&'a Param>) -> Vec<(String, &'a Param)> {
    let mut v = vec![("weight".to_string(), w)];
    if let Some(b) = b {
        v.push(("bias".to_string(), b));
    }
    v
}

/// `(weight, bias)` as mutable named parameters.
pub(crate) fn weight_bias_mut<'a>(
    w: &'a mut Param,
    b: Option<&'a mut Param>,
) -> Vec<(String, &'a mut Param)> {
    let mut v = vec![("weight".to_string(), w)];
    if let Some(b) = b {
        v.push(("bias".to_string(), b));
    }
    v
}

/// A built-in layer the batch-parallel training pass and the fused
/// ReLU → MaxPool2d pass know (crate-internal), borrowed mutably.
pub(crate) enum Builtin<'a> {
    Conv2d(&'a mut Conv2d),
    MaxPool2d(&'a mut MaxPool2d),
    Relu(&'a mut ReLU),
    Act(&'a mut dyn ElementwiseLayer),
    Flatten(&'a mut Flatten),
    Linear(&'a mut Linear),
    Dropout(&'a mut DropCore),
}

/// The built-in layer behind `layer`, if it has a pipelined path.
pub(crate) fn builtin(layer: &mut dyn Layer) -> Option<Builtin<'_>> {
    let any = layer.as_any_mut();
    if any.is::<Conv2d>() {
        return any.downcast_mut().map(Builtin::Conv2d);
    }
    if any.is::<MaxPool2d>() {
        return any.downcast_mut().map(Builtin::MaxPool2d);
    }
    if any.is::<ReLU>() {
        return any.downcast_mut().map(Builtin::Relu);
    }
    if any.is::<Linear>() {
        return any.downcast_mut().map(Builtin::Linear);
    }
    if any.is::<Flatten>() {
        return any.downcast_mut().map(Builtin::Flatten);
    }
    if any.is::<Dropout>() {
        return any
            .downcast_mut::<Dropout>()
            .map(|d| Builtin::Dropout(&mut d.core));
    }
    if any.is::<Dropout2d>() {
        return any
            .downcast_mut::<Dropout2d>()
            .map(|d| Builtin::Dropout(&mut d.core));
    }
    activation::as_elementwise(any).map(Builtin::Act)
}

/// The element-wise activations' shared interface for the pipeline.
pub(crate) trait ElementwiseLayer: Send + Sync {
    /// Which function.
    fn act(&self) -> ActKind;
    /// Sizes the output and (if `need_input_grad`) the input-gradient buffer.
    fn plan(&mut self, shape: &[usize], need_input_grad: bool);
    /// The output and input-gradient buffers.
    fn split(&mut self) -> (&mut [f32], &mut [f32]);
}

/// ReLU → MaxPool2d pairs are fused by [`Sequential`](super::Sequential):
/// one pass computes `pool(relu(x))` and one pass its gradient (the same
/// values as the two layers one after the other; see
/// `MaxPool2d::forward_impl`).
pub(crate) fn is_relu_pool(a: &dyn Layer, b: &dyn Layer) -> bool {
    a.is::<ReLU>() && b.is::<MaxPool2d>()
}

/// Whether the last forward pass of the pair `a` → `b` was a fused ReLU →
/// MaxPool2d pass (so their backward pass is fused too).
pub(crate) fn fused_relu_pool(a: &dyn Layer, b: &dyn Layer) -> bool {
    b.is::<MaxPool2d>() && a.downcast_ref::<ReLU>().is_some_and(|r| r.fused)
}

/// Whether `a → b` is a convolution followed by a 2-d batch norm over its
/// output channels that a pass in `mode` runs as a pair: a training pass
/// lets the batch norm read the convolution's output without a copy
/// ([`conv_bn_train_forward`]); an evaluation pass with running statistics
/// folds the batch norm into the convolution's weights ([`conv_bn_forward`]).
pub(crate) fn is_conv_bn(a: &dyn Layer, b: &dyn Layer, mode: Mode) -> bool {
    match (a.downcast_ref::<Conv2d>(), b.downcast_ref::<BatchNorm2d>()) {
        (Some(conv), Some(bn)) => {
            conv.is_materialized()
                && bn.is_materialized()
                && bn.num_features() == conv.out_channels()
                && (mode == Mode::Train || bn.config().track_running_stats)
        }
        _ => false,
    }
}

/// Evaluation forward pass of a convolution → batch norm pair
/// (`is_conv_bn` in evaluation), and of a ReLU after it if given, as one
/// convolution with the batch norm folded into its weight and bias and the
/// ReLU applied to each chunk of images while it is in cache. The output
/// borrows the convolution; the batch norm's and the ReLU's own outputs are
/// left empty.
pub(crate) fn conv_bn_forward<'a>(
    conv: &'a mut dyn Layer,
    bn: &mut dyn Layer,
    relu: Option<&mut dyn Layer>,
    x: ArrayViewD<'_, f32>,
) -> Result<ArrayViewD<'a, f32>> {
    let bn = bn
        .downcast_mut::<BatchNorm2d>()
        .expect("conv_bn_forward needs a BatchNorm2d");
    let (scale, shift) = bn
        .eval_affine()
        .expect("is_conv_bn: running statistics are tracked");
    bn.mark_folded();
    let fuse_relu = relu.is_some();
    if let Some(r) = relu {
        r.downcast_mut::<ReLU>()
            .expect("conv_bn_forward fuses a ReLU")
            .mark_fused(Mode::Eval);
    }
    conv.downcast_mut::<Conv2d>()
        .expect("conv_bn_forward needs a Conv2d")
        .forward_folded(x, &scale, &shift, fuse_relu)
}

/// Training forward pass of a convolution → batch norm pair
/// (`is_conv_bn` in training): the batch norm reads the convolution's output, which
/// stays unchanged until the backward pass, instead of copying it. The
/// output borrows the batch norm.
pub(crate) fn conv_bn_train_forward<'a>(
    conv: &mut dyn Layer,
    bn: &'a mut dyn Layer,
    x: ArrayViewD<'_, f32>,
) -> Result<ArrayViewD<'a, f32>> {
    let y = conv.forward(x, Mode::Train)?;
    bn.downcast_mut::<BatchNorm2d>()
        .expect("conv_bn_train_forward needs a BatchNorm2d")
        .forward_borrowed(y)
}

/// Whether `a → b` is a convolution → batch norm pair whose last forward
/// pass was [`conv_bn_train_forward`].
pub(crate) fn borrowed_conv_bn(a: &dyn Layer, b: &dyn Layer) -> bool {
    a.is::<Conv2d>()
        && b.downcast_ref::<BatchNorm2d>()
            .is_some_and(BatchNorm2d::is_borrowed)
}

/// Backward pass of a pair for which [`borrowed_conv_bn`] holds: the batch
/// norm's, with the convolution's output as its input, then the
/// convolution's. Returns the input gradient if `need_input_grad`.
pub(crate) fn conv_bn_backward<'a>(
    conv: &'a mut dyn Layer,
    bn: &mut dyn Layer,
    grad_output: ArrayViewD<'_, f32>,
    need_input_grad: bool,
) -> Result<Option<ArrayViewD<'a, f32>>> {
    let conv = conv
        .downcast_mut::<Conv2d>()
        .expect("conv_bn_backward needs a Conv2d");
    let bn = bn
        .downcast_mut::<BatchNorm2d>()
        .expect("conv_bn_backward needs a BatchNorm2d");
    let x = conv.output.as_slice();
    if !conv.is_cached() || x.len() != grad_output.len() {
        // The convolution ran again since the pair's training pass.
        return Err(no_forward_error());
    }
    bn.backward_borrowed(grad_output, x, true)?;
    let g = bn.grad_input();
    if need_input_grad {
        Ok(Some(conv.backward(g)?))
    } else {
        conv.backward_params(g)?;
        Ok(None)
    }
}

/// Forward pass of a fused ReLU → MaxPool2d pair (`is_relu_pool`); the
/// output is the pooling layer's.
pub(crate) fn relu_pool_forward<'a>(
    relu: &mut dyn Layer,
    pool: &'a mut dyn Layer,
    x: ArrayViewD<'_, f32>,
    mode: Mode,
) -> Result<ArrayViewD<'a, f32>> {
    let r = relu
        .downcast_mut::<ReLU>()
        .expect("relu_pool_forward needs a ReLU");
    let p = pool
        .downcast_mut::<MaxPool2d>()
        .expect("relu_pool_forward needs a MaxPool2d");
    p.forward_impl(x, mode, true)?;
    r.mark_fused(mode);
    Ok(p.output.view())
}

/// Backward pass through a ReLU → MaxPool2d pair: when the last forward
/// pass was fused, writes the gradient w.r.t. the ReLU's input into the
/// ReLU's input-gradient buffer and returns `Ok(true)`; otherwise does
/// nothing and returns `Ok(false)` (the layers run their own backward).
pub(crate) fn relu_pool_backward(
    relu: &mut dyn Layer,
    pool: &dyn Layer,
    grad_output: ArrayViewD<'_, f32>,
    need_input_grad: bool,
) -> Result<bool> {
    match (
        relu.downcast_mut::<ReLU>(),
        pool.downcast_ref::<MaxPool2d>(),
    ) {
        (Some(r), Some(p)) if r.fused => {
            p.backward_relu_into(grad_output, need_input_grad, true, &mut r.core.grad_input)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// The input gradient of a ReLU whose forward pass was fused into the
/// following pooling (see [`relu_pool_backward`]).
pub(crate) fn relu_grad_input(relu: &dyn Layer) -> ArrayViewD<'_, f32> {
    relu.downcast_ref::<ReLU>()
        .expect("a fused pair starts with a ReLU")
        .core
        .grad_input
        .view()
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

/// Runs `f` compiled for the widest vector instruction set of this CPU
/// ([`vectorized_on`] with the convolution kernels' choice, so
/// `OXILEARN_CPU` applies).
#[inline]
fn vectorized<R>(f: impl FnOnce() -> R) -> R {
    vectorized_on(isa(), f)
}

/// Runs `f` compiled for `isa` (AVX-512F, AVX2 or the target's baseline):
/// for the elementwise loops and sums of the layers (batch norm,
/// activations, residual additions), which the compiler vectorises two to
/// four times wider than with the baseline's SSE2.
///
/// `f` must be inlined into the wrapper to gain anything: pass a closure
/// marked `#[inline(always)]` around a loop, not code that calls out to
/// rayon. Rust never contracts a multiplication and an addition into an
/// FMA, so every instruction set gives the same bits (tested per layer).
#[inline]
fn vectorized_on<R>(isa: Isa, f: impl FnOnce() -> R) -> R {
    match isa {
        Isa::Plain => f(),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: an `Isa` other than `Plain` comes from `isa_of` of this
        // CPU's features, which found AVX2 for `Avx2`, the only requirement
        // of `with_avx2`.
        Isa::Avx2 => unsafe { with_avx2(f) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above; `isa_of` returns `Avx512` only where it found
        // AVX-512F, the only requirement of `with_avx512`.
        Isa::Avx512 => unsafe { with_avx512(f) },
    }
}

/// `f` compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// `f` compiled for AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn with_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// A reproducible pseudo-random vector in [−1, 1) (xorshift), for the
/// kernels' tests.
#[cfg(test)]
fn test_data(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}
