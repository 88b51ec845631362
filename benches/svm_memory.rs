//! Memory (and a single timed fit) of `Svc` on generated data: peak RSS must
//! stay within the cache budget plus O(n·d).
//!
//! `cargo bench -p oxilearn-benches --bench svm_memory -- [n] [cache_mb] [max_iter]`
//! (defaults: 100000 samples × 20 features, 100 MB, no iteration cap).
//! Prints one line: time, iterations, convergence, SV count, test accuracy,
//! peak RSS before and after the fit.

#[path = "common/mod.rs"]
mod common;
#[path = "svm_data.rs"]
mod svm_data;

use oxilearn::svm::{Gamma, Kernel, Svc};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let cache_mb: f64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100.0);
    let max_iter: Option<usize> = args.get(2).and_then(|a| a.parse().ok());
    let f32_mode = std::env::var("SVM_F32").is_ok();
    // n is the total; the fit sees 80 %.
    let set = svm_data::classification(n);
    if n <= 20_000 {
        svm_data::export(&set);
    }
    let rss_data = svm_data::peak_rss_mb().unwrap_or(f64::NAN);
    let svc = Svc::new()
        .c(1.0)
        .kernel(Kernel::Rbf {
            gamma: Gamma::Value(0.05),
        })
        .cache_size(cache_mb)
        .max_iter(max_iter)
        .shrinking(std::env::var("SVM_NOSHRINK").is_err());
    let t = Instant::now();
    let (n_sv, iters, conv, acc) = if f32_mode {
        let xt = set.x_train.mapv(|v| v as f32);
        let m = svc.fit(xt.view(), set.y_train.view()).expect("fit");
        let p = m
            .predict(set.x_test.mapv(|v| v as f32).view())
            .expect("predict");
        (
            m.support().len(),
            m.n_iter()[0],
            m.converged(),
            svm_data::accuracy(&p, &set.y_test),
        )
    } else {
        let cpu = svm_data::cpu_seconds();
        let m = svc
            .fit(set.x_train.view(), set.y_train.view())
            .expect("fit");
        let fit_s = t.elapsed().as_secs_f64();
        eprintln!("fit cpu {:.2}s", svm_data::cpu_seconds() - cpu);
        let tp = Instant::now();
        let p = m.predict(set.x_test.view()).expect("predict");
        eprintln!("fit {fit_s:.3}s predict {:.3}s", tp.elapsed().as_secs_f64());
        (
            m.support().len(),
            m.n_iter()[0],
            m.converged(),
            svm_data::accuracy(&p, &set.y_test),
        )
    };
    let secs = t.elapsed().as_secs_f64();
    let rss = svm_data::peak_rss_mb().unwrap_or(f64::NAN);
    let nd_mb = (set.x_train.len() + set.x_test.len()) as f64 * 8.0 / 1048576.0;
    println!(
        "svm_memory n_train={} d=20 cache={cache_mb}MB f32={f32_mode}: {secs:.2}s iter={iters} converged={conv} n_sv={n_sv} acc={acc:.4} \
         peak_rss_after_data={rss_data:.1}MB peak_rss={rss:.1}MB (data n·d={nd_mb:.1}MB, budget+data={:.1}MB)",
        set.x_train.nrows(),
        cache_mb + nd_mb
    );
}
