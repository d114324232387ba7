"""Reading a PNG file's header: is it a whole PNG, and how large is it."""

import struct
from pathlib import Path

SIGNATURE = b"\x89PNG\r\n\x1a\n"
END = b"IEND\xaeB`\x82"


def png_size(path) -> tuple[int, int]:
    """(width, height) in pixels of a complete PNG file; AssertionError for anything else."""
    data = Path(path).read_bytes()
    assert data[:8] == SIGNATURE, f"{path} is not a PNG file"
    assert data[12:16] == b"IHDR", f"{path} has no IHDR chunk first"
    assert data.endswith(END), f"{path} is cut short (no IEND chunk)"
    return struct.unpack(">II", data[16:24])


def assert_picture(path, min_size=(500, 350), max_size=(2500, 2000)) -> tuple[int, int]:
    """A complete PNG of a size a person can read on a screen."""
    width, height = png_size(path)
    assert min_size[0] <= width <= max_size[0], (width, height)
    assert min_size[1] <= height <= max_size[1], (width, height)
    return width, height
