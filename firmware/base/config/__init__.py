"""The typed configuration: schema, loading with readable errors, atomic and audited writes."""

from firmware.base.config.load import ConfigError, load_config, parse_config
from firmware.base.config.schema import SERVICE_NAMES, Config

__all__ = ["SERVICE_NAMES", "Config", "ConfigError", "load_config", "parse_config"]
