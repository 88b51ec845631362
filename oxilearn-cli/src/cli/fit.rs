//! `oxilearn fit`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use ndarray::{Array1, Array2};
use oxilearn::persist::{Persist, fingerprint};
use oxilearn::prelude::*;
use serde::Deserialize;

use super::Failure;
use super::data::{self, TargetColumn, Targets};

/// Fit a model and save it as a model file.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Hyperparameters (--set KEY=VALUE, or [params] in --config), scikit-learn's names and defaults:
  linear    fit_intercept=true
  ridge     alpha=1.0 fit_intercept=true solver=auto|cholesky|svd
  logistic  C=1.0 penalty=l2|none fit_intercept=true max_iter=100 tol=1e-4
            class_weight=balanced solver=auto|lbfgs|newton-cholesky
  svc       C=1.0 kernel=rbf|linear|poly|sigmoid gamma=scale|auto|<number> degree=3 coef0=0
            tol=1e-3 probability=false class_weight=balanced shrinking=true
            cache_size=200 max_iter=<n> random_state=<seed>
  svr       C=1.0 epsilon=0.1 kernel=… gamma=… degree=3 coef0=0 tol=1e-3 shrinking=true
            cache_size=200 max_iter=<n>

Config file (TOML), every key optional; flags override it:
  model = \"svc\"
  data = \"train.csv\"
  target = \"label\"
  out = \"models/spam/1/model.safetensors\"
  [params]
  C = 10.0
  gamma = \"scale\"
  probability = true
  [metadata]
  tag = \"v1\"

Classifiers (logistic, svc) take integer or string labels; regressors (linear, ridge, svr)
numeric targets. The file records the training data's fingerprint, size and feature
names as user metadata (see `oxilearn inspect`).

Examples:
  oxilearn fit svc --data spam.csv --target spam --set C=10 --set probability=true -o models/spam/1/model.safetensors
  oxilearn fit --config fit.toml")]
pub struct FitArgs {
    /// The estimator (or `model` in --config).
    #[arg(value_enum)]
    pub estimator: Option<Estimator>,
    /// Training data: a CSV with a header row, or a 2-D .npy array.
    #[arg(long, short = 'd')]
    pub data: Option<PathBuf>,
    /// Target column of a CSV: a name or a 0-based index (default: the last column).
    #[arg(long, short = 't')]
    pub target: Option<String>,
    /// Targets of a .npy feature file: a 1-D .npy array.
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// Where to write the model file (atomically).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// A TOML file with the same settings.
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,
    /// A hyperparameter, KEY=VALUE (repeatable).
    #[arg(long = "set", short = 's', value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// User metadata stored in the file, KEY=VALUE (repeatable).
    #[arg(long = "meta", value_name = "KEY=VALUE")]
    pub meta: Vec<String>,
    /// No progress display.
    #[arg(long)]
    pub quiet: bool,
}

/// The estimators `fit` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Estimator {
    /// Ordinary least squares.
    Linear,
    /// Ridge regression (L2-penalised least squares).
    Ridge,
    /// Logistic regression (binary or multinomial).
    Logistic,
    /// Kernel support vector classifier (libsvm's C-SVC).
    Svc,
    /// Kernel support vector regression (libsvm's ε-SVR).
    Svr,
}

