"""The Slack adapter: Block Kit alerts to channels and incoming webhooks, and
the ``/vigie`` slash command through slack-bolt (``adapters.slack.app``).

Entry points (group ``vigie.destinations``): ``slack`` →
:class:`SlackAdapter`, ``slack-webhook`` → :class:`SlackWebhookAdapter`.
"""

from ._settings import SlackSettings, settings_problems
from .destination import (
    ChannelPacer,
    SlackAdapter,
    SlackChannel,
    SlackWebhook,
    SlackWebhookAdapter,
    delivery_error,
)
from .render import render_alert, render_digest, render_reply

__all__ = [
    "ChannelPacer",
    "SlackAdapter",
    "SlackChannel",
    "SlackSettings",
    "SlackWebhook",
    "SlackWebhookAdapter",
    "delivery_error",
    "render_alert",
    "render_digest",
    "render_reply",
    "settings_problems",
]
