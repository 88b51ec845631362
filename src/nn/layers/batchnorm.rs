//! Batch normalisation: [`BatchNorm1d`] and [`BatchNorm2d`].
//!
//! For every channel `c`, over the `m` values of the channel in the batch
//! (all images, all positions):
//! - training: `μ = Σx/m`, `σ² = Σ(x − μ)²/m` (biased), `x̂ = (x − μ)/√(σ² + ε)`,
//!   `y = γ·x̂ + β`; the running statistics move towards the batch's,
//!   `r ← (1 − momentum)·r + momentum·s` with the *unbiased* variance
//!   `σ²·m/(m − 1)` (with `momentum = None`, a cumulative average:
//!   `momentum = 1/num_batches_tracked`);
//! - evaluation: the same with the running mean and variance.
//!
//! Backward (batch statistics): `dβ = Σg`, `dγ = Σg·x̂`,
//! `dx = γ/(m·√(σ² + ε)) · (m·g − Σg − x̂·Σg·x̂)`; with running statistics
//! `dx = g·γ/√(r_var + ε)`.
//!
//! Sums run in `f64` over fixed chunks of images whose partial sums are
//! added in chunk order: the same bits on any thread count.

use ndarray::{ArrayD, ArrayViewD, IxDyn};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Buffer, Layer, Mode, Param, check_grad_shape, chunking, lazy_error, no_forward_error};
use crate::error::{Error, Result};
use crate::nn::buf::Buf;

/// Images per partial sum of the channel statistics.
const STAT_CHUNK: usize = 4;

/// Hyperparameters of a batch normalisation (PyTorch's defaults).
///
/// # Example
/// ```
/// use oxilearn::nn::BatchNormConfig;
/// let cfg = BatchNormConfig { momentum: Some(0.01), ..Default::default() };
/// assert_eq!(cfg.eps, 1e-5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BatchNormConfig {
    /// Added to the variance before the square root (default 1e-5).
    pub eps: f64,
    /// Weight of the batch statistics in the running ones (default
    /// `Some(0.1)`; `None`: cumulative average).
    pub momentum: Option<f64>,
    /// Learnable scale `weight` (γ) and shift `bias` (β) (default true).
    pub affine: bool,
    /// Keep running statistics for evaluation (default true; without them
    /// evaluation also normalises with the batch's statistics).
    pub track_running_stats: bool,
}

impl Default for BatchNormConfig {
    fn default() -> Self {
        BatchNormConfig {
            eps: 1e-5,
            momentum: Some(0.1),
            affine: true,
            track_running_stats: true,
        }
    }
}

impl BatchNormConfig {
    fn check(&self) -> Result<()> {
        if !(self.eps > 0.0 && self.eps.is_finite()) {
            return Err(Error::invalid(
                "eps",
                format!("must be positive and finite, got {}", self.eps),
            ));
        }
        if let Some(m) = self.momentum
            && !(0.0..=1.0).contains(&m)
        {
            return Err(Error::invalid(
                "momentum",
                format!("must be in [0, 1], got {m}"),
            ));
        }
        Ok(())
    }
}

/// The state both batch normalisations share.
#[derive(Debug, Clone)]
struct BnCore {
    /// 2 for `BatchNorm1d` (`[n, c]` or `[n, c, l]`), 4 for `BatchNorm2d`.
    rank: usize,
    config: BatchNormConfig,
    num_features: usize,
    lazy: bool,
    weight: Option<Param>,
    bias: Option<Param>,
    running_mean: Option<Buffer>,
    running_var: Option<Buffer>,
    num_batches_tracked: Option<Buffer>,
    output: Buf,
    grad_input: Buf,
    /// The input of the last training pass.
    input: Buf,
    /// Per channel: the mean and `1/√(var + ε)` the last training pass used.
    mean: Vec<f64>,
    invstd: Vec<f64>,
    /// Whether the last training pass used batch statistics.
    batch_stats: bool,
    /// The last training pass did not copy its input: it is the preceding
    /// convolution's output, which the network hands to the backward pass
    /// ([`conv_bn_train_forward`](super::conv_bn_train_forward)).
    borrowed: bool,
    cached: bool,
}

