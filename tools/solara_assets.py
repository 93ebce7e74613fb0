"""Fill Solara's local CDN cache from npm, so the web app works with no access to a public CDN.

Solara's page asks its own server for ``/_solara/cdn/<package>@<version>/<file>``;
the server answers from ``$VIRTUAL_ENV/share/solara/cdn/`` (or
``SOLARA_ASSETS_PROXY_CACHE_DIR``) and only on a miss goes to the public CDN.
The list of packages is read from the installed solara (its page template,
components and widgets; not its website), so upgrading solara cannot silently
leave the page blank. Each package is filled from the ``package/`` folder of
its ``npm pack`` tarball, which is the layout the CDN serves.

    python tools/solara_assets.py            # install what is missing
    python tools/solara_assets.py --list     # print the packages and exit
    python tools/solara_assets.py --check    # exit 1 if a referenced file is missing
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

DONE = ".npm-pack-complete"  # marker written after a package is fully unpacked
SOURCE_SUFFIXES = {".py", ".vue", ".js", ".j2", ".html"}
# A CDN reference: ``{{cdn}}/spec/file`` in templates, ``${this.getCdn()}/spec/file`` in Vue code.
REFERENCE = re.compile(
    r"(?:\{\{\s*cdn\s*\}\}|\$\{[^}]*getCdn\(\)\})"
    r"/(?P<spec>(?:@[\w.-]+/)?[\w.-]+@[\w.-]+)(?P<file>/[^\"'`\s<>]*)"
)


def solara_root() -> Path:
    import solara

    return Path(solara.__file__).resolve().parent


def cache_dir() -> Path:
    """Where the Solara server looks for cached CDN files."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def _widget_major() -> str:
    import ipywidgets

    return ipywidgets.__version__.split(".")[0]


def references(root: Path | None = None) -> dict[str, set[str]]:
    """Files the installed solara asks of its CDN, by package spec (``requirejs@2.3.6``)."""
    from solara.server import settings

    root = root or solara_root()
    found: dict[str, set[str]] = {}
    paths = [p for p in root.rglob("*") if p.suffix in SOURCE_SUFFIXES]
    for path in sorted(paths):
        if "website" in path.relative_to(root).parts:
            continue  # solara.dev's own pages (search, docs), not served by an app
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in REFERENCE.finditer(text):
            file = match["file"].replace("{{ipywidget_major_version}}", _widget_major())
            found.setdefault(match["spec"], set()).add(file)
    fontawesome = settings.assets.fontawesome_path.lstrip("/")
    spec, _, file = fontawesome.partition("/")
    found.setdefault(spec, set()).add("/" + file)
    return found


def missing_files(refs: dict[str, set[str]], cache: Path) -> list[str]:
    """Referenced files (without template expressions) that are not in the cache."""
    return sorted(
        f"{spec}{file}"
        for spec, files in refs.items()
        for file in files
        if "{" not in file and "$" not in file and not (cache / f"{spec}{file}").is_file()
    )


def install(spec: str, cache: Path, *, npm: str = "npm") -> None:
    """Unpack ``npm pack spec`` into ``cache/spec/``."""
    target = cache / spec
    if (target / DONE).exists():
        return
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [npm, "pack", spec, "--silent", "--pack-destination", tmp],
            capture_output=True,
            text=True,
            check=False,
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if result.returncode or len(tarballs) != 1:
            raise RuntimeError(f"npm pack {spec} failed: {result.stderr.strip()}")
        unpacked = Path(tmp) / "unpacked"
        with tarfile.open(tarballs[0]) as tar:
            tar.extractall(unpacked, filter="data")
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(unpacked / "package", target)
    (target / DONE).write_text(spec + "\n", encoding="utf-8")


def add_minified_copies(refs: dict[str, set[str]], cache: Path) -> None:
    """The CDN minifies any ``x.js`` on request as ``x.min.js``; serve ``x.js`` under that name."""
    for spec, files in refs.items():
        for file in files:
            wanted = cache / f"{spec}{file}"
            plain = wanted.with_name(wanted.name.replace(".min.", "."))
            if ".min." in wanted.name and not wanted.exists() and plain.is_file():
                shutil.copyfile(plain, wanted)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="print the packages and exit")
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if incomplete")
    parser.add_argument("--npm", default="npm", help="npm executable (default npm)")
    args = parser.parse_args(argv)
    refs, cache = references(), cache_dir()
    if args.list:
        print("\n".join(sorted(refs)))
        return 0
    if not args.check:
        if shutil.which(args.npm) is None:
            print(f"solara_assets: {args.npm} not found; cannot fill {cache}", file=sys.stderr)
            return 1
        for spec in sorted(refs):
            install(spec, cache, npm=args.npm)
        add_minified_copies(refs, cache)
    missing = missing_files(refs, cache)
    if missing:
        print(f"solara_assets: missing in {cache}: {', '.join(missing)}", file=sys.stderr)
        return 1
    print(f"solara_assets: {len(refs)} packages in {cache}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
