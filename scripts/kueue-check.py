#!/usr/bin/env python3
"""Checks the kueue/ files beyond their Kubernetes schema (kubernetes-validate checks that):
every Job carries the Kueue queue label, runs the image as its non-root user with CPU and memory
requests equal to limits, mounts the image's volumes (the Dockerfile's VOLUME line) from the
volumes it declares, and names only PersistentVolumeClaims that kueue/storage.yaml creates.
Usage: kueue-check.py Dockerfile kueue/storage.yaml kueue/*-job.yaml"""
import json
import re
import sys

import yaml


def main(dockerfile, storage, jobs):
    volumes = re.search(r"^VOLUME\s+(\[.*\])", open(dockerfile).read(), re.M)
    if not volumes:
        sys.exit(f"{dockerfile}: no VOLUME [...] line")
    image_mounts = set(json.loads(volumes.group(1)))
    claims = {d["metadata"]["name"] for d in yaml.safe_load_all(open(storage))
              if d and d["kind"] == "PersistentVolumeClaim"}
    errors = []
    for path in jobs:
        docs = [d for d in yaml.safe_load_all(open(path)) if d]
        if not docs or any(d.get("kind") != "Job" for d in docs):
            errors.append(f"{path}: expected only Job documents")
            continue
        for job in docs:
            where = f"{path} ({job['metadata'].get('generateName') or job['metadata'].get('name')})"
            queue = job["metadata"].get("labels", {}).get("kueue.x-k8s.io/queue-name", "")
            if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", queue):
                errors.append(f"{where}: no valid kueue.x-k8s.io/queue-name label (got {queue!r})")
            pod = job["spec"]["template"]["spec"]
            security = pod.get("securityContext", {})
            if security.get("runAsUser") != 1000 or not security.get("runAsNonRoot"):
                errors.append(f"{where}: must run as the image's user (runAsUser 1000, runAsNonRoot)")
            declared = {v["name"]: v for v in pod.get("volumes", [])}
            for v in declared.values():
                claim = v.get("persistentVolumeClaim", {}).get("claimName")
                if claim and claim not in claims:
                    errors.append(f"{where}: volume {v['name']} names claim {claim}, which {storage} does not create")
            for c in pod["containers"]:
                res = c.get("resources", {})
                for key in ("cpu", "memory"):
                    if key not in res.get("requests", {}) or res.get("requests", {}).get(key) != res.get("limits", {}).get(key):
                        errors.append(f"{where}: container {c['name']} needs equal {key} requests and limits")
                mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
                for m in mounts.values():
                    if m not in declared:
                        errors.append(f"{where}: mount of undeclared volume {m}")
                for m in set(mounts) - image_mounts:
                    errors.append(f"{where}: mounts {m}, which is not one of the image's volumes {sorted(image_mounts)}")
                if "/safe_data/deepfake" not in mounts:
                    errors.append(f"{where}: no data volume at /safe_data/deepfake")
            if not any(m.get("mountPath") in ("/safe_outputs", "/safe_data/deepfake") and not m.get("readOnly")
                       for c in pod["containers"] for m in c.get("volumeMounts", [])):
                errors.append(f"{where}: nothing writable to keep its results in")
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        sys.exit(1)
    print(f"kueue-check: {len(jobs)} Job files consistent with {dockerfile} and {storage}")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
