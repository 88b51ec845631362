//! Training checkpoints: [`Checkpoint`].

use std::path::Path;

use ndarray::ArrayD;
use serde::{Deserialize, Serialize};

use super::Sequential;
use super::optim::{Optimizer, OptimizerState};
use crate::error::{Error, Result};
use crate::persist::ModelFile;

/// The model-file kind of a checkpoint.
const KIND: &str = "TrainingCheckpoint";

/// The training loop's own state in a checkpoint (crate-internal): what
/// [`TrainConfig`](super::TrainConfig) needs to continue where it stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LoopState {
    /// Batch size and seed of the run (resuming with others would not give
    /// the same run).
    pub(crate) batch_size: usize,
    pub(crate) seed: u64,
    pub(crate) shuffle: bool,
    pub(crate) history: super::History,
    pub(crate) scheduler: Option<serde_json::Value>,
    pub(crate) early_stopping: Option<super::train::EarlyState>,
    /// Whether early stopping ended the run.
    pub(crate) stopped: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Meta {
    epoch: usize,
    optimizer_kind: String,
    optimizer: serde_json::Value,
    layers: serde_json::Map<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    train: Option<LoopState>,
}

/// Everything needed to continue training bit-identically: the network's
/// parameters and buffers, the optimizer's state (moments, step count,
/// learning rate), the random-stream positions of dropout layers and the
/// number of finished epochs (plus, when written by
/// [`TrainConfig`](super::TrainConfig), the schedule, early-stopping state
/// with its best weights, and the history). Saved atomically (a failed save
/// leaves the previous checkpoint intact) as an oxilearn model file of kind
/// `TrainingCheckpoint`.
///
/// # Example
/// ```
/// use oxilearn::nn::{Adam, Checkpoint, LeNet5};
/// let mut net = LeNet5::digits().build()?;
/// let mut opt = Adam::new(1e-3);
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-ckpt-{}.safetensors", std::process::id()));
/// Checkpoint::capture(&net, &opt, 3)?.save(&path)?;
/// let ckpt = Checkpoint::load(&path)?;
/// assert_eq!(ckpt.epoch(), 3);
/// let mut fresh = LeNet5::digits().seed(9).build()?;
/// let mut fresh_opt = Adam::new(1e-3);
/// ckpt.restore(&mut fresh, &mut fresh_opt)?;
/// assert_eq!(fresh.state_dict(), net.state_dict());
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Checkpoint {
    epoch: usize,
    model: Vec<(String, ArrayD<f32>)>,
    integer: Vec<String>,
    optimizer: OptimizerState,
    layers: serde_json::Map<String, serde_json::Value>,
    pub(crate) train: Option<LoopState>,
    pub(crate) best: Option<Vec<(String, ArrayD<f32>)>>,
}

impl Checkpoint {
    /// The state of `net` and `optimizer` after `epoch` finished epochs.
    ///
    /// # Errors
    /// None today (`Result` for state capture that can fail).
    pub fn capture(net: &Sequential, optimizer: &dyn Optimizer, epoch: usize) -> Result<Self> {
        Ok(Checkpoint {
            epoch,
            model: net.state_dict(),
            integer: net
                .buffers()
                .into_iter()
                .filter(|(_, b)| b.is_integer())
                .map(|(n, _)| n)
                .collect(),
            optimizer: optimizer.state_dict(),
            layers: net.extra_states(),
            train: None,
            best: None,
        })
    }

    /// Finished epochs.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// The network's parameters and buffers by `state_dict` name.
    pub fn model_state(&self) -> &[(String, ArrayD<f32>)] {
        &self.model
    }

    /// Sets `net` and `optimizer` to the captured state.
    ///
    /// # Errors
    /// [`Error::Format`] if `net` has other parameters or layers than the
    /// checkpoint's network, a layer refuses its saved state (a dropout
    /// stream that is not one), or `optimizer` is of another kind or refuses
    /// its saved state; neither `net` nor `optimizer` is changed then.
    pub fn restore(&self, net: &mut Sequential, optimizer: &mut dyn Optimizer) -> Result<()> {
        let kind = optimizer.state_dict().kind;
        if kind != self.optimizer.kind {
            return Err(Error::format(
                "checkpoint",
                format!(
                    "the optimizer state is a {}'s, the optimizer a {kind}",
                    self.optimizer.kind
                ),
            ));
        }
        let shapes: Vec<Vec<usize>> = net
            .params()
            .iter()
            .map(|(_, p)| p.shape().to_vec())
            .collect();
        for (name, t) in &self.optimizer.tensors {
            let i = name
                .rsplit('.')
                .next()
                .and_then(|i| i.parse::<usize>().ok())
                .filter(|&i| i < shapes.len());
            if i.is_none_or(|i| shapes[i] != t.shape()) {
                return Err(Error::format(
                    "checkpoint",
                    format!("optimizer tensor `{name}` does not match the network's parameters"),
                ));
            }
        }
        // Everything is checked before anything is applied: the network's
        // state goes into a copy first (load_state_dict and the layers'
        // set_extra_state can each refuse part of it), the optimizer's
        // load_state_dict changes nothing when it refuses, and the copy
        // replaces `net` only once both have succeeded.
        let mut restored = net.clone();
        restored.load_state_dict(self.model.clone())?;
        restored.set_extra_states(&self.layers)?;
        optimizer.load_state_dict(self.optimizer.clone())?;
        *net = restored;
        Ok(())
    }

