"""Announcing the digests where referents already are: Matrix rooms (Tchap) and webhooks
(Mattermost, Rocket.Chat, any receiver of JSON), with the e-mails' guarantees — never twice,
nothing lost, no tracking.

::

    notify_due(store, settings, config, clock)        (delivery.py: the scheduler, every tick)
      = events.queue_due   what is due now: one outbox row per (digest, target, event),
      │                    rendered once (render/notify.py)
      │ deliver            claim each due row, then matrix.MatrixClient.send (PUT with a
                           stable transaction id) or webhook.post (signed JSON POST), both
                           through ``Fetcher.request``: the private-network policy, a total
                           deadline and a size cap apply as to feeds

Its layer is above ``ingest`` and ``mailing``, which it both uses (the fetcher and its
policy; the issues and the e-mails' back-off) and which may not import each other.
"""

from veille.notify.delivery import NotifyReport, deliver, notify_due, recover, target_of

__all__ = ["NotifyReport", "deliver", "notify_due", "recover", "target_of"]
