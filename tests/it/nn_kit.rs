//! The layers added after LeNet (batch norm, average pooling, activations,
//! `same` padding, residual blocks), a whole ResNet-8, gradient clipping and
//! the learning-rate schedules against PyTorch.
//!
//! The fixtures `tests/data/nn_kit_layers_torch.safetensors`,
//! `tests/data/nn_resnet8_torch.safetensors` and
//! `tests/data/nn_sched_torch.safetensors` are written by
//! `tests/data/make_nn_kit_fixtures.py` (PyTorch 2.15, CPU, float32): each
//! test names the function of that script that made its values, and quotes
//! the lines that matter.

use std::collections::HashMap;

use ndarray::{Array1, Array4, ArrayD, IxDyn};
use oxilearn::nn::{
    Adam, AdaptiveAvgPool2d, Anneal, AvgPool2d, BatchNorm1d, BatchNorm2d, BatchNormConfig, Conv2d,
    Conv2dConfig, CosineAnnealingLr, ExponentialLr, Gelu, GeluApproximation, Layer, LeakyReLU,
    Linear, LrScheduler, Mode, OneCycleLr, Optimizer, Padding, PlateauMode, ReduceLrOnPlateau,
    ResNet, Sequential, Sgd, Sigmoid, StepLr, Tanh, clip_grad_norm, cross_entropy_with_grad,
};
use oxilearn::persist::Persist;
use safetensors::tensor::{Dtype, SafeTensors};

