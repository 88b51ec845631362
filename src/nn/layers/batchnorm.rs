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
//! Sums run over fixed chunks of images whose partial sums are added in
//! chunk order, so the bits are the same on any thread count. Within a plane,
//! blocks of 1024 values are summed in 16 `f32` lanes (at most 64 values
//! each) and the blocks' totals in `f64`; the input gradient is
//! `k·g + (b·(x − μ) + c0)` in `f32` with per-channel coefficients computed
//! in `f64`. The loops are compiled for AVX-512F or AVX2 where the CPU has
//! them, with the same bits as the baseline code.

use ndarray::{ArrayD, ArrayViewD, IxDyn};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{
    Buffer, Isa, Layer, Mode, Param, check_grad_shape, chunking, isa, lazy_error, no_forward_error,
    vectorized_on,
};
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
            let (mean, var) = channel_stats(isa(), xs, n, c, s);
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
        affine(isa(), xs, out, s, &a, &b);
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
        let mean32: Vec<f32> = mean.iter().map(|&v| v as f32).collect();
        let (sum_g, sum_gx) = grad_sums(isa(), gs, xs, n, c, s, &mean32);
        let sum_gx: Vec<f64> = sum_gx.iter().zip(invstd).map(|(v, i)| v * i).collect();
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
        let m = (n * s) as f64;
        // dx = k·g + b·(x − μ) + c0 per channel, the f64 coefficients
        // rounded to f32 once: k = γ/√(σ² + ε), b = −k·Σg·x̂/(m·√(σ² + ε)),
        // c0 = −k·Σg/m (b = c0 = 0 with running statistics).
        let coef: Vec<[f32; 4]> = (0..c)
            .map(|ch| {
                let k = self.gamma_beta(ch).0 * invstd[ch];
                if self.batch_stats {
                    let b = -k * invstd[ch] * sum_gx[ch] / m;
                    let c0 = -k * sum_g[ch] / m;
                    [k as f32, b as f32, mean32[ch], c0 as f32]
                } else {
                    [k as f32, 0.0, 0.0, 0.0]
                }
            })
            .collect();
        let gin = self.grad_input.reshape(&shape);
        input_grad(isa(), gs, xs, gin, s, &coef, self.batch_stats);
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

/// Elements per block of the lane sums: each of the 16 lanes adds at most 64
/// values in `f32` before the block's total moves into the `f64` sum.
const SUM_BLOCK: usize = 1024;

/// The 16 lanes of a block's partial sums, added pairwise in `f64`.
#[inline(always)]
fn lanes_f64(acc: &[f32; 16]) -> f64 {
    let v: [f64; 16] = acc.map(f64::from);
    let q = [v[0] + v[8], v[1] + v[9], v[2] + v[10], v[3] + v[11]];
    let r = [v[4] + v[12], v[5] + v[13], v[6] + v[14], v[7] + v[15]];
    ((q[0] + r[0]) + (q[2] + r[2])) + ((q[1] + r[1]) + (q[3] + r[3]))
}

/// `Σ f(xᵢ)`: in blocks of [`SUM_BLOCK`], element `i` of a block into `f32`
/// lane `i mod 16` (a fixed order, which the compiler turns into vector
/// adds), the blocks' lane totals summed in `f64`.
#[inline(always)]
fn lane_sum(xs: &[f32], f: impl Fn(f32) -> f32) -> f64 {
    let mut tot = 0.0f64;
    for block in xs.chunks(SUM_BLOCK) {
        let mut acc = [0.0f32; 16];
        let (full, rest) = block.as_chunks::<16>();
        for c in full {
            for (a, &v) in acc.iter_mut().zip(c) {
                *a += f(v);
            }
        }
        for (a, &v) in acc.iter_mut().zip(rest) {
            *a += f(v);
        }
        tot += lanes_f64(&acc);
    }
    tot
}

/// `(Σ gᵢ, Σ gᵢ·(xᵢ − mean))`, summed as [`lane_sum`].
#[inline(always)]
fn lane_sum_g_gx(g: &[f32], x: &[f32], mean: f32) -> (f64, f64) {
    let (mut tg, mut tgx) = (0.0f64, 0.0f64);
    for (gb, xb) in g.chunks(SUM_BLOCK).zip(x.chunks(SUM_BLOCK)) {
        let (mut sg, mut sgx) = ([0.0f32; 16], [0.0f32; 16]);
        let ((gf, gr), (xf, xr)) = (gb.as_chunks::<16>(), xb.as_chunks::<16>());
        for (gc, xc) in gf.iter().zip(xf) {
            for k in 0..16 {
                sg[k] += gc[k];
                sgx[k] += gc[k] * (xc[k] - mean);
            }
        }
        for (k, (&gv, &xv)) in gr.iter().zip(xr).enumerate() {
            sg[k] += gv;
            sgx[k] += gv * (xv - mean);
        }
        tg += lanes_f64(&sg);
        tgx += lanes_f64(&sgx);
    }
    (tg, tgx)
}

