//! The [`Sequential`] container: named layers applied in order, parameters
//! and buffers addressed by PyTorch `state_dict` names, safetensors weight
//! files, shape inference and [`summary`](Sequential::summary).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use ndarray::{Array1, Array2, ArrayD, ArrayView, ArrayView4, ArrayViewD, Axis, Dimension, IxDyn};

use super::buf::Buf;
use super::labels::ClassIndex;
use super::layers::{
    Buffer, Layer, Mode, Param, ReLU, borrowed_conv_bn, conv_bn_backward, conv_bn_forward,
    conv_bn_train_forward, derive_seed, fused_relu_pool, is_conv_bn, is_relu_pool, relu_grad_input,
    relu_pool_backward, relu_pool_forward,
};
use super::loss::cross_entropy_into;
use super::optim::Optimizer;
use super::pipeline;
use crate::error::{Error, Result};
use crate::persist::TensorData;

/// A list of named layers.
type Layers = Vec<(String, Box<dyn Layer>)>;

/// Layers applied one after another (PyTorch's `nn.Sequential`, or a module
/// whose `forward` calls its children in order).
///
/// Each layer has a name; parameters and buffers are addressed as
/// `"<layer>.weight"`, `"<layer>.running_mean"` … (nested containers add
/// their children's names: `"layer1.0.conv1.weight"`), exactly like a
/// PyTorch `state_dict`, so weight files move between the two (see
/// [`save_safetensors`](Self::save_safetensors) and
/// [`load_safetensors`](Self::load_safetensors)).
///
/// Layers built without their input size ([`Linear::lazy`](super::Linear::lazy),
/// [`Conv2d::lazy`](super::Conv2d::lazy), …) get it, and their initial
/// parameters, when the network learns its input shape:
/// [`with_input_shape`](Self::with_input_shape) or the first forward pass.
/// Their seeds derive from the network's [`seed`](Self::seed) and their
/// names, so no two layers share a random stream.
///
/// A [`ReLU`](super::ReLU) directly followed by a
/// [`MaxPool2d`](super::MaxPool2d) runs as one fused pass (pooling of the
/// rectified values, and one pass for the gradient): same outputs and
/// gradients as the two layers one after the other, but the ReLU's own
/// output is then empty.
///
/// A [`Conv2d`](super::Conv2d) directly followed by a
/// [`BatchNorm2d`](super::BatchNorm2d) over its channels runs as a pair too.
/// In evaluation (with running statistics) the batch norm is folded into
/// the convolution's weight and bias, and a [`ReLU`](super::ReLU) after it
/// is applied in the same pass: the output equals the layers one after the
/// other up to rounding, and the batch norm's and ReLU's own outputs are
/// empty. In training the batch norm reads the convolution's output instead
/// of keeping a copy (same bits as the layers one by one); its backward pass
/// then runs through the network only.
///
/// # Shapes
/// - input: whatever the first layer takes (`[n, c, h, w]` for a CNN)
/// - output: whatever the last layer gives (`[n, classes]` logits)
///
/// # Example
/// ```
/// use oxilearn::nn::{Conv2d, Conv2dConfig, Flatten, Linear, MaxPool2d, Mode, Padding, ReLU, Sequential};
/// use oxilearn::ndarray::Array4;
/// let mut net = Sequential::new()
///     .seed(42)
///     .add("conv1", Conv2d::lazy(8, 3, Conv2dConfig::padding(Padding::Same))?)
///     .add("relu1", ReLU::new())
///     .add("pool", MaxPool2d::new(2)?)
///     .add("flatten", Flatten::new())
///     .add("fc", Linear::lazy(10)?)
///     .with_input_shape(&[1, 28, 28])?;
/// assert_eq!(net.n_parameters(), 8 * 9 + 8 + 8 * 14 * 14 * 10 + 10);
/// let logits = net.forward(Array4::<f32>::zeros((5, 1, 28, 28)).view(), Mode::Eval)?;
/// assert_eq!(logits.shape(), &[5, 10]);
/// println!("{}", net.summary());
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Sequential {
    layers: Layers,
    seed: u64,
    /// The shape of one input (without the batch dimension), once known.
    input_shape: Option<Vec<usize>>,
    loss_grad: Buf,
    targets: Vec<usize>,
}

/// Loss and accuracy of one training step.
///
/// # Example
/// ```
/// use oxilearn::nn::StepStats;
/// let s = StepStats { loss: 0.5, correct: 3, batch_size: 4 };
/// assert_eq!(s.correct, 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepStats {
    /// Mean cross-entropy over the batch (before the update).
    pub loss: f64,
    /// Images whose arg-max logit was the target (before the update).
    pub correct: usize,
    /// Images in the batch.
    pub batch_size: usize,
}

impl Sequential {
    /// An empty network (seed 0).
    pub fn new() -> Self {
        Self::default()
    }

    /// The seed from which lazy layers (and unseeded dropout) draw their
    /// initial state: layer `name` gets a seed derived from this one and
    /// its name (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The network's seed.
    pub fn get_seed(&self) -> u64 {
        self.seed
    }

    /// Appends `layer` named by its position (`"0"`, `"1"` …, as
    /// `nn.Sequential` does).
    ///
    /// # Panics
    /// As [`add`](Self::add).
    pub fn push(self, layer: impl Layer + 'static) -> Self {
        let name = self.layers.len().to_string();
        self.add(&name, layer)
    }

    /// Appends `layer` under `name` (`"conv1"` → parameters `conv1.weight`,
    /// `conv1.bias`).
    ///
    /// # Panics
    /// If `name` is already used, empty or contains a `.` (programming
    /// errors in building the network).
    pub fn add(self, name: &str, layer: impl Layer + 'static) -> Self {
        self.add_boxed(name, Box::new(layer))
    }

    /// [`add`](Self::add) for a boxed layer.
    ///
    /// # Panics
    /// As [`add`](Self::add).
    pub fn add_boxed(mut self, name: &str, layer: Box<dyn Layer>) -> Self {
        assert!(
            !name.is_empty() && !name.contains('.'),
            "layer name `{name}`: names are non-empty and have no `.`"
        );
        assert!(
            self.layers.iter().all(|(n, _)| n != name),
            "layer name `{name}` used twice"
        );
        self.layers.push((name.to_string(), layer));
        self.input_shape = None;
        self
    }

