//! Binary logistic regression on the bundled breast-cancer data:
//! standardise, fit, predict probabilities, confusion matrix, save / load.
//!
//! Run: `cargo run --release --example logistic_regression`

use oxilearn::data::stratified_train_test_split;
use oxilearn::datasets;
use oxilearn::logistic::{FittedLogisticRegression, LogisticRegression};
use oxilearn::metrics::{accuracy_score, confusion_matrix, log_loss};
use oxilearn::persist::Persist;
use oxilearn::preprocessing::StandardScaler;

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
    let data = datasets::breast_cancer();
    println!(
        "breast_cancer: {} samples × {} features, classes {:?}",
        data.n_samples(),
        data.n_features(),
        data.target_names
    );

    // 75/25 split keeping the class proportions; scale on the training part.
    let split = stratified_train_test_split(data.records.view(), data.targets.view(), 0.25, 42)?;
    let scaler = StandardScaler::new().fit(split.x_train.view())?;
    let x_train = scaler.transform(split.x_train.view())?;
    let x_test = scaler.transform(split.x_test.view())?;

    let model = LogisticRegression::new()
        .c(1.0)
        .fit(x_train.view(), split.y_train.view())?;
    println!(
        "fitted in {} Newton iterations (converged: {}), objective {:.4}",
        model.n_iter(),
        model.converged(),
        model.objective()
    );

    // Probabilities: column j is the probability of classes()[j].
    let proba = model.predict_proba(x_test.view())?;
    println!("\nfirst test rows: P(malignant)  P(benign)  truth");
    for i in 0..5 {
        println!(
            "                 {:>12.4}  {:>9.4}  {}",
            proba[[i, 0]],
            proba[[i, 1]],
            data.target_names[split.y_test[i]]
        );
    }

    let pred = model.predict(x_test.view())?;
    let (cm, labels) = confusion_matrix(split.y_test.view(), pred.view())?;
    println!("\nconfusion matrix (rows: truth, columns: prediction)");
    println!(
        "{:>12} {:>10} {:>10}",
        "", data.target_names[labels[0]], data.target_names[labels[1]]
    );
    for (i, row) in cm.rows().into_iter().enumerate() {
        println!(
            "{:>12} {:>10} {:>10}",
            data.target_names[labels[i]], row[0], row[1]
        );
    }
    println!(
        "accuracy {:.4}, log loss {:.4}",
        accuracy_score(split.y_test.view(), pred.view())?,
        log_loss(split.y_test.view(), proba.view(), Some(model.classes()))?
    );

    // Save and load back: same predictions.
    let path = std::env::temp_dir().join("oxilearn-logistic-example.safetensors");
    model.save(&path)?;
    let back = FittedLogisticRegression::<f64, usize>::load(&path)?;
    assert_eq!(back.predict(x_test.view())?, pred);
    println!("saved to and reloaded from {}", path.display());
    std::fs::remove_file(&path)?;
    Ok(())
}
