//! The integration tests: one binary, one module per concern (matklad's
//! single-binary layout). `workdir` holds the helpers.

mod afghanistan;
mod answers;
mod architecture;
mod bad_input;
mod calibrate;
mod cli;
mod determinism;
mod docs;
mod explore;
mod faults;
mod fuzz_regressions;
mod golden;
mod interrupt;
mod patterns;
mod props;
mod reference_cli;
mod replay;
mod report;
mod scale;
mod workdir;
