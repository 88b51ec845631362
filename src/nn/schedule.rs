//! Learning-rate schedules with PyTorch's formulas: [`StepLr`],
//! [`ExponentialLr`], [`CosineAnnealingLr`], [`OneCycleLr`] and
//! [`ReduceLrOnPlateau`].
//!
//! A schedule changes an [`Optimizer`]'s learning rate (and, for
//! [`OneCycleLr`], its momentum or Adam's β₁) as PyTorch's
//! `torch.optim.lr_scheduler` classes do, step for step and in the same
//! `f64` arithmetic, so the sequences are PyTorch's: [`start`] corresponds
//! to constructing the PyTorch scheduler, [`step`] to `scheduler.step()`
//! after `optimizer.step()`. [`TrainConfig`](super::TrainConfig) drives a
//! schedule by itself (after every epoch, or every batch for
//! [`OneCycleLr`]).
//!
//! [`start`]: LrScheduler::start
//! [`step`]: LrScheduler::step

use std::f64::consts::PI;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::optim::Optimizer;
use crate::error::{Error, Result};

/// When [`TrainConfig`](super::TrainConfig) steps a schedule.
///
/// # Example
/// ```
/// use oxilearn::nn::{LrScheduler, OneCycleLr, SchedulerInterval, StepLr};
/// assert_eq!(StepLr::new(10, 0.1)?.interval(), SchedulerInterval::Epoch);
/// assert_eq!(OneCycleLr::new(0.1, 100)?.interval(), SchedulerInterval::Batch);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SchedulerInterval {
    /// After every epoch.
    Epoch,
    /// After every batch (optimizer step).
    Batch,
}

/// A learning-rate schedule (PyTorch's `LRScheduler` protocol).
///
/// # Example
/// A training loop of your own, as in PyTorch:
/// ```
/// use oxilearn::nn::{LrScheduler, Optimizer, Sgd, StepLr};
/// let mut opt = Sgd::new(0.1);
/// let mut sched = StepLr::new(2, 0.5)?;
/// sched.start(&mut opt)?;
/// let mut lrs = Vec::new();
/// for _epoch in 0..5 {
///     lrs.push(opt.learning_rate());
///     // … train one epoch (optimizer steps) …
///     sched.step(&mut opt, None)?;
/// }
/// assert_eq!(lrs, [0.1, 0.1, 0.05, 0.05, 0.025]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub trait LrScheduler: fmt::Debug + Send + Sync {
    /// Takes `optimizer`'s current learning rate as the base and sets the
    /// initial learning rate (and momentum) of the schedule, as PyTorch's
    /// constructor does.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if the schedule needs what the optimizer
    /// does not have (momentum cycling without momentum).
    fn start(&mut self, optimizer: &mut dyn Optimizer) -> Result<()>;

    /// One step of the schedule: the learning rate of the next epoch (or
    /// batch). `metric` is the monitored value of
    /// [`ReduceLrOnPlateau`] (ignored by the others).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when stepped before [`start`](Self::start),
    /// past a [`OneCycleLr`]'s total steps, or without the metric a
    /// plateau schedule needs.
    fn step(&mut self, optimizer: &mut dyn Optimizer, metric: Option<f64>) -> Result<()>;

    /// When the training loop steps it (default: after every epoch).
    fn interval(&self) -> SchedulerInterval {
        SchedulerInterval::Epoch
    }

    /// Whether [`step`](Self::step) needs a metric (default false).
    fn needs_metric(&self) -> bool {
        false
    }

    /// The schedule's progress, for checkpoints.
    fn state(&self) -> serde_json::Value;

    /// Restores [`state`](Self::state).
    ///
    /// # Errors
    /// [`Error::Format`] for a state of another schedule.
    fn load_state(&mut self, state: &serde_json::Value) -> Result<()>;

    /// A boxed copy.
    fn clone_box(&self) -> Box<dyn LrScheduler>;
}

impl Clone for Box<dyn LrScheduler> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

fn not_started() -> Error {
    Error::invalid("scheduler", "stepped before start(optimizer)")
}

fn state_err(what: &str, e: serde_json::Error) -> Error {
    Error::format(format!("{what} state"), e.to_string())
}

fn check_positive(name: &'static str, v: f64) -> Result<()> {
    if v > 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid(
            name,
            format!("must be positive and finite, got {v}"),
        ))
    }
}

