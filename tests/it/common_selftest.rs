//! Self-test of the common checks (tests/it/common.rs): two toy models that
//! follow the contract pass every check, and models that break it fail.
//! Also a worked example of what a model needs for the suite: `Predict`
//! (and `PredictProba`), `Persist`, typed errors at fit and predict.

use crate::common;

use oxilearn::ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use oxilearn::persist::{ModelFile, Persist};
use oxilearn::traits::{Predict, PredictProba};
use oxilearn::{Error, Float, Result};

fn check_x<F: Float>(x: ArrayView2<'_, F>) -> Result<()> {
    if x.nrows() == 0 {
        return Err(Error::EmptyInput { what: "x" });
    }
    if let Some(((i, j), _)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "x",
            index: vec![i, j],
        });
    }
    Ok(())
}

fn check_predict<F: Float>(x: ArrayView2<'_, F>, p: usize) -> Result<()> {
    if x.ncols() != p {
        return Err(Error::ShapeMismatch {
            what: "x",
            expected: vec![x.nrows(), p],
            got: vec![x.nrows(), x.ncols()],
        });
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "x",
            index: vec![],
        });
    }
    Ok(())
}

fn check_y_len(n: usize, m: usize) -> Result<()> {
    if n != m {
        return Err(Error::ShapeMismatch {
            what: "y",
            expected: vec![n],
            got: vec![m],
        });
    }
    Ok(())
}

/// Predicts the training mean plus one slope per feature (fitted separately).
#[derive(Debug, Clone, PartialEq)]
struct ToyRegressor<F> {
    mean_x: Array1<F>,
    slope: Array1<F>,
    mean_y: F,
}

fn fit_regressor<F: Float>(x: ArrayView2<'_, F>, y: ArrayView1<'_, F>) -> Result<ToyRegressor<F>> {
    check_x(x)?;
    check_y_len(x.nrows(), y.len())?;
    if y.iter().any(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "y",
            index: vec![],
        });
    }
    let mean_x = x.mean_axis(Axis(0)).expect("rows");
    let mean_y = y.mean().expect("rows");
    let xc = &x - &mean_x;
    let yc = &y - mean_y;
    let slope = xc.t().dot(&yc)
        / xc.mapv(|v| v * v)
            .sum_axis(Axis(0))
            .mapv(|v| v.max(F::epsilon()));
    let p = F::from_f64_lossy(x.ncols() as f64);
    // Sums of squares of extreme records overflow: refuse, as the common
    // "extreme but finite values" check requires.
    if slope.iter().chain([&mean_y]).any(|v| !v.is_finite()) {
        return Err(Error::NumericalFailure {
            operation: "toy regressor",
            reason: "sums of squares overflow; scale the features".into(),
        });
    }
    Ok(ToyRegressor {
        mean_x,
        slope: slope / p,
        mean_y,
    })
}

impl<'a, F: Float> Predict<ArrayView2<'a, F>> for ToyRegressor<F> {
    type Output = Array1<F>;
    fn predict(&self, x: ArrayView2<'a, F>) -> Result<Array1<F>> {
        check_predict(x, self.mean_x.len())?;
        Ok((&x - &self.mean_x).dot(&self.slope) + self.mean_y)
    }
}

impl<F: Float> Persist for ToyRegressor<F> {
    const KIND: &'static str = "ToyRegressor";
    fn to_model_file(&self) -> Result<ModelFile> {
        let mut f = ModelFile::new(Self::KIND, F::NAME).with_n_features(self.mean_x.len());
        f.push_float("mean_x", self.mean_x.clone().into_dyn());
        f.push_float("slope", self.slope.clone().into_dyn());
        f.push_float("mean_y", Array1::from_elem(1, self.mean_y).into_dyn());
        Ok(f)
    }
    fn from_model_file(mut f: ModelFile) -> Result<Self> {
        let p = Some(f.n_features()?);
        Ok(ToyRegressor {
            mean_x: f.take_array1("mean_x", p)?,
            slope: f.take_array1("slope", p)?,
            mean_y: f.take_array1::<F>("mean_y", Some(1))?[0],
        })
    }
}

/// Nearest centroid; probabilities = softmax(-squared distance).
#[derive(Debug, Clone, PartialEq)]
struct ToyClassifier<F> {
    classes: Vec<usize>,
    centroids: Array2<F>,
}

fn fit_classifier<F: Float>(
    x: ArrayView2<'_, F>,
    y: ArrayView1<'_, usize>,
) -> Result<ToyClassifier<F>> {
    check_x(x)?;
    check_y_len(x.nrows(), y.len())?;
    let mut classes: Vec<usize> = y.to_vec();
    classes.sort_unstable();
    classes.dedup();
    if classes.len() < 2 {
        return Err(Error::SingleClass);
    }
    let mut centroids = Array2::zeros((classes.len(), x.ncols()));
    for (k, c) in classes.iter().enumerate() {
        let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i] == *c).collect();
        let sel = x.select(Axis(0), &rows);
        centroids
            .row_mut(k)
            .assign(&sel.mean_axis(Axis(0)).expect("rows"));
    }
    Ok(ToyClassifier { classes, centroids })
}

