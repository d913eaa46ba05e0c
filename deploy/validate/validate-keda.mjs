#!/usr/bin/env node
// Validates the KEDA objects (keda.sh/v1alpha1 ScaledObject, ScaledJob,
// TriggerAuthentication, ClusterTriggerAuthentication) in multi-document
// YAML against KEDA's schemas (@kubernetes-models/keda): wrong types (a
// trigger's metadata values must be strings), missing required fields,
// bad enums. Other objects are skipped (kubernetes-validate checks those).
//
//   kubectl kustomize deploy/overlays/prod | node deploy/validate/validate-keda.mjs
//   node deploy/validate/validate-keda.mjs FILE...
//
// Prints one line per object; exits 1 naming every invalid object, 2 on
// unreadable input.
import { readFileSync } from "node:fs";
import { loadAll } from "js-yaml";
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
import { ScaledJob } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledJob";
import { TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication";
import { ClusterTriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1/ClusterTriggerAuthentication";

const MODELS = { ScaledObject, ScaledJob, TriggerAuthentication, ClusterTriggerAuthentication };

const inputs = process.argv.length > 2
  ? process.argv.slice(2).map((f) => [f, readFileSync(f === "-" ? 0 : f, "utf8")])
  : [["<stdin>", readFileSync(0, "utf8")]];

let checked = 0;
const failures = [];
for (const [source, text] of inputs) {
  let docs;
  try {
    docs = loadAll(text);
  } catch (e) {
    console.error(`${source}: not YAML: ${e.message}`);
    process.exit(2);
  }
  for (const doc of docs) {
    if (!doc || typeof doc !== "object") continue;
    const group = String(doc.apiVersion ?? "").split("/")[0];
    if (group !== "keda.sh") continue;
    const meta = doc.metadata ?? {};
    const name = `${doc.kind}/${meta.namespace ? meta.namespace + "/" : ""}${meta.name ?? "<unnamed>"}`;
    const Model = MODELS[doc.kind];
    if (doc.apiVersion !== "keda.sh/v1alpha1" || !Model) {
      failures.push(`${name}: no schema for ${doc.apiVersion} ${doc.kind}`);
      continue;
    }
    checked += 1;
    try {
      new Model(doc).validate();
      console.log(`passed ${name}`);
    } catch (e) {
      failures.push(`${name}: ${e.message}`);
    }
  }
}
for (const f of failures) console.error(`INVALID ${f}`);
console.log(`${checked} KEDA object(s) checked, ${failures.length} invalid`);
process.exit(failures.length ? 1 : 0);
