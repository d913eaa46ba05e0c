//! The Kubernetes deployment (`deploy/`), offline: every overlay renders
//! and passes the schema validators (`deploy/validate.sh`: Kubernetes
//! schemas, strict, and KEDA's), and agrees with the code where a schema
//! cannot tell: each KEDA trigger names a stream and durable consumer the
//! topology creates (a misspelt consumer makes KEDA scale to the maximum),
//! each ScaledObject scales a Deployment of the render, pods outlive the
//! workers' grace period, NATS_REPLICAS fits the NATS each overlay expects,
//! the sites file parses. Corrupted renders are shown to be rejected.
//!
//! Needs kubectl, python3 (venv), node and npm: `scripts/setup.sh` installs
//! them, and the test fails rather than skips without them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use townreports_proto::topology::StageName;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root")
}

fn run(command: &mut Command, what: &str) -> Output {
    command.output().unwrap_or_else(|e| {
        panic!("cannot run {what}: {e}\n(scripts/setup.sh installs kubectl, python3, node and npm)")
    })
}

/// `deploy/validate.sh ARGS`: (success, stdout, stderr).
fn validate(args: &[&str]) -> (bool, String, String) {
    let out = run(
        Command::new("bash").arg(repo().join("deploy/validate.sh")).args(args),
        "deploy/validate.sh",
    );
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `kubectl kustomize deploy/overlays/OVERLAY`.
fn render(overlay: &str) -> String {
    let dir = repo().join("deploy/overlays").join(overlay);
    let out = run(Command::new("kubectl").arg("kustomize").arg(&dir), "kubectl");
    assert!(
        out.status.success(),
        "kubectl kustomize {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 manifests")
}

/// Every document of a multi-document YAML stream.
fn parse(yaml: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(yaml)
        .map(|doc| Value::deserialize(doc).expect("valid YAML"))
        .filter(|v| !v.is_null())
        .collect()
}

fn to_yaml(objects: &[Value]) -> String {
    objects
        .iter()
        .map(|o| serde_yaml_ng::to_string(o).expect("serialisable"))
        .collect::<Vec<_>>()
        .join("---\n")
}

fn kind(o: &Value) -> &str {
    o["kind"].as_str().unwrap_or("")
}

fn name(o: &Value) -> &str {
    o["metadata"]["name"].as_str().unwrap_or("")
}

fn of_kind<'a>(objects: &'a [Value], k: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    objects.iter().filter(move |o| kind(o) == k)
}

/// The generated ConfigMap `townreports-config-<hash>`.
fn config(objects: &[Value]) -> &Value {
    let found: Vec<&Value> = of_kind(objects, "ConfigMap")
        .filter(|o| name(o).starts_with("townreports-config"))
        .collect();
    assert_eq!(found.len(), 1, "one townreports-config ConfigMap");
    found[0]
}

fn config_value<'a>(objects: &'a [Value], key: &str) -> &'a str {
    config(objects)["data"][key]
        .as_str()
        .unwrap_or_else(|| panic!("townreports-config has no {key}"))
}

