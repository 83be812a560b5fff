"""The simulated GPS receiver: real NMEA into a pseudo-terminal, and PPS edges."""
