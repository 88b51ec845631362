//! A loaded model as the server sees it: its protocol metadata (input and
//! output tensors with datatypes and shapes) and `infer`, which runs the
//! requested outputs on a decoded input tensor.
//!
//! | model                         | input                      | outputs (default first)                                        |
//! |-------------------------------|----------------------------|----------------------------------------------------------------|
//! | regressor                     | `[-1, n_features]` FP64    | `predict` FP64 `[-1]`                                          |
//! | classifier (integer labels)   | `[-1, n_features]` FP64    | `predict` INT64 `[-1]`, `predict_proba`, `decision_function` FP64 `[-1, k]` |
//! | classifier (string labels)    | `[-1, n_features]` FP64    | `predict` BYTES `[-1]`, `predict_proba`, `decision_function`   |
//! | outlier detector              | `[-1, n_features]` FP64    | `predict` INT64 (±1), `decision_function`, `score_samples`     |
//! | transformer (scaler …)        | `[-1, n_features]` FP64    | `transform` FP64 `[-1, n_out]`                                 |
//! | network (`Sequential`)        | `[-1, c, h, w]` FP32       | `predict` INT64 `[-1]`, `predict_proba` FP32, `logits` FP32 `[-1, k]` |
//! | pipeline                      | its first step's input     | its final step's outputs (as above)                            |
//!
//! Files are loaded by the library's registry (`oxilearn::compose`), so a
//! kind the library learns to load is servable with no change here.
//! Which optional outputs a model has (`predict_proba` needs an SVC fitted
//! with probabilities …) is found once at load by running each on one row,
//! so the metadata lists exactly what `infer` can answer. Any numeric input
//! datatype is accepted and converted (FP32 stays single precision for
//! networks).

use std::sync::Mutex;

use ndarray::{Array2, ArrayView2, ArrayViewD, Axis, Ix2, IxDyn};
use oxilearn::nn::Mode;
use oxilearn::persist::ModelMetadata;
use serde::Serialize;

use super::engine::{self, Engine};
use super::error::ApiError;
use super::tensor::{DataType, Numbers, OutputData};

/// Name, datatype and shape of a tensor in model metadata (`-1` = any size).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TensorMeta {
    /// Tensor name.
    pub name: String,
    /// Protocol datatype.
    pub datatype: &'static str,
    /// Shape; `-1` for the batch dimension and other free sizes.
    pub shape: Vec<i64>,
}

/// One output tensor of an inference: name, shape, values.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// The output's name (`predict`, `predict_proba` …).
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its values, row-major.
    pub data: OutputData,
}

/// The outputs a model can produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputKind {
    /// Predicted targets / labels.
    Predict,
    /// Class probabilities.
    PredictProba,
    /// Decision values.
    DecisionFunction,
    /// Outlier scores.
    ScoreSamples,
    /// Transformed features.
    Transform,
    /// Raw network outputs.
    Logits,
}

impl OutputKind {
    /// The output tensor's name.
    pub fn name(self) -> &'static str {
        match self {
            OutputKind::Predict => "predict",
            OutputKind::PredictProba => "predict_proba",
            OutputKind::DecisionFunction => "decision_function",
            OutputKind::ScoreSamples => "score_samples",
            OutputKind::Transform => "transform",
            OutputKind::Logits => "logits",
        }
    }
}

/// A loaded, servable model.
#[derive(Debug)]
pub struct ServedModel {
    metadata: ModelMetadata,
    engine: Engine,
    input: TensorMeta,
    outputs: Vec<(OutputKind, TensorMeta)>,
}

/// The name of the (single) input tensor in model metadata. Requests may
/// name their one input anything (clients use `input-0`, `input__0` …).
pub const INPUT_NAME: &str = "input";

