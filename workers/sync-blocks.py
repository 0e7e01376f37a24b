#!/usr/bin/env python3
"""Copy the shared blocks of one workers/ script into every other script that has them.

Each workers/*.sh is uploaded to hosts alone, so helpers cannot be sourced from a library: they are copied between
"# >>> NAME" and "# <<< NAME" markers, and WorkersShellcheckTest fails when copies differ. After editing a block in
one script, run:  python3 workers/sync-blocks.py workers/<edited-script>.sh
"""
import pathlib
import re
import sys

BLOCK = re.compile(r"^# >>> ([a-z]+)\b.*?^# <<< \1$", re.M | re.S)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: sync-blocks.py workers/<script-with-the-edited-blocks>.sh")
    source = pathlib.Path(sys.argv[1])
    blocks = {m.group(1): m.group(0) for m in BLOCK.finditer(source.read_text())}
    for script in sorted(source.parent.glob("*.sh")):
        if script == source:
            continue
        text = script.read_text()
        updated = BLOCK.sub(lambda m: blocks.get(m.group(1), m.group(0)), text)
        if updated != text:
            script.write_text(updated)
            print("updated", script)


if __name__ == "__main__":
    main()
