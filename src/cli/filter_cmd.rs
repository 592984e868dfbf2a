//! `labcap filter EXPR`: the BPF expression a display filter compiles to; `--fields`, what
//! filters can say.

use std::io::Write;

use super::{parse_filter, Outcome};
use crate::filter::FIELD_NAMES;

/// Arguments of `labcap filter`.
#[derive(clap::Args, Debug)]
pub struct FilterArgs {
    /// A Wireshark display filter, e.g. 'tcp.port==10000 && tcp.flags.syn==1'.
    #[arg(required_unless_present = "fields")]
    pub expr: Option<String>,
    /// List the fields filters take, what each holds and its operators.
    #[arg(long)]
    pub fields: bool,
}

/// How values and operators are written, after the list of fields.
const SYNTAX: &str = "\
values: numbers (10000, 0x12), addresses and subnets (172.16.16.0/24, ::1), \"texts\" with \\x47 \\n \\\\ escapes or r\"raw\", bytes (47:45:54), seconds (1.5)
operators: == != < <= > >= (eq ne lt le gt ge), contains, matches or ~ (a regular expression, case-insensitive unless (?-i)), in {80, 443, 8000..8100}, & or bitwise_and (tcp.flags & 0x02, tcp.flags & 0x12 == 0x12), slices [0:3] [2-5] [4] [-1] [4:]
combine with: and && or || not ! ( )";

/// Prints the BPF expression, and a note when it is a superset; or the fields.
pub fn run(args: FilterArgs) -> anyhow::Result<Outcome> {
    let mut out = std::io::stdout().lock();
    let Some(expr) = args.expr.filter(|_| !args.fields) else {
        let width = FIELD_NAMES.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, field) in FIELD_NAMES {
            writeln!(
                out,
                "{name:width$}  {:<20}  {}",
                field.describe(),
                field.operators()
            )?;
        }
        writeln!(out, "\n{SYNTAX}")?;
        return Ok(Outcome::Pass);
    };
    let filter = parse_filter(&expr)?;
    let bpf = filter.to_bpf();
    match &bpf.expr {
        Some(expr) => writeln!(out, "{expr}")?,
        None => writeln!(out, "(no kernel filter: every packet is captured)")?,
    }
    if !bpf.exact {
        writeln!(out, "# superset: the kernel lets through more; labcap applies the display filter to what it captures")?;
    }
    if let Some(kernel) = filter.to_kernel_bpf().expr {
        writeln!(
            out,
            "# live capture installs it widened by what can carry such packets inside (IP \
             fragments, ICMP errors, VXLAN/Geneve/GRE tunnels):\n# {kernel}"
        )?;
    }
    Ok(Outcome::Pass)
}
