//! [`Persist`] for [`Sequential`]: an oxilearn model file whose metadata
//! describes the architecture and whose tensors are the `state_dict`.
//!
//! Loading treats the file as untrusted: every layer's sizes are checked
//! against the tensors in the file before a layer is built (layers are
//! built from those tensors, so loading allocates no more than the file's
//! own size), every tensor must be finite, hyperparameters pass the same
//! checks as the constructors, and tensors the architecture does not use
//! are an error.

use ndarray::{ArrayD, Ix1, Ix2, Ix4};
use serde::{Deserialize, Serialize};

use super::Sequential;
use super::layers::{
    AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, BatchNormConfig, Conv2d, Conv2dConfig,
    Dropout, Dropout2d, Flatten, Gelu, GeluApproximation, Layer, LeakyReLU, Linear, MaxPool2d,
    Padding, ReLU, Residual, Sigmoid, Tanh,
};
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
        padding: Padding,
        bias: bool,
    },
    MaxPool2d {
        kernel: usize,
        stride: usize,
    },
    AvgPool2d {
        kernel: usize,
        stride: usize,
        padding: usize,
        count_include_pad: bool,
    },
    AdaptiveAvgPool2d {
        output_size: [usize; 2],
    },
    ReLU,
    LeakyReLU {
        negative_slope: f64,
    },
    Sigmoid,
    Tanh,
    #[serde(rename = "GELU")]
    Gelu {
        approximate: GeluApproximation,
    },
    Flatten,
    Linear {
        in_features: usize,
        out_features: usize,
        bias: bool,
    },
    Dropout {
        p: f64,
    },
    Dropout2d {
        p: f64,
    },
    BatchNorm1d {
        num_features: usize,
        #[serde(flatten)]
        config: BatchNormConfig,
    },
    BatchNorm2d {
        num_features: usize,
        #[serde(flatten)]
        config: BatchNormConfig,
    },
    Sequential {
        layers: Vec<(String, LayerSpec)>,
    },
    Residual {
        body: Vec<(String, LayerSpec)>,
        shortcut: Option<Vec<(String, LayerSpec)>>,
        relu_after: bool,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Architecture {
    layers: Vec<(String, LayerSpec)>,
    /// The shape of one input, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    input_shape: Option<Vec<usize>>,
    /// The state of layers beyond their tensors (the dropout streams: seed
    /// and position), by layer name; absent in files written before it was
    /// kept (their dropouts restart from seed 0).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    layer_states: serde_json::Map<String, serde_json::Value>,
}

/// A constructor's error for the layer at `prefix`, as a format error of
/// the file.
fn invalid(file: &ModelFile, prefix: &str, e: Error) -> Error {
    file.format_error_at(
        format!("layer `{}`", prefix.trim_end_matches('.')),
        format!("invalid description: {e}"),
    )
}

/// The description of `layer` (named `name` in errors).
fn spec(name: &str, layer: &dyn Layer) -> Result<LayerSpec> {
    if let Some(c) = layer.downcast_ref::<Conv2d>() {
        let (kh, kw) = c.kernel_size();
        return Ok(LayerSpec::Conv2d {
            in_channels: c.in_channels(),
            out_channels: c.out_channels(),
            kernel: [kh, kw],
            stride: c.config().stride,
            padding: c.config().padding,
            bias: c.bias().is_some(),
        });
    }
    if let Some(p) = layer.downcast_ref::<MaxPool2d>() {
        return Ok(LayerSpec::MaxPool2d {
            kernel: p.kernel(),
            stride: p.stride(),
        });
    }
    if let Some(p) = layer.downcast_ref::<AvgPool2d>() {
        return Ok(LayerSpec::AvgPool2d {
            kernel: p.kernel(),
            stride: p.stride(),
            padding: p.padding(),
            count_include_pad: p.count_include_pad(),
        });
    }
    if let Some(p) = layer.downcast_ref::<AdaptiveAvgPool2d>() {
        let (h, w) = p.output_size();
        return Ok(LayerSpec::AdaptiveAvgPool2d {
            output_size: [h, w],
        });
    }
    if layer.is::<ReLU>() {
        return Ok(LayerSpec::ReLU);
    }
    if let Some(l) = layer.downcast_ref::<LeakyReLU>() {
        return Ok(LayerSpec::LeakyReLU {
            negative_slope: l.negative_slope(),
        });
    }
    if layer.is::<Sigmoid>() {
        return Ok(LayerSpec::Sigmoid);
    }
    if layer.is::<Tanh>() {
        return Ok(LayerSpec::Tanh);
    }
    if let Some(g) = layer.downcast_ref::<Gelu>() {
        return Ok(LayerSpec::Gelu {
            approximate: g.approximation(),
        });
    }
    if layer.is::<Flatten>() {
        return Ok(LayerSpec::Flatten);
    }
    if let Some(l) = layer.downcast_ref::<Linear>() {
        return Ok(LayerSpec::Linear {
            in_features: l.in_features(),
            out_features: l.out_features(),
            bias: l.bias().is_some(),
        });
    }
    if let Some(d) = layer.downcast_ref::<Dropout>() {
        return Ok(LayerSpec::Dropout { p: d.p() });
    }
    if let Some(d) = layer.downcast_ref::<Dropout2d>() {
        return Ok(LayerSpec::Dropout2d { p: d.p() });
    }
    if let Some(b) = layer.downcast_ref::<BatchNorm1d>() {
        return Ok(LayerSpec::BatchNorm1d {
            num_features: b.num_features(),
            config: b.config(),
        });
    }
    if let Some(b) = layer.downcast_ref::<BatchNorm2d>() {
        return Ok(LayerSpec::BatchNorm2d {
            num_features: b.num_features(),
            config: b.config(),
        });
    }
    if let Some(s) = layer.downcast_ref::<Sequential>() {
        return Ok(LayerSpec::Sequential { layers: specs(s)? });
    }
    if let Some(r) = layer.downcast_ref::<Residual>() {
        return Ok(LayerSpec::Residual {
            body: specs(r.body())?,
            shortcut: r.shortcut().map(specs).transpose()?,
            relu_after: r.has_relu_after(),
        });
    }
    Err(Error::invalid(
        "layer",
        format!(
            "layer `{name}` of type `{}` has no model-file description (only built-in layers \
             do); save its weights with Sequential::save_safetensors",
            layer.kind()
        ),
    ))
}

fn specs(net: &Sequential) -> Result<Vec<(String, LayerSpec)>> {
    if let Some((name, _)) = net.layers().iter().find(|(_, l)| !l.is_materialized()) {
        return Err(Error::invalid(
            "layer",
            format!(
                "layer `{name}` is lazy: give the network an input shape (with_input_shape) \
                 before saving"
            ),
        ));
    }
    net.layers()
        .iter()
        .map(|(n, l)| Ok((n.clone(), spec(n, l.as_ref())?)))
        .collect()
}

/// Takes the `f32` tensor `name` of exactly `shape`, all finite.
fn take(file: &mut ModelFile, name: &str, shape: &[usize]) -> Result<ArrayD<f32>> {
    let t = file.take_f32(name)?;
    if t.shape() != shape {
        return Err(file.format_error(format!(
            "tensor `{name}` has shape {:?}, the architecture needs {shape:?}",
            t.shape()
        )));
    }
    if let Some((i, v)) = t.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(file.format_error(format!("tensor `{name}` holds {v} at flat index {i}")));
    }
    Ok(t)
}

