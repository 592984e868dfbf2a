//! Analyzers over decoded packets: plain data out, no printing.

pub mod analyzer;
pub mod dns;
mod endpoint;
mod examples;
pub mod follow;
pub mod http;
pub mod kept;
mod linger;
pub mod memory;
pub mod messages;
pub mod observer;
mod streams;
pub mod tcp;
pub mod tls;
pub mod udp;

pub use endpoint::Endpoint;
pub use examples::Examples;
use linger::Linger;
