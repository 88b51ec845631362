//! Fully connected layer and flattening.

use ndarray::{Array1, Array2, ArrayView2, ArrayViewD, ArrayViewMut2};

use super::conv::isa;
use super::gemm;
use super::{
    Layer, Mode, Param, check_grad_shape, lazy_error, no_forward_error, torch_default_init,
    weight_bias, weight_bias_mut,
};
use crate::error::{Error, Result};
use crate::linalg;
use crate::nn::buf::{Buf, pieces};
use rayon::prelude::*;

/// A fully connected layer `y = x·Wᵀ + b` (PyTorch's `nn.Linear`), weight
/// `[out_features, in_features]`.
///
/// A *lazy* layer ([`Linear::lazy`], PyTorch's `LazyLinear`) learns
/// `in_features` from the first input it sees (or from
/// [`Sequential::with_input_shape`](crate::nn::Sequential::with_input_shape)):
/// no flattened size to compute by hand.
///
/// # Shapes
/// - input: `[n, in_features]`
/// - output: `[n, out_features]`
/// - weight: `[out_features, in_features]`, bias: `[out_features]`
///
/// # Example
/// ```
/// use oxilearn::nn::{Layer, Linear, Mode};
/// use oxilearn::ndarray::{array, Array2};
/// let mut fc = Linear::from_weights(array![[1.0f32, 2.0], [0.0, -1.0]], Some(array![0.5, 0.0]))?;
/// let y = fc.forward(array![[1.0f32, 1.0]].view().into_dyn(), Mode::Eval)?;
/// assert_eq!(y.as_slice(), Some(&[3.5, -1.0][..]));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Linear {
    pub(super) weight: Param,
    pub(super) bias: Option<Param>,
    /// Built without `in_features` (the weight is `[out, 0]`).
    lazy: bool,
    has_bias: bool,
    pub(super) output: Buf,
    pub(super) grad_input: Buf,
    input: Buf,
    cached: bool,
}

impl Linear {
    /// A layer with a bias, initialised as PyTorch does (`U(±1/√in_features)`
    /// for weight and bias) from `seed`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if a size is zero.
    pub fn new(in_features: usize, out_features: usize, seed: u64) -> Result<Self> {
        if in_features == 0 {
            return Err(Error::invalid("in_features", "must be at least 1, got 0"));
        }
        let mut fc = Self::lazy(out_features)?;
        fc.init(in_features, seed);
        Ok(fc)
    }

    /// A lazy layer with a bias: `in_features` comes from the first input
    /// (see the type's documentation).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `out_features` is zero.
    ///
    /// # Example
    /// ```
    /// use oxilearn::nn::{Layer, Linear};
    /// let mut fc = Linear::lazy(128)?;
    /// assert_eq!(fc.output_shape(&[4, 12544])?, [4, 128]);
    /// fc.materialize(&[4, 12544], 7)?;
    /// assert_eq!(fc.weight().shape(), &[128, 12544]);
    /// # Ok::<(), oxilearn::Error>(())
    /// ```
    pub fn lazy(out_features: usize) -> Result<Self> {
        if out_features == 0 {
            return Err(Error::invalid("out_features", "must be at least 1, got 0"));
        }
        let mut fc = Self::from_parts(
            Param::new(Array2::<f32>::zeros((out_features, 0)).into_dyn()),
            Some(Param::new(Array1::<f32>::zeros(out_features).into_dyn())),
        );
        fc.lazy = true;
        Ok(fc)
    }

    /// The same layer without a bias (PyTorch's `bias=False`); a
    /// materialised layer drops its bias.
    pub fn without_bias(mut self) -> Self {
        self.bias = None;
        self.has_bias = false;
        self
    }

    /// Draws the parameters for `in_features` inputs from `seed`.
    fn init(&mut self, in_features: usize, seed: u64) {
        let out = self.out_features();
        let (w, b) = torch_default_init(
            &[out, in_features],
            self.has_bias.then_some(out),
            in_features,
            seed,
        );
        self.weight = Param::new(w);
        self.bias = b.map(Param::new);
        self.lazy = false;
    }

