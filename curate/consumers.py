"""Configuration files that let trainers read a build as it was written.

:func:`consumer_configs` returns, for the format options of a build and the files it wrote,
the text of the files to write beside them:

* ``dataset_info.json`` for LLaMA-Factory: one entry per split (``<name>_train``,
  ``<name>_val``) whose ``formatting``, ``columns`` and ``tags`` match the rows exactly
  (see LLaMA-Factory's ``data/README.md``). Copy the entries into your LLaMA-Factory
  ``data/dataset_info.json``, or point ``dataset_dir`` at the build.
* ``axolotl.yaml``: a ``datasets:`` / ``test_datasets:`` snippet with the prompt strategy
  (``type``) and field mappings for Axolotl.
* ``README.md``: a Hugging Face dataset card whose YAML header names the splits and the
  column types, so that ``datasets.load_dataset("<build>")`` reads the build with one
  schema, even when rows differ in shape (tool calls on some rows only).

A consumer that cannot read a format gets no file rather than a wrong one: LLaMA-Factory
has no reader for conversational prompt-completion rows, nor for OpenAI tool calls in
``messages`` (its ShareGPT reader takes role and content only: write ``sharegpt`` for it);
Axolotl has none for conversational prompt-completion.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from curate.formats import SHAREGPT_TAGS, FormatOptions

#: The split names of a build's files, as the datasets library calls them.
_HF_SPLITS = {"train": "train", "val": "validation"}


def consumer_configs(
    fmt: FormatOptions,
    files: Mapping[str, str],
    *,
    name: str = "curate",
    include_ids: bool = False,
    tool_calls: bool = False,
) -> dict[str, str]:
    """File name -> text of the consumer configurations for a build.

    ``files`` maps each split (``train``, ``val``) to the file written for it, as the
    consumer should find it (a name relative to the build folder, or an absolute path).
    ``include_ids`` says that rows start with an ``id`` column; ``tool_calls`` that some
    record of the build carries tool calls, results or tools.

    >>> sorted(consumer_configs(FormatOptions("alpaca"), {"train": "train.jsonl"}))
    ['README.md', 'axolotl.yaml', 'dataset_info.json']
    """
    out: dict[str, str] = {}
    info = llama_factory_info(fmt, files, name=name, tool_calls=tool_calls)
    if info is not None:
        out["dataset_info.json"] = json.dumps(info, indent=2, ensure_ascii=False) + "\n"
    axolotl = axolotl_yaml(fmt, files)
    if axolotl is not None:
        out["axolotl.yaml"] = axolotl
    out["README.md"] = dataset_card(fmt, files, name=name, include_ids=include_ids, tool_calls=tool_calls)
    return out


# ---------------------------------------------------------------------------------------
# LLaMA-Factory


def llama_factory_entry(fmt: FormatOptions, *, tool_calls: bool = False) -> dict[str, Any] | None:
    """The ``dataset_info.json`` description (without ``file_name``) of rows in ``fmt``; ``None`` if unreadable."""
    f = fmt.format
    if f == "text":
        return {"columns": {"prompt": "text"}}  # a pre-training (stage: pt) dataset
    if f == "alpaca":
        columns = {"prompt": "instruction", "query": "input", "response": "output", "system": "system"}
        return {"formatting": "alpaca", "columns": {**columns, "history": "history"}}
    if f in ("input-output", "prompt-generation", "prompt-completion"):
        if fmt.conversational:
            return None
        prompt, response = {
            "input-output": ("input", "output"),
            "prompt-generation": ("prompt", "generation"),
            "prompt-completion": ("prompt", "completion"),
        }[f]
        return {"formatting": "alpaca", "columns": {"prompt": prompt, "response": response}}
    if f == "sharegpt":
        return {
            "formatting": "sharegpt",
            "columns": {"messages": "conversations", "tools": "tools"},
            "tags": {"role_tag": "from", "content_tag": "value", **SHAREGPT_TAGS},
        }
    if f == "messages":
        if tool_calls:
            return None
        return {
            "formatting": "sharegpt",
            "columns": {"messages": "messages"},
            "tags": {
                "role_tag": "role",
                "content_tag": "content",
                "user_tag": "user",
                "assistant_tag": "assistant",
                "system_tag": "system",
            },
        }
    return None


def llama_factory_info(
    fmt: FormatOptions, files: Mapping[str, str], *, name: str = "curate", tool_calls: bool = False
) -> dict[str, Any] | None:
    """``dataset_info.json`` for the build: ``<name>_<split>`` -> description; ``None`` if unreadable."""
    entry = llama_factory_entry(fmt, tool_calls=tool_calls)
    if entry is None:
        return None
    return {f"{name}_{split}": {"file_name": path, **entry} for split, path in files.items()}


# ---------------------------------------------------------------------------------------
# Axolotl


def axolotl_dataset(fmt: FormatOptions) -> tuple[dict[str, Any], list[str]] | None:
    """Axolotl's dataset settings for rows in ``fmt`` (without the path), and comment lines."""
    f = fmt.format
    if f == "text":
        return {"type": "completion", "field": "text"}, []
    if f == "messages":
        return (
            {
                "type": "chat_template",
                "field_messages": "messages",
                "message_property_mappings": {"role": "role", "content": "content"},
                "roles_to_train": ["assistant"],
            },
            ["tool calls and results ride in the messages; Axolotl reads the tool list from `tools` (field_tools)"],
        )
    if f == "sharegpt":
        return (
            {
                "type": "chat_template",
                "field_messages": "conversations",
                "message_property_mappings": {"role": "from", "content": "value"},
                "roles": {"user": ["human"], "assistant": ["gpt"], "system": ["system"], "tool": ["observation"]},
                "roles_to_train": ["assistant"],
            },
            [
                "function_call turns hold LLaMA-Factory's JSON, which Axolotl does not read as tool calls:",
                "for tool calling with Axolotl, build with --format messages",
            ],
        )
    if fmt.conversational:
        return None
    if f == "alpaca":
        fields = {"field_system": "system", "field_instruction": "instruction", "field_input": "input"}
        return (
            {
                "type": {
                    **fields,
                    "field_output": "output",
                    "system_format": "{system}",
                    "format": "{instruction}\n{input}",
                    "no_input_format": "{instruction}",
                },
            },
            [
                "Axolotl's instruction formats read no `history`: for multi-turn rows,",
                "build with --format messages and use type: chat_template",
            ],
        )
    prompt, answer = {
        "input-output": ("input", "output"),
        "prompt-generation": ("prompt", "generation"),
        "prompt-completion": ("prompt", "completion"),
    }[f]
    return (
        {
            "type": {
                "field_instruction": prompt,
                "field_output": answer,
                "format": "{instruction}",
                "no_input_format": "{instruction}",
            },
        },
        [],
    )


