"""GPS receivers: NMEA over a serial line, gpsd, and the Linux PPS API."""
