//! `oxilearn fit`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use ndarray::{Array1, Array2, ArrayView1};
use oxilearn::compose::{self, Features, FittedEstimator, Label, Target};
use oxilearn::logistic::FittedLogisticRegression;
use oxilearn::outlier::{
    Contamination, FittedIsolationForest, IsolationForest, MaxFeatures, MaxSamples,
};
use oxilearn::persist::fingerprint;
use oxilearn::prelude::*;
use oxilearn::preprocessing::{
    ImputeStrategy, MaxAbsScaler, MinMaxScaler, Norm, Normalizer, RobustScaler, SimpleImputer,
    StandardScaler,
};
use oxilearn::svm::{
    FittedLinearSvc, FittedLinearSvr, FittedNuSvc, FittedNuSvr, FittedOneClassSvm, FittedSvc,
    FittedSvr, LinearSvc, LinearSvcLoss, LinearSvcSolver, LinearSvmPenalty, LinearSvr,
    LinearSvrLoss, NuSvc, NuSvr, OneClassSvm,
};
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
  nu-svc    nu=0.5 kernel=… gamma=… degree=3 coef0=0 tol=1e-3 probability=false
            shrinking=true cache_size=200 max_iter=<n> random_state=<seed>
  nu-svr    nu=0.5 C=1.0 kernel=… gamma=… degree=3 coef0=0 tol=1e-3 shrinking=true
            cache_size=200 max_iter=<n>
  linear-svc  C=1.0 loss=squared_hinge|hinge penalty=l2|l1 dual=auto|true|false tol=1e-4
            max_iter=1000 fit_intercept=true intercept_scaling=1 class_weight=balanced
            random_state=<seed>
  linear-svr  C=1.0 epsilon=0.0 loss=epsilon_insensitive|squared_epsilon_insensitive
            tol=1e-4 max_iter=1000 fit_intercept=true intercept_scaling=1 random_state=<seed>
  one-class-svm  nu=0.5 kernel=… gamma=… degree=3 coef0=0 tol=1e-3 shrinking=true
            cache_size=200 max_iter=<n>   (no target, as isolation-forest)
  isolation-forest  n_estimators=100 max_samples=auto|<count>|<fraction>
            contamination=auto|<fraction> max_features=<count>|<fraction> bootstrap=false
            random_state=<seed>   (no target: every column is a feature unless --target
            names one to leave out; predict gives 1 for inliers, -1 for outliers)

Preprocessing (--preprocess KIND, repeatable, or [[preprocess]] tables in --config, in order):
the model file is then a pipeline (steps → estimator), served and predicted as one model.
  standard_scaler (standard)  with_mean=true with_std=true
  minmax_scaler (minmax)      feature_range=[0, 1] clip=false
  robust_scaler (robust)      with_centering=true with_scaling=true quantile_range=[25, 75]
                              unit_variance=false
  maxabs_scaler (maxabs)
  normalizer                  norm=l2|l1|max
  simple_imputer (imputer)    strategy=mean|median|most_frequent|constant fill_value=<number>
                              add_indicator=false   (as the first step, empty cells and
                              NA/N/A/NaN/nan/null/? in the data become missing values)

Config file (TOML), every key optional; flags override it:
  model = \"svc\"
  data = \"train.csv\"
  target = \"label\"
  out = \"models/spam/1/model.safetensors\"
  [params]
  C = 10.0
  gamma = \"scale\"
  probability = true
  [[preprocess]]
  kind = \"simple_imputer\"
  strategy = \"median\"
  [[preprocess]]
  kind = \"standard_scaler\"
  [metadata]
  tag = \"v1\"

Classifiers (logistic, svc, nu-svc, linear-svc) take integer or string labels; regressors
(linear, ridge, svr, nu-svr, linear-svr) numeric targets. The file records the training data's fingerprint, size and feature
names as user metadata (see `oxilearn inspect`).

