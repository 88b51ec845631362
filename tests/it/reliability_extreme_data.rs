//! The "extreme but finite values" check ([`common::check_extreme_values`],
//! #19) for the `f64`-only transformers and detectors, which the generic
//! `transformer_checks!` macro (f32 + f64) cannot instantiate: records
//! scaled by 1e±300 give a typed refusal or finite output, never NaN/inf.

use crate::common;

use ndarray::Array2;
use oxilearn::outlier::{IsolationForest, OutlierClipper, OutlierRule};
use oxilearn::preprocessing::{
    ImputeStrategy, KnnImputer, KnnWeights, MaxAbsScaler, MissingIndicator, Norm, Normalizer,
    OneHotEncoder, OrdinalEncoder, PowerMethod, PowerTransformer, QuantileOutput,
    QuantileTransformer, RobustScaler, SimpleImputer,
};

/// Every transformed value is finite.
fn finite(z: &Array2<f64>, _: f64) -> Result<(), String> {
    match z.iter().find(|v| !v.is_finite()) {
        Some(v) => Err(format!("transformed value {v}")),
        None => Ok(()),
    }
}

/// [`common::transformer_data`] with a few missing cells (for imputers).
fn with_missing() -> Array2<f64> {
    let mut x = common::transformer_data();
    x[[0, 0]] = f64::NAN;
    x[[3, 1]] = f64::NAN;
    x[[7, 3]] = f64::NAN;
    x
}

/// Few distinct values per column (for encoders).
fn categorical() -> Array2<f64> {
    Array2::from_shape_fn((24, 3), |(i, j)| ((i * (j + 2)) % (j + 3)) as f64 + 1.0)
}

#[test]
fn robust_scaler_extreme_values() {
    let x = common::transformer_data();
    for (name, p) in [
        ("robust_scaler", RobustScaler::new()),
        (
            "robust_scaler_wide",
            RobustScaler::new().quantile_range(1.0, 99.0),
        ),
    ] {
        common::check_extreme_values(name, &x, |xs, _| p.fit(xs)?.transform(xs), finite);
    }
}

#[test]
fn power_transformer_extreme_values() {
    // Yeo-Johnson on any data (with missing cells); Box-Cox on positive data.
    let x = with_missing();
    let positive = common::transformer_data().mapv(|v| v.abs() + 0.5);
    for (name, p, x) in [
        ("yeo_johnson", PowerTransformer::new(), &x),
        (
            "yeo_johnson_raw",
            PowerTransformer::new().standardize(false),
            &x,
        ),
        (
            "box_cox",
            PowerTransformer::new().method(PowerMethod::BoxCox),
            &positive,
        ),
        (
            "box_cox_raw",
            PowerTransformer::new()
                .method(PowerMethod::BoxCox)
                .standardize(false),
            &positive,
        ),
    ] {
        common::check_extreme_values(
            name,
            x,
            |xs, _| p.fit(xs)?.transform(xs),
            |z: &Array2<f64>, _| match z.iter().find(|v| v.is_infinite()) {
                Some(v) => Err(format!("transformed value {v}")),
                None if z.iter().filter(|v| v.is_nan()).count()
                    == x.iter().filter(|v| v.is_nan()).count() =>
                {
                    Ok(())
                }
                None => Err("NaN beyond the missing cells".into()),
            },
        );
    }
}

#[test]
fn quantile_transformer_extreme_values() {
    let x = with_missing();
    for out in [QuantileOutput::Uniform, QuantileOutput::Normal] {
        let p = QuantileTransformer::new()
            .n_quantiles(10)
            .output_distribution(out);
        common::check_extreme_values(
            &format!("quantile_transformer {out:?}"),
            &x,
            |xs, _| p.fit(xs)?.transform(xs),
            |z: &Array2<f64>, _| match z.iter().find(|v| v.is_infinite()) {
                Some(v) => Err(format!("transformed value {v}")),
                None => Ok(()),
            },
        );
    }
}

#[test]
fn knn_imputer_extreme_values() {
    let x = with_missing();
    for w in [KnnWeights::Uniform, KnnWeights::Distance] {
        common::check_extreme_values(
            &format!("knn_imputer {w:?}"),
            &x,
            |xs, _| KnnImputer::new().weights(w).fit(xs)?.transform(xs),
            finite,
        );
    }
}

