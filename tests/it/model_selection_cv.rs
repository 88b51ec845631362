//! Cross-validation and scorers against scikit-learn 1.9.1, plus the
//! failure modes (error_score, unknown scorers, scorers a model cannot serve).
//!
//! References (scikit-learn 1.9.1):
//! ```python
//! import numpy as np
//! from sklearn.datasets import load_iris, load_breast_cancer, load_diabetes
//! from sklearn.linear_model import Ridge, LogisticRegression
//! from sklearn.svm import SVC
//! from sklearn.pipeline import make_pipeline
//! from sklearn.preprocessing import StandardScaler
//! from sklearn.model_selection import KFold, StratifiedKFold, cross_validate, cross_val_predict
//! X, y = load_diabetes(return_X_y=True)
//! sc = ["r2", "neg_mean_squared_error", "neg_root_mean_squared_error", "neg_mean_absolute_error", "explained_variance"]
//! r = cross_validate(Ridge(alpha=0.1), X, y, cv=KFold(5), scoring=sc)
//! for k in sc: print(k, r["test_" + k].tolist())                                # DIABETES_RIDGE
//! X, y = load_iris(return_X_y=True)
//! lr = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, tol=1e-10, max_iter=10000))
//! sc = ["accuracy", "balanced_accuracy", "f1_macro", "precision_weighted", "recall_micro", "neg_log_loss", "roc_auc_ovr"]
//! r = cross_validate(lr, X, y, cv=StratifiedKFold(5), scoring=sc)
//! for k in sc: print(k, r["test_" + k].tolist())                                # IRIS_LOGISTIC
//! P = cross_val_predict(LogisticRegression(C=1.0, tol=1e-10, max_iter=10000), X, y, cv=KFold(3), method="predict_proba")
//! print(P[[0, 50, 100, 149]].tolist())                                           # IRIS_OOF_PROBA
//! X, y = load_breast_cancer(return_X_y=True)
//! svc = make_pipeline(StandardScaler(), SVC(C=1.0, tol=1e-8))
//! sc = ["f1", "precision", "recall", "roc_auc", "accuracy"]
//! r = cross_validate(svc, X, y, cv=StratifiedKFold(5), scoring=sc)
//! for k in sc: print(k, r["test_" + k].tolist())                                # CANCER_SVC
//! ```

use ndarray::{Array1, array};
use oxilearn::Error;
use oxilearn::compose::{Estimator, Features, Pipeline};
use oxilearn::datasets;
use oxilearn::linear::Ridge;
use oxilearn::logistic::LogisticRegression;
use oxilearn::model_selection::{
    CrossValidate, ErrorScore, GroupKFold, KFold, Scorer, StratifiedKFold, cross_val_predict,
    cross_val_score, scorers,
};
use oxilearn::preprocessing::StandardScaler;
use oxilearn::svm::Svc;

const DIABETES_RIDGE: &[(&str, [f64; 5])] = &[
    (
        "r2",
        [
            0.4112719359885575,
            0.5184758646680696,
            0.492191557953497,
            0.44044194583623575,
            0.5370292071513237,
        ],
    ),
    (
        "neg_mean_squared_error",
        [
            -2869.0272694338632,
            -3054.997748661718,
            -3178.162085804436,
            -2935.5915576338666,
            -2995.749844214493,
        ],
    ),
    (
        "neg_root_mean_squared_error",
        [
            -53.563301517306265,
            -55.27203405576565,
            -56.3751903394076,
            -54.18109963477916,
            -54.733443562546775,
        ],
    ),
    (
        "neg_mean_absolute_error",
        [
            -43.982146724706546,
            -45.038735298019404,
            -48.11977160517784,
            -42.6808800470016,
            -43.35928729755469,
        ],
    ),
    (
        "explained_variance",
        [
            0.4120727184552555,
            0.5229197729805091,
            0.49599863268004185,
            0.4413707178362575,
            0.5372705257598098,
        ],
    ),
];

