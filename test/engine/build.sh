#!/usr/bin/env bash
# Builds the engine e2e rig from the Go module proxy: the Pulumi CLI, a Node.js language host, the
# provider plugins the local stack needs, and a control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok). Each binary lands in
# $ENGINE_BIN/<name>-<version>/ and is skipped when that directory already holds it, so a
# version bump rebuilds only what changed; Go's module and build caches do the rest.
# Usage: test/engine/build.sh [name...]   (no names: everything). Prints name=path per binary.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# Outside the work tree, like the Node.js install of .ci/run: a second clone on the same machine
# (CI runs on the session's machine) reuses what was built.
ENGINE_BIN="${ENGINE_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/registry-topology/engine-bin}"
export PATH="/usr/local/go/bin:$PATH"
export GOFLAGS="-buildvcs=false"
export CGO_ENABLED=0

# Pinned versions. PULUMI_VERSION must equal package.json's `pulumi` devDependency (the npm
# launcher runs $PULUMI_HOME/versions/<that version>/bin/pulumi): test/engine-pins.test.ts holds
# the two together and holds these to the go.mod files.
PULUMI_VERSION=3.259.0
K8S_PROVIDER_VERSION=4.25.0
KUBE_VERSION=1.37.2
ETCD_VERSION=3.7.3
KWOK_VERSION=0.8.0

# -s -w: no symbol tables (cuts link time and size); -trimpath: reproducible paths.
build() { # name version module-dir package [extra -X flags...]
  local name="$1" version="$2" dir="$3" pkg="$4"; shift 4
  local out="$ENGINE_BIN/$name-$version/$name"
  if [ ! -x "$out" ]; then
    mkdir -p "$(dirname "$out")"
    local x=""
    for flag in "$@"; do x="$x -X $flag"; done
    echo "building $name $version ($pkg)" >&2
    (cd "$here/go/$dir" && go build -trimpath -ldflags "-s -w$x" -o "$out.tmp" "$pkg")
    mv "$out.tmp" "$out"
  fi
  echo "$name=$out" # what the e2e runs (stdout: one name=path line per binary)
}

# The stand-ins' source lives in this repository, not in a versioned module: their directory is
# keyed by a hash of that source too, so an edit rebuilds them instead of reusing a stale binary.
STANDIN_VERSION="$PULUMI_VERSION-src$(cd "$here/go/cli" && find langhost providers go.mod go.sum -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)"

kubever() { # k8s.io/component-base/version fields, as the release's hack/lib/version.sh sets them
  local v="$1" base="k8s.io/component-base/version"
  echo "$base.gitVersion=v$v" "$base.gitMajor=${v%%.*}" "$base.gitMinor=$(echo "$v" | cut -d. -f2)" \
    "$base.gitTreeState=clean" "$base.buildDate=1970-01-01T00:00:00Z"
}

SELECTED="$*"
run() { if [ -z "$SELECTED" ] || [[ " $SELECTED " == *" $1 "* ]]; then "${@:2}"; fi; }

sdkver=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION
run pulumi build pulumi "$PULUMI_VERSION" cli github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$sdkver"
run pulumi-language-nodejs build pulumi-language-nodejs "$STANDIN_VERSION" cli ./langhost "$sdkver"
run pulumi-resource-kubernetes build pulumi-resource-kubernetes "$K8S_PROVIDER_VERSION" kubernetes . \
  "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$K8S_PROVIDER_VERSION"
run pulumi-resource-random build pulumi-resource-random "$STANDIN_VERSION" cli ./providers/random "$sdkver"
run pulumi-resource-tls build pulumi-resource-tls "$STANDIN_VERSION" cli ./providers/tls "$sdkver"
run etcd build etcd "$ETCD_VERSION" etcd .
# shellcheck disable=SC2046
run kube-apiserver build kube-apiserver "$KUBE_VERSION" kube k8s.io/kubernetes/cmd/kube-apiserver $(kubever "$KUBE_VERSION")
# shellcheck disable=SC2046
run kube-controller-manager build kube-controller-manager "$KUBE_VERSION" kube k8s.io/kubernetes/cmd/kube-controller-manager $(kubever "$KUBE_VERSION")
# shellcheck disable=SC2046
run kube-scheduler build kube-scheduler "$KUBE_VERSION" kube k8s.io/kubernetes/cmd/kube-scheduler $(kubever "$KUBE_VERSION")
run kwok build kwok "$KWOK_VERSION" kwok sigs.k8s.io/kwok/cmd/kwok \
  "sigs.k8s.io/kwok/pkg/consts.Version=v$KWOK_VERSION"

# The dynamic-provider shim: the CLI treats pulumi-resource-pulumi-nodejs as bundled and finds it
# next to `pulumi` or on PATH (sdk/go/common/workspace/plugins.go). Same behaviour as pulumi's
# sdk/nodejs/dist/pulumi-resource-pulumi-nodejs: resolve the SDK's dynamic-provider host from the
# working directory (the project) and run it with the engine's arguments.
shim="$ENGINE_BIN/pulumi-$PULUMI_VERSION/pulumi-resource-pulumi-nodejs"
if [ -d "$(dirname "$shim")" ] && [ ! -x "$shim" ]; then
  cat > "$shim" <<'EOF'
#!/bin/sh
PULUMI_DYNAMIC_PROVIDER="$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))")"
exec node "$PULUMI_DYNAMIC_PROVIDER" "$@"
EOF
  chmod +x "$shim"
fi
if [ -x "$shim" ]; then echo "pulumi-resource-pulumi-nodejs=$shim"; fi