def axolotl_yaml(fmt: FormatOptions, files: Mapping[str, str]) -> str | None:
    """The ``datasets:`` (train) and ``test_datasets:`` (val) snippet for Axolotl, or ``None``."""
    found = axolotl_dataset(fmt)
    if found is None:
        return None
    settings, notes = found
    lines = [
        f"# Axolotl datasets for a curate build in the {fmt.format} format.",
        "# Paths are as curate wrote them: run axolotl from the build folder, or make them absolute.",
        *(f"# {n}" for n in notes),
    ]
    for key, split in (("datasets", "train"), ("test_datasets", "val")):
        if split not in files:
            continue
        item = {"path": files[split], "ds_type": _ds_type(files[split]), "split": "train", **settings}
        lines.append(f"{key}:")
        lines.extend(_yaml_item(item))
    return "\n".join(lines) + "\n"


def _ds_type(path: str) -> str:
    return "parquet" if path.endswith(".parquet") else "json"


def _yaml_item(item: Mapping[str, Any]) -> list[str]:
    """One list item in block YAML; scalars as JSON strings (valid YAML), nested maps indented."""
    out: list[str] = []
    for n, (key, value) in enumerate(item.items()):
        lead = "  - " if n == 0 else "    "
        out.extend(_yaml_pair(key, value, lead, "    "))
    return out


