//! Optimizers with PyTorch's update rules: [`Sgd`] and [`Adam`]; gradient
//! clipping ([`clip_grad_norm`]).

use ndarray::ArrayD;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::Sequential;
use super::buf::pieces_mut;
use crate::error::{Error, Result};
use crate::validation::check_non_negative;

/// Updates a network's parameters from the gradients of its last `backward`.
///
/// The optimizer's state (momentum buffers, moments) is kept per parameter
/// in the network's parameter order, so one optimizer belongs to one network.
///
/// # Example
/// ```
/// use oxilearn::nn::{Linear, Optimizer, Sequential, Sgd};
/// let mut net = Sequential::new().push(Linear::new(2, 1, 0)?);
/// let mut opt = Sgd::new(0.1);
/// opt.step(&mut net)?; // zero gradients: nothing moves
/// assert_eq!(opt.learning_rate(), 0.1);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub trait Optimizer {
    /// Applies one update to every parameter of `net`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for invalid hyperparameters;
    /// [`Error::ShapeMismatch`] if `net` is not the network this optimizer
    /// has been stepping.
    fn step(&mut self, net: &mut Sequential) -> Result<()>;
    /// The current learning rate.
    fn learning_rate(&self) -> f64;
    /// Sets the learning rate (for schedules).
    fn set_learning_rate(&mut self, lr: f64);
    /// The momentum a schedule may cycle (SGD's momentum, Adam's β₁);
    /// `None` if the optimizer has none. Default: `None`.
    fn momentum(&self) -> Option<f64> {
        None
    }
    /// Sets that momentum.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if the optimizer has no momentum.
    fn set_momentum(&mut self, momentum: f64) -> Result<()> {
        let _ = momentum;
        Err(Error::invalid("momentum", "this optimizer has no momentum"))
    }
    /// Hyperparameters (learning rate included), step count and
    /// per-parameter tensors, for checkpoints.
    fn state_dict(&self) -> OptimizerState;
    /// Restores [`state_dict`](Self::state_dict).
    ///
    /// # Errors
    /// [`Error::Format`] for the state of another optimizer kind or an
    /// inconsistent state; nothing is changed then.
    fn load_state_dict(&mut self, state: OptimizerState) -> Result<()>;
}

/// An optimizer's state as a checkpoint keeps it: its kind, its
/// hyperparameters and step count (JSON), and its per-parameter tensors
/// (`"momentum_buffer.<i>"`, `"exp_avg.<i>"` … for parameter `i`).
///
/// # Example
/// ```
/// use oxilearn::nn::{Adam, Optimizer};
/// let s = Adam::new(1e-3).state_dict();
/// assert_eq!(s.kind, "Adam");
/// assert!(s.tensors.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizerState {
    /// `"Sgd"` or `"Adam"`.
    pub kind: String,
    /// Hyperparameters and counters.
    pub hyperparameters: serde_json::Value,
    /// Per-parameter tensors.
    pub tensors: Vec<(String, ArrayD<f32>)>,
}

impl OptimizerState {
    /// Checks the kind; returns the tensors named `<prefix>.<i>` in order.
    fn take(&self, kind: &str, prefixes: &[&str]) -> Result<Vec<Vec<ArrayD<f32>>>> {
        if self.kind != kind {
            return Err(Error::format(
                "optimizer state",
                format!("a {}'s state cannot be loaded into a {kind}", self.kind),
            ));
        }
        let mut out = Vec::new();
        for p in prefixes {
            let mut v: Vec<(usize, ArrayD<f32>)> = Vec::new();
            for (name, t) in &self.tensors {
                if let Some(i) = name
                    .strip_prefix(p)
                    .and_then(|r| r.strip_prefix('.'))
                    .and_then(|i| i.parse::<usize>().ok())
                {
                    v.push((i, t.clone()));
                }
            }
            v.sort_by_key(|(i, _)| *i);
            if v.iter().enumerate().any(|(k, (i, _))| k != *i) {
                return Err(Error::format(
                    "optimizer state",
                    format!("the `{p}` tensors are not numbered 0, 1, …"),
                ));
            }
            out.push(v.into_iter().map(|(_, t)| t).collect());
        }
        let total: usize = out.iter().map(Vec::len).sum();
        if total != self.tensors.len() {
            return Err(Error::format(
                "optimizer state",
                format!("unexpected tensors for a {kind}"),
            ));
        }
        Ok(out)
    }

    fn hyper<T: for<'de> Deserialize<'de>>(&self) -> Result<T> {
        serde_json::from_value(self.hyperparameters.clone())
            .map_err(|e| Error::format("optimizer state", e.to_string()))
    }
}

