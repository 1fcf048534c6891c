"""Print pip constraints that pin every runtime dependency of pyproject.toml to its lower bound.

Used by .ci/run to test the oldest versions the pins allow, next to the newest.
"""

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
for requirement in project["dependencies"]:
    found = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*[^;]*?>=\s*([0-9][0-9.]*)", requirement)
    if found is None:
        sys.exit(f"no lower bound in {requirement!r}")
    print(f"{found.group(1)}=={found.group(2)}")
