//! Forward outputs, gradients, optimizer steps and weight files against
//! PyTorch. The fixtures in `tests/data/nn_*.safetensors` are produced by
//! `tests/data/make_nn_fixtures.py` (PyTorch 2.x, CPU, float32); the weight
//! files are exactly what `safetensors.torch.save_file(model.state_dict(), …)`
//! writes.

use std::collections::HashMap;

use ndarray::{Array1, Array2, Array4, ArrayD, IxDyn};
use oxilearn::Error;
use oxilearn::nn::{
    Adam, Conv2d, Conv2dConfig, Layer, LeNet5, Linear, MaxPool2d, Mode, Optimizer, Padding,
    Sequential, Sgd, cross_entropy_with_grad,
};
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
                d => panic!("unexpected dtype {d:?}"),
            };
            (
                name,
                ArrayD::from_shape_vec(IxDyn(v.shape()), data).unwrap(),
            )
        })
        .collect()
}

fn assert_allclose(what: &str, ours: &ArrayD<f32>, theirs: &ArrayD<f32>, atol: f32, rtol: f32) {
    assert_eq!(ours.shape(), theirs.shape(), "{what}: shape");
    for (i, (a, b)) in ours.iter().zip(theirs.iter()).enumerate() {
        assert!(
            (a - b).abs() <= atol + rtol * b.abs(),
            "{what}[{i}]: ours {a} vs PyTorch {b}"
        );
    }
}

fn targets(t: &ArrayD<f32>) -> Vec<usize> {
    t.iter().map(|&v| v as usize).collect()
}

fn check_lenet(name: &str, mut net: Sequential) {
    let dir = env!("CARGO_MANIFEST_DIR");
    net.load_safetensors(format!(
        "{dir}/tests/data/nn_lenet_{name}_torch.safetensors"
    ))
    .unwrap();
    let io = read(&format!("nn_lenet_{name}_io.safetensors"));
    let logits = net.forward(io["x"].view(), Mode::Train).unwrap().to_owned();
    assert_allclose("logits", &logits, &io["logits"], 1e-5, 1e-5);
    let t = Array1::from(targets(&io["targets"]));
    let l2: Array2<f32> = logits.into_dimensionality().unwrap();
    let (loss, g) = cross_entropy_with_grad(l2.view(), t.view()).unwrap();
    assert!((loss - io["loss"][[0]]).abs() < 1e-5);
    net.backward(g.view()).unwrap();
    for (pname, p) in net.params() {
        assert_allclose(
            &format!("grad {pname}"),
            p.grad(),
            &io[&format!("grad.{pname}")],
            1e-6,
            1e-4,
        );
    }
}

#[test]
fn pytorch_lenet_cifar10_loads_and_gives_the_same_logits_and_gradients() {
    check_lenet("cifar10", LeNet5::cifar10().build().unwrap());
}

#[test]
fn pytorch_lenet_mnist_loads_and_gives_the_same_logits_and_gradients() {
    check_lenet("mnist", LeNet5::mnist().build().unwrap());
}

#[test]
fn our_weights_file_is_a_plain_state_dict_that_round_trips() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let mut net = LeNet5::cifar10().build().unwrap();
    net.load_safetensors(format!(
        "{dir}/tests/data/nn_lenet_cifar10_torch.safetensors"
    ))
    .unwrap();
    let bytes = net.to_safetensors_bytes().unwrap();
    // Plain safetensors with PyTorch names and layouts, no metadata needed.
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort();
    assert_eq!(
        names,
        [
            "conv1.bias",
            "conv1.weight",
            "conv2.bias",
            "conv2.weight",
            "fc1.bias",
            "fc1.weight",
            "fc2.bias",
            "fc2.weight",
            "fc3.bias",
            "fc3.weight"
        ]
    );
    assert_eq!(st.tensor("conv1.weight").unwrap().shape(), &[6, 3, 5, 5]);
    assert_eq!(st.tensor("fc1.weight").unwrap().shape(), &[120, 400]);
    let mut other = LeNet5::cifar10().seed(99).build().unwrap();
    other.load_safetensors_bytes(&bytes).unwrap();
    for ((n1, a), (n2, b)) in net.state_dict().iter().zip(other.state_dict().iter()) {
        assert_eq!(n1, n2);
        assert_eq!(a, b);
    }
    // For the manual PyTorch check: `python tests/data/make_nn_fixtures.py --check-ours <file>`.
    let out = std::env::temp_dir().join("oxilearn_nn_lenet_cifar10_ours.safetensors");
    net.save_safetensors(&out).unwrap();
    assert!(out.exists());
}

#[test]
fn bad_weight_files_are_format_errors() {
    let mut net = LeNet5::cifar10().build().unwrap();
    let before = net.state_dict();
    assert!(matches!(
        net.load_safetensors_bytes(b"garbage"),
        Err(Error::Format { .. })
    ));
    let mnist = LeNet5::mnist()
        .build()
        .unwrap()
        .to_safetensors_bytes()
        .unwrap();
    // conv1.weight is [6, 1, 5, 5] there.
    let e = net.load_safetensors_bytes(&mnist).unwrap_err();
    assert!(
        matches!(&e, Error::Format { reason, .. } if reason.contains("conv1.weight")),
        "{e}"
    );
    let mut bytes = net.to_safetensors_bytes().unwrap();
    bytes.truncate(bytes.len() - 10);
    assert!(matches!(
        net.load_safetensors_bytes(&bytes),
        Err(Error::Format { .. })
    ));
    let digits = LeNet5::digits()
        .build()
        .unwrap()
        .to_safetensors_bytes()
        .unwrap();
    assert!(matches!(
        net.load_safetensors_bytes(&digits),
        Err(Error::Format { .. })
    ));
    // Nothing changed on failure.
    assert_eq!(net.state_dict(), before);
    assert!(matches!(
        net.load_safetensors("/nonexistent/weights.safetensors"),
        Err(Error::Io { .. })
    ));
}