impl ServedModel {
    /// Loads a model file's bytes through the library's validated loaders,
    /// then finds which outputs it can produce.
    ///
    /// # Errors
    /// Whatever the library's loader reports for the bytes (format, version,
    /// kind, inconsistent tensors), or a failure of the model on one row of
    /// zeros (a model that cannot predict is not served).
    pub fn from_bytes(bytes: &[u8]) -> oxilearn::Result<ServedModel> {
        let (metadata, engine) = engine::load(bytes)?;
        let (input, outputs) = describe(&metadata, &engine)?;
        Ok(ServedModel {
            metadata,
            engine,
            input,
            outputs,
        })
    }

    /// The model file's metadata.
    pub fn metadata(&self) -> &ModelMetadata {
        &self.metadata
    }

    /// The input tensor (name `input`, datatype, shape with `-1` batch).
    pub fn input(&self) -> &TensorMeta {
        &self.input
    }

    /// Every output the model can produce, the default one first.
    pub fn outputs(&self) -> impl Iterator<Item = &TensorMeta> {
        self.outputs.iter().map(|(_, m)| m)
    }

    /// Number of input features per row, or values per image.
    pub fn row_len(&self) -> Option<usize> {
        let dims = &self.input.shape[1..];
        dims.iter()
            .try_fold(1usize, |acc, &d| usize::try_from(d).ok().map(|d| acc * d))
    }

    /// Runs the model on `x` (`shape` as sent; checked here) and returns the
    /// outputs named in `requested` (all names known to the model), or the
    /// default output when `requested` is empty.
    ///
    /// # Errors
    /// 400 for an output name the model does not have; 422 for a shape the
    /// model does not take or values it refuses (NaN, inf).
    pub fn infer(
        &self,
        x: Numbers,
        shape: &[usize],
        requested: &[&str],
    ) -> Result<Vec<Output>, ApiError> {
        let kinds: Vec<OutputKind> = if requested.is_empty() {
            vec![self.outputs[0].0]
        } else {
            requested
                .iter()
                .map(|name| self.output_kind(name))
                .collect::<Result<_, _>>()?
        };
        self.check_shape(shape)?;
        let n = shape[0];
        match &self.engine {
            Engine::Network(pool) => {
                let x = x.into_f32();
                if let Some(i) = x.iter().position(|v| !v.is_finite()) {
                    return Err(ApiError::unprocessable(format!(
                        "input holds a non-finite value at flat index {i}"
                    )));
                }
                let x = ArrayViewD::from_shape(IxDyn(shape), &x).expect("shape checked");
                network_outputs(pool, x, &kinds)
            }
            other => {
                let x = x.into_f64();
                let x = ArrayView2::from_shape((n, shape[1]), &x).expect("shape checked");
                kinds
                    .iter()
                    .map(|&k| {
                        let (shape, data) = engine::run(other, k, x)?;
                        Ok(Output {
                            name: k.name().to_string(),
                            shape,
                            data,
                        })
                    })
                    .collect()
            }
        }
    }

    fn output_kind(&self, name: &str) -> Result<OutputKind, ApiError> {
        self.outputs
            .iter()
            .find(|(_, m)| m.name == name)
            .map(|(k, _)| *k)
            .ok_or_else(|| {
                let known: Vec<&str> = self.outputs().map(|m| m.name.as_str()).collect();
                ApiError::bad_request(format!(
                    "this model ({}) has no output `{name}`; it has {known:?}",
                    self.metadata.kind
                ))
            })
    }

    fn check_shape(&self, shape: &[usize]) -> Result<(), ApiError> {
        let want = &self.input.shape;
        let fits = shape.len() == want.len()
            && shape
                .iter()
                .zip(want)
                .skip(1)
                .all(|(&s, &w)| w < 0 || s as i64 == w);
        if !fits {
            let want: Vec<String> = want
                .iter()
                .enumerate()
                .map(|(i, &w)| match (i, w) {
                    (0, _) => "n".to_string(),
                    (_, w) if w < 0 => "*".to_string(),
                    (_, w) => w.to_string(),
                })
                .collect();
            return Err(ApiError::unprocessable(format!(
                "input shape {shape:?} does not fit this model ({}): expected [{}]",
                self.metadata.kind,
                want.join(", ")
            )));
        }
        Ok(())
    }
}

