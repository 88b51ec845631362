//! 2-D convolution: Winograd F(2×2, 3×3) for stride-1 3×3 layers with at
//! least 16 channels on both sides (`winograd`), direct kernels for the other
//! stride-1 layers (`direct`), otherwise lowered to GEMM (im2col with the
//! batch folded into the GEMM's N dimension; backward as GEMMs plus col2im).

use ndarray::{Array1, Array4, ArrayView2, ArrayViewD, ArrayViewMut2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{
    Layer, Mode, Param, check_grad_shape, chunking, lazy_error, no_forward_error,
    torch_default_init, vectorized, weight_bias, weight_bias_mut,
};
use crate::error::{Error, Result};
use crate::linalg;
use crate::nn::buf::{Buf, Scratch, grow, with_scratch};

/// Zero padding of a [`Conv2d`], the same on both sides of both spatial
/// axes (PyTorch's `padding=int` or `padding="same"`).
///
/// # Example
/// ```
/// use oxilearn::nn::Padding;
/// assert_eq!(Padding::from(2), Padding::Fixed(2));
/// assert_eq!(Padding::default(), Padding::Fixed(0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Padding {
    /// This many zeros on each side (0: PyTorch's `"valid"`).
    Fixed(usize),
    /// Outputs the size of the input (PyTorch's and Keras' `"same"`):
    /// `(k − 1) / 2` zeros on each side. Needs stride 1 (as PyTorch) and an
    /// odd kernel size (an even one would pad its two sides unequally).
    Same,
}

impl Default for Padding {
    /// No padding.
    fn default() -> Self {
        Padding::Fixed(0)
    }
}

/// Serialised as PyTorch writes it: a number, or `"same"`.
impl Serialize for Padding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Padding::Fixed(p) => s.serialize_u64(*p as u64),
            Padding::Same => s.serialize_str("same"),
        }
    }
}

impl<'de> Deserialize<'de> for Padding {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Number(usize),
            Text(String),
        }
        match Repr::deserialize(d)? {
            Repr::Number(p) => Ok(Padding::Fixed(p)),
            Repr::Text(t) if t == "same" => Ok(Padding::Same),
            Repr::Text(t) if t == "valid" => Ok(Padding::Fixed(0)),
            Repr::Text(t) => Err(serde::de::Error::custom(format!(
                "padding must be a number, \"same\" or \"valid\", got \"{t}\""
            ))),
        }
    }
}

impl From<usize> for Padding {
    fn from(p: usize) -> Self {
        Padding::Fixed(p)
    }
}

/// Stride, zero padding and bias of a [`Conv2d`] (stride and padding the
/// same along both spatial axes).
///
/// # Example
/// ```
/// use oxilearn::nn::{Conv2dConfig, Padding};
/// let cfg = Conv2dConfig { padding: Padding::Same, ..Default::default() };
/// assert_eq!((cfg.stride, cfg.bias), (1, true));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Conv2dConfig {
    /// Step between neighbouring windows (default 1, as PyTorch).
    pub stride: usize,
    /// Zeros added around the input (default none, as PyTorch).
    pub padding: Padding,
    /// Whether the layer has a bias (default true, as PyTorch).
    pub bias: bool,
}

impl Default for Conv2dConfig {
    fn default() -> Self {
        Conv2dConfig {
            stride: 1,
            padding: Padding::Fixed(0),
            bias: true,
        }
    }
}

impl Conv2dConfig {
    /// The default configuration with `padding`.
    pub fn padding(padding: impl Into<Padding>) -> Self {
        Conv2dConfig {
            padding: padding.into(),
            ..Self::default()
        }
    }

