//! Trains a LeNet-style CNN on the bundled 8×8 digits (1797 images) and
//! reports test accuracy; draws a progress bar with indicatif.
//!
//! Run: `cargo run --release --example cnn_digits`
//!
//! The progress bar uses `indicatif`, a dev-dependency of this repository, not a
//! dependency of oxilearn: add `indicatif = "0.18"` to your `Cargo.toml` when copying this.

use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use oxilearn::data::stratified_train_test_split;
use oxilearn::datasets;
use oxilearn::ndarray::{Array4, Axis};
use oxilearn::nn::{LeNet5, Progress, Sgd, TrainConfig};

fn to_images(x: &oxilearn::ndarray::Array2<f64>) -> Array4<f32> {
    // 0..=16 intensities → [0, 1], rows of 64 pixels → [n, 1, 8, 8]
    let n = x.len_of(Axis(0));
    x.mapv(|v| (v / 16.0) as f32)
        .into_shape_with_order((n, 1, 8, 8))
        .expect("64 pixels per image")
}

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
    let digits = datasets::digits();
    let split = stratified_train_test_split(digits.records.view(), digits.targets.view(), 0.25, 0)?;
    let (x_train, x_test) = (to_images(&split.x_train), to_images(&split.x_test));
    println!(
        "digits: {} training and {} test images of 1×8×8",
        x_train.len_of(Axis(0)),
        x_test.len_of(Axis(0))
    );

    let mut net = LeNet5::digits().seed(0).build()?;
    let mut opt = Sgd::new(0.02).momentum(0.9);
    let config = TrainConfig::new().epochs(20).batch_size(16).seed(0);

    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("epoch {prefix:>2} [{bar:30}] {pos}/{len} {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let start = Instant::now();
    let history = config.fit_with(
        &mut net,
        &mut opt,
        x_train.view(),
        split.y_train.view(),
        Some((x_test.view(), split.y_test.view())),
        &mut |p| {
            match p {
            Progress::Batch { epoch, batch, n_batches, loss, .. } => {
                if *batch == 0 {
                    bar.set_length(*n_batches as u64);
                    bar.set_position(0);
                    bar.set_prefix(epoch.to_string());
                }
                bar.inc(1);
                bar.set_message(format!("loss {loss:.4}"));
            }
            Progress::Epoch(s) => bar.suspend(|| println!(
                "epoch {:>2}: train loss {:.4} acc {:.4} | test loss {:.4} acc {:.4} | {:.0} img/s",
                s.epoch,
                s.loss,
                s.accuracy,
                s.val_loss.unwrap_or(f64::NAN),
                s.val_accuracy.unwrap_or(f64::NAN),
                s.images_per_second
            )),
        }
        },
    )?;
    bar.finish_and_clear();
    let last = history.last().expect("at least one epoch");
    println!(
        "test accuracy {:.2}% after {} epochs in {:.1} s",
        100.0 * last.val_accuracy.unwrap_or(0.0),
        last.epoch,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