/// The `--config` file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    model: Option<Estimator>,
    data: Option<PathBuf>,
    target: Option<String>,
    labels: Option<PathBuf>,
    out: Option<PathBuf>,
    #[serde(default)]
    params: toml::Table,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinearParams {
    fit_intercept: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RidgeParams {
    alpha: Option<f64>,
    fit_intercept: Option<bool>,
    solver: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogisticParams {
    #[serde(rename = "C", alias = "c")]
    c: Option<f64>,
    penalty: Option<String>,
    fit_intercept: Option<bool>,
    max_iter: Option<usize>,
    tol: Option<f64>,
    class_weight: Option<String>,
    solver: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum GammaParam {
    Number(f64),
    Name(String),
}

/// The kernel settings of an SVM's parameters.
struct KernelParams<'a> {
    kernel: &'a Option<String>,
    gamma: &'a Option<GammaParam>,
    degree: Option<u32>,
    coef0: Option<f64>,
}

macro_rules! kernel_params {
    ($p:expr) => {
        KernelParams {
            kernel: &$p.kernel,
            gamma: &$p.gamma,
            degree: $p.degree,
            coef0: $p.coef0,
        }
    };
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SvcParams {
    #[serde(rename = "C", alias = "c")]
    c: Option<f64>,
    kernel: Option<String>,
    gamma: Option<GammaParam>,
    degree: Option<u32>,
    coef0: Option<f64>,
    tol: Option<f64>,
    probability: Option<bool>,
    class_weight: Option<String>,
    shrinking: Option<bool>,
    cache_size: Option<f64>,
    max_iter: Option<usize>,
    random_state: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SvrParams {
    #[serde(rename = "C", alias = "c")]
    c: Option<f64>,
    epsilon: Option<f64>,
    kernel: Option<String>,
    gamma: Option<GammaParam>,
    degree: Option<u32>,
    coef0: Option<f64>,
    tol: Option<f64>,
    shrinking: Option<bool>,
    cache_size: Option<f64>,
    max_iter: Option<usize>,
}

fn params<T: for<'de> Deserialize<'de>>(est: Estimator, table: &toml::Table) -> Result<T, Failure> {
    T::deserialize(toml::Value::Table(table.clone())).map_err(|e| {
        Failure(format!(
            "hyperparameters for {est:?}: {}; see `oxilearn fit --help`",
            e.to_string().trim()
        ))
    })
}

/// `KEY=VALUE` → (key, TOML value: a number, boolean or string).
fn key_value(s: &str, what: &str) -> Result<(String, toml::Value), Failure> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| Failure(format!("{what} `{s}` is not KEY=VALUE")))?;
    let v = v.trim();
    let value = format!("x = {v}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("x"))
        .filter(|v| !v.is_table() && !v.is_array())
        .unwrap_or_else(|| toml::Value::String(v.to_string()));
    Ok((k.trim().to_string(), value))
}

fn kernel(p: KernelParams<'_>) -> Result<Kernel, Failure> {
    let gamma = match p.gamma {
        None => Gamma::Scale,
        Some(GammaParam::Number(g)) => Gamma::Value(*g),
        Some(GammaParam::Name(n)) if n == "scale" => Gamma::Scale,
        Some(GammaParam::Name(n)) if n == "auto" => Gamma::Auto,
        Some(GammaParam::Name(n)) => {
            return Err(Failure(format!(
                "gamma must be `scale`, `auto` or a number, got `{n}`"
            )));
        }
    };
    let degree = p.degree.unwrap_or(3);
    let coef0 = p.coef0.unwrap_or(0.0);
    Ok(match p.kernel.as_deref().unwrap_or("rbf") {
        "rbf" => Kernel::Rbf { gamma },
        "linear" => Kernel::Linear,
        "poly" => Kernel::Poly {
            degree,
            gamma,
            coef0,
        },
        "sigmoid" => Kernel::Sigmoid { gamma, coef0 },
        other => {
            return Err(Failure(format!(
                "kernel must be rbf, linear, poly or sigmoid, got `{other}`"
            )));
        }
    })
}

/// A progress display on standard error (hidden when it is not a terminal).
fn progress(quiet: bool, est: Estimator) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {elapsed_precise} fitting {prefix}: {msg}")
            .expect("valid template"),
    );
    pb.set_prefix(format!("{est:?}").to_lowercase());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

fn svm_progress(pb: &ProgressBar) -> impl Fn(&oxilearn::svm::Progress) + Send + Sync + 'static {
    let pb = Arc::new(pb.clone());
    move |p: &oxilearn::svm::Progress| {
        if p.iteration.is_multiple_of(256) || p.done {
            pb.set_message(format!(
                "sub-problem {}/{}, iteration {}, violation {:.2e}, {} active",
                p.task + 1,
                p.n_tasks,
                p.iteration,
                p.violation,
                p.active
            ));
        }
    }
}

/// Integer labels from numeric targets (classification).
fn int_labels(y: &Array1<f64>) -> Result<Array1<i64>, Failure> {
    y.iter()
        .enumerate()
        .map(|(i, &v)| {
            if v.fract() == 0.0 && v.abs() < 9.0e15 {
                Ok(v as i64)
            } else {
                Err(Failure(format!(
                    "row {i}: target {v} is not a class label; classifiers take integer or \
                     string labels (use a regressor for continuous targets)"
                )))
            }
        })
        .collect()
}

/// Saves a fitted model with user metadata.
type Saver = Box<dyn Fn(&Path, &BTreeMap<String, String>) -> oxilearn::Result<()>>;

struct Fitted {
    save: Saver,
    summary: String,
}

fn fitted<M: Persist + 'static>(model: M, summary: String) -> Fitted {
    Fitted {
        save: Box::new(move |p, user| model.save_with(p, user)),
        summary,
    }
}

