//! Cleaning a raw table before training: the Palmer penguins as they come
//! (missing values, text categories) → missing-value report → imputation →
//! one-hot encoding → scaling (one `ColumnTransformer`) → outlier flags
//! (IsolationForest, Tukey's fences) → a classifier, all saved as one
//! pipeline model file.
//!
//! Run with `cargo run --release --example data_cleaning`.

use oxilearn::compose::{ColumnTransformer, Columns, FittedPipeline, Pipeline, Remainder};
use oxilearn::data::stratified_train_test_split;
use oxilearn::ndarray::Array2;
use oxilearn::outlier::{Contamination, IsolationForest, OutlierClipper};
use oxilearn::prelude::*;
use oxilearn::preprocessing::{HandleUnknown, ImputeStrategy, OneHotEncoder, SimpleImputer};

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
    // 1. The raw table.
    let raw = oxilearn::datasets::penguins();
    println!(
        "penguins: {} rows × {} columns",
        raw.n_rows(),
        raw.n_columns()
    );
    println!("{:<20} {:<12} missing", "column", "type");
    for ((name, missing), ty) in raw.missing_counts().into_iter().zip(raw.column_types()) {
        println!("{name:<20} {:<12} {missing}", ty.to_string());
    }

    // 2. Target and features; a stratified split of the rows.
    let (features, species) = raw.split_target("species")?;
    let labels: Array1<String> = (0..species.len())
        .map(|i| species.text(i).unwrap_or_default())
        .collect();
    let rows = Array2::from_shape_fn((raw.n_rows(), 1), |(i, _)| i);
    let split = stratified_train_test_split(rows.view(), labels.view(), 0.25, 42)?;
    let train = features.select_rows(&split.x_train.column(0).to_vec());
    let test = features.select_rows(&split.x_test.column(0).to_vec());

    // 3. One transformer for the whole table: numeric columns get median
    //    imputation then scaling; text columns the most frequent value then
    //    one-hot encoding; `year` is dropped.
    let measurements = [
        "bill_length_mm",
        "bill_depth_mm",
        "flipper_length_mm",
        "body_mass_g",
    ];
    let prep = ColumnTransformer::new()
        .transform(
            "num",
            Pipeline::new()
                .transform(
                    "impute",
                    SimpleImputer::new().strategy(ImputeStrategy::Median),
                )
                .transform("scale", StandardScaler::new()),
            Columns::names(measurements),
        )
        .transform(
            "cat",
            Pipeline::new()
                .transform(
                    "impute",
                    SimpleImputer::new().strategy(ImputeStrategy::MostFrequent),
                )
                .transform(
                    "onehot",
                    OneHotEncoder::new().handle_unknown(HandleUnknown::Ignore),
                ),
            Columns::categorical(),
        )
        .remainder(Remainder::Drop);
    let (fitted_prep, x_train) = prep.fit_transform(&train, None)?;
    println!("features out: {:?}", fitted_prep.feature_names_out());

    // 4. Outliers among the training rows: an isolation forest on the
    //    cleaned features (the 2 % most isolated), and Tukey's fences on the
    //    measurements alone.
    let forest = IsolationForest::new()
        .contamination(Contamination::Fraction(0.02))
        .seed(0)
        .fit(x_train.view())?;
    let flags = forest.predict(x_train.view())?;
    let outliers: Vec<usize> = (0..flags.len()).filter(|&i| flags[i] == -1).collect();
    println!(
        "IsolationForest flags {} of {} training rows: {outliers:?}",
        outliers.len(),
        x_train.nrows()
    );
    let scaled_measurements = x_train.slice(s![.., ..measurements.len()]);
    let fenced = OutlierClipper::new()
        .fit(scaled_measurements)?
        .predict(scaled_measurements)?
        .iter()
        .filter(|&&p| p == -1)
        .count();
    println!("rows outside Tukey's fences (k = 1.5): {fenced}");

    // 5. The whole chain as one pipeline: cleaning, then a classifier, fitted
    //    on the raw training table and scored on the raw test table.
    let pipe = Pipeline::new()
        .transform("prep", prep)
        .estimator("clf", LogisticRegression::new());
    let model = pipe.fit(&train, split.y_train.view())?;
    let accuracy = model.score(&test, split.y_test.view())?;
    println!(
        "held-out accuracy: {accuracy:.3} ({} test rows)",
        test.n_rows()
    );

    // 6. One model file for everything; it predicts from raw rows.
    let path = std::env::temp_dir().join(format!(
        "oxilearn-penguins-{}.safetensors",
        std::process::id()
    ));
    model.save(&path)?;
    let back = FittedPipeline::<String>::load(&path)?;
    assert_eq!(back.predict(&test)?, model.predict(&test)?);
    println!("saved and reloaded {}", path.display());
    std::fs::remove_file(&path)?;
    Ok(())
}
