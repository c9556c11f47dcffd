"""Loading and validating the TOML configuration.

Validation collects every problem before failing, so that ``vigie check``
prints all of them at once as ``FILE: key.path: message``.

- :mod:`._model`: the model, frozen dataclasses (:class:`Config` and one per table);
- :mod:`._values`: value parsers (durations, sizes, ``${ENV}``, phrases);
- :mod:`._table`: typed, problem-recording access to one TOML table;
- :mod:`._tables`, :mod:`._sources`, :mod:`._subscriptions`: one validator per table;
- :mod:`._load`: :func:`load_config` and :func:`validate`, which wire them,
  and :func:`idle_problems`.

Tables owned by adapters (``[discord]``, ``[slack]``, ``[webhook]``) are
validated by the adapters themselves, handed in as ``section_validators``;
what a destination needs (a secret, a token) is said by its adapter's
``destination_checks``. The core never imports an adapter.
"""

from ._load import MAX_NESTING, idle_problems, load_config, validate
from ._model import (
    CONFIG_ENV,
    DEFAULT_INTERVAL,
    MAX_INTERVAL,
    MAX_PHRASE_CHARS,
    MIN_INTERVAL,
    Config,
    ConsoleConfig,
    DeliveryConfig,
    DestinationCheck,
    FetchConfig,
    HttpConfig,
    MetricsConfig,
    PollConfig,
    SectionValidator,
    SourceConfig,
    StorageConfig,
    SubscriptionConfig,
    TopicConfig,
    WebSubConfig,
)
from ._sources import make_source
from ._table import key_path
from ._values import (
    MAX_DURATION,
    MAX_SIZE,
    expand_env,
    format_duration,
    format_size,
    parse_duration,
    parse_size,
    phrase_problem,
)

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_INTERVAL",
    "MAX_DURATION",
    "MAX_INTERVAL",
    "MAX_NESTING",
    "MAX_PHRASE_CHARS",
    "MAX_SIZE",
    "MIN_INTERVAL",
    "Config",
    "ConsoleConfig",
    "DeliveryConfig",
    "DestinationCheck",
    "FetchConfig",
    "HttpConfig",
    "MetricsConfig",
    "PollConfig",
    "SectionValidator",
    "SourceConfig",
    "StorageConfig",
    "SubscriptionConfig",
    "TopicConfig",
    "WebSubConfig",
    "expand_env",
    "format_duration",
    "format_size",
    "idle_problems",
    "key_path",
    "load_config",
    "make_source",
    "parse_duration",
    "parse_size",
    "phrase_problem",
    "validate",
]
