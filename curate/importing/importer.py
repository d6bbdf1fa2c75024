"""The base class of source plugins: :class:`Importer`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Generic, TypeVar

from curate.importing.files import InputFile
from curate.importing.problem import Problem
from curate.importing.shards import Shard
from curate.options import NoOptions, parse_options
from curate.records import Record

OptionsT = TypeVar("OptionsT")


class Importer(Generic[OptionsT]):
    """Base class of source plugins. Subclass it and register the class.

    Class attributes:

    ``name``
        Unique importer name, used in configs (``importer = "csv"``) and ``--importer``.
    ``suffixes``
        File suffixes the importer claims, lower case with the dot (``(".csv", ".tsv")``).
    ``Options``
        A dataclass of the options the importer accepts; unknown keys are errors.
    ``description``
        One line for ``curate plugins``.
    """

    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]] = ()
    Options: ClassVar[type] = NoOptions
    description: ClassVar[str] = ""

    def __init__(self, options: OptionsT) -> None:
        self.options = options

    @classmethod
    def from_options(cls, values: dict | None = None) -> Importer:
        """Validate ``values`` against :attr:`Options` and build the importer."""
        return cls(parse_options(cls.Options, values, owner=f"importer {cls.name!r}"))

    @classmethod
    def sniff(cls, head: bytes, file: InputFile) -> bool:
        """Return True if ``head`` (the first bytes of ``file``) looks like this format.

        Called only for files whose suffix no importer claims. The default claims nothing.
        """
        return False

    @classmethod
    def companion(cls, file: InputFile) -> bool:
        """Return True if ``file`` describes data this importer reads but holds none itself.

        A ``datasets`` folder's ``state.json``, a hub snapshot's ``README.md`` card: when a
        folder is walked, a file that any importer calls a companion is not read (by the
        importer its suffix names) and gives no records. A file named on its own is always
        read. Called for every file of a walked folder: look at ``file.path.name`` first
        and stay cheap. The default calls nothing a companion.
        """
        return False

    def read(self, file: InputFile) -> Iterator[Record | Problem]:
        """Stream the records in ``file``; yield a :class:`Problem` for each bad part.

        Must not load a large file into memory at once. Raising :class:`SourceError`
        (or an ``OSError``) abandons the rest of the file; records yielded before stay.
        Read through :meth:`InputFile.open` or :func:`open_text` (not ``file.path``
        directly): the manifest's size and SHA-256 are then those of the bytes read, and
        bytes the decoding replaced are counted and reported.
        """
        raise NotImplementedError

    def shards(self, file: InputFile, target_bytes: int) -> list[Shard] | None:
        """Cut ``file`` into pieces of about ``target_bytes`` that :meth:`read_shard` reads apart.

        Optional: the default returns ``None``, and the file is read whole by :meth:`read`.
        The Ray engine asks, for each uncompressed file larger than ``target_bytes``
        (``[build] shard_mb``), and reads each shard in a task of its own; so does the
        local engine's worker pool (``--workers`` 2 or more), with shards of 1 MiB. The
        contract:

        - The shards cover the file: see :class:`Shard` and :func:`check_shards`.
        - :meth:`read_shard` over the shards, in order, yields exactly what :meth:`read`
          yields: the same records (same ids, so the same locators) and the same problems,
          in the same order. What ``read`` yields once per file (an encoding warning, say)
          comes from shard 0.
        - Return ``None`` whenever that cannot be promised: a compressed file (never
          split), a layout in which a record may span a cut (a JSON array, a CSV field
          with line breaks), an encoding in which a line feed byte can be part of another
          character (UTF-16, UTF-32), a file that cannot be read.
        - Stay much cheaper than :meth:`read`: one pass over the bytes without parsing.
          :func:`line_shards` is that pass for formats that can be cut after any line (or
          any empty line).

        An importer that raises here, or returns shards that do not cover the file, gets
        its file read whole: the outputs stay the same, only the parallelism is lost. If
        reading a shard fails, the rest of that shard is lost but the following shards
        are read, where :meth:`read` would stop at the failure. Test an implementation
        with :func:`read_in_shards`: its result must equal ``list(importer.read(file))``.
        """
        return None

    def read_shard(self, file: InputFile, shard: Shard) -> Iterator[Record | Problem]:
        """Stream the records in one shard of ``file`` (one that :meth:`shards` returned).

        The rules of :meth:`read` apply. Called only for shards this importer made.
        """
        raise NotImplementedError(f"importer {self.name!r} cuts files into shards but cannot read one")
