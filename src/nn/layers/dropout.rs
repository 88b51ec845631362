//! Dropout: [`Dropout`] (elements) and [`Dropout2d`] (whole channels).

use ndarray::ArrayViewD;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Layer, Mode, check_grad_shape, no_forward_error};
use crate::error::{Error, Result};
use crate::nn::buf::Buf;

/// What both dropouts share: the probability, the random stream, the mask
/// of the last training pass and the buffers (crate-internal).
#[derive(Debug, Clone)]
pub(crate) struct DropCore {
    p: f64,
    /// Zero whole channels (`Dropout2d`) instead of single elements.
    channels: bool,
    /// Whether the stream has its seed (false for `unseeded` layers until
    /// the network seeds them).
    seeded: bool,
    rng: ChaCha8Rng,
    mask: Vec<f32>,
    pub(super) output: Buf,
    pub(super) grad_input: Buf,
    cached: Option<Mode>,
}

impl DropCore {
    fn new(p: f64, seed: u64, channels: bool) -> Result<Self> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::invalid("p", format!("must be in [0, 1], got {p}")));
        }
        Ok(DropCore {
            p,
            channels,
            seeded: true,
            rng: ChaCha8Rng::seed_from_u64(seed),
            mask: Vec::new(),
            output: Buf::default(),
            grad_input: Buf::default(),
            cached: None,
        })
    }

    fn fresh(&self) -> DropCore {
        DropCore {
            p: self.p,
            channels: self.channels,
            seeded: self.seeded,
            rng: self.rng.clone(),
            mask: Vec::new(),
            output: Buf::default(),
            grad_input: Buf::default(),
            cached: None,
        }
    }

    fn check(&self, shape: &[usize]) -> Result<()> {
        if self.channels && shape.len() < 3 {
            return Err(Error::ShapeMismatch {
                what: "dropout2d input [n, c, h, w]",
                expected: vec![usize::MAX, usize::MAX, usize::MAX, usize::MAX],
                got: shape.to_vec(),
            });
        }
        Ok(())
    }

    fn forward(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<ArrayViewD<'_, f32>> {
        self.check(x.shape())?;
        let x = x.as_standard_layout();
        let xs = x.as_slice().expect("standard layout");
        if mode == Mode::Train {
            self.draw_mask(x.shape());
        }
        let out = self.output.reshape(x.shape());
        match mode {
            Mode::Eval => out.copy_from_slice(xs),
            Mode::Train => mask_chunk(xs, &self.mask, out),
        }
        self.cached = Some(mode);
        Ok(self.output.view())
    }

    fn backward(&mut self, grad_output: ArrayViewD<'_, f32>, need_input_grad: bool) -> Result<()> {
        if self.cached != Some(Mode::Train) {
            return Err(no_forward_error());
        }
        check_grad_shape(grad_output.shape(), self.output.shape())?;
        if !need_input_grad {
            return Ok(());
        }
        let g = grad_output.as_standard_layout();
        let gs = g.as_slice().expect("standard layout");
        let gin = self.grad_input.reshape(g.shape());
        mask_chunk(gs, &self.mask, gin);
        Ok(())
    }

    /// A fresh mask for a batch of `shape`: factors 0 with probability `p`,
    /// else `1 / (1 − p)`, one draw per element (or per channel of each
    /// image, repeated over the channel's elements).
    fn draw_mask(&mut self, shape: &[usize]) {
        let scale = if self.p < 1.0 {
            (1.0 / (1.0 - self.p)) as f32
        } else {
            0.0
        };
        let len: usize = shape.iter().product();
        self.mask.clear();
        let (p, rng) = (self.p, &mut self.rng);
        if self.channels {
            let per: usize = shape[2..].iter().product();
            for _ in 0..shape[0] * shape[1] {
                let f = if rng.random::<f64>() < p { 0.0 } else { scale };
                self.mask.extend(std::iter::repeat_n(f, per));
            }
        } else {
            self.mask
                .extend((0..len).map(|_| if rng.random::<f64>() < p { 0.0 } else { scale }));
        }
    }

    /// Draws the mask of a training batch of `shape` and sizes the output
    /// and (if `need_input_grad`) the input-gradient buffer.
    pub(crate) fn plan(&mut self, shape: &[usize], need_input_grad: bool) -> Result<()> {
        self.check(shape)?;
        self.output.reshape(shape);
        if need_input_grad {
            self.grad_input.reshape(shape);
        }
        self.draw_mask(shape);
        self.cached = None;
        Ok(())
    }

    /// The mask of the last [`plan`](Self::plan) with the output and
    /// input-gradient buffers.
    pub(crate) fn split(&mut self) -> (&[f32], &mut [f32], &mut [f32]) {
        (
            &self.mask,
            self.output.as_mut_slice(),
            self.grad_input.as_mut_slice(),
        )
    }

    /// The random stream: its key (hex) and position, so that a restored
    /// layer continues the stream whatever seed it was built with.
    fn extra_state(&self) -> serde_json::Value {
        let seed: String = self
            .rng
            .get_seed()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        serde_json::json!({ "seed": seed, "word_pos": self.rng.get_word_pos().to_string() })
    }

    fn set_extra_state(&mut self, state: &serde_json::Value) -> Result<()> {
        let bad = || {
            Error::format(
                "dropout state",
                "expected {\"seed\": \"<64 hex digits>\", \"word_pos\": \"<u128>\"}",
            )
        };
        let pos = state
            .get("word_pos")
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse::<u128>().ok())
            .ok_or_else(bad)?;
        let hex = state.get("seed").and_then(|v| v.as_str()).ok_or_else(bad)?;
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(bad());
        }
        let mut seed = [0u8; 32];
        for (i, b) in seed.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        let mut rng = ChaCha8Rng::from_seed(seed);
        rng.set_word_pos(pos);
        self.rng = rng;
        self.seeded = true;
        Ok(())
    }
}

