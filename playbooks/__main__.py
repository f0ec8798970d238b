"""Admin tools: check the YAML files, explain one message, evaluate a labelled file.

    python -m playbooks check [DIR]
    python -m playbooks explain "texto da mensagem" [DIR]
    python -m playbooks evaluate FILE.jsonl [DIR]
"""

from __future__ import annotations

import json
import sys

from . import DEFAULT_DIRECTORY, PlaybookError, decide, evaluate, format_report, load_playbooks, read_jsonl


def main(argv: list[str]) -> int:
    """Run one admin command; return the process exit status."""
    if not argv or argv[0] not in ("check", "explain", "evaluate"):
        print(__doc__.strip())
        return 2
    command, args = argv[0], argv[1:]
    directory = args[0] if command == "check" and args else (args[1] if len(args) > 1 else DEFAULT_DIRECTORY)
    try:
        books = load_playbooks(directory)
    except PlaybookError as exc:
        print(exc, file=sys.stderr)
        return 1
    if command == "check":
        print(f"ok: {len(books.playbooks)} playbooks, version {books.version}")
    elif command == "explain":
        print(json.dumps(decide(books, None, args[0]).to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_report(evaluate(books, read_jsonl(args[0]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