fn fit_classifier<L>(
    est: Estimator,
    table: &toml::Table,
    x: &Array2<f64>,
    y: Array1<L>,
    pb: &ProgressBar,
) -> Result<Fitted, Failure>
where
    L: Clone
        + Eq
        + std::hash::Hash
        + Ord
        + std::fmt::Debug
        + serde::Serialize
        + serde::de::DeserializeOwned
        + Send
        + Sync
        + 'static,
{
    match est {
        Estimator::Logistic => {
            let p: LogisticParams = params(est, table)?;
            let mut m = LogisticRegression::new();
            if let Some(c) = p.c {
                m = m.c(c);
            }
            if let Some(t) = p.tol {
                m = m.tol(t);
            }
            if let Some(n) = p.max_iter {
                m = m.max_iter(n);
            }
            if let Some(b) = p.fit_intercept {
                m = m.fit_intercept(b);
            }
            match p.penalty.as_deref() {
                None | Some("l2") => {}
                Some("none") => m = m.penalty(oxilearn::logistic::Penalty::None),
                Some(o) => return Err(Failure(format!("penalty must be l2 or none, got `{o}`"))),
            }
            match p.class_weight.as_deref() {
                None => {}
                Some("balanced") => m = m.class_weight(oxilearn::logistic::ClassWeight::Balanced),
                Some(o) => {
                    return Err(Failure(format!("class_weight must be balanced, got `{o}`")));
                }
            }
            match p.solver.as_deref() {
                None | Some("auto") => {}
                Some("lbfgs") => m = m.solver(oxilearn::logistic::Solver::Lbfgs),
                Some("newton-cholesky") => m = m.solver(oxilearn::logistic::Solver::NewtonCholesky),
                Some(o) => {
                    return Err(Failure(format!(
                        "solver must be auto, lbfgs or newton-cholesky, got `{o}`"
                    )));
                }
            }
            pb.set_message("optimising");
            let model = m.fit(x.view(), y.view())?;
            let acc = model.score(x.view(), y.view())?;
            let summary = format!(
                "{} iterations (converged: {}), training accuracy {acc:.4}",
                model.n_iter(),
                model.converged()
            );
            Ok(fitted(model, summary))
        }
        Estimator::Svc => {
            let p: SvcParams = params(est, table)?;
            let mut m = Svc::new().kernel(kernel(kernel_params!(p))?);
            if let Some(c) = p.c {
                m = m.c(c);
            }
            if let Some(t) = p.tol {
                m = m.tol(t);
            }
            if let Some(b) = p.probability {
                m = m.probability(b);
            }
            if let Some(b) = p.shrinking {
                m = m.shrinking(b);
            }
            if let Some(mb) = p.cache_size {
                m = m.cache_size(mb);
            }
            if p.max_iter.is_some() {
                m = m.max_iter(p.max_iter);
            }
            if let Some(s) = p.random_state {
                m = m.seed(s);
            }
            match p.class_weight.as_deref() {
                None => {}
                Some("balanced") => m = m.class_weight(oxilearn::svm::ClassWeight::Balanced),
                Some(o) => {
                    return Err(Failure(format!("class_weight must be balanced, got `{o}`")));
                }
            }
            let m = m.progress(svm_progress(pb));
            let model = m.fit(x.view(), y.view())?;
            pb.set_message("scoring on the training data");
            let pred = model.predict(x.view())?;
            let acc = pred.iter().zip(&y).filter(|(a, b)| a == b).count() as f64 / y.len() as f64;
            let summary = format!(
                "{} support vectors (converged: {}), training accuracy {acc:.4}",
                model.support().len(),
                model.converged()
            );
            Ok(fitted(model, summary))
        }
        _ => unreachable!("classifiers only"),
    }
}