const IRIS_LOGISTIC: &[(&str, [f64; 5])] = &[
    (
        "accuracy",
        [0.9666666666666667, 1.0, 0.9333333333333333, 0.9, 1.0],
    ),
    (
        "balanced_accuracy",
        [0.9666666666666667, 1.0, 0.9333333333333332, 0.9, 1.0],
    ),
    (
        "f1_macro",
        [
            0.9665831244778613,
            1.0,
            0.9326599326599326,
            0.899749373433584,
            1.0,
        ],
    ),
    (
        "precision_weighted",
        [
            0.9696969696969696,
            1.0,
            0.9444444444444445,
            0.9023569023569024,
            1.0,
        ],
    ),
    (
        "recall_micro",
        [0.9666666666666667, 1.0, 0.9333333333333333, 0.9, 1.0],
    ),
    (
        "neg_log_loss",
        [
            -0.1562280838902131,
            -0.11336448655174959,
            -0.19662921425456784,
            -0.18051410119134575,
            -0.10483389833362892,
        ],
    ),
    (
        "roc_auc_ovr",
        [0.9933333333333333, 1.0, 1.0, 0.9933333333333333, 1.0],
    ),
];

const IRIS_OOF_PROBA: [[f64; 3]; 4] = [
    [0.0, 0.9999988228127327, 1.1771872673436277e-06],
    [0.035814050344398995, 0.0, 0.964185949655601],
    [8.056712087478601e-05, 0.9999194328791252, 0.0],
    [0.0011451817959978738, 0.9988548182040021, 0.0],
];

const CANCER_SVC: &[(&str, [f64; 5])] = &[
    (
        "f1",
        [
            0.9787234042553191,
            0.9655172413793104,
            1.0,
            0.9726027397260274,
            0.9787234042553191,
        ],
    ),
    (
        "precision",
        [
            0.9857142857142858,
            0.9459459459459459,
            1.0,
            0.9594594594594594,
            0.9857142857142858,
        ],
    ),
    (
        "recall",
        [
            0.971830985915493,
            0.9859154929577465,
            1.0,
            0.9861111111111112,
            0.971830985915493,
        ],
    ),
    (
        "roc_auc",
        [
            0.9963969865705863,
            0.9941041598427776,
            1.0,
            0.9897486772486773,
            0.9993293091884641,
        ],
    ),
    (
        "accuracy",
        [
            0.9736842105263158,
            0.956140350877193,
            1.0,
            0.9649122807017544,
            0.9734513274336283,
        ],
    ),
];

fn names<'a>(table: &[(&'a str, [f64; 5])]) -> Vec<&'a str> {
    table.iter().map(|(n, _)| *n).collect()
}

fn check_table<Y: oxilearn::compose::Target>(
    res: &oxilearn::model_selection::CvResults<Y>,
    table: &[(&str, [f64; 5])],
    tol: f64,
) {
    for (name, expected) in table {
        let got = res.test_scores(name).expect("scorer column");
        for (f, (g, e)) in got.iter().zip(expected).enumerate() {
            assert!(
                (g - e).abs() <= tol * e.abs().max(1.0),
                "{name} fold {f}: {g} vs scikit-learn {e}"
            );
        }
    }
}

#[test]
fn model_selection_cross_validate_regression_scorers_match_sklearn() {
    let d = datasets::diabetes();
    let res = CrossValidate::new()
        .cv(KFold::new(5))
        .scoring(scorers(&names(DIABETES_RIDGE)).unwrap())
        .run(&Ridge::new().alpha(0.1), &d.records, d.targets.view())
        .unwrap();
    check_table(&res, DIABETES_RIDGE, 1e-9);
    assert!(res.errors().iter().all(Option::is_none));
    assert!(res.fit_time().iter().all(|&t| t >= 0.0));

    let r2 = cross_val_score(
        &Ridge::new().alpha(0.1),
        &d.records,
        d.targets.view(),
        KFold::new(5),
        &Scorer::named("r2").unwrap(),
    )
    .unwrap();
    assert_eq!(r2, res.test_scores("r2").unwrap());
}

