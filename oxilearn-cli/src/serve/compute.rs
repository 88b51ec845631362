//! The compute pool: model work (decoding bodies, predicting, encoding
//! responses) runs on its own threads, never on the async executor, so health
//! checks and metrics answer at once however busy the models are.
//!
//! The pool is a rayon pool: the library's own parallel loops called from a
//! job run on the same threads (no oversubscription). Jobs waiting or
//! running are bounded (`--max-queue`); beyond that requests get 503 with
//! `Retry-After` instead of piling up.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::error::ApiError;

/// A bounded pool of compute threads.
#[derive(Debug)]
pub struct Compute {
    pool: rayon::ThreadPool,
    queued: Arc<AtomicUsize>,
    max_queue: usize,
}

impl Compute {
    /// A pool of `threads` threads accepting up to `max_queue` jobs at once.
    ///
    /// # Errors
    /// When the threads cannot be created.
    pub fn new(threads: usize, max_queue: usize) -> std::io::Result<Self> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .thread_name(|i| format!("oxilearn-compute-{i}"))
            .build()
            .map_err(std::io::Error::other)?;
        Ok(Compute {
            pool,
            queued: Arc::new(AtomicUsize::new(0)),
            max_queue: max_queue.max(1),
        })
    }

    /// Threads in the pool.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Runs `f` on the pool; returns its result and how long it waited for
    /// a thread.
    ///
    /// # Errors
    /// 503 when `max_queue` jobs are already queued or running; 500 if `f`
    /// panics (the pool survives).
    pub async fn run<T, F>(&self, f: F) -> Result<(T, Duration), ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        if self.queued.fetch_add(1, Ordering::AcqRel) >= self.max_queue {
            self.queued.fetch_sub(1, Ordering::AcqRel);
            return Err(ApiError::unavailable(format!(
                "the server is overloaded ({} requests queued); retry later",
                self.max_queue
            )));
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        let queued = self.queued.clone();
        let submitted = Instant::now();
        self.pool.spawn(move || {
            let waited = submitted.elapsed();
            let out = std::panic::catch_unwind(AssertUnwindSafe(f));
            queued.fetch_sub(1, Ordering::AcqRel);
            // The requester may have gone (timeout, disconnect): nothing to do then.
            let _ = tx.send(out.map(|v| (v, waited)));
        });
        match rx.await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(panic)) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(panic = %what, "a compute job panicked");
                Err(ApiError::internal("internal error while running the model"))
            }
            Err(_) => Err(ApiError::internal("the compute job was dropped")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_answers_503_and_a_panic_500_and_the_pool_survives() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let compute = Compute::new(1, 1).unwrap();
        let (release, wait) = std::sync::mpsc::channel::<()>();
        rt.block_on(async {
            let busy = compute.run(move || wait.recv().unwrap());
            tokio::pin!(busy);
            // the first job is queued or running: the queue (1) is full
            assert!(futures_poll_once(busy.as_mut()).await.is_none());
            let e = compute.run(|| 1).await.unwrap_err();
            assert_eq!(e.status.as_u16(), 503);
            release.send(()).unwrap();
            busy.await.unwrap();
            let e = compute.run(|| panic!("boom")).await.unwrap_err();
            assert_eq!(e.status.as_u16(), 500);
            assert_eq!(compute.run(|| 7).await.unwrap().0, 7);
        });
    }

    /// Polls a future once; `Some` if it completed.
    async fn futures_poll_once<F: std::future::Future + Unpin>(f: F) -> Option<F::Output> {
        let mut f = f;
        std::future::poll_fn(|cx| {
            std::task::Poll::Ready(match std::pin::Pin::new(&mut f).poll(cx) {
                std::task::Poll::Ready(v) => Some(v),
                std::task::Poll::Pending => None,
            })
        })
        .await
    }
}
