//! The integration tests: one binary, one module per concern (matklad's
//! single-binary layout). `workdir` holds the helpers.

mod bad_input;
mod cli;
mod determinism;
mod golden;
mod props;
mod workdir;