/// Metadata of the input and of every available output.
fn describe(
    meta: &ModelMetadata,
    engine: &Engine,
) -> oxilearn::Result<(TensorMeta, Vec<(OutputKind, TensorMeta)>)> {
    let tm = |name: &str, dt: DataType, shape: Vec<i64>| TensorMeta {
        name: name.to_string(),
        datatype: dt.as_str(),
        shape,
    };
    if let Engine::Network(pool) = engine {
        let k = pool.classes().map_or(-1, |k| k as i64);
        let input = tm(INPUT_NAME, DataType::F32, pool.input_shape());
        let outputs = [
            (OutputKind::Predict, DataType::I64, vec![-1]),
            (OutputKind::PredictProba, DataType::F32, vec![-1, k]),
            (OutputKind::Logits, DataType::F32, vec![-1, k]),
        ]
        .into_iter()
        .map(|(kind, dt, shape)| (kind, tm(kind.name(), dt, shape)))
        .collect();
        return Ok((input, outputs));
    }
    let n_features = engine::n_features(engine);
    let input = tm(INPUT_NAME, DataType::F64, vec![-1, n_features as i64]);
    let probe = Array2::<f64>::zeros((1, n_features));
    let mut outputs = Vec::new();
    let candidates: &[OutputKind] = match engine {
        Engine::Transformer(_) => &[OutputKind::Transform],
        _ => &[
            OutputKind::Predict,
            OutputKind::PredictProba,
            OutputKind::DecisionFunction,
            OutputKind::ScoreSamples,
        ],
    };
    for &kind in candidates {
        match engine::run(engine, kind, probe.view()) {
            Ok((shape, data)) => {
                let mut shape: Vec<i64> = shape.iter().map(|&s| s as i64).collect();
                shape[0] = -1;
                outputs.push((kind, tm(kind.name(), data.datatype(), shape)));
            }
            Err(e) if e.status.as_u16() == 400 => {} // not available for this model
            Err(e) => {
                return Err(oxilearn::Error::format(
                    format!("{} model", meta.kind),
                    format!("the model fails on one row of zeros: {}", e.message),
                ));
            }
        }
    }
    if outputs.is_empty() {
        return Err(oxilearn::Error::format(
            format!("{} model", meta.kind),
            "the model produces no output",
        ));
    }
    Ok((input, outputs))
}

/// A pool of network copies: a forward pass needs exclusive buffers, so each
/// concurrent request takes its own copy (made on demand, kept for reuse).
#[derive(Debug)]
pub struct NetPool {
    proto: oxilearn::nn::Sequential,
    idle: Mutex<Vec<oxilearn::nn::Sequential>>,
}

/// Images per forward pass (bounds the activation memory of a large request).
const NET_BATCH: usize = 256;

