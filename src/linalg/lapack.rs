//! LAPACK backend (placeholder until the lapack port lands).
