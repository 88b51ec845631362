//! Element-wise activations: [`ReLU`], [`LeakyReLU`], [`Sigmoid`], [`Tanh`],
//! [`Gelu`].

use std::any::Any;

use ndarray::ArrayViewD;
use rayon::prelude::*;

use super::{ElementwiseLayer, Layer, Mode, check_grad_shape, no_forward_error, vectorized};
use crate::error::{Error, Result};
use crate::nn::buf::Buf;

/// Elements per rayon task for element-wise layers.
pub(crate) const ELEMWISE_CHUNK: usize = 1 << 15;

/// How [`Gelu`] evaluates the Gaussian CDF (PyTorch's `approximate`).
///
/// # Example
/// ```
/// use oxilearn::nn::{Gelu, GeluApproximation};
/// assert_eq!(Gelu::new().approximation(), GeluApproximation::None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum GeluApproximation {
    /// Exact: `x·Φ(x) = x/2·(1 + erf(x/√2))` (PyTorch's `approximate="none"`).
    None,
    /// `x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³)))` (`approximate="tanh"`).
    Tanh,
}

/// Which element-wise function (crate-internal).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ActKind {
    Relu,
    LeakyRelu(f32),
    Sigmoid,
    Tanh,
    Gelu(GeluApproximation),
}

impl ActKind {
    /// Whether the backward pass needs the input (otherwise the output
    /// suffices).
    pub(crate) fn needs_input(self) -> bool {
        matches!(self, ActKind::LeakyRelu(_) | ActKind::Gelu(_))
    }
}

const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

#[inline]
fn gelu_tanh_inner(x: f64) -> f64 {
    SQRT_2_OVER_PI * (x + 0.044_715 * x * x * x)
}

/// `out = f(x)` element-wise.
pub(crate) fn act_chunk(kind: ActKind, x: &[f32], out: &mut [f32]) {
    vectorized(
        #[inline(always)]
        || act_forward(kind, x, out),
    )
}

/// [`act_chunk`]'s loops, compiled by its caller.
#[inline(always)]
fn act_forward(kind: ActKind, x: &[f32], out: &mut [f32]) {
    match kind {
        ActKind::Relu => {
            for (o, &v) in out.iter_mut().zip(x) {
                // NaN stays NaN.
                *o = if v < 0.0 { 0.0 } else { v };
            }
        }
        ActKind::LeakyRelu(s) => {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = if v > 0.0 { v } else { v * s };
            }
        }
        ActKind::Sigmoid => {
            for (o, &v) in out.iter_mut().zip(x) {
                let v = f64::from(v);
                *o = (1.0 / (1.0 + (-v).exp())) as f32;
            }
        }
        ActKind::Tanh => {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = v.tanh();
            }
        }
        ActKind::Gelu(GeluApproximation::None) => {
            for (o, &v) in out.iter_mut().zip(x) {
                let v = f64::from(v);
                *o = (0.5 * v * (1.0 + libm::erf(v * std::f64::consts::FRAC_1_SQRT_2))) as f32;
            }
        }
        ActKind::Gelu(GeluApproximation::Tanh) => {
            for (o, &v) in out.iter_mut().zip(x) {
                let v = f64::from(v);
                *o = (0.5 * v * (1.0 + gelu_tanh_inner(v).tanh())) as f32;
            }
        }
    }
}

/// The input gradient `gin` from the output gradient `g`, the output `y`
/// and (for the functions that need it) the input `x`.
pub(crate) fn act_backward_chunk(kind: ActKind, g: &[f32], y: &[f32], x: &[f32], gin: &mut [f32]) {
    vectorized(
        #[inline(always)]
        || act_backward(kind, g, y, x, gin),
    )
}

