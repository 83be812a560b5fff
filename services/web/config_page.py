"""The configuration page: services, NTP keys and rules, remote syslog and accounts. Every
form becomes command lines for the CLI's interpreter (`services enable`, `config set`,
`ntp rules add`, `users add`, `config commit`...), so the page stages, validates, refuses
and audits exactly as the CLI does and shows the CLI's own messages. Monitors see the same
page without a single form."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from firmware.admin.shell import Status
from services.web.app_context import CONTEXT, SESSION, run_command, see_other
from services.web.layout import csrf_input, frame
from services.web.sessions import Notice

Fields = Mapping[str, str]
Lines = list[list[str]]
NETWORK_KEYS = ("port", "bind", "allow")
LOCAL_ONLY = frozenset({"console"})
"""Services without a network side: only enabled or not."""
RULE_FLAGS = ("deny", "require_auth", "query", "nokod", "noratelimit")
KEY_TYPES = ("AES128CMAC", "SHA1", "MD5")


class FormError(ValueError):
    """A form that names something that is not there (a service, an action)."""


def _words(text: str) -> list[str]:
    """A list typed into a field, split at spaces and commas; `[]` when empty, as the CLI
    takes it."""
    return text.replace(",", " ").split() or ["[]"]


def _service(fields: Fields, config: dict[str, Any]) -> Lines:
    name = fields.get("service", "")
    section = config["services"].get(name)
    if section is None:
        raise FormError(f"no service {name!r}")
    lines: Lines = []
    enabled = fields.get("enabled") == "on"
    if enabled != section["enabled"]:
        lines.append(["services", "enable" if enabled else "disable", name])
    for key in () if name in LOCAL_ONLY else NETWORK_KEYS:
        if key not in fields:
            continue
        current = section[key]
        if key == "port":
            if fields[key].strip() != str(current):
                lines.append(["config", "set", f"services.{name}.port", fields[key].strip()])
        elif _words(fields[key]) != ([str(v) for v in current] or ["[]"]):
            lines.append(["config", "set", f"services.{name}.{key}", *_words(fields[key])])
    return lines


def _commit(fields: Fields, config: dict[str, Any]) -> Lines:
    seconds = fields.get("confirmed_s", "").strip()
    return [["config", "commit", *(["confirmed", seconds] if seconds else [])]]


FORMS: dict[str, Callable[[Fields, dict[str, Any]], Lines]] = {
    "service": _service,
    "commit": _commit,
    "discard": lambda f, c: [["config", "discard"]],
    "rule-add": lambda f, c: [
        ["ntp", "rules", "add", f.get("network", ""), *(x for x in RULE_FLAGS if f.get(x))]
    ],
    "rule-remove": lambda f, c: [["ntp", "rules", "remove", f.get("number", "")]],
    "key-add": lambda f, c: [
        ["ntp", "keys", "add", f.get("id", ""), f.get("type", ""), f.get("key", "")]
    ],
    "key-remove": lambda f, c: [["ntp", "keys", "remove", f.get("id", "")]],
    "syslog": lambda f, c: [["config", "set", "syslog.targets", *_words(f.get("targets", ""))]],
    "user-add": lambda f, c: [["users", "add", f.get("name", ""), f.get("role", "")]],
    "user-remove": lambda f, c: [["users", "remove", f.get("name", "")]],
    "user-password": lambda f, c: [["users", "password", f.get("name", "")]],
}
"""Form name -> the command lines it stands for."""
ANCHORS = {"service": "services", "commit": "staged", "discard": "staged", "syslog": "syslog",
           "user-add": "users", "user-remove": "users", "user-password": "users"}  # fmt: skip


async def submit(request: web.Request) -> web.Response:
    """POST /config/FORM: its command lines in order, stopping at the first refusal; what
    they answered is shown on the page it returns to."""
    name = request.match_info["form"]
    if name not in FORMS:
        raise web.HTTPNotFound()
    fields = {key: str(value) for key, value in (await request.post()).items()}
    try:
        lines = FORMS[name](fields, request.app[CONTEXT].config())
    except FormError as exc:
        lines, answers, failed = [], [str(exc)], True
    else:
        answers, failed = [], False
    for words in lines:
        reply = run_command(request, words)
        answers.append(reply.text)
        if reply.status != Status.OK:
            failed = True
            break
    request[SESSION].notice = Notice("\n".join(answers) or "nothing changed", failed)
    return see_other(f"/config#{ANCHORS.get(name, 'ntp')}")


def _form(request: web.Request, name: str, inner: str, button: str) -> str:
    """A form, for admins only: monitors get nothing to submit."""
    if not request[SESSION].is_admin:
        return ""
    return (
        f'<form method="post" action="/config/{name}" class="change">{csrf_input(request)}'
        f'{inner}<button type="submit">{button}</button></form>'
    )


def _field(name: str, label: str, value: object = "", kind: str = "text") -> str:
    shown = html.escape(" ".join(map(str, value)) if isinstance(value, list) else str(value))
    return f'<label>{label} <input type="{kind}" name="{name}" value="{shown}"></label>'


def _checkbox(name: str, label: str, checked: bool = False) -> str:
    on = " checked" if checked else ""
    return f'<label><input type="checkbox" name="{name}"{on}> {label}</label>'


def _select(name: str, label: str, options: tuple[str, ...]) -> str:
    items = "".join(f"<option>{option}</option>" for option in options)
    return f'<label>{label} <select name="{name}">{items}</select></label>'


def _pre(request: web.Request, words: list[str]) -> str:
    return f"<pre>{html.escape(run_command(request, words).text)}</pre>"


def _staged(request: web.Request) -> str:
    commit = _form(request, "commit", _field("confirmed_s", "confirmed, seconds (optional)"),
                   "Commit")  # fmt: skip
    discard = _form(request, "discard", "", "Discard")
    return (
        f'<section id="staged"><h1>Staged changes</h1>{_pre(request, ["config", "diff"])}'
        f"{commit}{discard}</section>"
    )


def _service_row(request: web.Request, name: str, section: dict[str, Any], state: str) -> str:
    keys = () if name in LOCAL_ONLY else NETWORK_KEYS
    if not request[SESSION].is_admin:
        cells = "".join(f"<td>{html.escape(str(section[key]))}</td>" for key in keys)
        enabled = "enabled" if section["enabled"] else "disabled"
        return f"<tr><th>{name}</th><td>{enabled}</td><td>{html.escape(state)}</td>{cells}</tr>"
    inner = (
        f'<input type="hidden" name="service" value="{name}"><strong>{name}</strong> '
        f"({html.escape(state)}) {_checkbox('enabled', 'enabled', section['enabled'])}"
        + "".join(_field(key, key, section[key]) for key in keys)
    )
    return f'<div id="service-{name}">{_form(request, "service", inner, "Stage")}</div>'


def _services(request: web.Request, config: dict[str, Any]) -> str:
    running = request.app[CONTEXT].status()
    rows = "".join(
        _service_row(request, name, section, str(running.get(name, {}).get("state", "off")))
        for name, section in config["services"].items()
    )
    if not request[SESSION].is_admin:
        head = "<tr><th>service</th><th></th><th>state</th><th>port</th><th>bind</th>"
        rows = f"<table>{head}<th>allow</th></tr>{rows}</table>"
    note = "<p>Lists (bind, allow) are addresses or networks separated by spaces.</p>"
    return f'<section id="services"><h1>Services</h1>{note}{rows}</section>'


def _ntp(request: web.Request) -> str:
    flags = "".join(_checkbox(flag, flag) for flag in RULE_FLAGS)
    add_rule = _form(request, "rule-add", _field("network", "network") + flags, "Add rule")
    remove_rule = _form(request, "rule-remove", _field("number", "rule number"), "Remove rule")
    add_key = _form(
        request, "key-add",
        _field("id", "key id") + _select("type", "type", KEY_TYPES)
        + _field("key", "key (hex)", kind="password"), "Add or rotate key",
    )  # fmt: skip
    remove_key = _form(request, "key-remove", _field("id", "key id"), "Remove key")
    return (
        f'<section id="ntp"><h1>NTP rules</h1>{_pre(request, ["ntp", "rules", "list"])}'
        f"{add_rule}{remove_rule}<h1>NTP keys</h1>{_pre(request, ['ntp', 'keys', 'list'])}"
        f"<p>Keys apply at once, without a commit.</p>{add_key}{remove_key}</section>"
    )


def _syslog(request: web.Request, config: dict[str, Any]) -> str:
    targets = _field("targets", "targets (udp://, tcp:// or tls://HOST:PORT)",
                     config["syslog"]["targets"])  # fmt: skip
    return (
        f'<section id="syslog"><h1>Remote syslog</h1>{_pre(request, ["syslog"])}'
        f"{_form(request, 'syslog', targets, 'Stage')}</section>"
    )


def _users(request: web.Request) -> str:
    add = _form(request, "user-add", _field("name", "name") +
                _select("role", "role", ("monitor", "admin")), "Add account")  # fmt: skip
    remove = _form(request, "user-remove", _field("name", "name"), "Remove account")
    one_time = _form(request, "user-password", _field("name", "name"),
                     "Set a one-time password")  # fmt: skip
    return (
        f'<section id="users"><h1>Accounts</h1>{_pre(request, ["users", "list"])}'
        "<p>A new account gets a one-time password, changed at its first login (on the web "
        "page, over SSH or the console); so does an account whose password an admin sets. "
        f'Your own password: <a href="/password">change it here</a>.</p>{add}{remove}'
        f"{one_time}</section>"
    )


async def show(request: web.Request) -> web.Response:
    config = request.app[CONTEXT].config()
    body = (
        _staged(request) + _services(request, config) + _ntp(request)
        + _syslog(request, config) + _users(request)
    )  # fmt: skip
    return frame(request, "configuration", body)


ROUTES = [web.get("/config", show), web.post("/config/{form}", submit)]