fn read(path: &str) -> HashMap<String, ArrayD<f32>> {
    let bytes = std::fs::read(format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    st.tensors()
        .into_iter()
        .map(|(name, v)| {
            let data: Vec<f32> = match v.dtype() {
                Dtype::F32 => v
                    .data()
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                    .collect(),
                Dtype::I64 => v
                    .data()
                    .chunks_exact(8)
                    .map(|b| i64::from_le_bytes(b.try_into().unwrap()) as f32)
                    .collect(),
                Dtype::F64 => panic!("read f64 tensors with read64"),
                d => panic!("unexpected dtype {d:?}"),
            };
            (
                name,
                ArrayD::from_shape_vec(IxDyn(v.shape()), data).unwrap(),
            )
        })
        .collect()
}

/// `|ours − theirs| ≤ atol + rtol·|theirs|` everywhere.
fn assert_allclose(what: &str, ours: &ArrayD<f32>, theirs: &ArrayD<f32>, atol: f32, rtol: f32) {
    assert_eq!(ours.shape(), theirs.shape(), "{what}: shape");
    for (i, (a, b)) in ours.iter().zip(theirs.iter()).enumerate() {
        assert!(
            (a - b).abs() <= atol + rtol * b.abs(),
            "{what}[{i}]: ours {a} vs PyTorch {b}"
        );
    }
}

/// Runs `layer` forward (training mode) on `<name>.x` and backward from
/// `<name>.gout`; checks `<name>.y` and `<name>.dx` (and the parameter
/// gradients `<name>.d<param>`).
fn check_grad_case(f: &HashMap<String, ArrayD<f32>>, name: &str, layer: &mut dyn Layer) {
    let y = layer
        .forward(f[&format!("{name}.x")].view(), Mode::Train)
        .unwrap()
        .to_owned();
    assert_allclose(
        &format!("{name} y"),
        &y,
        &f[&format!("{name}.y")],
        1e-6,
        1e-5,
    );
    let dx = layer
        .backward(f[&format!("{name}.gout")].view())
        .unwrap()
        .to_owned();
    assert_allclose(
        &format!("{name} dx"),
        &dx,
        &f[&format!("{name}.dx")],
        1e-6,
        1e-5,
    );
    for (pname, p) in layer.params() {
        let key = format!("{name}.d{pname}");
        assert_allclose(&key, p.grad(), &f[&key], 1e-5, 1e-5);
    }
}

fn set_params(layer: &mut dyn Layer, f: &HashMap<String, ArrayD<f32>>, prefix: &str) {
    for (pname, p) in layer.params_mut() {
        p.set_value(f[&format!("{prefix}.{pname}")].view()).unwrap();
    }
}

/// `layer_fixtures()`: `bn = nn.BatchNorm2d(3)` with random weight and
/// bias; `bn(x0)` then `grad_case(out, "bn2d", bn, torch.randn(4, 3, 5, 6) * 3 - 2, …)`
/// (two training steps), running statistics, then `bn.eval(); bn(xe)`.
#[test]
fn batch_norm_2d_matches_pytorch() {
    let f = read("nn_kit_layers_torch.safetensors");
    let mut bn = BatchNorm2d::new(3).unwrap();
    set_params(&mut bn, &f, "bn2d");
    let y0 = bn
        .forward(f["bn2d.x0"].view(), Mode::Train)
        .unwrap()
        .to_owned();
    assert_allclose("bn2d y0", &y0, &f["bn2d.y0"], 1e-6, 1e-5);
    check_grad_case(&f, "bn2d", &mut bn);
    let rm = bn.running_mean().unwrap().value().clone();
    let rv = bn.running_var().unwrap().value().clone();
    assert_allclose("running_mean", &rm, &f["bn2d.running_mean"], 1e-6, 1e-5);
    assert_allclose("running_var", &rv, &f["bn2d.running_var"], 1e-6, 1e-5);
    assert_eq!(bn.num_batches_tracked(), Some(2));
    assert_eq!(f["bn2d.num_batches_tracked"][[]], 2.0);
    let ye = bn
        .forward(f["bn2d.eval_x"].view(), Mode::Eval)
        .unwrap()
        .to_owned();
    assert_allclose("bn2d eval", &ye, &f["bn2d.eval_y"], 1e-6, 1e-5);
}

/// `layer_fixtures()`: `bn = nn.BatchNorm2d(2, momentum=None, eps=1e-3)`,
/// three training batches `torch.randn(3, 2, 4, 4) + i`: the running
/// statistics are cumulative averages.
#[test]
fn batch_norm_cumulative_average_matches_pytorch() {
    let f = read("nn_kit_layers_torch.safetensors");
    let cfg = BatchNormConfig {
        momentum: None,
        eps: 1e-3,
        ..Default::default()
    };
    let mut bn = BatchNorm2d::with_config(2, cfg).unwrap();
    for i in 0..3 {
        bn.forward(f[&format!("bn2d_cma.x{i}")].view(), Mode::Train)
            .unwrap();
    }
    let rm = bn.running_mean().unwrap().value().clone();
    let rv = bn.running_var().unwrap().value().clone();
    assert_allclose("cma mean", &rm, &f["bn2d_cma.running_mean"], 1e-6, 1e-5);
    assert_allclose("cma var", &rv, &f["bn2d_cma.running_var"], 1e-6, 1e-5);
}

/// `layer_fixtures()`: `bn = nn.BatchNorm1d(4)` with random weight and bias
/// on `torch.randn(6, 4) * 2` (`"bn1d"`) then `torch.randn(3, 4, 5)`
/// (`"bn1d_seq"`).
#[test]
fn batch_norm_1d_matches_pytorch() {
    let f = read("nn_kit_layers_torch.safetensors");
    let mut bn = BatchNorm1d::new(4).unwrap();
    set_params(&mut bn, &f, "bn1d");
    check_grad_case(&f, "bn1d", &mut bn);
    check_grad_case(&f, "bn1d_seq", &mut bn);
    let rm = bn.running_mean().unwrap().value().clone();
    let rv = bn.running_var().unwrap().value().clone();
    assert_allclose(
        "bn1d running_mean",
        &rm,
        &f["bn1d.running_mean"],
        1e-6,
        1e-5,
    );
    assert_allclose("bn1d running_var", &rv, &f["bn1d.running_var"], 1e-6, 1e-5);
}

/// One value per channel in training mode is refused, as PyTorch's
/// "Expected more than 1 value per channel when training".
#[test]
fn batch_norm_on_one_value_per_channel_is_an_error() {
    let mut bn = BatchNorm1d::new(3).unwrap();
    let x = ndarray::Array2::<f32>::ones((1, 3)).into_dyn();
    let e = bn.forward(x.view(), Mode::Train).unwrap_err();
    assert!(
        matches!(e, oxilearn::Error::InvalidParameter { name: "x", .. }),
        "{e}"
    );
    assert!(e.to_string().contains("more than 1 value per channel"));
    // Evaluation uses the running statistics: fine.
    assert!(bn.forward(x.view(), Mode::Eval).is_ok());
    let mut bn = BatchNorm2d::new(2).unwrap();
    let x = Array4::<f32>::ones((1, 2, 1, 1)).into_dyn();
    assert!(bn.forward(x.view(), Mode::Train).is_err());
    let x = Array4::<f32>::ones((1, 2, 1, 2)).into_dyn();
    assert!(bn.forward(x.view(), Mode::Train).is_ok());
}

/// `layer_fixtures()`: `F.avg_pool2d(t, 3, stride=2, padding=1)` with and
/// without `count_include_pad`, `F.adaptive_avg_pool2d(t, (2, 3))` on 5 × 7
/// and `F.adaptive_avg_pool2d(t, 1)`.
#[test]
fn average_pooling_matches_pytorch() {
    let f = read("nn_kit_layers_torch.safetensors");
    check_grad_case(
        &f,
        "avgpool",
        &mut AvgPool2d::with_options(3, 2, 1, true).unwrap(),
    );
    check_grad_case(
        &f,
        "avgpool_nopad",
        &mut AvgPool2d::with_options(3, 2, 1, false).unwrap(),
    );
    check_grad_case(&f, "adaptive", &mut AdaptiveAvgPool2d::new(2, 3).unwrap());
    check_grad_case(&f, "gap", &mut AdaptiveAvgPool2d::global());
}

/// `layer_fixtures()`: `xa = torch.randn(3, 4, 5) * 3` through
/// `F.leaky_relu(t, 0.2)`, `torch.sigmoid`, `torch.tanh`, `F.gelu` and
/// `F.gelu(t, approximate="tanh")`.
#[test]
fn activations_match_pytorch() {
    let f = read("nn_kit_layers_torch.safetensors");
    check_grad_case(&f, "leaky", &mut LeakyReLU::new(0.2).unwrap());
    check_grad_case(&f, "sigmoid", &mut Sigmoid::new());
    check_grad_case(&f, "tanh", &mut Tanh::new());
    check_grad_case(&f, "gelu", &mut Gelu::new());
    check_grad_case(
        &f,
        "gelu_tanh",
        &mut Gelu::with_approximation(GeluApproximation::Tanh),
    );
}

/// `layer_fixtures()`: `nn.Conv2d(3, 8, 3, padding="same")` on 9 × 10
/// images (direct kernels) and `nn.Conv2d(2, 5, 5, padding="same")` on
/// 6 × 7 (GEMM path).
#[test]
fn same_padding_convolutions_match_pytorch() {
    let f = read("nn_kit_layers_torch.safetensors");
    for name in ["same3", "same5"] {
        let w: Array4<f32> = f[&format!("{name}.weight")]
            .clone()
            .into_dimensionality()
            .unwrap();
        let b: Array1<f32> = f[&format!("{name}.bias")]
            .clone()
            .into_dimensionality()
            .unwrap();
        let mut conv =
            Conv2d::from_weights(w, Some(b), Conv2dConfig::padding(Padding::Same)).unwrap();
        check_grad_case(&f, name, &mut conv);
    }
}

fn resnet8() -> (Sequential, HashMap<String, ArrayD<f32>>) {
    let f = read("nn_resnet8_torch.safetensors");
    let mut net = ResNet::cifar10().width(8).build().unwrap();
    let state: Vec<(String, ArrayD<f32>)> = f
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("model.").map(|n| (n.to_string(), v.clone())))
        .collect();
    net.load_state_dict(state).unwrap();
    (net, f)
}

