"""The RS-232 console: byte transport to a terminal (login and commands are firmware/admin)."""