#[test]
fn conv_stride2_padding1_forward_and_backward_match_pytorch() {
    let f = read("nn_layers_torch.safetensors");
    let w: Array4<f32> = f["conv.weight"].clone().into_dimensionality().unwrap();
    let b: Array1<f32> = f["conv.bias"].clone().into_dimensionality().unwrap();
    let mut conv = Conv2d::from_weights(
        w,
        Some(b),
        Conv2dConfig {
            stride: 2,
            padding: Padding::Fixed(1),
            bias: true,
        },
    )
    .unwrap();
    let y = conv
        .forward(f["conv.x"].view(), Mode::Train)
        .unwrap()
        .to_owned();
    assert_allclose("conv y", &y, &f["conv.y"], 1e-5, 1e-5);
    let dx = conv.backward(f["conv.gout"].view()).unwrap().to_owned();
    assert_allclose("conv dx", &dx, &f["conv.dx"], 1e-5, 1e-5);
    assert_allclose(
        "conv dw",
        conv.weight().grad(),
        &f["conv.dweight"],
        1e-5,
        1e-5,
    );
    assert_allclose(
        "conv db",
        conv.bias().unwrap().grad(),
        &f["conv.dbias"],
        1e-5,
        1e-5,
    );
}

#[test]
fn overlapping_maxpool_and_linear_match_pytorch() {
    let f = read("nn_layers_torch.safetensors");
    let mut pool = MaxPool2d::with_stride(3, 2).unwrap();
    let y = pool
        .forward(f["pool.x"].view(), Mode::Train)
        .unwrap()
        .to_owned();
    assert_allclose("pool y", &y, &f["pool.y"], 0.0, 0.0);
    let dx = pool.backward(f["pool.gout"].view()).unwrap().to_owned();
    assert_allclose("pool dx", &dx, &f["pool.dx"], 1e-6, 1e-6);

    let w: Array2<f32> = f["linear.weight"].clone().into_dimensionality().unwrap();
    let b: Array1<f32> = f["linear.bias"].clone().into_dimensionality().unwrap();
    let mut lin = Linear::from_weights(w, Some(b)).unwrap();
    let y = lin
        .forward(f["linear.x"].view(), Mode::Train)
        .unwrap()
        .to_owned();
    assert_allclose("linear y", &y, &f["linear.y"], 1e-6, 1e-5);
    let dx = lin.backward(f["linear.gout"].view()).unwrap().to_owned();
    assert_allclose("linear dx", &dx, &f["linear.dx"], 1e-6, 1e-5);
    assert_allclose(
        "linear dw",
        lin.weight().grad(),
        &f["linear.dweight"],
        1e-6,
        1e-5,
    );
    assert_allclose(
        "linear db",
        lin.bias().unwrap().grad(),
        &f["linear.dbias"],
        1e-6,
        1e-5,
    );
}

#[test]
fn cross_entropy_with_large_logits_matches_pytorch() {
    let f = read("nn_layers_torch.safetensors");
    let logits: Array2<f32> = f["ce.logits"].clone().into_dimensionality().unwrap();
    let t = Array1::from(targets(&f["ce.targets"]));
    let (loss, g) = cross_entropy_with_grad(logits.view(), t.view()).unwrap();
    assert!(loss.is_finite());
    assert!((loss - f["ce.loss"][[0]]).abs() < 1e-4 * (1.0 + loss.abs()));
    assert_allclose("ce dlogits", &g.into_dyn(), &f["ce.dlogits"], 1e-6, 1e-5);
}

fn run_optimizer(case: &str, mut opt: impl Optimizer) {
    let f = read("nn_optim_torch.safetensors");
    let w: Array2<f32> = f["p0.weight"].clone().into_dimensionality().unwrap();
    let b: Array1<f32> = f["p0.bias"].clone().into_dimensionality().unwrap();
    let mut net = Sequential::new().add("lin", Linear::from_weights(w, Some(b)).unwrap());
    for i in 0..4 {
        net.forward(f[&format!("x.{i}")].view(), Mode::Train)
            .unwrap();
        net.backward(f["gout"].view()).unwrap();
        opt.step(&mut net).unwrap();
        let sd: HashMap<String, ArrayD<f32>> = net.state_dict().into_iter().collect();
        assert_allclose(
            &format!("{case} step {i} weight"),
            &sd["lin.weight"],
            &f[&format!("{case}.{i}.weight")],
            1e-6,
            1e-5,
        );
        assert_allclose(
            &format!("{case} step {i} bias"),
            &sd["lin.bias"],
            &f[&format!("{case}.{i}.bias")],
            1e-6,
            1e-5,
        );
    }
}

#[test]
fn sgd_steps_match_pytorch() {
    run_optimizer("sgd", Sgd::new(0.1));
    run_optimizer("sgd_momentum", Sgd::new(0.1).momentum(0.9));
    run_optimizer(
        "sgd_nesterov_wd",
        Sgd::new(0.05)
            .momentum(0.8)
            .nesterov(true)
            .weight_decay(0.01),
    );
}

#[test]
fn adam_steps_match_pytorch() {
    run_optimizer("adam", Adam::new(0.01));
    run_optimizer(
        "adam_wd",
        Adam::new(0.02).betas(0.8, 0.99).eps(1e-6).weight_decay(0.1),
    );
}