/// `resnet_fixture()`: `ResNet(1, width=8)` (CIFAR ResNet-8, PyTorch
/// attribute names) after two SGD steps; on a batch of 4 in training mode
/// the logits, `F.cross_entropy` and every parameter gradient, the running
/// statistics after that pass, and the evaluation-mode logits.
#[test]
fn resnet8_matches_pytorch_in_training_and_evaluation() {
    let (mut net, f) = resnet8();
    let x = &f["x"];
    let logits = net.forward(x.view(), Mode::Train).unwrap().to_owned();
    assert_allclose("logits", &logits, &f["logits"], 1e-6, 1e-5);
    let t: Array1<usize> = f["targets"].iter().map(|&v| v as usize).collect();
    let l2 = logits.into_dimensionality().unwrap();
    let (loss, g) = cross_entropy_with_grad(ndarray::ArrayView2::from(&l2), t.view()).unwrap();
    assert!((loss - f["loss"][[0]]).abs() < 1e-5, "{loss}");
    net.backward(g.view()).unwrap();
    let mut checked = 0;
    for (name, p) in net.params() {
        assert_allclose(&name, p.grad(), &f[&format!("grad.{name}")], 1e-6, 1e-5);
        checked += 1;
    }
    assert_eq!(checked, f.keys().filter(|k| k.starts_with("grad.")).count());
    for (name, b) in net.buffers() {
        assert_allclose(&name, b.value(), &f[&format!("after.{name}")], 1e-6, 1e-5);
    }
    let eval = net.forward(x.view(), Mode::Eval).unwrap().to_owned();
    assert_allclose("eval logits", &eval, &f["eval_logits"], 1e-6, 1e-5);
}

