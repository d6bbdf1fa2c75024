"""How well and how fast the html importer extracts article text, against the naive path and trafilatura.

Quality: for every page ``NAME.html`` (or ``.htm``/``.xhtml``) of the evaluation set with its ground truth
``NAME.txt`` beside it, word-level precision, recall and F1 (bags of lowercased ``\\w+`` tokens) of:

* ``curate``: the html importer with default options (``HtmlImporter.read``, decoding included);
* ``naive``: ``BeautifulSoup(data, "html.parser").get_text()``, the usual tutorial;
* ``trafilatura``: ``trafilatura.extract(data, include_comments=False)`` when trafilatura imports (optional);
* ``curate[trafilatura]``: the html importer with ``extractor="trafilatura"`` (same condition).

Structure: how much of the pages' structure the text keeps (on the eval set the parts inside the
ground truth; on the golden-test pages of ``tests/data/html/golden``, all of it), as kept/total of:
table rows (a row's cells' words on one line, in order), code blocks (a ``pre``'s lines together,
whitespace intact), list items (an item of its own behind a ``-``/``1.`` marker, its words whole)
and definitions (a ``dt`` and the start of its ``dd`` on one line).

Speed: a corpus of generated pages (each eval page with its paragraphs shuffled, numbers changed and a
paragraph repeated, written in the page's own encoding) read from disk one page at a time by the
importer and by the naive path; pages/s, MB/s and the ratio. For reference, BeautifulSoup on the
lxml parser with get_text() (no extraction at all) is timed too: it bounds what an extractor built
on bs4 could reach, which is why the importer walks lxml's tree directly.

Run from the repository root::

    python bench/html_quality.py                   # eval set, plus 2,000 generated pages
    python bench/html_quality.py --pages 0         # quality only
    python bench/html_quality.py --no-trafilatura  # skip trafilatura
"""

from __future__ import annotations

import argparse
import collections
import random
import re
import shlex
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = ROOT / "tests" / "data" / "html" / "eval"
GOLDEN_DIR = ROOT / "tests" / "data" / "html" / "golden"
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class EvalPage:
    name: str
    path: Path
    truth: str


def load_eval(folder: Path = EVAL_DIR) -> list[EvalPage]:
    """The pages of the evaluation set that have a ground-truth ``.txt`` beside them, sorted by name."""
    pages = []
    for path in sorted(folder.iterdir()):
        truth = path.with_suffix(".txt")
        if path.suffix.lower() in HTML_SUFFIXES and truth.exists():
            pages.append(EvalPage(path.name, path, truth.read_text(encoding="utf-8")))
    return pages


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def word_prf(predicted: str, truth: str) -> tuple[float, float, float]:
    """Bag-of-words precision, recall and F1 of ``predicted`` against ``truth``.

    >>> word_prf("the cat sat", "the cat sat down")
    (1.0, 0.75, 0.8571428571428571)
    """
    pred, gold = collections.Counter(tokens(predicted)), collections.Counter(tokens(truth))
    overlap = sum((pred & gold).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    precision = overlap / sum(pred.values())
    recall = overlap / sum(gold.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


# ---------------------------------------------------------------------------------------
# The extractors compared.


def curate_reader(**options: Any) -> Callable[[Path], str]:
    """Text of a page as the html importer imports it (the records' text joined)."""
    from curate.importing import InputFile
    from curate.plugins.html import HtmlImporter
    from curate.records import Record

    importer = HtmlImporter.from_options(options)

    def read(path: Path) -> str:
        texts = [r.text or "" for r in importer.read(InputFile(path, path.name)) if isinstance(r, Record)]
        return "\n\n".join(texts)

    return read


def naive_text(path: Path) -> str:
    """The usual tutorial: BeautifulSoup with Python's html.parser, then get_text()."""
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_bytes(), "html.parser").get_text()


def bs4_lxml_text(path: Path) -> str:
    """BeautifulSoup on the lxml parser, then get_text(): a floor for any extractor built on bs4."""
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_bytes(), "lxml").get_text()


def trafilatura_reader() -> tuple[Callable[[Path], str] | None, str | None]:
    """trafilatura's extract(), or None and the reason it cannot be imported."""
    try:
        import trafilatura
    except ImportError as exc:
        return None, f"{type(exc).__name__}: {exc}".splitlines()[0]

    def read(path: Path) -> str:
        # Comments are not article text here (the ground truth leaves them out), so ask for none.
        return trafilatura.extract(path.read_bytes(), include_comments=False, include_tables=True) or ""

    return read, None