    /// Fixes the shape of one input (`[channels, height, width]` for
    /// images, without the batch dimension): every lazy layer gets its
    /// parameters, every layer's input is checked, and
    /// [`summary`](Self::summary) shows output shapes.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] (from the first layer that does not take
    /// what the previous one gives); [`Error::EmptyInput`] without layers.
    pub fn with_input_shape(mut self, shape: &[usize]) -> Result<Self> {
        let mut full = vec![1];
        full.extend_from_slice(shape);
        self.materialize_from(&full, self.seed)?;
        self.input_shape = Some(shape.to_vec());
        Ok(self)
    }

    /// The shape of one input, once known (from
    /// [`with_input_shape`](Self::with_input_shape), the first forward pass
    /// or the model file).
    pub fn input_shape(&self) -> Option<&[usize]> {
        self.input_shape.as_deref()
    }

    /// Gives every lazy layer its parameters for inputs of `shape` (batch
    /// first) and checks the chain; seeds derive from `seed`.
    fn materialize_from(&mut self, shape: &[usize], seed: u64) -> Result<Vec<usize>> {
        if self.layers.is_empty() {
            return Err(Error::EmptyInput {
                what: "network (no layers)",
            });
        }
        let mut cur = shape.to_vec();
        for (name, layer) in &mut self.layers {
            if !layer.is_materialized() {
                layer.materialize(&cur, derive_seed(seed, name))?;
            }
            cur = layer.output_shape(&cur)?;
        }
        Ok(cur)
    }

    /// Materialises lazy layers for a batch of `shape` if needed and
    /// records the input shape.
    fn prepare(&mut self, shape: &[usize]) -> Result<()> {
        if self.layers.is_empty() {
            return Err(Error::EmptyInput {
                what: "network (no layers)",
            });
        }
        if self.layers.iter().any(|(_, l)| !l.is_materialized()) {
            self.materialize_from(shape, self.seed)?;
        }
        if self.input_shape.is_none() && !shape.is_empty() {
            self.input_shape = Some(shape[1..].to_vec());
        }
        Ok(())
    }

    /// The layers with their names, in order.
    pub fn layers(&self) -> &[(String, Box<dyn Layer>)] {
        &self.layers
    }

    #[cfg(test)]
    pub(crate) fn layers_mut_for_tests(&mut self) -> &mut [(String, Box<dyn Layer>)] {
        &mut self.layers
    }

