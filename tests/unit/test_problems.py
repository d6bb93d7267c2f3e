"""Error locations are reported as the field paths integrators wrote."""

import pytest

from crosslink.problems import field_path


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        (("body", "identifiers", 1, "value"), "identifiers[1].value"),
        (("body", "district"), "district"),
        (("body",), "body"),
        (("query", "limit"), "limit"),
    ],
)
def test_field_paths_read_like_the_json_they_point_into(
    loc: tuple[str | int, ...], path: str
) -> None:
    assert field_path(loc) == path
