#!/usr/bin/env bash
# Validates the Kubernetes manifests offline, with no cluster:
#   - kubectl kustomize renders each overlay (a broken kustomization fails);
#   - kubernetes-validate --strict checks every Kubernetes object against
#     the bundled OpenAPI schema of Kubernetes $K8S_VERSION (unknown fields
#     are errors);
#   - validate/validate-keda.mjs checks every KEDA object (ScaledObject, …)
#     against KEDA's schema;
#   - an object that neither knows (another CRD) is an error too.
# Also checks the Secret template (base/secret.example.yaml).
#
# Usage: deploy/validate.sh [OVERLAY...]
#   OVERLAY: a name under deploy/overlays (dev, prod), a kustomization
#   directory, or an already rendered YAML file. Default: every overlay.
#        deploy/validate.sh --install-only   (what scripts/setup.sh runs)
#
# Installs its tools on first use, pinned: kubernetes-validate into
# deploy/validate/.venv (validate/requirements.txt), the KEDA schemas into
# deploy/validate/node_modules (npm ci, validate/package-lock.json). Needs
# kubectl (with kustomize), python3 with venv, node and npm: scripts/setup.sh
# installs what is missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tools=$here/validate
K8S_VERSION=${K8S_VERSION:-1.30.0}

die() { echo "validate: $*" >&2; exit 1; }

for tool in kubectl python3 node npm; do
    command -v "$tool" >/dev/null || die "$tool not found (scripts/setup.sh installs what is missing)"
done

# Installs below run one at a time (tests call this script in parallel):
# the lock is held on this script itself.
exec 9<"$0"
flock 9

# kubernetes-validate, reinstalled when requirements.txt changes.
venv=$tools/.venv
if ! cmp -s "$tools/requirements.txt" "$venv/.installed-requirements.txt" 2>/dev/null ||
    ! "$venv/bin/kubernetes-validate" --version >/dev/null 2>&1; then
    echo "validate: installing kubernetes-validate into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$tools/requirements.txt"
    cp "$tools/requirements.txt" "$venv/.installed-requirements.txt"
fi

# The KEDA models, reinstalled when the lock file changes.
if ! cmp -s "$tools/package-lock.json" "$tools/node_modules/.installed-package-lock.json" 2>/dev/null; then
    echo "validate: installing the KEDA schemas (npm ci) into $tools/node_modules" >&2
    # --loglevel=error: the models declare node >= 22 but run on 20 as well.
    (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error) >&2
    cp "$tools/package-lock.json" "$tools/node_modules/.installed-package-lock.json"
fi

flock -u 9
if [ "${1:-}" = "--install-only" ]; then
    exit 0
fi
if [ $# -eq 0 ]; then
    set -- "$here"/overlays/*/
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

failed=0
# check LABEL FILE: validates one rendered multi-document YAML file.
check() {
    local label=$1 file=$2 out status=0
    out=$("$venv/bin/kubernetes-validate" --strict -k "$K8S_VERSION" "$file" 2>&1) || status=$?
    # Kinds without a bundled schema are only warned about: KEDA's are
    # checked below, any other is an error here.
    local unknown
    unknown=$(grep "Couldn't find schema" <<<"$out" | grep -v "api version keda.sh/" || true)
    grep -E '^(ERROR|CRITICAL)|did not validate' <<<"$out" >&2 || true
    if [ -n "$unknown" ]; then
        echo "$unknown" | sed 's/^WARN /ERROR (no validator for this kind) /' >&2
        status=1
    fi
    local k8s_passed
    k8s_passed=$(grep -c "passed for resource" <<<"$out" || true)

    local keda_out keda_status=0
    keda_out=$(node "$tools/validate-keda.mjs" "$file" 2>&1) || keda_status=$?
    grep -E '^INVALID|not YAML|^Error' <<<"$keda_out" >&2 || true
    local keda_checked
    keda_checked=$(sed -n 's/^\([0-9]*\) KEDA object(s) checked.*/\1/p' <<<"$keda_out")

    if [ "$status" -ne 0 ] || [ "$keda_status" -ne 0 ]; then
        echo "validate: $label: INVALID ($k8s_passed Kubernetes objects passed; KEDA: ${keda_checked:-0} checked)" >&2
        failed=1
    else
        echo "validate: $label: ok, $k8s_passed Kubernetes objects (schema $K8S_VERSION, strict) and ${keda_checked:-0} KEDA objects valid"
    fi
}

for target in "$@"; do
    if [ -f "$target" ]; then
        check "$target" "$target"
        continue
    fi
    dir=$target
    if [ ! -d "$dir" ] && [ -d "$here/overlays/$target" ]; then
        dir=$here/overlays/$target
    fi
    [ -d "$dir" ] || die "$target: no such overlay, directory or file"
    label=$(basename "$dir")
    rendered=$scratch/$label.yaml
    if ! kubectl kustomize "$dir" >"$rendered"; then
        echo "validate: $label: kubectl kustomize $dir failed" >&2
        failed=1
        continue
    fi
    check "$label" "$rendered"
done

check "secret template" "$here/base/secret.example.yaml"

exit "$failed"