macro_rules! dropout_layer {
    ($name:ident, $kind:literal) => {
        impl $name {
            /// The drop probability.
            pub fn p(&self) -> f64 {
                self.core.p
            }

            /// A layer whose stream the network seeds (from the network's
            /// seed and the layer's name, when the network fixes its input
            /// shape or runs its first pass): no seed to pick per layer.
            ///
            /// # Errors
            /// [`Error::InvalidParameter`] unless `0 ≤ p ≤ 1`.
            pub fn unseeded(p: f64) -> Result<Self> {
                let mut d = Self::new(p, 0)?;
                d.core.seeded = false;
                Ok(d)
            }
        }

        impl Layer for $name {
            fn kind(&self) -> &str {
                $kind
            }

            fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
                self.core.check(input)?;
                Ok(input.to_vec())
            }

            fn forward(
                &mut self,
                x: ArrayViewD<'_, f32>,
                mode: Mode,
            ) -> Result<ArrayViewD<'_, f32>> {
                self.core.forward(x, mode)
            }

            fn backward(
                &mut self,
                grad_output: ArrayViewD<'_, f32>,
            ) -> Result<ArrayViewD<'_, f32>> {
                self.core.backward(grad_output, true)?;
                Ok(self.core.grad_input.view())
            }

            fn backward_params(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<()> {
                self.core.backward(grad_output, false)
            }

            fn materialize(&mut self, input: &[usize], seed: u64) -> Result<()> {
                self.core.check(input)?;
                if !self.core.seeded {
                    self.core.rng = ChaCha8Rng::seed_from_u64(seed);
                    self.core.seeded = true;
                }
                Ok(())
            }

            fn is_materialized(&self) -> bool {
                self.core.seeded
            }

            fn extra_state(&self) -> Option<serde_json::Value> {
                Some(self.core.extra_state())
            }

            fn set_extra_state(&mut self, state: &serde_json::Value) -> Result<()> {
                self.core.set_extra_state(state)
            }

            fn fresh(&self) -> Box<dyn Layer> {
                Box::new($name {
                    core: self.core.fresh(),
                })
            }
        }
    };
}

/// Dropout (PyTorch's `nn.Dropout`): in [`Mode::Train`] each element is
/// zeroed with probability `p` and the survivors are scaled by `1/(1 − p)`;
/// in [`Mode::Eval`] it is the identity. The masks come from a ChaCha8
/// stream seeded at construction, so runs are reproducible (PyTorch's own
/// random numbers are not reproduced).
///
/// # Shapes
/// - input: any; output: the same shape.
///
/// # Example
/// ```
/// use oxilearn::nn::{Dropout, Layer, Mode};
/// use oxilearn::ndarray::Array1;
/// let mut drop = Dropout::new(0.5, 42)?;
/// let x = Array1::<f32>::ones(1000);
/// let y = drop.forward(x.view().into_dyn(), Mode::Train)?;
/// assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));
/// let y = drop.forward(x.view().into_dyn(), Mode::Eval)?;
/// assert!(y.iter().all(|&v| v == 1.0));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Dropout {
    pub(crate) core: DropCore,
}

impl Dropout {
    /// Dropout with drop probability `p` (PyTorch's default is 0.5) and a
    /// seed for the masks.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `0 ≤ p ≤ 1`.
    pub fn new(p: f64, seed: u64) -> Result<Self> {
        Ok(Dropout {
            core: DropCore::new(p, seed, false)?,
        })
    }
}

dropout_layer!(Dropout, "Dropout");

/// Channel dropout (PyTorch's `nn.Dropout2d`): in [`Mode::Train`] each
/// channel of each image is zeroed as a whole with probability `p`, the
/// others scaled by `1/(1 − p)`; the identity in [`Mode::Eval`]. Seeded as
/// [`Dropout`].
///
/// # Shapes
/// - input: `[n, c, h, w]` (any trailing dimensions); output: the same.
///
/// # Example
/// ```
/// use oxilearn::nn::{Dropout2d, Layer, Mode};
/// use oxilearn::ndarray::Array4;
/// let mut drop = Dropout2d::new(0.5, 1)?;
/// let y = drop.forward(Array4::<f32>::ones((4, 8, 3, 3)).view().into_dyn(), Mode::Train)?;
/// for plane in y.to_owned().into_shape_with_order((32, 9)).unwrap().rows() {
///     assert!(plane.iter().all(|&v| v == plane[0]) && (plane[0] == 0.0 || plane[0] == 2.0));
/// }
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Dropout2d {
    pub(crate) core: DropCore,
}

impl Dropout2d {
    /// Channel dropout with drop probability `p` and a seed for the masks.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `0 ≤ p ≤ 1`.
    pub fn new(p: f64, seed: u64) -> Result<Self> {
        Ok(Dropout2d {
            core: DropCore::new(p, seed, true)?,
        })
    }
}

dropout_layer!(Dropout2d, "Dropout2d");

/// `out = x · mask` elementwise.
pub(crate) fn mask_chunk(x: &[f32], mask: &[f32], out: &mut [f32]) {
    for ((o, &v), &m) in out.iter_mut().zip(x).zip(mask) {
        *o = v * m;
    }
}