/// Builds the layers of `specs` from the tensors of `file` (names under
/// `prefix`).
fn build_all(
    specs: &[(String, LayerSpec)],
    prefix: &str,
    file: &mut ModelFile,
) -> Result<Sequential> {
    let mut net = Sequential::new();
    for (name, spec) in specs {
        if name.is_empty() || name.contains('.') {
            return Err(file.format_error(format!("invalid layer name `{name}`")));
        }
        if net.layer(name).is_some() {
            return Err(file.format_error(format!("layer name `{name}` used twice")));
        }
        let layer = build(spec, &format!("{prefix}{name}."), file)?;
        net = net.add_boxed(name, layer);
    }
    Ok(net)
}

/// A layer of the described shape with the file's tensors `<prefix>weight` …
fn build(spec: &LayerSpec, prefix: &str, file: &mut ModelFile) -> Result<Box<dyn Layer>> {
    let n = |t: &str| format!("{prefix}{t}");
    Ok(match spec {
        &LayerSpec::Conv2d {
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
            bias,
        } => {
            let w = take(
                file,
                &n("weight"),
                &[out_channels, in_channels, kernel[0], kernel[1]],
            )?
            .into_dimensionality::<Ix4>()
            .expect("4-D");
            let b = if bias {
                Some(
                    take(file, &n("bias"), &[out_channels])?
                        .into_dimensionality::<Ix1>()
                        .expect("1-D"),
                )
            } else {
                None
            };
            let cfg = Conv2dConfig {
                stride,
                padding,
                bias,
            };
            Box::new(Conv2d::from_weights(w, b, cfg).map_err(|e| invalid(file, prefix, e))?)
        }
        &LayerSpec::MaxPool2d { kernel, stride } => {
            Box::new(MaxPool2d::with_stride(kernel, stride).map_err(|e| invalid(file, prefix, e))?)
        }
        &LayerSpec::AvgPool2d {
            kernel,
            stride,
            padding,
            count_include_pad,
        } => Box::new(
            AvgPool2d::with_options(kernel, stride, padding, count_include_pad)
                .map_err(|e| invalid(file, prefix, e))?,
        ),
        &LayerSpec::AdaptiveAvgPool2d { output_size } => Box::new(
            AdaptiveAvgPool2d::new(output_size[0], output_size[1])
                .map_err(|e| invalid(file, prefix, e))?,
        ),
        LayerSpec::ReLU => Box::new(ReLU::new()),
        &LayerSpec::LeakyReLU { negative_slope } => {
            Box::new(LeakyReLU::new(negative_slope).map_err(|e| invalid(file, prefix, e))?)
        }
        LayerSpec::Sigmoid => Box::new(Sigmoid::new()),
        LayerSpec::Tanh => Box::new(Tanh::new()),
        &LayerSpec::Gelu { approximate } => Box::new(Gelu::with_approximation(approximate)),
        LayerSpec::Flatten => Box::new(Flatten::new()),
        &LayerSpec::Linear {
            in_features,
            out_features,
            bias,
        } => {
            let w = take(file, &n("weight"), &[out_features, in_features])?
                .into_dimensionality::<Ix2>()
                .expect("2-D");
            let b = if bias {
                Some(
                    take(file, &n("bias"), &[out_features])?
                        .into_dimensionality::<Ix1>()
                        .expect("1-D"),
                )
            } else {
                None
            };
            Box::new(Linear::from_weights(w, b).map_err(|e| invalid(file, prefix, e))?)
        }
        &LayerSpec::Dropout { p } => {
            Box::new(Dropout::new(p, 0).map_err(|e| invalid(file, prefix, e))?)
        }
        &LayerSpec::Dropout2d { p } => {
            Box::new(Dropout2d::new(p, 0).map_err(|e| invalid(file, prefix, e))?)
        }
        &LayerSpec::BatchNorm1d {
            num_features,
            config,
        } => {
            let mut bn = BatchNorm1d::with_config(num_features, config)
                .map_err(|e| invalid(file, prefix, e))?;
            load_state(&mut bn, prefix, file)?;
            Box::new(bn)
        }
        &LayerSpec::BatchNorm2d {
            num_features,
            config,
        } => {
            let mut bn = BatchNorm2d::with_config(num_features, config)
                .map_err(|e| invalid(file, prefix, e))?;
            load_state(&mut bn, prefix, file)?;
            Box::new(bn)
        }
        LayerSpec::Sequential { layers } => Box::new(build_all(layers, prefix, file)?),
        LayerSpec::Residual {
            body,
            shortcut,
            relu_after,
        } => {
            let body = build_all(body, prefix, file)?;
            let mut r = Residual::new(body)
                .map_err(|e| invalid(file, prefix, e))?
                .relu_after(*relu_after);
            if let Some(s) = shortcut {
                let s = build_all(s, &format!("{prefix}shortcut."), file)?;
                r = r.with_shortcut(s).map_err(|e| invalid(file, prefix, e))?;
            }
            Box::new(r)
        }
    })
}

