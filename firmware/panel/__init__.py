"""The front-panel application: status screens, a settings menu and the keypad lock."""