#[test]
fn model_selection_cross_validate_pipeline_classification_scorers_match_sklearn() {
    let iris = datasets::iris();
    let pipe = Pipeline::new()
        .transform("scaler", StandardScaler::new())
        .estimator(
            "lr",
            LogisticRegression::new().c(1.0).tol(1e-10).max_iter(10_000),
        );
    let res = CrossValidate::new()
        .cv(StratifiedKFold::new(5))
        .scoring(scorers(&names(IRIS_LOGISTIC)).unwrap())
        .return_train_score(true)
        .return_estimator(true)
        .run(&pipe, &iris.records, iris.targets.view())
        .unwrap();
    check_table(&res, IRIS_LOGISTIC, 1e-6);
    assert_eq!(res.estimators().unwrap().len(), 5);
    // Train scores are scores of each fold's model on its own rows.
    let est = res.estimators().unwrap()[2].as_ref().unwrap();
    let (train, _) = &res.folds()[2];
    let xt = iris.records.select(ndarray::Axis(0), train);
    let yt = iris.targets.select(ndarray::Axis(0), train);
    let acc = est.score(Features::from(&xt), yt.view()).unwrap();
    assert_eq!(res.train_scores("accuracy").unwrap()[2], acc);
    assert!(format!("{res}").contains("neg_log_loss"));
}

#[test]
fn model_selection_binary_scorers_on_svc_match_sklearn() {
    let bc = datasets::breast_cancer();
    let pipe = Pipeline::new()
        .transform("scaler", StandardScaler::new())
        .estimator("svc", Svc::new().c(1.0).tol(1e-8));
    let res = CrossValidate::new()
        .cv(StratifiedKFold::new(5))
        .scoring(scorers(&names(CANCER_SVC)).unwrap())
        .run(&pipe, &bc.records, bc.targets.view())
        .unwrap();
    check_table(&res, CANCER_SVC, 1e-6);
}

#[test]
fn model_selection_out_of_fold_predictions_match_sklearn() {
    let iris = datasets::iris();
    let lr = LogisticRegression::new().c(1.0).tol(1e-10).max_iter(10_000);
    // Unshuffled 3 folds on iris: each training fold misses one class, whose
    // column is 0 in that fold's rows.
    let proba = CrossValidate::new()
        .cv(KFold::new(3))
        .predict_proba(&lr, &iris.records, iris.targets.view())
        .unwrap();
    assert_eq!(proba.dim(), (150, 3));
    for (r, expected) in [0, 50, 100, 149].iter().zip(IRIS_OOF_PROBA) {
        for (g, e) in proba.row(*r).iter().zip(expected) {
            assert!((g - e).abs() < 1e-6, "row {r}: {g} vs {e}");
        }
    }
    let pred = cross_val_predict(
        &lr,
        &iris.records,
        iris.targets.view(),
        StratifiedKFold::new(5),
    )
    .unwrap();
    let acc = oxilearn::metrics::accuracy_score(iris.targets.view(), pred.view()).unwrap();
    assert!(acc > 0.9, "{acc}");
    // Folds that do not partition the rows are refused.
    let err = CrossValidate::new()
        .cv(oxilearn::model_selection::ShuffleSplit::new(3))
        .predict(&lr, &iris.records, iris.targets.view())
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { name: "cv", .. }),
        "{err}"
    );
}

#[test]
fn model_selection_results_do_not_depend_on_the_thread_count() {
    let bc = datasets::breast_cancer();
    let pipe = Pipeline::new()
        .transform("scaler", StandardScaler::new())
        .estimator("lr", LogisticRegression::new());
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            CrossValidate::new()
                .cv(KFold::new(4).shuffle(Some(5)))
                .scoring(scorers(&["accuracy", "neg_log_loss"]).unwrap())
                .run(&pipe, &bc.records, bc.targets.view())
                .unwrap()
        })
    };
    let (one, three) = (run(1), run(3));
    for name in ["accuracy", "neg_log_loss"] {
        assert_eq!(one.test_scores(name), three.test_scores(name));
    }
}

