//! Analyzers over decoded packets: plain data out, no printing.

pub mod tcp;
