"""`timeserver firmware keygen|build|verify`: signing keys and bundles, offline."""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

from firmware.upgrade.build import build_bundle
from firmware.upgrade.bundle import BundleError, verify_bundle
from firmware.upgrade.keys import TRUSTED_DIR, load_private, load_public, make_key, trusted_keys
from firmware.upgrade.slots import record_base


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """The parser of `timeserver firmware`; its actions, for the composition root to add
    `install` to."""
    firmware = commands.add_parser("firmware", help="make, sign, check and install bundles")
    actions = firmware.add_subparsers(dest="action", required=True)
    keygen = actions.add_parser("keygen", help="make a signing key FILE and FILE.pub")
    keygen.add_argument("--out", type=Path, required=True)
    build = actions.add_parser("build", help="bundle this checkout and its dependencies, signed")
    build.add_argument("--key", type=Path, required=True, help="the signing key (keygen)")
    build.add_argument("--out", type=Path, required=True, help="the bundle file to write")
    build.add_argument("--source", type=Path, default=Path(__file__).resolve().parents[2],
                       help="the checkout to bundle (default: this one)")  # fmt: skip
    build.add_argument("--min-upgrade-from", default="0", help="oldest version it may replace")
    verify = actions.add_parser("verify", help="check a bundle offline; exit 1 if not intact")
    verify.add_argument("bundle", type=Path)
    trust = verify.add_mutually_exclusive_group(required=True)
    trust.add_argument("--pubkey", type=Path, action="append", help="a trusted public key")
    trust.add_argument("--data-dir", type=Path, help=f"trust the keys in DIR/{TRUSTED_DIR}/")
    verify.add_argument(
        "--record", action="store_true",
        help="this install came from the bundle (a container image's build): record it in the "
        "install's prefix, so that `audit` names the key that signed the running firmware",
    )  # fmt: skip
    return actions


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "keygen":
            key_id = make_key(args.out)
            print(f"signing key {key_id} in {args.out}; public key in {args.out}.pub")
        elif args.action == "build":
            now = datetime.datetime.now(datetime.UTC)
            manifest = build_bundle(
                args.source, load_private(args.key), args.out, args.min_upgrade_from, now
            )
            wheels, target = len(manifest.files), f"{manifest.python_abi} {manifest.platform}"
            print(
                f"{args.out}: firmware {manifest.firmware_version}, {wheels} wheels, for {target}"
            )
        else:
            keys = [load_public(path) for path in args.pubkey or []]
            if args.data_dir is not None:
                keys = trusted_keys(args.data_dir)
            verified = verify_bundle(args.bundle, keys)
            manifest = verified.manifest
            print(f"{args.bundle}: intact, firmware {manifest.firmware_version} signed by key "
                  f"{verified.key_id}, for {manifest.python_abi} {manifest.platform}")  # fmt: skip
            if args.record:
                path = record_base(verified.manifest.firmware_version, verified.key_id)
                print(f"recorded in {path}")
    except BundleError as exc:
        print(f"timeserver firmware {args.action}: {exc}", file=sys.stderr)
        return 1
    return 0
