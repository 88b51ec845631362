//! Loading a model file never allocates more than a small multiple of the
//! file's size, whatever the file says about itself.
//!
//! A test binary of its own (not a module of `tests/it`) because it installs
//! a global allocator: it counts
//! the bytes live, records the peak, and refuses (→ the process aborts, so
//! the test fails loudly) any allocation beyond the cap set around each
//! load. The cap is [`FACTOR`] × the file's size + [`SLACK`] bytes.
//!
//! What costs memory: the decoded tensors (their size in the file; a model
//! that keeps another layout adds a copy), and the JSON of the header parsed
//! into values (a JSON array of `0`s grows 16-fold as `serde_json::Value`s).
//! Model-dominated files stay under 4×; the header "bombs" below, built to
//! expand, stay under 32×. Before the loaders sized layers from the tensors,
//! a 3 KB `Sequential` file asked for 4 × 10¹⁸ bytes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

#[path = "it/persist_crafted/corpus.rs"]
mod corpus;

/// Allowed peak allocation per byte of model file.
const FACTOR: usize = 32;
/// Allowed peak allocation on top of that (small fixed structures).
const SLACK: usize = 64 * 1024;

struct Capped;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static CAP: AtomicUsize = AtomicUsize::new(usize::MAX);

impl Capped {
    /// Accounts for `size` more bytes; `false` (nothing accounted) when that
    /// would pass the cap.
    fn grow(size: usize) -> bool {
        let now = LIVE.fetch_add(size, SeqCst).saturating_add(size);
        if now > CAP.load(SeqCst) {
            LIVE.fetch_sub(size, SeqCst);
            return false;
        }
        PEAK.fetch_max(now, SeqCst);
        true
    }
}

// SAFETY: every call is forwarded to `System` with the same layout; the
// counters only decide whether to forward an allocation at all (returning
// null, which `GlobalAlloc` allows, when over the cap).
unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !Self::grow(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded with the caller's (valid, non-zero) layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !Self::grow(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: as `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (above).
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), SeqCst);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() && !Self::grow(new_size - layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: `ptr`/`layout` come from `System` (above); the caller
        // guarantees `new_size` is valid for the layout's alignment.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            if new_size > layout.size() {
                LIVE.fetch_sub(new_size - layout.size(), SeqCst);
            }
        } else if new_size < layout.size() {
            LIVE.fetch_sub(layout.size() - new_size, SeqCst);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Capped = Capped;

/// Runs `load` under the cap for a file of `size` bytes; returns the peak
/// bytes allocated during the call.
fn capped_peak(name: &str, size: usize, load: impl FnOnce()) -> usize {
    let limit = FACTOR * size + SLACK;
    // Visible even if the cap aborts the process.
    eprintln!("loading {name} ({size} bytes, cap {limit} bytes)");
    let base = LIVE.load(SeqCst);
    PEAK.store(base, SeqCst);
    CAP.store(base + limit, SeqCst);
    load();
    CAP.store(usize::MAX, SeqCst);
    PEAK.load(SeqCst) - base
}

#[test]
fn loading_allocates_at_most_a_small_multiple_of_the_file_size() {
    let mut report = Vec::new();
    let mut worst = 0.0f64;
    for case in corpus::corpus() {
        for (version, bytes) in [(2, case.bytes()), (1, case.bytes_v1())] {
            let name = format!("{} (v{version})", case.name);
            let mut outcome = Ok(());
            let peak = capped_peak(&name, bytes.len(), || outcome = case.check(&bytes));
            outcome.unwrap();
            let ratio = peak as f64 / bytes.len() as f64;
            worst = worst.max(ratio);
            report.push(format!(
                "{name}: {} bytes, peak {peak} ({ratio:.2}×)",
                bytes.len()
            ));
        }
    }
    for (name, bytes, load) in bombs() {
        let mut outcome = Ok(());
        let peak = capped_peak(name, bytes.len(), || outcome = load(&bytes));
        // (Extra tensors are allowed: readers ignore what they do not know.)
        let outcome = outcome.map_err(|e| e.to_string());
        let ratio = peak as f64 / bytes.len() as f64;
        worst = worst.max(ratio);
        report.push(format!(
            "{name}: {} bytes, peak {peak} ({ratio:.2}×) {outcome:?}",
            bytes.len()
        ));
    }
    eprintln!("{}\nworst: {worst:.2}×", report.join("\n"));
}

/// Files whose header is built to expand when parsed.
fn bombs() -> Vec<(&'static str, Vec<u8>, corpus::Loader)> {
    use oxilearn::logistic::{FittedLogisticRegression, LogisticRegression};
    use oxilearn::ndarray::array;
    use oxilearn::persist::Persist;
    let model = LogisticRegression::new()
        .fit(array![[0.0], [1.0], [2.0]].view(), array![1, 2, 1].view())
        .unwrap();
    let load: corpus::Loader = |b| FittedLogisticRegression::<f64, i64>::from_bytes(b).map(drop);
    let n = 200_000;
    let edit = |f: &dyn Fn(&mut oxilearn::persist::ModelFile)| {
        let mut file = model.to_model_file().unwrap();
        f(&mut file);
        file.to_bytes().unwrap()
    };
    let zeros = serde_json::Value::Array(vec![serde_json::json!(0); n]);
    let empties = serde_json::Value::Array(vec![serde_json::json!({}); n]);
    vec![
        (
            "classes_of_zeros",
            edit(&|f| f.metadata.classes = Some(zeros.clone())),
            load,
        ),
        (
            "hyperparameters_of_zeros",
            edit(&|f| f.metadata.hyperparameters = zeros.clone()),
            load,
        ),
        (
            "hyperparameters_of_empty_objects",
            edit(&|f| f.metadata.hyperparameters = empties.clone()),
            load,
        ),
        (
            "tiny_tensors",
            edit(&|f| {
                for i in 0..n / 10 {
                    f.push_f64(&format!("{i}"), oxilearn::ndarray::ArrayD::zeros(vec![0]));
                }
            }),
            load,
        ),
    ]
}
