//! GridSearchCV / RandomizedSearchCV: the same scores, ranks and best
//! parameters as scikit-learn 1.9.1, typed grids over pipeline steps,
//! cv_results export, failures and refit.
//!
//! Reference (scikit-learn 1.9.1):
//! ```python
//! from sklearn.datasets import load_breast_cancer
//! from sklearn.svm import SVC
//! from sklearn.pipeline import Pipeline
//! from sklearn.preprocessing import StandardScaler
//! from sklearn.model_selection import GridSearchCV
//! X, y = load_breast_cancer(return_X_y=True)
//! pipe = Pipeline([("scaler", StandardScaler()), ("svc", SVC(tol=1e-8))])
//! g = GridSearchCV(pipe, {"svc__C": [0.1, 1, 10, 100], "svc__gamma": [0.001, 0.01, 0.1, "scale"]}, cv=5).fit(X, y)
//! print(g.cv_results_["mean_test_score"].tolist(), g.cv_results_["rank_test_score"].tolist())
//! print(g.best_params_, g.best_index_, g.best_score_)
//! # {'svc__C': 10, 'svc__gamma': 0.01} 9 0.9789318428815401
//! ```

use ndarray::array;
use oxilearn::Error;
use oxilearn::compose::{FittedEstimator, Pipeline, load_any};
use oxilearn::datasets;
use oxilearn::linear::Ridge;
use oxilearn::logistic::LogisticRegression;
use oxilearn::model_selection::{
    Choice, ErrorScore, GridSearchCV, KFold, LogUniform, ParamDistributions, ParamGrid,
    RandomizedSearchCV, Scorer, scorers,
};
use oxilearn::preprocessing::StandardScaler;
use oxilearn::svm::{Gamma, Kernel, Svc};

const CANCER_MEANS: [f64; 16] = [
    0.7979972054028878,
    0.9508150908244062,
    0.9367489520260829,
    0.9455364073901569,
    0.9473063188945815,
    0.968390001552554,
    0.9595870206489675,
    0.9736376339077782,
    0.9701443875174661,
    0.9789318428815401,
    0.947259742276044,
    0.9771774569166279,
    0.9701443875174661,
    0.9683744760130415,
    0.9490296537804689,
    0.9578636857630801,
];
const CANCER_RANKS: [usize; 16] = [16, 10, 15, 14, 12, 6, 8, 3, 4, 1, 13, 2, 4, 7, 11, 9];

fn rbf(g: Gamma) -> Kernel {
    Kernel::Rbf { gamma: g }
}

#[test]
fn model_selection_grid_search_pipeline_svc_matches_sklearn() {
    let bc = datasets::breast_cancer();
    let pipe = Pipeline::new()
        .transform("scaler", StandardScaler::new())
        .estimator("svc", Svc::new().tol(1e-8));
    let gammas = [
        Gamma::Value(0.001),
        Gamma::Value(0.01),
        Gamma::Value(0.1),
        Gamma::Scale,
    ];
    let grid = ParamGrid::new(pipe)
        .estimator_axis("svc", "gamma", gammas, |s: Svc, g| s.kernel(rbf(g)))
        .estimator_axis("svc", "C", [0.1, 1.0, 10.0, 100.0], |s: Svc, c| s.c(c));
    assert_eq!(grid.n_candidates(), 16);
    let search = GridSearchCV::new(grid)
        .fit(&bc.records, bc.targets.view())
        .unwrap();
    let table = search.cv_results();
    let means = table.mean_test_score("score").unwrap();
    for (i, (g, e)) in means.iter().zip(CANCER_MEANS).enumerate() {
        assert!(
            (g - e).abs() < 1e-9,
            "candidate {i} {:?}: {g} vs {e}",
            table.params(i)
        );
    }
    assert_eq!(table.rank_test_score("score").unwrap(), CANCER_RANKS);
    assert_eq!(search.best_index(), 9);
    let best: Vec<(&str, &str)> = search
        .best_params()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(best, [("svc__C", "10"), ("svc__gamma", "0.01")]);
    assert!((search.best_score() - 0.9789318428815401).abs() < 1e-12);

    // The refit model is the best candidate fitted on every row, and saves
    // like any model.
    let refit = search.best_estimator().unwrap();
    let direct = Pipeline::new()
        .transform("scaler", StandardScaler::new())
        .estimator(
            "svc",
            Svc::new().tol(1e-8).c(10.0).kernel(rbf(Gamma::Value(0.01))),
        )
        .fit(&bc.records, bc.targets.view())
        .unwrap();
    assert_eq!(
        refit.predict((&bc.records).into()).unwrap(),
        direct.predict(&bc.records).unwrap()
    );
    let path = std::env::temp_dir().join(format!(
        "oxilearn-it-search-{}.safetensors",
        std::process::id()
    ));
    search.save_best(&path).unwrap();
    let back = load_any(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(back.kind(), "Pipeline");

    // Printing and CSV.
    let top = search.cv_results().top(5).to_string();
    assert_eq!(top.lines().count(), 6, "{top}");
    assert!(
        top.lines()
            .nth(1)
            .unwrap()
            .contains("svc__C=10, svc__gamma=0.01"),
        "{top}"
    );
    let csv = table.to_csv();
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with("mean_fit_time,std_fit_time,mean_score_time,std_score_time,param_svc__C,param_svc__gamma,params,split0_test_score"), "{header}");
    assert_eq!(csv.lines().count(), 17);
    assert!(
        csv.lines()
            .nth(10)
            .unwrap()
            .contains("\"{svc__C=10, svc__gamma=0.01}\"")
    );
}

