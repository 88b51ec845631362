//! Pipelines against the hand-written chain, model files of composites, the
//! registry, and every error path.

use ndarray::{Array1, Array2, array};

use super::*;
use crate::error::Error;
use crate::linear::Ridge;
use crate::logistic::LogisticRegression;
use crate::persist::{ModelFile, Persist};
use crate::preprocessing::{MinMaxScaler, StandardScaler};
use crate::svm::{Gamma, Kernel, Svc, Svr};

fn iris() -> (Array2<f64>, Array1<usize>) {
    let d = crate::datasets::iris();
    (d.records, d.targets)
}

fn svc_pipeline() -> Pipeline<usize> {
    Pipeline::new()
        .transform("scaler", StandardScaler::new())
        .estimator("svc", Svc::new().c(10.0).probability(true))
}

#[test]
fn pipeline_equals_the_chain_written_by_hand() -> crate::Result<()> {
    let (x, y) = iris();
    let fitted = svc_pipeline().fit(&x, y.view())?;

    let scaler = StandardScaler::new().fit(x.view())?;
    let z = scaler.transform(x.view())?;
    let svc = Svc::new()
        .c(10.0)
        .probability(true)
        .fit(z.view(), y.view())?;

    assert_eq!(fitted.predict(&x)?, svc.predict(z.view())?);
    assert_eq!(
        fitted.decision_function(&x)?,
        svc.decision_function(z.view())?
    );
    assert_eq!(fitted.predict_proba(&x)?, svc.predict_proba(z.view())?);
    assert_eq!(fitted.transform(&x)?, z);
    assert_eq!(fitted.classes(), Some(&[0usize, 1, 2][..]));
    assert_eq!(fitted.n_features_in(), 4);
    let acc = fitted.score(&x, y.view())?;
    assert_eq!(
        acc,
        crate::metrics::accuracy_score(y.view(), svc.predict(z.view())?.view())?
    );
    let scaler_step = fitted.transformer("scaler").expect("scaler step");
    let back = scaler_step
        .as_any()
        .downcast_ref::<crate::preprocessing::FittedStandardScaler<f64>>()
        .expect("a FittedStandardScaler<f64>");
    assert_eq!(back.mean(), scaler.mean());
    Ok(())
}

#[test]
fn pipeline_file_round_trips_and_lists_its_steps() -> crate::Result<()> {
    let (x, y) = iris();
    let fitted = svc_pipeline().fit(&x, y.view())?;
    let file = Persist::to_model_file(&fitted)?;
    assert_eq!(file.metadata.kind, "Pipeline");
    assert_eq!(file.metadata.n_features, Some(4));
    assert_eq!(file.metadata.classes, Some(serde_json::json!([0, 1, 2])));
    let steps = file.metadata.steps()?;
    assert_eq!(steps.len(), 2);
    assert_eq!(
        (
            steps[0].name.as_str(),
            steps[0].role,
            steps[0].kind.as_str()
        ),
        ("scaler", StepRole::Transformer, "StandardScaler")
    );
    assert_eq!(
        (
            steps[1].name.as_str(),
            steps[1].role,
            steps[1].kind.as_str()
        ),
        ("svc", StepRole::Estimator, "Svc")
    );
    assert!(file.tensor("steps.0.mean").is_some());
    assert!(file.tensor_names().iter().all(|t| t.starts_with("steps.")));

    let bytes = fitted.to_bytes()?;
    let back = FittedPipeline::<usize>::from_bytes(&bytes)?;
    assert_eq!(back.step_names(), ["scaler", "svc"]);
    assert_eq!(back.predict(&x)?, fitted.predict(&x)?);
    assert_eq!(back.predict_proba(&x)?, fitted.predict_proba(&x)?);
    // Deterministic: the same model writes the same bytes.
    assert_eq!(back.to_bytes()?, bytes);

    // Through the registry, with labels of another integer type.
    let as_i64 = load_any_bytes(&bytes)?;
    let AnyModel::Classifier(m) = as_i64 else {
        panic!("integer labels load as AnyModel::Classifier, got {as_i64:?}")
    };
    assert_eq!(m.kind(), "Pipeline");
    assert_eq!(
        m.predict(Features::from(&x))?,
        fitted.predict(&x)?.mapv(|c| c as i64)
    );
    assert!(matches!(
        FittedPipeline::<String>::from_bytes(&bytes),
        Err(Error::Format { .. })
    ));
    Ok(())
}

