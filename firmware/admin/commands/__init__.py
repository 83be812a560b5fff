"""The admin command line: one interpreter for the serial console, SSH, telnet."""

from firmware.admin.commands import (
    accounts,
    config_cmds,
    devices,
    firmware_cmds,
    https_cmds,
    ntp_cmds,
    ptp_cmds,
    snmp_cmds,
    system,
)
from firmware.admin.commands.completion import ARGUMENTS
from firmware.admin.commands.examples import EXAMPLES
from firmware.admin.commands.interpreter import Call, Command, Interpreter
from firmware.admin.controls import Controls
from firmware.admin.shell import Reply, Session

COMMANDS: dict[str, Command] = {
    **system.COMMANDS,
    **config_cmds.COMMANDS,
    **accounts.COMMANDS,
    **devices.COMMANDS,
    **ntp_cmds.COMMANDS,
    **ptp_cmds.COMMANDS,
    **snmp_cmds.COMMANDS,
    **firmware_cmds.COMMANDS,
    **https_cmds.COMMANDS,
}


def make_interpreter(controls: Controls) -> Interpreter:
    return Interpreter(controls, COMMANDS, ARGUMENTS, EXAMPLES)


__all__ = ["COMMANDS", "Call", "Command", "Interpreter", "Reply", "Session", "make_interpreter"]
