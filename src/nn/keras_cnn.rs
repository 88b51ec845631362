//! The classic Keras MNIST CNN as a builder.

use serde::{Deserialize, Serialize};

use super::Sequential;
use super::layers::{Conv2d, Conv2dConfig, Dropout, Flatten, Linear, MaxPool2d, Padding, ReLU};
use crate::error::{Error, Result};

/// The CNN of the classic Keras MNIST example, with PyTorch's parameter
/// names and default initialisation:
/// `conv1(→32, 3×3, same) → ReLU → conv2(32→64, 3×3, same) → ReLU →
/// maxpool 2 → [dropout 0.25] → flatten → fc1(→128) → ReLU → [dropout 0.5]
/// → fc2(128→classes)` (the dropouts only with [`dropout`](Self::dropout)).
/// Train it with Adam(1e-3) and softmax cross-entropy, as Keras does.
///
/// Every layer's seed derives from the builder's [`seed`](Self::seed) and
/// the layer's name; `fc1`'s input size follows from the input shape.
///
/// # Shapes
/// - [`KerasCnn::mnist`]: input `[n, 1, 28, 28]`, fc1 takes 64·14·14 = 12 544
/// - [`KerasCnn::cifar10`]: input `[n, 3, 32, 32]`, fc1 takes 64·16·16 = 16 384
/// - [`KerasCnn::with_input`]: any `[n, c, h, w]` (h, w ≥ 2)
/// - output: logits `[n, classes]`
///
/// # Example
/// ```
/// use oxilearn::nn::{KerasCnn, Mode};
/// use oxilearn::ndarray::Array4;
/// let mut net = KerasCnn::mnist().seed(7).build()?;
/// assert_eq!(net.n_parameters(), 1_625_866);
/// let names: Vec<String> = net.params().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names[..2], ["conv1.weight", "conv1.bias"]);
/// let logits = net.forward(Array4::<f32>::zeros((2, 1, 28, 28)).view(), Mode::Eval)?;
/// assert_eq!(logits.shape(), &[2, 10]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KerasCnn {
    input: [usize; 3],
    seed: u64,
    n_classes: usize,
    dropout: bool,
}

impl KerasCnn {
    /// For `1 × 28 × 28` images (MNIST, Fashion-MNIST), seed 0, 10 classes.
    pub fn mnist() -> Self {
        Self::with_input(1, 28, 28)
    }

    /// For `3 × 32 × 32` images (CIFAR-10), seed 0, 10 classes.
    pub fn cifar10() -> Self {
        Self::with_input(3, 32, 32)
    }

    /// For `channels × height × width` images, seed 0, 10 classes.
    pub fn with_input(channels: usize, height: usize, width: usize) -> Self {
        KerasCnn {
            input: [channels, height, width],
            seed: 0,
            n_classes: 10,
            dropout: false,
        }
    }

    /// Seed of the initialisation and of the dropout masks (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Number of classes (default 10; at least 2, checked by
    /// [`build`](Self::build)).
    pub fn n_classes(mut self, n_classes: usize) -> Self {
        self.n_classes = n_classes;
        self
    }

    /// Keras' dropouts: 0.25 after the pooling and 0.5 after fc1 (default
    /// false, the network of the benchmarks).
    pub fn dropout(mut self, dropout: bool) -> Self {
        self.dropout = dropout;
        self
    }

    /// The image shape `[channels, height, width]` the network takes.
    pub fn input_shape(&self) -> [usize; 3] {
        self.input
    }

    /// Builds the network with freshly initialised parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for fewer than 2 classes, no channels,
    /// or images smaller than the 2 × 2 pooling window.
    pub fn build(&self) -> Result<Sequential> {
        if self.n_classes < 2 {
            return Err(Error::invalid(
                "n_classes",
                format!("must be at least 2, got {}", self.n_classes),
            ));
        }
        let [c, h, w] = self.input;
        if c == 0 || h < 2 || w < 2 {
            return Err(Error::invalid(
                "input",
                format!("needs channels ≥ 1 and images of at least 2 × 2, got {c} × {h} × {w}"),
            ));
        }
        let same = Conv2dConfig::padding(Padding::Same);
        let mut net = Sequential::new()
            .seed(self.seed)
            .add("conv1", Conv2d::lazy(32, 3, same)?)
            .add("relu1", ReLU::new())
            .add("conv2", Conv2d::lazy(64, 3, same)?)
            .add("relu2", ReLU::new())
            .add("pool", MaxPool2d::new(2)?);
        if self.dropout {
            net = net.add("drop1", Dropout::unseeded(0.25)?);
        }
        net = net
            .add("flatten", Flatten::new())
            .add("fc1", Linear::lazy(128)?)
            .add("relu3", ReLU::new());
        if self.dropout {
            net = net.add("drop2", Dropout::unseeded(0.5)?);
        }
        net.add("fc2", Linear::lazy(self.n_classes)?)
            .with_input_shape(&self.input)
    }
}