    /// A layer with the given weight `[out, in]` and bias `[out]`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the bias length is not `out`.
    pub fn from_weights(weight: Array2<f32>, bias: Option<Array1<f32>>) -> Result<Self> {
        if let Some(b) = &bias
            && b.len() != weight.nrows()
        {
            return Err(Error::ShapeMismatch {
                what: "linear bias",
                expected: vec![weight.nrows()],
                got: vec![b.len()],
            });
        }
        Ok(Self::from_parts(
            Param::new(weight.into_dyn()),
            bias.map(|b| Param::new(b.into_dyn())),
        ))
    }

    pub(super) fn from_parts(weight: Param, bias: Option<Param>) -> Self {
        Linear {
            lazy: false,
            has_bias: bias.is_some(),
            weight,
            bias,
            output: Buf::default(),
            grad_input: Buf::default(),
            input: Buf::default(),
            cached: false,
        }
    }

    /// The weight `[out_features, in_features]`.
    pub fn weight(&self) -> &Param {
        &self.weight
    }

    /// The bias `[out_features]`, if any.
    pub fn bias(&self) -> Option<&Param> {
        self.bias.as_ref()
    }

    /// Input features (0 for a lazy layer before its first input).
    pub fn in_features(&self) -> usize {
        self.weight.shape()[1]
    }

    /// Output features.
    pub fn out_features(&self) -> usize {
        self.weight.shape()[0]
    }

    fn forward_impl(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<ArrayViewD<'_, f32>> {
        self.check_input(x.shape())?;
        let n = x.shape()[0];
        let x = x.as_standard_layout();
        let xs = x.as_slice().expect("standard layout");
        if mode == Mode::Train {
            self.input.set(x.shape(), xs);
        }
        self.cached = mode == Mode::Train;
        let (out_f, in_f) = (self.out_features(), self.in_features());
        let xv = ArrayView2::from_shape((n, in_f), xs).expect("input shape");
        let out = self.output.reshape(&[n, out_f]);
        if let Some(b) = &self.bias {
            for row in out.chunks_mut(out_f.max(1)) {
                row.copy_from_slice(b.value_slice());
            }
        }
        let beta = if self.bias.is_some() { 1.0 } else { 0.0 };
        let mut ov = ArrayViewMut2::from_shape((n, out_f), out).expect("output shape");
        let w = ArrayView2::from_shape((out_f, in_f), self.weight.value_slice()).expect("weight");
        linalg::gemm(1.0, xv, w.t(), beta, &mut ov);
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
        let (out_f, in_f) = (self.out_features(), self.in_features());
        let n = self.input.shape()[0];
        let g = grad_output.as_standard_layout();
        let gv = ArrayView2::from_shape((n, out_f), g.as_slice().expect("standard layout"))
            .expect("grad shape");
        let xv = ArrayView2::from_shape((n, in_f), self.input.as_slice()).expect("input shape");
        {
            let dw = self.weight.grad_slice_mut();
            let mut dwv = ArrayViewMut2::from_shape((out_f, in_f), dw).expect("dw shape");
            linalg::gemm(1.0, gv.t(), xv, 0.0, &mut dwv);
        }
        if let Some(b) = &mut self.bias {
            bias_grad(gv, b.grad_slice_mut());
        }
        if need_input_grad {
            let w = ArrayView2::from_shape((out_f, in_f), self.weight.value_slice())
                .expect("weight shape");
            let gin = self.grad_input.reshape(&[n, in_f]);
            let mut giv = ArrayViewMut2::from_shape((n, in_f), gin).expect("gin shape");
            linalg::gemm(1.0, gv, w, 0.0, &mut giv);
        }
        Ok(())
    }
}

