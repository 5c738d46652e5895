//! Statistics for experiments over the simulator's scenario parameters:
//! summaries of Monte Carlo replicates, space-filling and screening designs on
//! the unit hypercube, variance-based and elementary-effect sensitivity
//! analysis, and PRIM scenario discovery.
//!
//! Conventions shared by every submodule:
//!
//! * Randomness comes only from a caller-supplied
//!   [`rand_chacha::ChaCha8Rng`], so a seed reproduces a design or a bootstrap
//!   interval exactly on every platform.
//! * Sums are taken in index order, so results are bit-for-bit repeatable.
//! * Functions whose only failure is "too little data" return `Option`;
//!   everything that validates caller input returns `Result<_, StatsError>`.

pub mod design;
pub mod prim;
pub mod proportion;
pub mod quantile;
pub mod sensitivity;

use std::fmt;

/// Why a statistics routine refused its input.
#[derive(Debug, Clone, PartialEq)]
pub enum StatsError {
    /// An argument lies outside the domain the routine is defined on; the text
    /// names the argument and the rule it broke.
    InvalidArgument(String),
    /// Two inputs that must describe the same items disagree in length.
    LengthMismatch {
        /// Which input had the wrong length.
        what: &'static str,
        /// The length the other inputs imply.
        expected: usize,
        /// The length that was supplied.
        actual: usize,
    },
    /// An input value was NaN or infinite where only finite values make sense.
    NonFinite {
        /// Which input held the value.
        what: &'static str,
        /// Position of the first offending value (row index for matrices).
        index: usize,
    },
    /// The model output did not vary over the design, so variance-based
    /// indices (a ratio with the variance as denominator) are undefined.
    ZeroVariance,
}

impl fmt::Display for StatsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatsError::InvalidArgument(msg) => write!(f, "invalid argument: {msg}"),
            StatsError::LengthMismatch { what, expected, actual } => {
                write!(f, "{what} has length {actual}, expected {expected}")
            }
            StatsError::NonFinite { what, index } => {
                write!(f, "{what} holds a non-finite value at index {index}")
            }
            StatsError::ZeroVariance => {
                write!(f, "model output has zero variance over the design; sensitivity indices are undefined")
            }
        }
    }
}

impl std::error::Error for StatsError {}

#[cfg(test)]
mod tests {
    use super::StatsError;

    #[test]
    fn errors_render_their_details() {
        let e = StatsError::LengthMismatch { what: "outputs", expected: 10, actual: 9 };
        assert_eq!(e.to_string(), "outputs has length 9, expected 10");
        let e = StatsError::NonFinite { what: "x", index: 3 };
        assert_eq!(e.to_string(), "x holds a non-finite value at index 3");
        assert!(StatsError::ZeroVariance.to_string().contains("zero variance"));
        assert_eq!(
            StatsError::InvalidArgument("d must be positive".into()).to_string(),
            "invalid argument: d must be positive"
        );
    }
}
