"""An example for each command, shown by `help COMMAND` under its explanation: one table, so
that a test can check no command goes without."""

EXAMPLES: dict[str, str] = {
    "status": "status            sync state, GPS, services",
    "version": "version",
    "whoami": "whoami",
    "logout": "logout",
    "exit": "exit",
    "help": "help ntp          explain the ntp command\nhelp              list every command",
    "services": "services                      what runs, and where\n"
    "services enable telnet\nservices restart ntp",
    "log": "log tail 50                   the last 50 events\n"
    "log show --audit              who changed what, from where",
    "syslog": "syslog                        each collector and its queue",
    "audit": "audit                         pass, FAIL or N/A for each recommendation",
    "reboot": "reboot",
    "firmware": "firmware                      the slots, which runs, on trial or not\n"
    "firmware install /var/tmp/timeserver-0.2.0.bundle\nfirmware commit\nfirmware rollback",
    "https": "https cert                    the certificate HTTPS serves\n"
    "https cert install example.crt example.key   uploaded by SFTP, or paths\n"
    "https cert reset              a new self-signed pair",
    "factory-reset": "factory-reset                 says what it erases\nfactory-reset confirm",
    "config": "config show services.ntp\nconfig set services.ntp.port 1123\n"
    "config diff\nconfig commit\nconfig commit confirmed 300   for a change that may cut you off",
    "passwd": "passwd                        asks for the current password, then a new one",
    "users": "users\nusers add alice monitor       prints a one-time password\nusers remove alice\n"
    "users password alice          a new one-time password for alice",
    "gps": "gps                           fix, position and the satellite table\n"
    "gps inject antenna_open      (simulated receiver) a fault, until 'gps inject locked'",
    "panel": "panel                         what the display shows\npanel press down",
    "keypad": "keypad pin 4321\nkeypad lock",
    "ntp": "ntp stats\nntp clients\n"
    "ntp keys add 42 AES128CMAC HEX:000102030405060708090a0b0c0d0e0f\n"
    "ntp rules add 192.0.2.0/24 noratelimit",
    "snmp": "snmp users add nms 'auth passphrase' 'priv passphrase'   staged; config commit\n"
    "snmp traps add 192.0.2.10 nms     informs to an NMS as user nms\nsnmp traps test",
    "ptp": "ptp                           port state and why, what it announces\n"
    "ptp slaves                    the clocks that asked for the delay\nptp counters",
}
