#!/usr/bin/env python3
"""Standalone JSON schemas for kubeconform, made offline (used by validate.sh).

Kubernetes kinds: from the schemas that the PyPI package kubernetes-validate
ships (kubernetes_validate/kubernetes-json-schema/vX.Y.Z-local-strict/). Those
refer to one shared file by an absolute path ("/api/_definitions.json#/$defs/..."),
which kubeconform cannot resolve offline; this script inlines the definitions
each kind needs under "$defs", so each file stands alone, and writes them in
kubeconform's default layout:

    OUT/vX.Y.Z-standalone-strict/<kind>[-<group>]-<version>.json

KServe's InferenceService (serving.kserve.io/v1beta1): no registry package
this machine reaches ships its CRD, so the schema is written here from the
documented API, strict where our manifest is (see inferenceservice_schema):
spec.predictor is a core/v1 PodSpec (the Kubernetes definitions of the
same release, so the container, probes and securityContext are fully
checked) plus KServe's component-extension fields, the framework specs as
plain objects; transformer and explainer as plain objects. It is written to

    OUT/serving.kserve.io/inferenceservice_v1beta1.json

Usage: make_schemas.py SCHEMA_ROOT OUT VERSION...   (VERSION like 1.37.0)
"""
import copy
import json
import os
import sys

PREFIX = "/api/_definitions.json#/$defs/"


def rewrite(node, needed):
    """Turns absolute $refs into local ones, collecting the names they use."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                if value.startswith(PREFIX):
                    value = "#/$defs/" + value[len(PREFIX):]
                if value.startswith("#/$defs/"):
                    needed.add(value[len("#/$defs/"):])
            out[key] = rewrite(value, needed)
        return out
    if isinstance(node, list):
        return [rewrite(v, needed) for v in node]
    return node


def closure(names, defs):
    """The definitions `names` use, transitively, rewritten to local refs."""
    done, todo = {}, list(names)
    while todo:
        name = todo.pop()
        if name in done:
            continue
        found = set()
        done[name] = rewrite(defs[name], found)
        todo.extend(found - done.keys())
    return done


def standalone(schema, defs):
    needed = set()
    schema = rewrite(schema, needed)
    schema.pop("$id", None)
    schema["$defs"] = closure(needed, defs)
    return schema


def string_map():
    return {"type": "object", "additionalProperties": {"type": "string"}}


def inferenceservice_schema(defs):
    """serving.kserve.io/v1beta1 InferenceService, the parts a custom predictor uses.

    Field names and types follow KServe's v1beta1 API reference
    (PredictorSpec = PodSpec + ComponentExtensionSpec + framework specs).
    Unknown keys in spec and spec.predictor are errors, as in the CRD.
    """
    podspec = copy.deepcopy(defs["io.k8s.api.core.v1.PodSpec"])
    props = dict(podspec["properties"])
    int32 = {"type": "integer", "format": "int32"}
    int64 = {"type": "integer", "format": "int64"}
    props.update({
        # ComponentExtensionSpec
        "minReplicas": dict(int32, minimum=0),
        "maxReplicas": dict(int32, minimum=0),
        "scaleTarget": int32,
        "scaleMetric": {"type": "string", "enum": ["cpu", "memory", "concurrency", "rps"]},
        "scaleMetricType": {"type": "string", "enum": ["Utilization", "Value", "AverageValue"]},
        "containerConcurrency": int64,
        "timeout": int64,
        "canaryTrafficPercent": dict(int64, minimum=0, maximum=100),
        "logger": {"type": "object"},
        "batcher": {"type": "object"},
        "labels": string_map(),
        "annotations": string_map(),
        "deploymentStrategy": {"$ref": PREFIX + "io.k8s.api.apps.v1.DeploymentStrategy"},
        "autoScaling": {"type": "object"},
        "storageUris": {"type": "array"},
        "workerSpec": {"type": "object"},
    })
    for framework in ("model", "sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx",
                      "huggingface", "pmml", "lightgbm", "paddle"):
        props[framework] = {"type": "object"}
    predictor = {"type": "object", "properties": props, "additionalProperties": False}
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "description": "KServe InferenceService serving.kserve.io/v1beta1 (written by "
                       "deploy/k8s/make_schemas.py from the API reference; predictor checked in full)",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"type": "string", "enum": ["serving.kserve.io/v1beta1"]},
            "kind": {"type": "string", "enum": ["InferenceService"]},
            "metadata": {"$ref": PREFIX + "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
            "spec": {
                "type": "object",
                "required": ["predictor"],
                "additionalProperties": False,
                "properties": {
                    "predictor": predictor,
                    "transformer": {"type": "object"},
                    "explainer": {"type": "object"},
                },
            },
            "status": {"type": "object"},
        },
    }
    return standalone(schema, defs)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    root, out, versions = sys.argv[1], sys.argv[2], sys.argv[3:]
    for version in versions:
        src = os.path.join(root, f"v{version}-local-strict")
        with open(os.path.join(src, "_definitions.json")) as f:
            defs = json.load(f)["$defs"]
        dst = os.path.join(out, f"v{version}-standalone-strict")
        os.makedirs(dst, exist_ok=True)
        kinds = 0
        for name in sorted(os.listdir(src)):
            if not name.endswith(".json") or name in ("_definitions.json", "all.json"):
                continue
            with open(os.path.join(src, name)) as f:
                schema = json.load(f)
            if "x-kubernetes-group-version-kind" not in schema:
                continue  # a sub-object, not a kind: kubeconform never asks for it
            with open(os.path.join(dst, name), "w") as f:
                json.dump(standalone(schema, defs), f)
            kinds += 1
        # One InferenceService schema per Kubernetes release (its PodSpec is that release's).
        crd_dir = os.path.join(dst, "serving.kserve.io")
        os.makedirs(crd_dir, exist_ok=True)
        with open(os.path.join(crd_dir, "inferenceservice_v1beta1.json"), "w") as f:
            json.dump(inferenceservice_schema(defs), f)
        print(f"make_schemas: v{version}: {kinds} kinds + InferenceService -> {dst}")


if __name__ == "__main__":
    main()