/// Sets the (small, per-channel) parameters and buffers of a freshly built
/// layer from the file's tensors of the same shapes.
fn load_state(layer: &mut dyn Layer, prefix: &str, file: &mut ModelFile) -> Result<()> {
    for (name, p) in layer.params_mut() {
        let t = take(file, &format!("{prefix}{name}"), p.shape())?;
        p.set_value(t.view())?;
    }
    for (name, b) in layer.buffers_mut() {
        let full = format!("{prefix}{name}");
        let t = if b.is_integer() {
            let t = file.take_i64(&full)?;
            if t.shape() != b.value().shape() {
                return Err(file.format_error(format!(
                    "tensor `{full}` has shape {:?}, the architecture needs {:?}",
                    t.shape(),
                    b.value().shape()
                )));
            }
            if t.iter().any(|&v| !(0..=1 << 24).contains(&v)) {
                return Err(
                    file.format_error(format!("tensor `{full}` must count batches (0 ..= 2^24)"))
                );
            }
            t.mapv(|v| v as f32)
        } else {
            take(file, &full, b.value().shape())?
        };
        if !b.is_integer() && name == "running_var" && t.iter().any(|&v| v < 0.0) {
            return Err(file.format_error(format!("tensor `{full}` holds a negative variance")));
        }
        b.set_value(t.view())?;
    }
    Ok(())
}