impl BnCore {
    fn new(rank: usize, num_features: usize, config: BatchNormConfig) -> Result<Self> {
        config.check()?;
        let mut core = BnCore {
            rank,
            config,
            num_features,
            lazy: num_features == 0,
            weight: None,
            bias: None,
            running_mean: None,
            running_var: None,
            num_batches_tracked: None,
            output: Buf::default(),
            grad_input: Buf::default(),
            input: Buf::default(),
            mean: Vec::new(),
            invstd: Vec::new(),
            batch_stats: false,
            borrowed: false,
            cached: false,
        };
        if num_features > 0 {
            core.init(num_features);
        }
        Ok(core)
    }

    /// PyTorch's initial state: γ = 1, β = 0, running mean 0, variance 1.
    fn init(&mut self, c: usize) {
        let full = |v: f32| ArrayD::from_elem(IxDyn(&[c]), v);
        self.num_features = c;
        self.lazy = false;
        if self.config.affine {
            self.weight = Some(Param::new(full(1.0)));
            self.bias = Some(Param::new(full(0.0)));
        }
        if self.config.track_running_stats {
            self.running_mean = Some(Buffer::new(full(0.0)));
            self.running_var = Some(Buffer::new(full(1.0)));
            self.num_batches_tracked = Some(Buffer::integer(ArrayD::zeros(IxDyn(&[]))));
        }
    }

    fn fresh(&self) -> BnCore {
        BnCore {
            output: Buf::default(),
            grad_input: Buf::default(),
            input: Buf::default(),
            mean: Vec::new(),
            invstd: Vec::new(),
            borrowed: false,
            cached: false,
            ..self.clone()
        }
    }

