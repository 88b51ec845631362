//! The searches' shared per-fold work (fitted transformers once per fold,
//! the kernel matrix per fold and kernel, warm starts along C) gives the
//! results of fitting every candidate on its own: the same per-fold scores
//! and ranks as cross-validating each candidate separately, the same as
//! scikit-learn 1.9.1 on the reference grids, identical on any thread count.
//!
//! Reference (scikit-learn 1.9.1, default tolerances):
//! ```python
//! from sklearn.datasets import load_breast_cancer, load_digits
//! from sklearn.svm import SVC
//! from sklearn.linear_model import LogisticRegression
//! from sklearn.pipeline import Pipeline
//! from sklearn.preprocessing import StandardScaler
//! from sklearn.model_selection import GridSearchCV, StratifiedKFold
//! import numpy as np
//! grid = {"svc__C": [0.1, 1, 10, 100], "svc__gamma": [0.001, 0.01, 0.1, "scale"]}
//! pipe = Pipeline([("scaler", StandardScaler()), ("svc", SVC())])
//! for X, y in [load_breast_cancer(return_X_y=True), load_digits(return_X_y=True)]:
//!     g = GridSearchCV(pipe, grid, cv=StratifiedKFold(5)).fit(X, y)
//!     print(g.cv_results_["rank_test_score"].tolist(), g.best_params_)
//! # [16, 10, 15, 14, 12, 6, 8, 3, 4, 1, 13, 2, 4, 7, 11, 9] {'svc__C': 10, 'svc__gamma': 0.01}
//! # [15, 11, 16, 10, 9, 7, 14, 6, 8, 1, 12, 3, 5, 2, 12, 3] {'svc__C': 10, 'svc__gamma': 0.01}
//! ```

use oxilearn::compose::{Estimator, Pipeline};
use oxilearn::datasets;
use oxilearn::logistic::LogisticRegression;
use oxilearn::model_selection::{
    CrossValidate, GridSearchCV, ParamGrid, SearchResults, StratifiedKFold,
};
use oxilearn::preprocessing::{MinMaxScaler, StandardScaler, TargetEncoder};
use oxilearn::svm::{Gamma, Kernel, Svc};

const GAMMAS: [Gamma; 4] = [
    Gamma::Value(0.001),
    Gamma::Value(0.01),
    Gamma::Value(0.1),
    Gamma::Scale,
];

fn svc_grid() -> ParamGrid<Pipeline<usize>> {
    let pipe = Pipeline::new()
        .transform("scaler", StandardScaler::new())
        .estimator("svc", Svc::new());
    ParamGrid::new(pipe)
        .estimator_axis("svc", "C", [0.1, 1.0, 10.0, 100.0], |s: Svc, c| s.c(c))
        .estimator_axis("svc", "gamma", GAMMAS, |s: Svc, g| {
            s.kernel(Kernel::Rbf { gamma: g })
        })
}

/// Every candidate of `search`, cross-validated on its own (no sharing):
/// candidates × folds test scores.
fn cold_scores(
    candidates: &[Box<dyn Estimator<usize>>],
    x: &ndarray::Array2<f64>,
    y: &ndarray::Array1<usize>,
) -> Vec<Vec<f64>> {
    candidates
        .iter()
        .map(|c| {
            let r = CrossValidate::new()
                .cv(StratifiedKFold::new(5))
                .run(c.as_ref(), x, y.view())
                .unwrap();
            r.test_scores("score").unwrap().to_vec()
        })
        .collect()
}

fn svc_candidates() -> Vec<Box<dyn Estimator<usize>>> {
    let mut out: Vec<Box<dyn Estimator<usize>>> = Vec::new();
    for c in [0.1, 1.0, 10.0, 100.0] {
        for g in GAMMAS {
            out.push(Box::new(
                Pipeline::new()
                    .transform("scaler", StandardScaler::new())
                    .estimator("svc", Svc::new().c(c).kernel(Kernel::Rbf { gamma: g })),
            ));
        }
    }
    out
}

fn ranks(r: &SearchResults<usize>) -> Vec<usize> {
    r.cv_results().rank_test_score("score").unwrap().to_vec()
}

fn split_scores(r: &SearchResults<usize>) -> Vec<Vec<f64>> {
    let t = r.cv_results().split_test_scores("score").unwrap();
    t.rows().into_iter().map(|r| r.to_vec()).collect()
}

#[test]
fn model_selection_shared_svc_pipeline_equals_cold_fits_and_sklearn() {
    let bc = datasets::breast_cancer();
    let search = GridSearchCV::new(svc_grid())
        .cv(StratifiedKFold::new(5))
        .fit(&bc.records, bc.targets.view())
        .unwrap();
    // Every fold's accuracy is that of the candidate fitted on its own.
    let cold = cold_scores(&svc_candidates(), &bc.records, &bc.targets);
    assert_eq!(split_scores(&search), cold);
    assert_eq!(
        ranks(&search),
        [16, 10, 15, 14, 12, 6, 8, 3, 4, 1, 13, 2, 4, 7, 11, 9]
    );
    let best: Vec<(&str, &str)> = search
        .best_params()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(best, [("svc__C", "10"), ("svc__gamma", "0.01")]);
}

#[test]
fn model_selection_shared_svc_multiclass_matches_sklearn_ranks() {
    let digits = datasets::digits();
    let search = GridSearchCV::new(svc_grid())
        .cv(StratifiedKFold::new(5))
        .fit(&digits.records, digits.targets.view())
        .unwrap();
    assert_eq!(
        ranks(&search),
        [15, 11, 16, 10, 9, 7, 14, 6, 8, 1, 12, 3, 5, 2, 12, 3]
    );
    let cold = cold_scores(&svc_candidates(), &digits.records, &digits.targets);
    assert_eq!(split_scores(&search), cold);
}

