//! Finite-difference gradient checks for every layer, the loss and a whole
//! LeNet. The probe loss is `L = Σ g ⊙ layer(x)` for a fixed random `g`,
//! accumulated in `f64`; central differences with a step that is large
//! against `f32` rounding but small against the curvature (the layers are
//! piecewise linear or smooth, inputs keep away from kinks). Layers whose
//! training output differs from their evaluation output (batch norm) are
//! probed in training mode.

use ndarray::{Array1, ArrayD, IxDyn};
use oxilearn::nn::{
    AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, BatchNormConfig, Conv2d, Conv2dConfig,
    Dropout, Dropout2d, Flatten, Gelu, GeluApproximation, Layer, LeNet5, LeakyReLU, Linear,
    MaxPool2d, Mode, Padding, ReLU, Residual, Sequential, Sigmoid, Tanh, cross_entropy,
    cross_entropy_with_grad,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn rand_array(shape: &[usize], rng: &mut ChaCha8Rng) -> ArrayD<f32> {
    ArrayD::from_shape_fn(IxDyn(shape), |_| rng.random_range(-1.0f32..1.0))
}

fn probe(layer: &mut dyn Layer, x: &ArrayD<f32>, g: &ArrayD<f32>, mode: Mode) -> f64 {
    let y = layer.forward(x.view(), mode).unwrap();
    y.iter()
        .zip(g.iter())
        .map(|(&a, &b)| a as f64 * b as f64)
        .sum()
}

fn assert_close(what: &str, analytic: f32, numeric: f64, scale: f64, tol: f64) {
    let err = (analytic as f64 - numeric).abs();
    assert!(
        err <= tol * scale.max(1.0),
        "{what}: analytic {analytic} vs numeric {numeric} (err {err})"
    );
}

/// Checks the input gradient at every element and every parameter gradient
/// (probing in evaluation mode).
fn check_layer(layer: impl Layer + 'static, x: ArrayD<f32>, eps: f32, tol: f64, seed: u64) {
    check_layer_mode(Box::new(layer), x, eps, tol, seed, Mode::Eval);
}

/// [`check_layer`] with the probe in `mode`.
fn check_layer_mode(
    mut layer: Box<dyn Layer>,
    x: ArrayD<f32>,
    eps: f32,
    tol: f64,
    seed: u64,
    mode: Mode,
) {
    let layer = layer.as_mut();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let out_shape = layer
        .forward(x.view(), Mode::Train)
        .unwrap()
        .shape()
        .to_vec();
    let g = rand_array(&out_shape, &mut rng);
    let dx = layer.backward(g.view()).unwrap().to_owned();
    assert_eq!(dx.shape(), x.shape());
    let param_grads: Vec<ArrayD<f32>> = layer
        .params()
        .iter()
        .map(|(_, p)| p.grad().clone())
        .collect();
    let scale = dx.iter().fold(0.0f64, |a, &v| a.max(v.abs() as f64));
    for i in 0..x.len() {
        let mut xp = x.clone();
        let mut xm = x.clone();
        xp.as_slice_mut().unwrap()[i] += eps;
        xm.as_slice_mut().unwrap()[i] -= eps;
        let num = (probe(layer, &xp, &g, mode) - probe(layer, &xm, &g, mode)) / (2.0 * eps as f64);
        assert_close(
            &format!("{} dx[{i}]", layer.kind()),
            dx.as_slice().unwrap()[i],
            num,
            scale,
            tol,
        );
    }
    for (k, grad) in param_grads.iter().enumerate() {
        let scale = grad.iter().fold(0.0f64, |a, &v| a.max(v.abs() as f64));
        for i in 0..grad.len() {
            let orig = layer.params()[k].1.value().clone();
            let mut num = 0.0;
            for (sign, h) in [(1.0, eps), (-1.0, -eps)] {
                let mut v = orig.clone();
                v.as_slice_mut().unwrap()[i] += h;
                layer.params_mut()[k].1.set_value(v.view()).unwrap();
                num += sign * probe(layer, &x, &g, mode);
            }
            layer.params_mut()[k].1.set_value(orig.view()).unwrap();
            num /= 2.0 * eps as f64;
            let name = layer.params()[k].0.clone();
            assert_close(
                &format!("{} d{name}[{i}]", layer.kind()),
                grad.as_slice().unwrap()[i],
                num,
                scale,
                tol,
            );
        }
    }
}

#[test]
fn conv2d_gradients_stride1_no_padding() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let conv = Conv2d::new(2, 3, 3, Conv2dConfig::default(), 5).unwrap();
    check_layer(conv, rand_array(&[2, 2, 6, 5], &mut rng), 1e-2, 2e-3, 11);
}

