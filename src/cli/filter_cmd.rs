//! `labcap filter EXPR`: the BPF expression a display filter compiles to.

use std::io::Write;

use super::{parse_filter, Outcome};

/// Arguments of `labcap filter`.
#[derive(clap::Args, Debug)]
pub struct FilterArgs {
    /// A Wireshark display filter, e.g. 'tcp.port==10000 && tcp.flags.syn==1'.
    pub expr: String,
}

/// Prints the BPF expression, and a note when it is a superset.
pub fn run(args: FilterArgs) -> anyhow::Result<Outcome> {
    let filter = parse_filter(&args.expr)?;
    let bpf = filter.to_bpf();
    let mut out = std::io::stdout().lock();
    match &bpf.expr {
        Some(expr) => writeln!(out, "{expr}")?,
        None => writeln!(out, "(no kernel filter: every packet is captured)")?,
    }
    if !bpf.exact {
        writeln!(out, "# superset: the kernel lets through more; labcap applies the display filter to what it captures")?;
    }
    Ok(Outcome::Pass)
}
