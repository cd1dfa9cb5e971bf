"""Refresh the vendored uPlot in static/vendor/uplot/ from the npm registry: `python scripts/vendor_uplot.py [VERSION]`.

The pages load uPlot from the site itself (no CDN, no build step). This fetches the pinned version with `npm pack`,
checks the tarball against the registry's integrity hash (npm does), and copies the minified IIFE build, its CSS
and the licence next to a VERSION file naming what was taken. Commit the result.
"""

import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "1.6.32"  # pinned; bump here (or pass a version) and run the script
FILES = {"package/dist/uPlot.iife.min.js": "uPlot.iife.min.js", "package/dist/uPlot.min.css": "uPlot.min.css",
         "package/LICENSE": "LICENSE"}  # fmt: skip
TARGET = Path(__file__).resolve().parent.parent / "static" / "vendor" / "uplot"


def main() -> int:
    version = sys.argv[1] if len(sys.argv) > 1 else VERSION
    with tempfile.TemporaryDirectory() as tmp:
        packed = subprocess.run(
            ["npm", "pack", f"uplot@{version}", "--json", "--silent"],
            cwd=tmp,
            check=True,
            capture_output=True,
            text=True,
        )
        info = json.loads(packed.stdout)[0]
        TARGET.mkdir(parents=True, exist_ok=True)
        with tarfile.open(Path(tmp) / info["filename"]) as archive:
            for member, name in FILES.items():
                (TARGET / name).write_bytes(archive.extractfile(member).read())
    lines = [f"uplot {info['version']} from the npm registry ({info['integrity']})"]
    lines += [f"{hashlib.sha256((TARGET / n).read_bytes()).hexdigest()}  {n}" for n in sorted(FILES.values())]
    (TARGET / "VERSION").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