/// Scales every parameter gradient of `net` so that their global 2-norm is
/// at most `max_norm`, as PyTorch's `torch.nn.utils.clip_grad_norm_`
/// (`coef = max_norm / (norm + 1e-6)`, applied when below 1); returns the
/// norm before clipping. The norm is summed in `f64` in parameter order.
///
/// # Errors
/// [`Error::InvalidParameter`] unless `max_norm` is positive and finite.
///
/// # Example
/// ```
/// use oxilearn::nn::{clip_grad_norm, Linear, Sequential};
/// let mut net = Sequential::new().push(Linear::new(2, 1, 0)?);
/// for (_, p) in net.params_mut() {
///     p.grad_mut().fill(3.0); // weight [1, 2] and bias [1]: norm √27
/// }
/// let norm = clip_grad_norm(&mut net, 1.0)?;
/// assert!((norm - 27f64.sqrt()).abs() < 1e-6);
/// let clipped: f64 = net.params().iter().flat_map(|(_, p)| p.grad().iter().map(|&g| f64::from(g * g)).collect::<Vec<_>>()).sum();
/// assert!((clipped.sqrt() - 1.0).abs() < 1e-5);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn clip_grad_norm(net: &mut Sequential, max_norm: f64) -> Result<f64> {
    if !(max_norm > 0.0 && max_norm.is_finite()) {
        return Err(Error::invalid(
            "max_norm",
            format!("must be positive and finite, got {max_norm}"),
        ));
    }
    let mut params = net.params_mut();
    let total = params
        .iter()
        .map(|(_, p)| {
            p.grad()
                .iter()
                .map(|&g| f64::from(g) * f64::from(g))
                .sum::<f64>()
        })
        .sum::<f64>()
        .sqrt();
    let coef = max_norm / (total + 1e-6);
    if coef < 1.0 {
        let c = coef as f32;
        for (_, p) in params.iter_mut() {
            p.grad_mut().mapv_inplace(|g| g * c);
        }
    }
    Ok(total)
}

fn check_state(state: &mut Vec<ArrayD<f32>>, shapes: &[Vec<usize>]) -> Result<bool> {
    if state.is_empty() {
        return Ok(true);
    }
    let same = state.len() == shapes.len() && state.iter().zip(shapes).all(|(s, t)| s.shape() == t);
    if !same {
        return Err(Error::ShapeMismatch {
            what: "optimizer state (parameter count of the network it was used with)",
            expected: vec![state.len()],
            got: vec![shapes.len()],
        });
    }
    Ok(false)
}

/// Elements per parallel block of an update.
const BLOCK: usize = 8192;

/// A parameter's value, gradient and up to two state slices (empty when
/// unused), one block of elements.
type Block<'a> = (&'a mut [f32], &'a [f32], &'a mut [f32], &'a mut [f32]);

/// Appends the blocks of one parameter to `work`.
fn blocks<'a>(
    value: &'a mut ArrayD<f32>,
    grad: &'a ArrayD<f32>,
    s1: &'a mut [f32],
    s2: &'a mut [f32],
    work: &mut Vec<Block<'a>>,
) {
    let v = value.as_slice_mut().expect("standard layout");
    let g = grad.as_slice().expect("standard layout");
    for (((v, g), a), b) in v
        .chunks_mut(BLOCK)
        .zip(g.chunks(BLOCK))
        .zip(pieces_mut(s1, BLOCK))
        .zip(pieces_mut(s2, BLOCK))
    {
        work.push((v, g, a, b));
    }
}

/// Runs `f` on every block, in parallel when there are several (the update
/// of an element does not depend on the others, so the split does not change
/// the result).
fn for_each_block(work: Vec<Block<'_>>, f: impl Fn(Block<'_>) + Sync + Send) {
    if work.len() > 1 {
        work.into_par_iter().for_each(f);
    } else {
        work.into_iter().for_each(f);
    }
}

/// Stochastic gradient descent with momentum, as `torch.optim.SGD`:
///
/// `g ← grad + wd·p`; with momentum `b ← g` (first step) else
/// `b ← μ·b + (1 − dampening)·g`, then `g ← g + μ·b` (Nesterov) or `g ← b`;
/// `p ← p − lr·g`.
///
/// # Example
/// ```
/// use oxilearn::nn::Sgd;
/// let opt = Sgd::new(0.01).momentum(0.9).nesterov(true).weight_decay(5e-4);
/// assert_eq!(opt.get_momentum(), 0.9);
/// ```
#[derive(Debug, Clone)]
pub struct Sgd {
    lr: f64,
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    weight_decay: f64,
    buffers: Vec<ArrayD<f32>>,
}

impl Sgd {
    /// SGD with learning rate `lr` (no momentum, no weight decay).
    pub fn new(lr: f64) -> Self {
        Sgd {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.0,
            buffers: Vec::new(),
        }
    }

