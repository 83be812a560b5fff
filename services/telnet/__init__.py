"""Telnet administration (telnetlib3): cleartext, so shipped disabled; the same login and
command line as the serial console."""
