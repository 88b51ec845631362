//! The training loop: epochs over a prefetching [`DataLoader`], learning-rate
//! schedules, gradient clipping, early stopping, checkpoints, evaluation,
//! progress callback.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ndarray::{ArrayView1, ArrayView4, Axis};
use serde::{Deserialize, Serialize};

use super::Sequential;
use super::augment::Augment;
use super::checkpoint::{Checkpoint, LoopState};
use super::labels::ClassIndex;
use super::layers::Mode;
use super::loader::{DataLoader, class_indices};
use super::loss::cross_entropy_into;
use super::optim::{Optimizer, clip_grad_norm};
use super::schedule::{LrScheduler, SchedulerInterval};
use crate::error::{Error, Result};

/// How to train: epochs, batch size, shuffling seed, and the training kit —
/// a learning-rate schedule, gradient clipping, early stopping, data
/// augmentation, checkpoints.
///
/// Every random choice (shuffling, augmentation, dropout) is seeded, so a
/// run is the same on any thread count, and a run resumed from a checkpoint
/// is bit-identical to one that never stopped.
///
/// # Example
/// ```
/// use oxilearn::nn::{Conv2d, Conv2dConfig, Flatten, Linear, Sequential, Sgd, TrainConfig};
/// use oxilearn::ndarray::{Array1, Array4};
/// let mut net = Sequential::new()
///     .add("conv1", Conv2d::new(1, 2, 3, Conv2dConfig::default(), 0)?)
///     .add("flatten", Flatten::new())
///     .add("fc1", Linear::new(2 * 2 * 2, 2, 1)?);
/// // two classes: bright images vs dark images
/// let x = Array4::from_shape_fn((20, 1, 4, 4), |(i, ..)| if i % 2 == 0 { 1.0 } else { 0.0 });
/// let y = Array1::from_shape_fn(20, |i| (i % 2) as u8);
/// let mut opt = Sgd::new(0.1).momentum(0.9);
/// let history = TrainConfig::new().epochs(20).batch_size(5).fit(&mut net, &mut opt, x.view(), y.view())?;
/// assert_eq!(history.epochs.len(), 20);
/// assert_eq!(history.last().unwrap().accuracy, 1.0);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct TrainConfig {
    epochs: usize,
    batch_size: usize,
    seed: u64,
    shuffle: bool,
    scheduler: Option<Box<dyn LrScheduler>>,
    clip_grad_norm: Option<f64>,
    early_stopping: Option<EarlyStopping>,
    augment: Option<Augment>,
    checkpoint: Option<PathBuf>,
    resume: bool,
    prefetch: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 10,
            batch_size: 64,
            seed: 0,
            shuffle: true,
            scheduler: None,
            clip_grad_norm: None,
            early_stopping: None,
            augment: None,
            checkpoint: None,
            resume: false,
            prefetch: 2,
        }
    }
}

/// Statistics of one epoch.
///
/// # Example
/// ```
/// use oxilearn::nn::EpochStats;
/// let s = EpochStats { epoch: 1, loss: 0.3, accuracy: 0.9, val_loss: None,
///                      val_accuracy: None, lr: 0.01, seconds: 1.0, images_per_second: 100.0 };
/// assert_eq!(s.epoch, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Mean training loss over the epoch's images (each measured before its
    /// batch's update, as a PyTorch loop accumulates it).
    pub loss: f64,
    /// Training accuracy over the epoch, measured the same way.
    pub accuracy: f64,
    /// Loss on the validation set after the epoch, if one was given.
    pub val_loss: Option<f64>,
    /// Accuracy on the validation set after the epoch, if one was given.
    pub val_accuracy: Option<f64>,
    /// The learning rate at the start of the epoch.
    pub lr: f64,
    /// Wall-clock seconds of the training part of the epoch.
    pub seconds: f64,
    /// Training images per second.
    pub images_per_second: f64,
}

