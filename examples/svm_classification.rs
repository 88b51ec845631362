//! Multiclass kernel SVM on the bundled digits (8×8 images, 10 classes):
//! one-vs-one RBF SVC with Platt probabilities and a progress bar.
//!
//! `cargo run --release --example svm_classification`
//!
//! The progress bar uses `indicatif`, a dev-dependency of this repository, not a
//! dependency of oxilearn: add `indicatif = "0.18"` to your `Cargo.toml` when copying this.

use indicatif::{ProgressBar, ProgressStyle};
use oxilearn::data::stratified_train_test_split;
use oxilearn::datasets;
use oxilearn::svm::{Gamma, Kernel, Svc};

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
    let d = datasets::digits();
    let split = stratified_train_test_split(d.records.view(), d.targets.view(), 0.25, 0)?;
    // pixels are 0..16: scale to [0, 1]
    let (x_train, x_test) = (split.x_train / 16.0, split.x_test / 16.0);

    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} sub-problems {msg}")
            .expect("valid template"),
    );
    let b = bar.clone();
    let model = Svc::new()
        .c(10.0)
        .kernel(Kernel::Rbf {
            gamma: Gamma::Scale,
        })
        .probability(true)
        .seed(42)
        .progress(move |p| {
            b.set_length(p.n_tasks as u64);
            if p.done {
                b.inc(1);
            } else {
                b.set_message(format!(
                    "iter {} violation {:.2e}",
                    p.iteration, p.violation
                ));
            }
        })
        .fit(x_train.view(), split.y_train.view())?;
    bar.finish_with_message("done");

    let pred = model.predict(x_test.view())?;
    let correct = pred
        .iter()
        .zip(&split.y_test)
        .filter(|(a, b)| a == b)
        .count();
    println!(
        "digits: {} train / {} test, gamma = {:.4}, support vectors per class {:?}",
        x_train.nrows(),
        x_test.nrows(),
        model.gamma(),
        model.n_support()
    );
    println!(
        "test accuracy {:.2}% ({correct}/{})",
        100.0 * correct as f64 / pred.len() as f64,
        pred.len()
    );
    let proba = model.predict_proba(x_test.view())?;
    for i in 0..3 {
        let row = proba.row(i);
        let (best, p) = row
            .iter()
            .enumerate()
            .fold((0, 0.0), |b, (k, &v)| if v > b.1 { (k, v) } else { b });
        println!(
            "test image {i}: true {}, predicted {}, P(class {best}) = {p:.3}",
            split.y_test[i], pred[i]
        );
    }
    Ok(())
}
