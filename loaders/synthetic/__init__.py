"""The synthetic borough: simulated people written out as each source system would write them."""

from .borough import BoroughSummary, DemoChild, generate_borough

__all__ = ["BoroughSummary", "DemoChild", "generate_borough"]