/// The same network trained one step with `compute_gradients` (the layer by
/// layer path, as a ResNet has batch norm) gives the gradients of the
/// forward/backward passes above; and the model file round-trips every
/// parameter and running statistic, nested names included.
#[test]
fn resnet8_trains_and_round_trips_through_a_model_file() {
    let (mut net, f) = resnet8();
    let t: Vec<u8> = f["targets"].iter().map(|&v| v as u8).collect();
    let stats = net.compute_gradients(f["x"].view(), &t).unwrap();
    assert!((stats.loss - f64::from(f["loss"][[0]])).abs() < 1e-5);
    for (name, p) in net.params() {
        assert_allclose(&name, p.grad(), &f[&format!("grad.{name}")], 1e-6, 1e-5);
    }
    let back = Sequential::from_bytes(&net.to_bytes().unwrap()).unwrap();
    assert_eq!(back.state_dict(), net.state_dict());
    assert_eq!(back.input_shape(), Some(&[3, 32, 32][..]));
    assert!(
        back.state_dict()
            .iter()
            .any(|(n, _)| n == "layer2.0.shortcut.1.num_batches_tracked")
    );
    // The plain safetensors weights carry num_batches_tracked as I64, as
    // PyTorch's state_dict does.
    let bytes = net.to_safetensors_bytes().unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(
        st.tensor("layer1.0.bn1.num_batches_tracked")
            .unwrap()
            .dtype(),
        Dtype::I64
    );
    let mut other = ResNet::cifar10().width(8).seed(9).build().unwrap();
    other.load_safetensors_bytes(&bytes).unwrap();
    assert_eq!(other.state_dict(), net.state_dict());
}