impl<F: Float> ToyClassifier<F> {
    fn scores(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        check_predict(x, self.centroids.ncols())?;
        Ok(Array2::from_shape_fn(
            (x.nrows(), self.classes.len()),
            |(i, k)| -(&x.row(i) - &self.centroids.row(k)).mapv(|v| v * v).sum(),
        ))
    }
}

impl<'a, F: Float> Predict<ArrayView2<'a, F>> for ToyClassifier<F> {
    type Output = Array1<usize>;
    fn predict(&self, x: ArrayView2<'a, F>) -> Result<Array1<usize>> {
        let s = self.scores(x)?;
        Ok(s.rows()
            .into_iter()
            .map(|r| {
                let best = (0..r.len()).fold(0, |b, k| if r[k] > r[b] { k } else { b });
                self.classes[best]
            })
            .collect())
    }
}

impl<'a, F: Float> PredictProba<ArrayView2<'a, F>> for ToyClassifier<F> {
    type Output = Array2<F>;
    fn predict_proba(&self, x: ArrayView2<'a, F>) -> Result<Array2<F>> {
        let mut s = self.scores(x)?;
        for mut r in s.rows_mut() {
            let m = r.fold(F::neg_infinity(), |a, &b| a.max(b));
            r.mapv_inplace(|v| (v - m).exp());
            let z = r.sum();
            r.mapv_inplace(|v| v / z);
        }
        Ok(s)
    }
}

impl<F: Float> Persist for ToyClassifier<F> {
    const KIND: &'static str = "ToyClassifier";
    fn to_model_file(&self) -> Result<ModelFile> {
        let mut f = ModelFile::new(Self::KIND, F::NAME)
            .with_n_features(self.centroids.ncols())
            .with_classes(&self.classes)?;
        f.push_float("centroids", self.centroids.clone().into_dyn());
        Ok(f)
    }
    fn from_model_file(mut f: ModelFile) -> Result<Self> {
        let classes: Vec<usize> = f.classes()?;
        let centroids = f.take_array2("centroids", [Some(classes.len()), Some(f.n_features()?)])?;
        Ok(ToyClassifier { classes, centroids })
    }
}

// The suite, as a model's test file would apply it.
common::regressor_checks!(toy_regressor, |x, y| fit_regressor(x, y));
common::classifier_checks!(toy_classifier, |x, y| fit_classifier(x, y), proba);
common::classifier_checks!(
    toy_classifier_binary,
    |x, y| fit_classifier(x, y),
    data = common::blobs(2)
);

// Models that break the contract must fail the suite.

/// Forgets to check the feature count at predict.
#[derive(Debug)]
struct NoShapeCheck(ToyRegressor<f64>);
impl<'a> Predict<ArrayView2<'a, f64>> for NoShapeCheck {
    type Output = Array1<f64>;
    fn predict(&self, x: ArrayView2<'a, f64>) -> Result<Array1<f64>> {
        Ok(Array1::from_elem(x.nrows(), self.0.mean_y))
    }
}
impl Persist for NoShapeCheck {
    const KIND: &'static str = "NoShapeCheck";
    fn to_model_file(&self) -> Result<ModelFile> {
        Ok(ModelFile::new(Self::KIND, "f64"))
    }
    fn from_model_file(_: ModelFile) -> Result<Self> {
        Err(Error::format("model file", "unused"))
    }
}

#[test]
#[should_panic(expected = "NaN in x at predict")]
fn suite_catches_missing_input_checks() {
    let (x, y) = common::regression_data();
    common::check_regressor::<f64, _, _, _>(
        "no_shape_check",
        |x, y| fit_regressor(x, y).map(NoShapeCheck),
        &x,
        &y,
    );
}

/// Loses precision when saved (stores f32 for an f64 model).
#[derive(Debug)]
struct LossySave(ToyRegressor<f64>);
impl<'a> Predict<ArrayView2<'a, f64>> for LossySave {
    type Output = Array1<f64>;
    fn predict(&self, x: ArrayView2<'a, f64>) -> Result<Array1<f64>> {
        self.0.predict(x)
    }
}
impl Persist for LossySave {
    const KIND: &'static str = "LossySave";
    fn to_model_file(&self) -> Result<ModelFile> {
        let mut f = self.0.to_model_file()?;
        f.metadata.kind = Self::KIND.into();
        let slope = f.take_f64("slope")?;
        f.push_f64("slope", slope.mapv(|v| v as f32 as f64));
        Ok(f)
    }
    fn from_model_file(mut f: ModelFile) -> Result<Self> {
        f.metadata.kind = ToyRegressor::<f64>::KIND.into();
        Ok(LossySave(ToyRegressor::from_model_file(f)?))
    }
}

#[test]
#[should_panic(expected = "save/load changed the output")]
fn suite_catches_lossy_persistence() {
    let (x, y) = common::regression_data();
    common::check_regressor::<f64, _, _, _>(
        "lossy",
        |x, y| fit_regressor(x, y).map(LossySave),
        &x,
        &y,
    );
}
