//! Data-cleaning steps in the compose core: `Features::Table`, the
//! table-aware transformers as pipeline steps, and `ColumnTransformer`
//! against scikit-learn on the raw penguins table.

use oxilearn::Error;
use oxilearn::compose::{
    AnyModel, ColumnTransformer, Columns, Features, FittedColumnTransformer, Pipeline, Remainder,
    load_any_bytes,
};
use oxilearn::data::{Column, Table};
use oxilearn::logistic::LogisticRegression;
use oxilearn::ndarray::{Array2, array};
use oxilearn::persist::Persist;
use oxilearn::preprocessing::{ImputeStrategy, OneHotEncoder, SimpleImputer, StandardScaler};

fn penguin_features() -> (Table, Vec<String>) {
    let t = oxilearn::datasets::penguins();
    let (x, species) = t.split_target("species").unwrap();
    let y = species
        .as_categorical()
        .unwrap()
        .iter()
        .map(|s| s.clone().unwrap())
        .collect();
    (x, y)
}

fn penguin_transformer() -> ColumnTransformer<String> {
    let numeric = [
        "bill_length_mm",
        "bill_depth_mm",
        "flipper_length_mm",
        "body_mass_g",
    ];
    ColumnTransformer::new()
        .transform(
            "num",
            Pipeline::new()
                .transform(
                    "impute",
                    SimpleImputer::new().strategy(ImputeStrategy::Median),
                )
                .transform("scale", StandardScaler::new()),
            Columns::names(numeric),
        )
        .transform(
            "cat",
            Pipeline::new()
                .transform(
                    "impute",
                    SimpleImputer::new().strategy(ImputeStrategy::MostFrequent),
                )
                .transform("onehot", OneHotEncoder::new()),
            Columns::categorical(),
        )
        .remainder(Remainder::Passthrough)
}

/// scikit-learn 1.9.1 on the same table (species dropped; NA → NaN):
/// ```python
/// ct = ColumnTransformer([
///     ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
///      [1, 2, 3, 4]),   # bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g
///     ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder()),
///      [0, 5]),         # island, sex
/// ], remainder="passthrough")
/// Z = ct.fit_transform(X).astype(float)
/// ct.get_feature_names_out(["island", "bill_length_mm", "bill_depth_mm",
///     "flipper_length_mm", "body_mass_g", "sex", "year"])
/// [Z[i].tolist() for i in [0, 3, 200, 343]]
/// ```
#[test]
fn data_column_transformer_matches_scikit_learn_on_penguins() -> oxilearn::Result<()> {
    let (x, _) = penguin_features();
    let (fitted, z) = penguin_transformer().fit_transform(&x, None)?;
    assert_eq!(
        fitted.feature_names_out(),
        [
            "num__bill_length_mm",
            "num__bill_depth_mm",
            "num__flipper_length_mm",
            "num__body_mass_g",
            "cat__island_Biscoe",
            "cat__island_Dream",
            "cat__island_Torgersen",
            "cat__sex_female",
            "cat__sex_male",
            "remainder__year"
        ]
    );
    let expected: [(usize, [f64; 10]); 4] = [
        (
            0,
            [
                -0.8876218296573769,
                0.7872893852538482,
                -1.4205408977935217,
                -0.5646252603760245,
                0.0,
                0.0,
                1.0,
                0.0,
                1.0,
                2007.0,
            ],
        ),
        (
            3,
            [
                0.09658061358966245,
                0.075254515886237,
                -0.2779635046245103,
                -0.18893649912002358,
                0.0,
                0.0,
                1.0,
                0.0,
                1.0,
                2007.0,
            ],
        ),
        (
            200,
            [
                0.17936399666651542,
                -1.9591308251640829,
                0.864613888544501,
                1.1259741652759794,
                1.0,
                0.0,
                0.0,
                1.0,
                0.0,
                2008.0,
            ],
        ),
        (
            343,
            [
                1.1543682862383493,
                0.7872893852538482,
                -0.20655241755144707,
                -0.533317863604691,
                0.0,
                1.0,
                0.0,
                1.0,
                0.0,
                2009.0,
            ],
        ),
    ];
    assert_eq!(z.dim(), (344, 10));
    for (i, row) in expected {
        for (j, (&got, want)) in z.row(i).iter().zip(row).enumerate() {
            assert!(
                (got - want).abs() <= 1e-12,
                "row {i} col {j}: {got} vs {want}"
            );
        }
    }
    // transform on the fitted object gives the fit-time output.
    assert_eq!(fitted.transform(&x)?, z);
    Ok(())
}