/// [`act_backward_chunk`]'s loops, compiled by its caller.
#[inline(always)]
fn act_backward(kind: ActKind, g: &[f32], y: &[f32], x: &[f32], gin: &mut [f32]) {
    match kind {
        ActKind::Relu => {
            for ((gi, &g), &y) in gin.iter_mut().zip(g).zip(y) {
                *gi = if y > 0.0 { g } else { 0.0 };
            }
        }
        ActKind::LeakyRelu(s) => {
            for ((gi, &g), &x) in gin.iter_mut().zip(g).zip(x) {
                *gi = if x > 0.0 { g } else { g * s };
            }
        }
        ActKind::Sigmoid => {
            for ((gi, &g), &y) in gin.iter_mut().zip(g).zip(y) {
                *gi = g * ((1.0 - y) * y);
            }
        }
        ActKind::Tanh => {
            for ((gi, &g), &y) in gin.iter_mut().zip(g).zip(y) {
                *gi = g * (1.0 - y * y);
            }
        }
        ActKind::Gelu(GeluApproximation::None) => {
            for ((gi, &g), &x) in gin.iter_mut().zip(g).zip(x) {
                let v = f64::from(x);
                let cdf = 0.5 * (1.0 + libm::erf(v * std::f64::consts::FRAC_1_SQRT_2));
                let pdf = FRAC_1_SQRT_2PI * (-0.5 * v * v).exp();
                *gi = (f64::from(g) * (cdf + v * pdf)) as f32;
            }
        }
        ActKind::Gelu(GeluApproximation::Tanh) => {
            for ((gi, &g), &x) in gin.iter_mut().zip(g).zip(x) {
                let v = f64::from(x);
                let t = gelu_tanh_inner(v).tanh();
                let dinner = SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044_715 * v * v);
                let d = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * dinner;
                *gi = (f64::from(g) * d) as f32;
            }
        }
    }
}

/// The state every element-wise layer keeps.
#[derive(Debug, Clone)]
pub(crate) struct ActCore {
    kind: ActKind,
    pub(super) output: Buf,
    pub(super) grad_input: Buf,
    input: Buf,
    cached: bool,
}

impl ActCore {
    fn new(kind: ActKind) -> Self {
        ActCore {
            kind,
            output: Buf::default(),
            grad_input: Buf::default(),
            input: Buf::default(),
            cached: false,
        }
    }

    fn fresh(&self) -> Self {
        Self::new(self.kind)
    }

    fn forward(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<ArrayViewD<'_, f32>> {
        let x = x.as_standard_layout();
        let xs = x.as_slice().expect("standard layout");
        let kind = self.kind;
        let out = self.output.reshape(x.shape());
        out.par_chunks_mut(ELEMWISE_CHUNK)
            .zip(xs.par_chunks(ELEMWISE_CHUNK))
            .for_each(|(o, x)| act_chunk(kind, x, o));
        if mode == Mode::Train && kind.needs_input() {
            self.input.set(x.shape(), xs);
        }
        self.cached = mode == Mode::Train;
        Ok(self.output.view())
    }

    fn backward(&mut self, grad_output: ArrayViewD<'_, f32>, need_input_grad: bool) -> Result<()> {
        if !self.cached {
            return Err(no_forward_error());
        }
        check_grad_shape(grad_output.shape(), self.output.shape())?;
        if !need_input_grad {
            return Ok(());
        }
        let g = grad_output.as_standard_layout();
        let gs = g.as_slice().expect("standard layout");
        let kind = self.kind;
        let ys = self.output.as_slice();
        let xs = if kind.needs_input() {
            self.input.as_slice()
        } else {
            ys
        };
        let gin = self.grad_input.reshape(g.shape());
        gin.par_chunks_mut(ELEMWISE_CHUNK)
            .zip(gs.par_chunks(ELEMWISE_CHUNK))
            .zip(
                ys.par_chunks(ELEMWISE_CHUNK)
                    .zip(xs.par_chunks(ELEMWISE_CHUNK)),
            )
            .for_each(|((gi, g), (y, x))| act_backward_chunk(kind, g, y, x, gi));
        Ok(())
    }

    fn plan(&mut self, shape: &[usize], need_input_grad: bool) {
        self.output.reshape(shape);
        if need_input_grad {
            self.grad_input.reshape(shape);
        }
        self.cached = false;
    }
}

