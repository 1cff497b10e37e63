"""Shared by the benchmark report scripts: BENCHMARKS.md sections."""
import os
import re


def write_section(path, start, end, section):
    """Replaces the text between the `start` and `end` markers of `path` with
    `section` (which includes the markers), or appends it."""
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    if start in text:
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    with open(path, "w") as f:
        f.write(text)
    print(section)


def verdict(ok):
    return "**met**" if ok else "**missed**"