/// A model file whose architecture claims sizes its tensors do not have
/// (`fc1` of 10⁹ × 10⁹, the crafted file of issue #19 that made the old
/// loader allocate 4·10¹⁸ bytes) is a format error found before any layer
/// is built; so are a non-finite weight, a missing or extra tensor, an
/// invalid hyperparameter and a negative running variance.
#[test]
fn crafted_sequential_files_are_format_errors() {
    use oxilearn::nn::LeNet5;
    let net = LeNet5::digits().build().unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut file = net.to_model_file().unwrap();
        f(&mut file.metadata.hyperparameters);
        Sequential::from_model_file(file)
    };
    let fc1 = |h: &mut serde_json::Value| -> serde_json::Value { h["layers"][7][1].clone() };
    let mut h = net.to_model_file().unwrap().metadata.hyperparameters;
    assert_eq!(fc1(&mut h)["in_features"], 64);
    let e = edit(&|h| {
        h["layers"][7][1]["in_features"] = 1_000_000_000.into();
        h["layers"][7][1]["out_features"] = 1_000_000_000.into();
    })
    .unwrap_err();
    assert!(matches!(e, oxilearn::Error::Format { .. }), "{e}");
    assert!(e.to_string().contains("fc1.weight"), "{e}");
    let e = edit(&|h| h["layers"][0][1]["stride"] = 0.into()).unwrap_err();
    assert!(e.to_string().contains("stride"), "{e}");
    let e = edit(&|h| h["layers"][1][1]["type"] = "Conv9d".into()).unwrap_err();
    assert!(matches!(e, oxilearn::Error::Format { .. }), "{e}");
    let e = edit(&|h| {
        h["layers"][11][1]["bias"] = false.into();
    })
    .unwrap_err();
    assert!(e.to_string().contains("fc3.bias"), "unexpected tensor: {e}");
    // A NaN weight.
    let mut file = net.to_model_file().unwrap();
    let mut w = net.state_dict()[0].1.clone();
    w.as_slice_mut().unwrap()[3] = f32::NAN;
    file.push_f32("conv1.weight", w);
    assert!(Sequential::from_model_file(file).is_err());
    // A ResNet's batch norm with a negative running variance.
    let res = ResNet::cifar10().width(4).build().unwrap();
    let mut file = res.to_model_file().unwrap();
    let rv = ArrayD::from_elem(IxDyn(&[4]), -1.0f32);
    file.push_f32("bn1.running_var", rv);
    let e = Sequential::from_model_file(file).unwrap_err();
    assert!(e.to_string().contains("negative variance"), "{e}");
}