/// Per-channel mean and biased variance of `x` `[n, c, s]` (two passes,
/// fixed chunks of images summed in order).
fn channel_stats(isa: Isa, x: &[f32], n: usize, c: usize, s: usize) -> (Vec<f64>, Vec<f64>) {
    let m = (n * s) as f64;
    let mean: Vec<f64> = channel_sums(
        isa,
        x,
        n,
        c,
        s,
        #[inline(always)]
        |_, xp| lane_sum(xp, |v| v),
    )
    .into_iter()
    .map(|v| v / m)
    .collect();
    let mean32: Vec<f32> = mean.iter().map(|&v| v as f32).collect();
    let var: Vec<f64> = channel_sums(
        isa,
        x,
        n,
        c,
        s,
        #[inline(always)]
        |ch, xp| {
            let mu = mean32[ch];
            lane_sum(xp, |v| (v - mu) * (v - mu))
        },
    )
    .into_iter()
    .map(|v| v / m)
    .collect();
    (mean, var)
}

/// `Σ f(channel, plane)` per channel of `x` `[n, c, s]`, summed as
/// [`image_sums`].
fn channel_sums(
    isa: Isa,
    x: &[f32],
    n: usize,
    c: usize,
    s: usize,
    f: impl Fn(usize, &[f32]) -> f64 + Sync,
) -> Vec<f64> {
    let img = c * s;
    if img == 0 {
        return vec![0.0; c];
    }
    image_sums(
        isa,
        n,
        c,
        #[inline(always)]
        |i, acc| {
            for (ch, xp) in x[i * img..][..img].chunks(s).enumerate() {
                acc[ch] += f(ch, xp);
            }
        },
    )
}

/// `(Σg, Σg·(x − mean))` per channel of the output gradients `g` and inputs
/// `x` `[n, c, s]`, summed as [`image_sums`].
fn grad_sums(
    isa: Isa,
    g: &[f32],
    x: &[f32],
    n: usize,
    c: usize,
    s: usize,
    mean: &[f32],
) -> (Vec<f64>, Vec<f64>) {
    let img = c * s;
    if img == 0 {
        return (vec![0.0; c], vec![0.0; c]);
    }
    let mut sum_g = image_sums(
        isa,
        n,
        2 * c,
        #[inline(always)]
        |i, acc| {
            let (gi, xi) = (&g[i * img..][..img], &x[i * img..][..img]);
            for (ch, (gp, xp)) in gi.chunks(s).zip(xi.chunks(s)).enumerate() {
                let (sg, sgx) = lane_sum_g_gx(gp, xp, mean[ch]);
                acc[ch] += sg;
                acc[c + ch] += sgx;
            }
        },
    );
    let sum_gx = sum_g.split_off(c);
    (sum_g, sum_gx)
}

/// `width` sums over the images `0..n`: `add(i, acc)` adds image `i`'s terms
/// to `acc`, compiled for `isa` (so `add` must be `#[inline(always)]`).
/// Fixed chunks of images run in parallel and their sums are added in chunk
/// order, so the bits are the same on any thread count.
fn image_sums(
    isa: Isa,
    n: usize,
    width: usize,
    add: impl Fn(usize, &mut [f64]) + Sync,
) -> Vec<f64> {
    let (len, n_chunks) = chunking(n, STAT_CHUNK);
    let parts: Vec<Vec<f64>> = (0..n_chunks)
        .into_par_iter()
        .map(|k| {
            let mut acc = vec![0.0f64; width];
            vectorized_on(
                isa,
                #[inline(always)]
                || {
                    for i in k * len..((k + 1) * len).min(n) {
                        add(i, &mut acc);
                    }
                },
            );
            acc
        })
        .collect();
    let mut tot = vec![0.0f64; width];
    for p in &parts {
        for (t, v) in tot.iter_mut().zip(p) {
            *t += v;
        }
    }
    tot
}

/// `out = x·a + b` per channel of `x` `[n, c, s]` (`f32`), images in
/// parallel.
fn affine(isa: Isa, x: &[f32], out: &mut [f32], s: usize, a: &[f32], b: &[f32]) {
    let img = a.len() * s;
    if img == 0 {
        return;
    }
    out.par_chunks_mut(img)
        .zip(x.par_chunks(img))
        .for_each(|(o, xi)| {
            vectorized_on(
                isa,
                #[inline(always)]
                || {
                    for ((op, xp), (&a, &b)) in
                        o.chunks_mut(s).zip(xi.chunks(s)).zip(a.iter().zip(b))
                    {
                        for (o, &v) in op.iter_mut().zip(xp) {
                            *o = v * a + b;
                        }
                    }
                },
            )
        });
}