    fn what(&self) -> &'static str {
        if self.rank == 4 {
            "batchnorm2d input [n, c, h, w]"
        } else {
            "batchnorm1d input [n, c] or [n, c, l]"
        }
    }

    /// Checks the input shape; returns `(n, c, s)` (`s` positions per channel).
    fn dims(&self, shape: &[usize]) -> Result<(usize, usize, usize)> {
        let ok_rank = if self.rank == 4 {
            shape.len() == 4
        } else {
            shape.len() == 2 || shape.len() == 3
        };
        let c = if self.lazy {
            shape.get(1).copied().filter(|&c| c > 0)
        } else {
            Some(self.num_features)
        };
        if !ok_rank || c != Some(shape[1]) {
            let mut expected = vec![usize::MAX; if self.rank == 4 { 4 } else { 2 }];
            expected[1] = c.unwrap_or(usize::MAX);
            return Err(Error::ShapeMismatch {
                what: self.what(),
                expected,
                got: shape.to_vec(),
            });
        }
        Ok((shape[0], shape[1], shape[2..].iter().product()))
    }

    /// The forward pass; a training pass keeps a copy of `x` for the
    /// backward pass unless `borrow` (the caller then hands `x` to
    /// [`backward`](Self::backward) itself).
    fn forward(
        &mut self,
        x: ArrayViewD<'_, f32>,
        mode: Mode,
        borrow: bool,
    ) -> Result<ArrayViewD<'_, f32>> {
        if self.lazy {
            return Err(lazy_error(if self.rank == 4 {
                "a lazy BatchNorm2d"
            } else {
                "a lazy BatchNorm1d"
            }));
        }
        let (n, c, s) = self.dims(x.shape())?;
        let use_batch = mode == Mode::Train || !self.config.track_running_stats;
        if use_batch && n * s <= 1 && mode == Mode::Train {
            return Err(Error::invalid(
                "x",
                format!(
                    "batch norm in training mode needs more than 1 value per channel, got input \
                     of shape {:?}",
                    x.shape()
                ),
            ));
        }
        let x = x.as_standard_layout();
        let xs = x.as_slice().expect("standard layout");
        let eps = self.config.eps;
        if use_batch {
            let (mean, var) = channel_stats(xs, n, c, s);
            self.invstd = var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect();
            if mode == Mode::Train && self.config.track_running_stats {
                self.update_running(&mean, &var, n * s);
            }
            self.mean = mean;
        } else {
            let rm = self.running_mean.as_ref().expect("tracked statistics");
            let rv = self.running_var.as_ref().expect("tracked statistics");
            self.mean = rm.slice().iter().map(|&v| f64::from(v)).collect();
            self.invstd = rv
                .slice()
                .iter()
                .map(|&v| 1.0 / (f64::from(v) + eps).sqrt())
                .collect();
        }
        // y = x·a + b per channel.
        let (a, b): (Vec<f32>, Vec<f32>) = (0..c)
            .map(|ch| {
                let (g, be) = self.gamma_beta(ch);
                let a = g * self.invstd[ch];
                ((a) as f32, (be - self.mean[ch] * a) as f32)
            })
            .unzip();
        let out = self.output.reshape(x.shape());
        let img = c * s;
        if img > 0 {
            out.par_chunks_mut(img)
                .zip(xs.par_chunks(img))
                .for_each(|(o, xi)| {
                    for ((op, xp), (a, b)) in
                        o.chunks_mut(s).zip(xi.chunks(s)).zip(a.iter().zip(&b))
                    {
                        for (o, &v) in op.iter_mut().zip(xp) {
                            *o = v * a + b;
                        }
                    }
                });
        }
        if mode == Mode::Train {
            if borrow {
                self.input.reshape(&[0]);
            } else {
                self.input.set(x.shape(), xs);
            }
            self.batch_stats = use_batch;
        }
        self.borrowed = mode == Mode::Train && borrow;
        self.cached = mode == Mode::Train;
        Ok(self.output.view())
    }

    /// The per-channel map `y = x·a + b` of an evaluation pass with the
    /// running statistics, `(a, b)` in `f64` (`a = γ/√(running_var + ε)`,
    /// `b = β − running_mean·a`); `None` when evaluation uses batch
    /// statistics (no running statistics tracked) or the layer is lazy.
    fn eval_affine(&self) -> Option<(Vec<f64>, Vec<f64>)> {
        if self.lazy {
            return None;
        }
        let (rm, rv) = (self.running_mean.as_ref()?, self.running_var.as_ref()?);
        let eps = self.config.eps;
        let (a, b) = rm
            .slice()
            .iter()
            .zip(rv.slice())
            .enumerate()
            .map(|(ch, (&m, &v))| {
                let (g, be) = self.gamma_beta(ch);
                // As `forward`: γ times the inverse standard deviation.
                let a = g * (1.0 / (f64::from(v) + eps).sqrt());
                (a, be - f64::from(m) * a)
            })
            .unzip();
        Some((a, b))
    }

    /// Channel `ch`'s scale γ and shift β (1 and 0 without affine
    /// parameters).
    fn gamma_beta(&self, ch: usize) -> (f64, f64) {
        let g = self
            .weight
            .as_ref()
            .map_or(1.0, |w| f64::from(w.value_slice()[ch]));
        let be = self
            .bias
            .as_ref()
            .map_or(0.0, |b| f64::from(b.value_slice()[ch]));
        (g, be)
    }

    fn update_running(&mut self, mean: &[f64], var: &[f64], m: usize) {
        let nbt = self
            .num_batches_tracked
            .as_mut()
            .expect("tracked statistics");
        let count = nbt.slice()[0] + 1.0;
        nbt.slice_mut()[0] = count;
        let momentum = self.config.momentum.unwrap_or(1.0 / f64::from(count));
        let unbias = m as f64 / (m as f64 - 1.0);
        let rm = self.running_mean.as_mut().expect("tracked statistics");
        for (r, &v) in rm.slice_mut().iter_mut().zip(mean) {
            *r = ((1.0 - momentum) * f64::from(*r) + momentum * v) as f32;
        }
        let rv = self.running_var.as_mut().expect("tracked statistics");
        for (r, &v) in rv.slice_mut().iter_mut().zip(var) {
            *r = ((1.0 - momentum) * f64::from(*r) + momentum * v * unbias) as f32;
        }
    }

    /// The backward pass; `x` is the input of the forward pass when that
    /// pass borrowed it, `None` for the cached copy.
    fn backward(
        &mut self,
        grad_output: ArrayViewD<'_, f32>,
        x: Option<&[f32]>,
        need_input_grad: bool,
    ) -> Result<()> {
        if !self.cached {
            return Err(no_forward_error());
        }
        check_grad_shape(grad_output.shape(), self.output.shape())?;
        let shape = self.output.shape().to_vec();
        let (n, c, s) = self.dims(&shape)?;
        let g = grad_output.as_standard_layout();
        let gs = g.as_slice().expect("standard layout");
        let xs = match x {
            Some(x) => x,
            None if self.borrowed => {
                return Err(Error::invalid(
                    "mode",
                    "this batch norm's training pass read its input from the preceding \
                     Conv2d's output without a copy: run backward through the network",
                ));
            }
            None => self.input.as_slice(),
        };
        debug_assert_eq!(xs.len(), gs.len());
        let (mean, invstd) = (&self.mean, &self.invstd);
        // Σg and Σg·x̂ per channel.
        let (sum_g, sum_gx) = {
            let img = c * s;
            let (len, _) = chunking(n, STAT_CHUNK);
            let parts: Vec<Vec<f64>> = if img == 0 {
                Vec::new()
            } else {
                gs.par_chunks(len * img)
                    .zip(xs.par_chunks(len * img))
                    .map(|(gc, xc)| {
                        let mut acc = vec![0.0f64; 2 * c];
                        for (gi, xi) in gc.chunks(img).zip(xc.chunks(img)) {
                            for (ch, (gp, xp)) in gi.chunks(s).zip(xi.chunks(s)).enumerate() {
                                let (sg, sgx) = sum_g_gx(gp, xp, mean[ch]);
                                acc[ch] += sg;
                                acc[c + ch] += sgx * invstd[ch];
                            }
                        }
                        acc
                    })
                    .collect()
            };
            let mut tot = vec![0.0f64; 2 * c];
            for p in &parts {
                for (t, v) in tot.iter_mut().zip(p) {
                    *t += v;
                }
            }
            let sum_gx = tot.split_off(c);
            (tot, sum_gx)
        };
        if let Some(w) = &mut self.weight {
            for (d, v) in w.grad_slice_mut().iter_mut().zip(&sum_gx) {
                *d = *v as f32;
            }
        }
        if let Some(b) = &mut self.bias {
            for (d, v) in b.grad_slice_mut().iter_mut().zip(&sum_g) {
                *d = *v as f32;
            }
        }
        if !need_input_grad {
            return Ok(());
        }
        let gamma: Vec<f64> = (0..c).map(|ch| self.gamma_beta(ch).0).collect();
        let m = (n * s) as f64;
        let batch = self.batch_stats;
        let gin = self.grad_input.reshape(&shape);
        let img = c * s;
        if img > 0 {
            gin.par_chunks_mut(img)
                .zip(gs.par_chunks(img).zip(xs.par_chunks(img)))
                .for_each(|(gi, (go, xi))| {
                    for (ch, ((dp, gp), xp)) in gi
                        .chunks_mut(s)
                        .zip(go.chunks(s))
                        .zip(xi.chunks(s))
                        .enumerate()
                    {
                        let k = gamma[ch] * invstd[ch];
                        if batch {
                            let (mg, mgx) = (sum_g[ch] / m, sum_gx[ch] / m);
                            for ((d, &g), &x) in dp.iter_mut().zip(gp).zip(xp) {
                                let xhat = (f64::from(x) - mean[ch]) * invstd[ch];
                                *d = (k * (f64::from(g) - mg - xhat * mgx)) as f32;
                            }
                        } else {
                            for (d, &g) in dp.iter_mut().zip(gp) {
                                *d = (k * f64::from(g)) as f32;
                            }
                        }
                    }
                });
        }
        Ok(())
    }

    fn params(&self) -> Vec<(String, &Param)> {
        let mut v = Vec::new();
        if let Some(w) = &self.weight {
            v.push(("weight".to_string(), w));
        }
        if let Some(b) = &self.bias {
            v.push(("bias".to_string(), b));
        }
        v
    }

    fn params_mut(&mut self) -> Vec<(String, &mut Param)> {
        let mut v = Vec::new();
        if let Some(w) = &mut self.weight {
            v.push(("weight".to_string(), w));
        }
        if let Some(b) = &mut self.bias {
            v.push(("bias".to_string(), b));
        }
        v
    }

    fn buffers(&self) -> Vec<(String, &Buffer)> {
        [
            ("running_mean", &self.running_mean),
            ("running_var", &self.running_var),
            ("num_batches_tracked", &self.num_batches_tracked),
        ]
        .into_iter()
        .filter_map(|(n, b)| b.as_ref().map(|b| (n.to_string(), b)))
        .collect()
    }

    fn buffers_mut(&mut self) -> Vec<(String, &mut Buffer)> {
        [
            ("running_mean", &mut self.running_mean),
            ("running_var", &mut self.running_var),
            ("num_batches_tracked", &mut self.num_batches_tracked),
        ]
        .into_iter()
        .filter_map(|(n, b)| b.as_mut().map(|b| (n.to_string(), b)))
        .collect()
    }
}

