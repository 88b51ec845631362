//! The tuning loop on the bundled breast_cancer data: `Pipeline(StandardScaler
//! → Svc)` tuned by `GridSearchCV` (C × γ, 5 stratified folds) on a training
//! split; the top 5 rows of `cv_results`; the classification report of the
//! refit model on the held-out test split; the validation curve along C and
//! the learning curve (printed); with the `plots` feature, SVG plots of the
//! validation curve, the learning curve, the test split's ROC curve and
//! confusion matrix; the best model saved as one model file and loaded back.
//!
//! `cargo run --release --features plots --example model_selection [OUT_DIR]`
//! (default: the system's temporary directory; without `--features plots`
//! it prints everything but writes no plots). Finishes in a few seconds.

use std::path::{Path, PathBuf};

use oxilearn::compose::{AnyModel, Features, Pipeline, load_any};
use oxilearn::data::stratified_train_test_split;
use oxilearn::datasets;
use oxilearn::metrics::{classification_report, confusion_matrix, roc_curve};
use oxilearn::model_selection::{
    CrossValidate, GridSearchCV, LearningCurve, ParamGrid, Scorer, StratifiedKFold, learning_curve,
    validation_curve,
};
use oxilearn::preprocessing::StandardScaler;
use oxilearn::svm::{Gamma, Kernel, Svc};

fn rbf(gamma: Gamma) -> Kernel {
    Kernel::Rbf { gamma }
}

/// Prints the error with `Display` (what a user reads), not `Debug`.
fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> oxilearn::Result<()> {
    let out_dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let d = datasets::breast_cancer();
    let split = stratified_train_test_split(d.records.view(), d.targets.view(), 0.25, 0)?;

    // Preprocessing is refit inside every training fold: no leakage.
    let pipe = Pipeline::new()
        .transform("scaler", StandardScaler::new())
        .estimator("svc", Svc::new());
    let grid = ParamGrid::new(pipe.clone())
        .estimator_axis("svc", "C", [0.1, 1.0, 10.0, 100.0], |s: Svc, c| s.c(c))
        .estimator_axis(
            "svc",
            "gamma",
            [
                Gamma::Value(0.001),
                Gamma::Value(0.01),
                Gamma::Value(0.1),
                Gamma::Scale,
            ],
            |s: Svc, g| s.kernel(rbf(g)),
        );
    let search = GridSearchCV::new(grid)
        .cv(StratifiedKFold::new(5))
        .fit(&split.x_train, split.y_train.view())?;
    println!("GridSearchCV, 16 candidates × 5 folds; the top 5:");
    println!("{}", search.cv_results().top(5));
    println!(
        "best {:?}: mean accuracy {:.4}\n",
        search.best_params(),
        search.best_score()
    );

    let best = search.best_estimator().expect("refit is on by default");
    let best_pipe = search.best_candidate();
    let predicted = best.predict(Features::from(&split.x_test))?;
    let names = &d.target_names;
    let named = |y: &oxilearn::ndarray::Array1<usize>| y.mapv(|c| names[c].clone());
    let report = classification_report(named(&split.y_test).view(), named(&predicted).view())?;
    println!(
        "held-out test split ({} rows):\n{report}",
        split.y_test.len()
    );

    // Validation curve along C (γ = 'scale').
    let along_c = ParamGrid::new(pipe).estimator_axis(
        "svc",
        "C",
        [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0],
        |s: Svc, c| s.c(c),
    );
    let cv = CrossValidate::new()
        .cv(StratifiedKFold::new(5))
        .scorer(Scorer::named("accuracy")?);
    let curve = validation_curve(&along_c, &split.x_train, split.y_train.view(), &cv)?;
    println!("validation curve (accuracy, mean ± std over 5 folds):\n{curve}");
    let sizes = LearningCurve::default_sizes();
    let learning = learning_curve(best_pipe, &split.x_train, split.y_train.view(), &sizes, &cv)?;
    println!("learning curve of the best candidate:\n{learning}");

    // Plots (feature `plots`).
    let scores = best.decision_function(Features::from(&split.x_test))?;
    let roc = roc_curve(split.y_test.view(), scores.column(0))?;
    println!("test split ROC AUC {:.4}", roc.auc());
    let (cm, labels) = confusion_matrix(named(&split.y_test).view(), named(&predicted).view())?;
    write_plots(&out_dir, &curve, &learning, &roc, cm.view(), &labels)?;

    let model = out_dir.join("oxilearn_best_pipeline.safetensors");
    search.save_best(&model)?;
    let AnyModel::Classifier(back) = load_any(&model)? else {
        unreachable!("integer labels load as a Classifier");
    };
    let again = back.predict(Features::from(&split.x_test))?;
    assert!(again.iter().zip(&predicted).all(|(a, &b)| *a == b as i64));
    println!("model: {} (loaded back, same predictions)", model.display());
    Ok(())
}

/// Writes the four plots as SVG files into `out_dir`.
#[cfg(feature = "plots")]
fn write_plots(
    out_dir: &Path,
    validation: &oxilearn::model_selection::ValidationCurve,
    learning: &LearningCurve,
    roc: &oxilearn::metrics::RocCurve,
    cm: oxilearn::ndarray::ArrayView2<'_, usize>,
    labels: &[String],
) -> oxilearn::Result<()> {
    use oxilearn::plots;
    let files = [
        (
            "oxilearn_validation_curve.svg",
            plots::validation_curve(validation)?,
        ),
        (
            "oxilearn_learning_curve.svg",
            plots::learning_curve(learning)?,
        ),
        ("oxilearn_roc_curve.svg", plots::roc_curve(roc)?),
        (
            "oxilearn_confusion_matrix.svg",
            plots::confusion_matrix(cm, labels)?,
        ),
    ];
    for (name, svg) in files {
        let path = out_dir.join(name);
        svg.save(&path)?;
        println!("plot: {}", path.display());
    }
    Ok(())
}

/// Without the `plots` feature: say how to get the plots.
#[cfg(not(feature = "plots"))]
fn write_plots(
    _out_dir: &Path,
    _validation: &oxilearn::model_selection::ValidationCurve,
    _learning: &LearningCurve,
    _roc: &oxilearn::metrics::RocCurve,
    _cm: oxilearn::ndarray::ArrayView2<'_, usize>,
    _labels: &[String],
) -> oxilearn::Result<()> {
    println!("no plots written: run with `--features plots` to get the SVG files");
    Ok(())
}
