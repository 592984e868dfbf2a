//! Grading submissions against a spec: each machine's capture is found by the spec's patterns
//! and read once for all of its tasks; captures are graded in parallel over the cores. A
//! capture that is missing or unreadable fails only the tasks that read it, with the reason.
//! The result is one report model ([`ClassReport`]) that every printer reads.

use crate::analysis::memory::MemCap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use crate::analysis::dns::Transaction;
use crate::analysis::messages::MessagesConfig;
use crate::analysis::tcp::Connection;
use crate::checks::Check;
use crate::pipeline::{analyse_file, Analysis, PipelineOptions};
use crate::spec::{find_capture, Spec, TaskSpec};

/// One student's hand-in: a folder of captures.
#[derive(Clone, Debug)]
pub struct Submission {
    /// The student's name (the folder's name).
    pub name: String,
    /// The folder.
    pub dir: PathBuf,
}

impl Submission {
    /// The submission in `dir`, named after the folder.
    pub fn from_dir(dir: &Path) -> Submission {
        let name = dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| dir.display().to_string());
        Submission {
            name: crate::report::escape::sanitize(&name),
            dir: dir.to_path_buf(),
        }
    }

    /// Every subfolder of `class`, by name: a student each.
    pub fn class(class: &Path) -> anyhow::Result<Vec<Submission>> {
        let entries = std::fs::read_dir(class).map_err(|e| {
            anyhow::anyhow!("cannot read the class folder {}: {e}", class.display())
        })?;
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        dirs.sort();
        if dirs.is_empty() {
            anyhow::bail!(
                "the class folder {} has no subfolders (one per student is expected)",
                class.display()
            );
        }
        Ok(dirs.iter().map(|d| Submission::from_dir(d)).collect())
    }
}

/// The graded class: the spec, then each student.
#[derive(Clone, Debug, Serialize)]
pub struct ClassReport {
    /// The spec graded against.
    pub spec: Spec,
    /// Points of all tasks.
    pub points_possible: u32,
    /// Each student, in the order given.
    pub students: Vec<StudentReport>,
}

/// One student's grade.
#[derive(Clone, Debug, Serialize)]
pub struct StudentReport {
    /// The student's name.
    pub student: String,
    /// The submission folder.
    pub folder: String,
    /// Points earned.
    pub points: u32,
    /// Every task passed.
    pub passed: bool,
    /// Each task of the spec, in order.
    pub tasks: Vec<TaskReport>,
    /// Captures that could not be found or read, a sentence each.
    pub errors: Vec<String>,
}

/// One task's grade.
#[derive(Clone, Debug, Serialize)]
pub struct TaskReport {
    /// As in the spec.
    pub title: String,
    /// Whose capture it read.
    pub machine: String,
    /// The capture file read, when one was found.
    pub capture: Option<String>,
    /// The display filter.
    pub filter: Option<String>,
    /// Points it is worth.
    pub points: u32,
    /// Points earned: all when every check passed, none otherwise.
    pub earned: u32,
    /// Every check passed and the capture was read to its end.
    pub passed: bool,
    /// The checks, in the spec's order (none when the capture could not be read).
    pub checks: Vec<Check>,
    /// Why the task could not be graded in full.
    pub error: Option<String>,
    /// Frames read from the capture.
    pub packets: u64,
    /// Frames the task's filter selected.
    pub matched: u64,
    /// What the task looked at, for the HTML report (kept only when asked; not in the JSON).
    #[serde(skip)]
    pub evidence: Option<Evidence>,
}

/// How much of what each task looked at is kept for the HTML report (sequence diagrams, the
/// DNS table). Kept only when asked: grading alone keeps no events or payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvidenceLimits {
    /// Connections kept with their segments, the first ones the filter selected.
    pub connections: usize,
    /// Segments kept per connection.
    pub events: usize,
    /// Payload bytes kept per segment.
    pub preview_bytes: usize,
    /// DNS transactions kept.
    pub transactions: usize,
}

