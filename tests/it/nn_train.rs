//! Training on the bundled digits, determinism, bad input, model files.

use ndarray::{Array1, Array2, Array4, Axis};
use oxilearn::Error;
use oxilearn::data::stratified_train_test_split;
use oxilearn::datasets;
use oxilearn::nn::{
    Adam, Conv2d, Conv2dConfig, LeNet5, Mode, Progress, Sequential, Sgd, TrainConfig,
};
use oxilearn::persist::Persist;
use oxilearn::traits::Predict;

fn to_images(x: &Array2<f64>) -> Array4<f32> {
    let n = x.len_of(Axis(0));
    x.mapv(|v| (v / 16.0) as f32)
        .into_shape_with_order((n, 1, 8, 8))
        .unwrap()
}

struct Digits {
    x_train: Array4<f32>,
    y_train: Array1<usize>,
    x_test: Array4<f32>,
    y_test: Array1<usize>,
}

fn digits() -> Digits {
    let d = datasets::digits();
    let s = stratified_train_test_split(d.records.view(), d.targets.view(), 0.25, 0).unwrap();
    Digits {
        x_train: to_images(&s.x_train),
        y_train: s.y_train,
        x_test: to_images(&s.x_test),
        y_test: s.y_test,
    }
}

#[test]
fn lenet_on_digits_reaches_97_percent_test_accuracy() {
    let d = digits();
    let mut net = LeNet5::digits().seed(0).build().unwrap();
    let mut opt = Sgd::new(0.02).momentum(0.9);
    let mut batches = 0;
    let mut epochs_seen = 0;
    let history = TrainConfig::new()
        .epochs(20)
        .batch_size(16)
        .seed(0)
        .fit_with(
            &mut net,
            &mut opt,
            d.x_train.view(),
            d.y_train.view(),
            Some((d.x_test.view(), d.y_test.view())),
            &mut |p| match p {
                Progress::Batch { .. } => batches += 1,
                Progress::Epoch(_) => epochs_seen += 1,
            },
        )
        .unwrap();
    assert_eq!(epochs_seen, 20);
    assert_eq!(batches, 20 * d.x_train.len_of(Axis(0)).div_ceil(16));
    let first = history.epochs[0];
    let last = history.last().unwrap();
    assert!(last.loss < first.loss / 5.0, "{first:?} → {last:?}");
    let acc = last.val_accuracy.unwrap();
    assert!(acc >= 0.97, "test accuracy {acc}");
    // predict agrees with evaluate
    let pred = net.predict(d.x_test.view()).unwrap();
    let hits = pred.iter().zip(&d.y_test).filter(|(a, b)| a == b).count();
    assert!((hits as f64 / d.y_test.len() as f64 - acc).abs() < 1e-12);
}

fn short_run(threads: usize) -> Vec<(String, ndarray::ArrayD<f32>)> {
    let d = digits();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut net = LeNet5::digits().seed(5).build().unwrap();
        let mut opt = Adam::new(1e-3);
        TrainConfig::new()
            .epochs(1)
            .batch_size(128)
            .seed(9)
            .fit(&mut net, &mut opt, d.x_train.view(), d.y_train.view())
            .unwrap();
        net.state_dict()
    })
}

#[test]
fn training_is_deterministic_across_thread_counts() {
    let a = short_run(1);
    let b = short_run(3);
    assert_eq!(a, b);
    let c = LeNet5::digits().seed(5).build().unwrap().state_dict();
    assert_ne!(a, c, "training changed the weights");
}

