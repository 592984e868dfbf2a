//! labcap: capture, decode, analyse and check the traffic of a network-programming lab.
//!
//! One pipeline, two sources: **source → link decode → filter → analyzers → report**.
//! Decoding, filtering and analysis are pure code over bytes and timestamps.

pub mod analysis;
pub mod checks;
pub mod cli;
pub mod echo;
pub mod filter;
#[doc(hidden)]
pub mod fuzzing;
pub mod grade;
pub mod hostinfo;
pub mod lab;
pub mod pipeline;
pub mod report;
pub mod source;
pub mod spec;
pub mod wire;

/// A deterministic xorshift generator for the unit tests that feed random bytes to parsers.
#[cfg(test)]
pub(crate) fn test_rng(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}
