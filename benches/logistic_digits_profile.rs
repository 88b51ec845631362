//! Profiling driver (not a criterion bench): the multinomial digits fit
//! (C = 1, tol 1e-4), repeated, each fit timed. Arguments: solver
//! (`lbfgs` | `newton` | `auto`), repetitions, max_iter.
//!
//! ```text
//! cargo bench -p oxilearn-benches --bench logistic_digits_profile -- lbfgs 11 28
//! cargo bench -p oxilearn-benches --no-run --bench logistic_digits_profile   # prints the binary's path, then:
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/lg.cg <binary> lbfgs 1
//! ```
use oxilearn::datasets;
use oxilearn::logistic::{LogisticRegression, Solver};

fn main() {
    // `cargo bench -p oxilearn-benches` appends `--bench`: flags are not ours.
    let args: Vec<String> = std::env::args().filter(|a| !a.starts_with("--")).collect();
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