    /// Momentum factor μ (default 0).
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }

    /// Dampening of the momentum (default 0).
    pub fn dampening(mut self, dampening: f64) -> Self {
        self.dampening = dampening;
        self
    }

    /// Nesterov momentum (default false; needs momentum > 0 and dampening 0).
    pub fn nesterov(mut self, nesterov: bool) -> Self {
        self.nesterov = nesterov;
        self
    }

    /// L2 weight decay added to the gradient (default 0).
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// The momentum factor.
    pub fn get_momentum(&self) -> f64 {
        self.momentum
    }

    fn validate(&self) -> Result<()> {
        check_non_negative("lr", self.lr)?;
        check_non_negative("momentum", self.momentum)?;
        check_non_negative("weight_decay", self.weight_decay)?;
        if !self.dampening.is_finite() {
            return Err(Error::invalid("dampening", "must be finite"));
        }
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(Error::invalid(
                "nesterov",
                "Nesterov momentum requires momentum > 0 and dampening = 0",
            ));
        }
        Ok(())
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, net: &mut Sequential) -> Result<()> {
        self.validate()?;
        let mut params = net.params_mut();
        let shapes: Vec<Vec<usize>> = params.iter().map(|(_, p)| p.shape().to_vec()).collect();
        let first = check_state(&mut self.buffers, &shapes)?;
        let (lr, mu, wd) = (
            self.lr as f32,
            self.momentum as f32,
            self.weight_decay as f32,
        );
        let damp = 1.0 - self.dampening as f32;
        let use_mom = self.momentum != 0.0;
        let nesterov = self.nesterov;
        if first && use_mom {
            self.buffers = shapes.iter().map(|s| ArrayD::zeros(s.clone())).collect();
        }
        let mut buffers = self.buffers.iter_mut();
        let mut work = Vec::new();
        for (_, p) in params.iter_mut() {
            let (value, grad) = p.value_and_grad_mut();
            let b: &mut [f32] = match use_mom {
                true => buffers
                    .next()
                    .expect("one buffer per parameter")
                    .as_slice_mut()
                    .expect("standard layout"),
                false => &mut [],
            };
            blocks(value, grad, b, &mut [], &mut work);
        }
        for_each_block(work, |(v, g, b, _)| {
            if use_mom {
                for ((v, &g), b) in v.iter_mut().zip(g).zip(b.iter_mut()) {
                    let mut d = g;
                    if wd != 0.0 {
                        d += wd * *v;
                    }
                    *b = if first { d } else { mu * *b + damp * d };
                    let step = if nesterov { d + mu * *b } else { *b };
                    *v -= lr * step;
                }
            } else {
                for (v, &g) in v.iter_mut().zip(g) {
                    let d = if wd != 0.0 { g + wd * *v } else { g };
                    *v -= lr * d;
                }
            }
        });
        Ok(())
    }

    fn learning_rate(&self) -> f64 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn momentum(&self) -> Option<f64> {
        Some(self.momentum)
    }

    fn set_momentum(&mut self, momentum: f64) -> Result<()> {
        self.momentum = momentum;
        Ok(())
    }

    fn state_dict(&self) -> OptimizerState {
        OptimizerState {
            kind: "Sgd".into(),
            hyperparameters: serde_json::to_value(SgdHyper {
                lr: self.lr,
                momentum: self.momentum,
                dampening: self.dampening,
                nesterov: self.nesterov,
                weight_decay: self.weight_decay,
            })
            .expect("hyperparameters serialise"),
            tensors: self
                .buffers
                .iter()
                .enumerate()
                .map(|(i, b)| (format!("momentum_buffer.{i}"), b.clone()))
                .collect(),
        }
    }

    fn load_state_dict(&mut self, state: OptimizerState) -> Result<()> {
        let mut t = state.take("Sgd", &["momentum_buffer"])?;
        let h: SgdHyper = state.hyper()?;
        *self = Sgd {
            lr: h.lr,
            momentum: h.momentum,
            dampening: h.dampening,
            nesterov: h.nesterov,
            weight_decay: h.weight_decay,
            buffers: t.remove(0),
        };
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct SgdHyper {
    lr: f64,
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    weight_decay: f64,
}

#[derive(Serialize, Deserialize)]
struct AdamHyper {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    step: u64,
}

/// Adam, as `torch.optim.Adam` (weight decay as an L2 term added to the
/// gradient; no AMSGrad):
///
/// `g ← grad + wd·p`, `m ← β₁·m + (1 − β₁)·g`, `v ← β₂·v + (1 − β₂)·g²`,
/// `p ← p − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)`.
///
/// # Example
/// ```
/// use oxilearn::nn::{Adam, Optimizer};
/// let opt = Adam::new(1e-3).betas(0.9, 0.999).eps(1e-8);
/// assert_eq!(opt.learning_rate(), 1e-3);
/// ```
#[derive(Debug, Clone)]
pub struct Adam {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    t: u64,
    m: Vec<ArrayD<f32>>,
    v: Vec<ArrayD<f32>>,
}

impl Adam {
    /// Adam with learning rate `lr` (PyTorch's default is 1e-3).
    pub fn new(lr: f64) -> Self {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            t: 0,
            m: Vec::new(),
            v: Vec::new(),
        }
    }

    /// Moment decay rates (default `(0.9, 0.999)`).
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// Denominator term ε (default 1e-8).
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// L2 weight decay added to the gradient (default 0).
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.t
    }

    fn validate(&self) -> Result<()> {
        check_non_negative("lr", self.lr)?;
        for (name, b) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&b) {
                return Err(Error::invalid(name, format!("must be in [0, 1), got {b}")));
            }
        }
        check_non_negative("eps", self.eps)?;
        check_non_negative("weight_decay", self.weight_decay)?;
        Ok(())
    }
}