impl Layer for Linear {
    fn kind(&self) -> &str {
        "Linear"
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let expected = if self.lazy {
            usize::MAX
        } else {
            self.in_features()
        };
        if input.len() != 2 || (!self.lazy && input[1] != expected) {
            return Err(Error::ShapeMismatch {
                what: "linear input [n, in_features]",
                expected: vec![usize::MAX, expected],
                got: input.to_vec(),
            });
        }
        Ok(vec![input[0], self.out_features()])
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
        self.output_shape(input)?;
        if input[1] == 0 {
            return Err(Error::ShapeMismatch {
                what: "linear input [n, in_features] (at least one feature)",
                expected: vec![usize::MAX, usize::MAX],
                got: input.to_vec(),
            });
        }
        self.init(input[1], seed);
        Ok(())
    }

    fn is_materialized(&self) -> bool {
        !self.lazy
    }

    fn fresh(&self) -> Box<dyn Layer> {
        let mut l = Linear::from_parts(self.weight.clone(), self.bias.clone());
        l.lazy = self.lazy;
        l.has_bias = self.has_bias;
        Box::new(l)
    }
}

/// A fully connected layer's weights for one batch: what one chunk of rows
/// needs (see [`crate::nn::pipeline`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinearKernel<'a> {
    w: &'a [f32],
    bias: Option<&'a [f32]>,
    in_f: usize,
    out_f: usize,
}

/// Rows per task of [`LinearKernel::forward_batch`] and
/// [`LinearKernel::input_grad_batch`]: each task reads all the weights
/// once, so a batch of 64 reads them twice, on two threads.
const BATCH_ROWS: usize = 32;

impl LinearKernel<'_> {
    /// The number of weights (`in_features · out_features`).
    pub(crate) fn weights(&self) -> usize {
        self.w.len()
    }

    /// [`Self::forward_chunk`] for a whole batch, in blocks of
    /// [`BATCH_ROWS`] rows in parallel (fixed blocks: the same bits on any
    /// thread count).
    pub(crate) fn forward_batch(&self, x: &[f32], out: &mut [f32]) {
        self.in_row_blocks((self.in_f, self.out_f), x, out, |x, o| {
            self.forward_chunk(x, o)
        });
    }

    /// [`Self::input_grad_chunk`] for a whole batch, in blocks of
    /// [`BATCH_ROWS`] rows in parallel (fixed blocks: the same bits on any
    /// thread count).
    pub(crate) fn input_grad_batch(&self, g: &[f32], gin: &mut [f32]) {
        self.in_row_blocks((self.out_f, self.in_f), g, gin, |g, gi| {
            self.input_grad_chunk(g, gi)
        });
    }

    /// `f(src block, dst block)` on blocks of [`BATCH_ROWS`] rows of `src`
    /// (rows of `src_len`) and `dst` (rows of `dst_len`), in parallel. The
    /// row count comes from `dst` (`src` is empty when its rows are).
    fn in_row_blocks(
        &self,
        (src_len, dst_len): (usize, usize),
        src: &[f32],
        dst: &mut [f32],
        f: impl Fn(&[f32], &mut [f32]) + Sync,
    ) {
        let rows = BATCH_ROWS * dst_len.max(1);
        let srcs: Vec<&[f32]> = pieces(src, BATCH_ROWS * src_len)
            .take(dst.len().div_ceil(rows))
            .collect();
        dst.par_chunks_mut(rows)
            .zip(srcs)
            .for_each(|(d, s)| f(s, d));
    }

    /// `out = x·Wᵀ + b` for the rows of `x`, on this thread.
    pub(crate) fn forward_chunk(&self, x: &[f32], out: &mut [f32]) {
        // Rows from the output: with no input features `x` is empty.
        let n = out.len() / self.out_f.max(1);
        if n == 0 || self.out_f == 0 {
            return;
        }
        match self.bias {
            Some(b) => out
                .chunks_mut(self.out_f)
                .for_each(|r| r.copy_from_slice(b)),
            None => out.fill(0.0),
        }
        let (in_f, out_f) = (self.in_f, self.out_f);
        gemm::nt(isa(), (n, out_f, in_f), x, in_f, self.w, in_f, out);
    }

    /// `gin = g·W` for the rows of the output gradient `g`, on this thread.
    pub(crate) fn input_grad_chunk(&self, g: &[f32], gin: &mut [f32]) {
        let n = g.len() / self.out_f.max(1);
        if n == 0 || self.in_f == 0 {
            return;
        }
        let (in_f, out_f) = (self.in_f, self.out_f);
        gemm::nn(isa(), (n, in_f, out_f), g, self.w, in_f, gin, in_f);
    }
}