#[test]
fn model_selection_grid_search_several_scorers_refit_and_train_scores() {
    let iris = datasets::iris();
    let grid = ParamGrid::new(LogisticRegression::<usize>::new()).axis(
        "C",
        [0.001, 1.0],
        |m: LogisticRegression<usize>, c| m.c(c),
    );
    let search = GridSearchCV::new(grid.clone())
        .scoring(scorers(&["neg_log_loss", "accuracy"]).unwrap())
        .refit("accuracy")
        .return_train_score(true)
        .fit(&iris.records, iris.targets.view())
        .unwrap();
    let t = search.cv_results();
    assert_eq!(t.split_test_scores("accuracy").unwrap().dim(), (2, 5));
    assert_eq!(t.split_train_scores("neg_log_loss").unwrap().dim(), (2, 5));
    assert_eq!(search.best_params()[0].1, "1");
    assert_eq!(
        search.best_score(),
        t.mean_test_score("accuracy").unwrap()[1]
    );
    let err = GridSearchCV::new(grid.clone())
        .refit("f1")
        .fit(&iris.records, iris.targets.view());
    assert!(matches!(
        err,
        Err(Error::InvalidParameter { name: "refit", .. })
    ));
    let no_refit = GridSearchCV::new(grid)
        .no_refit()
        .fit(&iris.records, iris.targets.view())
        .unwrap();
    assert!(no_refit.best_estimator().is_none());
    assert!(
        no_refit
            .save_best(std::env::temp_dir().join("never-written"))
            .is_err()
    );
}

#[test]
fn model_selection_grid_union_and_failing_candidates() {
    let d = datasets::diabetes();
    // A negative alpha fails on every fold: recorded, ranked last, not fatal.
    let grid = ParamGrid::new(Ridge::new())
        .axis("alpha", [-1.0, 0.1, 1.0], |r: Ridge, a| r.alpha(a))
        .union(ParamGrid::new(Ridge::new().alpha(0.5)).axis(
            "fit_intercept",
            [false],
            |r: Ridge, b| r.fit_intercept(b),
        ));
    assert_eq!(grid.n_candidates(), 4);
    let search = GridSearchCV::new(grid.clone())
        .cv(KFold::new(3))
        .scorer(Scorer::named("r2").unwrap())
        .fit(&d.records, d.targets.view())
        .unwrap();
    let t = search.cv_results();
    assert!(t.mean_test_score("r2").unwrap()[0].is_nan());
    assert_eq!(t.rank_test_score("r2").unwrap()[0], 4);
    assert!(
        t.errors()[0]
            .iter()
            .all(|e| e.as_deref().is_some_and(|m| m.contains("alpha")))
    );
    assert!(t.errors()[1].iter().all(Option::is_none));
    assert_eq!(
        t.params(3),
        [("fit_intercept".to_string(), "false".to_string())]
    );
    assert!(t.to_string().contains("failed"));
    let err = GridSearchCV::new(grid)
        .error_score(ErrorScore::Raise)
        .fit(&d.records, d.targets.view())
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { name: "alpha", .. }),
        "{err}"
    );
}