/// Saves the architecture (layer names, types, sizes, nested containers)
/// as hyperparameters and the parameters and buffers under their
/// `state_dict` names. The file is a safetensors container, so PyTorch's
/// `safetensors.torch.load_file` reads the weights too. The dropout
/// layers' random streams (seed and position) are kept in the metadata, so
/// a loaded network continues training with the masks the saved one would
/// have drawn; batch norm keeps its running statistics, `momentum` and
/// `num_batches_tracked` as PyTorch does. Networks with layers of your own
/// cannot be saved this way (their weights can: `save_safetensors`).
///
/// # Example
/// ```
/// use oxilearn::nn::{LeNet5, Sequential};
/// use oxilearn::persist::Persist;
/// let net = LeNet5::mnist().seed(3).build()?;
/// let back = Sequential::from_bytes(&net.to_bytes()?)?;
/// assert_eq!(back.state_dict(), net.state_dict());
/// assert_eq!(back.input_shape(), Some(&[1, 28, 28][..]));
/// # Ok::<(), oxilearn::Error>(())
/// ```
impl Persist for Sequential {
    const KIND: &'static str = "Sequential";

    fn to_model_file(&self) -> Result<ModelFile> {
        let arch = Architecture {
            layers: specs(self)?,
            input_shape: self.input_shape().map(<[usize]>::to_vec),
            layer_states: self.extra_states(),
        };
        let mut file = ModelFile::new(Self::KIND, "f32").with_hyperparameters(&arch)?;
        for (name, p) in self.params() {
            file.push_f32(&name, p.value().clone());
        }
        for (name, b) in self.buffers() {
            if b.is_integer() {
                file.push_i64(&name, b.value().mapv(|v| v as i64));
            } else {
                file.push_f32(&name, b.value().clone());
            }
        }
        Ok(file)
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        file.expect_dtype("f32")?;
        let arch: Architecture = file.hyperparameters()?;
        if arch.layers.is_empty() {
            return Err(file.format_error("the architecture has no layers"));
        }
        let mut net = build_all(&arch.layers, "", &mut file)?;
        net.set_extra_states(&arch.layer_states).map_err(|e| {
            file.format_error_at(
                "hyperparameter `layer_states`",
                format!("a layer refuses its saved state: {e}"),
            )
        })?;
        let extra = file.tensor_names();
        if !extra.is_empty() {
            return Err(file.format_error(format!("unexpected tensors {extra:?}")));
        }
        match arch.input_shape {
            Some(shape) => net.with_input_shape(&shape).map_err(|e| {
                file.format_error(format!(
                    "the layers do not take the recorded input shape {shape:?}: {e}"
                ))
            }),
            None => Ok(net),
        }
    }
}
