//! The grade report for a terminal: the class table (student × task, points, total), and for
//! each student the checks of every task.

use std::fmt::Write;

use super::escape::escape_text;
use super::text::{self, paint, Tone};
use crate::grade::{ClassReport, StudentReport};

/// Width the class table must fit in.
pub const WIDTH: usize = 80;
/// Longest student name shown in the table.
const NAME: usize = 18;

/// The class table, then the tasks it numbers. When the tasks do not fit in `width` columns
/// each student gets one line with the total and the tasks missed. With `color`, a task's
/// points are green when passed, red when failed, yellow when its capture is missing.
pub fn class_table(report: &ClassReport, width: usize, color: bool) -> String {
    let tasks = &report.spec.tasks;
    let name_width = report
        .students
        .iter()
        .map(|s| s.student.chars().count().min(NAME))
        .max()
        .unwrap_or(7)
        .max("student".len());
    let cell = tasks
        .iter()
        .enumerate()
        .map(|(i, t)| format!("#{}", i + 1).len().max(t.points.to_string().len()))
        .max()
        .unwrap_or(2)
        .max(3);
    let total_width = format!("{0}/{0}", report.points_possible).len().max(5);
    let wide = name_width + tasks.len() * (cell + 1) + 1 + total_width;
    let mut out = String::new();
    if wide <= width {
        let _ = write!(out, "{:<name_width$}", "student");
        for i in 0..tasks.len() {
            let _ = write!(out, " {:>cell$}", format!("#{}", i + 1));
        }
        let _ = writeln!(out, " {:>total_width$}", "total");
        for s in &report.students {
            let _ = write!(out, "{:<name_width$}", short(&s.student, name_width));
            for t in &s.tasks {
                let (mark, tone) = if t.passed {
                    (t.earned.to_string(), Tone::Pass)
                } else if t.checks.is_empty() && t.error.is_some() {
                    ("-".to_string(), Tone::Warn)
                } else {
                    ("0".to_string(), Tone::Fail)
                };
                let pad = cell.saturating_sub(mark.len());
                let _ = write!(out, " {:pad$}{}", "", paint(&mark, tone, color));
            }
            let _ = writeln!(
                out,
                " {:>total_width$}",
                format!("{}/{}", s.points, report.points_possible)
            );
        }
    } else {
        for s in &report.students {
            let missed: Vec<String> = s
                .tasks
                .iter()
                .enumerate()
                .filter(|(_, t)| !t.passed)
                .map(|(i, _)| format!("#{}", i + 1))
                .collect();
            let _ = writeln!(
                out,
                "{:<name_width$} {:>total_width$}  {}",
                short(&s.student, name_width),
                format!("{}/{}", s.points, report.points_possible),
                if missed.is_empty() {
                    paint("all tasks passed", Tone::Pass, color)
                } else {
                    paint(&format!("failed {}", missed.join(" ")), Tone::Fail, color)
                }
            );
        }
    }
    out.push('\n');
    for (i, t) in tasks.iter().enumerate() {
        let line = format!(
            "#{:<2} {:>3} pt  {} ({})",
            i + 1,
            t.points,
            t.title,
            t.machine
        );
        let _ = writeln!(out, "{}", short(&line, width));
    }
    let passed = report.students.iter().filter(|s| s.passed).count();
    let _ = writeln!(
        out,
        "\n{} of {} passed every task ('-' = capture missing or unreadable)",
        passed,
        crate::checks::plural(report.students.len(), "student")
    );
    out
}

/// Every task of one student with its checks, as `labcap lab check` prints them.
pub fn student_detail(s: &StudentReport, color: bool) -> String {
    let mut out = String::new();
    for t in &s.tasks {
        let filter = t
            .filter
            .as_deref()
            .map(|f| format!(" ({f})"))
            .unwrap_or_default();
        let capture = t.capture.clone().unwrap_or_else(|| t.machine.clone());
        let _ = writeln!(
            out,
            "\n{} — {}{}",
            escape_text(&capture),
            escape_text(&t.title),
            escape_text(&filter)
        );
        out.push_str(&text::checks(&t.checks, color));
        if let Some(e) = &t.error {
            let _ = writeln!(
                out,
                "{} capture: {}",
                text::verdict(false, color),
                escape_text(e)
            );
        }
    }
    out
}

/// `text` broken at spaces into lines of at most `width` columns (a word longer than that
/// stands alone), the lines after the first indented.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = indent.to_string();
        } else if len > 0 {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

fn short(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_lines_wrap_at_spaces() {
        let text = "budi: no capture of mesin3 in /a/long/folder (looked for mesin3*.pcapng)";
        let wrapped = super::wrap(text, 30, "  ");
        assert!(
            wrapped.lines().all(|l| l.chars().count() <= 30),
            "{wrapped}"
        );
        assert_eq!(wrapped.replace("\n  ", " ").trim_end(), text);
    }
}
