//! oxilearn in one screen: bundled real data → split → scale → fit → metrics.
//!
//! Run with `cargo run --release --example quickstart` (a few seconds).

use oxilearn::data::stratified_train_test_split;
use oxilearn::linear::{LinearRegression, Ridge};
use oxilearn::logistic::LogisticRegression;
use oxilearn::metrics::{
    Average, accuracy_score, confusion_matrix, f1_score, log_loss, mean_absolute_error, r2_score,
    roc_auc_score,
};
use oxilearn::persist::inspect;
use oxilearn::prelude::*;
use oxilearn::svm::{FittedSvc, Svc};

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

fn run() -> Result<()> {
    println!(
        "oxilearn {} — linalg backend: {}",
        env!("CARGO_PKG_VERSION"),
        oxilearn::linalg::backend()
    );

    // ---------------------------------------------------------- regression
    let diabetes = oxilearn::datasets::diabetes();
    let split = train_test_split(diabetes.records.view(), diabetes.targets.view(), 0.2, 42)?;
    let scaler = StandardScaler::new().fit(split.x_train.view())?;
    let (x_train, x_test) = (
        scaler.transform(split.x_train.view())?,
        scaler.transform(split.x_test.view())?,
    );
    println!(
        "\ndiabetes: {} train / {} test rows, {} features (standardised)",
        x_train.nrows(),
        x_test.nrows(),
        x_train.ncols()
    );
    let ols = LinearRegression::new().fit(x_train.view(), split.y_train.view())?;
    let ridge = Ridge::new()
        .alpha(1.0)
        .fit(x_train.view(), split.y_train.view())?;
    for (name, pred) in [
        ("LinearRegression", ols.predict(x_test.view())?),
        ("Ridge(alpha=1)", ridge.predict(x_test.view())?),
    ] {
        println!(
            "  {name:<18} test R² {:.4}  MAE {:.2}",
            r2_score(split.y_test.view(), pred.view())?,
            mean_absolute_error(split.y_test.view(), pred.view())?
        );
    }

    // ------------------------------------------------------ classification
    let cancer = oxilearn::datasets::breast_cancer();
    let split =
        stratified_train_test_split(cancer.records.view(), cancer.targets.view(), 0.25, 42)?;
    let scaler = StandardScaler::new().fit(split.x_train.view())?;
    let (x_train, x_test) = (
        scaler.transform(split.x_train.view())?,
        scaler.transform(split.x_test.view())?,
    );
    println!(
        "\nbreast_cancer: {} train / {} test rows, {} features (standardised), classes {:?}",
        x_train.nrows(),
        x_test.nrows(),
        x_train.ncols(),
        cancer.target_names
    );
    let logreg = LogisticRegression::new().fit(x_train.view(), split.y_train.view())?;
    let svc = Svc::new()
        .probability(true)
        .seed(0)
        .fit(x_train.view(), split.y_train.view())?;
    println!(
        "  LogisticRegression: {} iterations (converged: {}); SVC (RBF, C=1, gamma=scale): {} support vectors",
        logreg.n_iter(),
        logreg.converged(),
        svc.support().len()
    );
    for (name, pred, proba) in [
        (
            "LogisticRegression",
            logreg.predict(x_test.view())?,
            logreg.predict_proba(x_test.view())?,
        ),
        (
            "SVC + Platt",
            svc.predict(x_test.view())?,
            svc.predict_proba(x_test.view())?,
        ),
    ] {
        let y = split.y_test.view();
        println!(
            "  {name:<18} accuracy {:.4}  F1(benign) {:.4}  ROC AUC {:.4}  log loss {:.4}",
            accuracy_score(y, pred.view())?,
            f1_score(y, pred.view(), Average::Binary { pos_label: 1 })?,
            roc_auc_score(y, proba.column(1))?,
            log_loss(y, proba.view(), None)?
        );
    }
    let (cm, labels) = confusion_matrix(split.y_test.view(), svc.predict(x_test.view())?.view())?;
    println!("  SVC confusion matrix (rows: true {labels:?}, columns: predicted):\n{cm}");

    // ------------------------------------------------------ model files
    let path = std::env::temp_dir().join(format!(
        "oxilearn-quickstart-svc-{}.safetensors",
        std::process::id()
    ));
    svc.save(&path)?;
    let meta = inspect(&path)?;
    let reloaded = FittedSvc::<f64, usize>::load(&path)?;
    assert_eq!(
        reloaded.predict(x_test.view())?,
        svc.predict(x_test.view())?
    );
    println!(
        "\nsaved and reloaded a `{}` ({} format v{}, {} features, {} tensors): identical predictions",
        meta.kind,
        meta.format,
        meta.format_version,
        meta.n_features.unwrap_or(0),
        meta.tensors.len()
    );
    std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
    Ok(())
}
