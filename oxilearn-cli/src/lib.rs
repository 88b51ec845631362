//! The `oxilearn` command line, as a library: the model server ([`serve`])
//! and the entry point of the binary ([`main`]).
//!
//! The binary is a thin wrapper: `oxilearn fit | predict | inspect | serve`.
//! This crate is a separate workspace member so that `cargo add oxilearn`
//! brings only the library, without an HTTP stack.

#![warn(missing_docs)]

mod cli;
pub mod serve;

pub use cli::main;