impl NetPool {
    /// A pool around `net`.
    pub fn new(net: oxilearn::nn::Sequential) -> Self {
        NetPool {
            proto: net,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// The output shape for a batch of one input of `shape` (without the
    /// batch dimension), when every layer takes what the previous one gives.
    fn output_for(&self, shape: &[usize]) -> Option<Vec<usize>> {
        let mut cur: Vec<usize> = std::iter::once(1).chain(shape.iter().copied()).collect();
        for (_, layer) in self.proto.layers() {
            cur = layer.output_shape(&cur).ok()?;
        }
        Some(cur)
    }

    /// The shape of one input: recorded in the file, or found from the
    /// first layer — `[in_features]` for a linear layer, `[c, s, s]` for a
    /// convolution with `s` the smallest square size the layers take (e.g.
    /// 28 for LeNet-5 on MNIST).
    fn sample_shape(&self) -> Option<Vec<usize>> {
        use oxilearn::nn::{Conv2d, Linear};
        if let Some(s) = self.proto.input_shape() {
            return Some(s.to_vec());
        }
        let first = self.proto.layers().first()?.1.as_any();
        if let Some(l) = first.downcast_ref::<Linear>() {
            return Some(vec![l.in_features()]);
        }
        let c = first.downcast_ref::<Conv2d>()?.in_channels();
        (1..=1024)
            .map(|s| vec![c, s, s])
            .find(|shape| self.output_for(shape).is_some())
    }

    /// Outputs per input (the size of the last dimension of the output).
    fn classes(&self) -> Option<usize> {
        self.output_for(&self.sample_shape()?)?.last().copied()
    }

    /// The input shape with `-1` for the batch (and for sizes not known).
    fn input_shape(&self) -> Vec<i64> {
        match self.sample_shape() {
            Some(s) => std::iter::once(-1)
                .chain(s.iter().map(|&d| d as i64))
                .collect(),
            None => vec![-1, -1, -1, -1],
        }
    }

    fn logits(&self, x: ArrayViewD<'_, f32>) -> oxilearn::Result<Array2<f32>> {
        let mut net = self
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_else(|| self.proto.clone());
        let out = forward_batches(&mut net, x);
        self.idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(net);
        out
    }
}

/// Evaluation-mode forward pass in batches of [`NET_BATCH`] rows; the output
/// must be `[n, k]`.
fn forward_batches(
    net: &mut oxilearn::nn::Sequential,
    x: ArrayViewD<'_, f32>,
) -> oxilearn::Result<Array2<f32>> {
    let n = x.shape()[0];
    let mut out: Option<Array2<f32>> = None;
    let mut start = 0;
    while start < n {
        let end = (start + NET_BATCH).min(n);
        let y = net.forward(x.slice_axis(Axis(0), (start..end).into()), Mode::Eval)?;
        let got = y.shape().to_vec();
        let y = y
            .into_dimensionality::<Ix2>()
            .map_err(|_| oxilearn::Error::ShapeMismatch {
                what: "network output (expected [n, classes])",
                expected: vec![end - start, usize::MAX],
                got,
            })?;
        let o = out.get_or_insert_with(|| Array2::zeros((n, y.ncols())));
        o.slice_mut(ndarray::s![start..end, ..]).assign(&y);
        start = end;
    }
    Ok(out.unwrap_or_else(|| Array2::zeros((0, 0))))
}

fn network_outputs(
    pool: &NetPool,
    x: ArrayViewD<'_, f32>,
    kinds: &[OutputKind],
) -> Result<Vec<Output>, ApiError> {
    let logits = pool.logits(x).map_err(|e| ApiError::from_model(&e))?;
    let (n, k) = logits.dim();
    let out = |kind: OutputKind, shape: Vec<usize>, data: OutputData| Output {
        name: kind.name().to_string(),
        shape,
        data,
    };
    Ok(kinds
        .iter()
        .map(|&kind| match kind {
            OutputKind::Predict => out(
                kind,
                vec![n],
                OutputData::I64(
                    logits
                        .rows()
                        .into_iter()
                        .map(|r| {
                            r.iter()
                                .enumerate()
                                .fold((0, f32::NEG_INFINITY), |best, (i, &v)| {
                                    if v > best.1 { (i, v) } else { best }
                                })
                                .0 as i64
                        })
                        .collect(),
                ),
            ),
            OutputKind::PredictProba => {
                let mut p = logits.clone();
                for mut r in p.rows_mut() {
                    let m = r.fold(f32::NEG_INFINITY, |a, &b| a.max(b));
                    r.mapv_inplace(|v| (v - m).exp());
                    let s = r.sum();
                    r.mapv_inplace(|v| v / s);
                }
                out(
                    kind,
                    vec![n, k],
                    OutputData::F32(p.into_raw_vec_and_offset().0),
                )
            }
            _ => out(
                OutputKind::Logits,
                vec![n, k],
                OutputData::F32(logits.clone().into_raw_vec_and_offset().0),
            ),
        })
        .collect())
}
