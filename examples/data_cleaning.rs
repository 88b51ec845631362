//! Cleaning a raw table before training: the Palmer penguins as they come
//! (missing values, text categories) → missing-value report → imputation →
//! one-hot encoding → scaling → outlier flags → a classifier.
//!
//! Run with `cargo run --release --example data_cleaning`.

use oxilearn::data::{ColumnType, Table, stratified_train_test_split};
use oxilearn::ndarray::{Array2, Axis, concatenate};
use oxilearn::outlier::OutlierClipper;
use oxilearn::prelude::*;
use oxilearn::preprocessing::{HandleUnknown, ImputeStrategy, OneHotEncoder, SimpleImputer};

fn main() -> oxilearn::Result<()> {
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

    // 3. Numeric columns: median imputation; categorical: most frequent, then one-hot.
    let pick = |t: &Table, ty: ColumnType| -> Vec<String> {
        t.iter()
            .filter(|(_, c)| c.column_type() == ty)
            .map(|(n, _)| n.to_string())
            .collect()
    };
    let num: Vec<String> = pick(&train, ColumnType::Numeric);
    let cat: Vec<String> = pick(&train, ColumnType::Categorical);
    let num_refs: Vec<&str> = num.iter().map(String::as_str).collect();
    let cat_refs: Vec<&str> = cat.iter().map(String::as_str).collect();

    let num_imputer = SimpleImputer::new()
        .strategy(ImputeStrategy::Median)
        .fit_table(&train.select_columns(&num_refs)?)?;
    let cat_imputer = SimpleImputer::new()
        .strategy(ImputeStrategy::MostFrequent)
        .fit_table(&train.select_columns(&cat_refs)?)?;
    let encoder = OneHotEncoder::new()
        .handle_unknown(HandleUnknown::Ignore)
        .fit_table(&cat_imputer.transform_table(&train.select_columns(&cat_refs)?)?)?;
    println!("imputed medians: {:?}", num_imputer.fill_texts());
    println!("one-hot columns: {:?}", encoder.feature_names_out());

    let prepare = |t: &Table| -> oxilearn::Result<Array2<f64>> {
        let x_num = num_imputer
            .transform_table(&t.select_columns(&num_refs)?)?
            .to_matrix()?;
        let x_cat = encoder
            .transform_table(&cat_imputer.transform_table(&t.select_columns(&cat_refs)?)?)?;
        concatenate(Axis(1), &[x_num.view(), x_cat.view()])
            .map_err(|e| oxilearn::Error::invalid("features", e.to_string()))
    };
    let x_train = prepare(&train)?;
    let x_test = prepare(&test)?;

    // 4. Scaling, fitted on the training rows only.
    let scaler = StandardScaler::new().fit(x_train.view())?;
    let x_train = scaler.transform(x_train.view())?;
    let x_test = scaler.transform(x_test.view())?;

    // 5. Outliers of the measurements (Tukey's fences on the training rows).
    // Only the measurements: one-hot columns of rare categories are not outliers.
    let measurements = x_train.slice(s![.., ..num.len()]);
    let clipper = OutlierClipper::new().fit(measurements)?;
    let flagged = clipper
        .predict(measurements)?
        .iter()
        .filter(|&&p| p == -1)
        .count();
    println!(
        "rows outside Tukey's fences (k = 1.5): {flagged} of {}",
        x_train.nrows()
    );

    // 6. A classifier on the cleaned features.
    let model = LogisticRegression::new().fit(x_train.view(), split.y_train.view())?;
    let accuracy = model.score(x_test.view(), split.y_test.view())?;
    println!(
        "held-out accuracy: {accuracy:.3} ({} test rows)",
        x_test.nrows()
    );
    Ok(())
}
