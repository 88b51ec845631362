//! Novelty detection with a one-class SVM on the bundled breast-cancer data.
//!
//! The model learns what benign tumours look like from benign samples only
//! (standardised, RBF kernel, `ν = 0.05`), then flags held-out benign and
//! all malignant samples: `ν` bounds the fraction of training samples
//! strictly outside the learned boundary, and malignant samples should be
//! flagged far more often. The training rate printed (8.6 %) is above `ν`
//! because `predict` flags a decision of exactly zero, as libsvm does, and
//! the support vectors on the boundary sit at zero to the solver's tolerance;
//! scikit-learn's `OneClassSVM(nu=0.05)` prints the same numbers
//! (44 support vectors; 8.6 / 14.9 / 93.9 %; AUC 0.970). The fitted model
//! is saved and loaded back as any other model file.
//!
//! `cargo run --release --example svm_outliers`

use ndarray::Axis;
use oxilearn::datasets;
use oxilearn::metrics::roc_auc_score;
use oxilearn::persist::Persist;
use oxilearn::preprocessing::StandardScaler;
use oxilearn::svm::{FittedOneClassSvm, OneClassSvm};

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
    let d = datasets::breast_cancer();
    // scikit-learn's encoding: 0 = malignant, 1 = benign.
    let benign: Vec<usize> = (0..d.targets.len())
        .filter(|&i| d.targets[i] == 1)
        .collect();
    let malignant: Vec<usize> = (0..d.targets.len())
        .filter(|&i| d.targets[i] == 0)
        .collect();
    // every third benign sample is held out
    let (held, train): (Vec<usize>, Vec<usize>) = benign.iter().partition(|&&i| i % 3 == 0);
    let x_train = d.records.select(Axis(0), &train);
    let scaler = StandardScaler::new().fit(x_train.view())?;
    let x_train = scaler.transform(x_train.view())?;
    let x_held = scaler.transform(d.records.select(Axis(0), &held).view())?;
    let x_mal = scaler.transform(d.records.select(Axis(0), &malignant).view())?;

    let model = OneClassSvm::new().nu(0.05).fit(x_train.view())?;
    let flagged = |x: &ndarray::Array2<f64>| -> oxilearn::Result<f64> {
        let p = model.predict(x.view())?;
        Ok(p.iter().filter(|&&v| v == -1).count() as f64 / p.len() as f64)
    };
    println!(
        "one-class SVM (nu = 0.05): {} support vectors of {} benign training samples",
        model.support().len(),
        x_train.nrows()
    );
    println!(
        "flagged as outliers: training {:.1} %, held-out benign {:.1} %, malignant {:.1} %",
        100.0 * flagged(&x_train)?,
        100.0 * flagged(&x_held)?,
        100.0 * flagged(&x_mal)?
    );
    // score_samples: higher = more like the training data
    let scores = ndarray::concatenate(
        Axis(0),
        &[
            model.score_samples(x_held.view())?.view(),
            model.score_samples(x_mal.view())?.view(),
        ],
    )
    .expect("same dimensionality");
    let is_benign: ndarray::Array1<i64> = (0..scores.len())
        .map(|i| i64::from(i < x_held.nrows()))
        .collect();
    println!(
        "ROC AUC of score_samples, held-out benign vs malignant: {:.3}",
        roc_auc_score(is_benign.view(), scores.view())?
    );

    let path = std::env::temp_dir().join("oxilearn_svm_outliers.safetensors");
    model.save(&path)?;
    let back = FittedOneClassSvm::<f64>::load(&path)?;
    assert_eq!(back.predict(x_mal.view())?, model.predict(x_mal.view())?);
    std::fs::remove_file(&path).ok();
    println!("saved and reloaded: same predictions");
    Ok(())
}
