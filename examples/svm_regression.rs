//! ε-support vector regression on the bundled diabetes data.
//!
//! `cargo run --release --example svm_regression`

use ndarray::Axis;
use oxilearn::data::train_test_split;
use oxilearn::datasets;
use oxilearn::svm::{Gamma, Kernel, Svr};

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
    let d = datasets::diabetes();
    let split = train_test_split(d.records.view(), d.targets.view(), 0.2, 0)?;
    // standardise with the training statistics
    let mean = split.x_train.mean_axis(Axis(0)).expect("rows");
    let std = split.x_train.std_axis(Axis(0), 0.0);
    let (x_train, x_test) = (
        (&split.x_train - &mean) / &std,
        (&split.x_test - &mean) / &std,
    );
    let model = Svr::new()
        .c(100.0)
        .epsilon(5.0)
        .kernel(Kernel::Rbf {
            gamma: Gamma::Scale,
        })
        .fit(x_train.view(), split.y_train.view())?;
    let pred = model.predict(x_test.view())?;
    let y = &split.y_test;
    let mean_y = y.mean().expect("rows");
    let ss_res: f64 = pred.iter().zip(y).map(|(p, t)| (p - t).powi(2)).sum();
    let ss_tot: f64 = y.iter().map(|t| (t - mean_y).powi(2)).sum();
    println!(
        "diabetes ε-SVR: {} support vectors of {} samples, {} iterations",
        model.support().len(),
        x_train.nrows(),
        model.n_iter()
    );
    println!(
        "test R² = {:.3}, RMSE = {:.1}",
        1.0 - ss_res / ss_tot,
        (ss_res / y.len() as f64).sqrt()
    );
    Ok(())
}
