//! Analyzers over decoded packets: plain data out, no printing.

pub mod dns;
mod endpoint;
pub mod tcp;

pub use endpoint::Endpoint;