#[test]
fn conv2d_gradients_stride2_padding1() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let conv = Conv2d::new(
        3,
        2,
        3,
        Conv2dConfig {
            stride: 2,
            padding: Padding::Fixed(1),
            bias: true,
        },
        6,
    )
    .unwrap();
    check_layer(conv, rand_array(&[3, 3, 7, 6], &mut rng), 1e-2, 2e-3, 12);
}

#[test]
fn conv2d_gradients_rectangular_kernel_without_bias_and_padding2() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let w = rand_array(&[4, 2, 2, 3], &mut rng)
        .into_dimensionality()
        .unwrap();
    let conv = Conv2d::from_weights(
        w,
        None,
        Conv2dConfig {
            stride: 1,
            padding: Padding::Fixed(2),
            bias: false,
        },
    )
    .unwrap();
    check_layer(conv, rand_array(&[2, 2, 4, 5], &mut rng), 1e-2, 2e-3, 13);
}

#[test]
fn conv2d_batches_split_into_chunks_match_single_images() {
    // 40 images of 1x28x28 with k5 are unfolded in two chunks; outputs and
    // summed weight gradients must equal the per-image computation.
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let mut conv = Conv2d::new(1, 2, 5, Conv2dConfig::default(), 7).unwrap();
    let x = rand_array(&[40, 1, 28, 28], &mut rng);
    let y = conv.forward(x.view(), Mode::Train).unwrap().to_owned();
    let g = rand_array(y.shape(), &mut rng);
    let dx = conv.backward(g.view()).unwrap().to_owned();
    let dw = conv.weight().grad().clone();
    let mut dw_sum = ArrayD::<f32>::zeros(dw.raw_dim());
    for i in 0..40 {
        let sl = |a: &ArrayD<f32>| a.slice_axis(ndarray::Axis(0), (i..i + 1).into()).to_owned();
        let yi = conv.forward(sl(&x).view(), Mode::Train).unwrap().to_owned();
        for (a, b) in yi.iter().zip(sl(&y).iter()) {
            assert!((a - b).abs() < 1e-5);
        }
        let dxi = conv.backward(sl(&g).view()).unwrap().to_owned();
        for (a, b) in dxi.iter().zip(sl(&dx).iter()) {
            assert!((a - b).abs() < 1e-5);
        }
        dw_sum += conv.weight().grad();
    }
    for (a, b) in dw.iter().zip(dw_sum.iter()) {
        assert!((a - b).abs() < 1e-3 * (1.0 + b.abs()), "{a} vs {b}");
    }
    let small = rand_array(&[3, 1, 6, 6], &mut rng);
    check_layer(conv, small, 1e-2, 2e-3, 14);
}

#[test]
fn linear_gradients() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    check_layer(
        Linear::new(7, 4, 3).unwrap(),
        rand_array(&[5, 7], &mut rng),
        1e-2,
        2e-3,
        15,
    );
}

#[test]
fn relu_gradients_away_from_the_kink() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let x = rand_array(&[3, 2, 4, 4], &mut rng).mapv(|v| if v.abs() < 0.05 { 0.5 } else { v });
    check_layer(ReLU::new(), x, 1e-3, 2e-3, 16);
}