macro_rules! serde_state {
    ($what:literal) => {
        fn state(&self) -> serde_json::Value {
            serde_json::to_value(self).expect("schedules serialise")
        }

        fn load_state(&mut self, state: &serde_json::Value) -> Result<()> {
            *self = serde_json::from_value(state.clone()).map_err(|e| state_err($what, e))?;
            Ok(())
        }

        fn clone_box(&self) -> Box<dyn LrScheduler> {
            Box::new(self.clone())
        }
    };
}

/// Multiplies the learning rate by `gamma` every `step_size` epochs
/// (PyTorch's `StepLR`).
///
/// # Example
/// ```
/// use oxilearn::nn::StepLr;
/// let sched = StepLr::new(30, 0.1)?;
/// assert!(StepLr::new(0, 0.1).is_err());
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepLr {
    step_size: usize,
    gamma: f64,
    last_epoch: Option<usize>,
}

impl StepLr {
    /// Decay by `gamma` every `step_size` epochs.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a zero step size or a non-positive
    /// `gamma`.
    pub fn new(step_size: usize, gamma: f64) -> Result<Self> {
        if step_size == 0 {
            return Err(Error::invalid("step_size", "must be at least 1, got 0"));
        }
        check_positive("gamma", gamma)?;
        Ok(StepLr {
            step_size,
            gamma,
            last_epoch: None,
        })
    }
}

impl LrScheduler for StepLr {
    fn start(&mut self, _optimizer: &mut dyn Optimizer) -> Result<()> {
        self.last_epoch = Some(0);
        Ok(())
    }

    fn step(&mut self, optimizer: &mut dyn Optimizer, _metric: Option<f64>) -> Result<()> {
        let e = self.last_epoch.ok_or_else(not_started)? + 1;
        self.last_epoch = Some(e);
        if e.is_multiple_of(self.step_size) {
            optimizer.set_learning_rate(optimizer.learning_rate() * self.gamma);
        }
        Ok(())
    }

    serde_state!("StepLr");
}

/// Multiplies the learning rate by `gamma` every epoch (PyTorch's
/// `ExponentialLR`).
///
/// # Example
/// ```
/// use oxilearn::nn::ExponentialLr;
/// let sched = ExponentialLr::new(0.95)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExponentialLr {
    gamma: f64,
    started: bool,
}

impl ExponentialLr {
    /// Decay by `gamma` every epoch.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a non-positive `gamma`.
    pub fn new(gamma: f64) -> Result<Self> {
        check_positive("gamma", gamma)?;
        Ok(ExponentialLr {
            gamma,
            started: false,
        })
    }
}

impl LrScheduler for ExponentialLr {
    fn start(&mut self, _optimizer: &mut dyn Optimizer) -> Result<()> {
        self.started = true;
        Ok(())
    }

    fn step(&mut self, optimizer: &mut dyn Optimizer, _metric: Option<f64>) -> Result<()> {
        if !self.started {
            return Err(not_started());
        }
        optimizer.set_learning_rate(optimizer.learning_rate() * self.gamma);
        Ok(())
    }

    serde_state!("ExponentialLr");
}

/// Cosine annealing from the base learning rate to `eta_min` over `t_max`
/// epochs (PyTorch's `CosineAnnealingLR`, whose recursive form it
/// follows: after `t_max` the rate climbs back, a period of `2·t_max`).
///
/// # Example
/// ```
/// use oxilearn::nn::CosineAnnealingLr;
/// let sched = CosineAnnealingLr::new(50, 0.0)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CosineAnnealingLr {
    t_max: usize,
    eta_min: f64,
    base_lr: f64,
    last_epoch: Option<usize>,
}

impl CosineAnnealingLr {
    /// Annealing over `t_max` epochs down to `eta_min`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a zero `t_max` or a negative or
    /// non-finite `eta_min`.
    pub fn new(t_max: usize, eta_min: f64) -> Result<Self> {
        if t_max == 0 {
            return Err(Error::invalid("t_max", "must be at least 1, got 0"));
        }
        if !(eta_min >= 0.0 && eta_min.is_finite()) {
            return Err(Error::invalid(
                "eta_min",
                format!("must be non-negative and finite, got {eta_min}"),
            ));
        }
        Ok(CosineAnnealingLr {
            t_max,
            eta_min,
            base_lr: 0.0,
            last_epoch: None,
        })
    }
}

