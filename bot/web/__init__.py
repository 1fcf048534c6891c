"""The coordinators' web view: one more adapter beside ``handlers/``.

Routes parse the request, call the same services as the chat commands and render a Jinja2 template
(autoescaped). ``bot.web.auth`` lets in coordinators only (one-time link or Mini App ``initData``)
and puts who acts, for which partnership, on the request; a route never trusts a partnership or id
from the request without checking it against that. Served by the bot's own process (``server``).
"""
