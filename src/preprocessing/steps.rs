//! The compose-trait impls ([`Transformer`], [`FittedTransformer`]) of the
//! data-cleaning transformers: scalers, imputers, encoders and the outlier
//! clipper, so each can be a [`Pipeline`](crate::compose::Pipeline) step or a
//! part of a [`ColumnTransformer`](crate::compose::ColumnTransformer).
//!
//! Table-aware steps (imputers, encoders) fit and transform
//! [`Features::Table`] by column name and [`Features::Matrix`] by position;
//! the numeric ones take any input that converts to a matrix.

use std::any::Any;

use ndarray::{Array2, ArrayView1};

use super::FillValue;
use super::{
    DropCategory, FittedKnnImputer, FittedMaxAbsScaler, FittedMissingIndicator, FittedNormalizer,
    FittedOneHotEncoder, FittedOrdinalEncoder, FittedPowerTransformer, FittedQuantileTransformer,
    FittedRobustScaler, FittedSimpleImputer, HandleUnknown, ImputeStrategy, IndicatorFeatures,
    KnnImputer, KnnWeights, MaxAbsScaler, MinFrequency, MissingIndicator, Norm, Normalizer,
    OneHotEncoder, OrdinalEncoder, OrdinalUnknown, PowerMethod, PowerTransformer, QuantileOutput,
    QuantileTransformer, RobustScaler, SimpleImputer,
};
use super::{FittedTargetEncoder, Smooth, TargetEncoder, TargetType};
use crate::compose::{Features, FittedTransformer, OwnedFeatures, Target, Transformer};
use crate::error::{Error, Result};
use crate::outlier::{FittedOutlierClipper, OutlierClipper, OutlierRule};
use crate::persist::{ModelFile, Persist};

type Params = Vec<(String, String)>;

fn p(name: &str, value: impl ToString) -> (String, String) {
    (name.to_string(), value.to_string())
}

/// `Err(ShapeMismatch)` unless `input` has `n` names.
pub(crate) fn check_names(input: &[String], n: usize) -> Result<()> {
    if input.len() != n {
        return Err(Error::ShapeMismatch {
            what: "feature names (one per input column)",
            expected: vec![n],
            got: vec![input.len()],
        });
    }
    Ok(())
}

/// The boilerplate shared by every impl below.
macro_rules! common_transformer {
    ($ty:ty) => {
        fn clone_box(&self) -> Box<dyn Transformer<Y>> {
            Box::new(self.clone())
        }

        fn as_any(&self) -> &dyn Any {
            self
        }
    };
}

macro_rules! common_fitted {
    ($ty:ty) => {
        fn kind(&self) -> &'static str {
            <$ty as Persist>::KIND
        }

        fn to_model_file(&self) -> Result<ModelFile> {
            Persist::to_model_file(self)
        }

        fn as_any(&self) -> &dyn Any {
            self
        }
    };
}

/// A numeric, column-wise step: fit and transform on the `f64` matrix, names
/// unchanged.
macro_rules! numeric_step {
    ($ty:ident, $fitted:ident, |$s:ident| $params:expr) => {
        impl<Y: Target> Transformer<Y> for $ty {
            fn fit(
                &self,
                x: Features<'_>,
                _y: Option<ArrayView1<'_, Y>>,
            ) -> Result<Box<dyn FittedTransformer>> {
                let x = x.to_matrix()?;
                Ok(Box::new($ty::fit(self, x.view())?))
            }

            fn params(&self) -> Params {
                let $s = self;
                $params
            }

            common_transformer!($ty);
        }

        impl FittedTransformer for $fitted {
            fn n_features_in(&self) -> usize {
                self.n_features()
            }

            fn n_features_out(&self) -> usize {
                self.n_features()
            }

            fn transform(&self, x: Features<'_>) -> Result<Array2<f64>> {
                let x = x.to_matrix()?;
                $fitted::transform(self, x.view())
            }

            fn feature_names_out(&self, input: &[String]) -> Result<Vec<String>> {
                check_names(input, self.n_features())?;
                Ok(input.to_vec())
            }

            common_fitted!($fitted);
        }
    };
}

fn range_text((a, b): (f64, f64)) -> String {
    format!("({a}, {b})")
}

