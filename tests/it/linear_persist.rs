//! Save / load of the linear models: identical predictions after a round
//! trip, and typed errors for files of another kind, dtype or arity.

use ndarray::{Array2, array};
use oxilearn::Error;
use oxilearn::linear::{
    FittedLinearRegression, FittedLinearRegressionMulti, FittedRidge, FittedRidgeMulti,
    LinearRegression, Ridge, RidgeSolver,
};
use oxilearn::persist::{self, Persist};

fn data() -> (Array2<f64>, Array2<f64>) {
    let d = oxilearn::datasets::diabetes();
    let y2 = ndarray::stack![ndarray::Axis(1), d.targets, d.targets.mapv(|v| v.sqrt())];
    (d.records, y2)
}

#[test]
fn round_trips_give_identical_predictions() {
    let (x, y2) = data();
    let y = y2.column(0);
    let dir = std::env::temp_dir().join(format!("oxilearn-linear-persist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let ols = LinearRegression::new().fit(x.view(), y).unwrap();
    let path = dir.join("ols.safetensors");
    ols.save(&path).unwrap();
    let back = FittedLinearRegression::<f64>::load(&path).unwrap();
    assert_eq!(back, ols);
    assert_eq!(
        back.predict(x.view()).unwrap(),
        ols.predict(x.view()).unwrap()
    );
    let meta = persist::inspect(&path).unwrap();
    assert_eq!(meta.kind, "LinearRegression");
    assert_eq!(meta.dtype, "f64");
    assert_eq!(meta.n_features, Some(10));
    assert_eq!(meta.hyperparameters["fit_intercept"], true);
    assert_eq!(meta.hyperparameters["rank"], 10);
    // A one-target file also loads as the multi-target type.
    let as_multi = FittedLinearRegressionMulti::<f64>::load(&path).unwrap();
    assert_eq!(as_multi.coef().row(0), ols.coef());

    let ridge = Ridge::new()
        .alpha(vec![0.5, 2.0])
        .solver(RidgeSolver::Svd)
        .fit_multi(x.view(), y2.view())
        .unwrap();
    let path = dir.join("ridge.safetensors");
    ridge.save(&path).unwrap();
    let back = FittedRidgeMulti::<f64>::load(&path).unwrap();
    assert_eq!(back, ridge);
    assert_eq!(back.params().get_solver(), RidgeSolver::Svd);
    assert_eq!(
        back.predict(x.view()).unwrap(),
        ridge.predict(x.view()).unwrap()
    );

    let x32 = x.mapv(|v| v as f32);
    let y32 = y.mapv(|v| v as f32);
    let r32 = Ridge::new().fit(x32.view(), y32.view()).unwrap();
    let back = FittedRidge::<f32>::from_bytes(&r32.to_bytes().unwrap()).unwrap();
    assert_eq!(
        back.predict(x32.view()).unwrap(),
        r32.predict(x32.view()).unwrap()
    );

    let m = LinearRegression::new()
        .fit_intercept(false)
        .fit_multi(x.view(), y2.view())
        .unwrap();
    let back = FittedLinearRegressionMulti::<f64>::from_bytes(&m.to_bytes().unwrap()).unwrap();
    assert_eq!(back, m);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn wrong_kind_dtype_or_arity_is_a_typed_error() {
    let (x, y2) = data();
    let ols = LinearRegression::new().fit(x.view(), y2.column(0)).unwrap();
    let bytes = ols.to_bytes().unwrap();
    assert!(matches!(
        FittedRidge::<f64>::from_bytes(&bytes),
        Err(Error::WrongModelKind { .. })
    ));
    assert!(matches!(
        FittedLinearRegression::<f32>::from_bytes(&bytes),
        Err(Error::Format { .. })
    ));
    let multi = LinearRegression::new()
        .fit_multi(x.view(), y2.view())
        .unwrap();
    let bytes = multi.to_bytes().unwrap();
    assert!(matches!(
        FittedLinearRegression::<f64>::from_bytes(&bytes),
        Err(Error::Format { .. })
    ));
    assert!(matches!(
        FittedLinearRegression::<f64>::from_bytes(&bytes[..bytes.len() / 2]),
        Err(Error::Format { .. })
    ));
    let tiny = Ridge::new()
        .fit(array![[1.0], [2.0]].view(), array![1.0, 2.0].view())
        .unwrap();
    assert!(matches!(
        FittedLinearRegression::<f64>::from_bytes(&tiny.to_bytes().unwrap()),
        Err(Error::WrongModelKind { .. })
    ));
}
