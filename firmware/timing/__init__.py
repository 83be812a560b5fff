"""Time keeping: the clock every service reads and the state of its synchronisation."""