#[test]
fn model_selection_shared_logistic_warm_start_equals_cold_fits() {
    let iris = datasets::iris();
    let cs = [0.01, 0.1, 1.0, 10.0, 100.0];
    let grid = ParamGrid::new(LogisticRegression::<usize>::new().max_iter(1000)).axis(
        "C",
        cs,
        |m: LogisticRegression<usize>, c| m.c(c),
    );
    let search = GridSearchCV::new(grid)
        .cv(StratifiedKFold::new(5))
        .fit(&iris.records, iris.targets.view())
        .unwrap();
    let cands: Vec<Box<dyn Estimator<usize>>> = cs
        .iter()
        .map(|&c| {
            Box::new(LogisticRegression::<usize>::new().max_iter(1000).c(c))
                as Box<dyn Estimator<usize>>
        })
        .collect();
    assert_eq!(
        split_scores(&search),
        cold_scores(&cands, &iris.records, &iris.targets)
    );
}

/// Candidates that share nothing (different transformers, kernels, models)
/// and candidates listed out of C order: still every candidate's own result,
/// in the grid's order.
#[test]
fn model_selection_shared_mixed_grid_equals_cold_fits() {
    let bc = datasets::breast_cancer();
    let base = Pipeline::new()
        .transform("scaler", StandardScaler::new())
        .estimator("svc", Svc::new());
    let minmax = Pipeline::new()
        .transform("scaler", MinMaxScaler::new())
        .estimator("svc", Svc::new());
    let grid = ParamGrid::new(base)
        .estimator_axis("svc", "C", [10.0, 0.5, 2.0], |s: Svc, c| s.c(c))
        .estimator_axis(
            "svc",
            "kernel",
            [
                Kernel::Linear,
                Kernel::Poly {
                    degree: 2,
                    gamma: Gamma::Scale,
                    coef0: 1.0,
                },
            ],
            |s: Svc, k| s.kernel(k),
        )
        .union(ParamGrid::new(minmax).estimator_axis("svc", "C", [3.0, 1.0], |s: Svc, c| s.c(c)));
    let search = GridSearchCV::new(grid)
        .cv(StratifiedKFold::new(5))
        .fit(&bc.records, bc.targets.view())
        .unwrap();
    let mut cands: Vec<Box<dyn Estimator<usize>>> = Vec::new();
    for c in [10.0, 0.5, 2.0] {
        for k in [
            Kernel::Linear,
            Kernel::Poly {
                degree: 2,
                gamma: Gamma::Scale,
                coef0: 1.0,
            },
        ] {
            cands.push(Box::new(
                Pipeline::new()
                    .transform("scaler", StandardScaler::new())
                    .estimator("svc", Svc::new().c(c).kernel(k)),
            ));
        }
    }
    for c in [3.0, 1.0] {
        cands.push(Box::new(
            Pipeline::new()
                .transform("scaler", MinMaxScaler::new())
                .estimator("svc", Svc::new().c(c)),
        ));
    }
    assert_eq!(
        split_scores(&search),
        cold_scores(&cands, &bc.records, &bc.targets)
    );
}

#[test]
fn model_selection_shared_results_identical_on_any_thread_count() {
    let bc = datasets::breast_cancer();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                GridSearchCV::new(svc_grid())
                    .cv(StratifiedKFold::new(5))
                    .fit(&bc.records, bc.targets.view())
                    .unwrap()
            })
    };
    let (one, three) = (run(1), run(3));
    assert_eq!(split_scores(&one), split_scores(&three));
    assert_eq!(ranks(&one), ranks(&three));
}

/// A cross-fitted encoder in the shared prefix: the estimator fits on the
/// training rows as the pipeline's fit passes them on (cross-fitted), and
/// the train scores use the rows as the fitted pipeline transforms them —
/// per-fold test and train scores equal those of each candidate
/// cross-validated on its own.
#[test]
fn model_selection_shared_target_encoder_prefix_equals_cold_fits() {
    let bc = datasets::breast_cancer();
    // Three columns cut into a few categories each (mean radius, mean
    // texture, worst area).
    let x = ndarray::Array2::from_shape_fn((bc.records.nrows(), 3), |(i, j)| {
        let (col, width) = [(0, 2.0), (1, 4.0), (23, 400.0)][j];
        (bc.records[[i, col]] / width).floor()
    });
    let cs = [0.5, 4.0, 1.0];
    let pipe = |c: f64| -> Pipeline<usize> {
        Pipeline::new()
            .transform("enc", TargetEncoder::new().cv(3).shuffle(None))
            .transform("scaler", StandardScaler::new())
            .estimator("svc", Svc::new().c(c))
    };
    let grid = ParamGrid::new(pipe(1.0)).estimator_axis("svc", "C", cs, |s: Svc, c| s.c(c));
    let search = GridSearchCV::new(grid)
        .cv(StratifiedKFold::new(5))
        .return_train_score(true)
        .fit(&x, bc.targets.view())
        .unwrap();
    let t = search.cv_results().split_train_scores("score").unwrap();
    let train: Vec<Vec<f64>> = t.rows().into_iter().map(|r| r.to_vec()).collect();
    let (mut cold_test, mut cold_train) = (Vec::new(), Vec::new());
    for c in cs {
        let r = CrossValidate::new()
            .cv(StratifiedKFold::new(5))
            .return_train_score(true)
            .run(&pipe(c), &x, bc.targets.view())
            .unwrap();
        cold_test.push(r.test_scores("score").unwrap().to_vec());
        cold_train.push(r.train_scores("score").unwrap().to_vec());
    }
    assert_eq!(split_scores(&search), cold_test);
    assert_eq!(train, cold_train);
}
