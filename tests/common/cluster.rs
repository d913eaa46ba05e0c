//! A three-node nats-server cluster with JetStream on loopback ports: the
//! topology of the production deployment (the NATS chart's three servers),
//! on one machine. Nodes can be killed (SIGKILL) and restarted on their
//! ports and stores, as a crashed pod comes back on its volume.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::{Child, Command};
use townreports_bus::embedded::{find_nats_server, free_port};
use townreports_bus::service::patiently;
use townreports_bus::{Bus, NatsOptions};

pub struct Node {
    config: PathBuf,
    client_port: u16,
    child: Option<Child>,
}

pub struct NatsCluster {
    binary: PathBuf,
    pub nodes: Vec<Node>,
}

impl NatsCluster {
    /// Starts `size` servers routed to each other, storing under `dir`.
    pub async fn start(dir: &Path, size: usize) -> NatsCluster {
        let binary = find_nats_server().unwrap();
        let ports: Vec<(u16, u16)> = (0..size)
            .map(|_| (free_port().unwrap(), free_port().unwrap()))
            .collect();
        let routes: Vec<String> = ports
            .iter()
            .map(|(_, route)| format!("nats-route://127.0.0.1:{route}"))
            .collect();
        let mut nodes = Vec::new();
        for (i, (client, route)) in ports.iter().enumerate() {
            let store = dir.join(format!("n{i}"));
            std::fs::create_dir_all(&store).unwrap();
            let config = dir.join(format!("n{i}.conf"));
            std::fs::write(
                &config,
                format!(
                    "server_name: n{i}\nlisten: 127.0.0.1:{client}\n\
                     jetstream {{ store_dir: {store:?} }}\n\
                     cluster {{ name: townreports, listen: 127.0.0.1:{route}, routes: [{}] }}\n",
                    routes.join(", ")
                ),
            )
            .unwrap();
            nodes.push(Node {
                config,
                client_port: *client,
                child: None,
            });
        }
        let mut cluster = NatsCluster { binary, nodes };
        for i in 0..size {
            cluster.restart(i).await;
        }
        cluster
    }

    /// Every node's client URL, comma-separated (as `NATS_URL` takes them).
    pub fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("nats://127.0.0.1:{}", n.client_port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// SIGKILL node `i`.
    pub async fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            child.kill().await.unwrap();
        }
    }

    /// (Re)starts node `i` on its port and store, and waits until it listens.
    pub async fn restart(&mut self, i: usize) {
        self.kill(i).await;
        let node = &mut self.nodes[i];
        let log = node.config.with_extension("log");
        let mut child = Command::new(&self.binary)
            .arg("-c")
            .arg(&node.config)
            .arg("-l")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        townreports_bus::embedded::wait_listening(&mut child, node.client_port, &log)
            .await
            .unwrap();
        node.child = Some(child);
    }

    /// A client of the whole cluster that replicates streams on every node,
    /// once the cluster has elected its JetStream leader and the topology
    /// exists.
    pub async fn bus(&self) -> Bus {
        let mut options = NatsOptions::with_url(self.urls());
        options.replicas = self.nodes.len() as u8;
        let bus = Bus::connect(&options, "test").await.unwrap();
        patiently("the cluster's topology", || bus.ensure_topology())
            .await
            .unwrap();
        bus
    }

    pub async fn stop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i).await;
        }
    }
}