#[test]
fn maxpool_gradients_with_distinct_values() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    // Distinct values 0.01 apart, shuffled: no ties within eps.
    for (kernel, stride, h, w) in [(2, 2, 6, 6), (3, 2, 7, 8), (2, 1, 5, 4)] {
        let n = 2 * 3 * h * w;
        let mut vals: Vec<f32> = (0..n).map(|i| i as f32 * 0.01).collect();
        use rand::seq::SliceRandom;
        vals.shuffle(&mut rng);
        let x = ArrayD::from_shape_vec(IxDyn(&[2, 3, h, w]), vals).unwrap();
        let pool = MaxPool2d::with_stride(kernel, stride).unwrap();
        check_layer(pool, x, 1e-3, 2e-3, 17);
    }
}

#[test]
fn flatten_gradients() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    check_layer(
        Flatten::new(),
        rand_array(&[2, 3, 2, 2], &mut rng),
        1e-2,
        1e-3,
        18,
    );
}

#[test]
fn dropout_gradient_is_the_mask() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut d = Dropout::new(0.3, 1).unwrap();
    let x = rand_array(&[4, 50], &mut rng).mapv(|v| v + 2.0); // non-zero
    let y = d.forward(x.view(), Mode::Train).unwrap().to_owned();
    let g = rand_array(&[4, 50], &mut rng);
    let dx = d.backward(g.view()).unwrap().to_owned();
    let mut dropped = 0;
    for ((&xv, &yv), (&gv, &dv)) in x.iter().zip(&y).zip(g.iter().zip(&dx)) {
        // y = m·x  ⇒  dL/dx = m·g with m = y/x
        let m = yv / xv;
        assert!(m == 0.0 || (m - 1.0 / 0.7).abs() < 1e-5);
        assert!((dv - m * gv).abs() < 1e-5);
        dropped += usize::from(m == 0.0);
    }
    assert!(
        (30..=90).contains(&dropped),
        "dropped {dropped} of 200 at p = 0.3"
    );
}

#[test]
fn conv2d_same_padding_gradients() {
    let mut rng = ChaCha8Rng::seed_from_u64(20);
    let conv = Conv2d::new(3, 4, 3, Conv2dConfig::padding(Padding::Same), 21).unwrap();
    let x = rand_array(&[2, 3, 5, 9], &mut rng);
    assert_eq!(conv.output_shape(x.shape()).unwrap(), [2, 4, 5, 9]);
    check_layer(conv, x, 1e-2, 2e-3, 22);
}

#[test]
fn smooth_activation_gradients() {
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let x = rand_array(&[2, 3, 4, 5], &mut rng).mapv(|v| 3.0 * v);
    check_layer(Sigmoid::new(), x.clone(), 1e-2, 2e-3, 24);
    check_layer(Tanh::new(), x.clone(), 1e-2, 2e-3, 25);
    check_layer(Gelu::new(), x.clone(), 1e-2, 2e-3, 26);
    check_layer(
        Gelu::with_approximation(GeluApproximation::Tanh),
        x,
        1e-2,
        2e-3,
        27,
    );
}

#[test]
fn leaky_relu_gradients_away_from_the_kink() {
    let mut rng = ChaCha8Rng::seed_from_u64(28);
    let x = rand_array(&[3, 40], &mut rng).mapv(|v| if v.abs() < 0.05 { -0.5 } else { v });
    for slope in [0.01, 0.3, -0.2] {
        check_layer(LeakyReLU::new(slope).unwrap(), x.clone(), 1e-3, 2e-3, 29);
    }
}

#[test]
fn average_pooling_gradients() {
    let mut rng = ChaCha8Rng::seed_from_u64(30);
    for (k, s, p, inc) in [
        (2, 2, 0, true),
        (3, 2, 1, true),
        (3, 2, 1, false),
        (2, 1, 1, true),
    ] {
        let pool = AvgPool2d::with_options(k, s, p, inc).unwrap();
        check_layer(pool, rand_array(&[2, 2, 5, 6], &mut rng), 1e-2, 1e-3, 31);
    }
    for (oh, ow) in [(1, 1), (2, 3), (4, 4)] {
        let pool = AdaptiveAvgPool2d::new(oh, ow).unwrap();
        check_layer(pool, rand_array(&[2, 3, 5, 7], &mut rng), 1e-2, 1e-3, 32);
    }
}

