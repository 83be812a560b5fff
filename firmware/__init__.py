"""The time-server appliance: boot, supervisor, config, identity, timing and administration."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("timeserver")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"
