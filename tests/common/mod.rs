//! What the end-to-end tests share: the `townreports run` flags they start
//! the pipeline with, and reading back every event.

// Each test binary includes this module and uses part of it.
#![allow(dead_code)]

use std::path::Path;

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
