//! HalvingGridSearchCV / HalvingRandomSearchCV: scikit-learn 1.9.1's
//! schedule, kept candidates, table rows, ranks and best candidate.
//!
//! scikit-learn subsamples each fold with NumPy's generator, so a run on
//! subsamples cannot be reproduced bit for bit; on a deterministic
//! reference — `min_resources` = every sample with aggressive elimination,
//! so every iteration cross-validates on the full folds — the kept
//! candidates, their order, the scores, the ranks and the best row are
//! scikit-learn's exactly. (The subsampled schedules are checked against
//! 756 scikit-learn runs in `model_selection::halving`'s unit tests.)

use oxilearn::Error;
use oxilearn::compose::{Estimator, Pipeline};
use oxilearn::datasets;
use oxilearn::linear::Ridge;
use oxilearn::logistic::LogisticRegression;
use oxilearn::model_selection::{
    ErrorScore, HalvingGridSearchCV, HalvingRandomSearchCV, KFold, LogUniform, MinResources,
    NCandidates, ParamDistributions, ParamGrid, StratifiedKFold,
};
use oxilearn::preprocessing::StandardScaler;
use oxilearn::svm::{Gamma, Kernel, Svc};

const ALPHAS: [f64; 9] = [1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0, 1e3, 1e4];

/// ```python
/// from sklearn.experimental import enable_halving_search_cv
/// from sklearn.datasets import load_diabetes
/// from sklearn.linear_model import Ridge
/// from sklearn.model_selection import HalvingGridSearchCV
/// Xd, yd = load_diabetes(return_X_y=True)
/// alphas = [1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100, 1e3, 1e4]
/// s = HalvingGridSearchCV(Ridge(), {"alpha": alphas}, min_resources=442,
///                         aggressive_elimination=True, random_state=0).fit(Xd, yd)
/// r = s.cv_results_
/// print(r["iter"].tolist(), r["n_resources"].tolist())
/// print([p["alpha"] for p in r["params"]])
/// print(r["mean_test_score"].tolist())
/// print(r["rank_test_score"].tolist())
/// print(s.best_index_, s.best_score_, s.best_params_, s.n_candidates_, s.n_resources_)
/// # 12 0.4823214545225417 {'alpha': 0.0001} [9, 3, 1] [442, 442, 442]
/// ```
#[test]
fn model_selection_halving_ridge_matches_sklearn() {
    let d = datasets::diabetes();
    let grid = ParamGrid::new(Ridge::new()).axis("alpha", ALPHAS, |r: Ridge, a| r.alpha(a));
    let search = HalvingGridSearchCV::new(grid)
        .min_resources(MinResources::Count(442))
        .aggressive_elimination(true)
        .fit(&d.records, d.targets.view())
        .unwrap();
    let t = search.cv_results();
    assert_eq!(t.iter().unwrap(), [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2]);
    assert_eq!(t.n_resources().unwrap(), [442; 13]);
    let alphas: Vec<&str> = (0..t.n_candidates())
        .map(|i| t.params(i)[0].1.as_str())
        .collect();
    assert_eq!(
        alphas,
        [
            "0.0001", "0.001", "0.01", "0.1", "1", "10", "100", "1000", "10000", "0.01", "0.001",
            "0.0001", "0.0001"
        ]
    );
    let want = [
        0.4823214545225417,
        0.48230777485180043,
        0.48144253201267084,
        0.47988210231953665,
        0.410174971340889,
        0.13836335638316286,
        -0.004620508546396329,
        -0.02512826814715663,
        -0.027267335024102123,
        0.48144253201267084,
        0.48230777485180043,
        0.4823214545225417,
        0.4823214545225417,
    ];
    let means = t.mean_test_score("score").unwrap();
    for (g, w) in means.iter().zip(want) {
        assert!((g - w).abs() < 1e-9, "{g} vs {w}");
    }
    assert_eq!(
        t.rank_test_score("score").unwrap(),
        [1, 4, 6, 8, 9, 10, 11, 12, 13, 6, 4, 1, 1]
    );
    assert_eq!(search.best_index(), 12);
    assert!((search.best_score() - 0.4823214545225417).abs() < 1e-9);
    assert_eq!(
        search.best_params(),
        [("alpha".to_string(), "0.0001".into())]
    );
    let h = search.halving().unwrap();
    assert_eq!(h.n_candidates, [9, 3, 1]);
    assert_eq!(h.n_resources, [442, 442, 442]);
    assert_eq!(
        (
            h.n_required_iterations,
            h.n_possible_iterations,
            h.n_iterations
        ),
        (3, 1, 3)
    );
    assert_eq!(h.n_remaining_candidates, 1);
    // The refit model is the best candidate fitted on every row.
    let direct = Estimator::fit(
        &Ridge::new().alpha(1e-4),
        (&d.records).into(),
        d.targets.view(),
    )
    .unwrap();
    let got = search
        .best_estimator()
        .unwrap()
        .predict((&d.records).into())
        .unwrap();
    assert_eq!(got, direct.predict((&d.records).into()).unwrap());
}

