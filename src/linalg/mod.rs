//! Linear algebra: the only module that knows which backend runs.
//!
//! Default backend: pure Rust (faer for decompositions and products, rayon for
//! parallel loops), no system library. With the `blas` feature family (e.g.
//! `openblas-system`), products go through BLAS and decompositions through
//! LAPACK (ndarray-linalg). Every function has the same contract on both
//! backends and is tested on both.
//!
//! All functions are generic over [`Float`] (`f32`, `f64`) and accept views of
//! any memory layout (C order, Fortran order, transposed, strided).
//!
//! (API contract fixed by the foundation; see the function docs.)

pub use self::float::Float;

mod float;