numeric_step!(RobustScaler, FittedRobustScaler, |s| vec![
    p("with_centering", s.with_centering),
    p("with_scaling", s.with_scaling),
    p("quantile_range", range_text(s.quantile_range)),
    p("unit_variance", s.unit_variance),
]);
numeric_step!(MaxAbsScaler, FittedMaxAbsScaler, |_s| Vec::new());
numeric_step!(Normalizer, FittedNormalizer, |s| vec![p(
    "norm",
    match s.norm {
        Norm::L1 => "l1",
        Norm::L2 => "l2",
        Norm::Max => "max",
    }
)]);
numeric_step!(PowerTransformer, FittedPowerTransformer, |s| vec![
    p(
        "method",
        match s.method {
            PowerMethod::YeoJohnson => "yeo-johnson",
            PowerMethod::BoxCox => "box-cox",
        }
    ),
    p("standardize", s.standardize),
]);
numeric_step!(QuantileTransformer, FittedQuantileTransformer, |s| vec![
    p("n_quantiles", s.n_quantiles),
    p(
        "output_distribution",
        match s.output {
            QuantileOutput::Uniform => "uniform",
            QuantileOutput::Normal => "normal",
        }
    ),
    p(
        "subsample",
        s.subsample.map_or("none".into(), |n| n.to_string())
    ),
    p("seed", s.seed),
]);
numeric_step!(OutlierClipper, FittedOutlierClipper, |s| match s.rule {
    OutlierRule::Iqr(k) => vec![p("rule", "iqr"), p("k", k)],
    OutlierRule::ZScore(k) => vec![p("rule", "z_score"), p("k", k)],
});

impl<Y: Target> Transformer<Y> for KnnImputer {
    fn fit(
        &self,
        x: Features<'_>,
        _y: Option<ArrayView1<'_, Y>>,
    ) -> Result<Box<dyn FittedTransformer>> {
        let x = x.to_matrix()?;
        Ok(Box::new(KnnImputer::fit(self, x.view())?))
    }

    fn params(&self) -> Params {
        vec![
            p("n_neighbors", self.n_neighbors),
            p(
                "weights",
                match self.weights {
                    KnnWeights::Uniform => "uniform",
                    KnnWeights::Distance => "distance",
                },
            ),
            p("add_indicator", self.add_indicator),
            p("keep_empty_features", self.keep_empty_features),
        ]
    }

    common_transformer!(KnnImputer);
}

impl FittedTransformer for FittedKnnImputer {
    fn n_features_in(&self) -> usize {
        FittedKnnImputer::n_features_in(self)
    }

    fn n_features_out(&self) -> usize {
        FittedKnnImputer::n_features_out(self)
    }

    fn transform(&self, x: Features<'_>) -> Result<Array2<f64>> {
        let x = x.to_matrix()?;
        FittedKnnImputer::transform(self, x.view())
    }

    fn feature_names_out(&self, input: &[String]) -> Result<Vec<String>> {
        FittedKnnImputer::feature_names_out(self, input)
    }

    common_fitted!(FittedKnnImputer);
}

/// A step that fits and transforms tables by column name (matrices by
/// position, their columns named `x0, x1, …`).
macro_rules! table_step {
    ($ty:ident, $fitted:ident, |$s:ident| $params:expr) => {
        impl<Y: Target> Transformer<Y> for $ty {
            fn fit(
                &self,
                x: Features<'_>,
                _y: Option<ArrayView1<'_, Y>>,
            ) -> Result<Box<dyn FittedTransformer>> {
                Ok(Box::new(match x {
                    Features::Table(t) => $ty::fit_table(self, t)?,
                    Features::Matrix(m) => $ty::fit(self, m)?,
                }))
            }

            fn params(&self) -> Params {
                let $s = self;
                $params
            }

            common_transformer!($ty);
        }
    };
}

fn min_frequency_text(m: Option<MinFrequency>) -> String {
    match m {
        None => "none".into(),
        Some(MinFrequency::Count(c)) => c.to_string(),
        Some(MinFrequency::Fraction(f)) => f.to_string(),
    }
}

