//! The CIFAR ResNets of He et al. (2016), as a builder.

use serde::{Deserialize, Serialize};

use super::Sequential;
use super::layers::{
    AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Conv2dConfig, Flatten, Linear, Padding, ReLU, Residual,
};
use crate::error::{Error, Result};

/// A CIFAR-style ResNet of depth `6n + 2` (He, Zhang, Ren, Sun, *Deep
/// Residual Learning for Image Recognition*, 2016, section 4.2): a 3×3
/// convolution, three stages of `n` basic blocks with `w`, `2w` and `4w`
/// channels (the first block of stages 2 and 3 halves the image with
/// stride 2 and a projection shortcut: 1×1 convolution + batch norm),
/// global average pooling and a fully connected layer. ResNet-8 (`n = 1`)
/// is the default.
///
/// Names follow a PyTorch module with attributes `conv1`, `bn1`, `layer1` …
/// `layer3` (each an `nn.Sequential` of blocks `0`, `1` …, whose attributes
/// are `conv1`, `bn1`, `conv2`, `bn2` and `shortcut`) and `fc`:
/// `layer2.0.shortcut.0.weight`, `layer3.0.bn2.running_var` … Convolutions
/// have no bias (batch norm follows each); initialisation is PyTorch's
/// default, from the builder's seed.
///
/// # Shapes
/// - input: `[n, c, h, w]` as set by [`cifar10`](Self::cifar10) (3 × 32 × 32),
///   [`mnist`](Self::mnist) (1 × 28 × 28) or [`with_input`](Self::with_input)
/// - output: logits `[n, classes]`
///
/// # Example
/// ```
/// use oxilearn::nn::{Mode, ResNet};
/// use oxilearn::ndarray::Array4;
/// let mut net = ResNet::cifar10().build()?;
/// assert_eq!(net.n_parameters(), 78_042);
/// assert!(net.layer("layer2").is_some());
/// let logits = net.forward(Array4::<f32>::zeros((2, 3, 32, 32)).view(), Mode::Eval)?;
/// assert_eq!(logits.shape(), &[2, 10]);
/// assert!(ResNet::cifar10().depth(9).build().is_err());
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResNet {
    input: [usize; 3],
    depth: usize,
    width: usize,
    n_classes: usize,
    seed: u64,
}

impl ResNet {
    /// ResNet-8 for `3 × 32 × 32` images, width 16, 10 classes, seed 0.
    pub fn cifar10() -> Self {
        Self::with_input(3, 32, 32)
    }

    /// ResNet-8 for `1 × 28 × 28` images, width 16, 10 classes, seed 0.
    pub fn mnist() -> Self {
        Self::with_input(1, 28, 28)
    }

    /// ResNet-8 for `channels × height × width` images.
    pub fn with_input(channels: usize, height: usize, width: usize) -> Self {
        ResNet {
            input: [channels, height, width],
            depth: 8,
            width: 16,
            n_classes: 10,
            seed: 0,
        }
    }

    /// Depth `6n + 2` (8, 14, 20, 32, 44, 56, 110 …; default 8).
    pub fn depth(mut self, depth: usize) -> Self {
        self.depth = depth;
        self
    }

    /// Channels of the first stage (default 16; the stages have `w`, `2w`,
    /// `4w`).
    pub fn width(mut self, width: usize) -> Self {
        self.width = width;
        self
    }

    /// Number of classes (default 10).
    pub fn n_classes(mut self, n_classes: usize) -> Self {
        self.n_classes = n_classes;
        self
    }

    /// Seed of the initialisation (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The image shape `[channels, height, width]` the network takes.
    pub fn input_shape(&self) -> [usize; 3] {
        self.input
    }

    /// Builds the network with freshly initialised parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a depth that is not `6n + 2` with
    /// `n ≥ 1`, a zero width or channel count, or fewer than 2 classes.
    pub fn build(&self) -> Result<Sequential> {
        if self.depth < 8 || !(self.depth - 2).is_multiple_of(6) {
            return Err(Error::invalid(
                "depth",
                format!(
                    "must be 6n + 2 with n ≥ 1 (8, 14, 20 …), got {}",
                    self.depth
                ),
            ));
        }
        if self.width == 0 || self.input[0] == 0 {
            return Err(Error::invalid(
                "width",
                "widths and channels must be at least 1",
            ));
        }
        if self.n_classes < 2 {
            return Err(Error::invalid(
                "n_classes",
                format!("must be at least 2, got {}", self.n_classes),
            ));
        }
        let n = (self.depth - 2) / 6;
        let w = self.width;
        let conv = |cout, k, stride, padding| {
            Conv2d::lazy(
                cout,
                k,
                Conv2dConfig {
                    stride,
                    padding,
                    bias: false,
                },
            )
        };
        let mut net = Sequential::new()
            .seed(self.seed)
            .add("conv1", conv(w, 3, 1, Padding::Same)?)
            .add("bn1", BatchNorm2d::new(w)?)
            .add("relu", ReLU::new());
        let mut cin = w;
        for (stage, (cout, stride)) in [(w, 1), (2 * w, 2), (4 * w, 2)].into_iter().enumerate() {
            let mut blocks = Sequential::new();
            for b in 0..n {
                let s = if b == 0 { stride } else { 1 };
                let body = Sequential::new()
                    .add("conv1", conv(cout, 3, s, Padding::Fixed(1))?)
                    .add("bn1", BatchNorm2d::new(cout)?)
                    .add("relu1", ReLU::new())
                    .add("conv2", conv(cout, 3, 1, Padding::Same)?)
                    .add("bn2", BatchNorm2d::new(cout)?);
                let mut block = Residual::new(body)?.relu_after(true);
                if s != 1 || cin != cout {
                    let shortcut = Sequential::new()
                        .push(conv(cout, 1, s, Padding::Fixed(0))?)
                        .push(BatchNorm2d::new(cout)?);
                    block = block.with_shortcut(shortcut)?;
                }
                blocks = blocks.push(block);
                cin = cout;
            }
            net = net.add(&format!("layer{}", stage + 1), blocks);
        }
        net.add("pool", AdaptiveAvgPool2d::global())
            .add("flatten", Flatten::new())
            .add("fc", Linear::lazy(self.n_classes)?)
            .with_input_shape(&self.input)
    }
}