/// Per-epoch statistics of a training run.
///
/// # Example
/// ```
/// use oxilearn::nn::History;
/// assert!(History::default().last().is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// One entry per epoch, in order.
    pub epochs: Vec<EpochStats>,
    /// The epoch whose weights the network holds after early stopping with
    /// restored weights (the best one by the monitored metric).
    pub best_epoch: Option<usize>,
    /// Whether early stopping ended the run before its last epoch.
    pub stopped_early: bool,
}

impl History {
    /// The last epoch's statistics.
    pub fn last(&self) -> Option<&EpochStats> {
        self.epochs.last()
    }
}

/// What a training run reports to its progress callback.
///
/// # Example
/// ```
/// use oxilearn::nn::Progress;
/// let p = Progress::Batch { epoch: 1, n_epochs: 2, batch: 0, n_batches: 10, loss: 2.3 };
/// assert!(matches!(p, Progress::Batch { batch: 0, .. }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Progress<'a> {
    /// A mini-batch was trained.
    Batch {
        /// Epoch number, from 1.
        epoch: usize,
        /// Epochs in the run.
        n_epochs: usize,
        /// Batch index within the epoch, from 0.
        batch: usize,
        /// Batches per epoch.
        n_batches: usize,
        /// This batch's mean loss.
        loss: f64,
    },
    /// An epoch (and its validation pass, if any) finished.
    Epoch(&'a EpochStats),
}

/// The quantity [`EarlyStopping`] watches.
///
/// # Example
/// ```
/// use oxilearn::nn::Monitor;
/// assert!(Monitor::ValLoss.lower_is_better());
/// assert!(!Monitor::ValAccuracy.lower_is_better());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Monitor {
    /// Validation loss (needs a validation set).
    ValLoss,
    /// Validation accuracy (needs a validation set).
    ValAccuracy,
    /// Training loss of the epoch.
    Loss,
    /// Training accuracy of the epoch.
    Accuracy,
}

impl Monitor {
    /// Whether smaller values are better (the losses).
    pub fn lower_is_better(self) -> bool {
        matches!(self, Monitor::ValLoss | Monitor::Loss)
    }

    fn needs_validation(self) -> bool {
        matches!(self, Monitor::ValLoss | Monitor::ValAccuracy)
    }

    fn value(self, s: &EpochStats) -> Option<f64> {
        match self {
            Monitor::ValLoss => s.val_loss,
            Monitor::ValAccuracy => s.val_accuracy,
            Monitor::Loss => Some(s.loss),
            Monitor::Accuracy => Some(s.accuracy),
        }
    }
}

/// Stops training when a monitored metric has not improved by more than
/// `min_delta` for `patience` epochs, and (by default) gives the network
/// back the weights of its best epoch (Keras' `EarlyStopping` with
/// `restore_best_weights=True`).
///
/// # Example
/// ```
/// use oxilearn::nn::{EarlyStopping, Monitor};
/// let es = EarlyStopping::new(Monitor::ValLoss).patience(3).min_delta(1e-4)?;
/// assert_eq!(es.get_patience(), 3);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopping {
    monitor: Monitor,
    patience: usize,
    min_delta: f64,
    restore_best: bool,
}

impl EarlyStopping {
    /// Watch `monitor` with patience 5, no minimum improvement, best
    /// weights restored.
    pub fn new(monitor: Monitor) -> Self {
        EarlyStopping {
            monitor,
            patience: 5,
            min_delta: 0.0,
            restore_best: true,
        }
    }

    /// Epochs without improvement before stopping (default 5).
    pub fn patience(mut self, patience: usize) -> Self {
        self.patience = patience;
        self
    }

    /// The patience.
    pub fn get_patience(&self) -> usize {
        self.patience
    }

    /// The smallest change that counts as an improvement (default 0).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a negative or non-finite value.
    pub fn min_delta(mut self, min_delta: f64) -> Result<Self> {
        if !(min_delta >= 0.0 && min_delta.is_finite()) {
            return Err(Error::invalid(
                "min_delta",
                format!("must be non-negative and finite, got {min_delta}"),
            ));
        }
        self.min_delta = min_delta;
        Ok(self)
    }

