"""docker-compose.yml must run what the native stack runs: the same config files and flags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from launcher import COLLECTOR_CONFIG_DIR, CONFIG_DIR, REPO_ROOT, prometheus_flags

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


def _mounts(service: str) -> dict[Path, str]:
    """Host path (resolved against the repository) -> container path, for bind mounts."""
    mounts: dict[Path, str] = {}
    for volume in COMPOSE["services"][service].get("volumes", []):
        host, container = volume.split(":")[:2]
        if host.startswith("."):
            mounts[(REPO_ROOT / host).resolve()] = container
    return mounts


def _service(name: str) -> dict[str, Any]:
    return dict(COMPOSE["services"][name])


def test_prometheus_runs_with_the_native_flags_and_files() -> None:
    mounts = _mounts("prometheus")
    config_in_container = Path(mounts[CONFIG_DIR]) / "prometheus.yml"
    expected = prometheus_flags(config_in_container, Path("/prometheus"), "0.0.0.0:9090")
    assert _service("prometheus")["command"] == expected
    # prometheus.yml reads its rules at ../../grafana/rules, relative to itself.
    rules_in_container = mounts[REPO_ROOT / "grafana" / "rules"]
    assert (Path(mounts[CONFIG_DIR]) / ".." / ".." / "grafana" / "rules").resolve() == Path(rules_in_container)


def test_loki_and_tempo_use_the_stack_config_files() -> None:
    for service, config in (("loki", "loki.yaml"), ("tempo", "tempo.yaml")):
        config_dir = _mounts(service)[CONFIG_DIR]
        assert f"-config.file={config_dir}/{config}" in _service(service)["command"]
        assert (CONFIG_DIR / config).is_file()


def test_collectors_use_the_collector_configs_and_price_table() -> None:
    for service, config in (("collector-gateway", "gateway.yaml"), ("collector-agent", "agent.yaml")):
        mounts = _mounts(service)
        assert _service(service)["command"] == [f"--config={mounts[COLLECTOR_CONFIG_DIR]}/{config}"]
        assert (COLLECTOR_CONFIG_DIR / config).is_file()
        assert mounts[REPO_ROOT / "pricing" / "prices.yaml"] == "/etc/llmotel/prices.yaml"


def test_grafana_gets_the_generated_dashboards_and_provisioning() -> None:
    mounts = _mounts("grafana")
    assert mounts[REPO_ROOT / "grafana" / "provisioning"] == "/etc/grafana/provisioning"
    provider = yaml.safe_load((REPO_ROOT / "grafana" / "provisioning" / "dashboards" / "llmotel.yaml").read_text())
    assert mounts[REPO_ROOT / "grafana" / "dashboards"] == provider["providers"][0]["options"]["path"]


def test_images_are_pinned_and_services_have_health_checks() -> None:
    for name, service in COMPOSE["services"].items():
        image = service.get("image", "")
        assert ":" in image and not image.endswith(":latest"), f"{name}: pin the image version"
        if "profiles" not in service:
            assert "healthcheck" in service, f"{name} has no health check"