    /// The layer called `name`.
    pub fn layer(&self, name: &str) -> Option<&dyn Layer> {
        self.layers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, l)| l.as_ref())
    }

    /// The layer called `name`, mutably.
    pub fn layer_mut(&mut self, name: &str) -> Option<&mut dyn Layer> {
        self.layers
            .iter_mut()
            .find(|(n, _)| n == name)
            .map(|(_, l)| l.as_mut() as &mut dyn Layer)
    }

    /// Forward pass through every layer; the output view borrows the network.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] for a network without layers;
    /// [`Error::ShapeMismatch`] if a layer rejects its input (wrong channel
    /// count, image size or feature count); a layer's own errors (batch
    /// norm on one value per channel in training mode).
    pub fn forward<D: Dimension>(
        &mut self,
        x: ArrayView<'_, f32, D>,
        mode: Mode,
    ) -> Result<ArrayViewD<'_, f32>> {
        let x = x.into_dyn();
        self.prepare(x.shape())?;
        run_forward(&mut self.layers, x, mode)
    }

    /// Backward pass from the gradient w.r.t. the output of the last
    /// [`Mode::Train`] forward pass: fills every parameter gradient (the
    /// gradient w.r.t. the network input is not computed; see
    /// [`backward_to_input`](Self::backward_to_input)).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `grad_output` does not match the output;
    /// [`Error::InvalidParameter`] without a training forward pass.
    pub fn backward<D: Dimension>(&mut self, grad_output: ArrayView<'_, f32, D>) -> Result<()> {
        run_backward(&mut self.layers, grad_output.into_dyn(), false).map(|_| ())
    }

    /// [`backward`](Self::backward), also returning the gradient w.r.t. the
    /// network input.
    ///
    /// # Errors
    /// As [`backward`](Self::backward).
    pub fn backward_to_input<D: Dimension>(
        &mut self,
        grad_output: ArrayView<'_, f32, D>,
    ) -> Result<ArrayViewD<'_, f32>> {
        run_backward(&mut self.layers, grad_output.into_dyn(), true)
            .map(|g| g.expect("input gradient requested"))
    }

    /// The parameters with their `state_dict` names, in PyTorch's order.
    pub fn params(&self) -> Vec<(String, &Param)> {
        self.layers
            .iter()
            .flat_map(|(ln, l)| {
                l.params()
                    .into_iter()
                    .map(move |(pn, p)| (format!("{ln}.{pn}"), p))
            })
            .collect()
    }

    /// Mutable parameters with their `state_dict` names, in PyTorch's order.
    pub fn params_mut(&mut self) -> Vec<(String, &mut Param)> {
        self.layers
            .iter_mut()
            .flat_map(|(ln, l)| {
                let ln = ln.clone();
                l.params_mut()
                    .into_iter()
                    .map(move |(pn, p)| (format!("{ln}.{pn}"), p))
            })
            .collect()
    }

    /// The buffers (batch norm's running statistics …) with their
    /// `state_dict` names.
    pub fn buffers(&self) -> Vec<(String, &Buffer)> {
        self.layers
            .iter()
            .flat_map(|(ln, l)| {
                l.buffers()
                    .into_iter()
                    .map(move |(bn, b)| (format!("{ln}.{bn}"), b))
            })
            .collect()
    }

    /// Mutable buffers with their `state_dict` names.
    pub fn buffers_mut(&mut self) -> Vec<(String, &mut Buffer)> {
        self.layers
            .iter_mut()
            .flat_map(|(ln, l)| {
                let ln = ln.clone();
                l.buffers_mut()
                    .into_iter()
                    .map(move |(bn, b)| (format!("{ln}.{bn}"), b))
            })
            .collect()
    }

    /// Number of learnable scalars.
    pub fn n_parameters(&self) -> usize {
        self.params().iter().map(|(_, p)| p.value().len()).sum()
    }

    /// Copies of the parameter and buffer values by `state_dict` name:
    /// each layer's parameters, then its buffers (integer buffers such as
    /// `num_batches_tracked` as whole `f32` values).
    pub fn state_dict(&self) -> Vec<(String, ArrayD<f32>)> {
        let mut out = Vec::new();
        for (ln, l) in &self.layers {
            for (pn, p) in l.params() {
                out.push((format!("{ln}.{pn}"), p.value().clone()));
            }
            for (bn, b) in l.buffers() {
                out.push((format!("{ln}.{bn}"), b.value().clone()));
            }
        }
        out
    }

    /// Sets every parameter and buffer from `(name, value)` pairs (strict,
    /// like PyTorch's `load_state_dict`: each must be given exactly once
    /// with its shape, and nothing else). On error nothing is changed.
    ///
    /// # Errors
    /// [`Error::Format`] (source `"state_dict"`) naming the missing,
    /// unexpected or mis-shaped tensor, a non-finite value, a non-integer
    /// value of an integer buffer, or a lazy layer without parameters yet.
    pub fn load_state_dict(
        &mut self,
        tensors: impl IntoIterator<Item = (String, ArrayD<f32>)>,
    ) -> Result<()> {
        if let Some((name, _)) = self.layers.iter().find(|(_, l)| !l.is_materialized()) {
            return Err(state_err(format!(
                "layer `{name}` is lazy: give the network an input shape \
                 (with_input_shape) before loading weights"
            )));
        }
        let mut given: HashMap<String, ArrayD<f32>> = HashMap::new();
        for (name, t) in tensors {
            if given.insert(name.clone(), t).is_some() {
                return Err(state_err(format!("tensor `{name}` given twice")));
            }
        }
        let mut expected: Vec<(String, Vec<usize>, bool)> = self
            .params()
            .into_iter()
            .map(|(n, p)| (n, p.shape().to_vec(), false))
            .collect();
        expected.extend(
            self.buffers()
                .into_iter()
                .map(|(n, b)| (n, b.value().shape().to_vec(), b.is_integer())),
        );
        for (name, shape, integer) in &expected {
            let Some(t) = given.get(name) else {
                return Err(state_err(format!("missing tensor `{name}`")));
            };
            if t.shape() != shape.as_slice() {
                return Err(state_err(format!(
                    "tensor `{name}` has shape {:?}, the network needs {shape:?}",
                    t.shape()
                )));
            }
            if let Some((i, v)) = t.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(state_err(format!(
                    "tensor `{name}` holds {v} at flat index {i}"
                )));
            }
            if *integer && t.iter().any(|v| v.fract() != 0.0) {
                return Err(state_err(format!(
                    "tensor `{name}` must hold whole numbers"
                )));
            }
        }
        if given.len() != expected.len() {
            let mut extra: Vec<&String> = given
                .keys()
                .filter(|k| expected.iter().all(|(n, _, _)| n != *k))
                .collect();
            extra.sort();
            return Err(state_err(format!("unexpected tensors {extra:?}")));
        }
        for (name, p) in self.params_mut() {
            p.set_value(given[&name].view())?;
        }
        for (name, b) in self.buffers_mut() {
            b.set_value(given[&name].view())?;
        }
        Ok(())
    }

    /// The parameters and buffers as `state_dict` tensors (`F32`; integer
    /// buffers `I64`, as PyTorch stores them).
    pub(crate) fn state_tensors(&self) -> BTreeMap<String, TensorData> {
        let mut out = BTreeMap::new();
        for (n, p) in self.params() {
            out.insert(n, TensorData::F32(p.value().clone()));
        }
        for (n, b) in self.buffers() {
            let t = if b.is_integer() {
                TensorData::I64(b.value().mapv(|v| v as i64))
            } else {
                TensorData::F32(b.value().clone())
            };
            out.insert(n, t);
        }
        out
    }

    /// The parameters and buffers as a plain safetensors file (`F32`
    /// tensors, `I64` for integer buffers; PyTorch names and layouts),
    /// readable by `safetensors.torch.load_file`.
    ///
    /// # Errors
    /// [`Error::Format`] if serialisation fails.
    pub fn to_safetensors_bytes(&self) -> Result<Vec<u8>> {
        crate::persist::encode_safetensors(&self.state_tensors(), None, false)
    }

    /// Writes [`to_safetensors_bytes`](Self::to_safetensors_bytes) to `path`
    /// atomically (a temporary file renamed over `path`: a failed save
    /// leaves an existing file untouched).
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be written.
    pub fn save_safetensors(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::persist::write_safetensors(path, &self.state_tensors(), None)
    }

    /// Loads parameters and buffers from plain safetensors bytes (e.g.
    /// written by `safetensors.torch.save_file(model.state_dict(), …)`);
    /// metadata is ignored. Strict as
    /// [`load_state_dict`](Self::load_state_dict).
    ///
    /// # Errors
    /// [`Error::Format`] for bytes that are not safetensors, tensors of
    /// another dtype than `F32` (integer buffers: `I64` or `F32`), or
    /// missing / unexpected / mis-shaped / non-finite tensors.
    pub fn load_safetensors_bytes(&mut self, bytes: &[u8]) -> Result<()> {
        let tensors = crate::persist::decode_safetensors(bytes, "safetensors")?.tensors;
        let integer: Vec<String> = self
            .buffers()
            .into_iter()
            .filter(|(_, b)| b.is_integer())
            .map(|(n, _)| n)
            .collect();
        let mut out = Vec::with_capacity(tensors.len());
        for (name, t) in tensors {
            let arr = match t {
                TensorData::F32(a) => a,
                TensorData::I64(a) if integer.contains(&name) => a.mapv(|v| v as f32),
                other => {
                    return Err(Error::format(
                        "safetensors",
                        format!(
                            "tensor `{name}` has dtype {}, expected F32{}",
                            other.dtype(),
                            if integer.contains(&name) {
                                " or I64"
                            } else {
                                ""
                            }
                        ),
                    ));
                }
            };
            out.push((name, arr));
        }
        self.load_state_dict(out)
    }

    /// Loads parameters from a plain safetensors file; see
    /// [`load_safetensors_bytes`](Self::load_safetensors_bytes).
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read, otherwise as
    /// [`load_safetensors_bytes`](Self::load_safetensors_bytes).
    pub fn load_safetensors(&mut self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        self.load_safetensors_bytes(&bytes)
    }

    /// A copy with the same layers, parameters and buffers but empty work
    /// buffers.
    pub(crate) fn fresh_copy(&self) -> Sequential {
        Sequential {
            layers: self
                .layers
                .iter()
                .map(|(n, l)| (n.clone(), l.fresh()))
                .collect(),
            seed: self.seed,
            input_shape: self.input_shape.clone(),
            ..Sequential::default()
        }
    }

    /// Logits for `x` `[n, c, h, w]` in evaluation mode, computed in batches
    /// of `batch_size` images.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `batch_size` is 0; otherwise as
    /// [`forward`](Self::forward); [`Error::ShapeMismatch`] if the output is
    /// not 2-D.
    pub fn predict_logits(
        &mut self,
        x: ArrayView4<'_, f32>,
        batch_size: usize,
    ) -> Result<Array2<f32>> {
        if batch_size == 0 {
            return Err(Error::invalid("batch_size", "must be at least 1, got 0"));
        }
        let n = x.shape()[0];
        let mut out: Option<Array2<f32>> = None;
        let mut start = 0;
        while start < n || (n == 0 && out.is_none()) {
            let end = (start + batch_size).min(n);
            let y = self.forward(x.slice_axis(Axis(0), (start..end).into()), Mode::Eval)?;
            if y.ndim() != 2 {
                return Err(Error::ShapeMismatch {
                    what: "network output (logits [n, classes])",
                    expected: vec![end - start, usize::MAX],
                    got: y.shape().to_vec(),
                });
            }
            let o = out.get_or_insert_with(|| Array2::zeros((n, y.shape()[1])));
            o.slice_mut(ndarray::s![start..end, ..])
                .assign(&y.into_dimensionality::<ndarray::Ix2>().expect("2-D"));
            start = end;
            if n == 0 {
                break;
            }
        }
        Ok(out.expect("at least one pass"))
    }

    /// Predicted class indices (arg-max of the logits) for `x`.
    ///
    /// # Errors
    /// As [`predict_logits`](Self::predict_logits).
    pub fn predict_classes(&mut self, x: ArrayView4<'_, f32>) -> Result<Array1<usize>> {
        let logits = self.predict_logits(x, 256)?;
        Ok(argmax_rows(&logits))
    }

    /// Forward pass in [`Mode::Train`], mean softmax cross-entropy against
    /// `targets` (class indices: `usize`, `u8` …) and backward pass: every
    /// parameter gradient is filled, nothing is updated (apply an optimizer,
    /// after clipping if wanted). Returns the loss and accuracy.
    ///
    /// A network of built-in convolution, pooling, activation, dropout,
    /// flattening and fully connected layers runs a batch-parallel pass:
    /// the batch is cut into fixed chunks of images that each run the whole
    /// network (forward, loss, backward) on one rayon thread; parameter
    /// gradients are then summed in a fixed order. Other networks (batch
    /// norm, residual blocks, your own layers) run layer by layer. Either
    /// way the result is the same on any number of threads.
    ///
    /// # Errors
    /// As [`forward`](Self::forward); [`Error::ShapeMismatch`] /
    /// [`Error::InvalidParameter`] for bad targets; [`Error::NumericalFailure`]
    /// (operation `"training"`) if the loss is not finite (the gradients are
    /// then not to be used).
    pub fn compute_gradients<D: Dimension, L: ClassIndex>(
        &mut self,
        x: ArrayView<'_, f32, D>,
        targets: &[L],
    ) -> Result<StepStats> {
        let x = x.into_dyn();
        self.prepare(x.shape())?;
        let mut t = std::mem::take(&mut self.targets);
        t.clear();
        for (i, &v) in targets.iter().enumerate() {
            t.push(v.class_index().ok_or_else(|| {
                Error::invalid(
                    "targets",
                    format!("target at row {i} is not a class index (negative or too large)"),
                )
            })?);
        }
        let r = self.gradients_impl(x, &t);
        self.targets = t;
        let stats = r?;
        if !stats.loss.is_finite() {
            return Err(Error::NumericalFailure {
                operation: "training",
                reason: format!("loss is {} on this batch", stats.loss),
            });
        }
        Ok(StepStats {
            loss: stats.loss,
            correct: stats.correct,
            batch_size: targets.len(),
        })
    }

    fn gradients_impl(
        &mut self,
        x: ArrayViewD<'_, f32>,
        targets: &[usize],
    ) -> Result<super::loss::LossStats> {
        let x = x.as_standard_layout();
        let shape = x.shape().to_vec();
        let xs = x.as_slice().expect("standard layout");
        if pipeline::supported(&mut self.layers) {
            // The pass runs on a rayon worker: its serial parts (planning,
            // the gradient reductions' set-up) then keep the pool awake, and
            // its parallel parts fork inside the pool instead of injecting
            // from outside and waking sleeping threads each time.
            return rayon::scope(|_| {
                pipeline::train_pass(&mut self.layers, xs, &shape, targets, &mut self.loss_grad)
            });
        }
        let xv = ArrayViewD::from_shape(IxDyn(&shape), xs).expect("standard layout");
        let logits = run_forward(&mut self.layers, xv, Mode::Train)?;
        if logits.ndim() != 2 {
            return Err(Error::ShapeMismatch {
                what: "network output (logits [n, classes])",
                expected: vec![targets.len(), usize::MAX],
                got: logits.shape().to_vec(),
            });
        }
        let logits = logits.into_dimensionality::<ndarray::Ix2>().expect("2-D");
        let lg = self.loss_grad.reshape(logits.shape());
        let stats = cross_entropy_into(logits, targets, lg)?;
        if stats.loss.is_finite() {
            let g = self.loss_grad.view();
            run_backward(&mut self.layers, g, false)?;
        }
        Ok(stats)
    }

    /// One training step on a batch: [`compute_gradients`](Self::compute_gradients)
    /// and `optimizer.step`. Returns the loss and accuracy before the update.
    ///
    /// Afterwards every layer's output holds this batch's activations
    /// (except a ReLU fused with the following pooling, whose output is
    /// empty) and every parameter its gradient; a further
    /// [`backward`](Self::backward) needs a new [`forward`](Self::forward).
    ///
    /// # Errors
    /// As [`compute_gradients`](Self::compute_gradients): a non-finite loss
    /// leaves the parameters untouched.
    pub fn train_step<D: Dimension, L: ClassIndex>(
        &mut self,
        x: ArrayView<'_, f32, D>,
        targets: &[L],
        optimizer: &mut dyn Optimizer,
    ) -> Result<StepStats> {
        let stats = self.compute_gradients(x, targets)?;
        optimizer.step(self)?;
        Ok(stats)
    }

    /// A table of the layers (name, type, output shape, parameters), like
    /// Keras' `model.summary()` or torchinfo; output shapes need a known
    /// input shape (a wildcard batch dimension is printed as `_`).
    ///
    /// # Example
    /// ```
    /// use oxilearn::nn::LeNet5;
    /// let net = LeNet5::mnist().build()?;
    /// let s = net.summary();
    /// assert_eq!(s.total_params(), 61_706);
    /// assert!(s.to_string().contains("[_, 6, 28, 28]"));
    /// # Ok::<(), oxilearn::Error>(())
    /// ```
    pub fn summary(&self) -> Summary {
        let mut shape = self.input_shape.as_ref().map(|s| {
            let mut v = vec![1];
            v.extend_from_slice(s);
            v
        });
        let mut rows = Vec::new();
        for (name, layer) in &self.layers {
            shape = shape.and_then(|s| layer.output_shape(&s).ok());
            rows.push(SummaryRow {
                name: name.clone(),
                kind: layer.kind().to_string(),
                output_shape: shape.clone(),
                params: layer.n_parameters(),
            });
        }
        Summary {
            input_shape: self.input_shape.clone(),
            rows,
            buffers: self.buffers().iter().map(|(_, b)| b.value().len()).sum(),
        }
    }

    /// The state of every layer that has some beyond its parameters and
    /// buffers (dropout streams), by layer name.
    pub(crate) fn extra_states(&self) -> serde_json::Map<String, serde_json::Value> {
        self.layers
            .iter()
            .filter_map(|(n, l)| l.extra_state().map(|s| (n.clone(), s)))
            .collect()
    }

    /// Restores [`extra_states`](Self::extra_states).
    pub(crate) fn set_extra_states(
        &mut self,
        states: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<()> {
        for (name, state) in states {
            let layer = self.layer_mut(name).ok_or_else(|| {
                Error::format("checkpoint", format!("state for unknown layer `{name}`"))
            })?;
            layer.set_extra_state(state)?;
        }
        Ok(())
    }
}

