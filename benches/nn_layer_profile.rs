//! Per-layer wall time of a LeNet-5 training step (batch 100) and of
//! inference (batch 1000): where the time of `benches/nn.rs` goes.
//!
//! A developer tool, not a criterion bench (`harness = false`):
//!
//! ```sh
//! cargo bench -p oxilearn-benches --bench nn_layer_profile -- [cifar10|mnist] [reps]
//! ```
//!
//! (take numbers on an idle machine; under `valgrind --tool=callgrind`, run the
//! binary that `cargo bench -p oxilearn-benches --no-run --bench nn_layer_profile` prints with a
//! small `reps` for instruction counts).

use std::time::Instant;

use oxilearn::ndarray::{Array1, Array4, ArrayD, Ix2};
use oxilearn::nn::{Layer, LeNet5, Mode, cross_entropy_with_grad};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> oxilearn::Result<()> {
    // `cargo bench -p oxilearn-benches` appends `--bench`: flags are not ours.
    let args: Vec<String> = std::env::args().filter(|a| !a.starts_with("--")).collect();
    let which = args.get(1).map_or("cifar10", String::as_str);
    let reps: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(200);
    let (builder, c, hw) = match which {
        "mnist" => (LeNet5::mnist(), 1, 28),
        _ => (LeNet5::cifar10(), 3, 32),
    };
    let net = builder.seed(0).build()?;
    let names: Vec<String> = net.layers().iter().map(|(n, _)| n.clone()).collect();
    let mut layers: Vec<Box<dyn Layer>> = net.layers().iter().map(|(_, l)| l.clone()).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let x =
        Array4::from_shape_simple_fn((100, c, hw, hw), || rng.random_range(0.0f32..1.0)).into_dyn();
    let y = Array1::from_shape_simple_fn(100, || rng.random_range(0..10usize));

    let nl = layers.len();
    let (mut fwd, mut bwd) = (vec![Vec::new(); nl], vec![Vec::new(); nl]);
    let mut loss_t = Vec::new();
    for _ in 0..reps {
        let mut cur: ArrayD<f32> = x.clone();
        for (i, l) in layers.iter_mut().enumerate() {
            let t = Instant::now();
            let out = l.forward(cur.view(), Mode::Train)?;
            fwd[i].push(t.elapsed().as_secs_f64());
            cur = out.to_owned();
        }
        let t = Instant::now();
        let (_, g) =
            cross_entropy_with_grad(cur.view().into_dimensionality::<Ix2>().unwrap(), y.view())?;
        loss_t.push(t.elapsed().as_secs_f64());
        let mut g = g.into_dyn();
        for i in (0..nl).rev() {
            let t = Instant::now();
            let gi = layers[i].backward(g.view())?;
            bwd[i].push(t.elapsed().as_secs_f64());
            g = gi.to_owned();
        }
    }
    println!("LeNet-5 {which}, training batch 100, median of {reps} (µs):");
    println!("{:<8} {:>9} {:>9}", "layer", "forward", "backward");
    let (mut tf, mut tb) = (0.0, 0.0);
    for i in 0..nl {
        let (f, b) = (median(&mut fwd[i]) * 1e6, median(&mut bwd[i]) * 1e6);
        tf += f;
        tb += b;
        println!("{:<8} {f:>9.1} {b:>9.1}", names[i]);
    }
    println!("{:<8} {:>9.1}", "loss", median(&mut loss_t) * 1e6);
    println!("{:<8} {tf:>9.1} {tb:>9.1}", "sum");

    let xi = Array4::from_shape_simple_fn((1000, c, hw, hw), || rng.random_range(0.0f32..1.0))
        .into_dyn();
    let mut inf = vec![Vec::new(); nl];
    for _ in 0..(reps / 10).max(3) {
        let mut cur: ArrayD<f32> = xi.clone();
        for (i, l) in layers.iter_mut().enumerate() {
            let t = Instant::now();
            let out = l.forward(cur.view(), Mode::Eval)?;
            inf[i].push(t.elapsed().as_secs_f64());
            cur = out.to_owned();
        }
    }
    println!("inference batch 1000 (µs):");
    let mut ti = 0.0;
    for i in 0..nl {
        let f = median(&mut inf[i]) * 1e6;
        ti += f;
        println!("{:<8} {f:>9.1}", names[i]);
    }
    println!("{:<8} {ti:>9.1}", "sum");
    Ok(())
}
