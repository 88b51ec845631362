//! The training loop: epochs, seeded shuffling, mini-batches, per-epoch loss
//! and accuracy, evaluation, progress callback.

use std::time::Instant;

use ndarray::{ArrayView1, ArrayView4, Axis};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::Sequential;
use super::layers::Mode;
use super::loss::cross_entropy_into;
use super::optim::Optimizer;
use crate::error::{Error, Result};

/// How to train: epochs, batch size, shuffling seed.
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
/// let y = Array1::from_shape_fn(20, |i| i % 2);
/// let mut opt = Sgd::new(0.1).momentum(0.9);
/// let history = TrainConfig::new().epochs(20).batch_size(5).fit(&mut net, &mut opt, x.view(), y.view())?;
/// assert_eq!(history.epochs.len(), 20);
/// assert_eq!(history.last().unwrap().accuracy, 1.0);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainConfig {
    epochs: usize,
    batch_size: usize,
    seed: u64,
    shuffle: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 10,
            batch_size: 64,
            seed: 0,
            shuffle: true,
        }
    }
}

/// Statistics of one epoch.
///
/// # Example
/// ```
/// use oxilearn::nn::EpochStats;
/// let s = EpochStats { epoch: 1, loss: 0.3, accuracy: 0.9, val_loss: None,
///                      val_accuracy: None, seconds: 1.0, images_per_second: 100.0 };
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

impl TrainConfig {
    /// The defaults: 10 epochs, batches of 64, seed 0, shuffling on.
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

    /// Seed of the shuffling (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Reshuffle the training set every epoch (default true).
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// Trains `net` on images `x` `[n, c, h, w]` with class indices `y`.
    ///
    /// # Errors
    /// As [`fit_with`](Self::fit_with).
    pub fn fit(
        &self,
        net: &mut Sequential,
        optimizer: &mut dyn Optimizer,
        x: ArrayView4<'_, f32>,
        y: ArrayView1<'_, usize>,
    ) -> Result<History> {
        self.fit_with(net, optimizer, x, y, None, &mut |_| {})
    }

    /// Trains `net`, evaluating on `validation` after every epoch and
    /// calling `progress` after every batch and epoch.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for zero epochs or batch size or a target
    /// that is not a class index; [`Error::EmptyInput`] without images;
    /// [`Error::ShapeMismatch`] if `y` does not have one label per image or
    /// the images do not fit the network; [`Error::NonFinite`] for NaN/inf
    /// pixels; [`Error::NumericalFailure`] (operation `"training"`, the reason
    /// naming the batch, e.g. `"training batch 17 of epoch 2: loss is NaN"`,
    /// batches counted from 0) when the loss stops being finite.
    pub fn fit_with(
        &self,
        net: &mut Sequential,
        optimizer: &mut dyn Optimizer,
        x: ArrayView4<'_, f32>,
        y: ArrayView1<'_, usize>,
        validation: Option<(ArrayView4<'_, f32>, ArrayView1<'_, usize>)>,
        progress: &mut dyn FnMut(&Progress<'_>),
    ) -> Result<History> {
        if self.epochs == 0 {
            return Err(Error::invalid("epochs", "must be at least 1, got 0"));
        }
        if self.batch_size == 0 {
            return Err(Error::invalid("batch_size", "must be at least 1, got 0"));
        }
        check_images(x, y)?;
        if let Some((vx, vy)) = validation {
            check_images(vx, vy)?;
        }
        let n = x.shape()[0];
        let image_shape = x.shape()[1..].to_vec();
        let x = x.as_standard_layout();
        let xs = x.as_slice().expect("standard layout");
        let labels: Vec<usize> = y.to_vec();
        let mut order: Vec<usize> = (0..n).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let n_batches = n.div_ceil(self.batch_size);
        let mut targets = Vec::with_capacity(self.batch_size);
        let mut history = History::default();
        for epoch in 1..=self.epochs {
            if self.shuffle {
                order.shuffle(&mut rng);
            }
            let start = Instant::now();
            let (mut loss_sum, mut correct) = (0.0f64, 0usize);
            for (b, idx) in order.chunks(self.batch_size).enumerate() {
                targets.clear();
                targets.extend(idx.iter().map(|&i| labels[i]));
                let batch = net.gather(xs, &image_shape, idx);
                let step = net.train_step(batch.view(), &targets, optimizer);
                net.recycle(batch);
                let stats = step.map_err(|e| match e {
                    Error::NumericalFailure { operation, reason } => Error::NumericalFailure {
                        operation,
                        reason: format!("training batch {b} of epoch {epoch}: {reason}"),
                    },
                    e => e,
                })?;
                loss_sum += stats.loss * idx.len() as f64;
                correct += stats.correct;
                progress(&Progress::Batch {
                    epoch,
                    n_epochs: self.epochs,
                    batch: b,
                    n_batches,
                    loss: stats.loss,
                });
            }
            let seconds = start.elapsed().as_secs_f64();
            let (val_loss, val_accuracy) = match validation {
                Some((vx, vy)) => {
                    let (l, a) = net.evaluate(vx, vy, self.batch_size.max(256))?;
                    (Some(l), Some(a))
                }
                None => (None, None),
            };
            let stats = EpochStats {
                epoch,
                loss: loss_sum / n as f64,
                accuracy: correct as f64 / n as f64,
                val_loss,
                val_accuracy,
                seconds,
                images_per_second: n as f64 / seconds.max(1e-12),
            };
            progress(&Progress::Epoch(&stats));
            history.epochs.push(stats);
        }
        Ok(history)
    }
}

fn check_images(x: ArrayView4<'_, f32>, y: ArrayView1<'_, usize>) -> Result<()> {
    if x.shape()[0] == 0 {
        return Err(Error::EmptyInput {
            what: "x (no images)",
        });
    }
    if y.len() != x.shape()[0] {
        return Err(Error::ShapeMismatch {
            what: "y (one label per image of x)",
            expected: vec![x.shape()[0]],
            got: vec![y.len()],
        });
    }
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
    /// indices `y`, in evaluation mode, in batches of `batch_size`.
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
    /// let (loss, acc) = net.evaluate(Array4::zeros((6, 1, 2, 2)).view(), Array1::zeros(6).view(), 4)?;
    /// assert!(loss > 0.0);
    /// assert!((0.0..=1.0).contains(&acc));
    /// # Ok::<(), oxilearn::Error>(())
    /// ```
    pub fn evaluate(
        &mut self,
        x: ArrayView4<'_, f32>,
        y: ArrayView1<'_, usize>,
        batch_size: usize,
    ) -> Result<(f64, f64)> {
        if batch_size == 0 {
            return Err(Error::invalid("batch_size", "must be at least 1, got 0"));
        }
        check_images(x, y)?;
        let n = x.shape()[0];
        let labels: Vec<usize> = y.to_vec();
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