impl LrScheduler for CosineAnnealingLr {
    fn start(&mut self, optimizer: &mut dyn Optimizer) -> Result<()> {
        self.base_lr = optimizer.learning_rate();
        self.last_epoch = Some(0);
        Ok(())
    }

    fn step(&mut self, optimizer: &mut dyn Optimizer, _metric: Option<f64>) -> Result<()> {
        let e = self.last_epoch.ok_or_else(not_started)? + 1;
        self.last_epoch = Some(e);
        let (t, lr, eta) = (self.t_max as f64, optimizer.learning_rate(), self.eta_min);
        let new = if (e as i64 - 1 - self.t_max as i64).rem_euclid(2 * self.t_max as i64) == 0 {
            lr + (self.base_lr - eta) * (1.0 - (PI / t).cos()) / 2.0
        } else {
            (1.0 + (PI * e as f64 / t).cos()) / (1.0 + (PI * (e as f64 - 1.0) / t).cos())
                * (lr - eta)
                + eta
        };
        optimizer.set_learning_rate(new);
        Ok(())
    }

    serde_state!("CosineAnnealingLr");
}

/// How [`OneCycleLr`] interpolates within a phase.
///
/// # Example
/// ```
/// use oxilearn::nn::Anneal;
/// assert_ne!(Anneal::Cos, Anneal::Linear);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Anneal {
    /// Half a cosine (PyTorch's default `"cos"`).
    Cos,
    /// A straight line (`"linear"`).
    Linear,
}

impl Anneal {
    fn apply(self, start: f64, end: f64, pct: f64) -> f64 {
        match self {
            Anneal::Cos => end + (start - end) / 2.0 * ((PI * pct).cos() + 1.0),
            Anneal::Linear => (end - start) * pct + start,
        }
    }
}

/// The 1cycle policy (Smith & Topin 2018; PyTorch's `OneCycleLR`), stepped
/// after every batch: the learning rate climbs from `max_lr / div_factor`
/// to `max_lr` over the first `pct_start` of `total_steps`, then anneals to
/// `max_lr / (div_factor · final_div_factor)`; the momentum (SGD's, or
/// Adam's β₁) moves the opposite way between `max_momentum` and
/// `base_momentum`.
///
/// # Example
/// ```
/// use oxilearn::nn::{Adam, Anneal, LrScheduler, OneCycleLr, Optimizer};
/// let mut opt = Adam::new(1e-3);
/// let mut sched = OneCycleLr::new(0.01, 100)?.pct_start(0.25)?.anneal(Anneal::Linear);
/// sched.start(&mut opt)?;
/// assert!((opt.learning_rate() - 0.01 / 25.0).abs() < 1e-15);
/// assert_eq!(opt.momentum(), Some(0.95));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneCycleLr {
    max_lr: f64,
    total_steps: usize,
    pct_start: f64,
    anneal: Anneal,
    cycle_momentum: bool,
    base_momentum: f64,
    max_momentum: f64,
    div_factor: f64,
    final_div_factor: f64,
    three_phase: bool,
    last_step: Option<usize>,
}

impl OneCycleLr {
    /// A cycle peaking at `max_lr` over `total_steps` batches, PyTorch's
    /// defaults otherwise (`pct_start` 0.3, cosine, momentum cycled
    /// between 0.85 and 0.95, `div_factor` 25, `final_div_factor` 1e4, two
    /// phases).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a non-positive `max_lr` or zero steps.
    pub fn new(max_lr: f64, total_steps: usize) -> Result<Self> {
        check_positive("max_lr", max_lr)?;
        if total_steps == 0 {
            return Err(Error::invalid("total_steps", "must be at least 1, got 0"));
        }
        Ok(OneCycleLr {
            max_lr,
            total_steps,
            pct_start: 0.3,
            anneal: Anneal::Cos,
            cycle_momentum: true,
            base_momentum: 0.85,
            max_momentum: 0.95,
            div_factor: 25.0,
            final_div_factor: 1e4,
            three_phase: false,
            last_step: None,
        })
    }