#[test]
fn max_abs_scaler_extreme_values() {
    let x = common::transformer_data();
    common::check_extreme_values(
        "max_abs_scaler",
        &x,
        |xs, _| MaxAbsScaler::new().fit(xs)?.transform(xs),
        finite,
    );
}

#[test]
fn normalizer_extreme_values() {
    let x = common::transformer_data();
    for norm in [Norm::L1, Norm::L2, Norm::Max] {
        common::check_extreme_values(
            &format!("normalizer {norm:?}"),
            &x,
            |xs, _| Normalizer::new().norm(norm).fit(xs)?.transform(xs),
            finite,
        );
    }
}

#[test]
fn normalizer_output_is_exact_at_the_f64_limit() {
    // A row of 1e300s has L2 norm 2e300 (its square overflows): the unit
    // row is 0.5 each, as for a row of 1s.
    let x = Array2::from_elem((1, 4), 1e300);
    let z = Normalizer::new()
        .fit(x.view())
        .unwrap()
        .transform(x.view())
        .unwrap();
    for v in z.iter() {
        assert!((v - 0.5).abs() < 1e-15, "{z}");
    }
    let tiny = Array2::from_elem((1, 4), 1e-310);
    let z = Normalizer::new()
        .fit(tiny.view())
        .unwrap()
        .transform(tiny.view())
        .unwrap();
    for v in z.iter() {
        assert!((v - 0.5).abs() < 1e-12, "{z}");
    }
}

#[test]
fn imputers_extreme_values() {
    let x = with_missing();
    for strategy in [
        ImputeStrategy::Mean,
        ImputeStrategy::Median,
        ImputeStrategy::MostFrequent,
    ] {
        common::check_extreme_values(
            &format!("simple_imputer {strategy:?}"),
            &x,
            |xs, _| {
                SimpleImputer::new()
                    .strategy(strategy)
                    .fit(xs)?
                    .transform(xs)
            },
            finite,
        );
    }
    common::check_extreme_values(
        "missing_indicator",
        &x,
        |xs, _| MissingIndicator::new().fit(xs)?.transform(xs),
        finite,
    );
}

#[test]
fn simple_imputer_mean_is_exact_at_the_f64_limit() {
    // Mean of 1e308 and 1e308 is 1e308 (their sum overflows).
    let x = ndarray::array![[1e308], [1e308], [f64::NAN]];
    let z = SimpleImputer::new()
        .fit(x.view())
        .unwrap()
        .transform(x.view())
        .unwrap();
    assert_eq!(z[[2, 0]], 1e308, "{z}");
    // The median of an even count averages the middle pair (its sum
    // overflows too).
    let x = ndarray::array![[1.5e308], [1.7e308], [f64::NAN]];
    let z = SimpleImputer::new()
        .strategy(ImputeStrategy::Median)
        .fit(x.view())
        .unwrap()
        .transform(x.view())
        .unwrap();
    assert_eq!(z[[2, 0]], 1.6e308, "{z}");
}

#[test]
fn encoders_extreme_values() {
    let x = categorical();
    common::check_extreme_values(
        "one_hot_encoder",
        &x,
        |xs, _| OneHotEncoder::new().fit(xs)?.transform(xs),
        finite,
    );
    common::check_extreme_values(
        "ordinal_encoder",
        &x,
        |xs, _| OrdinalEncoder::new().fit(xs)?.transform(xs),
        finite,
    );
}

#[test]
fn outlier_clipper_extreme_values() {
    let x = common::transformer_data();
    for rule in [OutlierRule::Iqr(1.5), OutlierRule::ZScore(3.0)] {
        common::check_extreme_values(
            &format!("outlier_clipper {rule:?}"),
            &x,
            |xs, _| OutlierClipper::new().rule(rule).fit(xs)?.transform(xs),
            finite,
        );
    }
}

#[test]
fn isolation_forest_extreme_values() {
    let x = common::transformer_data();
    common::check_extreme_values(
        "isolation_forest",
        &x,
        |xs, _| {
            let m = IsolationForest::new().n_estimators(20).seed(0).fit(xs)?;
            Ok((m.score_samples(xs)?, m.predict(xs)?))
        },
        |(s, p), _| {
            if let Some(v) = s.iter().find(|v| !v.is_finite()) {
                return Err(format!("score {v}"));
            }
            match p.iter().find(|&&l| l != 1 && l != -1) {
                Some(l) => Err(format!("label {l}")),
                None => Ok(()),
            }
        },
    );
}
