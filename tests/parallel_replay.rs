//! Replay on two cores gives exactly the analysis of replay frame by frame.

mod common;

use std::ops::ControlFlow;
use std::path::Path;
use std::time::Duration;

use common::{all_fixtures, fixture};
use labcap::pipeline::{self, Analysis, Pipeline, PipelineOptions};
use labcap::source::{FileSource, PcapngWriter};

fn options() -> PipelineOptions {
    use labcap::checks::{Expect, Expectations};
    // Observers ride along on both threads: their results must agree too.
    PipelineOptions {
        expectations: Expectations::new(vec![
            Expect::Payload("INI ADALAH DATA".into()),
            Expect::ServerSegments(vec![32, 14]),
            Expect::Query("www.espnfc.cosm".into()),
            Expect::Rcode("www.its.ac.id".into(), 0),
        ]),
        ..Default::default()
    }
}

fn both(path: &Path) -> (Analysis, Analysis) {
    let mut serial = Pipeline::new(options());
    FileSource::open(path)
        .unwrap()
        .for_each_frame(&mut |f| {
            serial.push(&f);
            ControlFlow::Continue(())
        })
        .unwrap();
    let (parallel, read) = pipeline::replay(&mut FileSource::open(path).unwrap(), options());
    read.unwrap();
    (serial.finish(), parallel)
}

#[test]
fn every_fixture_analyses_the_same_on_two_cores() {
    for path in all_fixtures().into_iter().chain(common::wire_fixtures()) {
        let (serial, parallel) = both(&path);
        assert_eq!(
            format!("{serial:?}"),
            format!("{parallel:?}"),
            "{}",
            path.display()
        );
    }
}

#[test]
fn many_batches_analyse_the_same_on_two_cores() {
    // The Linux cooked captures, sixty times over, an hour apart: many batches.
    let path = std::env::temp_dir().join(format!("labcap-parallel-{}.pcapng", std::process::id()));
    let mut writer = None;
    for round in 0..60u64 {
        for name in [
            "any-sll.pcapng",
            "mesin1.pcapng",
            "mesin2.pcapng",
            "mesin3.pcapng",
            "concurrent.pcapng",
            "dns.pcapng",
        ] {
            FileSource::open(&fixture(name))
                .unwrap()
                .for_each_frame(&mut |mut f| {
                    let w = writer.get_or_insert_with(|| {
                        PcapngWriter::create(&path, f.link, "any", 262_144).unwrap()
                    });
                    if f.link == labcap::source::LinkType::LINUX_SLL {
                        f.ts += Duration::from_secs(3600 * round);
                        w.write(&f).unwrap();
                    }
                    ControlFlow::Continue(())
                })
                .unwrap();
        }
    }
    writer.unwrap().finish().unwrap();
    let (serial, parallel) = both(&path);
    std::fs::remove_file(&path).unwrap();
    assert!(serial.stats.packets > 10_000, "{}", serial.stats.packets);
    assert!(serial.tcp.connections > 50, "{}", serial.tcp.connections);
    // DNS runs on a third thread, fed in batches of 1,024 packets: more than one.
    let dns = serial.dns.counts.queries + serial.dns.counts.responses;
    assert!(dns > 1_500, "{dns}");
    assert_eq!(format!("{serial:?}"), format!("{parallel:?}"));
}