    /// Fraction of the steps spent climbing (default 0.3).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] outside `[0, 1]`.
    pub fn pct_start(mut self, pct_start: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&pct_start) {
            return Err(Error::invalid(
                "pct_start",
                format!("must be in [0, 1], got {pct_start}"),
            ));
        }
        self.pct_start = pct_start;
        Ok(self)
    }

    /// The interpolation within phases (default [`Anneal::Cos`]).
    pub fn anneal(mut self, anneal: Anneal) -> Self {
        self.anneal = anneal;
        self
    }

    /// Whether the momentum cycles (default true), between which bounds
    /// (defaults 0.85 and 0.95).
    pub fn momentum_range(mut self, cycle: bool, base: f64, max: f64) -> Self {
        self.cycle_momentum = cycle;
        self.base_momentum = base;
        self.max_momentum = max;
        self
    }

    /// Initial learning rate `max_lr / div_factor` (default 25) and final
    /// `initial / final_div_factor` (default 1e4).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for non-positive factors.
    pub fn div_factors(mut self, div_factor: f64, final_div_factor: f64) -> Result<Self> {
        check_positive("div_factor", div_factor)?;
        check_positive("final_div_factor", final_div_factor)?;
        self.div_factor = div_factor;
        self.final_div_factor = final_div_factor;
        Ok(self)
    }

    /// The three-phase variant (up, back down to the initial rate, then
    /// annealing to the minimum; default false).
    pub fn three_phase(mut self, three_phase: bool) -> Self {
        self.three_phase = three_phase;
        self
    }

    /// `(end_step, start_lr, end_lr, start_momentum, end_momentum)` per
    /// phase.
    fn phases(&self) -> Vec<(f64, f64, f64, f64, f64)> {
        let initial = self.max_lr / self.div_factor;
        let min = initial / self.final_div_factor;
        let total = self.total_steps as f64;
        let (lo, hi) = (self.base_momentum, self.max_momentum);
        if self.three_phase {
            vec![
                (self.pct_start * total - 1.0, initial, self.max_lr, hi, lo),
                (
                    2.0 * self.pct_start * total - 2.0,
                    self.max_lr,
                    initial,
                    lo,
                    hi,
                ),
                (total - 1.0, initial, min, hi, hi),
            ]
        } else {
            vec![
                (self.pct_start * total - 1.0, initial, self.max_lr, hi, lo),
                (total - 1.0, self.max_lr, min, lo, hi),
            ]
        }
    }

    /// Learning rate and momentum at step `step`.
    fn at(&self, step: usize) -> (f64, f64) {
        let phases = self.phases();
        let s = step as f64;
        let mut start = 0.0;
        for (i, &(end, lr0, lr1, m0, m1)) in phases.iter().enumerate() {
            if s <= end || i == phases.len() - 1 {
                let pct = (s - start) / (end - start);
                return (
                    self.anneal.apply(lr0, lr1, pct),
                    self.anneal.apply(m0, m1, pct),
                );
            }
            start = end;
        }
        unreachable!("the last phase always applies")
    }

    fn apply(&self, optimizer: &mut dyn Optimizer, step: usize) -> Result<()> {
        let (lr, m) = self.at(step);
        optimizer.set_learning_rate(lr);
        if self.cycle_momentum {
            optimizer.set_momentum(m)?;
        }
        Ok(())
    }
}

impl LrScheduler for OneCycleLr {
    fn start(&mut self, optimizer: &mut dyn Optimizer) -> Result<()> {
        if self.cycle_momentum && optimizer.momentum().is_none() {
            return Err(Error::invalid(
                "cycle_momentum",
                "the optimizer has no momentum (or beta1) to cycle",
            ));
        }
        self.last_step = Some(0);
        self.apply(optimizer, 0)
    }

    fn step(&mut self, optimizer: &mut dyn Optimizer, _metric: Option<f64>) -> Result<()> {
        let s = self.last_step.ok_or_else(not_started)? + 1;
        if s > self.total_steps {
            return Err(Error::invalid(
                "total_steps",
                format!(
                    "stepped {s} times, the cycle has {} steps",
                    self.total_steps
                ),
            ));
        }
        self.last_step = Some(s);
        self.apply(optimizer, s)
    }

    fn interval(&self) -> SchedulerInterval {
        SchedulerInterval::Batch
    }

    serde_state!("OneCycleLr");
}

/// Whether a [`ReduceLrOnPlateau`] metric is better lower (a loss) or higher
/// (an accuracy).
///
/// # Example
/// ```
/// use oxilearn::nn::PlateauMode;
/// assert_ne!(PlateauMode::Min, PlateauMode::Max);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PlateauMode {
    /// Lower is better.
    Min,
    /// Higher is better.
    Max,
}