/// Rectified linear unit, `max(x, 0)` element-wise (NaN propagates).
///
/// # Shapes
/// - input: any; output: the same shape.
///
/// # Example
/// ```
/// use oxilearn::nn::{Layer, Mode, ReLU};
/// use oxilearn::ndarray::array;
/// let mut relu = ReLU::new();
/// let y = relu.forward(array![-1.0f32, 2.0].view().into_dyn(), Mode::Eval)?;
/// assert_eq!(y.as_slice(), Some(&[0.0, 2.0][..]));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReLU {
    pub(super) core: ActCore,
    /// The last forward pass was fused into the following max pooling.
    pub(super) fused: bool,
}

impl Default for ReLU {
    fn default() -> Self {
        Self::new()
    }
}

impl ReLU {
    /// A ReLU.
    pub fn new() -> Self {
        ReLU {
            core: ActCore::new(ActKind::Relu),
            fused: false,
        }
    }

    /// Marks the last forward pass as fused into the following max pooling
    /// or, in evaluation, into the preceding convolution → batch norm pair
    /// (the ReLU's own output is then empty).
    pub(super) fn mark_fused(&mut self, mode: Mode) {
        self.core.output.reshape(&[0]);
        self.core.cached = false;
        self.fused = mode == Mode::Train;
    }

    /// Sizes the buffers for a batch fused into the following pooling: the
    /// input gradient only.
    pub(crate) fn plan_fused(&mut self, shape: &[usize], need_input_grad: bool) {
        self.core.output.reshape(&[0]);
        if need_input_grad {
            self.core.grad_input.reshape(shape);
        }
        self.core.cached = false;
        self.fused = false;
    }

    /// Sizes the buffers for an unfused pipelined batch.
    pub(crate) fn plan_unfused(&mut self, shape: &[usize], need_input_grad: bool) {
        self.core.plan(shape, need_input_grad);
        self.fused = false;
    }

    /// The output and input-gradient buffers.
    pub(crate) fn core_split(&mut self) -> (&mut [f32], &mut [f32]) {
        (
            self.core.output.as_mut_slice(),
            self.core.grad_input.as_mut_slice(),
        )
    }

    /// The input-gradient buffer of a fused pass.
    pub(crate) fn fused_grad_input(&mut self) -> &mut [f32] {
        self.core.grad_input.as_mut_slice()
    }
}

impl Layer for ReLU {
    fn kind(&self) -> &str {
        "ReLU"
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        Ok(input.to_vec())
    }

    fn forward(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<ArrayViewD<'_, f32>> {
        self.fused = false;
        self.core.forward(x, mode)
    }

    fn backward(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<ArrayViewD<'_, f32>> {
        if self.fused {
            return Err(Error::invalid(
                "mode",
                "this ReLU's forward pass was fused into the following MaxPool2d: \
                 run backward through the network",
            ));
        }
        self.core.backward(grad_output, true)?;
        Ok(self.core.grad_input.view())
    }

    fn backward_params(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<()> {
        self.core.backward(grad_output, false)
    }

    fn fresh(&self) -> Box<dyn Layer> {
        Box::new(ReLU {
            core: self.core.fresh(),
            fused: false,
        })
    }
}

macro_rules! simple_activation {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name {
            pub(super) core: ActCore,
        }

        impl Layer for $name {
            fn kind(&self) -> &str {
                $kind
            }

            fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
                Ok(input.to_vec())
            }

            fn forward(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<ArrayViewD<'_, f32>> {
                self.core.forward(x, mode)
            }

            fn backward(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<ArrayViewD<'_, f32>> {
                self.core.backward(grad_output, true)?;
                Ok(self.core.grad_input.view())
            }

            fn backward_params(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<()> {
                self.core.backward(grad_output, false)
            }

            fn fresh(&self) -> Box<dyn Layer> {
                Box::new($name { core: self.core.fresh() })
            }
        }
    };
}