#[test]
fn batch_norm_gradients_in_training_mode() {
    let mut rng = ChaCha8Rng::seed_from_u64(33);
    // Random γ, β so that their gradients and the input gradient are not
    // special.
    let mut bn = BatchNorm2d::new(3).unwrap();
    for (_, p) in bn.params_mut() {
        let v = rand_array(p.shape(), &mut rng);
        p.set_value(v.view()).unwrap();
    }
    let x = rand_array(&[4, 3, 3, 2], &mut rng);
    check_layer_mode(Box::new(bn), x, 1e-2, 5e-3, 34, Mode::Train);
    let mut bn = BatchNorm1d::new(5).unwrap();
    for (_, p) in bn.params_mut() {
        let v = rand_array(p.shape(), &mut rng);
        p.set_value(v.view()).unwrap();
    }
    check_layer_mode(
        Box::new(bn.clone()),
        rand_array(&[6, 5], &mut rng),
        1e-2,
        5e-3,
        35,
        Mode::Train,
    );
    check_layer_mode(
        Box::new(bn),
        rand_array(&[3, 5, 4], &mut rng),
        1e-2,
        5e-3,
        36,
        Mode::Train,
    );
    // Without affine parameters.
    let cfg = BatchNormConfig {
        affine: false,
        ..Default::default()
    };
    let bn = BatchNorm2d::with_config(2, cfg).unwrap();
    check_layer_mode(
        Box::new(bn),
        rand_array(&[3, 2, 2, 2], &mut rng),
        1e-2,
        5e-3,
        37,
        Mode::Train,
    );
}

#[test]
fn residual_block_gradients() {
    let mut rng = ChaCha8Rng::seed_from_u64(39);
    let cfg = Conv2dConfig {
        padding: Padding::Same,
        bias: false,
        ..Default::default()
    };
    let body = Sequential::new()
        .add(
            "conv1",
            Conv2d::new(
                2,
                3,
                3,
                Conv2dConfig {
                    stride: 2,
                    padding: Padding::Fixed(1),
                    bias: false,
                },
                1,
            )
            .unwrap(),
        )
        .add("bn1", BatchNorm2d::new(3).unwrap())
        .add("act", Tanh::new())
        .add("conv2", Conv2d::new(3, 3, 3, cfg, 2).unwrap())
        .add("bn2", BatchNorm2d::new(3).unwrap());
    let shortcut = Sequential::new()
        .push(
            Conv2d::new(
                2,
                3,
                1,
                Conv2dConfig {
                    stride: 2,
                    padding: Padding::Fixed(0),
                    bias: false,
                },
                3,
            )
            .unwrap(),
        )
        .push(BatchNorm2d::new(3).unwrap());
    let block = Residual::new(body)
        .unwrap()
        .with_shortcut(shortcut)
        .unwrap();
    let names: Vec<String> = block.params().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names.last().unwrap(), "shortcut.1.bias");
    check_layer_mode(
        Box::new(block),
        rand_array(&[3, 2, 5, 5], &mut rng),
        1e-2,
        5e-3,
        40,
        Mode::Train,
    );
    // Identity shortcut, ReLU after the sum (inputs keep away from its kink
    // only statistically: a smooth body and a larger step tolerance).
    let body = Sequential::new()
        .add("conv1", Conv2d::new(2, 2, 3, cfg, 4).unwrap())
        .add("act", Sigmoid::new());
    let block = Residual::new(body).unwrap().relu_after(true);
    let x = rand_array(&[2, 2, 4, 4], &mut rng).mapv(|v| v + 1.5);
    check_layer_mode(Box::new(block), x, 1e-3, 2e-3, 41, Mode::Train);
}