#[test]
fn data_column_transformer_saves_as_one_file_and_takes_reordered_tables() -> oxilearn::Result<()> {
    let (x, _) = penguin_features();
    let fitted = penguin_transformer().fit(&x, None)?;
    let z = fitted.transform(&x)?;
    let bytes = fitted.to_bytes()?;
    let back = FittedColumnTransformer::from_bytes(&bytes)?;
    assert_eq!(back.transform(&x)?, z);
    assert_eq!(back.feature_names_out(), fitted.feature_names_out());
    match load_any_bytes(&bytes)? {
        AnyModel::Transformer(t) => {
            assert_eq!(t.kind(), "ColumnTransformer");
            assert_eq!(t.transform(Features::from(&x))?, z);
        }
        other => panic!("expected a transformer, got {other:?}"),
    }
    // A table with its columns in another order is matched by name.
    let mut names: Vec<&str> = x.names().iter().map(String::as_str).collect();
    names.reverse();
    let reordered = x.select_columns(&names)?;
    assert_eq!(fitted.transform(&reordered)?, z);
    // A table without one of the columns is a typed error.
    let fewer = x.select_columns(&names[1..])?;
    assert!(matches!(
        fitted.transform(&fewer),
        Err(Error::ShapeMismatch { .. })
    ));
    Ok(())
}

#[test]
fn data_pipeline_from_raw_table_to_classifier_round_trips() -> oxilearn::Result<()> {
    let (x, y) = penguin_features();
    let y = oxilearn::ndarray::Array1::from(y);
    let pipe = Pipeline::new()
        .transform("prep", penguin_transformer())
        .estimator("clf", LogisticRegression::new());
    let fitted = pipe.fit(&x, y.view())?;
    let accuracy = fitted.score(&x, y.view())?;
    assert!(accuracy > 0.98, "training accuracy {accuracy}");
    let back = oxilearn::compose::FittedPipeline::<String>::from_bytes(&fitted.to_bytes()?)?;
    assert_eq!(back.predict(&x)?, fitted.predict(&x)?);
    Ok(())
}

#[test]
fn data_column_transformer_refuses_bad_specifications() {
    let t = Table::new(vec![
        ("a".into(), Column::Numeric(array![1.0, 2.0])),
        ("c".into(), Column::categorical(["u", "v"])),
    ])
    .unwrap();
    let unknown = ColumnTransformer::<f64>::new().transform(
        "s",
        StandardScaler::new(),
        Columns::names(["nope"]),
    );
    assert!(matches!(
        unknown.fit(&t, None),
        Err(Error::InvalidParameter { .. })
    ));
    let twice = ColumnTransformer::<f64>::new()
        .transform("s", StandardScaler::new(), Columns::names(["a"]))
        .passthrough("s", Columns::names(["a"]));
    assert!(matches!(
        twice.fit(&t, None),
        Err(Error::InvalidParameter { .. })
    ));
    // A categorical column cannot pass through into a numeric output.
    let pass = ColumnTransformer::<f64>::new().remainder(Remainder::Passthrough);
    assert!(matches!(pass.fit(&t, None), Err(Error::ColumnType { .. })));
    // A scaler on a categorical column: typed error naming it.
    let scaler_on_text = ColumnTransformer::<f64>::new().transform(
        "s",
        StandardScaler::new(),
        Columns::names(["c"]),
    );
    assert!(matches!(
        scaler_on_text.fit(&t, None),
        Err(Error::ColumnType { .. })
    ));
    // Matrices: positions and types work, names are x0, x1, ...
    let m = array![[1.0, 10.0], [3.0, 30.0]];
    let fitted = ColumnTransformer::<f64>::new()
        .transform("s", StandardScaler::new(), Columns::indices([1]))
        .remainder(Remainder::Passthrough)
        .fit(&m, None)
        .unwrap();
    assert_eq!(fitted.feature_names_out(), ["s__x1", "remainder__x0"]);
    let z: Array2<f64> = fitted.transform(&m).unwrap();
    assert_eq!(z, array![[-1.0, 1.0], [1.0, 3.0]]);
}

#[test]
fn data_column_transformer_file_with_a_bad_part_is_refused() -> oxilearn::Result<()> {
    let m = array![[1.0, 10.0], [3.0, 30.0]];
    let fitted = ColumnTransformer::<f64>::new()
        .transform("s", StandardScaler::new(), Columns::indices([1]))
        .fit(&m, None)?;
    let mut file = Persist::to_model_file(&fitted)?;
    let mut h = file.metadata.hyperparameters.clone();
    h["transformers"][0]["columns"] = serde_json::json!([5]);
    file.metadata.hyperparameters = h;
    assert!(matches!(
        FittedColumnTransformer::from_model_file(file),
        Err(Error::Format { .. })
    ));
    Ok(())
}
