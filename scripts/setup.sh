#!/usr/bin/env bash
# Installs what townreports and its tests need and a fresh Debian machine may
# lack: nats-server, PostgreSQL (installed, started, reachable on
# 127.0.0.1:5432), Chromium (the web page's browser test), Python 3 with
# pandas (the CSV test), and the offline validators of the Kubernetes
# manifests (tests/deploy.rs: kubectl, Python venv, Node.js and npm, then
# deploy/validate.sh's pinned tools). Safe to run again: it installs only
# what is missing.
# Rust (cargo) must already be on the machine.
set -euo pipefail

need_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "setup: need root to run: $*" >&2; exit 1; fi
}

missing=()
if ! command -v nats-server >/dev/null && [ ! -x /usr/sbin/nats-server ] && [ -z "${NATS_SERVER_BIN:-}" ]; then
    missing+=(nats-server)
fi
command -v python3 >/dev/null || missing+=(python3 python3-pip)
command -v chromium >/dev/null || missing+=(chromium)
# deploy/validate.sh: kubernetes-validate in a venv, KEDA schemas from npm.
python3 -c "import ensurepip, venv" 2>/dev/null || missing+=(python3-venv)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
installed_postgres=no
if [ -z "${TEST_DATABASE_URL:-}" ] && ! command -v pg_ctlcluster >/dev/null; then
    missing+=(postgresql)
    installed_postgres=yes
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    need_root apt-get update -qq
    need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! python3 -c "import pandas" 2>/dev/null; then
    echo "setup: installing pandas" >&2
    python3 -m pip install -q pandas 2>/dev/null ||
        need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pandas >/dev/null
fi

# PostgreSQL for the store tests (unless TEST_DATABASE_URL names another).
if [ -z "${TEST_DATABASE_URL:-}" ]; then
    if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
        echo "setup: starting PostgreSQL" >&2
        for cluster in $(pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}'); do
            need_root pg_ctlcluster "${cluster%/*}" "${cluster#*/}" start || true
        done
        for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    fi
    if [ "$installed_postgres" = yes ]; then
        # A fresh Debian cluster asks for a password on TCP: give the tests'
        # default URL (postgres://postgres:postgres@127.0.0.1) one that works.
        need_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\""
    fi
    pg_isready -q -h 127.0.0.1 -p 5432 || {
        echo "setup: PostgreSQL is not answering on 127.0.0.1:5432; start it or set TEST_DATABASE_URL" >&2
        exit 1
    }
fi

# kubectl renders the kustomize overlays (deploy/). Debian's own
# kubernetes-client (1.20) is too old for them; a configured Kubernetes apt
# repository (pkgs.k8s.io) provides `kubectl`.
if ! command -v kubectl >/dev/null; then
    if apt-cache policy kubectl 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        echo "setup: installing kubectl" >&2
        need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubectl >/dev/null
    else
        echo "setup: kubectl not found and no apt package for it: install kubectl >= 1.27" >&2
        echo "setup: (https://kubernetes.io/docs/tasks/tools/ ; Debian's kubernetes-client is too old)" >&2
        exit 1
    fi
fi
cd "$(dirname "$0")/.."
if ! kubectl kustomize deploy/overlays/dev >/dev/null; then
    echo "setup: 'kubectl kustomize' cannot render deploy/overlays/dev: kubectl >= 1.27 (kustomize 5) is needed" >&2
    exit 1
fi
bash deploy/validate.sh --install-only

if ! command -v cargo >/dev/null; then
    echo "setup: cargo not found: install the Rust toolchain (https://rustup.rs) first" >&2
    exit 1
fi
