"""What Tab and `?` offer after each command's words: config keys and their values, scenario
names, user names, service names, key types. One table, name -> function of the words so far
(subcommands written out), so that completion knowledge is in one place."""

from __future__ import annotations

from typing import get_args

from firmware.admin.commands.accounts import ROLES
from firmware.admin.commands.interpreter import Arguments
from firmware.admin.commands.ntp_cmds import RULE_FLAGS
from firmware.admin.config_keys import Choice, key_choices, value_choices
from firmware.admin.controls import Controls
from firmware.base.config import SERVICE_NAMES
from hal.gps.types import GpsScenario
from hal.panel import Key

KEY_TYPES = ("MD5", "SHA1", "AES128CMAC")


def _words(words: tuple[str, ...] | list[str], note: str = "") -> list[Choice]:
    return [(word, note) for word in words]


def config(controls: Controls, args: list[str], partial: str) -> list[Choice]:
    if args in (["set"], ["show"]):
        return key_choices(partial)  # a level at a time: sections end in "."
    if len(args) == 2 and args[0] == "set":
        return value_choices(args[1])
    if args == ["commit", "confirmed"]:
        return [("<seconds>", "roll back unless confirmed within this long (default 120)")]
    return []


def users(controls: Controls, args: list[str], partial: str) -> list[Choice]:
    if args in (["remove"], ["password"]):
        return _words(sorted(controls.users.load()), "account")
    if args == ["add"]:
        return [("<name>", "a new account name (letters, digits, _)")]
    if len(args) == 2 and args[0] == "add":
        return _words(ROLES, "role")
    return []


def gps(controls: Controls, args: list[str], partial: str) -> list[Choice]:
    return _words(get_args(GpsScenario), "scenario") if args == ["inject"] else []


def services(controls: Controls, args: list[str], partial: str) -> list[Choice]:
    if args in (["enable"], ["disable"], ["restart"]):
        return _words(SERVICE_NAMES, "service")
    return []


def ntp(controls: Controls, args: list[str], partial: str) -> list[Choice]:
    known = [(str(key_id), kind) for key_id, kind in controls.ntp_keys.listing()]
    if args == ["keys", "add"]:
        return [*known, ("<id>", "1..65535; an id in use rotates that key")]
    if len(args) == 3 and args[:2] == ["keys", "add"]:
        return _words(KEY_TYPES, "key type")
    if len(args) == 4 and args[:2] == ["keys", "add"]:
        return [("<key>", "HEX:... or ASCII:...; at least 80 bits, AES128CMAC 128 exactly")]
    if args == ["keys", "remove"]:
        return known
    if args[:2] == ["rules", "add"] and len(args) >= 3:
        return _words(RULE_FLAGS, "flag")
    if args == ["rules", "add"]:
        return [("<network>", "an address or CIDR network, e.g. 192.0.2.0/24")]
    return []


def panel(controls: Controls, args: list[str], partial: str) -> list[Choice]:
    return _words([key.value for key in Key], "key") if args == ["press"] else []


def keypad(controls: Controls, args: list[str], partial: str) -> list[Choice]:
    return [("<digits>", "a PIN of 4 to 8 digits")] if args == ["pin"] else []


def log(controls: Controls, args: list[str], partial: str) -> list[Choice]:
    if args[:1] in (["show"], ["tail"]) and "--audit" not in args:
        return [("--audit", "config, account, key and keypad changes instead of events")]
    return []


ARGUMENTS: dict[str, Arguments] = {
    "config": config,
    "users": users,
    "gps": gps,
    "services": services,
    "ntp": ntp,
    "panel": panel,
    "keypad": keypad,
    "log": log,
}