/// One row of a [`Summary`].
///
/// # Example
/// ```
/// use oxilearn::nn::SummaryRow;
/// let r = SummaryRow { name: "fc".into(), kind: "Linear".into(), output_shape: Some(vec![1, 10]), params: 1290 };
/// assert_eq!(r.params, 1290);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    /// The layer's name.
    pub name: String,
    /// Its type (`"Conv2d"` …).
    pub kind: String,
    /// Its output shape for a batch of one (`None` while the network's
    /// input shape is unknown).
    pub output_shape: Option<Vec<usize>>,
    /// Its learnable scalars.
    pub params: usize,
}

/// What [`Sequential::summary`] reports; `Display` prints a table.
///
/// # Example
/// ```
/// use oxilearn::nn::{Linear, Sequential};
/// let net = Sequential::new().add("fc", Linear::new(4, 2, 0)?).with_input_shape(&[4])?;
/// let s = net.summary();
/// assert_eq!(s.rows()[0].output_shape, Some(vec![1, 2]));
/// assert!(s.to_string().contains("Total params: 10"));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    input_shape: Option<Vec<usize>>,
    rows: Vec<SummaryRow>,
    buffers: usize,
}

impl Summary {
    /// One row per layer.
    pub fn rows(&self) -> &[SummaryRow] {
        &self.rows
    }