fn containers(deployment: &Value) -> &[Value] {
    deployment["spec"]["template"]["spec"]["containers"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The subcommand a Deployment runs (its first container's first arg).
fn subcommand(deployment: &Value) -> &str {
    containers(deployment)
        .first()
        .and_then(|c| c["args"][0].as_str())
        .unwrap_or("")
}

fn replicas(deployment: &Value) -> i64 {
    deployment["spec"]["replicas"].as_i64().unwrap_or(1)
}

/// What is wrong with a rendered overlay that its schemas cannot see; empty
/// when it agrees with the code.
fn problems(objects: &[Value]) -> Vec<String> {
    let mut problems = Vec::new();
    let deployments: BTreeMap<&str, &Value> = of_kind(objects, "Deployment").map(|d| (name(d), d)).collect();

    // Every worker type and the API run, each in one Deployment.
    for wanted in StageName::ALL.iter().map(|s| s.name()).chain(["serve"]) {
        let running: Vec<&str> = deployments
            .iter()
            .filter(|(_, d)| subcommand(d) == wanted)
            .map(|(n, _)| *n)
            .collect();
        if running.len() != 1 {
            problems.push(format!("`{wanted}` runs in {running:?}, expected one Deployment"));
        }
    }

    // Pods outlive the workers' grace period (or SIGKILL cuts in-flight work).
    let grace = humantime::parse_duration(config_value(objects, "GRACE_PERIOD")).expect("GRACE_PERIOD parses");
    for (n, d) in &deployments {
        let termination = d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
            .as_u64()
            .unwrap_or(30);
        if Duration::from_secs(termination) <= grace {
            problems.push(format!(
                "Deployment {n}: terminationGracePeriodSeconds {termination} is not above GRACE_PERIOD {grace:?}"
            ));
        }
    }

    // Probes and the Prometheus annotation use the port METRICS_ADDR binds.
    let metrics_port: u64 = config_value(objects, "METRICS_ADDR")
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("METRICS_ADDR has a port");
    for (n, d) in deployments.iter().filter(|(_, d)| subcommand(d) != "serve") {
        let c = &containers(d)[0];
        let port_of = |name: &str| {
            c["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["name"] == name)
                .and_then(|p| p["containerPort"].as_u64())
        };
        for probe in ["livenessProbe", "readinessProbe"] {
            let port = &c[probe]["httpGet"]["port"];
            let port = port.as_u64().or_else(|| port.as_str().and_then(port_of));
            if port != Some(metrics_port) {
                problems.push(format!(
                    "Deployment {n}: {probe} port {port:?} is not METRICS_ADDR's {metrics_port}"
                ));
            }
        }
        let annotated = &d["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"];
        if annotated.as_str() != Some(metrics_port.to_string().as_str()) {
            problems.push(format!(
                "Deployment {n}: prometheus.io/port {annotated} is not {metrics_port}"
            ));
        }
    }

    // KEDA: each ScaledObject scales a worker Deployment of this render on
    // that worker's own stream and durable consumer, and asks the NATS of
    // its namespace.
    let mut scaled = BTreeSet::new();
    for so in of_kind(objects, "ScaledObject") {
        let so_name = name(so);
        let target = &so["spec"]["scaleTargetRef"];
        let target_kind = target["kind"].as_str().unwrap_or("Deployment");
        let target_name = target["name"].as_str().unwrap_or("");
        let Some(deployment) = deployments.get(target_name).filter(|_| target_kind == "Deployment") else {
            problems.push(format!(
                "ScaledObject {so_name}: scaleTargetRef {target_kind}/{target_name} is not a Deployment of the render"
            ));
            continue;
        };
        if !scaled.insert(target_name) {
            problems.push(format!(
                "ScaledObject {so_name}: Deployment {target_name} is scaled twice"
            ));
        }
        let Some(stage) = StageName::from_name(subcommand(deployment)) else {
            problems.push(format!("ScaledObject {so_name}: {target_name} runs no worker"));
            continue;
        };
        if stage == StageName::Scheduler {
            problems.push(format!(
                "ScaledObject {so_name}: the scheduler is one active replica by lease, never autoscaled"
            ));
        }
        let namespace = so["metadata"]["namespace"].as_str().unwrap_or("");
        let triggers = so["spec"]["triggers"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        if triggers.is_empty() {
            problems.push(format!("ScaledObject {so_name}: no triggers"));
        }
        for trigger in triggers {
            let meta = &trigger["metadata"];
            if trigger["type"] != "nats-jetstream" {
                problems.push(format!("ScaledObject {so_name}: trigger type {}", trigger["type"]));
                continue;
            }
            let (stream, consumer) = (meta["stream"].as_str(), meta["consumer"].as_str());
            if !StageName::ALL
                .iter()
                .any(|s| stream == Some(s.stream()) && consumer == Some(s.consumer()))
            {
                problems.push(format!(
                    "ScaledObject {so_name}: stream {stream:?} with consumer {consumer:?} is no stream and \
                     durable consumer the topology creates"
                ));
            } else if (stream, consumer) != (Some(stage.stream()), Some(stage.consumer())) {
                problems.push(format!(
                    "ScaledObject {so_name}: scales {target_name} ({}) on {stream:?}/{consumer:?}, not on {}/{}",
                    stage.name(),
                    stage.stream(),
                    stage.consumer()
                ));
            }
            let endpoint = meta["natsServerMonitoringEndpoint"].as_str().unwrap_or("");
            let expected = format!("nats-headless.{namespace}.svc.cluster.local:8222");
            if endpoint != expected {
                problems.push(format!(
                    "ScaledObject {so_name}: natsServerMonitoringEndpoint {endpoint:?}, expected {expected:?}"
                ));
            }
        }
    }

    // The sites file parses, where SITES_FILE says it is mounted.
    let sites_file = PathBuf::from(config_value(objects, "SITES_FILE"));
    let sites = of_kind(objects, "ConfigMap")
        .find(|o| name(o).starts_with("townreports-sites"))
        .expect("a townreports-sites ConfigMap");
    let file_name = sites_file
        .file_name()
        .and_then(|f| f.to_str())
        .expect("SITES_FILE names a file");
    match sites["data"][file_name].as_str() {
        None => problems.push(format!("townreports-sites has no {file_name}")),
        Some(text) => {
            if let Err(e) = townreports_sites::SitesFile::parse(text, &sites_file) {
                problems.push(format!("the sites file does not parse: {e}"));
            }
        }
    }
    for (n, d) in deployments
        .iter()
        .filter(|(_, d)| matches!(subcommand(d), "scheduler" | "fetcher"))
    {
        let volumes = d["spec"]["template"]["spec"]["volumes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let sites_volume = volumes
            .iter()
            .find(|v| v["configMap"]["name"].as_str() == Some(name(sites)))
            .and_then(|v| v["name"].as_str());
        let mounted = containers(d)[0]["volumeMounts"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| {
                Some(m["name"].as_str().unwrap_or("")) == sites_volume
                    && Path::new(m["mountPath"].as_str().unwrap_or("")) == sites_file.parent().unwrap()
            });
        if !mounted {
            problems.push(format!(
                "Deployment {n}: the sites ConfigMap is not mounted at {}",
                sites_file.display()
            ));
        }
    }

    // Every required Secret key is in the template the README says to fill in.
    let template = std::fs::read_to_string(repo().join("deploy/base/secret.example.yaml")).expect("secret template");
    let template = parse(&template).remove(0);
    for (n, d) in &deployments {
        for c in containers(d) {
            for env in c["env"].as_array().into_iter().flatten() {
                let key_ref = &env["valueFrom"]["secretKeyRef"];
                let (Some(secret), Some(key)) = (key_ref["name"].as_str(), key_ref["key"].as_str()) else {
                    continue;
                };
                let optional = key_ref["optional"].as_bool().unwrap_or(false);
                if secret != name(&template) || (!optional && template["stringData"][key].is_null()) {
                    problems.push(format!(
                        "Deployment {n}: needs {secret}/{key}, which deploy/base/secret.example.yaml lacks"
                    ));
                }
            }
        }
    }
    problems
}

#[test]
fn every_overlay_passes_the_schema_validators() {
    let (ok, stdout, stderr) = validate(&["dev", "prod"]);
    assert!(ok, "deploy/validate.sh dev prod failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("dev: ok"), "{stdout}");
    // Every ScaledObject of prod went through KEDA's schema.
    assert!(
        stdout.contains("prod: ok") && stdout.contains("4 KEDA objects valid"),
        "{stdout}"
    );
}

#[test]
fn overlays_agree_with_the_code() {
    for overlay in ["dev", "prod"] {
        let objects = parse(&render(overlay));
        let problems = problems(&objects);
        assert!(problems.is_empty(), "{overlay}:\n  {}", problems.join("\n  "));
        assert!(
            objects
                .iter()
                .all(|o| kind(o) == "Namespace" || o["metadata"]["namespace"] == "townreports"),
            "{overlay}: everything in namespace townreports"
        );
    }

    // dev: one single NATS server, one replica of everything, no KEDA.
    let dev = parse(&render("dev"));
    assert_eq!(config_value(&dev, "NATS_REPLICAS"), "1");
    assert!(of_kind(&dev, "Deployment").all(|d| replicas(d) == 1));
    assert_eq!(of_kind(&dev, "ScaledObject").count(), 0);

    // prod: three replicas of every stream on the clustered NATS, a standby
    // scheduler, every other worker autoscaled; the fetchers within 4.
    let prod = parse(&render("prod"));
    assert_eq!(config_value(&prod, "NATS_REPLICAS"), "3");
    assert_eq!(
        config_value(&prod, "NATS_URL"),
        "nats://nats.townreports.svc.cluster.local:4222"
    );
    let scheduler = of_kind(&prod, "Deployment")
        .find(|d| subcommand(d) == "scheduler")
        .unwrap();
    assert_eq!(replicas(scheduler), 2);
    let scaled: BTreeSet<&str> = of_kind(&prod, "ScaledObject")
        .map(|so| so["spec"]["triggers"][0]["metadata"]["consumer"].as_str().unwrap())
        .collect();
    let workers: BTreeSet<&str> = StageName::ALL
        .iter()
        .filter(|s| **s != StageName::Scheduler)
        .map(|s| s.consumer())
        .collect();
    assert_eq!(scaled, workers);
    let fetcher = of_kind(&prod, "ScaledObject")
        .find(|so| name(so) == "townreports-fetcher")
        .unwrap();
    assert!(fetcher["spec"]["maxReplicaCount"].as_i64().unwrap() <= 4);
}

/// A copy of the prod render with `corrupt` applied to the object `kind/name`.
fn corrupted(kind_: &str, name_: &str, corrupt: impl FnOnce(&mut Value)) -> Vec<Value> {
    let mut objects = parse(&render("prod"));
    let target = objects
        .iter_mut()
        .find(|o| kind(o) == kind_ && name(o) == name_)
        .unwrap_or_else(|| panic!("{kind_}/{name_} in the prod render"));
    corrupt(target);
    objects
}

#[test]
fn corrupted_renders_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let write = |file: &str, objects: &[Value]| {
        let path = dir.path().join(file);
        std::fs::write(&path, to_yaml(objects)).unwrap();
        path.to_str().unwrap().to_string()
    };

    // The unmodified copy passes: the corruptions below are what fails.
    let clean = write("clean.yaml", &parse(&render("prod")));
    let (ok, stdout, stderr) = validate(&[clean.as_str()]);
    assert!(ok, "the re-serialised prod render is valid:\n{stdout}\n{stderr}");

    // A Deployment with replicas "two": the Kubernetes schema rejects it.
    let bad = write(
        "replicas.yaml",
        &corrupted("Deployment", "townreports-scheduler", |d| {
            d["spec"]["replicas"] = Value::from("two")
        }),
    );
    let (ok, _, stderr) = validate(&[bad.as_str()]);
    assert!(!ok, "replicas: \"two\" must not validate");
    assert!(
        stderr.contains("deployment/townreports-scheduler") && stderr.contains("'two' is not of type 'integer'"),
        "{stderr}"
    );

    // A KEDA trigger's metadata value that is not a string: KEDA's schema
    // rejects it, naming the object.
    let bad = write(
        "lag.yaml",
        &corrupted("ScaledObject", "townreports-parser", |so| {
            so["spec"]["triggers"][0]["metadata"]["lagThreshold"] = Value::from(20)
        }),
    );
    let (ok, _, stderr) = validate(&[bad.as_str()]);
    assert!(!ok, "a numeric lagThreshold must not validate");
    assert!(
        stderr.contains("ScaledObject/townreports/townreports-parser")
            && stderr.contains("lagThreshold must be string"),
        "{stderr}"
    );

    // A misspelt consumer is schema-valid (KEDA would silently scale to the
    // maximum): the topology check rejects it.
    let misspelt = corrupted("ScaledObject", "townreports-fetcher", |so| {
        so["spec"]["triggers"][0]["metadata"]["consumer"] = Value::from("fetchers")
    });
    let (ok, stdout, stderr) = validate(&[write("consumer.yaml", &misspelt).as_str()]);
    assert!(ok, "schemas cannot see a misspelt consumer:\n{stdout}\n{stderr}");
    let found = problems(&misspelt);
    assert!(
        found.len() == 1 && found[0].contains("townreports-fetcher") && found[0].contains("\"fetchers\""),
        "{found:?}"
    );

    // Another worker's stream and consumer: real names, wrong Deployment.
    let crossed = corrupted("ScaledObject", "townreports-indexer", |so| {
        so["spec"]["triggers"][0]["metadata"]["stream"] = Value::from(StageName::Parser.stream());
        so["spec"]["triggers"][0]["metadata"]["consumer"] = Value::from(StageName::Parser.consumer());
    });
    let found = problems(&crossed);
    assert!(
        found.len() == 1 && found[0].contains("not on TOWNREPORTS_RECORDS/indexer"),
        "{found:?}"
    );

    // A ScaledObject aimed at a Deployment that does not exist.
    let dangling = corrupted("ScaledObject", "townreports-extractor", |so| {
        so["spec"]["scaleTargetRef"]["name"] = Value::from("townreports-extracter")
    });
    let found = problems(&dangling);
    assert!(
        found.len() == 1 && found[0].contains("townreports-extracter is not a Deployment"),
        "{found:?}"
    );

    // A pod killed before the worker's grace period is over.
    let hasty = corrupted("Deployment", "townreports-fetcher", |d| {
        d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = Value::from(20)
    });
    let found = problems(&hasty);
    assert!(
        found.len() == 1 && found[0].contains("townreports-fetcher: terminationGracePeriodSeconds 20"),
        "{found:?}"
    );
}

#[test]
fn the_dashboard_charts_metrics_the_services_export() {
    let path = repo().join("deploy/grafana/townreports-dashboard.json");
    let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).expect("dashboard JSON");
    let mut exprs = Vec::new();
    let mut stack = vec![&dashboard];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(e)) = map.get("expr") {
                    exprs.push(e.clone());
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    assert!(exprs.len() >= 10, "the dashboard has its queries");

    // Every townreports_* metric queried is recorded somewhere in services/
    // (histograms as their _bucket series).
    let queried: BTreeSet<String> = exprs
        .iter()
        .flat_map(|e| {
            e.match_indices("townreports_").map(|(at, _)| {
                e[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect::<String>()
            })
        })
        .map(|m| m.trim_end_matches("_bucket").to_string())
        .collect();
    let mut sources = String::new();
    let mut dirs = vec![repo().join("services")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                sources.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
            }
        }
    }
    let missing: Vec<&String> = queried
        .iter()
        .filter(|m| !sources.contains(&format!("\"{m}\"")))
        .collect();
    assert!(
        missing.is_empty(),
        "queried but recorded nowhere in services/: {missing:?}"
    );
}