simple_activation!(
    /// Leaky ReLU (PyTorch's `nn.LeakyReLU`): `x` where `x > 0`, else
    /// `negative_slope·x`.
    ///
    /// # Shapes
    /// - input: any; output: the same shape.
    ///
    /// # Example
    /// ```
    /// use oxilearn::nn::{Layer, LeakyReLU, Mode};
    /// use oxilearn::ndarray::array;
    /// let mut act = LeakyReLU::new(0.1)?;
    /// let y = act.forward(array![-2.0f32, 3.0].view().into_dyn(), Mode::Eval)?;
    /// assert_eq!(y.as_slice(), Some(&[-0.2, 3.0][..]));
    /// # Ok::<(), oxilearn::Error>(())
    /// ```
    LeakyReLU,
    "LeakyReLU"
);

impl LeakyReLU {
    /// A leaky ReLU with slope `negative_slope` for negative inputs
    /// (PyTorch's default is 0.01).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a non-finite slope.
    pub fn new(negative_slope: f64) -> Result<Self> {
        if !negative_slope.is_finite() {
            return Err(Error::invalid(
                "negative_slope",
                format!("must be finite, got {negative_slope}"),
            ));
        }
        Ok(LeakyReLU {
            core: ActCore::new(ActKind::LeakyRelu(negative_slope as f32)),
        })
    }

    /// The slope for negative inputs.
    pub fn negative_slope(&self) -> f64 {
        match self.core.kind {
            ActKind::LeakyRelu(s) => f64::from(s),
            _ => unreachable!("a LeakyReLU's kind"),
        }
    }
}

impl Default for LeakyReLU {
    /// Slope 0.01, as PyTorch.
    fn default() -> Self {
        LeakyReLU {
            core: ActCore::new(ActKind::LeakyRelu(0.01)),
        }
    }
}

simple_activation!(
    /// The logistic sigmoid `1 / (1 + e^(−x))` (PyTorch's `nn.Sigmoid`).
    ///
    /// # Shapes
    /// - input: any; output: the same shape.
    ///
    /// # Example
    /// ```
    /// use oxilearn::nn::{Layer, Mode, Sigmoid};
    /// use oxilearn::ndarray::array;
    /// let mut act = Sigmoid::new();
    /// let y = act.forward(array![0.0f32].view().into_dyn(), Mode::Eval)?;
    /// assert_eq!(y[[0]], 0.5);
    /// # Ok::<(), oxilearn::Error>(())
    /// ```
    Sigmoid,
    "Sigmoid"
);

impl Sigmoid {
    /// A sigmoid.
    pub fn new() -> Self {
        Sigmoid {
            core: ActCore::new(ActKind::Sigmoid),
        }
    }
}

impl Default for Sigmoid {
    fn default() -> Self {
        Self::new()
    }
}

simple_activation!(
    /// The hyperbolic tangent (PyTorch's `nn.Tanh`).
    ///
    /// # Shapes
    /// - input: any; output: the same shape.
    ///
    /// # Example
    /// ```
    /// use oxilearn::nn::{Layer, Mode, Tanh};
    /// use oxilearn::ndarray::array;
    /// let mut act = Tanh::new();
    /// let y = act.forward(array![0.0f32, 100.0].view().into_dyn(), Mode::Eval)?;
    /// assert_eq!(y.as_slice(), Some(&[0.0, 1.0][..]));
    /// # Ok::<(), oxilearn::Error>(())
    /// ```
    Tanh,
    "Tanh"
);

impl Tanh {
    /// A tanh.
    pub fn new() -> Self {
        Tanh {
            core: ActCore::new(ActKind::Tanh),
        }
    }
}

impl Default for Tanh {
    fn default() -> Self {
        Self::new()
    }
}