    /// All learnable scalars.
    pub fn total_params(&self) -> usize {
        self.rows.iter().map(|r| r.params).sum()
    }
}

fn shape_text(s: &[usize]) -> String {
    let mut t = String::from("[_");
    for d in &s[1..] {
        t.push_str(&format!(", {d}"));
    }
    t.push(']');
    t
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shapes: Vec<String> = self
            .rows
            .iter()
            .map(|r| r.output_shape.as_deref().map_or("?".into(), shape_text))
            .collect();
        let input = self.input_shape.as_ref().map_or("?".to_string(), |s| {
            let mut v = vec![1];
            v.extend_from_slice(s);
            shape_text(&v)
        });
        let w_name = self
            .rows
            .iter()
            .map(|r| r.name.len() + r.kind.len() + 3)
            .max()
            .unwrap_or(0)
            .max(12);
        let w_shape = shapes.iter().map(String::len).max().unwrap_or(0).max(12);
        let w_par = 12;
        let line = "-".repeat(w_name + w_shape + w_par + 4);
        writeln!(f, "{line}")?;
        writeln!(
            f,
            "{:<w_name$}  {:<w_shape$}  {:>w_par$}",
            "Layer (type)", "Output shape", "Params"
        )?;
        writeln!(f, "{}", "=".repeat(line.len()))?;
        writeln!(
            f,
            "{:<w_name$}  {:<w_shape$}  {:>w_par$}",
            "input", input, ""
        )?;
        for (r, s) in self.rows.iter().zip(&shapes) {
            let label = format!("{} ({})", r.name, r.kind);
            writeln!(f, "{label:<w_name$}  {s:<w_shape$}  {:>w_par$}", r.params)?;
        }
        writeln!(f, "{}", "=".repeat(line.len()))?;
        let total = self.total_params();
        writeln!(
            f,
            "Total params: {total} ({:.1} KiB of f32)",
            total as f64 * 4.0 / 1024.0
        )?;
        if self.buffers > 0 {
            writeln!(f, "Buffers (running statistics): {}", self.buffers)?;
        }
        write!(f, "{line}")
    }
}

