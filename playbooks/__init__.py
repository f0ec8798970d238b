"""Playbooks: admin-edited YAML turned into pure routing decisions.

    from playbooks import PlaybookStore, decide, greeting, is_open
    store = PlaybookStore("playbooks/")
    decision = decide(store.current(), customer, text)
    open_now = is_open(store.current().tpr, now)      # business hours, tpr.yaml

Imports nothing from the rest of the project.
"""

from .classifier import Classification, Evidence, classify
from .errors import Issue, PlaybookError
from .evaluate import evaluate, format_report, read_jsonl
from .loader import PlaybookStore, load_playbooks
from .router import CustomerFacts, Decision, TrafficLight, decide, greeting, route, traffic_light
from .bundle import Playbooks
from .calendar import business_seconds, clock_start, holidays, is_open, next_opening, return_phrase, wait_class
from .tpr_policy import TprPolicy

DEFAULT_DIRECTORY = __path__[0]

__all__ = [
    "Classification", "CustomerFacts", "DEFAULT_DIRECTORY", "Decision", "Evidence", "Issue",
    "PlaybookError", "PlaybookStore", "Playbooks", "TprPolicy", "TrafficLight", "business_seconds",
    "classify", "clock_start", "decide", "evaluate", "format_report", "greeting", "holidays", "is_open",
    "load_playbooks", "next_opening", "read_jsonl", "return_phrase", "route", "traffic_light", "wait_class",
]