    /// Writes the checkpoint to `path` atomically.
    ///
    /// # Errors
    /// [`Error::Io`]; an existing file at `path` is then untouched.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let meta = Meta {
            epoch: self.epoch,
            optimizer_kind: self.optimizer.kind.clone(),
            optimizer: self.optimizer.hyperparameters.clone(),
            layers: self.layers.clone(),
            train: self.train.clone(),
        };
        let mut file = ModelFile::new(KIND, "f32").with_hyperparameters(&meta)?;
        for (name, t) in &self.model {
            if self.integer.contains(name) {
                file.push_i64(&format!("model.{name}"), t.mapv(|v| v as i64));
            } else {
                file.push_f32(&format!("model.{name}"), t.clone());
            }
        }
        for (name, t) in &self.optimizer.tensors {
            file.push_f32(&format!("optimizer.{name}"), t.clone());
        }
        if let Some(best) = &self.best {
            for (name, t) in best {
                if self.integer.contains(name) {
                    file.push_i64(&format!("best.{name}"), t.mapv(|v| v as i64));
                } else {
                    file.push_f32(&format!("best.{name}"), t.clone());
                }
            }
        }
        file.write(path)
    }

    /// Reads a checkpoint written by [`save`](Self::save).
    ///
    /// # Errors
    /// [`Error::Io`]; [`Error::Format`] for a file that is not a checkpoint
    /// (another model kind, corrupt, non-finite values).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let mut file = ModelFile::read(path)?;
        if file.metadata.kind != KIND {
            return Err(Error::WrongModelKind {
                expected: KIND.to_string(),
                found: file.metadata.kind.clone(),
            });
        }
        let meta: Meta = file.hyperparameters()?;
        let names: Vec<String> = file.tensor_names().iter().map(|s| s.to_string()).collect();
        let (mut model, mut tensors, mut best, mut integer) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for name in names {
            let t = match file.tensor(&name).map(|t| t.dtype()) {
                Some("i64") => {
                    let t = file.take_i64(&name)?;
                    if let Some(n) = name.strip_prefix("model.") {
                        integer.push(n.to_string());
                    }
                    t.mapv(|v| v as f32)
                }
                _ => file.take_f32(&name)?,
            };
            if let Some(n) = name.strip_prefix("model.") {
                model.push((n.to_string(), t));
            } else if let Some(n) = name.strip_prefix("optimizer.") {
                tensors.push((n.to_string(), t));
            } else if let Some(n) = name.strip_prefix("best.") {
                best.push((n.to_string(), t));
            } else {
                return Err(file.format_error(format!("unexpected tensor `{name}`")));
            }
        }
        Ok(Checkpoint {
            epoch: meta.epoch,
            model,
            integer,
            optimizer: OptimizerState {
                kind: meta.optimizer_kind,
                hyperparameters: meta.optimizer,
                tensors,
            },
            layers: meta.layers,
            train: meta.train,
            best: (!best.is_empty()).then_some(best),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Adam, Dropout, Flatten, Linear};

    fn net(seed: u64) -> Sequential {
        Sequential::new()
            .seed(seed)
            .add("flatten", Flatten::new())
            .add("fc", Linear::lazy(3).unwrap())
            .add("drop", Dropout::unseeded(0.5).unwrap())
            .with_input_shape(&[1, 2, 2])
            .unwrap()
    }

    /// A checkpoint whose network state is valid but whose dropout state or
    /// optimizer state is refused leaves both the network and the optimizer
    /// exactly as they were (the network state is checked in full first).
    #[test]
    fn a_refused_restore_changes_nothing() {
        let source = net(1);
        let ckpt = Checkpoint::capture(&source, &Adam::new(1e-3), 2).unwrap();
        let mut bad_layer = ckpt.clone();
        bad_layer.layers.insert(
            "drop".into(),
            serde_json::json!({ "seed": "zz", "word_pos": "0" }),
        );
        let mut bad_optimizer = ckpt.clone();
        bad_optimizer.optimizer.hyperparameters = serde_json::json!("not Adam's");
        let mut unknown_layer = ckpt.clone();
        unknown_layer
            .layers
            .insert("nope".into(), serde_json::json!({}));
        for bad in [&bad_layer, &bad_optimizer, &unknown_layer] {
            let mut target = net(2);
            let mut opt = Adam::new(0.5);
            let (weights, streams, opt_state) =
                (target.state_dict(), target.extra_states(), opt.state_dict());
            assert_ne!(weights, source.state_dict());
            let e = bad.restore(&mut target, &mut opt).unwrap_err();
            assert!(matches!(e, Error::Format { .. }), "{e}");
            assert_eq!(target.state_dict(), weights);
            assert_eq!(target.extra_states(), streams);
            assert_eq!(opt.state_dict(), opt_state);
        }
        // The intact checkpoint restores both.
        let mut target = net(2);
        let mut opt = Adam::new(0.5);
        ckpt.restore(&mut target, &mut opt).unwrap();
        assert_eq!(target.state_dict(), source.state_dict());
        assert_eq!(target.extra_states(), source.extra_states());
        assert_eq!(opt.state_dict(), Adam::new(1e-3).state_dict());
    }
}
