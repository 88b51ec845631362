//! oxilearn in one screen: bundled real data → split → scale → fit → metrics.
//!
//! Run with `cargo run --release --example quickstart` (a few seconds).

use oxilearn::data::stratified_train_test_split;
use oxilearn::linear::{LinearRegression, Ridge};
use oxilearn::metrics::{mean_absolute_error, r2_score};
use oxilearn::prelude::*;

fn main() -> Result<()> {
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
    let _ = (x_train, x_test);
    Ok(())
}