/// Forward pass of `layers` on `x` (ReLU → MaxPool2d pairs fused); the
/// output borrows the last layer.
pub(crate) fn run_forward<'a>(
    layers: &'a mut [(String, Box<dyn Layer>)],
    x: ArrayViewD<'_, f32>,
    mode: Mode,
) -> Result<ArrayViewD<'a, f32>> {
    if layers.is_empty() {
        return Err(Error::EmptyInput {
            what: "network (no layers)",
        });
    }
    let mut rest: &'a mut [(String, Box<dyn Layer>)] = layers;
    let mut cur: Option<ArrayViewD<'a, f32>> = None;
    while !rest.is_empty() {
        let pair = rest.len() >= 2;
        let fused = pair && is_relu_pool(rest[0].1.as_ref(), rest[1].1.as_ref());
        let conv_bn = pair && is_conv_bn(rest[0].1.as_ref(), rest[1].1.as_ref(), mode);
        let input = match &cur {
            Some(c) => c.view(),
            None => x.view(),
        };
        let out = if conv_bn && mode == Mode::Eval {
            // A ReLU after the pair is applied in the convolution's pass too.
            let relu = rest.len() >= 3 && rest[2].1.is::<ReLU>();
            let (group, tail) = std::mem::take(&mut rest).split_at_mut(2 + usize::from(relu));
            rest = tail;
            let (conv, others) = group.split_first_mut().expect("a group");
            let (bn, relu) = others.split_first_mut().expect("a group");
            let relu: Option<&mut dyn Layer> = match relu.first_mut() {
                Some((_, r)) => Some(r.as_mut()),
                None => None,
            };
            conv_bn_forward(conv.1.as_mut(), bn.1.as_mut(), relu, input)?
        } else if conv_bn {
            let (pair, tail) = std::mem::take(&mut rest).split_at_mut(2);
            rest = tail;
            let [(_, a), (_, b)] = pair else {
                unreachable!("a pair")
            };
            conv_bn_train_forward(a.as_mut(), b.as_mut(), input)?
        } else if fused {
            let (pair, tail) = std::mem::take(&mut rest).split_at_mut(2);
            rest = tail;
            let [(_, a), (_, b)] = pair else {
                unreachable!("a pair")
            };
            relu_pool_forward(a.as_mut(), b.as_mut(), input, mode)?
        } else {
            let (first, tail) = std::mem::take(&mut rest)
                .split_first_mut()
                .expect("not empty");
            rest = tail;
            first.1.forward(input, mode)?
        };
        cur = Some(out);
    }
    Ok(cur.expect("at least one layer"))
}

/// Backward pass of `layers` from the gradient `g` w.r.t. their output
/// (fused ReLU → MaxPool2d pairs stepped over in one go); returns the
/// gradient w.r.t. the input if `input_grad`.
pub(crate) fn run_backward<'a>(
    layers: &'a mut [(String, Box<dyn Layer>)],
    g: ArrayViewD<'_, f32>,
    input_grad: bool,
) -> Result<Option<ArrayViewD<'a, f32>>> {
    if layers.is_empty() {
        return Err(Error::EmptyInput {
            what: "network (no layers)",
        });
    }
    let mut rest: &'a mut [(String, Box<dyn Layer>)] = layers;
    let mut cur: Option<ArrayViewD<'a, f32>> = None;
    while !rest.is_empty() {
        let n = rest.len();
        let gout = match &cur {
            Some(c) => c.view(),
            None => g.view(),
        };
        if n >= 2 && fused_relu_pool(rest[n - 2].1.as_ref(), rest[n - 1].1.as_ref()) {
            let (head, pair) = std::mem::take(&mut rest).split_at_mut(n - 2);
            rest = head;
            let [(_, a), (_, b)] = pair else {
                unreachable!("a pair")
            };
            let need = input_grad || n > 2;
            relu_pool_backward(a.as_mut(), b.as_ref(), gout, need)?;
            let a: &'a dyn Layer = &**a;
            cur = if need { Some(relu_grad_input(a)) } else { None };
            continue;
        }
        if n >= 2 && borrowed_conv_bn(rest[n - 2].1.as_ref(), rest[n - 1].1.as_ref()) {
            let (head, pair) = std::mem::take(&mut rest).split_at_mut(n - 2);
            rest = head;
            let [(_, a), (_, b)] = pair else {
                unreachable!("a pair")
            };
            cur = conv_bn_backward(a.as_mut(), b.as_mut(), gout, input_grad || n > 2)?;
            continue;
        }
        let (last, head) = std::mem::take(&mut rest)
            .split_last_mut()
            .expect("not empty");
        rest = head;
        if n == 1 && !input_grad {
            last.1.backward_params(gout)?;
            cur = None;
        } else {
            cur = Some(last.1.backward(gout)?);
        }
    }
    Ok(cur)
}

/// A container is a layer too (PyTorch's `nn.Sequential` is a module):
/// nest one under a name, and its layers' parameters appear as
/// `<name>.<layer>.<parameter>`. A nested container's own
/// [`seed`](Sequential::seed) is not used: its lazy layers draw from the
/// seed the outer network derives for it.
///
/// # Example
/// ```
/// use oxilearn::nn::{Layer, Linear, ReLU, Sequential};
/// let inner = Sequential::new().push(Linear::new(4, 4, 0)?).push(ReLU::new());
/// let net = Sequential::new().add("block", inner).add("fc", Linear::new(4, 2, 1)?);
/// let names: Vec<String> = net.params().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["block.0.weight", "block.0.bias", "fc.weight", "fc.bias"]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
impl Layer for Sequential {
    fn kind(&self) -> &str {
        "Sequential"
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        if self.layers.is_empty() {
            return Err(Error::EmptyInput {
                what: "network (no layers)",
            });
        }
        let mut cur = input.to_vec();
        for (_, l) in &self.layers {
            cur = l.output_shape(&cur)?;
        }
        Ok(cur)
    }

    fn forward(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<ArrayViewD<'_, f32>> {
        Sequential::forward(self, x, mode)
    }

    fn backward(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<ArrayViewD<'_, f32>> {
        self.backward_to_input(grad_output)
    }

    fn backward_params(&mut self, grad_output: ArrayViewD<'_, f32>) -> Result<()> {
        Sequential::backward(self, grad_output)
    }

    fn params(&self) -> Vec<(String, &Param)> {
        Sequential::params(self)
    }

    fn params_mut(&mut self) -> Vec<(String, &mut Param)> {
        Sequential::params_mut(self)
    }

    fn buffers(&self) -> Vec<(String, &Buffer)> {
        Sequential::buffers(self)
    }

    fn buffers_mut(&mut self) -> Vec<(String, &mut Buffer)> {
        Sequential::buffers_mut(self)
    }

    fn materialize(&mut self, input: &[usize], seed: u64) -> Result<()> {
        self.materialize_from(input, seed).map(|_| ())
    }

