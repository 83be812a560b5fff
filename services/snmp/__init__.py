"""SNMP: net-snmp's snmpd as a supervised child with a config written from ours."""