#[test]
fn model_selection_failures_are_recorded_or_raised() {
    // A Ridge with a negative alpha fails on every fold: the error comes back.
    let d = datasets::diabetes();
    let err = CrossValidate::new()
        .run(&Ridge::new().alpha(-1.0), &d.records, d.targets.view())
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { name: "alpha", .. }),
        "{err}"
    );

    // A fold whose training rows hold one class fails; the others score.
    let x = array![[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]];
    let y = array![0usize, 0, 0, 1, 1, 0];
    let groups = ["a", "a", "a", "b", "b", "c"];
    let lr = LogisticRegression::new();
    let cv = CrossValidate::new().cv(GroupKFold::new(3)).groups(&groups);
    let res = cv.run(&lr, &x, y.view()).unwrap();
    let scores = res.test_scores("score").unwrap();
    let failed: Vec<usize> = (0..3).filter(|&f| res.errors()[f].is_some()).collect();
    assert_eq!(failed.len(), 1, "{res}");
    assert!(scores[failed[0]].is_nan());
    assert!(
        (0..3)
            .filter(|f| !failed.contains(f))
            .all(|f| scores[f].is_finite())
    );
    let err = cv
        .error_score(ErrorScore::Raise)
        .run(&lr, &x, y.view())
        .unwrap_err();
    assert!(matches!(err, Error::SingleClass), "{err}");
}

#[test]
fn model_selection_scorer_errors_are_typed() {
    match Scorer::<usize>::named("accuracy_macro") {
        Err(Error::InvalidParameter {
            name: "scoring",
            reason,
        }) => {
            assert!(
                reason.contains("balanced_accuracy"),
                "lists known names: {reason}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(scorers::<usize>(&[]).is_err());
    let iris = datasets::iris();
    // Probabilities from an Svc fitted without them: Unsupported on every
    // fold, so the run reports it.
    let err = CrossValidate::new()
        .scorer(Scorer::named("neg_log_loss").unwrap())
        .run(&Svc::new(), &iris.records, iris.targets.view())
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    // A binary scorer on three classes, a regression scorer on labels, a
    // classification scorer on a regressor.
    for name in ["f1", "r2", "roc_auc"] {
        let err = CrossValidate::new()
            .scorer(Scorer::named(name).unwrap())
            .run(
                &LogisticRegression::new(),
                &iris.records,
                iris.targets.view(),
            )
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidParameter {
                    name: "scoring",
                    ..
                }
            ),
            "{name}: {err}"
        );
    }
    let d = datasets::diabetes();
    let err = CrossValidate::new()
        .scorer(Scorer::named("accuracy").unwrap())
        .run(&Ridge::new(), &d.records, d.targets.view())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidParameter {
                name: "scoring",
                ..
            }
        ),
        "{err}"
    );
    // Mismatched lengths.
    let short: Array1<f64> = d.targets.slice(ndarray::s![..10]).to_owned();
    assert!(matches!(
        CrossValidate::new().run(&Ridge::new(), &d.records, short.view()),
        Err(Error::ShapeMismatch { .. })
    ));
    // A custom scorer sees the fitted model.
    let custom = Scorer::custom("n_features", |m, _, _| Ok(m.n_features_in() as f64));
    let res = CrossValidate::new()
        .scorer(custom)
        .run(&Ridge::new(), &d.records, d.targets.view())
        .unwrap();
    assert!(
        res.test_scores("n_features")
            .unwrap()
            .iter()
            .all(|&v| v == 10.0)
    );
    let _: &dyn Estimator<f64> = &Ridge::new();
}