    /// Checks the configuration for a `kh × kw` kernel.
    fn check(&self, kh: usize, kw: usize) -> Result<()> {
        if self.stride == 0 {
            return Err(Error::invalid("stride", "must be at least 1, got 0"));
        }
        if self.padding == Padding::Same {
            if self.stride != 1 {
                return Err(Error::invalid(
                    "padding",
                    format!(
                        "Same needs stride 1 (as PyTorch), got stride {}",
                        self.stride
                    ),
                ));
            }
            if kh.is_multiple_of(2) || kw.is_multiple_of(2) {
                return Err(Error::invalid(
                    "padding",
                    format!(
                        "Same needs an odd kernel size (an even one pads its sides unequally), \
                         got {kh}×{kw}"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Zeros on each side for a `kh × kw` kernel (checked configuration:
    /// `Same` has an odd, square-or-not kernel).
    fn pad(&self, kh: usize) -> usize {
        match self.padding {
            Padding::Fixed(p) => p,
            Padding::Same => (kh - 1) / 2,
        }
    }
}

/// A 2-D convolution (cross-correlation, as PyTorch's `nn.Conv2d` with
/// `dilation = 1`, `groups = 1`) with an optional bias.
///
/// The weight has PyTorch's layout `[out_channels, in_channels, kh, kw]`.
/// Internally a batch is cut into fixed chunks of images (independent of the
/// thread count, so results are reproducible) that run in parallel with
/// rayon. Per layer shape, chosen by measurement:
/// - stride 1, a 3×3 kernel and at least 16 input and output channels:
///   Winograd F(2×2, 3×3) (each 2×2 block of outputs from a 4×4 input tile
///   with 16 instead of 36 multiplications per channel pair, as 16 GEMMs
///   over the tiles; the weight gradient likewise);
/// - other stride-1 layers with outputs at least 8 wide: direct
///   register-tiled kernels (forward, weight gradient, and the input
///   gradient as the forward pass of the flipped kernel);
/// - otherwise each chunk is unfolded (im2col) into a
///   `[in_channels·kh·kw, images·oh·ow]` matrix and multiplied by the weight
///   in one GEMM through [`crate::linalg`].
///
/// Every path gives PyTorch's result up to f32 rounding (relative error
/// around 1e-6); the choice depends on the shape only, never on the thread
/// count.
///
/// A *lazy* convolution ([`Conv2d::lazy`], PyTorch's `LazyConv2d`) learns
/// its input channel count from the first input it sees (or from
/// [`Sequential::with_input_shape`](crate::nn::Sequential::with_input_shape)),
/// and is initialised then, from a seed the network derives from its own
/// seed and the layer's name.
///
/// # Shapes
/// - input: `[n, in_channels, h, w]`
/// - output: `[n, out_channels, oh, ow]` with
///   `oh = (h + 2·padding − kh) / stride + 1` (likewise `ow`)
/// - weight: `[out_channels, in_channels, kh, kw]`, bias: `[out_channels]`
///
/// # Example
/// ```
/// use oxilearn::nn::{Conv2d, Conv2dConfig, Layer, Mode, Padding};
/// use oxilearn::ndarray::Array4;
/// let mut conv = Conv2d::new(3, 6, 5, Conv2dConfig::default(), 0)?;
/// let x = Array4::<f32>::zeros((2, 3, 32, 32));
/// let y = conv.forward(x.view().into_dyn(), Mode::Eval)?;
/// assert_eq!(y.shape(), &[2, 6, 28, 28]);
/// assert_eq!(conv.weight().shape(), &[6, 3, 5, 5]);
/// let same = Conv2d::new(3, 8, 3, Conv2dConfig::padding(Padding::Same), 1)?;
/// assert_eq!(same.output_shape(&[2, 3, 32, 32])?, [2, 8, 32, 32]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Conv2d {
    pub(super) weight: Param,
    pub(super) bias: Option<Param>,
    config: Conv2dConfig,
    /// Built without its input channel count (the weight is `[oc, 0, kh, kw]`).
    lazy: bool,
    pub(super) output: Buf,
    pub(super) grad_input: Buf,
    input: Buf,
    cached: bool,
    partials: Vec<f32>,
    prepared: Prepared,
    planned: Option<Geom>,
    /// The weight and bias with a following batch norm folded in (see
    /// [`forward_folded`](Self::forward_folded)); empty otherwise.
    folded: Folded,
}

/// A convolution's weight and bias with an affine map `y·scale + shift`
/// per output channel folded in (reused buffers).
#[derive(Debug, Clone, Default)]
struct Folded {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

/// Geometry of one convolution call.
#[derive(Debug, Clone, Copy)]
struct Geom {
    c: usize,
    h: usize,
    w: usize,
    oc: usize,
    kh: usize,
    kw: usize,
    stride: usize,
    pad: usize,
    oh: usize,
    ow: usize,
}

impl Geom {
    fn k(&self) -> usize {
        self.c * self.kh * self.kw
    }
    fn p(&self) -> usize {
        self.oh * self.ow
    }
    fn in_len(&self) -> usize {
        self.c * self.h * self.w
    }
    fn out_len(&self) -> usize {
        self.oc * self.p()
    }
    /// Images per chunk: the unfolded chunk stays around 256 KB, so that it
    /// is still in L2 when the GEMM reads it (measured on ResNet-8 on a
    /// 512 KB-L2 core: 1.5 MB chunks were 6–8 % slower per training step,
    /// 128 KB ones no faster).
    fn chunk_target(&self) -> usize {
        (65_536 / (self.k() * self.p()).max(1)).max(1)
    }
}

impl Conv2d {
    /// A convolution with a square `kernel_size` kernel (and a bias unless
    /// the configuration says otherwise), initialised as PyTorch does
    /// (weight and bias `U(±1/√fan_in)`, `fan_in = in_channels·k·k`) from
    /// `seed`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if a size or the stride is zero, or for
    /// `Same` padding with a stride above 1 or an even kernel.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel_size: usize,
        config: Conv2dConfig,
        seed: u64,
    ) -> Result<Self> {
        if in_channels == 0 {
            return Err(Error::invalid("in_channels", "must be at least 1, got 0"));
        }
        let mut conv = Self::lazy(out_channels, kernel_size, config)?;
        conv.init(in_channels, seed);
        Ok(conv)
    }

    /// A lazy convolution: `in_channels` comes from the first input (see
    /// the type's documentation); the parameters exist from then on.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    ///
    /// # Example
    /// ```
    /// use oxilearn::nn::{Conv2d, Conv2dConfig, Layer, Padding};
    /// let mut conv = Conv2d::lazy(32, 3, Conv2dConfig::padding(Padding::Same))?;
    /// assert!(!conv.is_materialized());
    /// conv.materialize(&[8, 3, 28, 28], 0)?;
    /// assert_eq!(conv.weight().shape(), &[32, 3, 3, 3]);
    /// # Ok::<(), oxilearn::Error>(())
    /// ```
    pub fn lazy(out_channels: usize, kernel_size: usize, config: Conv2dConfig) -> Result<Self> {
        for (name, v) in [("out_channels", out_channels), ("kernel_size", kernel_size)] {
            if v == 0 {
                return Err(Error::invalid(name, "must be at least 1, got 0"));
            }
        }
        config.check(kernel_size, kernel_size)?;
        let shape = [out_channels, 0, kernel_size, kernel_size];
        let weight = Param::new(ndarray::ArrayD::zeros(ndarray::IxDyn(&shape)));
        let bias = config
            .bias
            .then(|| Param::new(ndarray::ArrayD::zeros(ndarray::IxDyn(&[out_channels]))));
        let mut conv = Self::from_parts(weight, bias, config);
        conv.lazy = true;
        Ok(conv)
    }

    /// Draws the parameters for `in_channels` input channels from `seed`.
    fn init(&mut self, in_channels: usize, seed: u64) {
        let (oc, (kh, kw)) = (self.out_channels(), self.kernel_size());
        let shape = [oc, in_channels, kh, kw];
        let (w, b) = torch_default_init(
            &shape,
            self.config.bias.then_some(oc),
            in_channels * kh * kw,
            seed,
        );
        self.weight = Param::new(w);
        self.bias = b.map(Param::new);
        self.lazy = false;
    }

    /// A convolution with the given weight `[out, in, kh, kw]` and bias
    /// `[out]` (the configuration's `bias` flag is set from `bias`).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the bias length is not `out`;
    /// [`Error::InvalidParameter`] if a dimension or the stride is zero, or
    /// for an invalid `Same` padding.
    pub fn from_weights(
        weight: Array4<f32>,
        bias: Option<Array1<f32>>,
        config: Conv2dConfig,
    ) -> Result<Self> {
        if weight.is_empty() {
            return Err(Error::invalid(
                "weight",
                "every dimension must be at least 1",
            ));
        }
        config.check(weight.shape()[2], weight.shape()[3])?;
        if let Some(b) = &bias
            && b.len() != weight.shape()[0]
        {
            return Err(Error::ShapeMismatch {
                what: "conv bias",
                expected: vec![weight.shape()[0]],
                got: vec![b.len()],
            });
        }
        let config = Conv2dConfig {
            bias: bias.is_some(),
            ..config
        };
        Ok(Self::from_parts(
            Param::new(weight.into_dyn()),
            bias.map(|b| Param::new(b.into_dyn())),
            config,
        ))
    }

    pub(super) fn from_parts(weight: Param, bias: Option<Param>, config: Conv2dConfig) -> Self {
        Conv2d {
            weight,
            bias,
            config,
            lazy: false,
            output: Buf::default(),
            grad_input: Buf::default(),
            input: Buf::default(),
            cached: false,
            partials: Vec::new(),
            prepared: Prepared::default(),
            planned: None,
            folded: Folded::default(),
        }
    }

    /// Whether the last forward pass was a training pass (its input is
    /// kept for `backward`).
    pub(crate) fn is_cached(&self) -> bool {
        self.cached
    }

    /// The weight `[out_channels, in_channels, kh, kw]`.
    pub fn weight(&self) -> &Param {
        &self.weight
    }

    /// The bias `[out_channels]`, if any.
    pub fn bias(&self) -> Option<&Param> {
        self.bias.as_ref()
    }

    /// Stride, padding and bias flag.
    pub fn config(&self) -> Conv2dConfig {
        self.config
    }

    /// Zeros added on each side of both spatial axes.
    pub fn padding_size(&self) -> usize {
        self.config.pad(self.kernel_size().0)
    }

    /// Input channels (0 for a lazy convolution before its first input).
    pub fn in_channels(&self) -> usize {
        self.weight.shape()[1]
    }

    /// Output channels.
    pub fn out_channels(&self) -> usize {
        self.weight.shape()[0]
    }

    /// Kernel size `(kh, kw)`.
    pub fn kernel_size(&self) -> (usize, usize) {
        (self.weight.shape()[2], self.weight.shape()[3])
    }

    /// Output spatial size for an `h × w` input, `None` if the kernel does
    /// not fit in the padded input.
    pub fn output_size(&self, h: usize, w: usize) -> Option<(usize, usize)> {
        let (kh, kw) = self.kernel_size();
        let (s, p) = (self.config.stride, self.padding_size());
        if h + 2 * p < kh || w + 2 * p < kw {
            return None;
        }
        Some(((h + 2 * p - kh) / s + 1, (w + 2 * p - kw) / s + 1))
    }

    fn geom(&self, shape: &[usize]) -> Result<(usize, Geom)> {
        if self.lazy {
            return Err(lazy_error("a lazy Conv2d"));
        }
        self.geom_for(shape)
    }

    /// The geometry for an input of `shape`; a lazy layer takes any
    /// (non-zero) channel count.
    fn geom_for(&self, shape: &[usize]) -> Result<(usize, Geom)> {
        let c = if self.lazy {
            shape
                .get(1)
                .copied()
                .filter(|&c| c > 0)
                .unwrap_or(usize::MAX)
        } else {
            self.in_channels()
        };
        let bad = || Error::ShapeMismatch {
            what: "conv2d input [n, channels, h, w]",
            expected: vec![usize::MAX, c, usize::MAX, usize::MAX],
            got: shape.to_vec(),
        };
        if shape.len() != 4 || shape[1] != c {
            return Err(bad());
        }
        let (h, w) = (shape[2], shape[3]);
        let (oh, ow) = self.output_size(h, w).ok_or_else(bad)?;
        let (kh, kw) = self.kernel_size();
        Ok((
            shape[0],
            Geom {
                c,
                h,
                w,
                oc: self.out_channels(),
                kh,
                kw,
                stride: self.config.stride,
                pad: self.padding_size(),
                oh,
                ow,
            },
        ))
    }

    fn forward_impl(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<ArrayViewD<'_, f32>> {
        let (n, g) = self.geom(x.shape())?;
        let x = x.as_standard_layout();
        let xs = x.as_slice().expect("standard layout");
        if mode == Mode::Train {
            self.input.set(x.shape(), xs);
        }
        self.cached = mode == Mode::Train;
        self.output.reshape(&[n, g.oc, g.oh, g.ow]);
        self.prepare(&g, true, false);
        self.planned = Some(g);
        let (k, out, _, _) = self.split();
        conv_forward(&k, xs, out, false);
        Ok(self.output.view())
    }

    /// Evaluation forward pass of this convolution followed by the
    /// per-channel affine map `y·scale[oc] + shift[oc]` (an evaluation-mode
    /// batch norm), folded into the weights: `W′ = scale·W`,
    /// `b′ = scale·b + shift`, so the map costs no pass over the output.
    /// Equal to the two layers one after the other up to rounding (the
    /// products are formed in `f64` and rounded once). With `relu`, a
    /// following ReLU is applied to each chunk of images while it is in
    /// cache. Nothing is cached for a backward pass.
    ///
    /// # Errors
    /// As [`Layer::forward`] for the input shape.
    pub(crate) fn forward_folded(
        &mut self,
        x: ArrayViewD<'_, f32>,
        scale: &[f64],
        shift: &[f64],
        relu: bool,
    ) -> Result<ArrayViewD<'_, f32>> {
        let (n, g) = self.geom(x.shape())?;
        debug_assert!(scale.len() == g.oc && shift.len() == g.oc);
        let x = x.as_standard_layout();
        let xs = x.as_slice().expect("standard layout");
        self.cached = false;
        self.output.reshape(&[n, g.oc, g.oh, g.ow]);
        let Conv2d {
            weight,
            bias,
            output,
            prepared,
            planned,
            folded,
            ..
        } = self;
        let w = weight.value_slice();
        let k = g.k();
        folded.weight.clear();
        folded.weight.extend(
            w.chunks(k.max(1))
                .zip(scale)
                .flat_map(|(row, &a)| row.iter().map(move |&v| (a * f64::from(v)) as f32)),
        );
        folded.bias.clear();
        folded.bias.extend((0..g.oc).map(|oc| {
            let b = bias
                .as_ref()
                .map_or(0.0, |b| f64::from(b.value_slice()[oc]));
            (scale[oc] * b + shift[oc]) as f32
        }));
        prepare_weights(prepared, &g, &folded.weight, true, false);
        *planned = Some(g);
        let kernel = ConvKernel {
            g,
            w: &folded.weight,
            bias: Some(&folded.bias),
            fwd: &prepared.fwd,
            bwd: &[],
        };
        conv_forward(&kernel, xs, output.as_mut_slice(), relu);
        Ok(self.output.view())
    }

    fn backward_impl(
        &mut self,
        grad_output: ArrayViewD<'_, f32>,
        need_input_grad: bool,
    ) -> Result<()> {
        if !self.cached {
            return Err(no_forward_error());
        }
        check_grad_shape(grad_output.shape(), self.output.shape())?;
        let in_shape = self.input.shape().to_vec();
        let (_, g) = self.geom(&in_shape)?;
        let gout = grad_output.as_standard_layout();
        if need_input_grad {
            self.grad_input.reshape(&in_shape);
        }
        self.prepare(&g, false, need_input_grad);
        self.planned = Some(g);
        let Conv2d {
            weight,
            grad_input,
            input,
            partials,
            prepared,
            ..
        } = self;
        let k = ConvKernel {
            g,
            w: weight.value_slice(),
            bias: None,
            fwd: &[],
            bwd: &prepared.bwd,
        };
        let gin = need_input_grad.then(|| grad_input.as_mut_slice());
        let gs = gout.as_slice().expect("standard layout");
        conv_backward(&k, input.as_slice(), gs, partials, gin);
        self.grad_parts().0.reduce();
        Ok(())
    }
}

impl Layer for Conv2d {
    fn kind(&self) -> &str {
        "Conv2d"
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let (n, g) = self.geom_for(input)?;
        Ok(vec![n, g.oc, g.oh, g.ow])
    }

    fn forward(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<ArrayViewD<'_, f32>> {
        self.forward_impl(x, mode)
    }

    fn backward(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<ArrayViewD<'_, f32>> {
        self.backward_impl(grad_output, true)?;
        Ok(self.grad_input.view())
    }

    fn backward_params(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<()> {
        self.backward_impl(grad_output, false)
    }

    fn params(&self) -> Vec<(String, &Param)> {
        weight_bias(&self.weight, self.bias.as_ref())
    }

    fn params_mut(&mut self) -> Vec<(String, &mut Param)> {
        weight_bias_mut(&mut self.weight, self.bias.as_mut())
    }

    fn materialize(&mut self, input: &[usize], seed: u64) -> Result<()> {
        if !self.lazy {
            return Ok(());
        }
        self.geom_for(input)?;
        self.init(input[1], seed);
        Ok(())
    }

    fn is_materialized(&self) -> bool {
        !self.lazy
    }

    fn fresh(&self) -> Box<dyn Layer> {
        let mut c = Conv2d::from_parts(self.weight.clone(), self.bias.clone(), self.config);
        c.lazy = self.lazy;
        Box::new(c)
    }
}

/// Prepares the layouts of the weight `w` that the kernels of geometry `g`
/// read (forward and/or input gradient) into `prepared`.
fn prepare_weights(prepared: &mut Prepared, g: &Geom, w: &[f32], forward: bool, input_grad: bool) {
    let Prepared { fwd, bwd } = prepared;
    fwd.clear();
    bwd.clear();
    if winograd::applies(g) {
        if forward {
            fwd.extend_from_slice(&winograd::forward_prepare(g, w));
        }
        if input_grad {
            bwd.extend_from_slice(&winograd::input_grad_prepare(g, w));
        }
        return;
    }
    if forward && direct::forward_applies(g) {
        fwd.extend_from_slice(&direct::forward_prepare(g, w));
    }
    if input_grad && direct::input_grad_applies(g) {
        bwd.extend_from_slice(&direct::input_grad_prepare(g, w));
    }
}

/// Width and height of an input plane with its zero padding.
fn padded_dims(g: &Geom) -> (usize, usize) {
    (g.h + 2 * g.pad, g.w + 2 * g.pad)
}

/// Unfolds `nb` images (`x`, NCHW) into `cols` `[c·kh·kw, nb·oh·ow]`.
///
/// Each input plane is first copied into the zero-padded plane `padded`
/// (scratch, of [`padded_dims`]; without padding the plane is read in
/// place), so that every row of `cols` is a copy (stride 1) or a strided
/// gather with no bounds to test.
fn im2col(g: &Geom, x: &[f32], nb: usize, cols: &mut [f32], padded: &mut [f32]) {
    let (p, np) = (g.p(), nb * g.p());
    let plane = g.h * g.w;
    let (_, pw) = padded_dims(g);
    if p == 0 {
        return;
    }
    padded.fill(0.0);
    vectorized(
        #[inline(always)]
        || {
            for i in 0..nb {
                for c in 0..g.c {
                    let src_plane = &x[(i * g.c + c) * plane..][..plane];
                    let src: &[f32] = if g.pad == 0 {
                        src_plane
                    } else {
                        for (y, row) in src_plane.chunks_exact(g.w.max(1)).enumerate() {
                            padded[(y + g.pad) * pw + g.pad..][..g.w].copy_from_slice(row);
                        }
                        padded
                    };
                    for ki in 0..g.kh {
                        for kj in 0..g.kw {
                            let r = (c * g.kh + ki) * g.kw + kj;
                            let dst = &mut cols[r * np + i * p..][..p];
                            for (oy, drow) in dst.chunks_exact_mut(g.ow).enumerate() {
                                let srow = &src[(oy * g.stride + ki) * pw + kj..];
                                if g.stride == 1 {
                                    drow.copy_from_slice(&srow[..g.ow]);
                                } else {
                                    let srow = &srow[..(g.ow - 1) * g.stride + 1];
                                    for (ox, d) in drow.iter_mut().enumerate() {
                                        *d = srow[ox * g.stride];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    );
}

/// Folds `dcols` `[c·kh·kw, nb·oh·ow]` back onto `gin` (NCHW, overwritten),
/// through the zero-padded plane `padded` (scratch, as in [`im2col`]; the
/// plane of `gin` itself without padding). Each input element sums its
/// contributions in the order of the rows of `dcols`.
fn col2im(g: &Geom, dcols: &[f32], nb: usize, gin: &mut [f32], padded: &mut [f32]) {
    let (p, np) = (g.p(), nb * g.p());
    let plane = g.h * g.w;
    let (_, pw) = padded_dims(g);
    if p == 0 {
        gin.fill(0.0);
        return;
    }
    vectorized(
        #[inline(always)]
        || {
            for i in 0..nb {
                for c in 0..g.c {
                    let dst_plane = &mut gin[(i * g.c + c) * plane..][..plane];
                    let acc: &mut [f32] = if g.pad == 0 {
                        &mut *dst_plane
                    } else {
                        &mut *padded
                    };
                    acc.fill(0.0);
                    for ki in 0..g.kh {
                        for kj in 0..g.kw {
                            let r = (c * g.kh + ki) * g.kw + kj;
                            let src = &dcols[r * np + i * p..][..p];
                            for (oy, srow) in src.chunks_exact(g.ow).enumerate() {
                                let arow = &mut acc[(oy * g.stride + ki) * pw + kj..];
                                if g.stride == 1 {
                                    for (a, s) in arow[..g.ow].iter_mut().zip(srow) {
                                        *a += s;
                                    }
                                } else {
                                    let arow = &mut arow[..(g.ow - 1) * g.stride + 1];
                                    for (ox, s) in srow.iter().enumerate() {
                                        arow[ox * g.stride] += s;
                                    }
                                }
                            }
                        }
                    }
                    if g.pad > 0 {
                        for (y, row) in dst_plane.chunks_exact_mut(g.w.max(1)).enumerate() {
                            row.copy_from_slice(&padded[(y + g.pad) * pw + g.pad..][..g.w]);
                        }
                    }
                }
            }
        },
    );
}

/// A convolution's weights for one batch, with the layouts its kernels
/// read prepared once: what one chunk of images needs for its forward and
/// backward pass (shared by all chunks; see [`crate::nn::pipeline`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConvKernel<'a> {
    g: Geom,
    w: &'a [f32],
    bias: Option<&'a [f32]>,
    /// `winograd::forward_prepare` or `direct::forward_prepare` of `w`
    /// (empty on the GEMM path).
    fwd: &'a [f32],
    /// `winograd::input_grad_prepare` or `direct::input_grad_prepare` of `w`
    /// (empty when not needed).
    bwd: &'a [f32],
}

impl ConvKernel<'_> {
    /// Length of one chunk's weight + bias gradient partial.
    pub(crate) fn partial_len(&self) -> usize {
        self.g.oc * self.g.k() + self.g.oc
    }

    fn direct_backward(&self, need_input_grad: bool) -> bool {
        direct::weight_grad_applies(&self.g)
            && (!need_input_grad || direct::input_grad_applies(&self.g))
    }

    /// Forward pass of the images `x` (NCHW) into `out`, on this thread.
    pub(crate) fn forward_chunk(&self, x: &[f32], out: &mut [f32]) {
        let g = &self.g;
        if x.is_empty() || g.out_len() == 0 {
            return;
        }
        if winograd::applies(g) {
            winograd::forward_images(g, self.fwd, self.bias, x, out);
        } else if direct::forward_applies(g) {
            direct::forward_images(g, x, self.fwd, self.bias, out);
        } else {
            gemm_forward_chunk(g, x, self.w, self.bias, out);
        }
    }

    /// Weight and bias gradient of the images `x` with output gradients
    /// `gout`, written to `part` (`[dW, db]`, overwritten), and the input
    /// gradient into `gin` if given; on this thread.
    pub(crate) fn backward_chunk(
        &self,
        x: &[f32],
        gout: &[f32],
        part: &mut [f32],
        gin: Option<&mut [f32]>,
    ) {
        let g = &self.g;
        part.fill(0.0);
        if x.is_empty() {
            return;
        }
        let (dw, db) = part.split_at_mut(g.oc * g.k());
        if winograd::applies(g) {
            winograd::weight_grad(g, x, gout, dw, db);
            if let Some(gin) = gin {
                winograd::input_grad_images(g, self.bwd, gout, gin);
            }
        } else if self.direct_backward(gin.is_some()) {
            direct::weight_grad(g, x, gout, dw, db);
            if let Some(gin) = gin {
                direct::input_grad_images(g, self.bwd, gout, gin);
            }
        } else {
            gemm_backward_chunk(g, x, gout, self.w, dw, db, gin);
        }
    }
}

/// Weight layouts prepared for one batch (reused buffers).
#[derive(Debug, Clone, Default)]
pub(super) struct Prepared {
    fwd: Vec<f32>,
    bwd: Vec<f32>,
}

impl Conv2d {
    /// Validates the input shape of a batch, sizes the output and (if
    /// `need_input_grad`) the input-gradient buffer and the weight-gradient
    /// partials of `n_chunks` chunks, and prepares the weight layouts.
    /// Returns the output shape.
    pub(crate) fn plan(
        &mut self,
        in_shape: &[usize],
        need_input_grad: bool,
        n_chunks: usize,
    ) -> Result<Vec<usize>> {
        let (n, g) = self.geom(in_shape)?;
        let out_shape = vec![n, g.oc, g.oh, g.ow];
        self.output.reshape(&out_shape);
        if need_input_grad {
            self.grad_input.reshape(in_shape);
        }
        self.prepare(&g, true, need_input_grad);
        self.partials.resize(n_chunks * (g.oc * g.k() + g.oc), 0.0);
        self.planned = Some(g);
        self.cached = false;
        Ok(out_shape)
    }

    /// Prepares the weight layouts of the forward (`forward`) and
    /// input-gradient (`input_grad`) kernels.
    fn prepare(&mut self, g: &Geom, forward: bool, input_grad: bool) {
        prepare_weights(
            &mut self.prepared,
            g,
            self.weight.value_slice(),
            forward,
            input_grad,
        );
    }

    /// The kernel of the last [`plan`](Self::plan) with the output,
    /// input-gradient and partials buffers (`partials`: one `[dW, db]` slot
    /// per chunk).
    ///
    /// # Panics
    /// Without a preceding `plan` (an internal invariant).
    pub(crate) fn split(&mut self) -> (ConvKernel<'_>, &mut [f32], &mut [f32], &mut [f32]) {
        let g = self.planned.expect("Conv2d::split after plan");
        let kernel = ConvKernel {
            g,
            w: self.weight.value_slice(),
            bias: self.bias.as_ref().map(|b| b.value_slice()),
            fwd: &self.prepared.fwd,
            bwd: &self.prepared.bwd,
        };
        (
            kernel,
            self.output.as_mut_slice(),
            self.grad_input.as_mut_slice(),
            &mut self.partials,
        )
    }

    /// The parameter gradients of the last [`plan`](Self::plan)'s batch, to
    /// be summed from the chunk partials, with the output and input-gradient
    /// buffers.
    ///
    /// # Panics
    /// Without a preceding `plan` (an internal invariant).
    pub(crate) fn grad_parts(&mut self) -> (ConvSink<'_>, &[f32], &[f32]) {
        let g = self.planned.expect("Conv2d::grad_parts after plan");
        let sink = ConvSink {
            kw_len: g.oc * g.k(),
            pl: g.oc * g.k() + g.oc,
            partials: &self.partials,
            dw: self.weight.grad_slice_mut(),
            db: self.bias.as_mut().map(|b| b.grad_slice_mut()),
        };
        (sink, self.output.as_slice(), self.grad_input.as_slice())
    }
}

/// A convolution's weight and bias gradients with the chunk partials they
/// sum (one `[dW, db]` slot of `pl` floats per chunk, see [`Conv2d::plan`]).
#[derive(Debug)]
pub(crate) struct ConvSink<'a> {
    kw_len: usize,
    pl: usize,
    partials: &'a [f32],
    dw: &'a mut [f32],
    db: Option<&'a mut [f32]>,
}

impl ConvSink<'_> {
    /// `dW`, `db` ← the sum of the chunk partials, in chunk order.
    pub(crate) fn reduce(self) {
        let ConvSink {
            kw_len,
            pl,
            partials,
            dw,
            mut db,
        } = self;
        dw.fill(0.0);
        if let Some(db) = &mut db {
            db.fill(0.0);
        }
        for part in partials.chunks(pl) {
            let (pw, pb) = part.split_at(kw_len);
            for (t, v) in dw.iter_mut().zip(pw) {
                *t += v;
            }
            if let Some(db) = &mut db {
                for (t, v) in db.iter_mut().zip(pb) {
                    *t += v;
                }
            }
        }
    }
}

/// Images per task of the whole-batch passes: the direct and Winograd
/// kernels' chunks, or an unfolded chunk of about 256 KB on the GEMM path.
fn task_len(g: &Geom, n: usize) -> (usize, usize) {
    let target = if winograd::applies(g) || direct::forward_applies(g) {
        direct::WGRAD_CHUNK
    } else {
        g.chunk_target()
    };
    chunking(n, target)
}

/// Forward pass of a whole batch: fixed chunks of images in parallel, each
/// followed by a ReLU in place with `relu`.
fn conv_forward(k: &ConvKernel<'_>, x: &[f32], out: &mut [f32], relu: bool) {
    let g = &k.g;
    let n = x.len() / g.in_len().max(1);
    if n == 0 || g.out_len() == 0 {
        return;
    }
    let (len, _) = task_len(g, n);
    out.par_chunks_mut(len * g.out_len())
        .zip(x.par_chunks(len * g.in_len()))
        .for_each(|(o, xc)| {
            k.forward_chunk(xc, o);
            if relu {
                for v in o.iter_mut() {
                    // As `ReLU`: NaN stays NaN. (An unconditional store: the
                    // loop vectorises, where a conditional one branches on
                    // every sign.)
                    *v = if *v < 0.0 { 0.0 } else { *v };
                }
            }
        });
}

/// Unfolds a chunk and multiplies it by the weight (any stride and width).
fn gemm_forward_chunk(g: &Geom, xc: &[f32], w: &[f32], bias: Option<&[f32]>, o: &mut [f32]) {
    let nb = xc.len() / g.in_len();
    let wv = ArrayView2::from_shape((g.oc, g.k()), w).expect("weight shape");
    with_scratch(|s: &mut Scratch| {
        let np = nb * g.p();
        let (ph, pw) = padded_dims(g);
        let cols = grow(&mut s.a, g.k() * np);
        im2col(g, xc, nb, cols, grow(&mut s.d, ph * pw));
        let ym = grow(&mut s.b, g.oc * np);
        {
            let colsv = ArrayView2::from_shape((g.k(), np), &*cols).expect("cols");
            let mut ymv = ArrayViewMut2::from_shape((g.oc, np), &mut *ym).expect("ym");
            linalg::gemm_local(1.0, wv, colsv, 0.0, &mut ymv);
        }
        let p = g.p();
        for oc in 0..g.oc {
            let b = bias.map_or(0.0, |b| b[oc]);
            let src_row = &ym[oc * np..(oc + 1) * np];
            for i in 0..nb {
                let dst = &mut o[(i * g.oc + oc) * p..][..p];
                for (d, s) in dst.iter_mut().zip(&src_row[i * p..(i + 1) * p]) {
                    *d = s + b;
                }
            }
        }
    });
}

/// Backward pass of a chunk through im2col and GEMMs: `dw`, `db`
/// overwritten, the input gradient into `gi` if given.
fn gemm_backward_chunk(
    g: &Geom,
    xc: &[f32],
    gc: &[f32],
    w: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
    gi: Option<&mut [f32]>,
) {
    let nb = xc.len() / g.in_len();
    let (np, p) = (nb * g.p(), g.p());
    let wv = ArrayView2::from_shape((g.oc, g.k()), w).expect("weight shape");
    with_scratch(|s: &mut Scratch| {
        let Scratch { a, b, c, d } = s;
        let (ph, pw) = padded_dims(g);
        let padded = grow(d, ph * pw);
        let cols = grow(a, g.k() * np);
        im2col(g, xc, nb, cols, padded);
        let dym = grow(b, g.oc * np);
        for oc in 0..g.oc {
            for i in 0..nb {
                dym[oc * np + i * p..][..p].copy_from_slice(&gc[(i * g.oc + oc) * p..][..p]);
            }
        }
        let colsv = ArrayView2::from_shape((g.k(), np), &*cols).expect("cols");
        let dymv = ArrayView2::from_shape((g.oc, np), &*dym).expect("dym");
        let mut dwv = ArrayViewMut2::from_shape((g.oc, g.k()), dw).expect("dw");
        linalg::gemm_local(1.0, dymv, colsv.t(), 0.0, &mut dwv);
        for (oc, d) in db.iter_mut().enumerate() {
            *d = dym[oc * np..(oc + 1) * np].iter().sum();
        }
        if let Some(gi) = gi {
            let dcols = grow(c, g.k() * np);
            let mut dcv = ArrayViewMut2::from_shape((g.k(), np), &mut *dcols).expect("dcols");
            linalg::gemm_local(1.0, wv.t(), dymv, 0.0, &mut dcv);
            col2im(g, dcols, nb, gi, padded);
        }
    });
}

/// Backward pass of a whole batch: per-chunk weight/bias gradients into
/// `partials` (one slot per chunk, summed in a fixed order by
/// [`ConvSink::reduce`]) and, if asked, the input gradient, chunks in
/// parallel.
fn conv_backward(
    k: &ConvKernel<'_>,
    x: &[f32],
    gout: &[f32],
    partials: &mut Vec<f32>,
    gin: Option<&mut [f32]>,
) {
    let g = &k.g;
    let n = x.len() / g.in_len().max(1);
    let pl = k.partial_len();
    let (len, n_chunks) = task_len(g, n);
    partials.resize(n_chunks * pl, 0.0);
    if n > 0 {
        let base = partials
            .par_chunks_mut(pl)
            .zip(x.par_chunks(len * g.in_len()))
            .zip(gout.par_chunks(len * g.out_len()));
        match gin {
            Some(gin) => base
                .zip(gin.par_chunks_mut(len * g.in_len()))
                .for_each(|(((part, xc), gc), gi)| k.backward_chunk(xc, gc, part, Some(gi))),
            None => base.for_each(|((part, xc), gc)| k.backward_chunk(xc, gc, part, None)),
        }
    }
}

/// The instruction set the convolution kernels (`direct`, `winograd`) are
/// compiled for at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Isa {
    Plain,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

/// The kernels the dispatch runs ([`crate::cpu::active`], so `OXILEARN_CPU`
/// applies).
pub(super) fn isa() -> Isa {
    isa_of(crate::cpu::active())
}

/// The widest kernel set `f` allows: AVX-512 needs AVX-512F, AVX2 and FMA;
/// AVX2 needs AVX2 and FMA.
fn isa_of(f: crate::cpu::Features) -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        if f.avx2 && f.fma {
            if f.avx512f {
                return Isa::Avx512;
            }
            return Isa::Avx2;
        }
    }
    let _ = f;
    Isa::Plain
}

/// Every kernel set this CPU runs (whatever `OXILEARN_CPU` says): the
/// portable one and, where detected, the AVX2 and AVX-512 ones.
#[cfg(test)]
pub(super) fn isas() -> Vec<Isa> {
    let mut v = vec![Isa::Plain];
    #[cfg(target_arch = "x86_64")]
    {
        let widest = isa_of(crate::cpu::hardware());
        if widest != Isa::Plain {
            v.push(Isa::Avx2);
        }
        if widest == Isa::Avx512 {
            v.push(Isa::Avx512);
        }
    }
    v
}

/// The sum of `v` in 16 interleaved partial sums (element `i` into partial
/// `i mod 16`), combined pairwise at the end: a fixed order (the same result
/// on every run and thread count) that the compiler turns into vector adds,
/// instead of one serial chain of scalar additions.
fn lane_sum(v: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let mut chunks = v.chunks_exact(16);
    for c in &mut chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += x;
        }
    }
    for (a, x) in acc.iter_mut().zip(chunks.remainder()) {
        *a += x;
    }
    let mut w = 16;
    while w > 1 {
        w /= 2;
        for i in 0..w {
            acc[i] += acc[i + w];
        }
    }
    acc[0]
}

mod direct;
mod winograd;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::layers::test_data;

    fn geom(c: usize, h: usize, w: usize, k: usize, stride: usize, pad: usize) -> Geom {
        let o = |d: usize| (d + 2 * pad - k) / stride + 1;
        Geom {
            c,
            h,
            w,
            oc: 1,
            kh: k,
            kw: k,
            stride,
            pad,
            oh: o(h),
            ow: o(w),
        }
    }

    /// `im2col` against its definition, and `col2im` against the adjoint's
    /// (a scatter-add), on strides 1–3, paddings 0–2 and odd sizes.
    #[test]
    fn unfolding_matches_the_definition() {
        let shapes = [
            geom(2, 5, 7, 3, 2, 1),
            geom(3, 8, 8, 1, 2, 0),
            geom(2, 4, 4, 3, 1, 2),
            geom(2, 11, 9, 5, 3, 2),
            geom(1, 1, 1, 3, 1, 1),
            geom(2, 6, 5, 3, 1, 0),
        ];
        for g in shapes {
            let nb = 3;
            let (k, p, np) = (g.k(), g.p(), nb * g.p());
            let x = test_data(nb * g.in_len(), 9);
            let (ph, pw) = padded_dims(&g);
            let mut padded = vec![f32::NAN; ph * pw];
            let mut cols = vec![f32::NAN; k * np];
            im2col(&g, &x, nb, &mut cols, &mut padded);
            let dcols = test_data(k * np, 10);
            let mut want_cols = vec![0.0f32; k * np];
            let mut want_gin = vec![0.0f64; nb * g.in_len()];
            for i in 0..nb {
                for c in 0..g.c {
                    for ki in 0..g.kh {
                        for kj in 0..g.kw {
                            let r = (c * g.kh + ki) * g.kw + kj;
                            for oy in 0..g.oh {
                                for ox in 0..g.ow {
                                    let iy = (oy * g.stride + ki) as isize - g.pad as isize;
                                    let ix = (ox * g.stride + kj) as isize - g.pad as isize;
                                    if iy < 0 || ix < 0 || iy >= g.h as isize || ix >= g.w as isize
                                    {
                                        continue;
                                    }
                                    let at =
                                        ((i * g.c + c) * g.h + iy as usize) * g.w + ix as usize;
                                    let col = r * np + i * p + oy * g.ow + ox;
                                    want_cols[col] = x[at];
                                    want_gin[at] += f64::from(dcols[col]);
                                }
                            }
                        }
                    }
                }
            }
            assert_eq!(cols, want_cols, "{g:?}");
            let mut gin = vec![f32::NAN; nb * g.in_len()];
            padded.fill(f32::NAN);
            col2im(&g, &dcols, nb, &mut gin, &mut padded);
            for (got, want) in gin.iter().zip(&want_gin) {
                assert!(
                    (f64::from(*got) - want).abs() <= 1e-6,
                    "{g:?}: {got} vs {want}"
                );
            }
        }
    }
}
