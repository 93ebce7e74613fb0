"""Print the parameter table of docs/ODD.md section 8 from the schema (``--write`` updates it).

python tools/odd_parameters.py --write
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sim.model.parameters import PARAMETERS, Parameter

ODD = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"
HEADER = "| key | default | unit | meaning | source |\n|---|---|---|---|---|\n"


def row(p: Parameter) -> str:
    meaning = p.doc
    if p.choices:
        meaning += f" ({' / '.join(p.choices)})"
    elif p.low is not None or p.high is not None:
        meaning += f"; range [{p.low}, {p.high}]"
    return f"| `{p.key}` | `{json.dumps(p.default)}` | {p.unit} | {meaning} | {p.source} |"


def table() -> str:
    return HEADER + "\n".join(row(p) for p in PARAMETERS) + "\n"


def main() -> None:
    if "--write" not in sys.argv:
        print(table(), end="")
        return
    text = ODD.read_text(encoding="utf-8")
    start = text.index(HEADER)
    end = text.index("\n\n", start) + 1
    ODD.write_text(text[:start] + table() + text[end:], encoding="utf-8")
    print(f"updated the parameter table of {ODD}")


if __name__ == "__main__":
    main()