#[test]
fn model_selection_new_metrics_match_sklearn() {
    // from sklearn.metrics import explained_variance_score, balanced_accuracy_score, roc_auc_score
    // rng = np.random.RandomState(0)
    // yt = rng.randint(0, 3, 12); yp = rng.randint(0, 4, 12); balanced_accuracy_score(yt, yp)
    // a = rng.normal(size=8).round(3); b = (a + rng.normal(scale=0.5, size=8) + 0.3).round(3)
    // explained_variance_score(a, b)
    // y4 = np.array([0, 1, 2, 3] * 3)
    // P = rng.dirichlet(np.ones(4), 12).round(2); P[:, 3] = (1 - P[:, :3].sum(axis=1)).round(2)
    // roc_auc_score(y4, P, multi_class="ovr", labels=[0, 1, 2, 3])
    use oxilearn::metrics::{balanced_accuracy_score, explained_variance_score, roc_auc_ovr_score};
    let yt = array![0, 1, 0, 1, 1, 2, 0, 2, 0, 0, 0, 2];
    let yp = array![1, 2, 3, 3, 2, 0, 1, 1, 1, 1, 0, 1];
    let b = balanced_accuracy_score(yt.view(), yp.view()).unwrap();
    assert!((b - 0.05555555555555555).abs() < 1e-15);
    let a = array![-1.278, 1.437, -0.078, 1.09, 0.097, 1.419, 1.168, 0.947];
    let p = array![-0.435, 2.928, 0.019, 1.523, -0.281, 1.662, 1.046, 1.6];
    let ev = explained_variance_score(a.view(), p.view()).unwrap();
    assert!((ev - 0.6114730452517815).abs() < 1e-12);
    let y4 = array![0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3];
    let proba = array![
        [0.15, 0.41, 0.17, 0.27],
        [0.11, 0.53, 0.14, 0.22],
        [0.33, 0.01, 0.5, 0.16],
        [0.06, 0.15, 0.47, 0.32],
        [0.08, 0.01, 0.22, 0.69],
        [0.13, 0.12, 0.65, 0.1],
        [0.21, 0.25, 0.38, 0.16],
        [0.19, 0.06, 0.25, 0.5],
        [0.34, 0.0, 0.31, 0.35],
        [0.55, 0.33, 0.11, 0.01],
        [0.12, 0.0, 0.11, 0.77],
        [0.1, 0.15, 0.27, 0.48]
    ];
    let auc = roc_auc_ovr_score(y4.view(), proba.view(), &[0, 1, 2, 3]).unwrap();
    assert!((auc - 0.6620370370370371).abs() < 1e-12);
    let mut bad = proba.clone();
    bad[[0, 0]] = 0.5;
    assert!(matches!(
        roc_auc_ovr_score(y4.view(), bad.view(), &[0, 1, 2, 3]),
        Err(Error::InvalidParameter { name: "proba", .. })
    ));
    // Constant targets: 1.0 when predicted exactly, else 0.0.
    let c = array![2.0, 2.0, 2.0];
    assert_eq!(explained_variance_score(c.view(), c.view()).unwrap(), 1.0);
    assert_eq!(
        explained_variance_score(c.view(), array![1.0, 2.0, 3.0].view()).unwrap(),
        0.0
    );
}

