//! Trains LeNet-5 on CIFAR-10 and prints images/s.
//!
//! Run: `cargo run --release --example cnn_cifar10 [CIFAR10_DIR | synthetic] [EPOCHS]`
//!
//! With a directory (the `cifar-10-batches-bin` folder or its parent) it
//! reads the real binary batches. Without one it generates a synthetic
//! CIFAR-format dataset (class-dependent colour patterns plus noise), writes
//! it with the data module's CIFAR-10 writer to a temporary directory and
//! reads it back with the reader, so the whole pipeline runs offline.
//!
//! The progress bar uses `indicatif`, a dev-dependency of this repository, not a
//! dependency of oxilearn: add `indicatif = "0.18"` to your `Cargo.toml` when copying this.

use std::path::PathBuf;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use oxilearn::data::{Part, read_cifar10_dir};
use oxilearn::nn::{LeNet5, Mode, Progress, Sgd, TrainConfig};

#[path = "common/cifar_synthetic.rs"]
mod cifar_synthetic;
use cifar_synthetic::synthetic_dir;

/// Prints the error with `Display` (what a user reads), not `Debug`.
fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> oxilearn::Result<()> {
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
