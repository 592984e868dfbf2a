//! The grade report as CSV, as a TA pastes it into a spreadsheet: one row per student, a
//! column of points per task, the total, and the errors.

use crate::grade::ClassReport;

/// The CSV text, header first.
pub fn grades(report: &ClassReport) -> String {
    let mut header = vec!["student".to_string()];
    header.extend(report.spec.tasks.iter().map(|t| t.title.clone()));
    header.extend([
        "total".to_string(),
        "possible".to_string(),
        "errors".to_string(),
    ]);
    let mut out = row(&header);
    for s in &report.students {
        let mut cells = vec![s.student.clone()];
        cells.extend(s.tasks.iter().map(|t| t.earned.to_string()));
        cells.push(s.points.to_string());
        cells.push(report.points_possible.to_string());
        cells.push(s.errors.join("; "));
        out.push_str(&row(&cells));
    }
    out
}

fn row(cells: &[String]) -> String {
    let quoted: Vec<String> = cells.iter().map(|c| field(c)).collect();
    quoted.join(",") + "\r\n"
}

/// A field quoted when it holds a comma, a quote or a line break (RFC 4180); a leading `=`,
/// `+`, `-` or `@` is prefixed with `'` so a spreadsheet does not run it as a formula.
fn field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(super::field("task 1: a, b"), "\"task 1: a, b\"");
        assert_eq!(super::field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(super::field("=1+1"), "'=1+1");
        assert_eq!(super::field("ani"), "ani");
    }
}