impl Optimizer for Adam {
    fn step(&mut self, net: &mut Sequential) -> Result<()> {
        self.validate()?;
        let mut params = net.params_mut();
        let shapes: Vec<Vec<usize>> = params.iter().map(|(_, p)| p.shape().to_vec()).collect();
        if check_state(&mut self.m, &shapes)? {
            self.m = shapes.iter().map(|s| ArrayD::zeros(s.clone())).collect();
            self.v = self.m.clone();
        }
        self.t += 1;
        let t = self.t as i32;
        let (b1, b2) = (self.beta1 as f32, self.beta2 as f32);
        let bc1 = 1.0 - self.beta1.powi(t);
        let bc2_sqrt = (1.0 - self.beta2.powi(t)).sqrt() as f32;
        let step_size = (self.lr / bc1) as f32;
        let (eps, wd) = (self.eps as f32, self.weight_decay as f32);
        let mut work = Vec::new();
        for (((_, p), m), v) in params.iter_mut().zip(&mut self.m).zip(&mut self.v) {
            let (value, grad) = p.value_and_grad_mut();
            let m = m.as_slice_mut().expect("standard layout");
            let v = v.as_slice_mut().expect("standard layout");
            blocks(value, grad, m, v, &mut work);
        }
        for_each_block(work, |(pv, g, m, v)| {
            for (((p, &g), m), v) in pv.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                let g = if wd != 0.0 { g + wd * *p } else { g };
                *m += (g - *m) * (1.0 - b1);
                *v = *v * b2 + (1.0 - b2) * g * g;
                let denom = v.sqrt() / bc2_sqrt + eps;
                *p -= step_size * *m / denom;
            }
        });
        Ok(())
    }

    fn learning_rate(&self) -> f64 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn momentum(&self) -> Option<f64> {
        Some(self.beta1)
    }

    fn set_momentum(&mut self, momentum: f64) -> Result<()> {
        self.beta1 = momentum;
        Ok(())
    }

    fn state_dict(&self) -> OptimizerState {
        let mut tensors: Vec<(String, ArrayD<f32>)> = self
            .m
            .iter()
            .enumerate()
            .map(|(i, b)| (format!("exp_avg.{i}"), b.clone()))
            .collect();
        tensors.extend(
            self.v
                .iter()
                .enumerate()
                .map(|(i, b)| (format!("exp_avg_sq.{i}"), b.clone())),
        );
        OptimizerState {
            kind: "Adam".into(),
            hyperparameters: serde_json::to_value(AdamHyper {
                lr: self.lr,
                beta1: self.beta1,
                beta2: self.beta2,
                eps: self.eps,
                weight_decay: self.weight_decay,
                step: self.t,
            })
            .expect("hyperparameters serialise"),
            tensors,
        }
    }

    fn load_state_dict(&mut self, state: OptimizerState) -> Result<()> {
        let mut t = state.take("Adam", &["exp_avg", "exp_avg_sq"])?;
        let h: AdamHyper = state.hyper()?;
        let (m, v) = (t.remove(0), t.remove(0));
        if m.len() != v.len() || m.iter().zip(&v).any(|(a, b)| a.shape() != b.shape()) {
            return Err(Error::format(
                "optimizer state",
                "exp_avg and exp_avg_sq do not match",
            ));
        }
        *self = Adam {
            lr: h.lr,
            beta1: h.beta1,
            beta2: h.beta2,
            eps: h.eps,
            weight_decay: h.weight_decay,
            t: h.step,
            m,
            v,
        };
        Ok(())
    }
}