#[test]
fn wrong_shapes_and_channels_are_shape_mismatch() {
    let mut net = LeNet5::cifar10().build().unwrap();
    let gray = Array4::<f32>::zeros((2, 1, 32, 32));
    assert!(matches!(
        net.forward(gray.view(), Mode::Eval),
        Err(Error::ShapeMismatch { .. })
    ));
    let small = Array4::<f32>::zeros((2, 3, 28, 28)); // conv2 output 3×3 → fc1 gets 144
    assert!(matches!(
        net.forward(small.view(), Mode::Eval),
        Err(Error::ShapeMismatch { .. })
    ));
    let tiny = Array4::<f32>::zeros((2, 3, 4, 4));
    assert!(matches!(
        net.forward(tiny.view(), Mode::Eval),
        Err(Error::ShapeMismatch { .. })
    ));
    let flat = Array2::<f32>::zeros((2, 3072));
    assert!(matches!(
        net.forward(flat.view(), Mode::Eval),
        Err(Error::ShapeMismatch { .. })
    ));
    let mut opt = Sgd::new(0.1);
    let x = Array4::<f32>::zeros((4, 3, 32, 32));
    let e = TrainConfig::new().fit(&mut net, &mut opt, x.view(), Array1::zeros(3).view());
    assert!(matches!(e, Err(Error::ShapeMismatch { .. })));
    let e = TrainConfig::new().fit(
        &mut net,
        &mut opt,
        x.view(),
        Array1::from(vec![0, 1, 10, 2]).view(),
    );
    assert!(
        matches!(
            e,
            Err(Error::InvalidParameter {
                name: "targets",
                ..
            })
        ),
        "{e:?}"
    );
    let mut bad = x.clone();
    bad[[2, 1, 5, 5]] = f32::NAN;
    let e = TrainConfig::new().fit(&mut net, &mut opt, bad.view(), Array1::zeros(4).view());
    assert!(matches!(e, Err(Error::NonFinite { ref index, .. }) if index == &vec![2, 1, 5, 5]));
    let e =
        TrainConfig::new()
            .batch_size(0)
            .fit(&mut net, &mut opt, x.view(), Array1::zeros(4).view());
    assert!(matches!(
        e,
        Err(Error::InvalidParameter {
            name: "batch_size",
            ..
        })
    ));
    assert!(matches!(
        Conv2d::new(
            3,
            6,
            5,
            Conv2dConfig {
                stride: 0,
                ..Default::default()
            },
            0
        ),
        Err(Error::InvalidParameter { name: "stride", .. })
    ));
    // backward without a training forward pass
    let mut net = LeNet5::digits().build().unwrap();
    net.forward(Array4::<f32>::zeros((2, 1, 8, 8)).view(), Mode::Eval)
        .unwrap();
    assert!(matches!(
        net.backward(Array2::<f32>::zeros((2, 10)).view()),
        Err(Error::InvalidParameter { .. })
    ));
    let e = Sgd::new(0.1).nesterov(true);
    let mut e = e;
    assert!(matches!(
        oxilearn::nn::Optimizer::step(&mut e, &mut net),
        Err(Error::InvalidParameter {
            name: "nesterov",
            ..
        })
    ));
}

#[test]
fn nan_loss_is_a_numerical_failure_naming_the_batch() {
    let mut x = Array4::<f32>::from_elem((200, 1, 8, 8), 0.5);
    // A finite but huge image at index 175 → batch 17 with batches of 10, no
    // shuffling; with a scaled-up fc3 its logits overflow to ±inf.
    x.index_axis_mut(Axis(0), 175).fill(3e38);
    let y = Array1::from_shape_fn(200, |i| i % 10);
    let mut net = LeNet5::digits().build().unwrap();
    let sd: Vec<_> = net
        .state_dict()
        .into_iter()
        .map(|(n, v)| {
            if n == "fc3.weight" {
                (n, v * 1e6)
            } else {
                (n, v)
            }
        })
        .collect();
    net.load_state_dict(sd).unwrap();
    let mut opt = Sgd::new(0.0);
    let e = TrainConfig::new()
        .epochs(1)
        .batch_size(10)
        .shuffle(false)
        .fit(&mut net, &mut opt, x.view(), y.view())
        .unwrap_err();
    match e {
        Error::NumericalFailure { operation, reason } => {
            assert_eq!(operation, "training");
            assert!(reason.contains("training batch 17 of epoch 1"), "{reason}");
        }
        e => panic!("unexpected {e:?}"),
    }
}

#[test]
fn model_file_round_trip_and_errors() {
    let d = digits();
    let mut net = LeNet5::digits().seed(1).build().unwrap();
    let mut opt = Sgd::new(0.05).momentum(0.9);
    TrainConfig::new()
        .epochs(2)
        .fit(&mut net, &mut opt, d.x_train.view(), d.y_train.view())
        .unwrap();
    let path = std::env::temp_dir().join(format!(
        "oxilearn-nn-test-{}.safetensors",
        std::process::id()
    ));
    net.save(&path).unwrap();
    let back = Sequential::load(&path).unwrap();
    assert_eq!(back.state_dict(), net.state_dict());
    let names: Vec<&str> = back.layers().iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names[0], "conv1");
    assert_eq!(
        back.predict(d.x_test.view()).unwrap(),
        net.predict(d.x_test.view()).unwrap()
    );
    // The oxilearn file is still a plain safetensors state_dict for PyTorch.
    let mut plain = LeNet5::digits().build().unwrap();
    plain.load_safetensors(&path).unwrap();
    assert_eq!(plain.state_dict(), net.state_dict());
    std::fs::remove_file(&path).unwrap();
    // Garbage and truncated files.
    assert!(matches!(
        Sequential::from_bytes(b"not a model"),
        Err(Error::Format { .. })
    ));
    let bytes = net.to_bytes().unwrap();
    assert!(matches!(
        Sequential::from_bytes(&bytes[..bytes.len() / 2]),
        Err(Error::Format { .. })
    ));
    // A plain PyTorch state_dict has no oxilearn metadata: load_safetensors is the way.
    let torch = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/nn_lenet_cifar10_torch.safetensors"
    ))
    .unwrap();
    assert!(Sequential::from_bytes(&torch).is_err());
}
