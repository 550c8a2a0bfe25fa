#!/usr/bin/env bash
# Validates every manifest under deploy/k8s/ (and deploy/k8s/kserve/) with
# kubeconform in strict mode, offline, against the schemas of several
# Kubernetes releases; then checks that the schemas do reject a broken copy
# (an unknown field, a missing required one, a wrong type).
#
#   deploy/k8s/validate.sh                    # every release the schema package has (1.25 ... 1.37)
#   deploy/k8s/validate.sh 1.30.0 1.37.0      # only these
#   KSERVE_SCHEMA=FILE deploy/k8s/validate.sh # the InferenceService against FILE (e.g. a JSON
#                                             # schema made from KServe's own CRD) instead of ours
#
# What it needs, installed on first use into $DIGITINFER_K8S_CACHE
# (default ~/.cache/digitinfer-k8s):
#   - kubeconform: $KUBECONFORM, else on PATH, else `go install
#     github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0` (Go module proxy).
#   - Kubernetes JSON schemas: the PyPI wheel kubernetes-validate==1.37.0
#     (`pip download`; only its schema files are used), turned into standalone
#     files by make_schemas.py, which also writes the InferenceService schema
#     (KServe's CRD itself is not in any registry reachable here; see there).
# Exit status: 0 valid (and the broken copies rejected), 1 otherwise, 2 usage.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${DIGITINFER_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/digitinfer-k8s}
kubeconform_version=v0.8.0
kv_version=1.37.0
mkdir -p "$cache"

# ------------------------------------------------------------ kubeconform
kc=${KUBECONFORM:-}
if [ -z "$kc" ]; then
  if command -v kubeconform >/dev/null 2>&1; then kc=$(command -v kubeconform)
  elif [ -x "$cache/bin/kubeconform" ]; then kc=$cache/bin/kubeconform
  else
    command -v go >/dev/null 2>&1 || { echo "validate: needs kubeconform or go to install it" >&2; exit 1; }
    echo "validate: installing kubeconform $kubeconform_version into $cache/bin"
    GOBIN="$cache/bin" GOFLAGS=-mod=mod go install "github.com/yannh/kubeconform/cmd/kubeconform@$kubeconform_version"
    kc=$cache/bin/kubeconform
  fi
fi
# (a `go install`ed kubeconform says "development" to -v: its version is set only in release builds)
echo "validate: kubeconform $kc (-v: $("$kc" -v 2>&1 | head -n1))"

# ------------------------------------------------------------ schemas
root=$cache/kubernetes-validate-$kv_version/kubernetes_validate/kubernetes-json-schema
if [ ! -d "$root" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "validate: fetching the schemas (pip download kubernetes-validate==$kv_version)"
  python3 -m pip download --quiet --no-deps --only-binary :all: -d "$tmp" "kubernetes-validate==$kv_version"
  # Only the *-local-strict schema directories of the wheel.
  python3 - "$tmp"/kubernetes_validate-*.whl "$cache/kubernetes-validate-$kv_version" <<'EOF'
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist()
             if n.startswith("kubernetes_validate/kubernetes-json-schema/") and "-local-strict/" in n]
    z.extractall(dest, names)
print(f"validate: {len(names)} schema files from {wheel.rsplit('/', 1)[-1]}")
EOF
fi
if [ $# -gt 0 ]; then
  versions=("$@")
else
  mapfile -t versions < <(cd "$root" && ls -d v*-local-strict | sed 's/^v//; s/-local-strict$//' | sort -V)
fi
for v in "${versions[@]}"; do
  [[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "validate: bad version '$v' (want like 1.37.0)" >&2; exit 2; }
  [ -d "$root/v$v-local-strict" ] || { echo "validate: no schemas for $v in kubernetes-validate $kv_version" >&2; exit 2; }
done
schemas=$cache/schemas-$kv_version
todo=()
for v in "${versions[@]}"; do
  [ -f "$schemas/v$v-standalone-strict/serving.kserve.io/inferenceservice_v1beta1.json" ] \
    && [ "$schemas/v$v-standalone-strict/serving.kserve.io/inferenceservice_v1beta1.json" -nt "$here/make_schemas.py" ] \
    || todo+=("$v")
done
[ ${#todo[@]} -eq 0 ] || python3 "$here/make_schemas.py" "$root" "$schemas" "${todo[@]}"

# ------------------------------------------------------------ validate
manifests=("$here"/*.yaml "$here"/kserve/*.yaml)
locations=(-schema-location "$schemas/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json")
if [ -n "${KSERVE_SCHEMA:-}" ]; then
  # kubeconform takes a template, not a file: give the file's own path for this group.
  locations+=(-schema-location "$(cd "$(dirname "$KSERVE_SCHEMA")" && pwd)/$(basename "$KSERVE_SCHEMA")")
else
  locations+=(-schema-location "$schemas/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json")
fi
# -strict: unknown fields and duplicate keys are errors; no -ignore-missing-schemas
# and no -skip: a manifest of a kind without a schema fails.
run() { "$kc" -strict -summary "${locations[@]}" -kubernetes-version "$@"; }
failed=0
for v in "${versions[@]}"; do
  echo "== Kubernetes $v"
  if [ "$v" = "${versions[-1]}" ]; then
    run "$v" -verbose "${manifests[@]}" || failed=1
  else
    run "$v" "${manifests[@]}" || failed=1
  fi
done

# ------------------------------------------------------------ the schemas bite
# Each broken copy must be reported invalid (not skipped, not valid).
broken=$(mktemp -d)
trap 'rm -rf "$broken" ${tmp:+"$tmp"}' EXIT
isvc=$here/kserve/inferenceservice.yaml
# name | source | sed edit
cases=(
  "typo-field|$here/deployment.yaml|s/^          readinessProbe:$/          readinesProbe:/"
  "wrong-type|$here/hpa.yaml|s/averageUtilization: 70/averageUtilization: \"70\"/"
  "missing-required|$here/service.yaml|/^    - name: metrics$/,/^      targetPort: metrics$/s/^      port: 8082$/      appProtocol: http/"
  "isvc-enum|$isvc|s/^    scaleMetric: concurrency$/    scaleMetric: latency/"
  "isvc-typo|$isvc|s/^    minReplicas:/    minReplica:/"
  "isvc-container|$isvc|s/^          - name: PROTOCOL$/          - nme: PROTOCOL/"
)
echo "== broken copies (each must be invalid; Kubernetes ${versions[-1]})"
for c in "${cases[@]}"; do
  IFS='|' read -r name src edit <<<"$c"
  sed "$edit" "$src" >"$broken/$name.yaml"
  if cmp -s "$broken/$name.yaml" "$src"; then
    echo "FAIL  $name: the edit did not apply to $(basename "$src") (manifest changed?)"; failed=1; continue
  fi
  out=$("$kc" -strict "${locations[@]}" -kubernetes-version "${versions[-1]}" "$broken/$name.yaml" 2>&1 || true)
  if grep -q ' is invalid: ' <<<"$out"; then
    echo "ok    $name rejected: $(grep -o " - at '/.*" <<<"$out" | sed "s/^ - //" | head -c 200)"
  else
    echo "FAIL  $name not rejected: $out"; failed=1
  fi
done

if [ "$failed" = 0 ]; then
  echo "validate: OK (${#manifests[@]} files, Kubernetes ${versions[*]})"
else
  echo "validate: FAIL"
fi
exit "$failed"
