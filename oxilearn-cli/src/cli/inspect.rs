//! `oxilearn inspect`.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use oxilearn::persist::{self, ModelMetadata};

use super::Failure;
use crate::serve::model::ServedModel;

/// Show a model file's metadata.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Reads only the file header unless --serving is given (then the model is loaded
through its validated loader and the inference tensors `oxilearn serve` declares
for it are listed).

Examples:
  oxilearn inspect models/spam/1/model.safetensors
  oxilearn inspect --json model.safetensors | jq .hyperparameters")]
pub struct InspectArgs {
    /// The model file.
    pub file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also load the model and list the input and outputs it is served with.
    #[arg(long)]
    pub serving: bool,
}

/// Prints the metadata.
///
/// # Errors
/// An unreadable, foreign, truncated or newer-format file (the message names it).
pub fn run(args: InspectArgs) -> Result<(), Failure> {
    let meta = persist::inspect(&args.file)
        .map_err(|e| Failure(format!("cannot inspect {}: {e}", args.file.display())))?;
    let serving = if args.serving {
        let bytes = std::fs::read(&args.file)
            .map_err(|e| Failure(format!("cannot read {}: {e}", args.file.display())))?;
        Some(
            ServedModel::from_bytes(&bytes)
                .map_err(|e| Failure(format!("{} cannot be served: {e}", args.file.display())))?,
        )
    } else {
        None
    };
    if args.json {
        let mut v = serde_json::to_value(&meta)?;
        if let Some(m) = &serving {
            v["serving"] = serde_json::json!({
                "inputs": [m.input()],
                "outputs": m.outputs().collect::<Vec<_>>(),
            });
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", text(&args.file, &meta, serving.as_ref()));
    }
    Ok(())
}

/// The text report.
pub fn text(path: &std::path::Path, m: &ModelMetadata, serving: Option<&ServedModel>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", path.display());
    let row = |s: &mut String, k: &str, v: &str| {
        let _ = writeln!(s, "  {k:<16}{v}");
    };
    row(
        &mut s,
        "format",
        &format!(
            "{} v{} (written by oxilearn {})",
            m.format, m.format_version, m.crate_version
        ),
    );
    row(&mut s, "kind", &m.kind);
    row(&mut s, "dtype", &m.dtype);
    row(
        &mut s,
        "n_features",
        &m.n_features.map_or("-".to_string(), |n| n.to_string()),
    );
    if let Some(c) = &m.classes {
        row(&mut s, "classes", &c.to_string());
    }
    if !m.hyperparameters.is_null() {
        let _ = writeln!(s, "  hyperparameters");
        let pretty = serde_json::to_string_pretty(&m.hyperparameters).unwrap_or_default();
        for line in pretty.lines() {
            let _ = writeln!(s, "    {line}");
        }
    }
    if !m.user.is_empty() {
        let _ = writeln!(s, "  user metadata");
        for (k, v) in &m.user {
            let _ = writeln!(s, "    {k} = {v}");
        }
    }
    let _ = writeln!(s, "  tensors ({})", m.tensors.len());
    let width = m.tensors.iter().map(|t| t.name.len()).max().unwrap_or(0);
    for t in &m.tensors {
        let _ = writeln!(s, "    {:<width$}  {:<4} {:?}", t.name, t.dtype, t.shape);
    }
    if let Some(model) = serving {
        let _ = writeln!(s, "  served as (Open Inference Protocol v2)");
        let i = model.input();
        let _ = writeln!(
            s,
            "    input   {:<18} {:<6} {:?}",
            i.name, i.datatype, i.shape
        );
        for (k, o) in model.outputs().enumerate() {
            let _ = writeln!(
                s,
                "    output  {:<18} {:<6} {:?}{}",
                o.name,
                o.datatype,
                o.shape,
                if k == 0 { "  (default)" } else { "" }
            );
        }
    }
    s
}
