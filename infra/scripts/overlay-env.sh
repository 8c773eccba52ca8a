#!/usr/bin/env bash
# Writes infra/k8s/overlays/<env>/terraform.env from the outputs of an applied
# infra/terraform (initialised for that environment), so the overlay picks up
# this environment's service accounts, bucket, CIDRs and image repository.
#
#   infra/scripts/overlay-env.sh dev|prod [output-file]
#
# Needs terraform, gcloud (authenticated for the project) and python3. The
# image repository's address is read from the Artifact Registry API
# (registryUri), never assembled by hand.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TERRAFORM=${TERRAFORM:-terraform}
GCLOUD=${GCLOUD:-gcloud}
TF_DIR=${STEWARD_TERRAFORM_DIR:-$ROOT/infra/terraform}

die() { echo "overlay-env: $*" >&2; exit 1; }

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: overlay-env.sh dev|prod [output-file]"
env=$1
overlay="$ROOT/infra/k8s/overlays/$env"
[ -f "$overlay/kustomization.yaml" ] || die "no overlay named '$env' under infra/k8s/overlays"
out=${2:-$overlay/terraform.env}

outputs=$("$TERRAFORM" -chdir="$TF_DIR" output -json) || die "terraform output failed in $TF_DIR (run terraform init/apply first)"
repo=$(printf '%s' "$outputs" | python3 -c 'import json,sys; print(json.load(sys.stdin)["artifact_registry_repository"]["value"])') \
  || die "terraform has no artifact_registry_repository output: is $TF_DIR applied?"
registry_uri=$("$GCLOUD" artifacts repositories describe "$repo" --format='value(registryUri)') \
  || die "gcloud could not describe $repo"
[ -n "$registry_uri" ] || die "Artifact Registry returned no registryUri for $repo"

OUTPUTS=$outputs REGISTRY_URI=$registry_uri ENV_NAME=$env OVERLAY=$overlay OUT=$out python3 - <<'PY'
import json, os, re, sys

outputs = {k: v["value"] for k, v in json.loads(os.environ["OUTPUTS"]).items()}
env, overlay = os.environ["ENV_NAME"], os.environ["OVERLAY"]

def die(message):
    print(f"overlay-env: {message}", file=sys.stderr)
    sys.exit(1)

if outputs.get("environment") != env:
    die(f"terraform state is for environment {outputs.get('environment')!r}, not {env!r}")
kustomization = open(os.path.join(overlay, "kustomization.yaml")).read()
match = re.search(r"^namespace:\s*(\S+)", kustomization, re.M)
if not match or match.group(1) != outputs.get("kubernetes_namespace"):
    die(f"overlay namespace {match and match.group(1)!r} differs from terraform's "
        f"kubernetes_namespace {outputs.get('kubernetes_namespace')!r}")

values = dict(outputs["kustomize_env"])
registry = os.environ["REGISTRY_URI"].rstrip("/")
values["STEWARDD_IMAGE"] = f"{registry}/stewardd"
values["SERVE_IMAGE"] = f"{registry}/steward-serve"
values["TRAINING_IMAGE"] = f"{registry}/steward-training"
for key, value in values.items():
    if not value or any(c.isspace() for c in str(value)):
        die(f"{key} is empty or contains whitespace: {value!r}")

out = os.environ["OUT"]
tmp = out + ".tmp"
with open(tmp, "w") as f:
    f.write(f"# Written by infra/scripts/overlay-env.sh {env} from Terraform's outputs.\n")
    for key in sorted(values):
        f.write(f"{key}={values[key]}\n")
os.replace(tmp, out)
print(f"overlay-env: wrote {len(values)} values to {out}")
PY