impl Linear {
    /// Validates the input shape of a batch and sizes the output and (if
    /// `need_input_grad`) the input-gradient buffer. Returns the output shape.
    pub(crate) fn plan(&mut self, in_shape: &[usize], need_input_grad: bool) -> Result<Vec<usize>> {
        self.check_input(in_shape)?;
        let out_shape = vec![in_shape[0], self.out_features()];
        self.output.reshape(&out_shape);
        if need_input_grad {
            self.grad_input.reshape(in_shape);
        }
        self.cached = false;
        Ok(out_shape)
    }

    /// The kernel with the output and input-gradient buffers.
    pub(crate) fn split(&mut self) -> (LinearKernel<'_>, &mut [f32], &mut [f32]) {
        let k = LinearKernel {
            w: self.weight.value_slice(),
            bias: self.bias.as_ref().map(|b| b.value_slice()),
            in_f: self.in_features(),
            out_f: self.out_features(),
        };
        (
            k,
            self.output.as_mut_slice(),
            self.grad_input.as_mut_slice(),
        )
    }

    /// The weight and bias gradients with the output and input-gradient
    /// buffers.
    pub(crate) fn grad_parts(&mut self) -> (LinearSink<'_>, &[f32], &[f32]) {
        let sink = LinearSink {
            row0: 0,
            in_f: self.in_features(),
            out_f: self.out_features(),
            dw: self.weight.grad_slice_mut(),
            db: self.bias.as_mut().map(|b| b.grad_slice_mut()),
        };
        (sink, self.output.as_slice(), self.grad_input.as_slice())
    }

    fn check_input(&self, s: &[usize]) -> Result<()> {
        if self.lazy {
            return Err(lazy_error("a lazy Linear"));
        }
        if s.len() != 2 || s[1] != self.in_features() {
            return Err(Error::ShapeMismatch {
                what: "linear input [n, in_features]",
                expected: vec![usize::MAX, self.in_features()],
                got: s.to_vec(),
            });
        }
        Ok(())
    }
}

/// Rows `row0..` of a fully connected layer's weight gradient and the
/// matching bias gradient entries, computed over a whole batch.
#[derive(Debug)]
pub(crate) struct LinearSink<'a> {
    row0: usize,
    in_f: usize,
    out_f: usize,
    dw: &'a mut [f32],
    db: Option<&'a mut [f32]>,
}

impl<'a> LinearSink<'a> {
    /// The same gradients cut into pieces of at most `rows` output rows
    /// (independent work: each element's sum is the same either way).
    pub(crate) fn split(self, rows: usize) -> Vec<LinearSink<'a>> {
        let (in_f, out_f, row0) = (self.in_f, self.out_f, self.row0);
        let rows = rows.max(1);
        if self.dw.is_empty() {
            // No weights (no input features): the bias gradient alone.
            return vec![self];
        }
        let mut db = self.db.map(|d| d.chunks_mut(rows));
        self.dw
            .chunks_mut((rows * in_f).max(1))
            .enumerate()
            .map(|(i, dw)| LinearSink {
                row0: row0 + i * rows,
                in_f,
                out_f,
                dw,
                db: db.as_mut().and_then(|d| d.next()),
            })
            .collect()
    }

    /// `dW = gᵀ·x` and `db = Σ g` (rows in order) for the batch's inputs
    /// `x` `[n, in]` and output gradients `g` `[n, out]`.
    pub(crate) fn compute(self, x: &[f32], g: &[f32]) {
        let n = g.len() / self.out_f.max(1);
        let rows = match (self.in_f, &self.db) {
            (0, Some(db)) => db.len(),
            _ => self.dw.len() / self.in_f.max(1),
        };
        let r = self.row0..self.row0 + rows;
        let gv = ArrayView2::from_shape((n, self.out_f), g).expect("grad shape");
        let gv = gv.slice(ndarray::s![.., r]);
        if self.in_f > 0 {
            // gᵀ of these rows, contiguous (the kernel's left operand).
            let gt: Vec<f32> = gv.t().iter().copied().collect();
            let in_f = self.in_f;
            gemm::nn(isa(), (rows, in_f, n), &gt, x, in_f, self.dw, in_f);
        }
        if let Some(db) = self.db {
            bias_grad(gv, db);
        }
    }
}

