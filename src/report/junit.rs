//! The grade report as JUnit XML, for CI: a test suite per student, a test case per task.

use std::fmt::Write;

use super::escape;
use crate::grade::ClassReport;

/// The JUnit XML document.
pub fn grades(report: &ClassReport) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let tests: usize = report.students.iter().map(|s| s.tasks.len()).sum();
    let failures: usize = report
        .students
        .iter()
        .map(|s| s.tasks.iter().filter(|t| !t.passed).count())
        .sum();
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\">",
        xml(&report.spec.name)
    );
    for s in &report.students {
        let failed = s.tasks.iter().filter(|t| !t.passed).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\">",
            xml(&s.student),
            s.tasks.len()
        );
        for t in &s.tasks {
            let _ = write!(
                out,
                "    <testcase classname=\"{}.{}\" name=\"{}\"",
                xml(&report.spec.name),
                xml(&s.student),
                xml(&t.title)
            );
            if t.passed {
                out.push_str("/>\n");
                continue;
            }
            let mut body = String::new();
            for c in &t.checks {
                let _ = writeln!(
                    body,
                    "{} {}: {}",
                    if c.passed { "PASS" } else { "FAIL" },
                    c.name,
                    c.detail
                );
            }
            if let Some(e) = &t.error {
                let _ = writeln!(body, "FAIL capture: {e}");
            }
            let first = t
                .checks
                .iter()
                .find(|c| !c.passed)
                .map(|c| format!("{}: {}", c.name, c.detail))
                .or_else(|| t.error.clone())
                .unwrap_or_default();
            let _ = writeln!(
                out,
                ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                xml(&first),
                xml(&body)
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Text for XML with its line breaks kept (a failure's body lists a check per line).
fn xml(text: &str) -> String {
    text.split('\n')
        .map(escape::xml)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_is_escaped() {
        assert_eq!(
            super::xml("a<b & \"c\"\u{1}\nd"),
            "a&lt;b &amp; &quot;c&quot;?\nd"
        );
    }
}