/// ```python
/// from sklearn.datasets import load_breast_cancer
/// from sklearn.svm import SVC
/// from sklearn.pipeline import Pipeline
/// from sklearn.preprocessing import StandardScaler
/// X, y = load_breast_cancer(return_X_y=True)
/// pipe = Pipeline([("scaler", StandardScaler()), ("svc", SVC(tol=1e-8))])
/// grid = {"svc__C": [0.1, 1, 10, 100], "svc__gamma": [0.001, 0.01, 0.1, "scale"]}
/// s = HalvingGridSearchCV(pipe, grid, min_resources=569, aggressive_elimination=True,
///                         random_state=0).fit(X, y)
/// r = s.cv_results_
/// print([(p["svc__C"], p["svc__gamma"]) for p in r["params"]][16:])
/// print(r["rank_test_score"].tolist())
/// print(s.best_index_, s.best_score_, s.best_params_, s.n_candidates_, s.n_remaining_candidates_)
/// # [(1, 0.01), (10, 0.001), (100, 0.001), (1, 'scale'), (10, 'scale'), (10, 0.01), (10, 'scale'), (10, 0.01)]
/// # [24, 18, 23, 22, 20, 13, 16, 7, 9, 1, 21, 4, 9, 15, 19, 17, 13, 9, 9, 7, 4, 1, 4, 1]
/// # 23 0.9789318428815401 {'svc__C': 10, 'svc__gamma': 0.01} [16, 6, 2] 1
/// ```
#[test]
fn model_selection_halving_pipeline_svc_matches_sklearn() {
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
        .estimator_axis("svc", "gamma", gammas, |s: Svc, g| {
            s.kernel(Kernel::Rbf { gamma: g })
        })
        .estimator_axis("svc", "C", [0.1, 1.0, 10.0, 100.0], |s: Svc, c| s.c(c));
    let search = HalvingGridSearchCV::new(grid)
        .min_resources(MinResources::Count(569))
        .aggressive_elimination(true)
        .no_refit()
        .fit(&bc.records, bc.targets.view())
        .unwrap();
    let t = search.cv_results();
    let kept: Vec<String> = (16..t.n_candidates())
        .map(|i| format!("({}, {})", t.params(i)[0].1, t.params(i)[1].1))
        .collect();
    assert_eq!(
        kept,
        [
            "(1, 0.01)",
            "(10, 0.001)",
            "(100, 0.001)",
            "(1, scale)",
            "(10, scale)",
            "(10, 0.01)",
            "(10, scale)",
            "(10, 0.01)"
        ]
    );
    assert_eq!(
        t.rank_test_score("score").unwrap(),
        [
            24, 18, 23, 22, 20, 13, 16, 7, 9, 1, 21, 4, 9, 15, 19, 17, 13, 9, 9, 7, 4, 1, 4, 1
        ]
    );
    assert_eq!(search.best_index(), 23);
    assert!((search.best_score() - 0.9789318428815401).abs() < 1e-9);
    let h = search.halving().unwrap();
    assert_eq!(
        (h.n_candidates.clone(), h.n_remaining_candidates),
        (vec![16, 6, 2], 1)
    );
    assert!(search.best_estimator().is_none());
}

fn logistic_grid() -> ParamGrid<Pipeline<usize>> {
    let pipe = Pipeline::new()
        .transform("scaler", StandardScaler::new())
        .estimator("lr", LogisticRegression::new());
    ParamGrid::new(pipe).estimator_axis("lr", "C", ALPHAS, |m: LogisticRegression<usize>, c| m.c(c))
}

#[test]
fn model_selection_halving_subsamples_seeded_and_thread_independent() {
    let bc = datasets::breast_cancer();
    let run = |threads: usize, seed: u64| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            HalvingGridSearchCV::new(logistic_grid())
                .seed(seed)
                .fit(&bc.records, bc.targets.view())
                .unwrap()
        })
    };
    let (one, three) = (run(1, 7), run(3, 7));
    let t = one.cv_results();
    // scikit-learn's schedule for 9 candidates, 2 classes, 5 folds, 569
    // samples: min_resources 'exhaust' = max(2·5·2, 569 // 3²) = 63.
    let h = one.halving().unwrap();
    assert_eq!(h.n_resources, [63, 189, 567]);
    assert_eq!(h.n_candidates, [9, 3, 1]);
    assert_eq!(h.min_resources, 63);
    assert_eq!(t.n_candidates(), 13);
    assert_eq!(
        t.mean_test_score("score"),
        three.cv_results().mean_test_score("score")
    );
    assert_eq!(one.best_index(), three.best_index());
    assert_eq!(one.best_index(), 12);
    // The first iteration sees 63/569 of each fold: a fit of ~50 rows, a
    // test of ~12, so its scores differ from the full-fold ones.
    let last = t.mean_test_score("score").unwrap()[12];
    assert!(last > 0.95, "{last}");
    // The table prints and exports the iteration and the resources.
    let csv = t.to_csv();
    assert!(csv.starts_with("iter,n_resources,mean_fit_time,"));
    assert!(csv.lines().nth(13).unwrap().starts_with("2,567,"));
    assert!(format!("{t}").contains("n_resources"));
}

