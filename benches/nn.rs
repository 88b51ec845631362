//! LeNet-5 training steps (batch 100) and inference (batch 1000), CIFAR-10
//! and MNIST shapes; the Keras MNIST CNN (training steps of batch 64 with
//! Adam, inference of batch 256); ResNet-8 on CIFAR-10 shapes (training
//! steps of batch 64 with SGD + momentum, inference of batch 256); plus an
//! f32 GEMM reference point for "fraction of peak". The PyTorch peer
//! (`benches/peers/nn.py`) times the same networks and shapes.
//!
//! Run: `cargo bench -p oxilearn-benches --bench nn` (add `--features openblas-system` for BLAS).
//!
//! The training steps restart from the initial weights (and fresh optimizer
//! state) every [`RESTART`] steps, as the PyTorch peer does: trained for
//! thousands of steps on one fixed batch, LeNet memorises it, the loss
//! gradients shrink until the backward pass runs on subnormal floats, and
//! every framework's step then slows down by about half on this CPU (a
//! different workload from training, reached at a time that depends on the
//! bench's length).

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};
use ndarray::{Array1, Array2, Array4};
use oxilearn::linalg;
use oxilearn::nn::{Adam, KerasCnn, LeNet5, Mode, Optimizer, ResNet, Sequential, Sgd};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Training steps between restarts from the initial weights.
const RESTART: usize = 200;

fn images(n: usize, c: usize, hw: usize, seed: u64) -> (Array4<f32>, Array1<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = Array4::from_shape_simple_fn((n, c, hw, hw), || rng.random_range(0.0f32..1.0));
    let y = Array1::from_shape_simple_fn(n, || rng.random_range(0..10usize));
    (x, y)
}

fn lenet(c: &mut Criterion) {
    for (name, builder, ch, hw) in [
        ("cifar10", LeNet5::cifar10(), 3, 32),
        ("mnist", LeNet5::mnist(), 1, 28),
    ] {
        let mut group = c.benchmark_group(format!("nn/lenet_{name}_f32"));
        let (x, y) = images(100, ch, hw, 1);
        let targets = y.to_vec();
        let mut net = builder.seed(0).build().expect("LeNet builds");
        let init = net.state_dict();
        let mut opt = Sgd::new(0.01).momentum(0.9);
        let mut steps = 0;
        group.throughput(Throughput::Elements(100));
        group.bench_function(BenchmarkId::new("train_step", "b100"), |b| {
            b.iter(|| {
                if steps % RESTART == 0 {
                    net.load_state_dict(init.clone()).expect("initial weights");
                    opt = Sgd::new(0.01).momentum(0.9);
                }
                steps += 1;
                let s = net
                    .train_step(black_box(x.view()), black_box(&targets), &mut opt)
                    .expect("train step");
                black_box(s.loss)
            })
        });
        let (x, _) = images(1000, ch, hw, 2);
        let mut net = builder.seed(0).build().expect("LeNet builds");
        group.throughput(Throughput::Elements(1000));
        group.bench_function(BenchmarkId::new("inference", "b1000"), |b| {
            b.iter(|| {
                let out = net
                    .forward(black_box(x.view()), Mode::Eval)
                    .expect("forward");
                black_box(out[[0, 0]])
            })
        });
        group.finish();
    }
}

/// Training steps (restarting every [`RESTART`] steps) and evaluation-mode
/// inference of `net` under `group`.
fn train_and_infer(
    c: &mut Criterion,
    group: &str,
    mut net: Sequential,
    input: [usize; 3],
    batch: usize,
    make_opt: fn() -> Box<dyn Optimizer>,
) {
    let mut group = c.benchmark_group(group);
    let [ch, h, w] = input;
    assert_eq!(h, w, "square images");
    let (x, y) = images(batch, ch, h, 1);
    let targets = y.to_vec();
    let init = net.state_dict();
    let mut opt = make_opt();
    let mut steps = 0;
    group.throughput(Throughput::Elements(batch as u64));
    group.bench_function(BenchmarkId::new("train_step", format!("b{batch}")), |b| {
        b.iter(|| {
            if steps % RESTART == 0 {
                net.load_state_dict(init.clone()).expect("initial weights");
                opt = make_opt();
            }
            steps += 1;
            let s = net
                .train_step(black_box(x.view()), black_box(&targets), opt.as_mut())
                .expect("train step");
            black_box(s.loss)
        })
    });
    let n = 256;
    let (x, _) = images(n, ch, h, 2);
    net.load_state_dict(init).expect("initial weights");
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function(BenchmarkId::new("inference", format!("b{n}")), |b| {
        b.iter(|| {
            let out = net
                .forward(black_box(x.view()), Mode::Eval)
                .expect("forward");
            black_box(out[[0, 0]])
        })
    });
    group.finish();
}

/// The Keras MNIST CNN (1×28×28, Adam 1e-3, batch 64) and ResNet-8
/// (3×32×32, SGD 0.05 + momentum 0.9, batch 64).
fn channel_heavy(c: &mut Criterion) {
    let keras = KerasCnn::mnist().seed(0).build().expect("KerasCnn builds");
    train_and_infer(c, "nn/keras_mnist_f32", keras, [1, 28, 28], 64, || {
        Box::new(Adam::new(1e-3))
    });
    let resnet = ResNet::cifar10().seed(0).build().expect("ResNet-8 builds");
    train_and_infer(c, "nn/resnet8_cifar10_f32", resnet, [3, 32, 32], 64, || {
        Box::new(Sgd::new(0.05).momentum(0.9))
    });
}

fn gemm_peak(c: &mut Criterion) {
    let mut group = c.benchmark_group("nn/gemm_f32");
    let n = 512;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let a = Array2::from_shape_simple_fn((n, n), || rng.random_range(-1.0f32..1.0));
    let b = Array2::from_shape_simple_fn((n, n), || rng.random_range(-1.0f32..1.0));
    let mut out = Array2::<f32>::zeros((n, n));
    // Elements = multiply-adds; FLOP/s = 2 × elements/s.
    group.throughput(Throughput::Elements((n * n * n) as u64));
    group.bench_function(BenchmarkId::new("gemm", "512"), |bench| {
        bench.iter(|| {
            linalg::gemm(
                1.0,
                black_box(a.view()),
                black_box(b.view()),
                0.0,
                &mut out.view_mut(),
            );
            black_box(out[[0, 0]])
        })
    });
    group.finish();
}

fn main() {
    let mut c = common::config();
    lenet(&mut c);
    channel_heavy(&mut c);
    gemm_peak(&mut c);
    c.final_summary();
}