// from sklearn.datasets import load_diabetes
// from sklearn.linear_model import Ridge
// from sklearn.model_selection import KFold, validation_curve, learning_curve
// X, y = load_diabetes(return_X_y=True)
// tr, te = validation_curve(Ridge(), X, y, param_name="alpha", param_range=[0.01, 1.0, 100.0], cv=KFold(3), scoring="r2")
// print("VC_TRAIN", tr.tolist()); print("VC_TEST", te.tolist())
// sizes, tr, te = learning_curve(Ridge(alpha=0.1), X, y, cv=KFold(3), scoring="neg_mean_squared_error")
// print("LC_SIZES", sizes.tolist()); print("LC_TRAIN", tr.tolist()); print("LC_TEST", te.tolist())
#[test]
fn model_selection_validation_and_learning_curves_match_sklearn() {
    use oxilearn::model_selection::{LearningCurve, ParamGrid, learning_curve, validation_curve};
    let d = datasets::diabetes();
    let close = |got: &ndarray::Array2<f64>, want: &[[f64; 3]], what: &str| {
        assert_eq!(got.nrows(), want.len(), "{what}");
        for (g, w) in got.rows().into_iter().zip(want) {
            for (a, b) in g.iter().zip(w) {
                assert!(
                    (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
                    "{what}: {a} vs {b}"
                );
            }
        }
    };
    let grid =
        ParamGrid::new(Ridge::new()).axis("alpha", [0.01, 1.0, 100.0], |r: Ridge, a| r.alpha(a));
    let cv = CrossValidate::new()
        .cv(KFold::new(3))
        .scorer(Scorer::named("r2").unwrap());
    let vc = validation_curve(&grid, &d.records, d.targets.view(), &cv).unwrap();
    assert_eq!(vc.param_name, "alpha");
    assert_eq!(vc.param_values, ["0.01", "1", "100"]);
    close(
        &vc.train_scores,
        &[
            [0.526129403538101, 0.5235335047245462, 0.514008989347014],
            [0.4387738141575426, 0.4144501596051636, 0.410000234707681],
            [0.020654646079750982, 0.0177169502193949, 0.0179728355952955],
        ],
        "validation train",
    );
    close(
        &vc.test_scores,
        &[
            [0.4689150962748445, 0.490881693130093, 0.5062923216663616],
            [
                0.37001651699562454,
                0.41844572639973576,
                0.43981789813437644,
            ],
            [
                0.011641592265900447,
                0.01825045339474607,
                0.013909476212429328,
            ],
        ],
        "validation test",
    );
    assert!(vc.to_string().lines().count() == 4);

    let cv = CrossValidate::new()
        .cv(KFold::new(3))
        .scorer(Scorer::named("neg_mean_squared_error").unwrap());
    let lc = learning_curve(
        &Ridge::new().alpha(0.1),
        &d.records,
        d.targets.view(),
        &LearningCurve::default_sizes(),
        &cv,
    )
    .unwrap();
    assert_eq!(lc.train_sizes, [29, 95, 161, 227, 294]);
    close(
        &lc.train_scores,
        &[
            [
                -2793.3346930918856,
                -1936.9759236038656,
                -1936.9759236038656,
            ],
            [-3031.17780232969, -2658.9477003843244, -2658.9477003843244],
            [-3070.3855885643816, -2823.990862189374, -2858.4795545867873],
            [-2958.832878917743, -2831.479142895026, -2908.0802044829297],
            [-2891.6560436197406, -2780.427876424151, -2969.4965955160574],
        ],
        "learning train",
    );
    close(
        &lc.test_scores,
        &[
            [-3969.7166537325547, -4747.527163896442, -4268.179845636505],
            [-3472.9302765417037, -3655.3093151183643, -3121.51002432239],
            [-3206.079818988216, -3293.588970478856, -2812.7214103733713],
            [-3182.9874224190758, -3228.111061786184, -2817.6948548465734],
            [-3095.6269315652307, -3202.9601236659128, -2776.676867937736],
        ],
        "learning test",
    );

    // One parameter, one scorer.
    let two = grid
        .clone()
        .axis("fit_intercept", [true], |r: Ridge, b| r.fit_intercept(b));
    assert!(matches!(
        validation_curve(&two, &d.records, d.targets.view(), &cv),
        Err(Error::InvalidParameter { name: "grid", .. })
    ));
    let both = CrossValidate::new().scoring(scorers(&["r2", "explained_variance"]).unwrap());
    assert!(matches!(
        learning_curve(
            &Ridge::new(),
            &d.records,
            d.targets.view(),
            &[0.5.into()],
            &both
        ),
        Err(Error::InvalidParameter {
            name: "scoring",
            ..
        })
    ));
}
