//! `oxilearn predict`.

use std::path::PathBuf;

use clap::Args;
use ndarray::IxDyn;
use oxilearn::data::read_npy;

use super::Failure;
use super::data::{self, TargetColumn};
use crate::serve::model::{Output, ServedModel};
use crate::serve::tensor::{Numbers, OutputData};

/// Predict with a model file; write CSV.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Input: a CSV with a header row, or a .npy array (2-D features; 4-D [n, c, h, w] images
for a CNN). When the model file lists its feature names (files written by `oxilearn fit`
do), CSV columns are matched by name, in any order, and other columns are ignored;
otherwise the CSV must hold exactly the model's features, plus the --target column if
one is named.

Output: CSV with a header, one row per input row: `prediction`, then with --proba one
`proba_<class>` column per class, with --decision the decision values.

Examples:
  oxilearn predict --model model.safetensors --data test.csv --proba -o predictions.csv
  oxilearn predict -m model.safetensors -d test.csv --target label --outputs decision_function")]
pub struct PredictArgs {
    /// The model file.
    #[arg(long, short = 'm')]
    pub model: PathBuf,
    /// The rows to predict: CSV with a header row, or .npy.
    #[arg(long, short = 'd')]
    pub data: PathBuf,
    /// A CSV column to leave out (e.g. the true labels).
    #[arg(long, short = 't')]
    pub target: Option<String>,
    /// Where to write the CSV (`-` = standard output).
    #[arg(long, short = 'o', default_value = "-")]
    pub output: PathBuf,
    /// Also write class probabilities.
    #[arg(long)]
    pub proba: bool,
    /// Also write decision values.
    #[arg(long)]
    pub decision: bool,
    /// Exactly these outputs (comma-separated names, as `oxilearn inspect --serving` lists).
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["proba", "decision"])]
    pub outputs: Vec<String>,
}

/// Predicts and writes the CSV.
///
/// # Errors
/// An unreadable or unservable model file, data that does not fit the
/// model, an unknown output, a failed write.
pub fn run(args: PredictArgs) -> Result<(), Failure> {
    let bytes = std::fs::read(&args.model)
        .map_err(|e| Failure(format!("cannot read {}: {e}", args.model.display())))?;
    let model = ServedModel::from_bytes(&bytes)
        .map_err(|e| Failure(format!("cannot load {}: {e}", args.model.display())))?;
    let (x, shape) = input(&args, &model)?;
    let mut names: Vec<String> = if args.outputs.is_empty() {
        let default = model
            .outputs()
            .next()
            .expect("a model has an output")
            .name
            .clone();
        let mut v = vec![default];
        if args.proba {
            v.push("predict_proba".into());
        }
        if args.decision {
            v.push("decision_function".into());
        }
        v
    } else {
        args.outputs.clone()
    };
    names.dedup();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let outputs = model
        .infer(x, &shape, &refs)
        .map_err(|e| Failure(e.message))?;
    let classes: Option<Vec<String>> = model.metadata().classes.as_ref().and_then(|c| {
        c.as_array().map(|a| {
            a.iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect()
        })
    });
    let (header, rows) = table(&outputs, shape[0], classes.as_deref());
    data::write_csv(&args.output, &header, &rows)?;
    if args.output.as_os_str() != "-" {
        eprintln!("wrote {} rows to {}", shape[0], args.output.display());
    }
    Ok(())
}

/// The input tensor for `model` from the data file.
fn input(args: &PredictArgs, model: &ServedModel) -> Result<(Numbers, Vec<usize>), Failure> {
    let want = &model.input().shape;
    let is_npy = args
        .data
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    if want.len() != 2 {
        if !is_npy {
            return Err(Failure(format!(
                "this model takes images {want:?}: give a .npy array of that shape"
            )));
        }
        let a = read_npy::<f32, IxDyn>(&args.data)
            .or_else(|_| read_npy::<f64, IxDyn>(&args.data).map(|a| a.mapv(|v| v as f32)))
            .map_err(|e| Failure(format!("{}: {e}", args.data.display())))?;
        let shape = a.shape().to_vec();
        let (v, _) = a
            .as_standard_layout()
            .into_owned()
            .into_raw_vec_and_offset();
        return Ok((Numbers::F32(v), shape));
    }
    let target = match &args.target {
        Some(t) => TargetColumn::Named(t.clone()),
        None => TargetColumn::None,
    };
    let n_features = usize::try_from(want[1]).ok();
    let names: Option<Vec<String>> = model
        .metadata()
        .user
        .get("feature_names")
        .and_then(|s| serde_json::from_str(s).ok())
        .filter(|names: &Vec<String>| Some(names.len()) == n_features);
    // columns by name when the model knows its feature names and the CSV has them all
    let by_name = names.filter(|n| data::csv_has_columns(&args.data, n));
    // a pipeline that starts with an imputer takes missing values
    let missing_ok = model.metadata().kind == oxilearn::compose::PIPELINE_KIND
        && model
            .metadata()
            .steps()
            .ok()
            .and_then(|s| s.first().map(|f| f.kind == "SimpleImputer"))
            .unwrap_or(false);
    let table = data::read_columns(&args.data, &target, None, by_name.as_deref(), missing_ok)?;
    let x = table.x;
    if Some(x.ncols()) != n_features {
        return Err(Failure(format!(
            "{} has {} feature columns but the model takes {}{}",
            args.data.display(),
            x.ncols(),
            want[1],
            if args.target.is_none() {
                " (name a column to leave out with --target)"
            } else {
                ""
            }
        )));
    }
    let shape = vec![x.nrows(), x.ncols()];
    let (v, _) = x
        .as_standard_layout()
        .into_owned()
        .into_raw_vec_and_offset();
    Ok((Numbers::F64(v), shape))
}

/// Column names and formatted rows for `outputs`.
fn table(
    outputs: &[Output],
    n: usize,
    classes: Option<&[String]>,
) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header = Vec::new();
    let mut rows = vec![Vec::new(); n];
    for o in outputs {
        let width = if o.shape.len() > 1 {
            o.shape[1..].iter().product()
        } else {
            1
        };
        match (o.name.as_str(), width) {
            ("predict", 1) => header.push("prediction".to_string()),
            (name, 1) => header.push(name.to_string()),
            (name, w) => {
                let prefix = match name {
                    "predict_proba" => "proba",
                    "decision_function" => "decision",
                    other => other,
                };
                let labels: Vec<String> = match classes {
                    Some(c) if c.len() == w && name != "transform" => c.to_vec(),
                    _ => (0..w).map(|i| i.to_string()).collect(),
                };
                header.extend(labels.iter().map(|l| format!("{prefix}_{l}")));
            }
        }
        for (i, row) in rows.iter_mut().enumerate() {
            let range = i * width..(i + 1) * width;
            match &o.data {
                OutputData::F64(v) => row.extend(v[range].iter().map(f64::to_string)),
                OutputData::F32(v) => row.extend(v[range].iter().map(f32::to_string)),
                OutputData::I64(v) => row.extend(v[range].iter().map(i64::to_string)),
                OutputData::Bytes(v) => row.extend(v[range].iter().cloned()),
            }
        }
    }
    (header, rows)
}
