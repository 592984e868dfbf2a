//! What each machine's capture must show, task by task, as in the lab's instructions, and the
//! grading of a folder of captures (`mesin1.pcapng`, `mesin2.pcapng`, `mesin3.pcapng`).

use std::ops::ControlFlow;
use std::path::Path;

use crate::analysis::tcp::{Connection, Direction};
use crate::checks::{Check, DnsExpectations, Expectations};
use crate::echo::LAB_MESSAGE;
use crate::filter::Filter;
use crate::pipeline::{Analysis, Pipeline, PipelineOptions};
use crate::source::FileSource;
use crate::wire::dns::rcode_from_name;

/// One graded view of one machine's capture.
#[derive(Clone, Debug)]
pub struct Expectation {
    /// Whose capture (`mesin1`).
    pub machine: &'static str,
    /// Which task, in words.
    pub task: &'static str,
    /// The display filter that selects the task's packets.
    pub filter: &'static str,
    /// What those packets must show.
    pub expect: Expectations,
    /// The server's echo segments must have these payload lengths, in order.
    pub echo_pieces: Option<Vec<u32>>,
}

/// The graded result of one [`Expectation`].
#[derive(Clone, Debug)]
pub struct Graded {
    /// What was expected.
    pub expectation: Expectation,
    /// The checks, in order.
    pub checks: Vec<Check>,
}

/// Every expectation of the assignment.
pub fn lab_expectations() -> Vec<Expectation> {
    let message = LAB_MESSAGE.to_string();
    let echoed = |connections: usize, payload: Option<&str>| Expectations {
        handshake: true,
        close: true,
        echo: true,
        no_rst: true,
        connections: Some(connections),
        payloads: payload.map(|p| vec![p.to_string()]).unwrap_or_default(),
        ..Default::default()
    };
    vec![
        Expectation {
            machine: "mesin2",
            task: "task 1: DNS lookups through 127.0.0.11",
            filter: "udp.port==53",
            expect: Expectations {
                dns: DnsExpectations {
                    queries: vec!["www.espnfc.cosm".into()],
                    answers: vec!["www.espnfc.com".into(), "www.its.ac.id".into()],
                    rcodes: vec![(
                        "www.espnfc.cosm".into(),
                        rcode_from_name("NXDOMAIN").unwrap_or(3),
                    )],
                    no_unanswered: true,
                },
                ..Default::default()
            },
            echo_pieces: None,
        },
        Expectation {
            machine: "mesin2",
            task: "task 2: localhost:10000 is refused on mesin2",
            filter: "tcp.port==10000 && ip.addr==127.0.0.1",
            expect: Expectations {
                refused: true,
                connections: Some(1),
                ..Default::default()
            },
            echo_pieces: None,
        },
        Expectation {
            machine: "mesin2",
            task: "task 2: echo from 172.16.16.101:10000",
            filter: "tcp.port==10000 && ip.addr==172.16.16.101",
            expect: echoed(1, Some(&message)),
            echo_pieces: Some(vec![32, 14]),
        },
        Expectation {
            machine: "mesin1",
            task: "task 2: mesin1 serves mesin2 on 10000",
            filter: "tcp.port==10000",
            expect: echoed(1, Some(&message)),
            echo_pieces: Some(vec![32, 14]),
        },
        Expectation {
            machine: "mesin1",
            task: "task 3: a 97-byte file echoed on 32444",
            filter: "tcp.port==32444",
            expect: echoed(1, None),
            echo_pieces: Some(vec![32, 32, 32, 1]),
        },
        Expectation {
            machine: "mesin1",
            task: "task 4: mesin2 and mesin3 at once on 32434",
            filter: "tcp.port==32434",
            expect: Expectations {
                concurrent: true,
                ..echoed(2, Some(&message))
            },
            echo_pieces: None,
        },
        Expectation {
            machine: "mesin2",
            task: "task 4: mesin2 sends the file on 32434",
            filter: "tcp.port==32434",
            expect: echoed(1, None),
            echo_pieces: None,
        },
        Expectation {
            machine: "mesin3",
            task: "task 4: mesin3 sends the message on 32434",
            filter: "tcp.port==32434",
            expect: echoed(1, Some(&message)),
            echo_pieces: Some(vec![32, 14]),
        },
    ]
}

/// Grades the captures in `dir` (`MACHINE.pcapng` each).
pub fn grade(dir: &Path) -> anyhow::Result<Vec<Graded>> {
    lab_expectations()
        .into_iter()
        .map(|expectation| {
            let path = dir.join(format!("{}.pcapng", expectation.machine));
            let analysis = analyse(&path, &expectation)?;
            let mut checks = expectation.expect.evaluate(&analysis);
            if let Some(pieces) = &expectation.echo_pieces {
                checks.push(echo_pieces(&analysis.connections, pieces));
            }
            Ok(Graded {
                expectation,
                checks,
            })
        })
        .collect()
}

fn analyse(path: &Path, expectation: &Expectation) -> anyhow::Result<Analysis> {
    let filter = Filter::parse(expectation.filter)
        .map_err(|e| anyhow::anyhow!("lab filter {:?}: {}", expectation.filter, e.message))?;
    let mut options = PipelineOptions {
        filter: Some(filter),
        ..Default::default()
    };
    expectation.expect.prepare(&mut options);
    let mut pipeline = Pipeline::new(options);
    FileSource::open(path)?.for_each_frame(&mut |frame| {
        pipeline.push(&frame);
        ControlFlow::Continue(())
    })?;
    Ok(pipeline.finish())
}

/// The server's data segments, in order, have the lengths the lab's recv(32) gives.
fn echo_pieces(conns: &[Connection], want: &[u32]) -> Check {
    let got: Vec<Vec<u32>> = conns
        .iter()
        .filter(|c| c.handshake)
        .map(|c| {
            c.events
                .iter()
                .filter(|e| e.dir == Direction::ServerToClient && e.len > 0)
                .map(|e| e.len)
                .collect()
        })
        .collect();
    let passed = !got.is_empty() && got.iter().all(|g| g == want);
    Check {
        name: format!("echo pieces {want:?}"),
        passed,
        detail: format!("server data segments: {got:?}"),
    }
}