/// `Σ f(xᵢ)` in f64 with eight independent accumulators, combined in a fixed
/// order (the same result on every run and thread count): the additions no
/// longer wait on one chain, and the loop vectorises.
#[inline]
fn sum8(xs: &[f32], f: impl Fn(f64) -> f64) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = xs.chunks_exact(8);
    let tail: f64 = chunks.remainder().iter().map(|&v| f(f64::from(v))).sum();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += f(f64::from(v));
        }
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail
}

/// `(Σ gᵢ, Σ gᵢ·(xᵢ − mean))` in f64, with four accumulators each as
/// [`sum8`].
#[inline]
fn sum_g_gx(g: &[f32], x: &[f32], mean: f64) -> (f64, f64) {
    let (mut sg, mut sgx) = ([0.0f64; 4], [0.0f64; 4]);
    let n = g.len().min(x.len());
    let (g, x) = (&g[..n], &x[..n]);
    let full = n / 4 * 4;
    for (gc, xc) in g[..full].chunks_exact(4).zip(x[..full].chunks_exact(4)) {
        for k in 0..4 {
            let gv = f64::from(gc[k]);
            sg[k] += gv;
            sgx[k] += gv * (f64::from(xc[k]) - mean);
        }
    }
    let (mut tg, mut tgx) = (0.0f64, 0.0f64);
    for (&gv, &xv) in g[full..].iter().zip(&x[full..]) {
        let gv = f64::from(gv);
        tg += gv;
        tgx += gv * (f64::from(xv) - mean);
    }
    (
        (sg[0] + sg[1]) + (sg[2] + sg[3]) + tg,
        (sgx[0] + sgx[1]) + (sgx[2] + sgx[3]) + tgx,
    )
}

