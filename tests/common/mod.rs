//! What the end-to-end tests share: the `townreports run` flags they start
//! the pipeline with, and reading back every event.

// Each test binary includes this module and uses part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use prost::Message;
use townreports::run::RunArgs;
use townreports_bus::Bus;
use townreports_proto::topology::STREAM_EVENTS;
use townreports_proto::v1::ReportEvent;

/// `townreports run --sites … --data-dir … --nats-url …` (and `--once`).
pub fn run_args(sites: &Path, data_dir: &Path, nats_url: &str, once: bool) -> RunArgs {
    use clap::Parser;
    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        run: RunArgs,
    }
    let mut args = vec![
        "t",
        "--sites",
        sites.to_str().unwrap(),
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--nats-url",
        nats_url,
    ];
    if once {
        args.push("--once");
    }
    Wrap::parse_from(args).run
}

/// Every event in the stream, with its subject, in order.
pub async fn events(bus: &Bus) -> Vec<(String, ReportEvent)> {
    let stream = bus.jetstream().get_stream(STREAM_EVENTS).await.unwrap();
    let last = bus.stream_messages(STREAM_EVENTS).await.unwrap();
    let mut out = Vec::new();
    for seq in 1..=last {
        let m = stream.get_raw_message(seq).await.unwrap();
        out.push((m.subject.to_string(), ReportEvent::decode(m.payload).unwrap()));
    }
    out
}

/// Per host, from the portals' own log: never two requests at once, never
/// closer than `min_delay` (the fault portal: its robots.txt `Crawl-delay`),
/// and the fault portal's disallowed path never asked for, its calendar
/// trap cut off.
pub fn politeness_holds(log: &[townreports_portals::RequestRecord], min_delay: Duration) {
    let mut by_portal: BTreeMap<&str, Vec<&townreports_portals::RequestRecord>> = BTreeMap::new();
    for r in log {
        by_portal.entry(&r.portal).or_default().push(r);
    }
    let crawl_delay = Duration::from_millis(500).max(min_delay);
    for (portal, mut requests) in by_portal {
        requests.sort_by_key(|r| r.started);
        for pair in requests.windows(2) {
            assert!(
                pair[1].started >= pair[0].finished,
                "{portal}: {} began before {} was answered",
                pair[1].path,
                pair[0].path
            );
            let delay = if portal == townreports_portals::faults::ID {
                crawl_delay
            } else {
                min_delay
            };
            let gap = pair[1].started - pair[0].finished;
            assert!(
                gap >= delay,
                "{portal}: {} only {gap:?} after {}",
                pair[1].path,
                pair[0].path
            );
        }
        if portal == townreports_portals::faults::ID {
            assert_eq!(requests[0].path, "/robots.txt", "robots.txt first");
            for never in townreports_portals::faults::NEVER_FETCHED {
                assert!(requests.iter().all(|r| r.path != *never), "{never} is disallowed");
            }
            let calendar = requests.iter().filter(|r| r.path.starts_with("/cal/")).count();
            assert!(calendar <= 31, "the calendar trap was cut off: {calendar} pages");
        }
    }
}
