//! LeNet-5 builders with PyTorch's parameter names.

use serde::{Deserialize, Serialize};

use super::Sequential;
use super::layers::{Conv2d, Conv2dConfig, Flatten, Linear, MaxPool2d, ReLU, splitmix64};
use crate::error::{Error, Result};

/// Which LeNet-5 input the network takes.
///
/// # Example
/// ```
/// use oxilearn::nn::{LeNet5, LeNetInput};
/// assert_eq!(LeNet5::cifar10().input(), LeNetInput::Cifar10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LeNetInput {
    /// `1 × 28 × 28` (MNIST); conv1 has padding 2.
    Mnist,
    /// `3 × 32 × 32` (CIFAR-10).
    Cifar10,
    /// `1 × 8 × 8` (scikit-learn digits): 3×3 kernels with padding 1, so
    /// fc1 takes `16·2·2 = 64` features.
    Digits,
}

/// LeNet-5:
/// `conv1(→6, k5) → ReLU → maxpool 2 → conv2(6→16, k5) → ReLU → maxpool 2 →
/// flatten → fc1(400→120) → ReLU → fc2(120→84) → ReLU → fc3(84→10)`,
/// with PyTorch's parameter names (`conv1.weight` `[6, c, 5, 5]`,
/// `fc1.weight` `[120, 400]` …) and PyTorch's default initialisation, seeded.
///
/// # Shapes
/// - [`LeNet5::mnist`]: input `[n, 1, 28, 28]` (conv1 padding 2)
/// - [`LeNet5::cifar10`]: input `[n, 3, 32, 32]`
/// - [`LeNet5::digits`]: input `[n, 1, 8, 8]` (3×3 kernels, padding 1, fc1 64→120)
/// - output: logits `[n, 10]`
///
/// # Example
/// ```
/// use oxilearn::nn::{LeNet5, Mode};
/// use oxilearn::ndarray::Array4;
/// let mut net = LeNet5::cifar10().seed(7).build()?;
/// assert_eq!(net.n_parameters(), 62_006);
/// assert!(LeNet5::cifar10().n_classes(0).build().is_err());
/// let logits = net.forward(Array4::<f32>::zeros((2, 3, 32, 32)).view(), Mode::Eval)?;
/// assert_eq!(logits.shape(), &[2, 10]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LeNet5 {
    input: LeNetInput,
    seed: u64,
    n_classes: usize,
}

impl LeNet5 {
    /// LeNet-5 for `1 × 28 × 28` images (conv1 padding 2), seed 0.
    pub fn mnist() -> Self {
        Self::with_input(LeNetInput::Mnist)
    }

    /// LeNet-5 for `3 × 32 × 32` images, seed 0.
    pub fn cifar10() -> Self {
        Self::with_input(LeNetInput::Cifar10)
    }

    /// The LeNet variant for `1 × 8 × 8` digits, seed 0.
    pub fn digits() -> Self {
        Self::with_input(LeNetInput::Digits)
    }

    /// LeNet-5 for `input`, seed 0, 10 classes.
    pub fn with_input(input: LeNetInput) -> Self {
        LeNet5 {
            input,
            seed: 0,
            n_classes: 10,
        }
    }

    /// Seed of the initialisation (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Number of output classes of fc3 (default 10; at least 2, checked by
    /// [`build`](Self::build)).
    pub fn n_classes(mut self, n_classes: usize) -> Self {
        self.n_classes = n_classes;
        self
    }

    /// The input variant.
    pub fn input(&self) -> LeNetInput {
        self.input
    }

    /// The image shape `[channels, height, width]` the network takes.
    pub fn input_shape(&self) -> [usize; 3] {
        match self.input {
            LeNetInput::Mnist => [1, 28, 28],
            LeNetInput::Cifar10 => [3, 32, 32],
            LeNetInput::Digits => [1, 8, 8],
        }
    }

    /// Builds the network with freshly initialised parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for fewer than 2 classes.
    pub fn build(&self) -> Result<Sequential> {
        if self.n_classes < 2 {
            return Err(Error::invalid(
                "n_classes",
                format!("must be at least 2, got {}", self.n_classes),
            ));
        }
        let (c, k, pad1, pad2, flat) = match self.input {
            LeNetInput::Mnist => (1, 5, 2, 0, 16 * 5 * 5),
            LeNetInput::Cifar10 => (3, 5, 0, 0, 16 * 5 * 5),
            LeNetInput::Digits => (1, 3, 1, 1, 16 * 2 * 2),
        };
        let s = |i: u64| splitmix64(self.seed ^ splitmix64(i));
        let cfg = |padding: usize| Conv2dConfig::padding(padding);
        let net = Sequential::new()
            .seed(self.seed)
            .add("conv1", Conv2d::new(c, 6, k, cfg(pad1), s(1))?)
            .add("relu1", ReLU::new())
            .add("pool1", MaxPool2d::new(2)?)
            .add("conv2", Conv2d::new(6, 16, k, cfg(pad2), s(2))?)
            .add("relu2", ReLU::new())
            .add("pool2", MaxPool2d::new(2)?)
            .add("flatten", Flatten::new())
            .add("fc1", Linear::new(flat, 120, s(3))?)
            .add("relu3", ReLU::new())
            .add("fc2", Linear::new(120, 84, s(4))?)
            .add("relu4", ReLU::new())
            .add("fc3", Linear::new(84, self.n_classes, s(5))?);
        net.with_input_shape(&self.input_shape())
    }
}
