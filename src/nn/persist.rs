//! [`Persist`] for [`Sequential`]: an oxilearn model file whose metadata
//! describes the architecture and whose tensors are the `state_dict`.

use ndarray::{Array1, Array2, Array4, ArrayD};
use serde::{Deserialize, Serialize};

use super::Sequential;
use super::layers::{Conv2d, Conv2dConfig, Dropout, Flatten, Layer, Linear, MaxPool2d, ReLU};
use crate::error::{Error, Result};
use crate::persist::{ModelFile, Persist};

/// One layer as described in a model file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
enum LayerSpec {
    Conv2d {
        in_channels: usize,
        out_channels: usize,
        kernel: [usize; 2],
        stride: usize,
        padding: usize,
        bias: bool,
    },
    MaxPool2d {
        kernel: usize,
        stride: usize,
    },
    ReLU,
    Flatten,
    Linear {
        in_features: usize,
        out_features: usize,
        bias: bool,
    },
    Dropout {
        p: f64,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Architecture {
    layers: Vec<(String, LayerSpec)>,
}

fn spec(layer: &Layer) -> LayerSpec {
    match layer {
        Layer::Conv2d(c) => {
            let (kh, kw) = c.kernel_size();
            LayerSpec::Conv2d {
                in_channels: c.in_channels(),
                out_channels: c.out_channels(),
                kernel: [kh, kw],
                stride: c.config().stride,
                padding: c.config().padding,
                bias: c.bias().is_some(),
            }
        }
        Layer::MaxPool2d(p) => LayerSpec::MaxPool2d {
            kernel: p.kernel(),
            stride: p.stride(),
        },
        Layer::ReLU(_) => LayerSpec::ReLU,
        Layer::Flatten(_) => LayerSpec::Flatten,
        Layer::Linear(l) => LayerSpec::Linear {
            in_features: l.in_features(),
            out_features: l.out_features(),
            bias: l.bias().is_some(),
        },
        Layer::Dropout(d) => LayerSpec::Dropout { p: d.p() },
    }
}

fn bad(reason: impl Into<String>) -> Error {
    Error::format("Sequential model file", reason)
}

/// A layer with zero parameters of the described shape.
fn build(spec: &LayerSpec) -> Result<Layer> {
    let wrap = |e: Error| bad(format!("invalid layer description: {e}"));
    Ok(match *spec {
        LayerSpec::Conv2d {
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
            bias,
        } => Conv2d::from_weights(
            Array4::zeros((out_channels, in_channels, kernel[0], kernel[1])),
            bias.then(|| Array1::zeros(out_channels)),
            Conv2dConfig { stride, padding },
        )
        .map_err(wrap)?
        .into(),
        LayerSpec::MaxPool2d { kernel, stride } => {
            MaxPool2d::with_stride(kernel, stride).map_err(wrap)?.into()
        }
        LayerSpec::ReLU => ReLU::new().into(),
        LayerSpec::Flatten => Flatten::new().into(),
        LayerSpec::Linear {
            in_features,
            out_features,
            bias,
        } => Linear::from_weights(
            Array2::zeros((out_features, in_features)),
            bias.then(|| Array1::zeros(out_features)),
        )
        .map_err(wrap)?
        .into(),
        LayerSpec::Dropout { p } => Dropout::new(p, 0).map_err(wrap)?.into(),
    })
}

/// Saves the architecture (layer names, types, sizes) as hyperparameters and
/// the parameters under their `state_dict` names. The file is a safetensors
/// container, so PyTorch's `safetensors.torch.load_file` reads the weights
/// too. Dropout masks restart from seed 0 after loading.
///
/// # Example
/// ```
/// use oxilearn::nn::{LeNet5, Sequential};
/// use oxilearn::persist::Persist;
/// let net = LeNet5::mnist().seed(3).build();
/// let back = Sequential::from_bytes(&net.to_bytes()?)?;
/// assert_eq!(back.state_dict(), net.state_dict());
/// # Ok::<(), oxilearn::Error>(())
/// ```
impl Persist for Sequential {
    const KIND: &'static str = "Sequential";

    fn to_model_file(&self) -> Result<ModelFile> {
        let arch = Architecture {
            layers: self
                .layers()
                .iter()
                .map(|(n, l)| (n.clone(), spec(l)))
                .collect(),
        };
        let mut file = ModelFile::new(Self::KIND, "f32").with_hyperparameters(&arch)?;
        for (name, value) in self.state_dict() {
            file.push_f32(&name, value);
        }
        Ok(file)
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        file.expect_dtype("f32")?;
        let arch: Architecture = file.hyperparameters()?;
        let mut net = Sequential::new();
        for (name, spec) in &arch.layers {
            if net.layer(name).is_some() {
                return Err(bad(format!("layer name `{name}` used twice")));
            }
            net = net.add(name, build(spec)?);
        }
        let names: Vec<String> = net.params().into_iter().map(|(n, _)| n).collect();
        let mut tensors: Vec<(String, ArrayD<f32>)> = Vec::with_capacity(names.len());
        for name in names {
            let t = file.take_f32(&name)?;
            tensors.push((name, t));
        }
        let extra = file.tensor_names();
        if !extra.is_empty() {
            return Err(bad(format!("unexpected tensors {extra:?}")));
        }
        net.load_state_dict(tensors)?;
        Ok(net)
    }
}
