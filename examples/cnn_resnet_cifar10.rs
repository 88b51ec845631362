//! Trains a CIFAR ResNet ([`ResNet`], ResNet-8 by default) on CIFAR-10 the
//! usual way: SGD with momentum and weight decay under a one-cycle
//! learning-rate schedule, random crops with 4 pixels of padding,
//! horizontal flips and per-channel normalisation, gradient clipping; then
//! saves the model file and checks that it predicts the same after loading.
//!
//! Run: `cargo run --release --example cnn_resnet_cifar10 [CIFAR10_DIR | synthetic] [EPOCHS] [DEPTH]`
//!
//! With a directory (the `cifar-10-batches-bin` folder of the binary
//! version, or its parent) it reads the real batches. Without one it
//! generates a synthetic CIFAR-format data set (class-dependent colour
//! patterns plus noise), writes it with the CIFAR-10 writer to a temporary
//! directory and reads it back, so the example runs offline. `DEPTH` is
//! `6n + 2` (8, 14, 20 …; default 8).

use std::path::PathBuf;

use oxilearn::data::{Part, read_cifar10_dir};
use oxilearn::ndarray::Axis;
use oxilearn::nn::{Augment, OneCycleLr, Progress, ResNet, Sequential, Sgd, TrainConfig};
use oxilearn::persist::Persist;

#[path = "common/cifar_synthetic.rs"]
mod cifar_synthetic;
use cifar_synthetic::synthetic_dir;

/// CIFAR-10's per-channel mean and standard deviation (training set).
const MEAN: [f32; 3] = [0.4914, 0.4822, 0.4465];
const STD: [f32; 3] = [0.2470, 0.2435, 0.2616];

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
        .unwrap_or(if synthetic { 2 } else { 30 });
    let depth: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(8);
    let train = read_cifar10_dir(&dir, Part::Train)?;
    let test = read_cifar10_dir(&dir, Part::Test)?;
    if synthetic {
        std::fs::remove_dir_all(&dir).ok();
    }
    println!(
        "{} CIFAR-10 data: {} training, {} test images",
        if synthetic { "synthetic" } else { "real" },
        train.len(),
        test.len()
    );

    let mut net = ResNet::cifar10().depth(depth).seed(0).build()?;
    println!("{}", net.summary());
    let batch_size = 128;
    let steps = epochs * train.len().div_ceil(batch_size);
    let mut opt = Sgd::new(0.1)
        .momentum(0.9)
        .nesterov(true)
        .weight_decay(5e-4);
    let config = TrainConfig::new()
        .epochs(epochs)
        .batch_size(batch_size)
        .seed(0)
        .scheduler(OneCycleLr::new(0.1, steps)?)
        .clip_grad_norm(5.0)
        .augment(
            Augment::new()
                .random_crop(4)
                .horizontal_flip(0.5)?
                .normalize(&MEAN, &STD)?,
        );
    config.fit_with(
        &mut net,
        &mut opt,
        train.images.view(),
        train.labels.view(),
        Some((test.images.view(), test.labels.view())),
        &mut |p| {
            if let Progress::Epoch(s) = p {
                println!(
                    "epoch {:>2}: lr {:.4} | train loss {:.4} acc {:.4} | test loss {:.4} acc {:.4} | {:.0} training images/s",
                    s.epoch,
                    s.lr,
                    s.loss,
                    s.accuracy,
                    s.val_loss.unwrap_or(f64::NAN),
                    s.val_accuracy.unwrap_or(f64::NAN),
                    s.images_per_second
                );
            }
        },
    )?;

    // The model file keeps the weights and the batch-norm statistics; the
    // normalisation is part of the data pipeline, so apply it before predicting.
    let mut x_test = test.images.clone();
    Augment::new()
        .normalize(&MEAN, &STD)?
        .normalize_only(x_test.view_mut())?;
    let path = std::env::temp_dir().join(format!("oxilearn-resnet{depth}-cifar10.safetensors"));
    net.save(&path)?;
    let mut loaded = Sequential::load(&path)?;
    std::fs::remove_file(&path).ok();
    let (ours, theirs) = (
        net.predict_classes(x_test.view())?,
        loaded.predict_classes(x_test.view())?,
    );
    assert_eq!(ours, theirs, "the loaded model predicts as the trained one");
    let correct = ours
        .iter()
        .zip(&test.labels)
        .filter(|&(&c, &y)| c == usize::from(y))
        .count();
    println!(
        "test accuracy {:.2}% ({} images), identical after a save/load round trip",
        100.0 * correct as f64 / x_test.len_of(Axis(0)) as f64,
        correct
    );
    Ok(())
}
