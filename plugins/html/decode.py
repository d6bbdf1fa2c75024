"""HTML bytes to text: a BOM, then the page's own declaration, then a guess; and sniffing HTML content.

Browsers' rules, not the letter of the declaration: ``iso-8859-1`` means Windows-1252 (the WHATWG
Encoding Standard), ``utf-7`` is never honoured, and a UTF-8 declaration on bytes that are not
UTF-8 gives way to a guess, with a note for the user. The guess itself is the core's
:func:`curate.importing.detect_encoding` (and :func:`~curate.importing.decode_bytes`,
:func:`~curate.importing.known_encoding`); this module only adds what HTML declares.
"""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

from curate.plugin_api import SNIFF_BYTES, decode_bytes, detect_encoding, known_encoding

_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml\b[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)

# What browsers actually use for some declared names (the WHATWG Encoding Standard).
_WHATWG_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "big5": "big5hkscs",
    "x-sjis": "cp932",
    "utf-7": "",  # never honoured by browsers (a script-injection trick)
    "utf7": "",
}


def declared_charset(head: bytes) -> str | None:
    """The charset a page declares in its first bytes: ``<meta charset>``, ``http-equiv``, ``<?xml encoding?>``.

    >>> declared_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">')
    'ISO-8859-1'
    """
    m = _META_CHARSET.search(head[:SNIFF_BYTES]) or _XML_ENCODING.search(head[:1024])
    return m.group(1).decode("ascii") if m else None


class Decoded(NamedTuple):
    """A decoded page: ``text``, the ``encoding`` used, a ``note`` for the user, and whether bytes were lost."""

    text: str
    encoding: str
    note: str | None = None
    lossy: bool = False


def decode_html(data: bytes, forced: str | None = None) -> Decoded:
    """Decode a page: BOM, then the declared charset, then a guess (UTF-8, else Windows-1252).

    A declared charset that the bytes contradict (a UTF-8 declaration on Windows-1252 bytes, the
    usual mistake) gives way to the guess, with a note. Undecodable bytes become U+FFFD (``lossy``).

    >>> decode_html('<meta charset="latin-1"><p>Café'.encode("latin-1"))[:2]
    ('<meta charset="latin-1"><p>Café', 'cp1252')
    """
    if forced and known_encoding(forced):
        return _decode(data, codecs.lookup(forced).name)
    head = data[:SNIFF_BYTES]
    declared = declared_charset(head)
    if declared:
        name = declared.strip().lower()
        name = _WHATWG_ALIASES.get(name, name)
        if name.startswith(("utf-16", "utf16", "utf-32", "utf32")):
            name = ""  # a page that can declare it in ASCII is not UTF-16 (a BOM is looked at first anyway)
        declared = name if name and known_encoding(name) else None
    encoding, note = detect_encoding(head, declared)
    if declared and encoding == codecs.lookup(declared).name:
        decoded = _decode(data, encoding)
        if not decoded.lossy:
            return decoded
        guess, _ = detect_encoding(head)
        if guess != encoding:
            other = _decode(data, guess)
            if not other.lossy:
                note = f"the page declares charset {declared!r}, but its bytes are not; decoded as {guess}"
                return other._replace(note=note)
        return decoded._replace(note=f"bytes that are not valid {encoding} were replaced by U+FFFD")
    decoded = _decode(data, encoding)
    if decoded.lossy and encoding == "utf-8":
        # The sample was valid UTF-8 but a later part is not: Windows-1252 is the usual culprit.
        note = "not valid UTF-8; decoded as cp1252 (Windows Latin-1), check the accents"
        return _decode(data, "cp1252")._replace(note=note)
    if decoded.lossy:
        return decoded._replace(note=f"bytes that are not valid {encoding} were replaced by U+FFFD")
    return decoded._replace(note=note)


def _decode(data: bytes, encoding: str) -> Decoded:
    text, used, lossy = decode_bytes(data, encoding)
    return Decoded(text, used, lossy=lossy)


_SNIFF = re.compile(
    r"^(?:\s|<!--.*?-->|<\?xml[^>]*>)*<(?:!doctype\s+html|html|head|body)[\s>/]", re.IGNORECASE | re.DOTALL
)


def looks_like_html(head: bytes) -> bool:
    """True when ``head`` starts like an HTML document (after any BOM, XML declaration and comments).

    >>> looks_like_html(b"<!DOCTYPE html><p>hi"), looks_like_html(b"<note><to>x</to></note>")
    (True, False)
    """
    if not head:
        return False
    encoding, _ = detect_encoding(head[:1024])
    sample = head[:4096].decode(encoding if encoding != "cp1252" else "latin-1", errors="replace").lstrip("\ufeff")
    return _SNIFF.match(sample) is not None