# ---------------------------------------------------------------------------------------
# Quality.


def evaluate(pages: list[EvalPage], extractors: dict[str, Callable[[Path], str]]) -> dict[str, list[tuple]]:
    """``{extractor: [(precision, recall, f1) per page]}``."""
    return {name: [word_prf(read(p.path), p.truth) for p in pages] for name, read in extractors.items()}


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _prf(values: tuple) -> str:
    return " / ".join(f"{v:.3f}" for v in values)


def print_quality(pages: list[EvalPage], scores: dict[str, list[tuple]]) -> None:
    names = list(scores)
    width = max(len(p.name) for p in pages)
    header = f"{'page':<{width}}  {'words':>5}  " + "  ".join(f"{n + ' P/R/F1':>26}" for n in names)
    print(header)
    print("-" * len(header))
    for i, page in enumerate(pages):
        cells = "  ".join(f"{_prf(scores[n][i]):>26}" for n in names)
        print(f"{page.name:<{width}}  {len(tokens(page.truth)):>5}  {cells}")
    print("-" * len(header))
    means = "  ".join(f"{_prf(tuple(mean([s[k] for s in scores[n]]) for k in range(3))):>26}" for n in names)
    print(f"{'mean':<{width}}  {'':>5}  {means}")
    print()
    for n in names:
        print(f"mean word F1 {n:<22} {mean([s[2] for s in scores[n]]):.3f}")


# ---------------------------------------------------------------------------------------
# Structure.

STRUCTURES = ("table rows", "code blocks", "list items", "definitions")
_MARKER = re.compile(r"^\s*(?:[-*+\u2022]|\d+[.)])\s+")
_HIDDEN = re.compile(r"display\s*:\s*none", re.IGNORECASE)


