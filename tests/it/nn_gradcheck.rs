//! Finite-difference gradient checks for every layer, the loss and a whole
//! LeNet. The probe loss is `L = Σ g ⊙ layer(x)` for a fixed random `g`,
//! accumulated in `f64`; central differences with a step that is large
//! against `f32` rounding but small against the curvature (the layers are
//! piecewise linear, inputs keep away from kinks).

use ndarray::{Array1, ArrayD, IxDyn};
use oxilearn::nn::{
    Conv2d, Conv2dConfig, Dropout, Flatten, Layer, LeNet5, Linear, MaxPool2d, Mode, ReLU,
    cross_entropy, cross_entropy_with_grad,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn rand_array(shape: &[usize], rng: &mut ChaCha8Rng) -> ArrayD<f32> {
    ArrayD::from_shape_fn(IxDyn(shape), |_| rng.random_range(-1.0f32..1.0))
}

fn probe(layer: &mut Layer, x: &ArrayD<f32>, g: &ArrayD<f32>) -> f64 {
    let y = layer.forward(x.view(), Mode::Eval).unwrap();
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

/// Checks the input gradient at every element and every parameter gradient.
fn check_layer(mut layer: Layer, x: ArrayD<f32>, eps: f32, tol: f64, seed: u64) {
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
        let num = (probe(&mut layer, &xp, &g) - probe(&mut layer, &xm, &g)) / (2.0 * eps as f64);
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
                num += sign * probe(&mut layer, &x, &g);
            }
            layer.params_mut()[k].1.set_value(orig.view()).unwrap();
            num /= 2.0 * eps as f64;
            let name = layer.params()[k].0;
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
    check_layer(
        conv.into(),
        rand_array(&[2, 2, 6, 5], &mut rng),
        1e-2,
        2e-3,
        11,
    );
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
            padding: 1,
        },
        6,
    )
    .unwrap();
    check_layer(
        conv.into(),
        rand_array(&[3, 3, 7, 6], &mut rng),
        1e-2,
        2e-3,
        12,
    );
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
            padding: 2,
        },
    )
    .unwrap();
    check_layer(
        conv.into(),
        rand_array(&[2, 2, 4, 5], &mut rng),
        1e-2,
        2e-3,
        13,
    );
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
    check_layer(conv.into(), small, 1e-2, 2e-3, 14);
}

#[test]
fn linear_gradients() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    check_layer(
        Linear::new(7, 4, 3).into(),
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
    check_layer(ReLU::new().into(), x, 1e-3, 2e-3, 16);
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
        check_layer(pool.into(), x, 1e-3, 2e-3, 17);
    }
}

#[test]
fn flatten_gradients() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    check_layer(
        Flatten::new().into(),
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
    let mut net = LeNet5::digits().seed(3).build();
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
