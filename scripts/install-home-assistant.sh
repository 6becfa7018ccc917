#!/usr/bin/env bash
# Installs Home Assistant Core (the real peer the home tests run against) into its own venv under a cache directory,
# offline-friendly and idempotent. Usage: scripts/install-home-assistant.sh   (prints the venv's python path at the end)
# HA 2025.4.4 needs Python >= 3.13: taken from pyenv (3.13.0) or $HA_PYTHON.
set -euo pipefail

ha_version="2025.4.4"
cache="${JARVIS_HA_CACHE:-$HOME/.cache/jarvis/home-assistant}"
venv="$cache/venv-$ha_version"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if [ -f "$venv/.installed" ]; then
    echo "$venv/bin/python"
    exit 0
fi

python="${HA_PYTHON:-}"
if [ -z "$python" ]; then
    for candidate in "$(pyenv root 2>/dev/null)/versions/3.13.0/bin/python" "$HOME/.pyenv/versions/3.13.0/bin/python" \
        python3.13; do
        if command -v "$candidate" >/dev/null 2>&1; then python="$candidate"; break; fi
    done
fi
[ -n "$python" ] || { echo "Home Assistant $ha_version needs Python 3.13 (set HA_PYTHON)" >&2; exit 1; }

say "Installing Home Assistant Core $ha_version into $venv (about 1-2 minutes)"
rm -rf "$venv"
mkdir -p "$cache"
"$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
"${pip[@]}" install --upgrade pip >&2
"${pip[@]}" install --no-deps "homeassistant==$ha_version" >&2
site="$("$venv/bin/python" -c 'import homeassistant, os; print(os.path.dirname(homeassistant.__file__))')"
constraints="$cache/constraints-$ha_version.txt"
{ cat "$site/package_constraints.txt"; echo "pycares<5"; } > "$constraints"
# HA's own requirements, then those of the integrations the test configuration loads (so HA installs nothing at start).
reqs=$("$venv/bin/python" - "$site" <<'PY'
import json, sys, importlib.metadata as md
site = sys.argv[1]
out = [r.split(";")[0] for r in (md.requires("homeassistant") or []) if "extra ==" not in r]
for name in ["frontend", "conversation", "assist_pipeline", "ffmpeg", "http", "api", "websocket_api", "config",
             "onboarding", "template", "generic_thermostat", "input_boolean", "input_number", "auth", "person",
             "recorder", "stt", "tts", "intent", "zone", "sun"]:
    try:
        with open(f"{site}/components/{name}/manifest.json") as f:
            out += json.load(f).get("requirements", [])
    except FileNotFoundError:
        pass
print("\n".join(sorted(set(out))))
PY
)
echo "$reqs" > "$cache/requirements-$ha_version.txt"
"${pip[@]}" install -c "$constraints" -r "$cache/requirements-$ha_version.txt" "pycares<5" >&2
touch "$venv/.installed"
echo "$venv/bin/python"
