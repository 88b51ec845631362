//! Trains LeNet-5 on CIFAR-10 and prints images/s.
//!
//! Run: `cargo run --release --example cnn_cifar10 [CIFAR10_DIR | synthetic] [EPOCHS]`
//!
//! With a directory (the `cifar-10-batches-bin` folder or its parent) it
//! reads the real binary batches. Without one it generates a synthetic
//! CIFAR-format dataset (class-dependent colour patterns plus noise), writes
//! it with the data module's CIFAR-10 writer to a temporary directory and
//! reads it back with the reader, so the whole pipeline runs offline.

use std::path::PathBuf;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use oxilearn::data::{Part, read_cifar10_dir, write_cifar10};
use oxilearn::ndarray::{Array1, Array4};
use oxilearn::nn::{LeNet5, Mode, Progress, Sgd, TrainConfig};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Synthetic CIFAR-format images: class k has a colour tint and a stripe
/// orientation/frequency of its own, plus uniform noise.
fn synthetic(n: usize, seed: u64) -> (Array4<f32>, Array1<u8>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let labels = Array1::from_shape_fn(n, |_| rng.random_range(0..10u8));
    let mut x = Array4::<f32>::zeros((n, 3, 32, 32));
    for (i, &k) in labels.iter().enumerate() {
        let k = k as f32;
        let (freq, horizontal) = (1.0 + (k as usize % 5) as f32, k >= 5.0);
        for c in 0..3 {
            let tint = 0.25 + 0.5 * (((k + c as f32) * 1.7).sin() * 0.5 + 0.5);
            for h in 0..32 {
                for w in 0..32 {
                    let t = if horizontal { h } else { w } as f32;
                    let stripe = 0.2 * (t * freq * std::f32::consts::PI / 16.0).sin();
                    let noise: f32 = rng.random_range(-0.25..0.25);
                    x[[i, c, h, w]] = (tint + stripe + noise).clamp(0.0, 1.0);
                }
            }
        }
    }
    (x, labels)
}

fn synthetic_dir() -> oxilearn::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("oxilearn-cifar-synthetic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| oxilearn::Error::io(&dir, e))?;
    for i in 1..=5 {
        let (x, y) = synthetic(2000, i);
        write_cifar10(dir.join(format!("data_batch_{i}.bin")), x.view(), y.view())?;
    }
    let (x, y) = synthetic(2000, 99);
    write_cifar10(dir.join("test_batch.bin"), x.view(), y.view())?;
    Ok(dir)
}

fn main() -> oxilearn::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (dir, synthetic) = match args.get(1).map(String::as_str) {
        Some(d) if d != "synthetic" => (PathBuf::from(d), false),
        _ => (synthetic_dir()?, true),
    };
    let epochs: usize = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(if synthetic { 3 } else { 10 });
    let t = Instant::now();
    let train = read_cifar10_dir(&dir, Part::Train)?;
    let test = read_cifar10_dir(&dir, Part::Test)?;
    println!(
        "{} CIFAR-10 data from {}: {} training, {} test images ({:.1} s to read)",
        if synthetic { "synthetic" } else { "real" },
        dir.display(),
        train.len(),
        test.len(),
        t.elapsed().as_secs_f64()
    );
    let y_train = train.labels.mapv(usize::from);
    let y_test = test.labels.mapv(usize::from);

    let mut net = LeNet5::cifar10().seed(0).build()?;
    let mut opt = Sgd::new(0.01).momentum(0.9);
    let config = TrainConfig::new().epochs(epochs).batch_size(100).seed(0);
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("epoch {prefix:>2} [{bar:30}] {pos}/{len} {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let history = config.fit_with(
        &mut net,
        &mut opt,
        train.images.view(),
        y_train.view(),
        Some((test.images.view(), y_test.view())),
        &mut |p| match p {
            Progress::Batch { epoch, batch, n_batches, loss, .. } => {
                if *batch == 0 {
                    bar.set_length(*n_batches as u64);
                    bar.set_position(0);
                    bar.set_prefix(epoch.to_string());
                }
                bar.inc(1);
                bar.set_message(format!("loss {loss:.4}"));
            }
            Progress::Epoch(s) => bar.suspend(|| {
                println!(
                    "epoch {:>2}: train loss {:.4} acc {:.4} | test loss {:.4} acc {:.4} | {:.0} training images/s",
                    s.epoch,
                    s.loss,
                    s.accuracy,
                    s.val_loss.unwrap_or(f64::NAN),
                    s.val_accuracy.unwrap_or(f64::NAN),
                    s.images_per_second
                )
            }),
        },
    )?;
    bar.finish_and_clear();
    let total: f64 = history.epochs.iter().map(|e| e.seconds).sum();
    let n_seen = train.len() * history.epochs.len();
    println!(
        "training: {:.0} images/s over {} epochs",
        n_seen as f64 / total,
        history.epochs.len()
    );

    let t = Instant::now();
    let mut correct = 0;
    for start in (0..test.len()).step_by(1000) {
        let end = (start + 1000).min(test.len());
        let x = test
            .images
            .slice(oxilearn::ndarray::s![start..end, .., .., ..]);
        let logits = net.forward(x, Mode::Eval)?;
        for (row, &y) in logits
            .outer_iter()
            .zip(&y_test.as_slice().expect("contiguous")[start..end])
        {
            let arg = row
                .iter()
                .enumerate()
                .fold(
                    (0, f32::NEG_INFINITY),
                    |b, (j, &v)| if v > b.1 { (j, v) } else { b },
                )
                .0;
            correct += usize::from(arg == y);
        }
    }
    println!(
        "inference: {:.0} images/s (batches of 1000), test accuracy {:.2}%",
        test.len() as f64 / t.elapsed().as_secs_f64(),
        100.0 * correct as f64 / test.len() as f64
    );
    if synthetic {
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(())
}
