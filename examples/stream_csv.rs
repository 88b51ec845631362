//! Out-of-core fitting: write a CSV, stream it back in chunks, reduce the
//! per-chunk sufficient statistics with rayon, and check that the model equals
//! the in-memory fit.
//!
//! Run with `cargo run --release --example stream_csv [n_rows]`.

use std::io::Write;

use oxilearn::data::CsvChunks;
use oxilearn::linear::{LinearRegression, SufficientStats};
use oxilearn::ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

const N_FEATURES: usize = 8;
const CHUNK_ROWS: usize = 10_000;

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
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);

    // 1. A synthetic regression problem written to a temporary CSV file.
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let true_coef: Vec<f64> = (0..N_FEATURES).map(|j| j as f64 - 3.5).collect();
    let x = Array2::from_shape_fn((n, N_FEATURES), |_| rng.random_range(-10.0..10.0));
    let y = Array1::from_shape_fn(n, |i| {
        let row = x.row(i);
        42.0 + row.iter().zip(&true_coef).map(|(a, b)| a * b).sum::<f64>()
            + rng.random_range(-1.0..1.0)
    });
    let path = std::env::temp_dir().join(format!("oxilearn-stream-{}.csv", std::process::id()));
    {
        let file = std::fs::File::create(&path).map_err(|e| oxilearn::Error::io(&path, e))?;
        let mut out = std::io::BufWriter::new(file);
        let header: Vec<String> = (0..N_FEATURES).map(|j| format!("x{j}")).collect();
        writeln!(out, "{},target", header.join(","))?;
        for (row, t) in x.rows().into_iter().zip(&y) {
            let fields: Vec<String> = row.iter().map(|v| format!("{v:?}")).collect();
            writeln!(out, "{},{t:?}", fields.join(","))?;
        }
        out.flush()?;
    }
    let size_mb = std::fs::metadata(&path)?.len() as f64 / 1e6;
    println!("wrote {n} rows ({size_mb:.1} MB) to {}", path.display());

    // 2. Stream it back: one chunk in memory per worker, statistics merged
    //    pairwise by rayon (any grouping gives the same model).
    let start = std::time::Instant::now();
    let chunks = CsvChunks::open(&path, "target", CHUNK_ROWS)?;
    let stats = chunks
        .par_bridge()
        .map(|chunk| {
            let (x, y) = chunk?;
            SufficientStats::from_chunk(x.view(), y.view())
        })
        .try_reduce(|| SufficientStats::new(N_FEATURES, 1), |a, b| a.merged(&b))?;
    let streamed = stats.fit_ols()?;
    println!(
        "streamed fit: {} rows in {:.2?} (read + parse + accumulate)",
        stats.n_samples(),
        start.elapsed()
    );

    // 3. The same model as fitting everything in memory.
    let in_memory = LinearRegression::new().fit(x.view(), y.view())?;
    let max_diff = streamed
        .coef()
        .iter()
        .zip(in_memory.coef())
        .map(|(a, b)| ((a - b) / b).abs())
        .fold(0.0f64, f64::max);
    println!(
        "intercept {:.6} (in memory {:.6})",
        streamed.intercept(),
        in_memory.intercept()
    );
    println!("coef      {:.4}", streamed.coef());
    println!("max relative coefficient difference vs in-memory: {max_diff:.1e}");
    assert!(max_diff < 1e-10);
    std::fs::remove_file(&path).ok();
    Ok(())
}
