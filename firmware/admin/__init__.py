"""Administration: accounts and passwords (the command interpreter joins here later)."""