impl Default for EvidenceLimits {
    fn default() -> EvidenceLimits {
        EvidenceLimits {
            connections: 3,
            events: 200,
            preview_bytes: 64,
            transactions: 100,
        }
    }
}

/// How to grade.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GradeOptions {
    /// Keep what each task looked at, within these limits (for `grade --html`).
    pub evidence: Option<EvidenceLimits>,
    /// The memory cap of each capture's analysis (`--memcap`).
    pub memcap: MemCap,
}

/// What one task looked at: the first connections its filter selected, with their segments,
/// and its DNS transactions.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    /// Time of the capture's first frame (times are shown relative to it).
    pub origin: Duration,
    /// The task's checks read TCP (it ran the TCP analysis).
    pub tcp: bool,
    /// The first connections the filter selected, with their segments.
    pub connections: Vec<Connection>,
    /// Connections the filter selected, all of them.
    pub connections_total: u64,
    /// The task's checks read DNS (it ran the DNS analysis).
    pub dns: bool,
    /// The first DNS transactions the filter selected.
    pub transactions: Vec<Transaction>,
    /// DNS transactions the filter selected, all of them.
    pub transactions_total: u64,
}

impl ClassReport {
    /// True when every student passed every task.
    pub fn all_passed(&self) -> bool {
        self.students.iter().all(|s| s.passed)
    }
}

/// Grades every submission against `spec` with up to `jobs` captures analysed at once.
pub fn grade(spec: &Spec, submissions: &[Submission], jobs: usize) -> ClassReport {
    grade_with(spec, submissions, jobs, GradeOptions::default())
}

/// [`grade`], keeping what `options` asks for.
pub fn grade_with(
    spec: &Spec,
    submissions: &[Submission],
    jobs: usize,
    options: GradeOptions,
) -> ClassReport {
    // One job per (student, machine with tasks).
    let machines: Vec<&str> = spec
        .machines
        .iter()
        .map(|m| m.name.as_str())
        .filter(|m| spec.tasks.iter().any(|t| t.machine == *m))
        .collect();
    let work: Vec<(usize, &str)> = (0..submissions.len())
        .flat_map(|s| machines.iter().map(move |m| (s, *m)))
        .collect();
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, MachineResult)>> = Mutex::new(Vec::with_capacity(work.len()));
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, work.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(student, machine)) = work.get(i) else {
                    break;
                };
                let result = grade_machine(spec, &submissions[student], machine, &options);
                done.lock()
                    .expect("a grading thread panicked")
                    .push((i, result));
            });
        }
    });
    let mut done = done.into_inner().expect("a grading thread panicked");
    done.sort_by_key(|(i, _)| *i);
    let mut students: Vec<StudentReport> = submissions
        .iter()
        .map(|s| StudentReport {
            student: s.name.clone(),
            folder: s.dir.display().to_string(),
            points: 0,
            passed: true,
            tasks: Vec::new(),
            errors: Vec::new(),
        })
        .collect();
    let mut by_task: Vec<Vec<Option<TaskReport>>> =
        vec![vec![None; spec.tasks.len()]; submissions.len()];
    for (i, result) in done {
        let (student, _) = work[i];
        if let Some(e) = result.error {
            students[student].errors.push(e);
        }
        for (task, report) in result.tasks {
            by_task[student][task] = Some(report);
        }
    }
    for (student, tasks) in students.iter_mut().zip(by_task) {
        student.tasks = tasks.into_iter().flatten().collect();
        student.points = student.tasks.iter().map(|t| t.earned).sum();
        student.passed = student.tasks.iter().all(|t| t.passed);
    }
    ClassReport {
        spec: spec.clone(),
        points_possible: spec.points(),
        students,
    }
}

/// The tasks of one machine of one submission, by task index, and the capture's error.
struct MachineResult {
    tasks: Vec<(usize, TaskReport)>,
    error: Option<String>,
}

