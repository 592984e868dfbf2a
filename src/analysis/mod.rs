//! Analyzers over decoded packets: plain data out, no printing.

pub mod analyzer;
pub mod dns;
mod endpoint;
mod linger;
pub mod observer;
pub mod tcp;

pub use endpoint::Endpoint;
use linger::Linger;