    fn is_materialized(&self) -> bool {
        self.layers.iter().all(|(_, l)| l.is_materialized())
    }

    fn extra_state(&self) -> Option<serde_json::Value> {
        let s = self.extra_states();
        (!s.is_empty()).then_some(serde_json::Value::Object(s))
    }

    fn set_extra_state(&mut self, state: &serde_json::Value) -> Result<()> {
        match state.as_object() {
            Some(m) => self.set_extra_states(m),
            None => Err(Error::format(
                "layer state",
                "a container's state is an object keyed by layer name",
            )),
        }
    }

    fn fresh(&self) -> Box<dyn Layer> {
        Box::new(self.fresh_copy())
    }
}

/// Class predictions from a shared reference (work buffers are created for
/// the call); [`Sequential::predict_classes`] reuses the network's buffers.
///
/// # Example
/// ```
/// use oxilearn::nn::LeNet5;
/// use oxilearn::ndarray::Array4;
/// use oxilearn::traits::Predict;
/// let net = LeNet5::digits().build()?;
/// let classes = net.predict(Array4::<f32>::zeros((3, 1, 8, 8)).view())?;
/// assert_eq!(classes.len(), 3);
/// assert!(classes.iter().all(|&c| c < 10));
/// # Ok::<(), oxilearn::Error>(())
/// ```
impl<'a> crate::traits::Predict<ArrayView4<'a, f32>> for Sequential {
    type Output = Array1<usize>;
    fn predict(&self, x: ArrayView4<'a, f32>) -> Result<Array1<usize>> {
        self.fresh_copy().predict_classes(x)
    }
}

/// Softmax class probabilities `[n, classes]` from a shared reference.
///
/// # Example
/// ```
/// use oxilearn::nn::LeNet5;
/// use oxilearn::ndarray::Array4;
/// use oxilearn::traits::PredictProba;
/// let net = LeNet5::digits().build()?;
/// let p = net.predict_proba(Array4::<f32>::zeros((2, 1, 8, 8)).view())?;
/// assert!((p.row(0).sum() - 1.0).abs() < 1e-5);
/// # Ok::<(), oxilearn::Error>(())
/// ```
impl<'a> crate::traits::PredictProba<ArrayView4<'a, f32>> for Sequential {
    type Output = Array2<f32>;
    fn predict_proba(&self, x: ArrayView4<'a, f32>) -> Result<Array2<f32>> {
        let mut logits = self.fresh_copy().predict_logits(x, 256)?;
        for mut row in logits.rows_mut() {
            let m = row.fold(f32::NEG_INFINITY, |a, &b| a.max(b));
            row.mapv_inplace(|v| (v - m).exp());
            let s = row.sum();
            row /= s;
        }
        Ok(logits)
    }
}

fn state_err(reason: String) -> Error {
    Error::format("state_dict", reason)
}