Examples:
  oxilearn fit svc --data spam.csv --target spam --set C=10 --set probability=true -o models/spam/1/model.safetensors
  oxilearn fit svc --data spam.csv --target spam --preprocess standard -o models/spam/1/model.safetensors
  oxilearn fit isolation-forest --data readings.csv --set contamination=0.01 -o models/anomaly/1/model.safetensors
  oxilearn fit one-class-svm --data readings.csv --set nu=0.05 -p standard -o models/novelty/1/model.safetensors
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
    /// A preprocessing step before the estimator, with its defaults (repeatable, in order;
    /// replaces `[[preprocess]]` of --config). Kinds: see below.
    #[arg(long = "preprocess", short = 'p', value_name = "KIND")]
    pub preprocess: Vec<String>,
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
    /// ν-support vector classifier (libsvm's ν-SVC).
    #[value(name = "nu-svc", alias = "nu_svc")]
    #[serde(rename = "nu_svc", alias = "nu-svc")]
    NuSvc,
    /// ν-support vector regression (libsvm's ν-SVR).
    #[value(name = "nu-svr", alias = "nu_svr")]
    #[serde(rename = "nu_svr", alias = "nu-svr")]
    NuSvr,
    /// Linear support vector classifier (liblinear's, one-vs-rest).
    #[value(name = "linear-svc", alias = "linear_svc")]
    #[serde(rename = "linear_svc", alias = "linear-svc")]
    LinearSvc,
    /// Linear support vector regression (liblinear's).
    #[value(name = "linear-svr", alias = "linear_svr")]
    #[serde(rename = "linear_svr", alias = "linear-svr")]
    LinearSvr,
    /// One-class SVM novelty detector (libsvm's one-class SVM; no target).
    #[value(name = "one-class-svm", alias = "one_class_svm")]
    #[serde(rename = "one_class_svm", alias = "one-class-svm")]
    OneClassSvm,
    /// Isolation forest outlier detector (no target).
    #[value(name = "isolation-forest", alias = "isolation_forest")]
    #[serde(rename = "isolation_forest", alias = "isolation-forest")]
    IsolationForest,
}

impl Estimator {
    /// The estimator's step name in a pipeline and in messages.
    fn name(self) -> &'static str {
        match self {
            Estimator::Linear => "linear",
            Estimator::Ridge => "ridge",
            Estimator::Logistic => "logistic",
            Estimator::Svc => "svc",
            Estimator::Svr => "svr",
            Estimator::NuSvc => "nu_svc",
            Estimator::NuSvr => "nu_svr",
            Estimator::LinearSvc => "linear_svc",
            Estimator::LinearSvr => "linear_svr",
            Estimator::OneClassSvm => "one_class_svm",
            Estimator::IsolationForest => "isolation_forest",
        }
    }

    /// Whether the estimator takes no target (an outlier detector).
    fn is_outlier_detector(self) -> bool {
        matches!(self, Estimator::IsolationForest | Estimator::OneClassSvm)
    }
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
    preprocess: Vec<toml::Table>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

