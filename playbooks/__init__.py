"""Playbooks: admin-edited YAML turned into pure routing decisions.

    from playbooks import PlaybookStore, decide, greeting
    store = PlaybookStore("playbooks/")
    decision = decide(store.current(), customer, text)

Imports nothing from the rest of the project.
"""

from .classifier import Classification, Evidence, classify
from .errors import Issue, PlaybookError
from .evaluate import evaluate, format_report, read_jsonl
from .loader import PlaybookStore, load_playbooks
from .router import CustomerFacts, Decision, TrafficLight, decide, greeting, route, traffic_light
from .bundle import Playbooks

DEFAULT_DIRECTORY = __path__[0]

__all__ = [
    "Classification", "CustomerFacts", "DEFAULT_DIRECTORY", "Decision", "Evidence", "Issue",
    "PlaybookError", "PlaybookStore", "Playbooks", "TrafficLight", "classify", "decide",
    "evaluate", "format_report", "greeting", "load_playbooks", "read_jsonl", "route", "traffic_light",
]