    /// Give the network the best epoch's weights at the end (default true).
    pub fn restore_best_weights(mut self, restore: bool) -> Self {
        self.restore_best = restore;
        self
    }
}

/// Early stopping's progress (crate-internal; kept in checkpoints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct EarlyState {
    config: EarlyStopping,
    best: Option<f64>,
    best_epoch: Option<usize>,
    wait: usize,
}

impl EarlyState {
    fn new(config: EarlyStopping) -> Self {
        EarlyState {
            config,
            best: None,
            best_epoch: None,
            wait: 0,
        }
    }

    /// Records epoch `s`; returns (improved, stop).
    fn update(&mut self, s: &EpochStats) -> (bool, bool) {
        let Some(v) = self.config.monitor.value(s) else {
            return (false, false);
        };
        let d = self.config.min_delta;
        let improved = match self.best {
            None => !v.is_nan(),
            Some(b) if self.config.monitor.lower_is_better() => v < b - d,
            Some(b) => v > b + d,
        };
        if improved {
            self.best = Some(v);
            self.best_epoch = Some(s.epoch);
            self.wait = 0;
        } else {
            self.wait += 1;
        }
        (improved, self.wait >= self.config.patience.max(1))
    }
}

impl TrainConfig {
    /// The defaults: 10 epochs, batches of 64, seed 0, shuffling on, two
    /// batches prefetched, no schedule, clipping, early stopping,
    /// augmentation or checkpoints.
    pub fn new() -> Self {
        Self::default()
    }

    /// Passes over the training set (default 10).
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// Images per mini-batch (default 64; the last batch may be smaller).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Seed of the shuffling and the augmentation (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Reshuffle the training set every epoch (default true).
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// A learning-rate schedule, stepped after every epoch (or batch, for
    /// [`OneCycleLr`](super::OneCycleLr)); a
    /// [`ReduceLrOnPlateau`](super::ReduceLrOnPlateau) watches the
    /// validation loss (the training loss without validation data).
    pub fn scheduler(mut self, scheduler: impl LrScheduler + 'static) -> Self {
        self.scheduler = Some(Box::new(scheduler));
        self
    }

    /// Clip the gradients to a global 2-norm of at most `max_norm` before
    /// every update (PyTorch's `clip_grad_norm_`).
    pub fn clip_grad_norm(mut self, max_norm: f64) -> Self {
        self.clip_grad_norm = Some(max_norm);
        self
    }

    /// Stop early on a plateau of a monitored metric.
    pub fn early_stopping(mut self, early_stopping: EarlyStopping) -> Self {
        self.early_stopping = Some(early_stopping);
        self
    }

    /// Augment the training batches; its normalisation (if any) also
    /// applies to the validation images.
    pub fn augment(mut self, augment: Augment) -> Self {
        self.augment = Some(augment);
        self
    }

    /// Write a checkpoint to `path` after every epoch (atomically).
    pub fn checkpoint(mut self, path: impl AsRef<Path>) -> Self {
        self.checkpoint = Some(path.as_ref().to_path_buf());
        self
    }