fn fit_regressor(
    est: Estimator,
    table: &toml::Table,
    x: &Array2<f64>,
    y: &Array1<f64>,
    pb: &ProgressBar,
) -> Result<Fitted, Failure> {
    match est {
        Estimator::Linear => {
            let p: LinearParams = params(est, table)?;
            let model = LinearRegression::new()
                .fit_intercept(p.fit_intercept.unwrap_or(true))
                .fit(x.view(), y.view())?;
            let r2 = model.score(x.view(), y.view())?;
            Ok(fitted(model, format!("training R² {r2:.4}")))
        }
        Estimator::Ridge => {
            let p: RidgeParams = params(est, table)?;
            let mut m = Ridge::new().fit_intercept(p.fit_intercept.unwrap_or(true));
            if let Some(a) = p.alpha {
                m = m.alpha(a);
            }
            match p.solver.as_deref() {
                None | Some("auto") => {}
                Some("cholesky") => m = m.solver(oxilearn::linear::RidgeSolver::Cholesky),
                Some("svd") => m = m.solver(oxilearn::linear::RidgeSolver::Svd),
                Some(o) => {
                    return Err(Failure(format!(
                        "solver must be auto, cholesky or svd, got `{o}`"
                    )));
                }
            }
            let model = m.fit(x.view(), y.view())?;
            let r2 = model.score(x.view(), y.view())?;
            Ok(fitted(model, format!("training R² {r2:.4}")))
        }
        Estimator::Svr => {
            let p: SvrParams = params(est, table)?;
            let mut m = Svr::new().kernel(kernel(kernel_params!(p))?);
            if let Some(c) = p.c {
                m = m.c(c);
            }
            if let Some(e) = p.epsilon {
                m = m.epsilon(e);
            }
            if let Some(t) = p.tol {
                m = m.tol(t);
            }
            if let Some(b) = p.shrinking {
                m = m.shrinking(b);
            }
            if let Some(mb) = p.cache_size {
                m = m.cache_size(mb);
            }
            if p.max_iter.is_some() {
                m = m.max_iter(p.max_iter);
            }
            let model = m.progress(svm_progress(pb)).fit(x.view(), y.view())?;
            pb.set_message("scoring on the training data");
            let r2 = oxilearn::metrics::r2_score(y.view(), model.predict(x.view())?.view())?;
            let summary = format!(
                "{} support vectors (converged: {}), training R² {r2:.4}",
                model.support().len(),
                model.converged()
            );
            Ok(fitted(model, summary))
        }
        _ => unreachable!("regressors only"),
    }
}

