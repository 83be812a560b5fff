"""The one error a device driver raises: the device cannot be opened or has gone away."""


class DeviceError(Exception):
    """The message names the device and what failed, for a person to act on."""
