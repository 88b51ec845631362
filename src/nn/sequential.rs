//! The [`Sequential`] container: named layers applied in order, parameters
//! addressed by PyTorch `state_dict` names, safetensors weight files.

use std::collections::HashMap;
use std::path::Path;

use ndarray::{Array1, Array2, ArrayD, ArrayView, ArrayView4, ArrayViewD, Axis, Dimension, IxDyn};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use super::buf::Buf;
use super::layers::{Layer, Mode, Param, is_relu_pool, relu_pool_backward, relu_pool_forward};
use super::optim::Optimizer;
use super::pipeline;
use crate::error::{Error, Result};

/// Layers applied one after another (PyTorch's `nn.Sequential`, or a module
/// whose `forward` calls its children in order).
///
/// Each layer has a name; parameters are addressed as `"<layer>.weight"` /
/// `"<layer>.bias"`, exactly like a PyTorch `state_dict`, so weight files move
/// between the two (see [`save_safetensors`](Self::save_safetensors) and
/// [`load_safetensors`](Self::load_safetensors)).
///
/// A [`ReLU`](super::ReLU) directly followed by a
/// [`MaxPool2d`](super::MaxPool2d) runs as one fused pass (pooling of the
/// rectified values, and one pass for the gradient): same outputs and
/// gradients as the two layers one after the other, but the ReLU's own
/// [`Layer::output`] is then empty.
///
/// # Shapes
/// - input: whatever the first layer takes (`[n, c, h, w]` for a CNN)
/// - output: whatever the last layer gives (`[n, classes]` logits)
///
/// # Example
/// ```
/// use oxilearn::nn::{Linear, Mode, ReLU, Sequential};
/// use oxilearn::ndarray::Array2;
/// let mut net = Sequential::new()
///     .add("fc1", Linear::new(4, 8, 0))
///     .add("relu", ReLU::new())
///     .add("fc2", Linear::new(8, 3, 1));
/// let names: Vec<String> = net.state_dict().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
/// let logits = net.forward(Array2::<f32>::zeros((5, 4)).view(), Mode::Eval)?;
/// assert_eq!(logits.shape(), &[5, 3]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Sequential {
    layers: Vec<(String, Layer)>,
    loss_grad: Buf,
    batch: Buf,
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
    /// An empty network.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `layer` named by its position (`"0"`, `"1"` …, as
    /// `nn.Sequential` does).
    pub fn push(self, layer: impl Into<Layer>) -> Self {
        let name = self.layers.len().to_string();
        self.add(&name, layer)
    }

    /// Appends `layer` under `name` (`"conv1"` → parameters `conv1.weight`,
    /// `conv1.bias`).
    ///
    /// # Panics
    /// If `name` is already used (a programming error in building the network).
    pub fn add(mut self, name: &str, layer: impl Into<Layer>) -> Self {
        assert!(
            self.layers.iter().all(|(n, _)| n != name),
            "layer name `{name}` used twice"
        );
        self.layers.push((name.to_string(), layer.into()));
        self
    }

    /// The layers with their names, in order.
    pub fn layers(&self) -> &[(String, Layer)] {
        &self.layers
    }

    #[cfg(test)]
    pub(crate) fn layers_mut_for_tests(&mut self) -> &mut [(String, Layer)] {
        &mut self.layers
    }

    /// The layer called `name`.
    pub fn layer(&self, name: &str) -> Option<&Layer> {
        self.layers.iter().find(|(n, _)| n == name).map(|(_, l)| l)
    }

    /// Forward pass through every layer; the output view borrows the network.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] for a network without layers;
    /// [`Error::ShapeMismatch`] if a layer rejects its input (wrong channel
    /// count, image size or feature count).
    pub fn forward<D: Dimension>(
        &mut self,
        x: ArrayView<'_, f32, D>,
        mode: Mode,
    ) -> Result<ArrayViewD<'_, f32>> {
        self.forward_impl(x.into_dyn(), mode)?;
        Ok(self.layers.last().expect("non-empty").1.output())
    }

    fn forward_impl(&mut self, x: ArrayViewD<'_, f32>, mode: Mode) -> Result<()> {
        if self.layers.is_empty() {
            return Err(Error::EmptyInput {
                what: "network (no layers)",
            });
        }
        let n = self.layers.len();
        let mut i = 0;
        while i < n {
            let (head, tail) = self.layers.split_at_mut(i);
            let input = match head.last() {
                Some((_, prev)) => prev.output(),
                None => x.view(),
            };
            if let [(_, a), (_, b), ..] = tail
                && is_relu_pool(a, b)
            {
                relu_pool_forward(a, b, input, mode)?;
                i += 2;
            } else {
                tail[0].1.forward(input, mode)?;
                i += 1;
            }
        }
        Ok(())
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
        self.backward_impl(grad_output.into_dyn(), false)
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
        self.backward_impl(grad_output.into_dyn(), true)?;
        Ok(self.layers[0].1.grad_input())
    }

    fn backward_impl(&mut self, grad: ArrayViewD<'_, f32>, input_grad: bool) -> Result<()> {
        let n = self.layers.len();
        if n == 0 {
            return Err(Error::EmptyInput {
                what: "network (no layers)",
            });
        }
        // Layer `i` gets the gradient w.r.t. its output from layer `i + 1`
        // (the loss gradient for the last layer); a fused ReLU → MaxPool2d
        // pair is stepped over in one go.
        let mut i = n;
        while i > 0 {
            i -= 1;
            let (head, tail) = self.layers.split_at_mut(i + 1);
            let g = match tail.first() {
                Some((_, next)) => next.grad_input(),
                None => grad.view(),
            };
            if i > 0 {
                let (before, cur) = head.split_at_mut(i);
                let relu = &mut before[i - 1].1;
                if relu_pool_backward(relu, &cur[0].1, g.view(), input_grad || i > 1)? {
                    i -= 1;
                    continue;
                }
            }
            head[i].1.backward_impl(g, input_grad || i > 0)?;
        }
        Ok(())
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

    /// Number of learnable scalars.
    pub fn n_parameters(&self) -> usize {
        self.params().iter().map(|(_, p)| p.value().len()).sum()
    }

    /// Copies of the parameter values by `state_dict` name, in order.
    pub fn state_dict(&self) -> Vec<(String, ArrayD<f32>)> {
        self.params()
            .into_iter()
            .map(|(n, p)| (n, p.value().clone()))
            .collect()
    }

    /// Sets every parameter from `(name, value)` pairs (strict, like PyTorch's
    /// `load_state_dict`: every parameter must be given exactly once with
    /// its shape, and nothing else). On error nothing is changed.
    ///
    /// # Errors
    /// [`Error::Format`] (source `"state_dict"`) naming the missing,
    /// unexpected or mis-shaped tensor.
    pub fn load_state_dict(
        &mut self,
        tensors: impl IntoIterator<Item = (String, ArrayD<f32>)>,
    ) -> Result<()> {
        let mut given: HashMap<String, ArrayD<f32>> = HashMap::new();
        for (name, t) in tensors {
            if given.insert(name.clone(), t).is_some() {
                return Err(state_err(format!("tensor `{name}` given twice")));
            }
        }
        let expected: Vec<(String, Vec<usize>)> = self
            .params()
            .into_iter()
            .map(|(n, p)| (n, p.shape().to_vec()))
            .collect();
        for (name, shape) in &expected {
            match given.get(name) {
                None => return Err(state_err(format!("missing tensor `{name}`"))),
                Some(t) if t.shape() != shape.as_slice() => {
                    return Err(state_err(format!(
                        "tensor `{name}` has shape {:?}, the network needs {shape:?}",
                        t.shape()
                    )));
                }
                Some(_) => {}
            }
        }
        if given.len() != expected.len() {
            let mut extra: Vec<&String> = given
                .keys()
                .filter(|k| expected.iter().all(|(n, _)| n != *k))
                .collect();
            extra.sort();
            return Err(state_err(format!("unexpected tensors {extra:?}")));
        }
        for (name, p) in self.params_mut() {
            p.set_value(given[&name].view())?;
        }
        Ok(())
    }

    /// The parameters as a plain safetensors file (`F32`, PyTorch names and
    /// layouts), readable by `safetensors.torch.load_file`.
    ///
    /// # Errors
    /// [`Error::Format`] if serialisation fails.
    pub fn to_safetensors_bytes(&self) -> Result<Vec<u8>> {
        let owned: Vec<(String, Vec<usize>, Vec<u8>)> = self
            .params()
            .into_iter()
            .map(|(n, p)| {
                let bytes = p.value().iter().flat_map(|v| v.to_le_bytes()).collect();
                (n, p.shape().to_vec(), bytes)
            })
            .collect();
        let views = owned
            .iter()
            .map(|(n, s, b)| {
                TensorView::new(Dtype::F32, s.clone(), b)
                    .map(|v| (n.clone(), v))
                    .map_err(|e| Error::format("safetensors", e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        safetensors::serialize(views, None).map_err(|e| Error::format("safetensors", e.to_string()))
    }

    /// Writes [`to_safetensors_bytes`](Self::to_safetensors_bytes) to `path`.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be written.
    pub fn save_safetensors(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let bytes = self.to_safetensors_bytes()?;
        std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
    }

    /// Loads parameters from plain safetensors bytes (e.g. written by
    /// `safetensors.torch.save_file(model.state_dict(), …)`); metadata is
    /// ignored. Strict as [`load_state_dict`](Self::load_state_dict).
    ///
    /// # Errors
    /// [`Error::Format`] for bytes that are not safetensors, non-`F32`
    /// tensors, or missing / unexpected / mis-shaped tensors.
    pub fn load_safetensors_bytes(&mut self, bytes: &[u8]) -> Result<()> {
        let st = SafeTensors::deserialize(bytes)
            .map_err(|e| Error::format("safetensors", e.to_string()))?;
        let mut tensors = Vec::new();
        for (name, view) in st.tensors() {
            if view.dtype() != Dtype::F32 {
                return Err(Error::format(
                    "safetensors",
                    format!("tensor `{name}` has dtype {:?}, expected F32", view.dtype()),
                ));
            }
            let data: Vec<f32> = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            let arr = ArrayD::from_shape_vec(IxDyn(view.shape()), data)
                .map_err(|e| Error::format("safetensors", format!("tensor `{name}`: {e}")))?;
            tensors.push((name, arr));
        }
        self.load_state_dict(tensors)
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

    /// A copy with the same layers and parameters but empty work buffers.
    pub(crate) fn fresh_copy(&self) -> Sequential {
        let mut net = Sequential::new();
        for (name, layer) in &self.layers {
            net.layers.push((name.clone(), layer.fresh()));
        }
        net
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

    /// One training step on a batch: forward in [`Mode::Train`], mean
    /// softmax cross-entropy against `targets` (class indices), backward,
    /// and `optimizer.step`. Returns the loss and accuracy before the update.
    ///
    /// The batch is cut into fixed chunks of images that each run the whole
    /// network (forward, loss, backward) on one rayon thread; parameter
    /// gradients are then summed in a fixed order, so the result is the same
    /// on any number of threads. Afterwards every layer's output holds this
    /// batch's activations (except a ReLU fused with the following pooling,
    /// whose output is empty) and every parameter its gradient; a further
    /// [`backward`](Self::backward) needs a new [`forward`](Self::forward).
    ///
    /// # Errors
    /// As [`forward`](Self::forward); [`Error::ShapeMismatch`] /
    /// [`Error::InvalidParameter`] for bad targets; [`Error::NumericalFailure`]
    /// (operation `"training"`) if the loss is not finite: the parameters are
    /// not updated (their gradients then hold this batch's non-finite values).
    pub fn train_step<D: Dimension>(
        &mut self,
        x: ArrayView<'_, f32, D>,
        targets: &[usize],
        optimizer: &mut dyn Optimizer,
    ) -> Result<StepStats> {
        let x = x.as_standard_layout();
        let shape = x.shape().to_vec();
        let xs = x.as_slice().expect("standard layout");
        // The pass runs on a rayon worker: its serial parts (planning, the
        // gradient reductions' set-up) then keep the pool awake, and its
        // parallel parts fork inside the pool instead of injecting from
        // outside and waking sleeping threads each time.
        let stats = rayon::scope(|_| {
            pipeline::train_pass(&mut self.layers, xs, &shape, targets, &mut self.loss_grad)
        })?;
        if !stats.loss.is_finite() {
            return Err(Error::NumericalFailure {
                operation: "training",
                reason: format!("loss is {} on this batch", stats.loss),
            });
        }
        optimizer.step(self)?;
        Ok(StepStats {
            loss: stats.loss,
            correct: stats.correct,
            batch_size: targets.len(),
        })
    }

    /// [`train_step`](Self::train_step) on the images `indices` of `x`
    /// (gathered into a reused batch buffer).
    pub(crate) fn train_step_indices(
        &mut self,
        x: &[f32],
        image_shape: &[usize],
        indices: &[usize],
        targets: &[usize],
        optimizer: &mut dyn Optimizer,
    ) -> Result<StepStats> {
        let img: usize = image_shape.iter().product();
        let mut shape = vec![indices.len()];
        shape.extend_from_slice(image_shape);
        let mut batch = std::mem::take(&mut self.batch);
        {
            let dst = batch.reshape(&shape);
            for (d, &i) in dst.chunks_mut(img.max(1)).zip(indices) {
                d.copy_from_slice(&x[i * img..(i + 1) * img]);
            }
        }
        let r = self.train_step(batch.view(), targets, optimizer);
        self.batch = batch;
        r
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
/// let net = LeNet5::digits().build();
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
/// let net = LeNet5::digits().build();
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
    ) -> (ArrayD<f32>, ArrayD<f32>, Vec<Layer>) {
        let mut layers: Vec<Layer> = net.layers().iter().map(|(_, l)| l.fresh()).collect();
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

    fn same(a: &ArrayD<f32>, b: &ArrayD<f32>, what: &str) {
        assert_eq!(a.shape(), b.shape(), "{what}");
        for (u, v) in a.iter().zip(b) {
            assert!(
                u.to_bits() == v.to_bits() || (u.is_nan() && v.is_nan()),
                "{what}: {u} vs {v}"
            );
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
            let mut net = builder.seed(3).build();
            let x = Array4::from_shape_simple_fn((5, c, hw, hw), || rng.random_range(-1.0..1.0))
                .into_dyn();
            let g =
                Array2::from_shape_simple_fn((5, 10), || rng.random_range(-1.0..1.0)).into_dyn();
            let (want_y, want_gx, layers) = unfused(&net, &x, &g);
            let y = net.forward(x.view(), Mode::Train).unwrap().to_owned();
            same(&y, &want_y, "logits");
            let gx = net.backward_to_input(g.view()).unwrap().to_owned();
            same(&gx, &want_gx, "input gradient");
            let want: Vec<ArrayD<f32>> = layers
                .iter()
                .flat_map(|l| l.params().into_iter().map(|(_, p)| p.grad().clone()))
                .collect();
            let got: Vec<ArrayD<f32>> =
                net.params().iter().map(|(_, p)| p.grad().clone()).collect();
            assert_eq!(got.len(), 10);
            for (a, b) in got.iter().zip(&want) {
                same(a, b, "parameter gradient");
            }
        }
        for (k, s) in [(2, 2), (3, 2), (2, 1)] {
            let mut net = Sequential::new()
                .add("relu", ReLU::new())
                .add("pool", MaxPool2d::with_stride(k, s).unwrap())
                .add("flatten", crate::nn::Flatten::new())
                .add(
                    "fc",
                    Linear::new(2 * ((9 - k) / s + 1) * ((10 - k) / s + 1), 3, 1),
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