/// Per-channel mean and biased variance of `x` `[n, c, s]` (two passes,
/// `f64`, fixed chunks of images summed in order).
fn channel_stats(x: &[f32], n: usize, c: usize, s: usize) -> (Vec<f64>, Vec<f64>) {
    let img = c * s;
    let m = (n * s) as f64;
    let (len, _) = chunking(n, STAT_CHUNK);
    let reduce = |f: &(dyn Fn(usize, &[f32]) -> f64 + Sync)| -> Vec<f64> {
        let mut tot = vec![0.0f64; c];
        if img == 0 {
            return tot;
        }
        let parts: Vec<Vec<f64>> = x
            .par_chunks(len * img)
            .map(|xc| {
                let mut acc = vec![0.0f64; c];
                for xi in xc.chunks(img) {
                    for (ch, xp) in xi.chunks(s).enumerate() {
                        acc[ch] += f(ch, xp);
                    }
                }
                acc
            })
            .collect();
        for p in &parts {
            for (t, v) in tot.iter_mut().zip(p) {
                *t += v;
            }
        }
        tot
    };
    let mean: Vec<f64> = reduce(&|_, xp| sum8(xp, |v| v))
        .into_iter()
        .map(|v| v / m)
        .collect();
    let var: Vec<f64> = reduce(&|ch, xp| {
        sum8(xp, |v| {
            let d = v - mean[ch];
            d * d
        })
    })
    .into_iter()
    .map(|v| v / m)
    .collect();
    (mean, var)
}

