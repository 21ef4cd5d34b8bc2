#!/usr/bin/env python3
"""Tests/Fixtures/ops/validate_manifests.py SCHEMA FILE...: validates every YAML document of the
Kubernetes manifests against docs/deploy/manifest.schema.json (no cluster needed), then checks
what a schema cannot: each volumeMount names a volume of its pod, each *_FILE variable points
under a mounted path, and every CronJob's pod carries its labels.

Prints one line per problem (`FILE: KIND/NAME: PATH: MESSAGE`) and exits 1 if there is any;
prints `ok: N documents` and exits 0 otherwise.
"""
import json
import sys

import jsonschema
import yaml


def main():
    schema = json.load(open(sys.argv[1]))
    validator = jsonschema.Draft202012Validator(schema)
    problems, count = [], 0
    for path in sys.argv[2:]:
        with open(path) as f:
            documents = [d for d in yaml.safe_load_all(f) if d is not None]
        for doc in documents:
            count += 1
            where = f"{path}: {doc.get('kind', '?')}/{doc.get('metadata', {}).get('name', '?')}"
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
            for e in errors:
                # For oneOf over the kinds, report the branch matching the document's kind.
                detail = e
                if e.validator == "oneOf" and e.context:
                    kind_ref = {"CronJob": 0, "ServiceAccount": 1, "ConfigMap": 2}.get(doc.get("kind"))
                    branch = [c for c in e.context if c.relative_schema_path and c.relative_schema_path[0] == kind_ref]
                    for c in branch or e.context:
                        problems.append(f"{where}: {'/'.join(map(str, c.absolute_path)) or '.'}: {c.message}")
                    continue
                problems.append(f"{where}: {'/'.join(map(str, detail.absolute_path)) or '.'}: {detail.message}")
            if doc.get("kind") == "CronJob":
                pod = doc.get("spec", {}).get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})
                volumes = {v.get("name") for v in pod.get("volumes", [])}
                for c in pod.get("containers", []):
                    mounts = c.get("volumeMounts", [])
                    for m in mounts:
                        if m.get("name") not in volumes:
                            problems.append(f"{where}: container {c.get('name')}: volumeMount {m.get('name')} names no volume")
                    for e in c.get("env", []):
                        if e.get("name", "").endswith("_FILE") and "value" in e:
                            if not any(e["value"].startswith(m.get("mountPath", "//").rstrip("/") + "/") for m in mounts):
                                problems.append(f"{where}: container {c.get('name')}: {e['name']}={e['value']} is under no volumeMount")
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print(f"ok: {count} documents")


main()