/// Fits and saves.
///
/// # Errors
/// Missing settings, unreadable data, invalid hyperparameters, a failed fit
/// or write.
pub fn run(args: FitArgs) -> Result<(), Failure> {
    let config: Config = match &args.config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| Failure(format!("cannot read {}: {e}", p.display())))?;
            toml::from_str(&text)
                .map_err(|e| Failure(format!("{}: {}", p.display(), e.to_string().trim())))?
        }
        None => Config::default(),
    };
    let est = args.estimator.or(config.model).ok_or_else(|| {
        Failure(
            "which estimator? give one (e.g. `oxilearn fit svc …`) or `model` in --config".into(),
        )
    })?;
    let data_path =
        args.data.clone().or(config.data.clone()).ok_or_else(|| {
            Failure("no training data: give --data (or `data` in --config)".into())
        })?;
    let out = args
        .out
        .clone()
        .or(config.out.clone())
        .ok_or_else(|| Failure("where to save? give --out (or `out` in --config)".into()))?;
    let target = match args.target.clone().or(config.target.clone()) {
        Some(t) => TargetColumn::Named(t),
        None => TargetColumn::Last,
    };
    let labels = args.labels.clone().or(config.labels.clone());
    if is_npy_without_labels(&data_path, labels.as_deref()) {
        return Err(Failure(format!(
            "{} is a .npy feature file: give its targets with --labels y.npy",
            data_path.display()
        )));
    }
    let mut table = config.params.clone();
    for s in &args.set {
        let (k, v) = key_value(s, "--set")?;
        table.insert(k, v);
    }
    let mut user = config.metadata.clone();
    for s in &args.meta {
        let (k, v) = key_value(s, "--meta")?;
        user.insert(k, v.as_str().map_or_else(|| v.to_string(), str::to_string));
    }

    let t0 = Instant::now();
    let data = data::read(&data_path, &target, labels.as_deref())?;
    let targets = data.targets.clone().expect("a target was selected");
    let (n, d) = data.x.dim();
    let pb = progress(args.quiet, est);
    let result = match (est, targets) {
        (Estimator::Logistic | Estimator::Svc, Targets::Labels(y)) => {
            fit_classifier(est, &table, &data.x, y, &pb)
        }
        (Estimator::Logistic | Estimator::Svc, Targets::Numbers(y)) => {
            fit_classifier(est, &table, &data.x, int_labels(&y)?, &pb)
        }
        (_, Targets::Numbers(y)) => fit_regressor(est, &table, &data.x, &y, &pb),
        (_, Targets::Labels(_)) => Err(Failure(format!(
            "{est:?} is a regressor but the target column `{}` holds strings; \
             use logistic or svc for class labels",
            data.target_name.as_deref().unwrap_or("target")
        ))),
    };
    pb.finish_and_clear();
    let fitted = result?;
    user.entry("training_data".into()).or_insert_with(|| {
        data_path
            .file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
    });
    user.insert("training_fingerprint".into(), fingerprint(data.x.view()));
    user.insert("training_rows".into(), n.to_string());
    user.insert(
        "feature_names".into(),
        serde_json::to_string(&data.feature_names)?,
    );
    if let Some(t) = &data.target_name {
        user.insert("target".into(), t.clone());
    }
    if let Some(dir) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure(format!("cannot create {}: {e}", dir.display())))?;
    }
    (fitted.save)(&out, &user).map_err(|e| Failure(format!("cannot save the model: {e}")))?;
    eprintln!(
        "fitted {est:?} on {n} rows × {d} features in {:.2} s: {}\nsaved {}",
        t0.elapsed().as_secs_f64(),
        fitted.summary,
        out.display()
    );
    Ok(())
}

fn is_npy_without_labels(data: &Path, labels: Option<&Path>) -> bool {
    labels.is_none()
        && data
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("npy"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_values_parse_as_toml_scalars_or_strings() {
        assert_eq!(key_value("C=10", "").unwrap().1, toml::Value::Integer(10));
        assert_eq!(
            key_value("tol=1e-4", "").unwrap().1,
            toml::Value::Float(1e-4)
        );
        assert_eq!(
            key_value("probability=true", "").unwrap().1,
            toml::Value::Boolean(true)
        );
        assert_eq!(
            key_value("kernel = rbf", "").unwrap(),
            ("kernel".to_string(), toml::Value::String("rbf".into()))
        );
        assert!(key_value("oops", "--set").is_err());
    }

    #[test]
    fn unknown_or_mistyped_hyperparameters_are_refused() {
        let mut t = toml::Table::new();
        t.insert("gama".into(), toml::Value::Float(0.1));
        let e = params::<SvcParams>(Estimator::Svc, &t).unwrap_err().0;
        assert!(e.contains("gama"), "{e}");
        let mut t = toml::Table::new();
        t.insert("C".into(), toml::Value::String("big".into()));
        assert!(params::<SvcParams>(Estimator::Svc, &t).is_err());
        let mut t = toml::Table::new();
        t.insert("C".into(), toml::Value::Integer(3));
        t.insert("gamma".into(), toml::Value::String("auto".into()));
        let p: SvcParams = params(Estimator::Svc, &t).unwrap();
        assert_eq!(p.c, Some(3.0));
        assert!(matches!(
            kernel(kernel_params!(p)).unwrap(),
            Kernel::Rbf { gamma: Gamma::Auto }
        ));
    }
}
