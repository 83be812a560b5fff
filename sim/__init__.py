"""Simulated devices and a steppable clock, so the whole appliance runs and is tested anywhere."""