fn grade_machine(
    spec: &Spec,
    submission: &Submission,
    machine: &str,
    options: &GradeOptions,
) -> MachineResult {
    let tasks: Vec<(usize, &TaskSpec)> = spec
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.machine == machine)
        .collect();
    let report = |task: &TaskSpec, capture: Option<String>| TaskReport {
        title: task.title.clone(),
        machine: machine.to_string(),
        capture,
        filter: task.filter.clone(),
        points: task.points,
        earned: 0,
        passed: false,
        checks: Vec::new(),
        error: None,
        packets: 0,
        matched: 0,
        evidence: None,
    };
    let spec_machine = spec
        .machine(machine)
        .expect("the spec's tasks name its machines");
    let path = match find_capture(&submission.dir, spec_machine) {
        Ok(path) => path,
        Err(e) => {
            let why = e.to_string();
            return MachineResult {
                tasks: tasks
                    .iter()
                    .map(|(i, t)| {
                        (
                            *i,
                            TaskReport {
                                error: Some(why.clone()),
                                ..report(t, None)
                            },
                        )
                    })
                    .collect(),
                error: Some(why),
            };
        }
    };
    let views: Vec<PipelineOptions> = tasks
        .iter()
        .map(|(_, t)| task_options(t, options))
        .collect();
    let (analyses, read) = analyse_file(&path, &views);
    let capture = path
        .file_name()
        .map(|n| crate::report::escape::sanitize(&n.to_string_lossy()));
    let error = read.err().map(|e| e.to_string());
    let opened = analyses.iter().any(|a| a.stats.packets > 0) || error.is_none();
    let tasks = tasks
        .iter()
        .zip(analyses)
        .map(|((i, t), analysis)| {
            // Checks are evaluated over what was read; a capture cut short still fails the
            // task (nothing passes on a part of the evidence), and one that could not be opened
            // has no checks at all.
            let checks = if opened {
                t.expect.evaluate(&analysis)
            } else {
                Vec::new()
            };
            let passed = error.is_none() && !checks.is_empty() && checks.iter().all(|c| c.passed);
            let evidence = options
                .evidence
                .filter(|_| opened)
                .map(|limits| evidence(&analysis, &limits));
            (
                *i,
                TaskReport {
                    earned: if passed { t.points } else { 0 },
                    passed,
                    checks,
                    error: error.clone(),
                    packets: analysis.stats.packets,
                    matched: analysis.stats.matched,
                    evidence,
                    ..report(t, capture.clone())
                },
            )
        })
        .collect();
    MachineResult { tasks, error }
}

/// What the HTML report shows of one task's analysis.
fn evidence(analysis: &Analysis, limits: &EvidenceLimits) -> Evidence {
    Evidence {
        origin: analysis.stats.first_ts.unwrap_or_default(),
        tcp: analysis.ran.tcp,
        connections: analysis
            .connections
            .iter()
            .take(limits.connections)
            .cloned()
            .collect(),
        connections_total: analysis.tcp.connections,
        dns: analysis.ran.dns,
        transactions: analysis
            .dns
            .transactions
            .iter()
            .take(limits.transactions)
            .cloned()
            .collect(),
        transactions_total: analysis.dns.totals.transactions,
    }
}

/// The pipeline of one task: its filter, only the analyzers its checks read, no detail kept
/// beyond what the checks need (and, with `evidence`, the segments of the first connections).
fn task_options(task: &TaskSpec, grading: &GradeOptions) -> PipelineOptions {
    let mut options = PipelineOptions {
        memcap: grading.memcap,
        filter: task.parsed_filter.clone(),
        needs: task.expect.needs(),
        messages: MessagesConfig {
            rules: task.frames.clone(),
            max_exchanges: 100,
            ..Default::default()
        },
        expectations: task.expect.clone(),
        ..Default::default()
    };
    options.tcp.preview_bytes = 0;
    options.tcp.max_events = 0;
    options.tcp.max_connections = 100;
    options.dns.max_transactions = 1000;
    if let Some(limits) = &grading.evidence {
        // Segments for the diagrams: the budget is shared by all connections, in the order
        // their packets come, so the first ones get theirs.
        options.tcp.max_events = limits.events;
        options.tcp.events_budget = limits.events.saturating_mul(limits.connections);
        options.tcp.segment_preview = limits.preview_bytes;
    }
    options
}