/// The `F64` tensors of a fixture (learning-rate sequences).
fn read64(path: &str) -> HashMap<String, Vec<f64>> {
    let bytes = std::fs::read(format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    st.tensors()
        .into_iter()
        .filter(|(_, v)| v.dtype() == Dtype::F64)
        .map(|(name, v)| {
            let data = v
                .data()
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
                .collect();
            (name, data)
        })
        .collect()
}

/// Runs a schedule as `sched_fixtures()`'s `run` does (read the learning
/// rate and momentum, `opt.step()`, `sched.step()`) and compares the
/// sequences with PyTorch's.
fn check_schedule(
    f: &HashMap<String, Vec<f64>>,
    name: &str,
    opt: &mut dyn Optimizer,
    sched: &mut dyn LrScheduler,
    metrics: Option<&[f64]>,
) {
    let (want_lr, want_m) = (&f[&format!("{name}.lr")], &f[&format!("{name}.momentum")]);
    sched.start(opt).unwrap();
    for i in 0..want_lr.len() {
        let (lr, m) = (opt.learning_rate(), opt.momentum().unwrap());
        assert!(
            (lr - want_lr[i]).abs() <= 1e-12 * want_lr[i].abs(),
            "{name} lr[{i}]: ours {lr} vs PyTorch {}",
            want_lr[i]
        );
        assert!(
            (m - want_m[i]).abs() <= 1e-12,
            "{name} momentum[{i}]: ours {m} vs PyTorch {}",
            want_m[i]
        );
        sched.step(opt, metrics.map(|m| m[i])).unwrap();
    }
}

/// `sched_fixtures()`: with `SGD(lr=0.1, momentum=0.9)` (`Adam(lr=1e-3)`
/// for the three-phase cycle), the learning rates (and momenta) of
/// `StepLR(step_size=3, gamma=0.5)` and `ExponentialLR(gamma=0.9)` over 12
/// epochs, `CosineAnnealingLR(T_max=7, eta_min=0.001)` over 30 (past the
/// first half-period), `OneCycleLR(max_lr=0.5, total_steps=40)`,
/// `OneCycleLR(max_lr=0.01, total_steps=25, pct_start=0.25,
/// anneal_strategy="linear", three_phase=True)` (Adam's β₁ cycles) and
/// `ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.02)` on
/// a fixed metric sequence.
#[test]
fn schedules_give_pytorchs_learning_rate_sequences() {
    let f = read64("nn_sched_torch.safetensors");
    let sgd = || Sgd::new(0.1).momentum(0.9);
    check_schedule(
        &f,
        "step",
        &mut sgd(),
        &mut StepLr::new(3, 0.5).unwrap(),
        None,
    );
    check_schedule(
        &f,
        "exp",
        &mut sgd(),
        &mut ExponentialLr::new(0.9).unwrap(),
        None,
    );
    check_schedule(
        &f,
        "cosine",
        &mut sgd(),
        &mut CosineAnnealingLr::new(7, 0.001).unwrap(),
        None,
    );
    check_schedule(
        &f,
        "onecycle",
        &mut sgd(),
        &mut OneCycleLr::new(0.5, 40).unwrap(),
        None,
    );
    let mut cycle = OneCycleLr::new(0.01, 25)
        .unwrap()
        .pct_start(0.25)
        .unwrap()
        .anneal(Anneal::Linear)
        .three_phase(true);
    check_schedule(&f, "onecycle_adam", &mut Adam::new(1e-3), &mut cycle, None);
    let metrics = f["plateau.metrics"].clone();
    let mut plateau = ReduceLrOnPlateau::new(PlateauMode::Min)
        .factor(0.5)
        .unwrap()
        .patience(2)
        .cooldown(1)
        .min_lr(0.02);
    check_schedule(&f, "plateau", &mut sgd(), &mut plateau, Some(&metrics));
    // One step past a cycle's end is an error, as in PyTorch.
    let mut opt = sgd();
    let mut c = OneCycleLr::new(0.1, 2).unwrap();
    c.start(&mut opt).unwrap();
    c.step(&mut opt, None).unwrap();
    c.step(&mut opt, None).unwrap();
    assert!(c.step(&mut opt, None).is_err());
    // Stepping before start, a plateau without its metric.
    assert!(StepLr::new(2, 0.1).unwrap().step(&mut opt, None).is_err());
    let mut p = ReduceLrOnPlateau::new(PlateauMode::Max);
    p.start(&mut opt).unwrap();
    assert!(p.step(&mut opt, None).is_err());
}

/// `layer_fixtures()`: `torch.nn.utils.clip_grad_norm_(ps, max_norm=1.5)`
/// on gradients `torch.randn(3, 4)`, `torch.randn(5)`: the total norm it
/// returns and the clipped gradients.
#[test]
fn gradient_clipping_matches_pytorch() {
    let f = read("nn_kit_layers_torch.safetensors");
    // Parameters of shapes [3, 4] and [5] (plus an empty [5, 0] weight).
    let w = f["clip.g0"].clone().into_dimensionality().unwrap();
    let b = f["clip.g1"].clone().into_dimensionality().unwrap();
    let mut net = Sequential::new()
        .push(Linear::from_weights(w, None).unwrap())
        .push(Linear::from_weights(ndarray::Array2::zeros((5, 0)), Some(b)).unwrap());
    let grads = [f["clip.g0"].clone(), f["clip.g1"].clone()];
    for ((_, p), g) in net
        .params_mut()
        .into_iter()
        .filter(|(_, p)| !p.value().is_empty())
        .zip(&grads)
    {
        p.grad_mut().assign(g);
    }
    let total = clip_grad_norm(&mut net, 1.5).unwrap();
    assert!((total - f64::from(f["clip.total"][[0]])).abs() < 1e-6 * total);
    let ps = net.params();
    assert_allclose("clipped g0", ps[0].1.grad(), &f["clip.c0"], 1e-7, 1e-6);
    assert_allclose("clipped g1", ps[2].1.grad(), &f["clip.c1"], 1e-7, 1e-6);
    // Below the bound nothing changes.
    let before = net.params()[0].1.grad().clone();
    assert!(clip_grad_norm(&mut net, 10.0).unwrap() <= 1.5 + 1e-5);
    assert_eq!(net.params()[0].1.grad(), &before);
    assert!(clip_grad_norm(&mut net, 0.0).is_err());
}

/// A network saved in the middle of training and loaded again is the same
/// network (#18 review): eval outputs bit-identical; the batch-norm running
/// statistics, momentum (also PyTorch's cumulative `momentum=None`) and
/// `num_batches_tracked`; the dropout streams, so train-mode outputs and one
/// more training step are bit-identical too.
#[test]
fn a_saved_network_continues_training_bit_identically() {
    use oxilearn::nn::{
        BatchNorm1d, BatchNorm2d, BatchNormConfig, Conv2d, Conv2dConfig, Dropout, Dropout2d,
        Flatten, Linear, Mode, Padding, ReLU, Sequential, Sgd,
    };
    let momentum = |m| BatchNormConfig {
        momentum: m,
        ..BatchNormConfig::default()
    };
    let mut net = Sequential::new()
        .seed(5)
        .add(
            "conv",
            Conv2d::lazy(4, 3, Conv2dConfig::padding(Padding::Same)).unwrap(),
        )
        .add("bn", BatchNorm2d::lazy(momentum(Some(0.3))).unwrap())
        .add("relu", ReLU::new())
        .add("drop2d", Dropout2d::unseeded(0.25).unwrap())
        .add("flatten", Flatten::new())
        .add("fc", Linear::lazy(6).unwrap())
        .add("bn1", BatchNorm1d::lazy(momentum(None)).unwrap())
        .add("drop", Dropout::new(0.5, 11).unwrap())
        .add("out", Linear::lazy(3).unwrap())
        .with_input_shape(&[2, 5, 5])
        .unwrap();
    let x = Array4::from_shape_fn((8, 2, 5, 5), |(n, c, h, w)| {
        ((n * 7 + c * 5 + h * 3 + w) % 11) as f32 / 5.0 - 1.0
    });
    let y: Vec<usize> = (0..8).map(|i| i % 3).collect();
    let mut opt = Sgd::new(0.1).momentum(0.9);
    for _ in 0..3 {
        net.train_step(x.view(), &y, &mut opt).unwrap();
    }
    let mut back = Sequential::from_bytes(&net.to_bytes().unwrap()).unwrap();
    assert_eq!(back.state_dict(), net.state_dict());
    let tracked = |n: &Sequential, name: &str| {
        n.state_dict()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v[[]])
    };
    assert_eq!(tracked(&back, "bn.num_batches_tracked"), Some(3.0));
    assert_eq!(tracked(&back, "bn1.num_batches_tracked"), Some(3.0));
    let config = |n: &Sequential| {
        let bn = n
            .layer("bn")
            .unwrap()
            .downcast_ref::<BatchNorm2d>()
            .unwrap();
        let bn1 = n
            .layer("bn1")
            .unwrap()
            .downcast_ref::<BatchNorm1d>()
            .unwrap();
        (bn.config(), bn1.config())
    };
    assert_eq!(config(&back), config(&net));
    assert_eq!(config(&back).1.momentum, None);
    let run = |n: &mut Sequential, mode| n.forward(x.view(), mode).unwrap().to_owned();
    // Evaluation: bit-identical (f32 ==, no tolerance).
    assert_eq!(run(&mut back, Mode::Eval), run(&mut net, Mode::Eval));
    // Training mode: the dropout masks continue the same streams and the
    // running statistics (cumulative for bn1) update alike.
    assert_eq!(run(&mut back, Mode::Train), run(&mut net, Mode::Train));
    assert_eq!(back.state_dict(), net.state_dict());
    // One more training step (the optimizer's state is not part of a model
    // file: a checkpoint holds it; a fresh plain SGD on each side here).
    net.train_step(x.view(), &y, &mut Sgd::new(0.1)).unwrap();
    back.train_step(x.view(), &y, &mut Sgd::new(0.1)).unwrap();
    assert_eq!(back.state_dict(), net.state_dict());
    assert_eq!(run(&mut back, Mode::Train), run(&mut net, Mode::Train));
}