#[test]
fn model_selection_search_errors_are_typed() {
    let x = array![[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]];
    let y = array![0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
    let empty =
        ParamGrid::new(Ridge::new()).axis("alpha", Vec::<f64>::new(), |r: Ridge, a| r.alpha(a));
    let err = GridSearchCV::new(empty).fit(&x, y.view()).unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { name: "grid", .. }),
        "{err}"
    );
    let dup = ParamGrid::new(Ridge::new())
        .axis("alpha", [1.0], |r: Ridge, a| r.alpha(a))
        .axis("alpha", [2.0], |r: Ridge, a| r.alpha(a));
    assert!(GridSearchCV::new(dup).fit(&x, y.view()).is_err());
    // n_splits larger than the rows, a missing pipeline step.
    let grid = ParamGrid::new(Ridge::new()).axis("alpha", [1.0], |r: Ridge, a| r.alpha(a));
    let err = GridSearchCV::new(grid)
        .cv(KFold::new(7))
        .fit(&x, y.view())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidParameter {
                name: "n_splits",
                ..
            }
        ),
        "{err}"
    );
    let pipe = Pipeline::<f64>::new().estimator("ridge", Ridge::new());
    let grid =
        ParamGrid::new(pipe).estimator_axis("lasso", "alpha", [1.0], |r: Ridge, a| r.alpha(a));
    let err = GridSearchCV::new(grid).fit(&x, y.view()).unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { name: "steps", .. }),
        "{err}"
    );
    let space = ParamDistributions::new(Ridge::new()).param(
        "alpha",
        LogUniform::new(0.0, 1.0),
        |r: Ridge, a| r.alpha(a),
    );
    let err = RandomizedSearchCV::new(space.clone(), 3)
        .fit(&x, y.view())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidParameter {
                name: "distributions",
                ..
            }
        ),
        "{err}"
    );
    assert!(RandomizedSearchCV::new(space, 0).fit(&x, y.view()).is_err());
}

#[test]
fn model_selection_randomized_search_is_seeded() {
    let d = datasets::diabetes();
    let space = ParamDistributions::new(Ridge::new())
        .param("alpha", LogUniform::new(1e-3, 1e2), |r: Ridge, a| {
            r.alpha(a)
        })
        .param(
            "fit_intercept",
            Choice::new([true, false]),
            |r: Ridge, b| r.fit_intercept(b),
        );
    let run = |seed| {
        RandomizedSearchCV::new(space.clone(), 6)
            .seed(seed)
            .scorer(Scorer::named("neg_mean_squared_error").unwrap())
            .fit(&d.records, d.targets.view())
            .unwrap()
    };
    let (a, b, c) = (run(1), run(1), run(2));
    let params = |s: &oxilearn::model_selection::SearchResults<f64>| {
        (0..6)
            .map(|i| s.cv_results().params(i).to_vec())
            .collect::<Vec<_>>()
    };
    assert_eq!(params(&a), params(&b));
    assert_ne!(params(&a), params(&c));
    for i in 0..6 {
        let p = a.cv_results().params(i);
        let alpha: f64 = p[0].1.parse().unwrap();
        assert!((1e-3..1e2).contains(&alpha), "{p:?}");
    }
    // Only finite choices: drawn without replacement, so 4 of 4 are distinct.
    let finite = ParamDistributions::new(Ridge::new())
        .param("alpha", Choice::new([0.1, 1.0]), |r: Ridge, a| r.alpha(a))
        .param(
            "fit_intercept",
            Choice::new([true, false]),
            |r: Ridge, b| r.fit_intercept(b),
        );
    let s = RandomizedSearchCV::new(finite, 10)
        .fit(&d.records, d.targets.view())
        .unwrap();
    assert_eq!(s.cv_results().n_candidates(), 4);
    let mut seen: Vec<_> = (0..4).map(|i| s.cv_results().params(i).to_vec()).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4);
    let _ = s.best_estimator().map(|m| m.n_features_in());
    let _: Option<&dyn FittedEstimator<f64>> = s.best_estimator();
}
