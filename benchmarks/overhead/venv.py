"""The benchmark's own venv: pinned openai/OTel, the official OTel instrumentation, and llmotel's dependencies.

Kept out of the shared dev venv so the comparison package never changes what developers run. Cached under
${LLMOTEL_CACHE:-~/.cache/llmotel}/bench-venv/<key>, the key hashing everything that decides its contents, so a
changed pin or a changed llmotel dependency list builds a new one and a warm run reuses it. llmotel is installed
from the checkout for its dependencies, but the benchmark imports llmotel from the checkout's src/ (first on
sys.path), so every clone shares one venv and always measures its own code. Stdlib only: this runs before any
third-party package is importable.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

REQUIREMENTS = Path(__file__).with_name("requirements.txt")
READY_MARK = ".ready"  # written last, so an interrupted build is never taken for a finished one
UNUSED_DAYS = 7


def cache_root() -> Path:
    return Path(os.environ.get("LLMOTEL_CACHE") or Path.home() / ".cache" / "llmotel")


def venv_key(repo: Path) -> str:
    digest = hashlib.sha256()
    digest.update(sys.version.encode())
    digest.update(REQUIREMENTS.read_bytes())
    digest.update(_project_table(repo / "pyproject.toml"))  # llmotel's dependencies, not its tool settings
    return digest.hexdigest()[:16]


def _project_table(pyproject: Path) -> bytes:
    try:
        import tomllib  # 3.11+
    except ImportError:  # 3.10: the whole file, so any edit rebuilds
        return pyproject.read_bytes()
    project = tomllib.loads(pyproject.read_text()).get("project", {})
    return json.dumps(project, sort_keys=True).encode()


def _remove_unused(parent: Path) -> None:
    """Drop venvs of other keys that no run has used for UNUSED_DAYS (other clones may still use recent ones)."""
    if not parent.exists():
        return
    cutoff = time.time() - UNUSED_DAYS * 86400
    for other in parent.iterdir():
        mark = other / READY_MARK
        last_used = mark.stat().st_mtime if mark.exists() else other.stat().st_mtime
        if last_used < cutoff:
            shutil.rmtree(other, ignore_errors=True)


def venv_python(root: Path) -> Path:
    return root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(repo: Path) -> Path:
    """The python of a ready benchmark venv, building it first when missing or stale."""
    parent = cache_root() / "bench-venv"
    root = parent / venv_key(repo)
    python = venv_python(root)
    ready = root / READY_MARK
    if ready.exists():
        ready.touch()  # marks it in use, see _remove_unused
        return python
    _remove_unused(parent)
    print(f"[bench] building the benchmark venv {root} (once per requirements change)", flush=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(root)
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off"]
    subprocess.run([*pip, "--quiet", "--upgrade", "pip"], check=True)
    # the pins constrain llmotel's own dependencies too, so one resolve gives the exact versions listed
    subprocess.run([*pip, "-r", str(REQUIREMENTS), str(repo), "-c", str(REQUIREMENTS)], check=True)
    (root / READY_MARK).write_text(REQUIREMENTS.read_text())
    return python
