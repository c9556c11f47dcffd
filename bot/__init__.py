"""Vigie: a news-alert bot for teams on Discord and Slack.

The public API: :func:`make_vigie` wires everything from a :class:`Config`
(see :func:`load_config`); the data types live in :mod:`bot.types` and the
errors in :mod:`bot.exceptions`.
"""

from .app import Vigie, make_vigie
from .config import Config, load_config

__all__ = ["Config", "Vigie", "load_config", "make_vigie"]
__version__ = "0.1.0"
