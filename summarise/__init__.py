"""summarise: verified English briefings and typed event records from Chinese government news.

>>> from summarise import summarise_file
>>> article = summarise_file("article.txt")
>>> article.rounds()[0].signed.projects.value
"""

__version__ = "0.1.0"

from summarise.errors import SummariseError
from summarise.pipeline import summarise_bytes, summarise_file, summarise_text
from summarise.records import (
    Article,
    CampaignRound,
    CumulativeTotal,
    Figure,
    OtherFigure,
    Person,
    Status,
)
from summarise.settings import Engine, Settings, load_settings

__all__ = [
    "Article",
    "CampaignRound",
    "CumulativeTotal",
    "Engine",
    "Figure",
    "OtherFigure",
    "Person",
    "Settings",
    "Status",
    "SummariseError",
    "__version__",
    "load_settings",
    "summarise_bytes",
    "summarise_file",
    "summarise_text",
]
