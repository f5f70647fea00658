"""The driver's colour fitting: truecolor SGR codes rewritten for 256- and 16-colour clients."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from rich.color import Color, ColorSystem

from coptui.serve.colour_depth import downgrade

channel = st.integers(min_value=0, max_value=255)


def test_truecolor_passes_through_untouched() -> None:
    text = "\x1b[1;38;2;10;20;30;48;2;200;100;0mhi\x1b[0m"
    assert downgrade(text, "truecolor") is text


def test_256_colours_keep_every_other_parameter_and_the_text() -> None:
    text = "\x1b[1;3;38;2;255;0;0;48;2;0;0;0mred on black\x1b[0m plain \x1b[38;5;42mgreen\x1b[m"
    assert downgrade(text, "256") == "\x1b[1;3;38;5;196;48;5;16mred on black\x1b[0m plain \x1b[38;5;42mgreen\x1b[m"


def test_standard_colours_use_the_sixteen_colour_codes() -> None:
    assert downgrade("\x1b[38;2;255;0;0;48;2;0;0;0mx", "standard") == "\x1b[31;40mx"
    assert downgrade("\x1b[38;2;255;255;255mx", "standard") == "\x1b[97mx"  # the bright half: 90-97
    assert downgrade("\x1b[38;5;1mx", "standard") == "\x1b[31mx"  # 8-bit colours too
    assert downgrade("\x1b[4;58;2;255;0;0mx", "standard") == "\x1b[4mx"  # no underline colour there


def test_text_that_only_looks_like_codes_is_left_alone() -> None:
    text = "a card saying 38;2;1;2;3 and [38;2;1;2;3m without the escape"
    assert downgrade(text, "256") == text


@given(
    st.lists(st.tuples(st.sampled_from(["38", "48"]), channel, channel, channel), min_size=1, max_size=4),
    st.text(max_size=20),
)
def test_no_24_bit_code_reaches_a_256_colour_client(colours: list[tuple[str, int, int, int]], text: str) -> None:
    params = ";".join(f"{kind};2;{r};{g};{b}" for kind, r, g, b in colours)
    out = downgrade(f"\x1b[{params}m{text}", "256")
    assert not re.search(r"[34]8;2;", out.split("m", 1)[0])
    expected = ";".join(
        f"{kind};5;{Color.from_rgb(r, g, b).downgrade(ColorSystem.EIGHT_BIT).number}" for kind, r, g, b in colours
    )
    assert out == f"\x1b[{expected}m{text}"


@given(
    st.lists(st.tuples(channel, channel, channel, st.text(max_size=30)), min_size=120, max_size=160),
    st.sampled_from(["256", "standard"]),
)
def test_a_whole_screen_is_fitted_as_its_pieces_are_and_once_for_many_sessions(
    cells: list[tuple[int, int, int, str]], color_system: str
) -> None:
    pieces = [f"\x1b[38;2;{r};{g};{b}m{text} cell" for r, g, b, text in cells]
    screen = "".join(pieces)  # longer than the screen threshold: fitted through the shared cache
    assert len(screen) > 2048
    fitted = downgrade(screen, color_system)
    assert fitted == "".join(downgrade(piece, color_system) for piece in pieces)
    assert downgrade("".join(pieces), color_system) is fitted, "another session's equal screen"


def test_no_color_leaves_out_every_colour_and_keeps_the_rest() -> None:
    text = "\x1b[1;38;2;255;0;0;48;5;17mbold red\x1b[0m \x1b[31;4mline\x1b[39;49m \x1b[7;97;100mrev\x1b[m"
    assert downgrade(text, "none") == "\x1b[1mbold red\x1b[0m \x1b[4mline\x1b[39;49m \x1b[7mrev\x1b[m"


def test_a_sequence_of_colours_only_is_left_out_not_turned_into_a_reset() -> None:
    # ESC [ m resets bold and underline too: a colour-only sequence must vanish, not become one.
    assert downgrade("\x1b[1mA\x1b[38;2;1;2;3mB\x1b[4;58;2;9;9;9mC", "none") == "\x1b[1mAB\x1b[4mC"
    assert downgrade("\x1b[1mA\x1b[58;2;9;9;9mB", "standard") == "\x1b[1mAB"


@given(st.lists(st.tuples(channel, channel, channel), min_size=1, max_size=4), st.text(max_size=20))
def test_no_color_output_sets_no_colour(colours: list[tuple[int, int, int]], words: str) -> None:
    text = "".join(f"\x1b[1;38;2;{r};{g};{b};48;2;{b};{g};{r}m{words}" for r, g, b in colours)
    result = downgrade(text, "none")
    assert re.sub(r"\x1b\[[0-9;]*m", "", result) == re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert all(params == "1" for params in re.findall(r"\x1b\[([0-9;]*)m", result))
