"""Firmware: signed bundles (bundle.py), signing keys (keys.py), making a bundle of a
checkout (build.py)."""