def _visible_tokens(el: Any, skip: tuple[str, ...] = ()) -> list[str]:
    """The words of ``el`` as a reader sees them: text nodes apart, hidden elements and ``skip`` tags left out."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            hidden = child.get("hidden") is not None or _HIDDEN.search(child.get("style") or "")
            if isinstance(child.tag, str) and child.tag not in skip and not hidden:
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return tokens(" ".join(parts))


def _contains(seq: list[str], part: list[str], start: int = 0) -> int:
    """Where ``part`` starts in ``seq`` at or after ``start``, or -1."""
    n = len(part)
    for i in range(start, len(seq) - n + 1):
        if seq[i : i + n] == part:
            return i
    return -1


def structure_units(page: EvalPage, within_truth: bool = True) -> dict[str, list[Any]]:
    """The page's structures (those whose words are in its ground truth, if ``within_truth``): ``{kind: [unit]}``.

    A table row is its cells' words, a code block its lines, a list item its words (nested lists
    aside, four words at least), a definition its term's words and its definition's first words.
    """
    from curate.plugins.html import decode_html, parse_html

    truth = tokens(page.truth)

    def inside(words: list[str]) -> bool:
        return bool(words) and (not within_truth or _contains(truth, words) >= 0)

    tree = parse_html(decode_html(page.path.read_bytes()).text)
    for junk in list(tree.iter("script", "style", "head")):
        junk.getparent().remove(junk)
    units: dict[str, list[Any]] = {kind: [] for kind in STRUCTURES}
    for table in tree.iter("table"):
        if next(table.iterdescendants("table"), None) is not None:
            continue  # a layout table: its rows are not rows of data
        for tr in table.iter("tr"):
            cells = [_visible_tokens(c) for c in tr if c.tag in ("td", "th")]
            cells = [c for c in cells if c]
            if len(cells) >= 2 and all(inside(c) for c in cells):
                units["table rows"].append(cells)
    for pre in tree.iter("pre"):
        lines = [line.rstrip() for line in "".join(pre.itertext()).strip("\n").split("\n")]
        words = [tokens(line) for line in lines]
        if sum(1 for w in words if w) >= 2 and all(inside(w) for w in words if w):
            units["code blocks"].append(lines)
    for li in tree.iter("li"):
        words = _visible_tokens(li, skip=("ul", "ol"))
        if len(words) >= 4 and inside(words):  # shorter ones are mostly menu entries named like headings
            units["list items"].append(words)
    for dt in tree.iter("dt"):
        dd = dt.getnext()
        while dd is not None and not (isinstance(dd.tag, str) and dd.tag in ("dd", "dt")):
            dd = dd.getnext()
        if dd is not None and dd.tag == "dd":
            term, definition = _visible_tokens(dt), _visible_tokens(dd)[:8]
            if inside(term) and inside(definition):
                units["definitions"].append((term, definition))
    return units


def _items(lines: list[str]) -> list[list[str]]:
    """The words of each list item of ``lines``: its marker line and the lines indented under it
    (nested items and code fences aside)."""
    items = []
    for i, line in enumerate(lines):
        marker = _MARKER.match(line)
        if not marker:
            continue
        indent = len(line) - len(line.lstrip())
        parts = [line[marker.end() :]]
        for following in lines[i + 1 :]:
            if not following.strip() or len(following) - len(following.lstrip()) <= indent:
                break
            if not _MARKER.match(following) and not following.strip().startswith("```"):
                parts.append(following)
        items.append(tokens(" ".join(parts)))
    return items


def structure_kept(kind: str, unit: Any, text: str) -> bool:
    """Does ``text`` (an extractor's output) keep this structure?"""
    lines = text.split("\n")
    if kind == "table rows":  # the cells' words, in order, on one line
        for line in lines:
            words, at = tokens(line), 0
            for cell in unit:
                at = _contains(words, cell, at)
                if at < 0:
                    break
                at += len(cell)
            else:
                return True
        return False
    if kind == "code blocks":  # the lines together, whitespace intact (a common indent allowed)
        stripped = [line.rstrip() for line in lines]
        for i, line in enumerate(stripped):
            if unit[0] and line.endswith(unit[0]) and not line[: len(line) - len(unit[0])].strip():
                pad = line[: len(line) - len(unit[0])]
                if stripped[i : i + len(unit)] == [pad + u if u else u for u in unit]:
                    return True
        return False
    if kind == "list items":  # an item of its own, behind a marker
        return unit in _items(lines)
    term, definition = unit  # the term, then the definition, on one line
    for line in lines:
        words = tokens(line)
        at = _contains(words, term)
        if at >= 0 and words[at + len(term) : at + len(term) + len(definition)] == definition:
            return True
    return False


def structure_scores(
    pages: list[EvalPage], extractors: dict[str, Callable[[Path], str]], within_truth: bool = True
) -> dict[str, dict]:
    """``{extractor: {kind: (kept, total)}}`` over all the pages."""
    units = [structure_units(p, within_truth) for p in pages]
    scores: dict[str, dict] = {}
    for name, read in extractors.items():
        counts = {kind: [0, 0] for kind in STRUCTURES}
        for page, page_units in zip(pages, units, strict=True):
            text = read(page.path)
            for kind, items in page_units.items():
                counts[kind][1] += len(items)
                counts[kind][0] += sum(structure_kept(kind, unit, text) for unit in items)
        scores[name] = {kind: tuple(c) for kind, c in counts.items()}
    return scores


def print_structure(scores: dict[str, dict]) -> None:
    print(f"{'structure kept':<22}" + "".join(f"{kind:>14}" for kind in STRUCTURES))
    for name, counts in scores.items():
        print(f"{name:<22}" + "".join(f"{f'{k}/{t}':>14}" for k, t in (counts[kind] for kind in STRUCTURES)))


# ---------------------------------------------------------------------------------------
# Speed.


def make_corpus(pages: list[EvalPage], count: int, folder: Path, seed: int = 0) -> list[Path]:
    """Write ``count`` pages varied from the eval pages into ``folder``, each in its source's encoding."""
    from curate.plugins.html import decode_html

    rng = random.Random(seed)
    sources = []
    for page in pages:
        html, encoding, _, _ = decode_html(page.path.read_bytes())
        sources.append((page, html, encoding))
    paths = []
    for i in range(count):
        page, html, encoding = sources[i % len(sources)]
        varied = _vary(html, rng)
        if encoding.startswith("utf-16"):
            data = varied.encode("utf-16")  # with its BOM, like the source
        else:
            data = varied.encode(encoding, errors="xmlcharrefreplace")
        path = folder / f"{i:05d}-{page.path.stem}{page.path.suffix}"
        path.write_bytes(data)
        paths.append(path)
    return paths


_PARAGRAPH = re.compile(r"<p\b[^>]*>.*?</p>", re.IGNORECASE | re.DOTALL)


def _vary(html: str, rng: random.Random) -> str:
    paragraphs = _PARAGRAPH.findall(html)
    if len(paragraphs) >= 2:
        shuffled = paragraphs[:]
        rng.shuffle(shuffled)
        extra = rng.choice(paragraphs)
        replacements = iter([*shuffled])
        html = _PARAGRAPH.sub(lambda m: next(replacements), html)
        html = html.replace(extra, extra + "\n" + extra, 1)
    # New numbers in the text (not in tags: a charset such as utf-8 stays what it was).
    return re.sub(r">[^<]+<", lambda m: re.sub(r"\d", lambda _: str(rng.randrange(10)), m.group(0)), html)


def timed(read: Callable[[Path], Any], paths: list[Path]) -> tuple[float, float]:
    """Wall and CPU seconds of calling ``read`` on every path in turn."""
    wall, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        read(path)
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR, help="pages with NAME.txt ground truth beside them")
    parser.add_argument("--pages", type=int, default=2000, help="generated pages for the speed test (0: skip it)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated corpus")
    parser.add_argument("--repeat", type=int, default=3, help="timing rounds; the fastest of each is kept")
    parser.add_argument("--no-trafilatura", action="store_true", help="leave trafilatura out")
    args = parser.parse_args(argv)
    from bs4 import XMLParsedAsHTMLWarning

    warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning)  # the XHTML page, parsed as HTML on purpose
    print("$ python " + shlex.join([sys.argv[0], *(sys.argv[1:] if argv is None else argv)]))
    print()

    pages = load_eval(args.eval_dir)
    if not pages:
        print(f"no NAME.html + NAME.txt pairs in {args.eval_dir}", file=sys.stderr)
        return 2
    extractors: dict[str, Callable[[Path], str]] = {"curate": curate_reader(), "naive": naive_text}
    traf = None
    if not args.no_trafilatura:
        traf, reason = trafilatura_reader()
        if traf is None:
            print(f"trafilatura: not available ({reason}); its column is left out")
            print()
        else:
            extractors["trafilatura"] = traf
            extractors["curate[trafilatura]"] = curate_reader(extractor="trafilatura")
    where = args.eval_dir.relative_to(ROOT) if args.eval_dir.resolve().is_relative_to(ROOT) else args.eval_dir
    print(f"Word-level quality on {len(pages)} pages of {where}")
    print()
    print_quality(pages, evaluate(pages, extractors))
    print()
    print("Structure kept, in the article text of the same pages:")
    print_structure(structure_scores(pages, extractors))
    golden = [EvalPage(p.name, p, "") for p in sorted(GOLDEN_DIR.glob("*.html"))]
    if golden:
        print()
        print(f"Structure kept, all of it, on the {len(golden)} golden-test pages of {GOLDEN_DIR.relative_to(ROOT)}:")
        print_structure(structure_scores(golden, extractors, within_truth=False))

    if args.pages > 0:
        with tempfile.TemporaryDirectory(prefix="curate-html-bench-") as tmp:
            paths = make_corpus(pages, args.pages, Path(tmp), seed=args.seed)
            size = sum(p.stat().st_size for p in paths) / 1e6
            print()
            print(
                f"Throughput on {len(paths)} generated pages ({size:.1f} MB), one page at a time, read from disk"
                f" (best of {args.repeat} rounds):"
            )
            runs = {
                "curate": extractors["curate"],
                "naive (bs4 html.parser + get_text)": naive_text,
                "bs4 lxml parser + get_text (ref.)": bs4_lxml_text,
            }
            if traf is not None:
                runs["trafilatura"] = traf
            # Rounds interleave the extractors; each keeps its fastest round (as timeit does): on a
            # shared machine the slower rounds measure the neighbours, not the code.
            best: dict[str, tuple[float, float]] = {}
            for _ in range(args.repeat):
                for name, read in runs.items():
                    wall, cpu = timed(read, paths)
                    old_wall, old_cpu = best.get(name, (wall, cpu))
                    best[name] = (min(wall, old_wall), min(cpu, old_cpu))
            print(f"  {'':<36} {'wall s':>8} {'pages/s':>9} {'MB/s':>7}   {'CPU s':>8} {'pages/s':>9} {'MB/s':>7}")
            results = {}
            for name, (wall, cpu) in best.items():
                r = {"pages_wall": len(paths) / wall, "pages_cpu": len(paths) / cpu}
                results[name] = r
                print(
                    f"  {name:<36} {wall:8.2f} {r['pages_wall']:9.1f} {size / wall:7.2f}"
                    f"   {cpu:8.2f} {r['pages_cpu']:9.1f} {size / cpu:7.2f}"
                )
            naive = results["naive (bs4 html.parser + get_text)"]
            curate = results["curate"]
            print(
                f"  curate / naive speed ratio: {curate['pages_wall'] / naive['pages_wall']:.2f}x wall clock, "
                f"{curate['pages_cpu'] / naive['pages_cpu']:.2f}x CPU time"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
