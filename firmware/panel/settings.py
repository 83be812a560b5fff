"""What the panel's settings menu shows: network and services, read-only."""

from __future__ import annotations

from firmware.base.config.schema import SERVICE_NAMES, Config


def panel_settings(config: Config, addresses: list[str]) -> dict[str, list[str]]:
    services = []
    for name in SERVICE_NAMES:
        section = getattr(config.services, name)
        state = f"port {section.port}" if section.enabled else "off"
        if name == "console":
            state = "on" if section.enabled else "off"
        services.append(f"{name:<8}{state}")
    network = [f"Name {config.device.name or '(serial)'}", *addresses]
    gps = [f"Backend {config.gps.backend}"]
    if config.gps.backend == "sim":
        gps.append(f"Scenario {config.gps.sim.scenario}")
    syslog = [target for target in config.syslog.targets] or ["no remote syslog"]
    return {"Network": network, "Services": services, "GPS": gps, "Syslog": syslog}