    /// With a [`checkpoint`](Self::checkpoint) path that holds a
    /// checkpoint, continue that run instead of starting afresh (default
    /// false): network, optimizer, schedule, early stopping and history
    /// are restored and training goes on with the next epoch, exactly as
    /// if it had never stopped.
    pub fn resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }

    /// Batches the loader prepares ahead on its thread (default 2; 0 for
    /// none).
    pub fn prefetch(mut self, batches: usize) -> Self {
        self.prefetch = batches;
        self
    }

    /// Trains `net` on images `x` `[n, c, h, w]` with class labels `y`
    /// (`usize`, `u8` …).
    ///
    /// # Errors
    /// As [`fit_with`](Self::fit_with).
    pub fn fit<L: ClassIndex>(
        &self,
        net: &mut Sequential,
        optimizer: &mut dyn Optimizer,
        x: ArrayView4<'_, f32>,
        y: ArrayView1<'_, L>,
    ) -> Result<History> {
        self.fit_with(net, optimizer, x, y, None, &mut |_| {})
    }

    /// Trains `net`, evaluating on `validation` after every epoch and
    /// calling `progress` after every batch and epoch.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for zero epochs or batch size, a
    /// non-positive clipping norm, a label that is not a class index, or
    /// early stopping on a validation metric without validation data;
    /// [`Error::EmptyInput`] without images; [`Error::ShapeMismatch`] if `y`
    /// does not have one label per image or the images do not fit the
    /// network; [`Error::NonFinite`] for NaN/inf pixels;
    /// [`Error::NumericalFailure`] (operation `"training"`, the reason
    /// naming the batch, e.g. `"training batch 17 of epoch 2: loss is NaN"`,
    /// batches counted from 0) when the loss stops being finite (that
    /// batch's update is not applied); [`Error::Io`] / [`Error::Format`]
    /// for checkpoints that cannot be written or read, or that belong to
    /// another run (batch size, seed, network).
    pub fn fit_with<L: ClassIndex>(
        &self,
        net: &mut Sequential,
        optimizer: &mut dyn Optimizer,
        x: ArrayView4<'_, f32>,
        y: ArrayView1<'_, L>,
        validation: Option<(ArrayView4<'_, f32>, ArrayView1<'_, L>)>,
        progress: &mut dyn FnMut(&Progress<'_>),
    ) -> Result<History> {
        self.check(validation.is_some())?;
        check_finite(x)?;
        let mut loader = DataLoader::new(x, y, self.batch_size)?
            .shuffle(self.shuffle)
            .seed(self.seed)
            .prefetch(self.prefetch);
        if let Some(a) = &self.augment {
            loader = loader.augment(a.clone());
        }
        let validation = match validation {
            Some((vx, vy)) => {
                check_finite(vx)?;
                let labels = class_indices(vx.shape()[0], vy)?;
                if vx.shape()[0] == 0 {
                    return Err(Error::EmptyInput {
                        what: "validation x (no images)",
                    });
                }
                let mut vx = vx.to_owned();
                if let Some(a) = &self.augment {
                    a.normalize_only(vx.view_mut())?;
                }
                Some((vx, labels))
            }
            None => None,
        };
        let n = loader.len();
        let n_batches = loader.n_batches();
        let mut scheduler = self.scheduler.clone();
        if let Some(s) = &mut scheduler {
            s.start(optimizer)?;
        }
        let mut early = self.early_stopping.map(EarlyState::new);
        let mut best: Option<Vec<(String, ndarray::ArrayD<f32>)>> = None;
        let mut history = History::default();
        let mut first_epoch = 1;
        let mut stopped = false;
        if let (true, Some(path)) = (self.resume, &self.checkpoint)
            && path.exists()
        {
            let ckpt = Checkpoint::load(path)?;
            let state = self.resume_from(&ckpt, net, optimizer, &mut scheduler)?;
            history = state.history;
            early = state.early_stopping;
            best = ckpt.best.clone();
            stopped = state.stopped;
            first_epoch = ckpt.epoch() + 1;
        }
        let mut epoch = first_epoch;
        while epoch <= self.epochs && !stopped {
            let lr = optimizer.learning_rate();
            let start = Instant::now();
            let (mut loss_sum, mut correct) = (0.0f64, 0usize);
            loader.for_each_batch(epoch - 1, |b| {
                let stats = net
                    .compute_gradients(b.images, b.targets)
                    .map_err(|e| name_batch(e, b.index, epoch))?;
                if let Some(max) = self.clip_grad_norm {
                    clip_grad_norm(net, max)?;
                }
                optimizer.step(net)?;
                if let Some(s) = &mut scheduler
                    && s.interval() == SchedulerInterval::Batch
                {
                    s.step(optimizer, None)?;
                }
                loss_sum += stats.loss * b.targets.len() as f64;
                correct += stats.correct;
                progress(&Progress::Batch {
                    epoch,
                    n_epochs: self.epochs,
                    batch: b.index,
                    n_batches,
                    loss: stats.loss,
                });
                Ok(())
            })?;
            let seconds = start.elapsed().as_secs_f64();
            let seen = n;
            let (val_loss, val_accuracy) = match &validation {
                Some((vx, vy)) => {
                    let (l, a) = net.evaluate_indices(vx.view(), vy, self.batch_size.max(256))?;
                    (Some(l), Some(a))
                }
                None => (None, None),
            };
            let stats = EpochStats {
                epoch,
                loss: loss_sum / seen as f64,
                accuracy: correct as f64 / seen as f64,
                val_loss,
                val_accuracy,
                lr,
                seconds,
                images_per_second: seen as f64 / seconds.max(1e-12),
            };
            progress(&Progress::Epoch(&stats));
            history.epochs.push(stats);
            if let Some(s) = &mut scheduler
                && s.interval() == SchedulerInterval::Epoch
            {
                let metric = stats.val_loss.unwrap_or(stats.loss);
                s.step(optimizer, s.needs_metric().then_some(metric))?;
            }
            if let Some(e) = &mut early {
                let (improved, stop) = e.update(&stats);
                if improved && e.config.restore_best {
                    best = Some(net.state_dict());
                }
                if stop && epoch < self.epochs {
                    stopped = true;
                    history.stopped_early = true;
                }
            }
            if let Some(path) = &self.checkpoint {
                let mut ckpt = Checkpoint::capture(net, &*optimizer, epoch)?;
                ckpt.train = Some(LoopState {
                    batch_size: self.batch_size,
                    seed: self.seed,
                    shuffle: self.shuffle,
                    history: history.clone(),
                    scheduler: scheduler.as_ref().map(|s| s.state()),
                    early_stopping: early.clone(),
                    stopped,
                });
                ckpt.best = best.clone();
                ckpt.save(path)?;
            }
            epoch += 1;
        }
        if let (Some(e), Some(best)) = (&early, best)
            && e.config.restore_best
        {
            net.load_state_dict(best)?;
            history.best_epoch = e.best_epoch;
        }
        Ok(history)
    }

    fn check(&self, has_validation: bool) -> Result<()> {
        if self.epochs == 0 {
            return Err(Error::invalid("epochs", "must be at least 1, got 0"));
        }
        if self.batch_size == 0 {
            return Err(Error::invalid("batch_size", "must be at least 1, got 0"));
        }
        if let Some(c) = self.clip_grad_norm
            && !(c > 0.0 && c.is_finite())
        {
            return Err(Error::invalid(
                "clip_grad_norm",
                format!("must be positive and finite, got {c}"),
            ));
        }
        if let Some(e) = &self.early_stopping
            && e.monitor.needs_validation()
            && !has_validation
        {
            return Err(Error::invalid(
                "early_stopping",
                format!("{:?} needs validation data (fit_with)", e.monitor),
            ));
        }
        Ok(())
    }

    /// Restores a checkpoint written by this configuration's runs.
    fn resume_from(
        &self,
        ckpt: &Checkpoint,
        net: &mut Sequential,
        optimizer: &mut dyn Optimizer,
        scheduler: &mut Option<Box<dyn LrScheduler>>,
    ) -> Result<LoopState> {
        let state = ckpt.train.clone().ok_or_else(|| {
            Error::format(
                "checkpoint",
                "written by Checkpoint::save, not by a TrainConfig run: nothing to resume",
            )
        })?;
        if (state.batch_size, state.seed, state.shuffle)
            != (self.batch_size, self.seed, self.shuffle)
        {
            return Err(Error::format(
                "checkpoint",
                format!(
                    "written by a run with batch size {}, seed {}, shuffle {}; this configuration \
                     has {}, {}, {}",
                    state.batch_size,
                    state.seed,
                    state.shuffle,
                    self.batch_size,
                    self.seed,
                    self.shuffle
                ),
            ));
        }
        match (scheduler.as_mut(), &state.scheduler) {
            (Some(s), Some(v)) => s.load_state(v)?,
            (None, None) => {}
            _ => {
                return Err(Error::format(
                    "checkpoint",
                    "the run had another learning-rate schedule",
                ));
            }
        }
        ckpt.restore(net, optimizer)?;
        Ok(state)
    }
}