#[test]
fn dropout2d_gradient_is_the_channel_mask() {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut d = Dropout2d::new(0.5, 2).unwrap();
    let x = rand_array(&[4, 6, 3, 3], &mut rng).mapv(|v| v + 2.0);
    let y = d.forward(x.view(), Mode::Train).unwrap().to_owned();
    let g = rand_array(&[4, 6, 3, 3], &mut rng);
    let dx = d.backward(g.view()).unwrap().to_owned();
    let mut dropped = 0;
    for c in 0..24 {
        let r = c * 9..(c + 1) * 9;
        let m = y.as_slice().unwrap()[r.start] / x.as_slice().unwrap()[r.start];
        assert!(m == 0.0 || (m - 2.0).abs() < 1e-5);
        for i in r {
            let (xv, yv) = (x.as_slice().unwrap()[i], y.as_slice().unwrap()[i]);
            assert!((yv - m * xv).abs() < 1e-5, "one factor per channel");
            let (gv, dv) = (g.as_slice().unwrap()[i], dx.as_slice().unwrap()[i]);
            assert!((dv - m * gv).abs() < 1e-5);
        }
        dropped += usize::from(m == 0.0);
    }
    assert!(
        (4..=20).contains(&dropped),
        "dropped {dropped} of 24 channels"
    );
}

#[test]
fn cross_entropy_gradient_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let logits = rand_array(&[4, 5], &mut rng)
        .mapv(|v| 3.0 * v)
        .into_dimensionality()
        .unwrap();
    let t = Array1::from(vec![0usize, 4, 2, 2]);
    let (loss, grad) = cross_entropy_with_grad(logits.view(), t.view()).unwrap();
    assert!((loss - cross_entropy(logits.view(), t.view()).unwrap()).abs() < 1e-7);
    let eps = 1e-2f32;
    for i in 0..4 {
        for j in 0..5 {
            let mut lp = logits.clone();
            let mut lm = logits.clone();
            lp[[i, j]] += eps;
            lm[[i, j]] -= eps;
            let num = (cross_entropy(lp.view(), t.view()).unwrap() as f64
                - cross_entropy(lm.view(), t.view()).unwrap() as f64)
                / (2.0 * eps as f64);
            assert_close("d loss / d logits", grad[[i, j]], num, 1.0, 2e-4);
        }
    }
}

#[test]
fn whole_lenet_parameter_gradients_match_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut net = LeNet5::digits().seed(3).build().unwrap();
    let x = rand_array(&[3, 1, 8, 8], &mut rng);
    let t = [1usize, 7, 3];
    let loss_of = |net: &mut oxilearn::nn::Sequential| {
        let y = net.forward(x.view(), Mode::Eval).unwrap().to_owned();
        let y = y.into_dimensionality().unwrap();
        cross_entropy(
            ndarray::ArrayView2::from(&y),
            Array1::from(t.to_vec()).view(),
        )
        .unwrap() as f64
    };
    let logits = net
        .forward(x.view(), Mode::Train)
        .unwrap()
        .to_owned()
        .into_dimensionality()
        .unwrap();
    let (_, g) = cross_entropy_with_grad(
        ndarray::ArrayView2::from(&logits),
        Array1::from(t.to_vec()).view(),
    )
    .unwrap();
    net.backward(g.view()).unwrap();
    let grads: Vec<(String, ArrayD<f32>)> = net
        .params()
        .into_iter()
        .map(|(n, p)| (n, p.grad().clone()))
        .collect();
    let eps = 1e-2f32;
    for (k, (name, grad)) in grads.iter().enumerate() {
        let scale = grad.iter().fold(0.0f64, |a, &v| a.max(v.abs() as f64));
        // Probe a spread of elements of every tensor.
        for i in (0..grad.len()).step_by(grad.len().div_ceil(12)) {
            let orig = net.params()[k].1.value().clone();
            let mut num = 0.0;
            for (sign, h) in [(1.0, eps), (-1.0, -eps)] {
                let mut v = orig.clone();
                v.as_slice_mut().unwrap()[i] += h;
                net.params_mut()[k].1.set_value(v.view()).unwrap();
                num += sign * loss_of(&mut net);
            }
            net.params_mut()[k].1.set_value(orig.view()).unwrap();
            num /= 2.0 * eps as f64;
            assert_close(
                &format!("{name}[{i}]"),
                grad.as_slice().unwrap()[i],
                num,
                scale,
                2e-2,
            );
        }
    }
}