/// Arg-max of every row (first maximum wins).
pub(crate) fn argmax_rows(logits: &Array2<f32>) -> Array1<usize> {
    logits
        .rows()
        .into_iter()
        .map(|r| {
            let mut best = 0;
            for (j, &v) in r.iter().enumerate() {
                if v > r[best] {
                    best = j;
                }
            }
            best
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::layers::{MaxPool2d, ReLU};
    use crate::nn::{LeNet5, Linear};
    use ndarray::{Array2, Array4};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Runs `net`'s layers one at a time (no fusion): the output and the
    /// gradient w.r.t. the input, parameter gradients left in the layers.
    fn unfused(
        net: &Sequential,
        x: &ArrayD<f32>,
        g: &ArrayD<f32>,
    ) -> (ArrayD<f32>, ArrayD<f32>, Vec<Box<dyn Layer>>) {
        let mut layers: Vec<Box<dyn Layer>> = net.layers().iter().map(|(_, l)| l.fresh()).collect();
        let mut cur = x.clone();
        for l in &mut layers {
            cur = l.forward(cur.view(), Mode::Train).unwrap().to_owned();
        }
        let mut gi = g.clone();
        for l in layers.iter_mut().rev() {
            gi = l.backward(gi.view()).unwrap().to_owned();
        }
        (cur, gi, layers)
    }

    /// `net`'s `n` parameter gradients have the bits of those `unfused`
    /// left in `layers`.
    fn same_param_grads(net: &Sequential, layers: &[Box<dyn Layer>], n: usize) {
        let want: Vec<ArrayD<f32>> = layers
            .iter()
            .flat_map(|l| l.params().into_iter().map(|(_, p)| p.grad().clone()))
            .collect();
        let got: Vec<ArrayD<f32>> = net.params().iter().map(|(_, p)| p.grad().clone()).collect();
        assert_eq!(got.len(), n);
        assert_eq!(want.len(), n);
        for (a, b) in got.iter().zip(&want) {
            same(a, b, "parameter gradient");
        }
    }

    fn same(a: &ArrayD<f32>, b: &ArrayD<f32>, what: &str) {
        assert_eq!(a.shape(), b.shape(), "{what}");
        for (u, v) in a.iter().zip(b) {
            assert!(
                u.to_bits() == v.to_bits() || (u.is_nan() && v.is_nan()),
                "{what}: {u} vs {v}"
            );
        }
    }

    /// An evaluation pass folds each convolution → batch norm pair into one
    /// convolution; the output equals the layers run one by one up to
    /// rounding, on every kernel path (Winograd, direct, im2col + GEMM with
    /// stride 2 and 1×1), with or without a convolution bias and with or
    /// without a ReLU after the pair (applied in the same pass). A batch norm
    /// without running statistics is not folded (same bits). A training pass
    /// of the pair gives the bits of the layers run one by one.
    #[test]
    fn evaluation_folds_batch_norm_into_the_convolution() {
        use crate::nn::layers::{BatchNorm2d, BatchNormConfig, Conv2d, Conv2dConfig, Padding};
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        // (in, out, kernel, stride, bias, image size)
        let cases = [
            (16, 16, 3, 1, false, 9),
            (3, 8, 3, 1, true, 12),
            (16, 32, 3, 2, false, 10),
            (8, 16, 1, 2, true, 7),
            (4, 6, 5, 1, true, 11),
        ];
        for (i, &(c, oc, k, stride, bias, hw)) in cases.iter().enumerate() {
            for tracked in [true, false] {
                // "Same" padding needs stride 1.
                let padding = if stride > 1 {
                    Padding::Fixed(k / 2)
                } else {
                    Padding::Same
                };
                let cfg = Conv2dConfig {
                    padding,
                    stride,
                    bias,
                };
                let bn_cfg = BatchNormConfig {
                    track_running_stats: tracked,
                    ..Default::default()
                };
                // Every other case without the ReLU after the pair.
                let relu = i % 2 == 0;
                let mut net = Sequential::new()
                    .add("conv", Conv2d::new(c, oc, k, cfg, i as u64).unwrap())
                    .add("bn", BatchNorm2d::with_config(oc, bn_cfg).unwrap());
                if relu {
                    net = net.add("relu", ReLU::new());
                }
                let mut random = |n: usize, lo: f32, hi: f32| {
                    ArrayD::from_shape_fn(IxDyn(&[n]), |_| rng.random_range(lo..hi))
                };
                let (gamma, beta) = (random(oc, 0.2, 3.0), random(oc, -2.0, 2.0));
                let (mean, var) = (random(oc, -1.5, 1.5), random(oc, 0.01, 4.0));
                {
                    let bn = net.layer_mut("bn").unwrap();
                    for (name, p) in bn.params_mut() {
                        let v = if name == "weight" { &gamma } else { &beta };
                        p.set_value(v.view()).unwrap();
                    }
                    for (name, b) in bn.buffers_mut() {
                        match name.as_str() {
                            "running_mean" => b.value_mut().assign(&mean),
                            "running_var" => b.value_mut().assign(&var),
                            _ => {}
                        }
                    }
                }
                let x =
                    Array4::from_shape_simple_fn((3, c, hw, hw), || rng.random_range(-1.0..1.0))
                        .into_dyn();
                let pair = |net: &Sequential, mode| {
                    let l = net.layers();
                    is_conv_bn(l[0].1.as_ref(), l[1].1.as_ref(), mode)
                };
                assert_eq!(pair(&net, Mode::Eval), tracked);
                assert!(pair(&net, Mode::Train));
                let got = net.forward(x.view(), Mode::Eval).unwrap().to_owned();
                let mut want = x.clone();
                for (_, l) in net.layers_mut_for_tests() {
                    let mut l = l.fresh();
                    want = l.forward(want.view(), Mode::Eval).unwrap().to_owned();
                }
                assert_eq!(got.shape(), want.shape());
                if tracked {
                    let scale = 1.0 + want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                    for (u, v) in got.iter().zip(&want) {
                        assert!((u - v).abs() <= 1e-5 * scale, "case {i}: {u} vs {v}");
                    }
                    assert!(got.iter().any(|&v| v > 0.0));
                    assert_eq!(got.iter().any(|&v| v < 0.0), !relu, "case {i}");
                } else {
                    same(&got, &want, "batch norm without running statistics");
                }
                // A training pass: the batch norm reads the convolution's
                // output without a copy; outputs and gradients have the bits
                // of the layers run one by one.
                let g = want.mapv(|_| rng.random_range(-1.0..1.0));
                let (want_y, want_gx, layers) = unfused(&net, &x, &g);
                let y = net.forward(x.view(), Mode::Train).unwrap().to_owned();
                same(&y, &want_y, "training output");
                {
                    let l = net.layers();
                    assert!(borrowed_conv_bn(l[0].1.as_ref(), l[1].1.as_ref()));
                }
                let gx = net.backward_to_input(g.view()).unwrap().to_owned();
                same(&gx, &want_gx, "input gradient");
                same_param_grads(&net, &layers, if bias { 4 } else { 3 });
                // The batch norm alone cannot run backward: its input was
                // the convolution's output, not a copy.
                net.forward(x.view(), Mode::Train).unwrap();
                let bn = net.layer_mut("bn").unwrap();
                assert!(matches!(
                    bn.backward(g.view()),
                    Err(Error::InvalidParameter { .. })
                ));
            }
        }
    }

    /// The fused ReLU → MaxPool2d pass gives bit-identical outputs, input
    /// gradients and parameter gradients to the layers run one by one:
    /// LeNet-5 (both inputs) and pooling with overlapping windows, ties,
    /// zeros, all-negative windows and NaN.
    #[test]
    fn fused_relu_pool_matches_unfused_layers() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for (builder, c, hw) in [(LeNet5::cifar10(), 3, 32), (LeNet5::mnist(), 1, 28)] {
            let mut net = builder.seed(3).build().unwrap();
            let x = Array4::from_shape_simple_fn((5, c, hw, hw), || rng.random_range(-1.0..1.0))
                .into_dyn();
            let g =
                Array2::from_shape_simple_fn((5, 10), || rng.random_range(-1.0..1.0)).into_dyn();
            let (want_y, want_gx, layers) = unfused(&net, &x, &g);
            let y = net.forward(x.view(), Mode::Train).unwrap().to_owned();
            same(&y, &want_y, "logits");
            let gx = net.backward_to_input(g.view()).unwrap().to_owned();
            same(&gx, &want_gx, "input gradient");
            same_param_grads(&net, &layers, 10);
        }
        for (k, s) in [(2, 2), (3, 2), (2, 1)] {
            let mut net = Sequential::new()
                .add("relu", ReLU::new())
                .add("pool", MaxPool2d::with_stride(k, s).unwrap())
                .add("flatten", crate::nn::Flatten::new())
                .add(
                    "fc",
                    Linear::new(2 * ((9 - k) / s + 1) * ((10 - k) / s + 1), 3, 1).unwrap(),
                );
            for trial in 0..3 {
                let x = Array4::from_shape_simple_fn((3, 2, 9, 10), || match trial {
                    0 => rng.random_range(-2..2) as f32,
                    1 if rng.random_range(0..8) == 0 => f32::NAN,
                    _ => rng.random_range(-1.0..1.0),
                })
                .into_dyn();
                let g =
                    Array2::from_shape_simple_fn((3, 3), || rng.random_range(-1.0..1.0)).into_dyn();
                let (want_y, want_gx, _) = unfused(&net, &x, &g);
                let y = net.forward(x.view(), Mode::Train).unwrap().to_owned();
                same(&y, &want_y, "pool output");
                let gx = net.backward_to_input(g.view()).unwrap().to_owned();
                same(&gx, &want_gx, "pool input gradient");
            }
        }
    }
}