/// The input gradient `gin` from the output gradients `g` and inputs `x`
/// `[n, c, s]`: per channel with coefficients `[k, b, μ, c0]`,
/// `k·g + (b·(x − μ) + c0)` with `batch` statistics, else `k·g`. `f32`,
/// images in parallel.
fn input_grad(
    isa: Isa,
    g: &[f32],
    x: &[f32],
    gin: &mut [f32],
    s: usize,
    coef: &[[f32; 4]],
    batch: bool,
) {
    let img = coef.len() * s;
    if img == 0 {
        return;
    }
    gin.par_chunks_mut(img)
        .zip(g.par_chunks(img).zip(x.par_chunks(img)))
        .for_each(|(gi, (go, xi))| {
            vectorized_on(
                isa,
                #[inline(always)]
                || {
                    for (((dp, gp), xp), &[k, b, mu, c0]) in gi
                        .chunks_mut(s)
                        .zip(go.chunks(s))
                        .zip(xi.chunks(s))
                        .zip(coef)
                    {
                        if batch {
                            for ((d, &g), &x) in dp.iter_mut().zip(gp).zip(xp) {
                                *d = k * g + (b * (x - mu) + c0);
                            }
                        } else {
                            for (d, &g) in dp.iter_mut().zip(gp) {
                                *d = k * g;
                            }
                        }
                    }
                },
            )
        });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::layers::conv::isas;
    use crate::nn::layers::test_data;

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// The statistics, gradient sums, affine map and input gradient give the
    /// same bits on every instruction set, and the lane sums agree with
    /// plain `f64` sums.
    #[test]
    fn instruction_sets_agree_bit_for_bit() {
        // Planes of 1 value (BatchNorm1d), fewer than 16, a remainder, and
        // more than one block of `SUM_BLOCK`.
        for (n, c, s) in [
            (7, 3, 1),
            (3, 2, 13),
            (5, 3, 37),
            (2, 2, 2 * SUM_BLOCK + 21),
        ] {
            let len = n * c * s;
            // An offset mean, as a pre-activation has.
            let x: Vec<f32> = test_data(len, 1).iter().map(|v| 3.0 * v + 0.75).collect();
            let g = test_data(len, 2);
            let a: Vec<f32> = test_data(c, 3);
            let b: Vec<f32> = test_data(c, 4);
            let run = |isa: Isa| {
                let (mean, var) = channel_stats(isa, &x, n, c, s);
                let mean32: Vec<f32> = mean.iter().map(|&v| v as f32).collect();
                let (sg, sgx) = grad_sums(isa, &g, &x, n, c, s, &mean32);
                let mut out = vec![0.0f32; len];
                affine(isa, &x, &mut out, s, &a, &b);
                let coef: Vec<[f32; 4]> = (0..c)
                    .map(|ch| [a[ch], b[ch], mean32[ch], 0.25 * a[ch]])
                    .collect();
                let mut gin = vec![0.0f32; len];
                input_grad(isa, &g, &x, &mut gin, s, &coef, true);
                let mut gin_eval = vec![0.0f32; len];
                input_grad(isa, &g, &x, &mut gin_eval, s, &coef, false);
                (mean, var, sg, sgx, bits(&out), bits(&gin), bits(&gin_eval))
            };
            let plain = run(Isa::Plain);
            for isa in isas() {
                assert_eq!(run(isa), plain, "{isa:?}, shape {:?}", (n, c, s));
            }
            // Against straightforward f64 sums.
            let (mean, var, sg, sgx, ..) = plain;
            for ch in 0..c {
                let plane = |v: &[f32]| -> Vec<f64> {
                    (0..n)
                        .flat_map(|i| v[(i * c + ch) * s..][..s].iter().map(|&e| f64::from(e)))
                        .collect()
                };
                let (xs, gs) = (plane(&x), plane(&g));
                let m = xs.len() as f64;
                let mu = xs.iter().sum::<f64>() / m;
                let v = xs.iter().map(|e| (e - mu) * (e - mu)).sum::<f64>() / m;
                let mu32 = f64::from(mu as f32);
                let sum_g: f64 = gs.iter().sum();
                let sum_gx: f64 = gs.iter().zip(&xs).map(|(g, x)| g * (x - mu32)).sum();
                let scale = gs.iter().map(|g| g.abs()).sum::<f64>();
                assert!(
                    (mean[ch] - mu).abs() <= 1e-6 * (mu.abs() + 1.0),
                    "{}",
                    mean[ch] - mu
                );
                assert!((var[ch] - v).abs() <= 1e-6 * v, "{} vs {v}", var[ch]);
                assert!((sg[ch] - sum_g).abs() <= 1e-6 * scale);
                assert!((sgx[ch] - sum_gx).abs() <= 1e-6 * scale * 4.0);
            }
        }
    }
}
