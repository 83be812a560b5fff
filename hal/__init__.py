"""Hardware abstraction: device interfaces and the drivers for real devices."""
