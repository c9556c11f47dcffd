"""The Slack adapter: Block Kit alerts to channels and incoming webhooks, and
the ``/vigie`` slash command through slack-bolt (``adapters.slack.app``).

Entry points (group ``vigie.destinations``): ``slack`` →
:class:`SlackAdapter`, ``slack-webhook`` → :class:`SlackWebhookAdapter`.

The ``[slack]`` table is described in :mod:`adapters.slack.settings`;
rendering (pure) is in :mod:`adapters.slack.markup` (limits, safe text) and
:mod:`adapters.slack.render` (the messages).
"""

from .destination import (
    ChannelPacer,
    SlackAdapter,
    SlackChannelDestination,
    SlackWebhookAdapter,
    SlackWebhookDestination,
    delivery_error,
)
from .render import render_alert, render_digest, render_reply
from .settings import SlackSettings, settings_problems

__all__ = [
    "ChannelPacer",
    "SlackAdapter",
    "SlackChannelDestination",
    "SlackSettings",
    "SlackWebhookAdapter",
    "SlackWebhookDestination",
    "delivery_error",
    "render_alert",
    "render_digest",
    "render_reply",
    "settings_problems",
]