table_step!(SimpleImputer, FittedSimpleImputer, |s| vec![
    p(
        "strategy",
        match s.strategy {
            ImputeStrategy::Mean => "mean",
            ImputeStrategy::Median => "median",
            ImputeStrategy::MostFrequent => "most_frequent",
            ImputeStrategy::Constant => "constant",
        }
    ),
    p(
        "fill_value",
        match &s.fill_value {
            None => "none".to_string(),
            Some(FillValue::Number(v)) => v.to_string(),
            Some(FillValue::Text(t)) => t.clone(),
            Some(FillValue::Bool(b)) => b.to_string(),
        }
    ),
    p("add_indicator", s.add_indicator),
    p("keep_empty_features", s.keep_empty_features),
]);
table_step!(MissingIndicator, FittedMissingIndicator, |s| vec![p(
    "features",
    match s.features {
        IndicatorFeatures::MissingOnly => "missing-only",
        IndicatorFeatures::All => "all",
    }
)]);
table_step!(OneHotEncoder, FittedOneHotEncoder, |s| vec![
    p(
        "handle_unknown",
        match s.handle_unknown {
            HandleUnknown::Error => "error",
            HandleUnknown::Ignore => "ignore",
            HandleUnknown::InfrequentIfExist => "infrequent_if_exist",
        }
    ),
    p("min_frequency", min_frequency_text(s.min_frequency)),
    p(
        "max_categories",
        s.max_categories.map_or("none".into(), |n| n.to_string())
    ),
    p(
        "drop",
        match s.drop {
            DropCategory::None => "none",
            DropCategory::First => "first",
            DropCategory::IfBinary => "if_binary",
        }
    ),
]);
table_step!(OrdinalEncoder, FittedOrdinalEncoder, |s| vec![
    p(
        "handle_unknown",
        match s.handle_unknown {
            OrdinalUnknown::Error => "error".to_string(),
            OrdinalUnknown::UseEncodedValue(_) => "use_encoded_value".to_string(),
        }
    ),
    p(
        "unknown_value",
        match s.handle_unknown {
            OrdinalUnknown::Error => "none".to_string(),
            OrdinalUnknown::UseEncodedValue(u) => u.to_string(),
        }
    ),
    p("encoded_missing_value", s.encoded_missing_value),
]);

impl FittedTransformer for FittedSimpleImputer {
    fn n_features_in(&self) -> usize {
        FittedSimpleImputer::n_features_in(self)
    }

    fn n_features_out(&self) -> usize {
        FittedSimpleImputer::n_features_out(self)
    }

    fn transform(&self, x: Features<'_>) -> Result<Array2<f64>> {
        match x {
            Features::Table(t) => self.transform_table(t)?.to_matrix(),
            Features::Matrix(m) => FittedSimpleImputer::transform(self, m),
        }
    }

    fn transform_features(&self, x: Features<'_>) -> Result<OwnedFeatures> {
        Ok(match x {
            Features::Table(t) => OwnedFeatures::Table(self.transform_table(t)?),
            Features::Matrix(m) => OwnedFeatures::Matrix(FittedSimpleImputer::transform(self, m)?),
        })
    }

    fn feature_names_out(&self, input: &[String]) -> Result<Vec<String>> {
        check_names(input, self.n_features_in())?;
        Ok(self.renamed(input).feature_names_out())
    }

    common_fitted!(FittedSimpleImputer);
}

/// The `FittedTransformer` impl of a table step that encodes tables by name
/// and matrices by position: `n_out` is the output width,
/// `names` is `renamed` (the step's own names out for the given input names)
/// or `same` (the input names).
macro_rules! fitted_table_step {
    ($fitted:ident, $n_out:ident, renamed) => {
        fitted_table_step!(@impl $fitted, $n_out, |s, input| s.renamed(input).feature_names_out());
    };
    ($fitted:ident, $n_out:ident, same) => {
        fitted_table_step!(@impl $fitted, $n_out, |_s, input| input.to_vec());
    };
    (@impl $fitted:ident, $n_out:ident, |$s:ident, $input:ident| $names:expr) => {
        impl FittedTransformer for $fitted {
            fn n_features_in(&self) -> usize {
                $fitted::n_features_in(self)
            }

            fn n_features_out(&self) -> usize {
                $fitted::$n_out(self)
            }

            fn transform(&self, x: Features<'_>) -> Result<Array2<f64>> {
                match x {
                    Features::Table(t) => self.transform_table(t),
                    Features::Matrix(m) => $fitted::transform(self, m),
                }
            }

            fn feature_names_out(&self, input: &[String]) -> Result<Vec<String>> {
                check_names(input, $fitted::n_features_in(self))?;
                let ($s, $input) = (self, input);
                Ok($names)
            }

            common_fitted!($fitted);
        }
    };
}

