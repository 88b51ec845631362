//! Trains the classic Keras MNIST CNN ([`KerasCnn`]) with Adam(1e-3), early
//! stopping on the loss of a validation set held out from the training
//! images and a resumable checkpoint, then reports accuracy on the unseen
//! test images and inference speed.
//!
//! Run: `cargo run --release --example cnn_keras_mnist [MNIST_DIR] [EPOCHS]`
//!
//! `MNIST_DIR` holds the four IDX files of MNIST (or Fashion-MNIST):
//! `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
//! `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, plain or `.gz`, as
//! published by Yann LeCun et al. and mirrored by the usual dataset hosts
//! (torchvision's `datasets.MNIST(root, download=True)` leaves them in
//! `root/MNIST/raw`). Without a directory the example trains on the
//! bundled 8×8 digits (1 797 images, BSD-3-Clause, from scikit-learn)
//! upscaled to MNIST's 28×28 layout (each pixel a 3×3 block, a 2-pixel
//! border, as MNIST centres 20×20 digits in 28×28), so it runs offline.
//!
//! Running it twice continues the first run from its checkpoint (in the
//! system's temporary directory) instead of starting over.

use std::path::PathBuf;
use std::time::Instant;

use oxilearn::data::{Part, read_mnist, stratified_train_test_split};
use oxilearn::datasets;
use oxilearn::ndarray::{Array1, Array2, Array4, Axis, s};
use oxilearn::nn::{Adam, EarlyStopping, KerasCnn, Monitor, Progress, TrainConfig};

/// The bundled digits as `[n, 1, 28, 28]` images in `[0, 1]`.
fn upscaled_digits(x: &Array2<f64>) -> Array4<f32> {
    let n = x.len_of(Axis(0));
    Array4::from_shape_fn((n, 1, 28, 28), |(i, _, h, w)| {
        if (2..26).contains(&h) && (2..26).contains(&w) {
            (x[[i, (h - 2) / 3 * 8 + (w - 2) / 3]] / 16.0) as f32
        } else {
            0.0
        }
    })
}

type Split = (Array4<f32>, Array1<u8>, Array4<f32>, Array1<u8>);

fn load(dir: Option<&str>) -> oxilearn::Result<Split> {
    match dir {
        Some(dir) => {
            let (train, test) = (read_mnist(dir, Part::Train)?, read_mnist(dir, Part::Test)?);
            println!(
                "MNIST from {dir}: {} training and {} test images",
                train.len(),
                test.len()
            );
            Ok((train.images, train.labels, test.images, test.labels))
        }
        None => {
            println!(
                "no MNIST directory given: training on the bundled 8×8 digits upscaled to 28×28.\n\
                 For MNIST, pass a directory with train-images-idx3-ubyte, train-labels-idx1-ubyte,\n\
                 t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (plain or .gz)."
            );
            let digits = datasets::digits();
            let split =
                stratified_train_test_split(digits.records.view(), digits.targets.view(), 0.25, 0)?;
            let labels = |y: &Array1<usize>| y.mapv(|v| v as u8);
            Ok((
                upscaled_digits(&split.x_train),
                labels(&split.y_train),
                upscaled_digits(&split.x_test),
                labels(&split.y_test),
            ))
        }
    }
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
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).map(String::as_str);
    let epochs: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let (x_all, y_all, x_test, y_test) = load(dir)?;
    // Early stopping watches a validation set held out from the training
    // images (the last tenth, as Keras' `validation_split = 0.1`), so that
    // the test images stay unseen until the final accuracy.
    let n_val = x_all.len_of(Axis(0)) / 10;
    let n_fit = x_all.len_of(Axis(0)) - n_val;
    let (x_train, x_val) = x_all.view().split_at(Axis(0), n_fit);
    let (y_train, y_val) = y_all.view().split_at(Axis(0), n_fit);
    println!(
        "{n_fit} training, {n_val} validation and {} test images",
        x_test.len_of(Axis(0))
    );

    let mut net = KerasCnn::mnist().seed(0).build()?;
    println!("{}", net.summary());
    let mut opt = Adam::new(1e-3);
    let checkpoint: PathBuf = std::env::temp_dir().join("oxilearn-keras-mnist.ckpt");
    let config = TrainConfig::new()
        .epochs(epochs)
        .batch_size(64)
        .seed(0)
        .early_stopping(EarlyStopping::new(Monitor::ValLoss).patience(2))
        .checkpoint(&checkpoint)
        .resume(true);
    let history = config.fit_with(
        &mut net,
        &mut opt,
        x_train,
        y_train,
        Some((x_val, y_val)),
        &mut |p| {
            if let Progress::Epoch(s) = p {
                println!(
                    "epoch {:>2}: train loss {:.4} acc {:.4} | validation loss {:.4} acc {:.4} | {:.0} training images/s",
                    s.epoch,
                    s.loss,
                    s.accuracy,
                    s.val_loss.unwrap_or(f64::NAN),
                    s.val_accuracy.unwrap_or(f64::NAN),
                    s.images_per_second
                );
            }
        },
    )?;
    if history.stopped_early {
        println!(
            "stopped early; weights of epoch {} restored",
            history.best_epoch.unwrap_or(0)
        );
    }
    println!("checkpoint: {} (run again to resume)", checkpoint.display());

    let t = Instant::now();
    let n = x_test.len_of(Axis(0));
    let mut correct = 0;
    for start in (0..n).step_by(256) {
        let end = (start + 256).min(n);
        let classes = net.predict_classes(x_test.slice(s![start..end, .., .., ..]))?;
        correct += classes
            .iter()
            .zip(y_test.slice(s![start..end]))
            .filter(|&(&c, &y)| c == usize::from(y))
            .count();
    }
    println!(
        "test accuracy {:.2}%; inference {:.0} images/s (batches of 256)",
        100.0 * correct as f64 / n as f64,
        n as f64 / t.elapsed().as_secs_f64()
    );
    Ok(())
}
