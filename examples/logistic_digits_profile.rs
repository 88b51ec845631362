//! Profiling harness: multinomial digits fit (C = 1, tol 1e-4), repeated.
//! `cargo run --release --example logistic_digits_profile -- lbfgs 3`
use oxilearn::datasets;
use oxilearn::logistic::{LogisticRegression, Solver};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let solver = match args.get(1).map(String::as_str) {
        Some("newton") => Solver::NewtonCholesky,
        Some("auto") => Solver::Auto,
        _ => Solver::Lbfgs,
    };
    let reps: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let max_iter: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(100);
    let d = datasets::digits();
    for _ in 0..reps {
        let t = std::time::Instant::now();
        let m = LogisticRegression::new()
            .c(1.0)
            .tol(1e-4)
            .max_iter(max_iter)
            .solver(solver)
            .fit(d.records.view(), d.targets.view())
            .expect("fit");
        println!(
            "objective {:.9} n_iter {} converged {} in {:?}",
            m.objective(),
            m.n_iter(),
            m.converged(),
            t.elapsed()
        );
    }
}