#[test]
fn regression_and_transformer_pipelines_save_and_load() -> crate::Result<()> {
    let d = crate::datasets::diabetes();
    let pipe = Pipeline::<f64>::new()
        .transform("minmax", MinMaxScaler::new())
        .transform("std", StandardScaler::new())
        .estimator("ridge", Ridge::new().alpha(0.5));
    let fitted = pipe.fit(&d.records, d.targets.view())?;
    let z = StandardScaler::new()
        .fit_transform(MinMaxScaler::new().fit_transform(d.records.view())?.view())?;
    let ridge = Ridge::new().alpha(0.5).fit(z.view(), d.targets.view())?;
    assert_eq!(fitted.predict(&d.records)?, ridge.predict(z.view())?);
    assert!(fitted.classes().is_none());
    let AnyModel::Regressor(back) = load_any_bytes(&fitted.to_bytes()?)? else {
        panic!("a regression pipeline loads as a regressor")
    };
    assert_eq!(
        back.predict(Features::from(&d.records))?,
        fitted.predict(&d.records)?
    );
    assert!(matches!(
        fitted.predict_proba(&d.records),
        Err(Error::Unsupported {
            operation: "predict_proba",
            ..
        })
    ));

    // A pipeline of transformers only: fitted without targets, a transformer.
    let prep = Pipeline::<f64>::new()
        .transform("minmax", MinMaxScaler::new())
        .transform("std", StandardScaler::new());
    let fitted = prep.fit(&d.records, None)?;
    assert_eq!(fitted.transform(&d.records)?, z);
    assert!(matches!(
        fitted.predict(&d.records),
        Err(Error::Unsupported {
            operation: "predict",
            ..
        })
    ));
    let AnyModel::Transformer(t) = load_any_bytes(&fitted.to_bytes()?)? else {
        panic!("a transformer pipeline loads as a transformer")
    };
    assert_eq!(t.transform(Features::from(&d.records))?, z);
    assert_eq!((t.n_features_in(), t.n_features_out()), (10, 10));

    // A pipeline nested as a step of another.
    let outer = Pipeline::<f64>::new()
        .transform("prep", prep)
        .estimator("svr", Svr::new().c(50.0));
    let fitted = outer.fit(&d.records, d.targets.view())?;
    let back = FittedPipeline::<f64>::from_bytes(&fitted.to_bytes()?)?;
    assert_eq!(back.predict(&d.records)?, fitted.predict(&d.records)?);
    let names: Vec<String> = (0..10).map(|i| format!("x{i}")).collect();
    assert_eq!(back.feature_names_out(&names)?, names);
    Ok(())
}

#[test]
fn string_labels_and_f32_models_load_through_the_registry() -> crate::Result<()> {
    let x = array![
        [0.0, 1.0],
        [1.0, 0.0],
        [2.0, 1.0],
        [3.0, 0.0],
        [4.0, 1.0],
        [5.0, 0.0]
    ];
    let y = array!["a", "a", "a", "b", "b", "b"].mapv(String::from);
    let fitted = Pipeline::new()
        .transform("scaler", StandardScaler::new())
        .estimator("lr", LogisticRegression::<String>::new().c(100.0))
        .fit(&x, y.view())?;
    let AnyModel::StringClassifier(m) = load_any_bytes(&fitted.to_bytes()?)? else {
        panic!("string labels load as AnyModel::StringClassifier")
    };
    assert_eq!(m.predict(Features::from(&x))?, y);
    assert_eq!(
        m.predict_proba(Features::from(&x))?,
        fitted.predict_proba(&x)?
    );

    let x32 = x.mapv(|v| v as f32);
    let svr = Svr::new().fit(x32.view(), array![0.0f32, 1.0, 2.0, 3.0, 4.0, 5.0].view())?;
    let AnyModel::Regressor(m) = load_any_bytes(&svr.to_bytes()?)? else {
        panic!("an f32 Svr loads as a regressor")
    };
    let expect = svr.predict(x32.view())?.mapv(f64::from);
    assert_eq!(m.predict(Features::from(&x))?, expect);

    let net = crate::nn::LeNet5::mnist().seed(1).build()?;
    assert!(matches!(
        load_any_bytes(&net.to_bytes()?)?,
        AnyModel::Network(_)
    ));
    let scaler = StandardScaler::new().fit(x32.view())?;
    assert_eq!(
        load_any_bytes(&scaler.to_bytes()?)?.kind(),
        "StandardScaler"
    );
    Ok(())
}

