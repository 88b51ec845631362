//! Linear regression and ridge on the bundled diabetes data: coefficients,
//! R² on a held-out split, and a save / reload round trip.
//!
//! Run with `cargo run --release --example linear_regression`.

use oxilearn::data::train_test_split;
use oxilearn::datasets::diabetes;
use oxilearn::linear::{FittedLinearRegression, LinearRegression, Ridge};
use oxilearn::persist::{self, Persist};

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
    let data = diabetes();
    let split = train_test_split(data.records.view(), data.targets.view(), 0.2, 0)?;
    println!(
        "diabetes: {} training rows, {} test rows, {} features",
        split.x_train.nrows(),
        split.x_test.nrows(),
        data.records.ncols()
    );

    let ols = LinearRegression::new().fit(split.x_train.view(), split.y_train.view())?;
    let ridge = Ridge::new()
        .alpha(0.1)
        .fit(split.x_train.view(), split.y_train.view())?;

    println!("\n{:>8} {:>12} {:>12}", "feature", "OLS", "Ridge(0.1)");
    for (j, name) in data.feature_names.iter().enumerate() {
        println!(
            "{name:>8} {:>12.3} {:>12.3}",
            ols.coef()[j],
            ridge.coef()[j]
        );
    }
    println!(
        "{:>8} {:>12.3} {:>12.3}",
        "(icpt)",
        ols.intercept(),
        ridge.intercept()
    );
    println!("rank of the design: {}", ols.rank());

    let r2_ols = ols.score(split.x_test.view(), split.y_test.view())?;
    let r2_ridge = ridge.score(split.x_test.view(), split.y_test.view())?;
    println!("\ntest R²: OLS {r2_ols:.4}, Ridge {r2_ridge:.4}");

    // Save, inspect and reload: the reloaded model predicts identically.
    let path = std::env::temp_dir().join(format!(
        "oxilearn-diabetes-ols-{}.safetensors",
        std::process::id()
    ));
    ols.save(&path)?;
    let meta = persist::inspect(&path)?;
    println!(
        "\nsaved {} ({} format v{}, dtype {}, {} features) to {}",
        meta.kind,
        meta.format,
        meta.format_version,
        meta.dtype,
        meta.n_features.unwrap_or(0),
        path.display()
    );
    let reloaded = FittedLinearRegression::<f64>::load(&path)?;
    let same = reloaded.predict(split.x_test.view())? == ols.predict(split.x_test.view())?;
    println!("reloaded model gives identical test predictions: {same}");
    assert!(same);
    std::fs::remove_file(&path).ok();
    Ok(())
}