impl FittedMissingIndicator {
    /// Output width: one column per flagged feature.
    fn n_flagged(&self) -> usize {
        self.features().len()
    }
}

fitted_table_step!(FittedMissingIndicator, n_flagged, renamed);
fitted_table_step!(FittedOneHotEncoder, n_features_out, renamed);
fitted_table_step!(FittedOrdinalEncoder, n_features_in, same);
fitted_table_step!(FittedTargetEncoder, n_features_out, renamed);

/// The targets a [`TargetEncoder`] step needs.
fn needs_y<Y>(y: Option<ArrayView1<'_, Y>>) -> Result<ArrayView1<'_, Y>> {
    y.ok_or(Error::EmptyInput {
        what: "y (a TargetEncoder step learns from the targets)",
    })
}

impl<Y: Target> Transformer<Y> for TargetEncoder {
    fn fit(
        &self,
        x: Features<'_>,
        y: Option<ArrayView1<'_, Y>>,
    ) -> Result<Box<dyn FittedTransformer>> {
        let y = needs_y(y)?;
        Ok(Box::new(match x {
            Features::Table(t) => self.fit_table(t, y)?,
            Features::Matrix(m) => TargetEncoder::fit(self, m, y)?,
        }))
    }

    /// Cross-fitted training rows (see [`TargetEncoder::fit_transform`]).
    fn fit_transform(
        &self,
        x: Features<'_>,
        y: Option<ArrayView1<'_, Y>>,
    ) -> Result<(Box<dyn FittedTransformer>, OwnedFeatures)> {
        let y = needs_y(y)?;
        let (fitted, z) = match x {
            Features::Table(t) => self.fit_transform_table(t, y)?,
            Features::Matrix(m) => TargetEncoder::fit_transform(self, m, y)?,
        };
        Ok((Box::new(fitted), OwnedFeatures::Matrix(z)))
    }

    fn params(&self) -> Params {
        vec![
            p(
                "target_type",
                match self.target_type {
                    TargetType::Auto => "auto",
                    TargetType::Continuous => "continuous",
                    TargetType::Binary => "binary",
                    TargetType::Multiclass => "multiclass",
                },
            ),
            p(
                "smooth",
                match self.smooth {
                    Smooth::Auto => "auto".to_string(),
                    Smooth::Value(m) => m.to_string(),
                },
            ),
            p("cv", self.cv),
            p(
                "shuffle",
                self.shuffle.map_or("none".into(), |s| s.to_string()),
            ),
        ]
    }

    common_transformer!(TargetEncoder);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::registry::{Role, load_transformer, role_of_kind};
    use crate::data::{Column, Table};
    use ndarray::array;

    fn steps() -> Vec<Box<dyn Transformer<f64>>> {
        vec![
            Box::new(RobustScaler::new()),
            Box::new(MaxAbsScaler::new()),
            Box::new(Normalizer::new()),
            Box::new(PowerTransformer::new()),
            Box::new(QuantileTransformer::new()),
            Box::new(KnnImputer::new().add_indicator(true)),
            Box::new(OutlierClipper::new()),
            Box::new(SimpleImputer::new().add_indicator(true)),
            Box::new(MissingIndicator::new()),
            Box::new(OneHotEncoder::new()),
            Box::new(OrdinalEncoder::new()),
            Box::new(TargetEncoder::new().cv(2)),
        ]
    }

    /// Every step fits through the dynamic interface, saves, and loads back
    /// through the registry as the same transformation.
    #[test]
    fn every_step_round_trips_through_the_registry() -> Result<()> {
        let nan = f64::NAN;
        let x = array![[1.0, 2.0], [3.0, nan], [1.0, 8.0], [5.0, 2.0]];
        let y = array![0.5, 1.0, -2.0, 3.0];
        let names = vec!["a".to_string(), "b".to_string()];
        // The Normalizer (as scikit-learn's) refuses missing values.
        let clean = x.mapv(|v| if v.is_nan() { 0.5 } else { v });
        for step in steps() {
            let x = if step.as_any().is::<Normalizer>() {
                &clean
            } else {
                &x
            };
            let fitted = step.fit(Features::from(x), Some(y.view()))?;
            let kind = fitted.kind();
            assert_eq!(role_of_kind(kind), Some(Role::Transformer), "{kind}");
            let z = fitted.transform(Features::from(x));
            let back = load_transformer(fitted.to_model_file()?)?;
            assert_eq!(back.kind(), kind);
            // NaN != NaN: compare the bit patterns.
            let bits = |r: Result<Array2<f64>>| r.map(|a| a.mapv(f64::to_bits));
            assert_eq!(bits(back.transform(Features::from(x)))?, bits(z)?, "{kind}");
            let out = fitted.feature_names_out(&names)?;
            assert_eq!(out.len(), fitted.n_features_out(), "{kind}");
            assert!(fitted.feature_names_out(&names[..1]).is_err(), "{kind}");
        }
        Ok(())
    }

    #[test]
    fn table_steps_keep_types_and_name_outputs_from_the_input() -> Result<()> {
        let t = Table::new(vec![
            (
                "island".into(),
                Column::categorical_opt([Some("Dream"), None, Some("Dream"), Some("Biscoe")]),
            ),
            (
                "mass".into(),
                Column::Numeric(array![1.0, f64::NAN, 3.0, 4.0]),
            ),
        ])?;
        let imp = Transformer::<f64>::fit(
            &SimpleImputer::new().strategy(ImputeStrategy::MostFrequent),
            Features::from(&t),
            None,
        )?;
        // A table in, a table out (the categories survive for the encoder).
        let OwnedFeatures::Table(filled) = imp.transform_features(Features::from(&t))? else {
            panic!("the imputer keeps a table");
        };
        assert_eq!(
            filled.column("island").unwrap().text(1).as_deref(),
            Some("Dream")
        );
        // Its matrix form needs numeric columns only.
        assert!(matches!(
            imp.transform(Features::from(&t)),
            Err(Error::ColumnType { .. })
        ));
        let enc = Transformer::<f64>::fit(&OneHotEncoder::new(), Features::from(&filled), None)?;
        assert_eq!(
            enc.feature_names_out(&["isle".into(), "kg".into()])?,
            ["isle_Biscoe", "isle_Dream", "kg_1.0", "kg_3.0", "kg_4.0"]
        );
        let params = Transformer::<f64>::params(&OneHotEncoder::new().max_categories(3));
        assert_eq!(params[2], p("max_categories", "3"));
        let params = Transformer::<f64>::params(&RobustScaler::new());
        assert_eq!(params[2], p("quantile_range", "(25, 75)"));
        Ok(())
    }

    /// A target encoder inside a pipeline or a column transformer passes on
    /// cross-fitted training rows (what its own `fit_transform` returns), and
    /// the fitted step encodes new rows with the full-data encodings.
    #[test]
    fn target_encoder_steps_are_cross_fitted() -> Result<()> {
        use crate::compose::{ColumnTransformer, Columns, Pipeline};
        let t = Table::new(vec![
            (
                "city".into(),
                Column::categorical(["a", "b", "a", "b", "a", "b", "c", "c"]),
            ),
            (
                "size".into(),
                Column::Numeric(array![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]),
            ),
        ])?;
        let y = array![10.0, 20.0, 12.0, 22.0, 11.0, 21.0, 5.0, 7.0];
        let enc = TargetEncoder::new().cv(4);
        let (direct, z) = enc.fit_transform_table(&t.select_columns(&["city"])?, y.view())?;
        let ct = ColumnTransformer::<f64>::new()
            .transform("target", enc, Columns::names(["city"]))
            .passthrough("rest", Columns::names(["size"]));
        let (fitted, out) = ct.fit_transform(&t, y.view())?;
        assert_eq!(out.column(0), z.column(0));
        assert_ne!(
            fitted.transform(&t)?.column(0),
            z.column(0),
            "transform uses the full-data encodings"
        );
        assert_eq!(
            fitted.transform(&t)?.column(0),
            direct.transform_table(&t)?.column(0)
        );
        // The same through a pipeline used as a transformer.
        let pipe = Pipeline::<f64>::new().transform("ct", ct.clone());
        let (_, piped) = Transformer::fit_transform(&pipe, Features::from(&t), Some(y.view()))?;
        assert_eq!(piped, OwnedFeatures::Matrix(out));
        // Without targets the step cannot fit.
        assert!(matches!(
            Transformer::<f64>::fit(&enc, Features::from(&t), None),
            Err(Error::EmptyInput { .. })
        ));
        let params = Transformer::<f64>::params(&enc);
        assert_eq!(params[2], p("cv", "4"));
        Ok(())
    }
}
