"""SSH administration (asyncssh): the device's host keys, modern algorithms only, password
and public-key login, the shared command line interactively or one command per connection."""
