"""Text from users as shown: control characters made visible, secrets masked, by one rule each."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seedwise._user_text import MASK, is_secret, masked, visible


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[2Jcleared", "\\x1b[2Jcleared"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("over\rwrite\b", "over\\rwrite\\x08"),
        ("\x9b31m C1 CSI, \x7f DEL, \x00 NUL", "\\x9b31m C1 CSI, \\x7f DEL, \\x00 NUL"),
        ("\u202eevil\u2066\u200f", "\\u202eevil\\u2066\\u200f"),
        ("line\u2028separator", "line\\u2028separator"),
        # Kept: newlines and tabs (tracebacks keep their shape), any printable text, backslashes.
        ("a\n\tb", "a\n\tb"),
        ("étude 試験 🙂 C:\\path\\x1b", "étude 試験 🙂 C:\\path\\x1b"),
    ],
)
def test_control_characters_are_shown_as_their_escapes(text: str, shown: str) -> None:
    assert visible(text) == shown


def test_one_line_escapes_newlines_and_tabs_too() -> None:
    assert visible("a\n\tb\r", one_line=True) == "a\\n\\tb\\r"


#: What visible escapes besides the C0 and C1 controls: the bidirectional controls.
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _hidden(character: str) -> bool:
    return unicodedata.category(character) in ("Cc", "Zl", "Zp") or character in BIDI


@given(st.text())
def test_visible_text_holds_no_control_character_and_keeps_all_else(text: str) -> None:
    shown = visible(text, one_line=True)
    assert not any(_hidden(character) for character in shown)
    if not any(_hidden(character) for character in text):
        assert shown == text


@pytest.mark.parametrize("key", ["token", "api_token", "db-password", "API_KEY", "apikey", "key"])
def test_keys_that_name_secrets(key: str) -> None:
    assert is_secret(key)


@pytest.mark.parametrize("key", ["lr", "keyboard_layout", "epochs", "seed"])
def test_keys_that_do_not(key: str) -> None:
    assert not is_secret(key)


def test_masked_hides_secrets_at_every_depth_and_keeps_the_rest() -> None:
    config = {
        "lr": 0.1,
        "api_token": "hunter2",
        "db": {"password": "pw", "host": "h"},
        "hosts": [{"secret": "s", "name": "a"}, 3],
    }
    assert masked(config) == {
        "lr": 0.1,
        "api_token": MASK,
        "db": {"password": MASK, "host": "h"},
        "hosts": [{"secret": MASK, "name": "a"}, 3],
    }
    assert config["api_token"] == "hunter2"
