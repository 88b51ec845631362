//! Reusable activation buffers and per-thread scratch space (crate-internal).
//!
//! Layers keep their outputs and gradients in [`Buf`]s that are resized in
//! place, so a training loop with a fixed batch size allocates nothing after
//! the first step.

use std::cell::RefCell;

use ndarray::{ArrayViewD, ArrayViewMutD, IxDyn};
use rayon::prelude::*;

/// Floats from which [`Buf::set`] copies in parallel (1 MiB).
const PAR_COPY: usize = 1 << 18;

/// A flat `f32` buffer with a shape (standard layout).
#[derive(Debug, Clone, Default)]
pub(crate) struct Buf {
    data: Vec<f32>,
    shape: Vec<usize>,
}

impl Buf {
    /// Sets the shape and returns the (stale, not zeroed) storage.
    pub(crate) fn reshape(&mut self, shape: &[usize]) -> &mut [f32] {
        let n: usize = shape.iter().product();
        self.shape.clear();
        self.shape.extend_from_slice(shape);
        if self.data.len() != n {
            self.data.resize(n, 0.0);
        }
        &mut self.data[..n]
    }

    /// Copies `src` in with `shape` (large buffers on all of rayon's
    /// threads: a layer's input cache is copied while the other cores would
    /// otherwise wait).
    pub(crate) fn set(&mut self, shape: &[usize], src: &[f32]) {
        let dst = self.reshape(shape);
        if src.len() < PAR_COPY {
            dst.copy_from_slice(src);
        } else {
            dst.par_chunks_mut(PAR_COPY / 4)
                .zip(src.par_chunks(PAR_COPY / 4))
                .for_each(|(d, s)| d.copy_from_slice(s));
        }
    }

    pub(crate) fn shape(&self) -> &[usize] {
        &self.shape
    }

    pub(crate) fn as_slice(&self) -> &[f32] {
        &self.data
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.data
    }

    pub(crate) fn view(&self) -> ArrayViewD<'_, f32> {
        ArrayViewD::from_shape(IxDyn(&self.shape), &self.data).expect("buffer shape matches length")
    }

    #[allow(dead_code)]
    pub(crate) fn view_mut(&mut self) -> ArrayViewMutD<'_, f32> {
        ArrayViewMutD::from_shape(IxDyn(&self.shape), &mut self.data)
            .expect("buffer shape matches length")
    }
}

/// Per-thread scratch vectors for im2col / GEMM staging.
#[derive(Default)]
pub(crate) struct Scratch {
    pub(crate) a: Vec<f32>,
    pub(crate) b: Vec<f32>,
    pub(crate) c: Vec<f32>,
    pub(crate) d: Vec<f32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch space (not re-entrant).
pub(crate) fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with_borrow_mut(f)
}

/// `v` grown to at least `n` elements; returns the first `n` (stale contents).
pub(crate) fn grow(v: &mut Vec<f32>, n: usize) -> &mut [f32] {
    if v.len() < n {
        v.resize(n, 0.0);
    }
    &mut v[..n]
}

/// `buf` cut into consecutive pieces of `len` (the last shorter), followed
/// by empty pieces without end: zipped with `n` items, every item gets a
/// piece, even past the end of `buf` (an empty buffer, or images of zero
/// elements).
pub(crate) fn pieces_mut<T>(buf: &mut [T], len: usize) -> impl Iterator<Item = &mut [T]> {
    buf.chunks_mut(len.max(1))
        .chain(std::iter::repeat_with(|| &mut [][..]))
}

/// [`pieces_mut`] of a shared slice.
pub(crate) fn pieces<T>(buf: &[T], len: usize) -> impl Iterator<Item = &[T]> {
    buf.chunks(len.max(1)).chain(std::iter::repeat(&[][..]))
}
