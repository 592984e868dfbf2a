//! The grade report as web pages (`labcap grade --html DIR`): `index.html`, the class (student
//! × task, points and totals, students with a failed task first, each linking to their page),
//! and a page per student (each task's checks, PASS/FAIL coloured, the reason a capture was
//! missing, the sequence diagrams of the connections the task looked at, inline SVG, and its
//! DNS transactions).
//!
//! Self-contained: inline CSS, no scripts, nothing fetched. Readable on a phone (viewport,
//! tables that scroll sideways, a maximum width) and on paper. Everything from a submission or
//! a capture is escaped, and file names made from student names are safe (see [`page_names`]).

use std::collections::HashSet;
use std::fmt::Write;
use std::time::Duration;

use super::diagram::{self, DiagramOptions};
use super::escape::{sanitize, xml};
use crate::analysis::dns::Transaction;
use crate::grade::{ClassReport, StudentReport, TaskReport};
use crate::pipeline::signed_nanos;
use crate::wire::dns::{rcode_name, type_name};

/// The class page's file name.
pub const INDEX: &str = "index.html";

/// Longest file name stem made from a student's name.
const STEM: usize = 64;

const CSS: &str = "\
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0 auto;max-width:980px;padding:12px 14px 40px;background:#fff;color:#111;\
font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif}
h1{font-size:1.45em;margin:.3em 0 .2em}
h2{font-size:1.15em;margin:1.6em 0 .4em;padding-top:.8em;border-top:2px solid #ddd}
h3{font-size:1em;margin:1em 0 .3em}
a{color:#0645ad}
.meta{color:#444;margin:.2em 0}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:.4em 0 .8em;max-width:100%}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{border:1px solid #bbb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eee}
td.n,th.n{text-align:right}
.grid{font-size:.93em}
.grid td,.grid th{white-space:nowrap}
.checks td:last-child,td.t{min-width:15em}
.pass{background:#dcf2e0;color:#0a5c1c;font-weight:600}
.fail{background:#fbdcdc;color:#9a1010;font-weight:600}
.missing{background:#fff1c2;color:#5e4500;font-weight:600}
.badge{display:inline-block;padding:0 .5em;border-radius:4px;margin-left:.3em}
.error{border-left:5px solid #9a1010;background:#fbdcdc;padding:6px 10px;margin:.5em 0}
.note{font-style:italic;color:#333}
code{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:.92em;overflow-wrap:anywhere}
.diagram svg{display:block;max-width:none;height:auto;border:1px solid #ccc}
@media print{body{max-width:none;padding:0}.scroll{overflow:visible}h2{break-before:auto}\
.diagram{break-inside:avoid}}
";

/// The file name of each student's page, in the report's order: the name with everything but
/// ASCII letters, digits, `-`, `_` and `.` made `_`, no leading dot, at most 64 characters,
/// never `index`, and distinct even on a file system that ignores case (`-2`, `-3`… added).
pub fn page_names(report: &ClassReport) -> Vec<String> {
    let mut taken: HashSet<String> = HashSet::new();
    taken.insert("index".to_string());
    report
        .students
        .iter()
        .map(|s| {
            let stem = file_stem(&s.student);
            let mut name = stem.clone();
            let mut n = 1;
            while !taken.insert(name.to_ascii_lowercase()) {
                n += 1;
                name = format!("{stem}-{n}");
            }
            format!("{name}.html")
        })
        .collect()
}

/// A student's name as a safe file name stem (see [`page_names`]).
pub fn file_stem(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stem: String = safe.trim_start_matches('.').chars().take(STEM).collect();
    if stem.is_empty() {
        "student".to_string()
    } else {
        stem
    }
}

/// Every file of the report: `index.html` and each student's page, as (file name, contents).
pub fn pages(report: &ClassReport) -> Vec<(String, String)> {
    let names = page_names(report);
    let mut pages = vec![(INDEX.to_string(), class_page(report, &names))];
    for (i, name) in names.iter().enumerate() {
        pages.push((name.clone(), student_page(report, i)));
    }
    pages
}

fn head(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"labcap {}\">\n<title>{}</title>\n\
         <style>\n{CSS}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION"),
        xml(title)
    );
}

fn foot(out: &mut String) {
    let _ = write!(
        out,
        "<p class=\"meta\">Made by labcap {}.</p>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
}

/// A task's cell: its points when passed, 0 when failed, `–` when its capture was missing or
/// unreadable (as the class table).
fn task_cell(t: &TaskReport) -> (&'static str, String) {
    if t.passed {
        ("pass", t.earned.to_string())
    } else if t.checks.is_empty() && t.error.is_some() {
        ("missing", "–".to_string())
    } else {
        ("fail", "0".to_string())
    }
}

/// A URL path segment (the page names are safe already; this keeps it so).
fn href(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The class page: the table student × task (students with a failed task first), the tasks,
/// and the captures that were missing.
pub fn class_page(report: &ClassReport, names: &[String]) -> String {
    let mut out = String::new();
    let spec = &report.spec;
    head(&mut out, &spec.title);
    let passed = report.students.iter().filter(|s| s.passed).count();
    let _ = write!(
        out,
        "<h1>{}</h1>\n<p class=\"meta\">Spec <code>{}</code> · {} graded · {} of them passed \
         every task · {} points possible</p>\n",
        xml(&spec.title),
        xml(&spec.source),
        crate::checks::plural(report.students.len(), "student"),
        passed,
        report.points_possible
    );
    out.push_str(
        "<p class=\"meta\">Students with a failed task come first. A cell shows the points \
         earned: <span class=\"badge pass\">pass</span> <span class=\"badge fail\">0 \
         failed</span> <span class=\"badge missing\">– capture missing</span></p>\n",
    );
    out.push_str("<div class=\"scroll\"><table class=\"grid\">\n<thead><tr><th>student</th>");
    for (i, t) in spec.tasks.iter().enumerate() {
        let _ = write!(
            out,
            "<th class=\"n\" title=\"{}\">#{}</th>",
            xml(&t.title),
            i + 1
        );
    }
    out.push_str("<th class=\"n\">total</th></tr></thead>\n<tbody>\n");
    let mut order: Vec<usize> = (0..report.students.len()).collect();
    order.sort_by_key(|&i| report.students[i].passed);
    for i in order {
        let s = &report.students[i];
        let _ = write!(
            out,
            "<tr><td><a href=\"{}\">{}</a></td>",
            href(&names[i]),
            xml(&s.student)
        );
        for t in &s.tasks {
            let (class, text) = task_cell(t);
            let _ = write!(
                out,
                "<td class=\"n {class}\" title=\"{}\">{text}</td>",
                xml(&t.title)
            );
        }
        let class = if s.passed { "pass" } else { "fail" };
        let _ = writeln!(
            out,
            "<td class=\"n {class}\">{}/{}</td></tr>",
            s.points, report.points_possible
        );
    }
    out.push_str("</tbody></table></div>\n<h2>Tasks</h2>\n<div class=\"scroll\"><table>\n");
    out.push_str(
        "<thead><tr><th>#</th><th class=\"n\">points</th><th class=\"n\">passed</th>\
         <th>machine</th><th>task and filter</th></tr></thead>\n<tbody>\n",
    );
    for (i, t) in spec.tasks.iter().enumerate() {
        let passed = report
            .students
            .iter()
            .filter(|s| s.tasks.get(i).is_some_and(|t| t.passed))
            .count();
        let _ = writeln!(
            out,
            "<tr><td>#{}</td><td class=\"n\">{}</td><td class=\"n\">{passed}/{}</td>\
             <td>{}</td><td class=\"t\">{}<br><code>{}</code></td></tr>",
            i + 1,
            t.points,
            report.students.len(),
            xml(&t.machine),
            xml(&t.title),
            xml(t.filter.as_deref().unwrap_or("(no filter)")),
        );
    }
    out.push_str("</tbody></table></div>\n");
    let missing: Vec<(usize, &StudentReport)> = report
        .students
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.errors.is_empty())
        .collect();
    if !missing.is_empty() {
        out.push_str("<h2>Captures missing or unreadable</h2>\n<ul>\n");
        for (i, s) in missing {
            for e in &s.errors {
                let _ = writeln!(
                    out,
                    "<li><a href=\"{}\">{}</a>: {}</li>",
                    href(&names[i]),
                    xml(&s.student),
                    xml(e)
                );
            }
        }
        out.push_str("</ul>\n");
    }
    foot(&mut out);
    out
}

/// One student's page: every task with its checks and what it looked at.
pub fn student_page(report: &ClassReport, index: usize) -> String {
    let s = &report.students[index];
    let mut out = String::new();
    head(
        &mut out,
        &format!("{} — {}", sanitize(&s.student), report.spec.title),
    );
    let passed = s.tasks.iter().filter(|t| t.passed).count();
    let class = if s.passed { "pass" } else { "fail" };
    let _ = write!(
        out,
        "<p><a href=\"{INDEX}\">← the class</a></p>\n<h1>{} <span class=\"badge {class}\">\
         {}/{}</span></h1>\n<p class=\"meta\">{} · {passed} of {} tasks passed · folder \
         <code>{}</code></p>\n",
        xml(&s.student),
        s.points,
        report.points_possible,
        xml(&report.spec.title),
        s.tasks.len(),
        xml(&s.folder)
    );
    for e in &s.errors {
        let _ = writeln!(out, "<p class=\"error\">{}</p>", xml(e));
    }
    // The tasks at a glance, linking to each.
    out.push_str(
        "<div class=\"scroll\"><table>\n<thead><tr><th>#</th><th>result</th>\
         <th class=\"n\">points</th><th>task</th><th>machine</th></tr></thead>\n<tbody>\n",
    );
    for (i, t) in s.tasks.iter().enumerate() {
        let class = if t.passed { "pass" } else { "fail" };
        let _ = writeln!(
            out,
            "<tr><td><a href=\"#task-{n}\">#{n}</a></td><td class=\"{class}\">{}</td>\
             <td class=\"n\">{}/{}</td><td class=\"t\">{}</td><td>{}</td></tr>",
            verdict(t),
            t.earned,
            t.points,
            xml(&t.title),
            xml(&t.machine),
            n = i + 1
        );
    }
    out.push_str("</tbody></table></div>\n");
    for (i, t) in s.tasks.iter().enumerate() {
        task_section(&mut out, i + 1, t);
    }
    foot(&mut out);
    out
}

fn verdict(t: &TaskReport) -> &'static str {
    if t.passed {
        "PASS"
    } else if t.checks.is_empty() && t.error.is_some() {
        "FAIL (no capture)"
    } else {
        "FAIL"
    }
}

fn task_section(out: &mut String, n: usize, t: &TaskReport) {
    let class = if t.passed { "pass" } else { "fail" };
    let _ = write!(
        out,
        "<section id=\"task-{n}\">\n<h2>#{n} {} <span class=\"badge {class}\">{} {}/{}</span>\
         </h2>\n<p class=\"meta\">machine {} · capture <code>{}</code>",
        xml(&t.title),
        if t.passed { "PASS" } else { "FAIL" },
        t.earned,
        t.points,
        xml(&t.machine),
        xml(t.capture.as_deref().unwrap_or("none")),
    );
    if let Some(f) = &t.filter {
        let _ = write!(out, " · filter <code>{}</code>", xml(f));
    }
    if t.capture.is_some() {
        let _ = write!(out, " · {} packets read, {} matched", t.packets, t.matched);
    }
    out.push_str("</p>\n");
    if let Some(e) = &t.error {
        let _ = writeln!(
            out,
            "<p class=\"error\"><strong>FAIL capture:</strong> {}</p>",
            xml(e)
        );
    }
    if !t.checks.is_empty() {
        out.push_str(
            "<div class=\"scroll\"><table class=\"checks\">\n<thead><tr><th>result</th>\
             <th>check</th><th>detail</th></tr></thead>\n<tbody>\n",
        );
        for c in &t.checks {
            let (class, word) = if c.passed {
                ("pass", "PASS")
            } else {
                ("fail", "FAIL")
            };
            let _ = writeln!(
                out,
                "<tr><td class=\"{class}\">{word}</td><td><code>{}</code></td><td>{}</td></tr>",
                xml(&c.name),
                xml(&c.detail)
            );
        }
        out.push_str("</tbody></table></div>\n");
    }
    if let Some(e) = &t.evidence {
        if e.tcp {
            out.push_str("<h3>TCP connections</h3>\n");
            if e.connections.is_empty() {
                out.push_str("<p class=\"note\">The filter selected no TCP connection.</p>\n");
            }
            for c in &e.connections {
                let _ = write!(
                    out,
                    "<div class=\"scroll diagram\">\n{}</div>\n",
                    diagram::svg(&[c], e.origin, &DiagramOptions::default())
                );
            }
            let more = e
                .connections_total
                .saturating_sub(e.connections.len() as u64);
            if more > 0 {
                let _ = writeln!(
                    out,
                    "<p class=\"note\">{} more the filter selected {} not drawn (the first {} \
                     are).</p>",
                    crate::checks::plural(more as usize, "connection"),
                    if more == 1 { "is" } else { "are" },
                    e.connections.len()
                );
            }
        }
        if e.dns {
            out.push_str("<h3>DNS transactions</h3>\n");
            if e.transactions.is_empty() {
                out.push_str("<p class=\"note\">The filter selected no DNS transaction.</p>\n");
            } else {
                dns_table(out, &e.transactions, e.origin);
            }
            let more = e
                .transactions_total
                .saturating_sub(e.transactions.len() as u64);
            if more > 0 {
                let _ = writeln!(
                    out,
                    "<p class=\"note\">{more} more transactions not listed.</p>"
                );
            }
        }
    }
    out.push_str("</section>\n");
}

/// The DNS transactions as a table (the columns of the terminal's).
fn dns_table(out: &mut String, transactions: &[Transaction], origin: Duration) {
    out.push_str(
        "<div class=\"scroll\"><table class=\"grid\">\n<thead><tr><th class=\"n\">time (s)</th>\
         <th>id</th><th>client</th><th>server</th><th>proto</th><th>query</th><th>type</th>\
         <th>rcode</th><th>answers</th><th class=\"n\">latency</th></tr></thead>\n<tbody>\n",
    );
    for t in transactions {
        let time = super::seconds_text(signed_nanos(t.first_seen()) - signed_nanos(origin), 6);
        let (rcode, class) = match t.rcode {
            Some(0) => (rcode_name(0).into_owned(), ""),
            Some(code) => (rcode_name(code).into_owned(), " class=\"missing\""),
            None => ("unanswered".to_string(), " class=\"fail\""),
        };
        let mut rcode = rcode;
        if t.retries > 0 {
            let _ = write!(rcode, " ({} retries)", t.retries);
        }
        let answers: Vec<String> = t.answers.iter().map(|a| xml(&a.summary())).collect();
        let _ = writeln!(
            out,
            "<tr><td class=\"n\">{time}</td><td>0x{:04x}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td><code>{}</code></td><td>{}</td><td{class}>{}</td><td>{}</td>\
             <td class=\"n\">{}</td></tr>",
            t.id,
            xml(&t.client.to_string()),
            xml(&t.server.to_string()),
            t.transport.as_str(),
            xml(&t.qname),
            xml(&type_name(t.qtype)),
            xml(&rcode),
            if answers.is_empty() {
                "–".to_string()
            } else {
                answers.join("<br>")
            },
            t.latency().map_or("–".to_string(), |l| format!(
                "{:.3} ms",
                l.as_secs_f64() * 1e3
            ))
        );
    }
    out.push_str("</tbody></table></div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Check;
    use crate::grade::{ClassReport, StudentReport, TaskReport};
    use crate::spec::Spec;

    fn task(title: &str, passed: bool, error: Option<&str>) -> TaskReport {
        TaskReport {
            title: title.into(),
            machine: "mesin1".into(),
            capture: error.is_none().then(|| "mesin1.pcapng".into()),
            filter: Some("tcp.port==10000 && ip.addr==172.16.16.101".into()),
            points: 10,
            earned: if passed { 10 } else { 0 },
            passed,
            checks: if error.is_some() {
                Vec::new()
            } else {
                vec![Check {
                    name: "payload \"<script>alert(1)</script>\"".into(),
                    passed,
                    detail: "found in stream 0 & more".into(),
                }]
            },
            error: error.map(String::from),
            packets: 12,
            matched: 10,
            evidence: None,
        }
    }

    fn report(names: &[&str]) -> ClassReport {
        let spec = Spec::load("tugas1").unwrap();
        ClassReport {
            points_possible: 20,
            students: names
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let ok = i % 2 == 0;
                    StudentReport {
                        student: n.to_string(),
                        folder: format!("/class/{n}"),
                        points: if ok { 20 } else { 10 },
                        passed: ok,
                        tasks: vec![
                            task("one", true, None),
                            task("two <b>", ok, (!ok).then_some("no capture of mesin1")),
                        ],
                        errors: Vec::new(),
                    }
                })
                .collect(),
            spec,
        }
    }

    #[test]
    fn file_names_are_safe_distinct_and_never_the_index() {
        let r = report(&[
            "ani",
            "../../etc/passwd",
            ".hidden",
            "a/b",
            "a\\b",
            "A_B",
            "index",
            "Índex ünï",
            "",
            "...",
            &"x".repeat(300),
        ]);
        let names = page_names(&r);
        assert_eq!(
            &names[..10],
            [
                "ani.html",
                "_.._etc_passwd.html",
                "hidden.html",
                "a_b.html",
                "a_b-2.html",
                "A_B-3.html",
                "index-2.html",
                "_ndex__n_.html",
                "student.html",
                "student-2.html",
            ]
        );
        assert_eq!(names[10].len(), 64 + ".html".len());
        for n in &names {
            assert!(!n.starts_with('.') && !n.contains('/') && !n.contains('\\'));
        }
        let lower: HashSet<String> = names.iter().map(|n| n.to_lowercase()).collect();
        assert_eq!(lower.len(), names.len());
        assert!(!lower.contains(INDEX));
    }

    #[test]
    fn pages_link_escape_and_put_failed_students_first() {
        let r = report(&["ani", "<img src=x onerror=alert(1)>", "citra"]);
        let pages = pages(&r);
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "index.html",
                "ani.html",
                "_img_src_x_onerror_alert_1__.html",
                "citra.html"
            ]
        );
        let index = &pages[0].1;
        assert!(index.starts_with("<!DOCTYPE html>"));
        assert!(index.contains("name=\"viewport\""));
        assert!(!index.contains("<img") && !index.contains("<script"));
        assert!(index.contains("&lt;img src=x onerror=alert(1)&gt;"));
        // The failed student's row comes first.
        let failed = index.find("href=\"_img_src_x").unwrap();
        assert!(failed < index.find("href=\"ani.html\"").unwrap());
        assert!(failed < index.find("href=\"citra.html\"").unwrap());
        // Every link goes to a page of the report.
        for (_, page) in &pages {
            for link in page.split("href=\"").skip(1) {
                let target = &link[..link.find('"').unwrap()];
                let file = target.split('#').next().unwrap();
                assert!(
                    file.is_empty() || names.contains(&file),
                    "{target} is not a page"
                );
            }
        }
        let student = &pages[2].1;
        assert!(student.contains("FAIL capture:</strong> no capture of mesin1"));
        assert!(student.contains("class=\"fail\">FAIL (no capture)"));
        assert!(student.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!student.contains("<script"));
        assert!(student.contains("two &lt;b&gt;"));
        assert!(!student.contains("<svg"), "no evidence kept, no diagram");
    }
}
