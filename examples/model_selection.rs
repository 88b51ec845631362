//! The tuning loop on the bundled breast_cancer data: `Pipeline(StandardScaler
//! → Svc)` tuned by `GridSearchCV` (C × γ, 5 stratified folds) on a training
//! split; the top 5 rows of `cv_results`; the classification report of the
//! refit model on the held-out test split; the validation curve along C
//! (printed, and written as an SVG plot); the best model saved as one model
//! file and loaded back.
//!
//! `cargo run --release --example model_selection [OUT_DIR]` (default: the
//! system's temporary directory). Finishes in a few seconds.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use oxilearn::compose::{AnyModel, Features, Pipeline, load_any};
use oxilearn::data::stratified_train_test_split;
use oxilearn::datasets;
use oxilearn::metrics::classification_report;
use oxilearn::model_selection::{
    CrossValidate, GridSearchCV, ParamGrid, Scorer, StratifiedKFold, ValidationCurve,
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
    let svg = out_dir.join("oxilearn_validation_curve.svg");
    write_svg(&curve, &svg)?;
    println!("plot: {}", svg.display());

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

/// The validation curve as a small SVG line plot (C on a log axis; mean
/// train and test accuracy with ±1 std bands).
fn write_svg(curve: &ValidationCurve, path: &Path) -> oxilearn::Result<()> {
    let xs: Vec<f64> = curve
        .param_values
        .iter()
        .map(|v| v.parse::<f64>().map(f64::log10).unwrap_or(0.0))
        .collect();
    let (w, h, m) = (640.0, 400.0, 56.0);
    let (x0, x1) = (xs[0], xs[xs.len() - 1]);
    let (train, train_sd) = curve.train_mean_std();
    let (test, test_sd) = curve.test_mean_std();
    let lo = test
        .iter()
        .zip(&test_sd)
        .map(|(m, s)| m - s)
        .fold(1.0f64, f64::min)
        .min(train.iter().fold(1.0, |a, &b| a.min(b)));
    let lo = (lo * 10.0).floor() / 10.0;
    let px = |x: f64| m + (x - x0) / (x1 - x0) * (w - 2.0 * m);
    let py = |y: f64| h - m - (y - lo) / (1.0 - lo) * (h - 2.0 * m);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="20" text-anchor="middle" font-size="14">Validation curve: Pipeline(StandardScaler → SVC), γ = scale</text>"#,
        w / 2.0
    );
    // Axes, ticks and labels.
    let _ = writeln!(
        s,
        r#"<path d="M{m} {} V{} H{}" stroke="black" fill="none"/>"#,
        m,
        h - m,
        w - m
    );
    for (x, label) in xs.iter().zip(&curve.param_values) {
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{label}</text>"#,
            px(*x),
            h - m + 16.0
        );
    }
    let mut y = lo;
    while y <= 1.0 + 1e-9 {
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{y:.1}</text><path d="M{m} {:.1} H{}" stroke="lightgray"/>"#,
            m - 6.0,
            py(y) + 4.0,
            py(y),
            w - m
        );
        y += 0.1;
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">C</text>"#,
        w / 2.0,
        h - 12.0
    );
    for (mean, sd, colour, name, dy) in [
        (&train, &train_sd, "#1f77b4", "train", 0.0),
        (&test, &test_sd, "#d62728", "cross-validation", 16.0),
    ] {
        let band: Vec<String> = xs
            .iter()
            .zip(mean.iter().zip(sd))
            .map(|(&x, (&mu, &sd))| format!("{:.1},{:.1}", px(x), py(mu + sd)))
            .chain(
                xs.iter()
                    .zip(mean.iter().zip(sd))
                    .rev()
                    .map(|(&x, (&mu, &sd))| format!("{:.1},{:.1}", px(x), py(mu - sd))),
            )
            .collect();
        let line: Vec<String> = xs
            .iter()
            .zip(mean)
            .map(|(&x, &mu)| format!("{:.1},{:.1}", px(x), py(mu)))
            .collect();
        let _ = writeln!(
            s,
            r#"<polygon points="{}" fill="{colour}" fill-opacity="0.2"/><polyline points="{}" stroke="{colour}" stroke-width="2" fill="none"/>"#,
            band.join(" "),
            line.join(" ")
        );
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" fill="{colour}">— {name}</text>"#,
            w - m - 120.0,
            h - m - 40.0 + dy
        );
    }
    s.push_str("</svg>\n");
    std::fs::write(path, s).map_err(|e| oxilearn::Error::io(path, e))
}
