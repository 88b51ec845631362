//! Small convolutional networks in `f32`: layers with hand-written backward
//! passes, softmax cross-entropy, SGD and Adam with PyTorch's semantics, a
//! [`Sequential`] container, [`LeNet5`] builders and a training loop.
//!
//! # When to use
//! Training and running LeNet-class CNNs (tens of thousands to a few million
//! parameters) on the CPU, without Python, with weights that move to and from
//! PyTorch: parameter names and layouts are PyTorch's `state_dict`
//! (`conv1.weight` `[6, 3, 5, 5]`, `fc1.weight` `[120, 400]` …) and weight
//! files are plain safetensors.
//!
//! # Design
//! - Images are `f32` in NCHW order. Every layer caches what its backward
//!   pass needs during a [`Mode::Train`] forward pass and reuses its output
//!   and gradient buffers, so a training loop with a fixed batch size does not
//!   allocate after the first step.
//! - Each convolution picks its kernels by layer shape (chosen by
//!   measurement): stride-1 3×3 layers with at least 16 channels on both
//!   sides (the Keras CNN's, ResNet's) run Winograd F(2×2, 3×3), whose
//!   products are 16 GEMMs over the image tiles, for the forward pass and
//!   both gradients (with AVX2 or AVX-512, in register-tiled kernels that
//!   read their operands in place, as are the training pass's fully
//!   connected products); other stride-1 convolutions with outputs at least 8
//!   wide (LeNet's) run direct, register-tiled kernels (AVX2 / AVX-512 when
//!   the CPU has them): no im2col, no packing; the input gradient is the
//!   forward kernel applied to the padded output gradient with the flipped
//!   kernel. The rest are lowered to GEMM through [`crate::linalg`] (im2col
//!   from a zero-padded copy of each plane, with the batch folded into the
//!   GEMM's N dimension; backward as two GEMMs plus col2im). All work on fixed chunks of images processed in parallel
//!   with rayon; gradients of the chunks are summed in a fixed order, so the
//!   same seed gives the same result on any thread count.
//! - A training step runs each chunk of images through the layers up to the
//!   first large fully connected layer (at least 2¹⁸ weights) and back on
//!   one thread; that layer and the ones after it run on the whole batch
//!   in between, so that its weights are read once per block of 32 rows
//!   rather than once per chunk.
//! - [`Sequential`] runs some neighbouring layers as one pass: ReLU → max
//!   pooling, and convolution → batch norm (folded into the convolution's
//!   weights in evaluation, with a following ReLU applied while each chunk
//!   is in cache; in training, without the batch norm's copy of its input).
//! - The element-wise passes and sums (batch norm, activations, residual
//!   additions) are compiled for AVX-512F or AVX2 where the CPU has them, with
//!   the bits of the baseline code (no contraction into FMA).
//! - Initialisation follows PyTorch's defaults (Kaiming-uniform with
//!   `a = √5`, i.e. `U(±1/√fan_in)`, for weights and biases), seeded.
//!
//! # Example
//! ```
//! use oxilearn::nn::{LeNet5, Mode, Sgd, TrainConfig};
//! use oxilearn::ndarray::{Array1, Array4};
//!
//! // 8×8 images: class 1 has a bright left half.
//! let x = Array4::from_shape_fn((64, 1, 8, 8), |(i, _, _, w)| if i % 2 == 1 && w < 4 { 1.0 } else { 0.0 });
//! let y = Array1::from_shape_fn(64, |i| i % 2);
//! let mut net = LeNet5::digits().seed(0).build()?;
//! let mut opt = Sgd::new(0.05).momentum(0.9);
//! let history = TrainConfig::new().epochs(15).batch_size(16).fit(&mut net, &mut opt, x.view(), y.view())?;
//! assert!(history.last().unwrap().accuracy > 0.9);
//! let classes = net.predict_classes(x.view())?;
//! assert_eq!(classes[1], 1);
//! # Ok::<(), oxilearn::Error>(())
//! ```

mod augment;
mod buf;
mod checkpoint;
mod keras_cnn;
mod labels;
mod layers;
mod lenet;
mod loader;
mod loss;
mod optim;
mod persist;
mod pipeline;
mod resnet;
mod schedule;
mod sequential;
mod train;

pub use augment::Augment;
pub use checkpoint::Checkpoint;
pub use keras_cnn::KerasCnn;
pub use labels::ClassIndex;
pub use layers::{
    AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, BatchNormConfig, Buffer, Conv2d,
    Conv2dConfig, Dropout, Dropout2d, Flatten, Gelu, GeluApproximation, Layer, LayerBase,
    LeakyReLU, Linear, MaxPool2d, Mode, Padding, Param, ReLU, Residual, Sigmoid, Tanh,
};
pub use lenet::{LeNet5, LeNetInput};
pub use loader::{Batch, DataLoader};
pub use loss::{cross_entropy, cross_entropy_with_grad};
pub use optim::{Adam, Optimizer, OptimizerState, Sgd, clip_grad_norm};
pub use resnet::ResNet;
pub use schedule::{
    Anneal, CosineAnnealingLr, ExponentialLr, LrScheduler, OneCycleLr, PlateauMode,
    ReduceLrOnPlateau, SchedulerInterval, StepLr,
};
pub use sequential::{Sequential, StepStats, Summary, SummaryRow};
pub use train::{EarlyStopping, EpochStats, History, Monitor, Progress, TrainConfig};