#[test]
fn model_selection_halving_random_search_draws_exhausting_candidates() {
    let d = datasets::diabetes();
    let space = ParamDistributions::new(Ridge::new()).param(
        "alpha",
        LogUniform::new(1e-4, 1e3),
        |r: Ridge, a| r.alpha(a),
    );
    let search = HalvingRandomSearchCV::new(space.clone())
        .cv(KFold::new(4))
        .min_resources(MinResources::Count(40))
        .factor(2.0)
        .seed(3)
        .fit(&d.records, d.targets.view())
        .unwrap();
    let h = search.halving().unwrap();
    // n_candidates 'exhaust' = 442 // 40 = 11; factor 2: 11, 6, 3, 2.
    assert_eq!(h.n_candidates, [11, 6, 3, 2]);
    assert_eq!(h.n_resources, [40, 80, 160, 320]);
    assert_eq!(h.n_remaining_candidates, 1);
    let again = HalvingRandomSearchCV::new(space.clone())
        .cv(KFold::new(4))
        .min_resources(MinResources::Count(40))
        .factor(2.0)
        .seed(3)
        .fit(&d.records, d.targets.view())
        .unwrap();
    assert_eq!(search.best_params(), again.best_params());
    assert_eq!(
        search.cv_results().mean_test_score("score"),
        again.cv_results().mean_test_score("score")
    );
    // 'smallest' for a classifier: 2 × 5 folds × 2 classes = 20 samples.
    let bc = datasets::breast_cancer();
    let space = ParamDistributions::new(LogisticRegression::<usize>::new()).param(
        "C",
        LogUniform::new(1e-2, 1e2),
        |m: LogisticRegression<usize>, c| m.c(c),
    );
    let fixed = HalvingRandomSearchCV::new(space)
        .n_candidates(NCandidates::Count(4))
        .fit(&bc.records, bc.targets.view())
        .unwrap();
    let h = fixed.halving().unwrap();
    assert_eq!(
        (h.n_candidates.clone(), h.n_resources.clone()),
        (vec![4, 2], vec![20, 60])
    );
}

#[test]
fn model_selection_halving_errors_are_typed() {
    let bc = datasets::breast_cancer();
    let (x, y) = (&bc.records, bc.targets.view());
    let name = |r: Result<_, Error>| match r {
        Err(Error::InvalidParameter { name, .. }) => name,
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("expected an error"),
    };
    let search = || HalvingGridSearchCV::new(logistic_grid());
    assert_eq!(name(search().factor(1.0).fit(x, y).map(|_| ())), "factor");
    assert_eq!(
        name(search().factor(f64::NAN).fit(x, y).map(|_| ())),
        "factor"
    );
    assert_eq!(
        name(search().max_resources(570).fit(x, y).map(|_| ())),
        "max_resources"
    );
    assert_eq!(
        name(search().max_resources(0).fit(x, y).map(|_| ())),
        "max_resources"
    );
    assert_eq!(
        name(
            search()
                .min_resources(MinResources::Count(300))
                .max_resources(200)
                .fit(x, y)
                .map(|_| ())
        ),
        "min_resources"
    );
    assert_eq!(
        name(
            search()
                .min_resources(MinResources::Count(0))
                .fit(x, y)
                .map(|_| ())
        ),
        "min_resources"
    );
    let empty = ParamGrid::new(LogisticRegression::<usize>::new()).axis(
        "C",
        Vec::<f64>::new(),
        |m: LogisticRegression<usize>, c| m.c(c),
    );
    assert_eq!(
        name(HalvingGridSearchCV::new(empty).fit(x, y).map(|_| ())),
        "grid"
    );
    let space = ParamDistributions::new(LogisticRegression::<usize>::new()).param(
        "C",
        LogUniform::new(1e-2, 1e2),
        |m: LogisticRegression<usize>, c| m.c(c),
    );
    assert_eq!(
        name(
            HalvingRandomSearchCV::new(space.clone())
                .min_resources(MinResources::Exhaust)
                .fit(x, y)
                .map(|_| ())
        ),
        "n_candidates"
    );
    assert_eq!(
        name(
            HalvingRandomSearchCV::new(space)
                .n_candidates(NCandidates::Count(0))
                .fit(x, y)
                .map(|_| ())
        ),
        "n_iter"
    );
    // With `Raise`, a failing fit of the first iteration ends the search.
    let bad = ParamGrid::new(LogisticRegression::<usize>::new()).axis(
        "C",
        [1.0, -1.0],
        |m: LogisticRegression<usize>, c| m.c(c),
    );
    let err = HalvingGridSearchCV::new(bad.clone())
        .cv(StratifiedKFold::new(3))
        .error_score(ErrorScore::Raise)
        .fit(x, y)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
    // Otherwise the failing candidate scores NaN and is dropped.
    let ok = HalvingGridSearchCV::new(bad)
        .cv(StratifiedKFold::new(3))
        .fit(x, y)
        .unwrap();
    assert_eq!(ok.best_params()[0].1, "1");
}
