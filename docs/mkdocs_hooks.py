"""MkDocs hooks of the documentation site (``hooks:`` in mkdocs.yml).

The pages in docs/ link the benchmark reports, their figures and data/README.md where they
live in the repository (``../benchmarks/results.md``), so that the links work where a page
is read on GitHub. The site adds those files under the same repository paths and points
such links at them; a link to anything else outside docs/ stays as written, and
``mkdocs build --strict`` fails on it.

The docstrings that the API reference renders are written for Sphinx: a role such as
``:func:`fit``` is shown as the plain code ``fit``.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.structure.files import File

#: Files outside docs/ that the site serves, as globs relative to the repository root.
REPOSITORY_FILES = (
    "benchmarks/*.md",
    "benchmarks/choices/*.md",
    "benchmarks/sweep*/*.md",
    "benchmarks/sweep*/*.png",
    "data/README.md",
)
#: A Markdown link or image target: ``](path#anchor`` (a title after a space is kept).
LINK = re.compile(r"(\]\()([^)\s#]+)(#[^)\s]*)?")
#: A Sphinx role before rendered code; ``~`` (show the last name only) drops the dotted path.
ROLE = re.compile(
    r":(?:py:)?(?:func|class|meth|mod|data|attr|exc|obj|const):(<code>)(?:~(?:\w+\.)*)?"
)

_added: set[str] = set()


def on_files(files, config):
    root = Path(config["config_file_path"]).parent
    _added.clear()
    for pattern in REPOSITORY_FILES:
        for path in sorted(root.glob(pattern)):
            uri = path.relative_to(root).as_posix()
            files.append(File(uri, str(root), config["site_dir"], config["use_directory_urls"]))
            _added.add(uri)
    return files


def _site_path(repository_path: str) -> str | None:
    """Where a repository file is among the site's files, or None if the site lacks it."""
    if repository_path.startswith("docs/"):
        return repository_path.removeprefix("docs/")
    return repository_path if repository_path in _added else None


def on_page_markdown(markdown, page, config, files):
    uri = page.file.src_uri
    here = posixpath.dirname(uri if uri in _added else f"docs/{uri}")
    site_here = posixpath.dirname(uri)

    def relink(match: re.Match) -> str:
        target = match.group(2)
        if ":" in target or target.startswith("/"):  # a URL, mailto: or an absolute path
            return match.group(0)
        site_path = _site_path(posixpath.normpath(posixpath.join(here, target)))
        if site_path is None:
            return match.group(0)
        relative = posixpath.relpath(site_path, site_here or ".")
        return match.group(1) + relative + (match.group(3) or "")

    return LINK.sub(relink, markdown)


def on_page_content(html, page, config, files):
    return ROLE.sub(r"\1", html)