def _yaml_pair(key: str, value: Any, lead: str, indent: str) -> list[str]:
    if isinstance(value, Mapping):
        lines = [f"{lead}{key}:"]
        for k, v in value.items():
            lines.extend(_yaml_pair(k, v, indent + "  ", indent + "  "))
        return lines
    return [f"{lead}{key}: {json.dumps(value, ensure_ascii=False)}"]


# ---------------------------------------------------------------------------------------
# Hugging Face datasets


def features(fmt: FormatOptions, *, include_ids: bool = False, tool_calls: bool = False) -> list[dict[str, Any]]:
    """The ``dataset_info.features`` of a dataset card for rows in ``fmt`` (the card's YAML spelling).

    Conversations that may carry tool calls are typed ``json`` (``datasets`` 5's ``Json``
    feature): each turn and tool list is read back exactly as written, whatever keys it has.
    """
    string = {"dtype": "string"}
    turns: dict[str, Any]
    if tool_calls:
        turns = {"list": "json"}
    else:
        turns = {"list": [{"name": "role", "dtype": "string"}, {"name": "content", "dtype": "string"}]}
    f = fmt.format
    columns: list[dict[str, Any]]
    if f == "text":
        columns = [{"name": "text", **string}]
    elif f == "input-output":
        columns = [{"name": "input", **string}, {"name": "output", **string}]
    elif f == "prompt-generation":
        columns = [{"name": "prompt", **string}, {"name": "generation", **string}]
    elif f == "prompt-completion" and not fmt.conversational:
        columns = [{"name": "prompt", **string}, {"name": "completion", **string}]
    elif f == "prompt-completion":
        columns = [{"name": "prompt", **turns}, {"name": "completion", **turns}]
        if tool_calls:
            columns.append({"name": "tools", "dtype": "json"})
    elif f == "messages":
        columns = [{"name": "messages", **turns}]
        if tool_calls:
            columns.append({"name": "tools", "dtype": "json"})
    elif f == "alpaca":
        columns = [{"name": n, **string} for n in ("instruction", "input", "output", "system")]
        columns.append({"name": "history", "list": {"list": "string"}})
    else:  # sharegpt
        pair = [{"name": "from", "dtype": "string"}, {"name": "value", "dtype": "string"}]
        columns = [{"name": "conversations", "list": pair}, {"name": "tools", **string}]
    if include_ids:
        columns.insert(0, {"name": "id", **string})
    return columns


def dataset_card(
    fmt: FormatOptions,
    files: Mapping[str, str],
    *,
    name: str = "curate",
    include_ids: bool = False,
    tool_calls: bool = False,
) -> str:
    """A ``README.md`` dataset card: splits, files and (for JSON Lines) column types in its YAML header."""
    data_files = [{"split": _HF_SPLITS.get(s, s), "path": p} for s, p in files.items()]
    header: dict[str, Any] = {"configs": [{"config_name": "default", "data_files": data_files}]}
    if not any(p.endswith(".parquet") for p in files.values()):  # Parquet files carry their own schema
        header["dataset_info"] = {"features": features(fmt, include_ids=include_ids, tool_calls=tool_calls)}
    # JSON is YAML: the header needs no YAML library.
    body = (
        f"# {name}\n\n"
        f"Built by curate in the `{fmt.format}` format"
        + (" (conversational)" if fmt.conversational else "")
        + ". Load it with `datasets.load_dataset(<this folder>)`; see docs/training-elsewhere.md for "
        "TRL, Axolotl, LLaMA-Factory and Unsloth.\n"
    )
    return f"---\n{json.dumps(header, indent=2, ensure_ascii=False)}\n---\n\n{body}"
