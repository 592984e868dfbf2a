//! Reports: what the analysis found, for a terminal (tables, timelines, payload) or a
//! program (JSON). They read plain data and return text.

pub mod escape;
pub mod json;
pub mod list;
pub mod text;
