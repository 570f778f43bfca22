"""report.md as HTML: one self-contained page (the images embedded, so it can be mailed alone), and a
small static site (an index and a page per study, the figures as files loaded as they scroll into
view) that opens at once and can be browsed from the repository."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import markdown

from . import templating
from .i18n import _


def _body(text: str) -> str:
    # toc: headings get ids, as on GitHub; md_in_html: the Markdown inside <details markdown="1">
    # (report_parts.folded) is rendered; fenced_code: a ``` block (a learned solution, the course's printout)
    # keeps its lines, as on GitHub.
    return markdown.markdown(text, extensions=["tables", "toc", "md_in_html", "fenced_code"])


def to_html(text: str, root: Path, lang: str = "en") -> str:
    """One self-contained page: the images are embedded, so the file can be mailed or zipped alone."""

    def embed(match: re.Match) -> str:
        data = base64.b64encode((root / match.group(1)).read_bytes()).decode()
        return f'src="data:image/png;base64,{data}"'

    return _page(re.sub(r'src="([^"]+\.png)"', embed, _body(text)), "nnlab report", root, lang)


SITE = "site"  # the site's folder, beside report.md: its pages reach the figures at ../report_assets/


def site_pages(pages: list[tuple[str, str, str]], root: Path, lang: str = "en", depth: int = 1) -> dict[str, str]:
    """{file name: HTML} of the site: `pages` are (file stem, title, Markdown), the first the index.
    A link to a heading of another page (a study's section, How to read this report) goes to that
    page; the figures are files, loaded lazily, so no page embeds one. `depth`: the site's folders
    below the report's (site/ is 1, site/zh/ 2), for the way up to the figures."""
    where = {}  # a heading's id -> the page that holds it
    bodies = []
    for stem, title, text in pages:
        body = _body(text)
        where.update({anchor: stem for anchor in re.findall(r'<(?:h[1-6]|a) id="([^"]+)"', body)})
        bodies.append((stem, title, body))
    out = {}
    for stem, title, body in bodies:
        def link(match: re.Match, stem=stem) -> str:
            anchor = match.group(1)
            page = where.get(anchor)
            return f'href="#{anchor}"' if page in (None, stem) else f'href="{page}.html#{anchor}"'

        body = re.sub(r'href="#([^"]+)"', link, body)
        up = "../" * depth
        body = re.sub(r'<img ([^>]*?)src="([^"]+\.png)"', rf'<img \1loading="lazy" src="{up}\2"', body)
        back = html.escape(_("← the report's front page"))
        nav = "" if stem == pages[0][0] else f'<p><a href="{pages[0][0]}.html">{back}</a></p>\n'
        out[f"{stem}.html"] = _page(nav + body, _("nnlab report: {title}").format(title=title), root, lang)
    return out


def _page(body: str, title: str, root: Path, lang: str = "en") -> str:
    """The page around a body of HTML (templates/page.html.j2): its language for the browser's fonts
    (zh-CN picks a Chinese face), its title, the style every page shares."""
    return templating.render("page.html.j2", body=body, title=title, root=str(root), lang={"zh": "zh-CN"}.get(lang, lang)) + "\n"