macro_rules! batchnorm_layer {
    ($name:ident, $kind:literal, $rank:literal, $what:literal) => {
        impl $name {
            /// Batch normalisation of `num_features` channels with PyTorch's
            /// defaults (ε = 1e-5, momentum 0.1, affine, running statistics).
            ///
            /// # Errors
            /// [`Error::InvalidParameter`] if `num_features` is 0.
            pub fn new(num_features: usize) -> Result<Self> {
                Self::with_config(num_features, BatchNormConfig::default())
            }

            /// Batch normalisation with explicit hyperparameters.
            ///
            /// # Errors
            /// [`Error::InvalidParameter`] if `num_features` is 0, ε is not
            /// positive or the momentum is outside `[0, 1]`.
            pub fn with_config(num_features: usize, config: BatchNormConfig) -> Result<Self> {
                if num_features == 0 {
                    return Err(Error::invalid("num_features", "must be at least 1, got 0"));
                }
                Ok($name {
                    core: BnCore::new($rank, num_features, config)?,
                })
            }

            /// A lazy batch normalisation: the channel count comes from the
            /// first input (PyTorch's `LazyBatchNorm`).
            ///
            /// # Errors
            /// As [`with_config`](Self::with_config) for the configuration.
            pub fn lazy(config: BatchNormConfig) -> Result<Self> {
                Ok($name {
                    core: BnCore::new($rank, 0, config)?,
                })
            }

            /// The number of channels (0 for a lazy layer before its first input).
            pub fn num_features(&self) -> usize {
                self.core.num_features
            }

            /// The hyperparameters.
            pub fn config(&self) -> BatchNormConfig {
                self.core.config
            }

            /// The scale γ, if affine.
            pub fn weight(&self) -> Option<&Param> {
                self.core.weight.as_ref()
            }

            /// The shift β, if affine.
            pub fn bias(&self) -> Option<&Param> {
                self.core.bias.as_ref()
            }

            /// The running mean, if tracked.
            pub fn running_mean(&self) -> Option<&Buffer> {
                self.core.running_mean.as_ref()
            }

            /// The running (unbiased) variance, if tracked.
            pub fn running_var(&self) -> Option<&Buffer> {
                self.core.running_var.as_ref()
            }

            /// Training batches seen, if tracked.
            pub fn num_batches_tracked(&self) -> Option<u64> {
                self.core
                    .num_batches_tracked
                    .as_ref()
                    .map(|b| b.slice()[0] as u64)
            }
        }

        impl Layer for $name {
            fn kind(&self) -> &str {
                $kind
            }

            fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
                self.core.dims(input)?;
                Ok(input.to_vec())
            }

            fn forward(
                &mut self,
                x: ArrayViewD<'_, f32>,
                mode: Mode,
            ) -> Result<ArrayViewD<'_, f32>> {
                self.core.forward(x, mode, false)
            }

            fn backward(
                &mut self,
                grad_output: ArrayViewD<'_, f32>,
            ) -> Result<ArrayViewD<'_, f32>> {
                self.core.backward(grad_output, None, true)?;
                Ok(self.core.grad_input.view())
            }

            fn backward_params(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<()> {
                self.core.backward(grad_output, None, false)
            }

            fn params(&self) -> Vec<(String, &Param)> {
                self.core.params()
            }

            fn params_mut(&mut self) -> Vec<(String, &mut Param)> {
                self.core.params_mut()
            }

            fn buffers(&self) -> Vec<(String, &Buffer)> {
                self.core.buffers()
            }

            fn buffers_mut(&mut self) -> Vec<(String, &mut Buffer)> {
                self.core.buffers_mut()
            }

            fn materialize(&mut self, input: &[usize], _seed: u64) -> Result<()> {
                if self.core.lazy {
                    let (_, c, _) = self.core.dims(input)?;
                    self.core.init(c);
                }
                Ok(())
            }

            fn is_materialized(&self) -> bool {
                !self.core.lazy
            }

            fn fresh(&self) -> Box<dyn Layer> {
                Box::new($name {
                    core: self.core.fresh(),
                })
            }
        }
    };
}

