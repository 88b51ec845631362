//! Integration tests of the `oxilearn` binary and server: the server runs on
//! an ephemeral loopback port (in-process, or the real binary for signals).

mod binary;
mod cli;
mod common;
mod compose;
mod endpoints;
mod errors;
mod lifecycle;
mod repository;
