"""Deterministic rules that assist the planner where a small model is weak.

Rules find candidates — computable phrases with their programs, the text a request wants
shown, how many images it asks for, and the cues that justify a lookup or the user's
memory. The planner weighs them against the model; a rule never silently overrides it.
"""

from imagent.agent.rules.arithmetic import RuleGap, computable_gaps
from imagent.agent.rules.cues import (
    has_memory_cue,
    has_search_cue,
    knowledge_spans,
    memory_spans,
    search_spans,
)
from imagent.agent.rules.measures import measure_spans, names_a_measure
from imagent.agent.rules.panels import ImageCount, image_count
from imagent.agent.rules.spans import (
    CUE,
    contains_span,
    find_span,
    has_cjk,
    replace_span,
    span_pattern,
    widen_lookup,
    widen_span,
)
from imagent.agent.rules.text import (
    Shown,
    asks_for_a_value,
    inside_quotes,
    names_a_value,
    protected_ranges,
    quoted_text,
    refers_to_a_value,
    shown_text,
    value_descriptions,
)

__all__ = [
    "CUE",
    "ImageCount",
    "RuleGap",
    "Shown",
    "asks_for_a_value",
    "computable_gaps",
    "contains_span",
    "find_span",
    "has_cjk",
    "has_memory_cue",
    "has_search_cue",
    "image_count",
    "inside_quotes",
    "knowledge_spans",
    "measure_spans",
    "memory_spans",
    "names_a_measure",
    "names_a_value",
    "protected_ranges",
    "quoted_text",
    "refers_to_a_value",
    "replace_span",
    "search_spans",
    "shown_text",
    "span_pattern",
    "value_descriptions",
    "widen_lookup",
    "widen_span",
]