/// Names the batch and epoch in a numerical failure.
fn name_batch(e: Error, batch: usize, epoch: usize) -> Error {
    match e {
        Error::NumericalFailure { operation, reason } => Error::NumericalFailure {
            operation,
            reason: format!("training batch {batch} of epoch {epoch}: {reason}"),
        },
        e => e,
    }
}

fn check_finite(x: ArrayView4<'_, f32>) -> Result<()> {
    if let Some(((a, b, c, d), _)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "x",
            index: vec![a, b, c, d],
        });
    }
    Ok(())
}

impl Sequential {
    /// Mean cross-entropy and accuracy on `x` `[n, c, h, w]` with class
    /// labels `y` (`usize`, `u8` …), in evaluation mode, in batches of
    /// `batch_size`.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without images, [`Error::ShapeMismatch`] if `y`
    /// does not have one label per image or the images do not fit the
    /// network, [`Error::InvalidParameter`] for a zero batch size or a label
    /// that is not a class index.
    ///
    /// # Example
    /// ```
    /// use oxilearn::nn::{Flatten, Linear, Sequential};
    /// use oxilearn::ndarray::{Array1, Array4};
    /// let mut net = Sequential::new().push(Flatten::new()).push(Linear::new(4, 3, 0)?);
    /// let (loss, acc) = net.evaluate(Array4::zeros((6, 1, 2, 2)).view(), Array1::<u8>::zeros(6).view(), 4)?;
    /// assert!(loss > 0.0);
    /// assert!((0.0..=1.0).contains(&acc));
    /// # Ok::<(), oxilearn::Error>(())
    /// ```
    pub fn evaluate<L: ClassIndex>(
        &mut self,
        x: ArrayView4<'_, f32>,
        y: ArrayView1<'_, L>,
        batch_size: usize,
    ) -> Result<(f64, f64)> {
        if batch_size == 0 {
            return Err(Error::invalid("batch_size", "must be at least 1, got 0"));
        }
        if x.shape()[0] == 0 {
            return Err(Error::EmptyInput {
                what: "x (no images)",
            });
        }
        let labels = class_indices(x.shape()[0], y)?;
        check_finite(x)?;
        self.evaluate_indices(x, &labels, batch_size)
    }

    /// [`evaluate`](Self::evaluate) with checked class indices.
    fn evaluate_indices(
        &mut self,
        x: ArrayView4<'_, f32>,
        labels: &[usize],
        batch_size: usize,
    ) -> Result<(f64, f64)> {
        let n = x.shape()[0];
        let (mut loss_sum, mut correct) = (0.0f64, 0usize);
        let mut grad = Vec::new();
        let mut start = 0;
        while start < n {
            let end = (start + batch_size).min(n);
            let out = self.forward(x.slice_axis(Axis(0), (start..end).into()), Mode::Eval)?;
            let out =
                out.into_dimensionality::<ndarray::Ix2>()
                    .map_err(|_| Error::ShapeMismatch {
                        what: "network output (logits [n, classes])",
                        expected: vec![end - start, usize::MAX],
                        got: vec![],
                    })?;
            grad.resize(out.len(), 0.0);
            let s = cross_entropy_into(out, &labels[start..end], &mut grad)?;
            loss_sum += s.loss * (end - start) as f64;
            correct += s.correct;
            start = end;
        }
        Ok((loss_sum / n as f64, correct as f64 / n as f64))
    }
}