simple_activation!(
    /// The Gaussian error linear unit `x·Φ(x)` (PyTorch's `nn.GELU`), exact
    /// or with the tanh approximation.
    ///
    /// # Shapes
    /// - input: any; output: the same shape.
    ///
    /// # Example
    /// ```
    /// use oxilearn::nn::{Gelu, GeluApproximation, Layer, Mode};
    /// use oxilearn::ndarray::array;
    /// let mut act = Gelu::new();
    /// let y = act.forward(array![0.0f32, 1.0].view().into_dyn(), Mode::Eval)?;
    /// assert!((y[[1]] - 0.841_344_7).abs() < 1e-6);
    /// let approx = Gelu::with_approximation(GeluApproximation::Tanh);
    /// assert_eq!(approx.approximation(), GeluApproximation::Tanh);
    /// # Ok::<(), oxilearn::Error>(())
    /// ```
    Gelu,
    "GELU"
);

impl Gelu {
    /// The exact GELU (PyTorch's default).
    pub fn new() -> Self {
        Self::with_approximation(GeluApproximation::None)
    }

    /// A GELU with the given approximation.
    pub fn with_approximation(approximation: GeluApproximation) -> Self {
        Gelu {
            core: ActCore::new(ActKind::Gelu(approximation)),
        }
    }

    /// The approximation used.
    pub fn approximation(&self) -> GeluApproximation {
        match self.core.kind {
            ActKind::Gelu(a) => a,
            _ => unreachable!("a GELU's kind"),
        }
    }
}

impl Default for Gelu {
    fn default() -> Self {
        Self::new()
    }
}

impl ElementwiseLayer for ActCore {
    fn act(&self) -> ActKind {
        self.kind
    }

    fn plan(&mut self, shape: &[usize], need_input_grad: bool) {
        ActCore::plan(self, shape, need_input_grad);
    }

    fn split(&mut self) -> (&mut [f32], &mut [f32]) {
        (self.output.as_mut_slice(), self.grad_input.as_mut_slice())
    }
}

/// The element-wise core of an activation layer other than ReLU, if `any`
/// is one.
pub(crate) fn as_elementwise(any: &mut dyn Any) -> Option<&mut dyn ElementwiseLayer> {
    if any.is::<LeakyReLU>() {
        return any
            .downcast_mut::<LeakyReLU>()
            .map(|l| &mut l.core as &mut dyn ElementwiseLayer);
    }
    if any.is::<Sigmoid>() {
        return any
            .downcast_mut::<Sigmoid>()
            .map(|l| &mut l.core as &mut dyn ElementwiseLayer);
    }
    if any.is::<Tanh>() {
        return any
            .downcast_mut::<Tanh>()
            .map(|l| &mut l.core as &mut dyn ElementwiseLayer);
    }
    if any.is::<Gelu>() {
        return any
            .downcast_mut::<Gelu>()
            .map(|l| &mut l.core as &mut dyn ElementwiseLayer);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::layers::conv::isas;
    use crate::nn::layers::{test_data, vectorized_on};

    /// Every activation's forward and backward loops give the same bits on
    /// every instruction set.
    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        let len = 1000;
        let x: Vec<f32> = test_data(len, 5).iter().map(|v| 4.0 * v).collect();
        let g = test_data(len, 6);
        let kinds = [
            ActKind::Relu,
            ActKind::LeakyRelu(0.01),
            ActKind::Sigmoid,
            ActKind::Tanh,
            ActKind::Gelu(GeluApproximation::None),
            ActKind::Gelu(GeluApproximation::Tanh),
        ];
        for kind in kinds {
            let run = |isa| {
                let (mut y, mut gin) = (vec![0.0f32; len], vec![0.0f32; len]);
                vectorized_on(isa, || act_forward(kind, &x, &mut y));
                vectorized_on(isa, || act_backward(kind, &g, &y, &x, &mut gin));
                let bits = |v: &[f32]| v.iter().map(|e| e.to_bits()).collect::<Vec<_>>();
                (bits(&y), bits(&gin))
            };
            let plain = run(crate::nn::layers::Isa::Plain);
            for isa in isas() {
                assert!(run(isa) == plain, "{kind:?} on {isa:?}");
            }
        }
    }
}