#[test]
fn malformed_pipelines_are_typed_errors() {
    let (x, y) = iris();
    let invalid = |p: Pipeline<usize>| match p.fit(&x, y.view()) {
        Err(Error::InvalidParameter {
            name: "steps",
            reason,
        }) => reason,
        other => panic!("expected InvalidParameter(steps), got {other:?}"),
    };
    assert!(invalid(Pipeline::new()).contains("at least one step"));
    let twice = Pipeline::new()
        .transform("s", StandardScaler::new())
        .estimator("s", Svc::new());
    assert!(invalid(twice).contains("used twice"));
    let early = Pipeline::new()
        .estimator("svc", Svc::new())
        .transform("s", StandardScaler::new());
    assert!(invalid(early).contains("must be the last step"));
    assert!(invalid(Pipeline::new().estimator("a__b", Svc::new())).contains("__"));
    assert!(invalid(Pipeline::new().estimator("", Svc::new())).contains("non-empty"));

    assert!(matches!(
        svc_pipeline().fit(&x, None),
        Err(Error::EmptyInput { .. })
    ));
    assert!(matches!(
        svc_pipeline().fit(&x, y.slice(ndarray::s![..10])),
        Err(Error::ShapeMismatch { .. })
    ));
    let transformers = Pipeline::<usize>::new().transform("s", StandardScaler::new());
    assert!(matches!(
        Estimator::fit(&transformers, Features::from(&x), y.view()),
        Err(Error::InvalidParameter { name: "steps", .. })
    ));
    assert!(matches!(
        Transformer::fit(&svc_pipeline(), Features::from(&x), Some(y.view())),
        Err(Error::InvalidParameter { name: "steps", .. })
    ));
    assert!(matches!(
        transformers.fit_weighted(&x, y.view(), Array1::ones(150).view()),
        Err(Error::Unsupported { .. })
    ));
    // A step's own error comes through unchanged.
    let bad_c = Pipeline::new().estimator("svc", Svc::new().c(-1.0));
    assert!(matches!(
        bad_c.fit(&x, y.view()),
        Err(Error::InvalidParameter { name: "C", .. })
    ));
    // Wrong feature count at prediction.
    let fitted = svc_pipeline().fit(&x, y.view()).unwrap();
    assert!(matches!(
        fitted.predict(&Array2::zeros((2, 3))),
        Err(Error::ShapeMismatch { .. })
    ));
}