/// Batch normalisation over the channels of images (PyTorch's
/// `nn.BatchNorm2d`).
/// `state_dict` names: `weight`, `bias`, `running_mean`, `running_var`,
/// `num_batches_tracked`.
///
/// # Shapes
/// - input: `[n, c, h, w]`; output: the same.
///
/// # Errors
/// A training pass on one value per channel (`n·h·w = 1`) is an
/// [`Error::InvalidParameter`], as PyTorch refuses it.
///
/// # Example
/// ```
/// use oxilearn::nn::{BatchNorm2d, Layer, Mode};
/// use oxilearn::ndarray::Array4;
/// let mut bn = BatchNorm2d::new(3)?;
/// let x = Array4::from_shape_fn((4, 3, 2, 2), |(n, c, i, j)| (n + c * i + j) as f32);
/// let y = bn.forward(x.view().into_dyn(), Mode::Train)?;
/// let mean: f32 = y.iter().take(4).sum::<f32>(); // image 0, channel 0
/// assert!(y.shape() == [4, 3, 2, 2] && mean.is_finite());
/// assert_eq!(bn.num_batches_tracked(), Some(1));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct BatchNorm2d {
    core: BnCore,
}

batchnorm_layer!(BatchNorm2d, "BatchNorm2d", 4, "[n, c, h, w]");

/// Batch normalisation over the features of vectors or sequences
/// (PyTorch's `nn.BatchNorm1d`); see [`BatchNorm2d`].
///
/// # Shapes
/// - input: `[n, c]` or `[n, c, l]`; output: the same.
///
/// # Example
/// ```
/// use oxilearn::nn::{BatchNorm1d, Layer, Mode};
/// use oxilearn::ndarray::array;
/// let mut bn = BatchNorm1d::new(2)?;
/// let y = bn.forward(array![[1.0f32, 10.0], [3.0, 30.0]].view().into_dyn(), Mode::Train)?;
/// assert!((y[[0, 0]] + 1.0).abs() < 1e-4 && (y[[1, 1]] - 1.0).abs() < 1e-4);
/// // One value per feature cannot be normalised in training mode.
/// assert!(bn.forward(array![[1.0f32, 2.0]].view().into_dyn(), Mode::Train).is_err());
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct BatchNorm1d {
    core: BnCore,
}

batchnorm_layer!(BatchNorm1d, "BatchNorm1d", 2, "[n, c] or [n, c, l]");

/// The crate-internal fusions of a 2-d batch norm with the preceding
/// convolution (see [`super::is_conv_bn`]).
impl BatchNorm2d {
    /// The evaluation pass as a per-channel map `y = x·a + b`, for
    /// folding into a preceding convolution (see
    /// [`BnCore::eval_affine`]).
    pub(crate) fn eval_affine(&self) -> Option<(Vec<f64>, Vec<f64>)> {
        self.core.eval_affine()
    }

    /// A training forward pass that keeps no copy of `x`: the caller
    /// keeps `x` unchanged and hands it to
    /// [`backward_borrowed`](Self::backward_borrowed).
    pub(crate) fn forward_borrowed(
        &mut self,
        x: ArrayViewD<'_, f32>,
    ) -> Result<ArrayViewD<'_, f32>> {
        self.core.forward(x, Mode::Train, true)
    }

    /// Whether the last forward pass was [`forward_borrowed`](Self::forward_borrowed).
    pub(crate) fn is_borrowed(&self) -> bool {
        self.core.cached && self.core.borrowed
    }

    /// The backward pass after [`forward_borrowed`](Self::forward_borrowed)
    /// of `x`; the input gradient (if `need_input_grad`) is then
    /// [`grad_input`](Self::grad_input).
    pub(crate) fn backward_borrowed(
        &mut self,
        grad_output: ArrayViewD<'_, f32>,
        x: &[f32],
        need_input_grad: bool,
    ) -> Result<()> {
        self.core.backward(grad_output, Some(x), need_input_grad)
    }

    /// The input gradient of the last backward pass.
    pub(crate) fn grad_input(&self) -> ArrayViewD<'_, f32> {
        self.core.grad_input.view()
    }

    /// Marks the last forward pass as folded into the preceding
    /// convolution (the layer's own output is then empty and nothing
    /// is cached).
    pub(crate) fn mark_folded(&mut self) {
        self.core.output.reshape(&[0]);
        self.core.cached = false;
    }
}