/// `db` ← the column sums of the output gradient `g` `[n, out]`, rows in
/// order.
fn bias_grad(g: ArrayView2<'_, f32>, db: &mut [f32]) {
    db.fill(0.0);
    for row in g.rows() {
        for (d, v) in db.iter_mut().zip(row) {
            *d += v;
        }
    }
}

/// Flattens every dimension after the first (PyTorch's `nn.Flatten()`).
///
/// # Shapes
/// - input: `[n, d1, d2, …]`
/// - output: `[n, d1·d2·…]`
///
/// # Example
/// ```
/// use oxilearn::nn::{Flatten, Layer, Mode};
/// use oxilearn::ndarray::Array4;
/// let mut f = Flatten::new();
/// let y = f.forward(Array4::<f32>::zeros((2, 16, 5, 5)).view().into_dyn(), Mode::Eval)?;
/// assert_eq!(y.shape(), &[2, 400]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Flatten {
    pub(super) output: Buf,
    pub(super) grad_input: Buf,
    in_shape: Vec<usize>,
    cached: bool,
}

impl Flatten {
    /// A flattening layer.
    pub fn new() -> Self {
        Self::default()
    }

    fn forward_impl(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<ArrayViewD<'_, f32>> {
        self.plan(x.shape(), false)?;
        let x = x.as_standard_layout();
        self.output
            .as_mut_slice()
            .copy_from_slice(x.as_slice().expect("standard layout"));
        self.cached = mode == Mode::Train;
        Ok(self.output.view())
    }

    /// Sizes the output and (if `need_input_grad`) the input-gradient
    /// buffer for a batch of `in_shape`. Returns the output shape.
    pub(crate) fn plan(&mut self, in_shape: &[usize], need_input_grad: bool) -> Result<Vec<usize>> {
        if in_shape.is_empty() {
            return Err(Error::ShapeMismatch {
                what: "flatten input [n, …]",
                expected: vec![usize::MAX],
                got: vec![],
            });
        }
        let out_shape = vec![in_shape[0], in_shape[1..].iter().product()];
        self.output.reshape(&out_shape);
        if need_input_grad {
            self.grad_input.reshape(in_shape);
        }
        self.in_shape = in_shape.to_vec();
        self.cached = false;
        Ok(out_shape)
    }

    /// The output and input-gradient buffers.
    pub(crate) fn split(&mut self) -> (&mut [f32], &mut [f32]) {
        (self.output.as_mut_slice(), self.grad_input.as_mut_slice())
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
        if need_input_grad {
            let g = grad_output.as_standard_layout();
            self.grad_input
                .set(&self.in_shape, g.as_slice().expect("standard layout"));
        }
        Ok(())
    }
}

impl Layer for Flatten {
    fn kind(&self) -> &str {
        "Flatten"
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        if input.is_empty() {
            return Err(Error::ShapeMismatch {
                what: "flatten input [n, …]",
                expected: vec![usize::MAX],
                got: vec![],
            });
        }
        Ok(vec![input[0], input[1..].iter().product()])
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

    fn fresh(&self) -> Box<dyn Layer> {
        Box::new(Flatten::new())
    }
}