/// A number or a name (`max_samples = "auto"` or `256` or `0.5`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Numberish {
    Int(i64),
    Float(f64),
    Name(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct IsolationParams {
    n_estimators: Option<usize>,
    max_samples: Option<Numberish>,
    contamination: Option<Numberish>,
    max_features: Option<Numberish>,
    bootstrap: Option<bool>,
    random_state: Option<u64>,
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NuSvcParams {
    nu: Option<f64>,
    kernel: Option<String>,
    gamma: Option<GammaParam>,
    degree: Option<u32>,
    coef0: Option<f64>,
    tol: Option<f64>,
    probability: Option<bool>,
    shrinking: Option<bool>,
    cache_size: Option<f64>,
    max_iter: Option<usize>,
    random_state: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NuSvrParams {
    nu: Option<f64>,
    #[serde(rename = "C", alias = "c")]
    c: Option<f64>,
    kernel: Option<String>,
    gamma: Option<GammaParam>,
    degree: Option<u32>,
    coef0: Option<f64>,
    tol: Option<f64>,
    shrinking: Option<bool>,
    cache_size: Option<f64>,
    max_iter: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OneClassParams {
    nu: Option<f64>,
    kernel: Option<String>,
    gamma: Option<GammaParam>,
    degree: Option<u32>,
    coef0: Option<f64>,
    tol: Option<f64>,
    shrinking: Option<bool>,
    cache_size: Option<f64>,
    max_iter: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinearSvcParams {
    #[serde(rename = "C", alias = "c")]
    c: Option<f64>,
    loss: Option<String>,
    penalty: Option<String>,
    dual: Option<toml::Value>,
    tol: Option<f64>,
    max_iter: Option<usize>,
    fit_intercept: Option<bool>,
    intercept_scaling: Option<f64>,
    class_weight: Option<String>,
    random_state: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinearSvrParams {
    #[serde(rename = "C", alias = "c")]
    c: Option<f64>,
    epsilon: Option<f64>,
    loss: Option<String>,
    tol: Option<f64>,
    max_iter: Option<usize>,
    fit_intercept: Option<bool>,
    intercept_scaling: Option<f64>,
    random_state: Option<u64>,
}

/// The settings LinearSvc and LinearSvr share.
macro_rules! linear_svm_common {
    ($m:expr, $p:expr) => {{
        let mut m = $m;
        if let Some(c) = $p.c {
            m = m.c(c);
        }
        if let Some(t) = $p.tol {
            m = m.tol(t);
        }
        if let Some(n) = $p.max_iter {
            m = m.max_iter(n);
        }
        if let Some(b) = $p.fit_intercept {
            m = m.fit_intercept(b);
        }
        if let Some(s) = $p.intercept_scaling {
            m = m.intercept_scaling(s);
        }
        if let Some(s) = $p.random_state {
            m = m.seed(s);
        }
        m
    }};
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
    pb.set_prefix(est.name());
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

/// The SVM settings every kernel SVM shares (one builder chain for all).
macro_rules! svm_common {
    ($m:expr, $p:expr, $pb:expr) => {{
        let mut m = $m.kernel(kernel(kernel_params!($p))?);
        if let Some(t) = $p.tol {
            m = m.tol(t);
        }
        if let Some(b) = $p.shrinking {
            m = m.shrinking(b);
        }
        if let Some(mb) = $p.cache_size {
            m = m.cache_size(mb);
        }
        if $p.max_iter.is_some() {
            m = m.max_iter($p.max_iter);
        }
        m.progress(svm_progress($pb))
    }};
}

/// A classifier from its hyperparameters.
fn classifier<L: Label>(
    est: Estimator,
    table: &toml::Table,
    pb: &ProgressBar,
) -> Result<Box<dyn compose::Estimator<L>>, Failure> {
    Ok(match est {
        Estimator::Logistic => {
            let p: LogisticParams = params(est, table)?;
            let mut m = LogisticRegression::<L>::new();
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
            Box::new(m)
        }
        Estimator::Svc => {
            let p: SvcParams = params(est, table)?;
            let mut m = Svc::<L>::new();
            if let Some(c) = p.c {
                m = m.c(c);
            }
            if let Some(b) = p.probability {
                m = m.probability(b);
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
            Box::new(svm_common!(m, p, pb))
        }
        Estimator::NuSvc => {
            let p: NuSvcParams = params(est, table)?;
            let mut m = NuSvc::<L>::new();
            if let Some(nu) = p.nu {
                m = m.nu(nu);
            }
            if let Some(b) = p.probability {
                m = m.probability(b);
            }
            if let Some(s) = p.random_state {
                m = m.seed(s);
            }
            Box::new(svm_common!(m, p, pb))
        }
        Estimator::LinearSvc => {
            let p: LinearSvcParams = params(est, table)?;
            let mut m = linear_svm_common!(LinearSvc::<L>::new(), p);
            match p.loss.as_deref() {
                None | Some("squared_hinge") => {}
                Some("hinge") => m = m.loss(LinearSvcLoss::Hinge),
                Some(o) => {
                    return Err(Failure(format!(
                        "loss must be squared_hinge or hinge, got `{o}`"
                    )));
                }
            }
            match p.penalty.as_deref() {
                None | Some("l2") => {}
                Some("l1") => m = m.penalty(LinearSvmPenalty::L1),
                Some(o) => return Err(Failure(format!("penalty must be l2 or l1, got `{o}`"))),
            }
            // scikit-learn's dual: "auto", true (dual CD) or false (the primal)
            match &p.dual {
                None => {}
                Some(toml::Value::String(a)) if a == "auto" => {}
                Some(toml::Value::Boolean(true)) => m = m.solver(LinearSvcSolver::Dual),
                Some(toml::Value::Boolean(false)) => m = m.solver(LinearSvcSolver::Primal),
                Some(o) => {
                    return Err(Failure(format!(
                        "dual must be auto, true or false, got `{o}`"
                    )));
                }
            }
            match p.class_weight.as_deref() {
                None => {}
                Some("balanced") => m = m.class_weight(oxilearn::ClassWeight::Balanced),
                Some(o) => {
                    return Err(Failure(format!("class_weight must be balanced, got `{o}`")));
                }
            }
            pb.set_message("optimising");
            Box::new(m)
        }
        _ => unreachable!("classifiers only"),
    })
}

/// A regressor from its hyperparameters.
fn regressor(
    est: Estimator,
    table: &toml::Table,
    pb: &ProgressBar,
) -> Result<Box<dyn compose::Estimator<f64>>, Failure> {
    Ok(match est {
        Estimator::Linear => {
            let p: LinearParams = params(est, table)?;
            Box::new(LinearRegression::new().fit_intercept(p.fit_intercept.unwrap_or(true)))
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
            Box::new(m)
        }
        Estimator::Svr => {
            let p: SvrParams = params(est, table)?;
            let mut m = Svr::new();
            if let Some(c) = p.c {
                m = m.c(c);
            }
            if let Some(e) = p.epsilon {
                m = m.epsilon(e);
            }
            Box::new(svm_common!(m, p, pb))
        }
        Estimator::NuSvr => {
            let p: NuSvrParams = params(est, table)?;
            let mut m = NuSvr::new();
            if let Some(nu) = p.nu {
                m = m.nu(nu);
            }
            if let Some(c) = p.c {
                m = m.c(c);
            }
            Box::new(svm_common!(m, p, pb))
        }
        Estimator::LinearSvr => {
            let p: LinearSvrParams = params(est, table)?;
            let mut m = linear_svm_common!(LinearSvr::new(), p);
            if let Some(e) = p.epsilon {
                m = m.epsilon(e);
            }
            match p.loss.as_deref() {
                None | Some("epsilon_insensitive") => {}
                Some("squared_epsilon_insensitive") => {
                    m = m.loss(LinearSvrLoss::SquaredEpsilonInsensitive);
                }
                Some(o) => {
                    return Err(Failure(format!(
                        "loss must be epsilon_insensitive or squared_epsilon_insensitive, \
                         got `{o}`"
                    )));
                }
            }
            pb.set_message("optimising");
            Box::new(m)
        }
        _ => unreachable!("regressors only"),
    })
}

/// A one-class SVM from its hyperparameters.
fn one_class_svm(table: &toml::Table, pb: &ProgressBar) -> Result<OneClassSvm, Failure> {
    let p: OneClassParams = params(Estimator::OneClassSvm, table)?;
    let mut m = OneClassSvm::new();
    if let Some(nu) = p.nu {
        m = m.nu(nu);
    }
    Ok(svm_common!(m, p, pb))
}

/// An isolation forest from its hyperparameters.
fn isolation_forest(table: &toml::Table) -> Result<IsolationForest, Failure> {
    let p: IsolationParams = params(Estimator::IsolationForest, table)?;
    let mut m = IsolationForest::new();
    if let Some(n) = p.n_estimators {
        m = m.n_estimators(n);
    }
    match p.max_samples {
        None => {}
        Some(Numberish::Name(n)) if n == "auto" => m = m.max_samples(MaxSamples::Auto),
        Some(Numberish::Int(n)) => {
            let n = usize::try_from(n)
                .map_err(|_| Failure(format!("max_samples must be a positive count, got {n}")))?;
            m = m.max_samples(MaxSamples::Count(n));
        }
        Some(Numberish::Float(f)) => m = m.max_samples(MaxSamples::Fraction(f)),
        Some(Numberish::Name(n)) => {
            return Err(Failure(format!(
                "max_samples must be `auto`, a count or a fraction, got `{n}`"
            )));
        }
    }
    match p.contamination {
        None => {}
        Some(Numberish::Name(n)) if n == "auto" => m = m.contamination(Contamination::Auto),
        Some(Numberish::Float(f)) => m = m.contamination(Contamination::Fraction(f)),
        Some(other) => {
            return Err(Failure(format!(
                "contamination must be `auto` or a fraction in (0, 0.5], got {other:?}"
            )));
        }
    }
    match p.max_features {
        None => {}
        Some(Numberish::Int(n)) => {
            let n = usize::try_from(n)
                .map_err(|_| Failure(format!("max_features must be a positive count, got {n}")))?;
            m = m.max_features(MaxFeatures::Count(n));
        }
        Some(Numberish::Float(f)) => m = m.max_features(MaxFeatures::Fraction(f)),
        Some(Numberish::Name(n)) => {
            return Err(Failure(format!(
                "max_features must be a count or a fraction, got `{n}`"
            )));
        }
    }
    if let Some(b) = p.bootstrap {
        m = m.bootstrap(b);
    }
    if let Some(s) = p.random_state {
        m = m.seed(s);
    }
    Ok(m)
}

/// The kinds `--preprocess` / `[[preprocess]]` know (name, aliases).
const TRANSFORMERS: &[(&str, &[&str])] = &[
    ("standard_scaler", &["standard"]),
    ("minmax_scaler", &["minmax"]),
    ("robust_scaler", &["robust"]),
    ("maxabs_scaler", &["maxabs"]),
    ("normalizer", &[]),
    ("simple_imputer", &["imputer"]),
];

/// The canonical name of a preprocessing kind.
fn transformer_kind(name: &str) -> Result<&'static str, Failure> {
    let n = name.trim().replace('-', "_").to_lowercase();
    TRANSFORMERS
        .iter()
        .find(|(k, aliases)| *k == n || aliases.contains(&n.as_str()))
        .map(|(k, _)| *k)
        .ok_or_else(|| {
            Failure(format!(
                "unknown preprocessing step `{name}`; one of {}",
                TRANSFORMERS
                    .iter()
                    .map(|(k, _)| *k)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// Two numbers, `[a, b]`.
fn pair(v: Option<[f64; 2]>) -> Option<(f64, f64)> {
    v.map(|[a, b]| (a, b))
}

/// One preprocessing step from its table (`kind`, optional `name`, the
/// transformer's hyperparameters).
fn transformer<Y: Target>(
    spec: &toml::Table,
    index: usize,
) -> Result<(String, Box<dyn compose::Transformer<Y>>), Failure> {
    let mut spec = spec.clone();
    let kind = match spec.remove("kind") {
        Some(toml::Value::String(k)) => transformer_kind(&k)?,
        _ => {
            return Err(Failure(format!(
                "preprocessing step {}: give its `kind` (a string)",
                index + 1
            )));
        }
    };
    let name = match spec.remove("name") {
        None => kind.to_string(),
        Some(toml::Value::String(n)) => n,
        Some(v) => return Err(Failure(format!("step name must be a string, got {v}"))),
    };
    let bad = |e: toml::de::Error| {
        Failure(format!(
            "preprocessing step `{name}` ({kind}): {}; see `oxilearn fit --help`",
            e.to_string().trim()
        ))
    };
    let value = toml::Value::Table(spec);
    let step: Box<dyn compose::Transformer<Y>> = match kind {
        "standard_scaler" => {
            let p = StandardParams::deserialize(value).map_err(bad)?;
            Box::new(
                StandardScaler::new()
                    .with_mean(p.with_mean.unwrap_or(true))
                    .with_std(p.with_std.unwrap_or(true)),
            )
        }
        "minmax_scaler" => {
            let p = MinMaxParams::deserialize(value).map_err(bad)?;
            let mut m = MinMaxScaler::new();
            if let Some((a, b)) = pair(p.feature_range) {
                m = m.feature_range(a, b);
            }
            Box::new(m.clip(p.clip.unwrap_or(false)))
        }
        "robust_scaler" => {
            let p = RobustParams::deserialize(value).map_err(bad)?;
            let mut m = RobustScaler::new()
                .with_centering(p.with_centering.unwrap_or(true))
                .with_scaling(p.with_scaling.unwrap_or(true))
                .unit_variance(p.unit_variance.unwrap_or(false));
            if let Some((a, b)) = pair(p.quantile_range) {
                m = m.quantile_range(a, b);
            }
            Box::new(m)
        }
        "maxabs_scaler" => {
            NoParams::deserialize(value).map_err(bad)?;
            Box::new(MaxAbsScaler::new())
        }
        "normalizer" => {
            let p = NormalizerParams::deserialize(value).map_err(bad)?;
            let norm = match p.norm.as_deref() {
                None | Some("l2") => Norm::L2,
                Some("l1") => Norm::L1,
                Some("max") => Norm::Max,
                Some(o) => {
                    return Err(Failure(format!("norm must be l1, l2 or max, got `{o}`")));
                }
            };
            Box::new(Normalizer::new().norm(norm))
        }
        "simple_imputer" => {
            let p = ImputerParams::deserialize(value).map_err(bad)?;
            let strategy = match p.strategy.as_deref() {
                None | Some("mean") => ImputeStrategy::Mean,
                Some("median") => ImputeStrategy::Median,
                Some("most_frequent") => ImputeStrategy::MostFrequent,
                Some("constant") => ImputeStrategy::Constant,
                Some(o) => {
                    return Err(Failure(format!(
                        "strategy must be mean, median, most_frequent or constant, got `{o}`"
                    )));
                }
            };
            let mut m = SimpleImputer::new().strategy(strategy);
            if let Some(v) = p.fill_value {
                m = m.fill_value(v);
            }
            Box::new(m.add_indicator(p.add_indicator.unwrap_or(false)))
        }
        _ => unreachable!("kinds come from TRANSFORMERS"),
    };
    Ok((name, step))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoParams {}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StandardParams {
    with_mean: Option<bool>,
    with_std: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MinMaxParams {
    feature_range: Option<[f64; 2]>,
    clip: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RobustParams {
    with_centering: Option<bool>,
    with_scaling: Option<bool>,
    quantile_range: Option<[f64; 2]>,
    unit_variance: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NormalizerParams {
    norm: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImputerParams {
    strategy: Option<String>,
    fill_value: Option<f64>,
    add_indicator: Option<bool>,
}

/// A fitted model (a pipeline when there are preprocessing steps) and what
/// to print about it.
struct Fitted {
    file: oxilearn::persist::ModelFile,
    summary: String,
}

/// The model a pipeline ends in, or the model itself.
fn final_model<Y: Target>(m: &dyn FittedEstimator<Y>) -> &dyn FittedEstimator<Y> {
    m.as_any()
        .downcast_ref::<FittedPipeline<Y>>()
        .and_then(FittedPipeline::final_estimator)
        .unwrap_or(m)
}

/// What the fitted model's own diagnostics say (iterations, support vectors …).
fn diagnostics<Y: Target>(m: &dyn FittedEstimator<Y>) -> Option<String> {
    let any = final_model(m).as_any();
    if let Some(s) = any.downcast_ref::<FittedSvr<f64>>() {
        return Some(format!(
            "{} support vectors (converged: {})",
            s.support().len(),
            s.converged()
        ));
    }
    if let Some(s) = any.downcast_ref::<FittedNuSvr<f64>>() {
        return Some(format!(
            "{} support vectors (converged: {})",
            s.support().len(),
            s.converged()
        ));
    }
    if let Some(s) = any.downcast_ref::<FittedLinearSvr<f64>>() {
        return Some(format!(
            "{} passes (converged: {})",
            s.n_iter(),
            s.converged()
        ));
    }
    if let Some(s) = any.downcast_ref::<FittedLinearSvc<f64, Y>>() {
        return Some(format!(
            "{} iterations (converged: {})",
            s.n_iter(),
            s.converged()
        ));
    }
    if let Some(l) = any.downcast_ref::<FittedLogisticRegression<f64, Y>>() {
        return Some(format!(
            "{} iterations (converged: {})",
            l.n_iter(),
            l.converged()
        ));
    }
    None
}

/// Fits `est` on `x`, `y`, behind the preprocessing `steps` (a pipeline)
/// when there are any.
fn fit_model<Y: Target>(
    steps: Vec<(String, Box<dyn compose::Transformer<Y>>)>,
    est_name: &str,
    est: Box<dyn compose::Estimator<Y>>,
    x: &Array2<f64>,
    y: ArrayView1<'_, Y>,
) -> Result<Box<dyn FittedEstimator<Y>>, Failure> {
    if steps.is_empty() {
        return Ok(est.fit(Features::from(x), y)?);
    }
    let mut pipe = Pipeline::<Y>::new();
    for (name, step) in steps {
        pipe = pipe.transform_boxed(name, step);
    }
    let fitted = pipe.estimator_boxed(est_name, est).fit(x, y)?;
    Ok(Box::new(fitted))
}

/// The steps' text for the summary (`standard_scaler → svc`).
fn chain(steps: &[String], est: Estimator) -> String {
    steps
        .iter()
        .map(String::as_str)
        .chain([est.name()])
        .collect::<Vec<_>>()
        .join(" → ")
}

fn fit_classifier<L: Label>(
    est: Estimator,
    table: &toml::Table,
    preprocess: &[toml::Table],
    x: &Array2<f64>,
    y: Array1<L>,
    pb: &ProgressBar,
) -> Result<Fitted, Failure> {
    let steps = preprocess
        .iter()
        .enumerate()
        .map(|(i, s)| transformer::<L>(s, i))
        .collect::<Result<Vec<_>, _>>()?;
    let names: Vec<String> = steps.iter().map(|(n, _)| n.clone()).collect();
    let model = fit_model(
        steps,
        est.name(),
        classifier::<L>(est, table, pb)?,
        x,
        y.view(),
    )?;
    pb.set_message("scoring on the training data");
    let acc = model.score(Features::from(x), y.view())?;
    let any = final_model(model.as_ref()).as_any();
    let svc = any
        .downcast_ref::<FittedSvc<f64, L>>()
        .or_else(|| any.downcast_ref::<FittedNuSvc<f64, L>>().map(|s| &**s))
        .map(|s| {
            format!(
                "{} support vectors (converged: {})",
                s.support().len(),
                s.converged()
            )
        });
    let mut summary = svc
        .or_else(|| diagnostics(model.as_ref()))
        .map_or_else(String::new, |d| d + ", ");
    summary.push_str(&format!("training accuracy {acc:.4}"));
    if !names.is_empty() {
        summary = format!("pipeline {}; {summary}", chain(&names, est));
    }
    Ok(Fitted {
        file: model.to_model_file()?,
        summary,
    })
}

fn fit_regressor(
    est: Estimator,
    table: &toml::Table,
    preprocess: &[toml::Table],
    x: &Array2<f64>,
    y: &Array1<f64>,
    pb: &ProgressBar,
) -> Result<Fitted, Failure> {
    let steps = preprocess
        .iter()
        .enumerate()
        .map(|(i, s)| transformer::<f64>(s, i))
        .collect::<Result<Vec<_>, _>>()?;
    let names: Vec<String> = steps.iter().map(|(n, _)| n.clone()).collect();
    let model = fit_model(steps, est.name(), regressor(est, table, pb)?, x, y.view())?;
    pb.set_message("scoring on the training data");
    let r2 = model.score(Features::from(x), y.view())?;
    let mut summary = diagnostics(model.as_ref()).map_or_else(String::new, |d| d + ", ");
    summary.push_str(&format!("training R² {r2:.4}"));
    if !names.is_empty() {
        summary = format!("pipeline {}; {summary}", chain(&names, est));
    }
    Ok(Fitted {
        file: model.to_model_file()?,
        summary,
    })
}

/// An outlier detector: no target; `predict` gives +1 (inlier) / −1 (outlier).
fn fit_outlier_detector(
    est: Estimator,
    table: &toml::Table,
    preprocess: &[toml::Table],
    x: &Array2<f64>,
    pb: &ProgressBar,
) -> Result<Fitted, Failure> {
    let steps = preprocess
        .iter()
        .enumerate()
        .map(|(i, s)| transformer::<i64>(s, i))
        .collect::<Result<Vec<_>, _>>()?;
    let names: Vec<String> = steps.iter().map(|(n, _)| n.clone()).collect();
    let detector: Box<dyn compose::Estimator<i64>> = if est == Estimator::OneClassSvm {
        Box::new(one_class_svm(table, pb)?)
    } else {
        pb.set_message("growing trees");
        Box::new(isolation_forest(table)?)
    };
    let ignored = Array1::<i64>::zeros(x.nrows());
    let model = fit_model(steps, est.name(), detector, x, ignored.view())?;
    let flags = model.predict(Features::from(x))?;
    let outliers = flags.iter().filter(|&&v| v == -1).count();
    let mut summary = String::new();
    let any = final_model(model.as_ref()).as_any();
    if let Some(f) = any.downcast_ref::<FittedIsolationForest>() {
        summary.push_str(&format!(
            "{} trees of {} samples, ",
            f.n_estimators(),
            f.max_samples()
        ));
    }
    if let Some(s) = any.downcast_ref::<FittedOneClassSvm<f64>>() {
        summary.push_str(&format!(
            "{} support vectors (converged: {}), ",
            s.support().len(),
            s.converged()
        ));
    }
    summary.push_str(&format!(
        "{outliers} of {} training rows flagged as outliers ({:.2} %)",
        x.nrows(),
        100.0 * outliers as f64 / x.nrows().max(1) as f64
    ));
    if !names.is_empty() {
        summary = format!("pipeline {}; {summary}", chain(&names, est));
    }
    Ok(Fitted {
        file: model.to_model_file()?,
        summary,
    })
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
    let outlier = est.is_outlier_detector();
    let target = match args.target.clone().or(config.target.clone()) {
        Some(t) => TargetColumn::Named(t),
        None if outlier => TargetColumn::None,
        None => TargetColumn::Last,
    };
    let labels = args.labels.clone().or(config.labels.clone());
    if !outlier && is_npy_without_labels(&data_path, labels.as_deref()) {
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
    let preprocess: Vec<toml::Table> = if args.preprocess.is_empty() {
        config.preprocess.clone()
    } else {
        args.preprocess
            .iter()
            .map(|k| {
                let mut t = toml::Table::new();
                t.insert("kind".into(), toml::Value::String(k.clone()));
                t
            })
            .collect()
    };
    // an imputer first: missing cells are read as NaN for it to fill
    let missing_ok = match preprocess.first().and_then(|t| t.get("kind")) {
        Some(toml::Value::String(k)) => transformer_kind(k)? == "simple_imputer",
        _ => false,
    };
    let mut user = config.metadata.clone();
    for s in &args.meta {
        let (k, v) = key_value(s, "--meta")?;
        user.insert(k, v.as_str().map_or_else(|| v.to_string(), str::to_string));
    }

    let t0 = Instant::now();
    let data = data::read_with(&data_path, &target, labels.as_deref(), missing_ok)?;
    let (n, d) = data.x.dim();
    let pb = progress(args.quiet, est);
    let targets = data.targets.clone();
    let x = &data.x;
    let result = match (est, targets) {
        (Estimator::IsolationForest | Estimator::OneClassSvm, _) => {
            fit_outlier_detector(est, &table, &preprocess, x, &pb)
        }
        (_, None) => Err(Failure(format!(
            "{} needs targets: name the target column with --target (a .npy feature file: \
             --labels)",
            est.name()
        ))),
        (
            Estimator::Logistic | Estimator::Svc | Estimator::NuSvc | Estimator::LinearSvc,
            Some(Targets::Labels(y)),
        ) => fit_classifier(est, &table, &preprocess, x, y, &pb),
        (
            Estimator::Logistic | Estimator::Svc | Estimator::NuSvc | Estimator::LinearSvc,
            Some(Targets::Numbers(y)),
        ) => fit_classifier(est, &table, &preprocess, x, int_labels(&y)?, &pb),
        (_, Some(Targets::Numbers(y))) => fit_regressor(est, &table, &preprocess, x, &y, &pb),
        (_, Some(Targets::Labels(_))) => Err(Failure(format!(
            "{est:?} is a regressor but the target column `{}` holds strings; \
             use logistic, svc, nu-svc or linear-svc for class labels",
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
    let mut file = fitted.file;
    file.metadata.user.extend(user);
    file.write(&out)
        .map_err(|e| Failure(format!("cannot save the model: {e}")))?;
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
