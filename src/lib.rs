//! detente: agent-based Monte Carlo simulation of how strategic relationships
//! move between war and partnership.
//!
//! The library is organised as the architecture map (`ARCHITECTURE.md`)
//! describes: `scenario` reads TOML into a validated [`model::Setup`],
//! `engine` runs one world month by month, `batch` runs many in parallel and
//! aggregates them deterministically, `output` writes CSV and manifests.
#![warn(missing_docs)]

pub mod batch;
pub mod calendar;
pub mod calibrate;
pub mod cases;
pub mod cli;
pub mod compare;
pub mod engine;
pub mod explore;
pub mod input;
pub mod job;
pub mod model;
pub mod output;
pub mod reference;
pub mod report;
pub mod scenario;
pub mod stats;
