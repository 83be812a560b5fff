"""Key sequences a person presses on the panel."""


def pin_keys(pin: str) -> list[str]:
    """Digits are dialled with up from 0; right moves to the next digit; enter submits."""
    keys: list[str] = []
    for position, digit in enumerate(pin):
        if position:
            keys.append("right")
        keys += ["up"] * int(digit)
    return keys + ["enter"]