#[test]
fn malformed_pipeline_files_are_format_errors() -> crate::Result<()> {
    let (x, y) = iris();
    let fitted = svc_pipeline().fit(&x, y.view())?;
    let good = Persist::to_model_file(&fitted)?;
    let reload = |f: ModelFile| FittedPipeline::<usize>::from_bytes(&f.to_bytes().unwrap());

    let mut stray = good.clone();
    stray.push_f64("steps.7.coef", array![1.0].into_dyn());
    assert!(matches!(reload(stray), Err(Error::Format { .. })));

    let mut unknown = good.clone();
    unknown.metadata.hyperparameters["steps"][0]["kind"] = "Mystery".into();
    let err = reload(unknown).unwrap_err();
    assert!(err.to_string().contains("Mystery"), "{err}");

    let mut misplaced = good.clone();
    misplaced.metadata.hyperparameters["steps"][0]["role"] = "estimator".into();
    assert!(matches!(reload(misplaced), Err(Error::Format { .. })));

    let mut wrong_role = good.clone();
    wrong_role.metadata.hyperparameters["steps"][0]["kind"] = "Svc".into();
    assert!(matches!(
        reload(wrong_role),
        Err(Error::WrongModelKind { .. })
    ));

    let mut missing = good.clone();
    missing.take("steps.0.mean")?;
    assert!(matches!(reload(missing), Err(Error::Format { .. })));

    let mut width = good.clone();
    width.metadata.n_features = Some(5);
    assert!(matches!(reload(width), Err(Error::Format { .. })));

    let mut no_steps = good.clone();
    no_steps.metadata.hyperparameters = serde_json::json!({ "steps": [] });
    assert!(matches!(reload(no_steps), Err(Error::Format { .. })));

    // A nested step goes through its kind's validated loader.
    let mut nonfinite = good;
    nonfinite.push_f64("steps.0.scale", array![1.0, f64::NAN, 1.0, 1.0].into_dyn());
    assert!(reload(nonfinite).is_err());

    let ridge = Ridge::new().fit(x.view(), x.column(0))?;
    assert!(matches!(
        FittedPipeline::<usize>::from_bytes(&ridge.to_bytes()?),
        Err(Error::WrongModelKind { .. })
    ));
    assert!(matches!(
        registry::load_classifier::<usize>(Persist::to_model_file(&ridge)?),
        Err(Error::WrongModelKind { .. })
    ));
    assert!(matches!(
        registry::load_transformer(Persist::to_model_file(&ridge)?),
        Err(Error::WrongModelKind { .. })
    ));
    Ok(())
}

#[test]
fn params_name_every_step() {
    let pipe = Pipeline::<usize>::new()
        .transform("scaler", StandardScaler::new())
        .estimator(
            "svc",
            Svc::new().kernel(Kernel::Rbf {
                gamma: Gamma::Value(0.1),
            }),
        );
    let params = Estimator::params(&pipe);
    assert_eq!(params[0], ("scaler__with_mean".into(), "true".into()));
    assert!(params.contains(&("svc__gamma".into(), "0.1".into())));
    let boxed: Box<dyn Estimator<usize>> = Box::new(pipe);
    assert_eq!(boxed.clone().params(), params);
}

#[test]
fn dynamic_models_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Pipeline<usize>>();
    check::<FittedPipeline<String>>();
    check::<Box<dyn Estimator<f64>>>();
    check::<AnyModel>();
}

/// scikit-learn 1.9.1:
/// ```python
/// from sklearn.datasets import load_breast_cancer
/// from sklearn.pipeline import make_pipeline
/// from sklearn.preprocessing import StandardScaler
/// from sklearn.svm import SVC
/// X, y = load_breast_cancer(return_X_y=True)
/// p = make_pipeline(StandardScaler(), SVC(C=10.0)).fit(X, y)
/// print(repr(p.score(X, y)), p.decision_function(X[:4]).tolist(), p[-1].n_support_.tolist())
/// # 0.9912126537785588 [-1.0000796944264168, -2.408269611322097,
/// #                     -3.0116084692889253, -0.9999777647466607] [43, 50]
/// ```
#[test]
fn scaler_svc_pipeline_matches_scikit_learn() -> crate::Result<()> {
    let d = crate::datasets::breast_cancer();
    let fitted = Pipeline::new()
        .transform("scaler", StandardScaler::new())
        .estimator("svc", Svc::new().c(10.0))
        .fit(&d.records, d.targets.view())?;
    assert_eq!(
        fitted.score(&d.records, d.targets.view())?,
        0.9912126537785588
    );
    let dec = fitted.decision_function(d.records.slice(ndarray::s![..4, ..]))?;
    let expect = [
        -1.0000796944264168,
        -2.408269611322097,
        -3.0116084692889253,
        -0.9999777647466607,
    ];
    for (got, want) in dec.column(0).iter().zip(expect) {
        // libsvm's tolerance 1e-3 on the KKT violation bounds the gap.
        assert!((got - want).abs() < 2e-3, "{got} vs {want}");
    }
    let svc = fitted
        .final_estimator()
        .and_then(|e| {
            e.as_any()
                .downcast_ref::<crate::svm::FittedSvc<f64, usize>>()
        })
        .expect("a FittedSvc<f64, usize>");
    assert_eq!(svc.n_support(), [43, 50]);
    Ok(())
}