/// Multiplies the learning rate by `factor` when a metric has not improved
/// for `patience` epochs (PyTorch's `ReduceLROnPlateau`, relative
/// threshold). [`TrainConfig`](super::TrainConfig) feeds it the validation
/// loss (the training loss without a validation set).
///
/// # Example
/// ```
/// use oxilearn::nn::{LrScheduler, Optimizer, PlateauMode, ReduceLrOnPlateau, Sgd};
/// let mut opt = Sgd::new(0.1);
/// let mut sched = ReduceLrOnPlateau::new(PlateauMode::Min).patience(1).factor(0.5)?;
/// sched.start(&mut opt)?;
/// for loss in [1.0, 1.0, 1.0] {
///     sched.step(&mut opt, Some(loss))?;
/// }
/// assert_eq!(opt.learning_rate(), 0.05);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReduceLrOnPlateau {
    mode: PlateauMode,
    factor: f64,
    patience: usize,
    threshold: f64,
    relative: bool,
    cooldown: usize,
    min_lr: f64,
    eps: f64,
    best: Option<f64>,
    num_bad_epochs: usize,
    cooldown_counter: usize,
    started: bool,
}

impl ReduceLrOnPlateau {
    /// PyTorch's defaults: factor 0.1, patience 10, relative threshold
    /// 1e-4, no cooldown, no minimum, eps 1e-8.
    pub fn new(mode: PlateauMode) -> Self {
        ReduceLrOnPlateau {
            mode,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            relative: true,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
            best: None,
            num_bad_epochs: 0,
            cooldown_counter: 0,
            started: false,
        }
    }

    /// The factor applied on a plateau (default 0.1).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `0 < factor < 1`.
    pub fn factor(mut self, factor: f64) -> Result<Self> {
        if !(factor > 0.0 && factor < 1.0) {
            return Err(Error::invalid(
                "factor",
                format!("must be in (0, 1), got {factor}"),
            ));
        }
        self.factor = factor;
        Ok(self)
    }

    /// Epochs without improvement tolerated (default 10).
    pub fn patience(mut self, patience: usize) -> Self {
        self.patience = patience;
        self
    }

    /// Improvement threshold, relative (`best·(1 ∓ threshold)`, default) or
    /// absolute (`best ∓ threshold`); default 1e-4.
    pub fn threshold(mut self, threshold: f64, relative: bool) -> Self {
        self.threshold = threshold;
        self.relative = relative;
        self
    }

    /// Epochs to wait after a reduction before counting again (default 0).
    pub fn cooldown(mut self, cooldown: usize) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// Lower bound of the learning rate (default 0).
    pub fn min_lr(mut self, min_lr: f64) -> Self {
        self.min_lr = min_lr;
        self
    }

    fn is_better(&self, a: f64, best: f64) -> bool {
        match (self.mode, self.relative) {
            (PlateauMode::Min, true) => a < best * (1.0 - self.threshold),
            (PlateauMode::Min, false) => a < best - self.threshold,
            (PlateauMode::Max, true) => a > best * (1.0 + self.threshold),
            (PlateauMode::Max, false) => a > best + self.threshold,
        }
    }
}

impl LrScheduler for ReduceLrOnPlateau {
    fn start(&mut self, _optimizer: &mut dyn Optimizer) -> Result<()> {
        self.started = true;
        self.best = None;
        self.num_bad_epochs = 0;
        self.cooldown_counter = 0;
        Ok(())
    }

    fn step(&mut self, optimizer: &mut dyn Optimizer, metric: Option<f64>) -> Result<()> {
        if !self.started {
            return Err(not_started());
        }
        let current = metric.ok_or_else(|| {
            Error::invalid(
                "metric",
                "ReduceLrOnPlateau steps with the monitored metric",
            )
        })?;
        let worst = match self.mode {
            PlateauMode::Min => f64::INFINITY,
            PlateauMode::Max => f64::NEG_INFINITY,
        };
        if self.is_better(current, self.best.unwrap_or(worst)) {
            self.best = Some(current);
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0;
        }
        if self.num_bad_epochs > self.patience {
            let old = optimizer.learning_rate();
            let new = (old * self.factor).max(self.min_lr);
            if old - new > self.eps {
                optimizer.set_learning_rate(new);
            }
            self.cooldown_counter = self.cooldown;
            self.num_bad_epochs = 0;
        }
        Ok(())
    }

    fn needs_metric(&self) -> bool {
        true
    }

    serde_state!("ReduceLrOnPlateau");
}
