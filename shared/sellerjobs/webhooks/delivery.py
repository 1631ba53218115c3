"""Delivering events to sellers' endpoints: one attempt per message, retried with backoff.

For each message the worker reads the delivery and its endpoint, re-checks the endpoint's address
(a fresh DNS answer, every attempt), signs the stored body with the endpoint's secret(s) and POSTs
it. A 2xx within the timeout delivers it; anything else (another status, a redirect, a timeout,
no connection, an address refused) is a failed attempt:

* retried after the schedule's next delay (``retry.py``), through the queue with DelaySeconds;
* after the last attempt, marked failed and sent to the dead-letter queue, where an alarm fires;
* when the endpoint has failed every attempt for ``disable_after_s`` (3 days), it is disabled and
  a ``webhook.disabled`` note goes into its deliveries list.

The message carries the number of attempts made: an attempt is recorded only if the delivery
still has that many (a version guard), so a duplicate message may POST twice (at least once, with
the same ``webhook-id``) but never starts a second chain of retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_lambda_powertools import Logger

from sellerjobs.clock import Clock, now_ms
from sellerjobs.errors import Invalid
from sellerjobs.webhooks.addresses import EndpointPolicy
from sellerjobs.webhooks.model import (
    Delivery,
    DeliveryMessage,
    DeliveryState,
    Webhook,
    WebhookStatus,
    disabled_note,
    message_for,
)
from sellerjobs.webhooks.ports import (
    AddressResolver,
    Answer,
    DeliveryQueue,
    DeliveryStore,
    WebhookSender,
    WebhookStore,
)
from sellerjobs.webhooks.retry import RetrySchedule
from sellerjobs.webhooks.signing import signed_headers

logger = Logger(child=True)

EARLY_SLACK_MS = 1000  # SQS delays are whole seconds
DISABLE_AFTER_S = 3 * 86400


@dataclass
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0  # out of attempts: sent to the dead-letter queue
    dropped: int = 0  # endpoint deleted or disabled
    disabled: int = 0  # endpoints this invocation disabled
    stale: int = 0
    early: int = 0
    handed_on: int = 0  # not attempted: the invocation ran out of time
    unsaved: set[str] = field(default_factory=set)  # message ids whose outcome could not be stored


@dataclass
class WebhookDeliverer:
    webhooks: WebhookStore
    deliveries: DeliveryStore
    queue: DeliveryQueue
    dead_letters: DeliveryQueue
    sender: WebhookSender
    resolver: AddressResolver
    policy: EndpointPolicy
    clock: Clock
    schedule: RetrySchedule = field(default_factory=RetrySchedule)
    timeout_s: float = 10.0
    disable_after_s: float = DISABLE_AFTER_S

    def process(self, messages: Sequence[tuple[str, DeliveryMessage]], *,
                time_left_s: float | None = None) -> DeliveryReport:
        """``messages``: (message id, message). With ``time_left_s``, attempts that could not finish
        before the invocation's timeout are handed on to another invocation, not started."""
        report = DeliveryReport()
        stop_at = None if time_left_s is None else self.clock.now() + time_left_s - self.timeout_s - 5
        hooks: dict[tuple[str, str], Webhook | None] = {}
        follow_ups: list[DeliveryMessage] = []
        finals: list[DeliveryMessage] = []
        for message_id, message in messages:
            if stop_at is not None and self.clock.now() >= stop_at:
                follow_ups.append(message)
                report.handed_on += 1
                continue
            try:
                self._one(message, hooks, report, follow_ups, finals)
            except Exception:
                logger.exception("Delivery could not be processed; its message comes back",
                                 extra={"webhook_id": message.webhook_id, "event_id": message.event_id})
                report.unsaved.add(message_id)
        for queue, sent in ((self.queue, follow_ups), (self.dead_letters, finals)):
            unsent = queue.send(sent) if sent else []
            if unsent:
                logger.error("Could not queue webhook deliveries; the sweep queues pending ones again",
                             extra={"unsent": len(unsent)})
        logger.info(f"Webhook batch: {report.delivered} delivered, {report.retrying} retrying, "
                    f"{report.failed} failed", extra={"delivered": report.delivered, "retrying": report.retrying,
                                                      "failed": report.failed, "dropped": report.dropped,
                                                      "stale": report.stale, "disabled": report.disabled})
        return report

    def _one(self, message: DeliveryMessage, hooks: dict[tuple[str, str], Webhook | None], report: DeliveryReport,
             follow_ups: list[DeliveryMessage], finals: list[DeliveryMessage]) -> None:
        delivery = self.deliveries.get(message.webhook_id, message.occurred_at, message.event_id)
        redrive = (message.final and delivery is not None and delivery.state is DeliveryState.FAILED
                   and delivery.attempts == message.attempt)
        if delivery is None or delivery.attempts != message.attempt or \
                (delivery.state is not DeliveryState.PENDING and not redrive):
            report.stale += 1  # already attempted (a duplicate message) or finished
            return
        now = now_ms(self.clock)
        if not redrive and (delivery.next_attempt_at or 0) > now + EARLY_SLACK_MS:
            report.early += 1  # a wait longer than SQS's 15 minutes: round again
            follow_ups.append(message_for(delivery))
            return
        key = (message.user_id, message.webhook_id)
        if key not in hooks:
            hooks[key] = self.webhooks.get(message.user_id, message.webhook_id, with_secrets=True)
        hook = hooks[key]
        if hook is None or hook.status is not WebhookStatus.ACTIVE:
            reason = "the endpoint was deleted" if hook is None else "the endpoint is disabled"
            if self.deliveries.record(delivery, delivery.given_up(now, None, reason, attempted=False)):
                report.dropped += 1
            return
        answer = self._attempt(hook, delivery)
        now = now_ms(self.clock)
        log = {"webhook_id": hook.id, "event_id": delivery.event_id, "event_type": delivery.type,
               "user_id": hook.user_id, "attempt": delivery.attempts + 1, "status": answer.status}
        if answer.status is not None and 200 <= answer.status < 300:
            if self.deliveries.record(delivery, delivery.delivered(now, answer.status)):
                report.delivered += 1
                logger.info("Webhook delivered", extra=log)
            if hook.failing_since is not None:
                self.webhooks.note_success(hook.user_id, hook.id)
            return
        error = answer.error or f"the endpoint answered HTTP {answer.status}"
        failing_since = self.webhooks.note_failure(hook.user_id, hook.id, now)
        if failing_since is not None and now - failing_since >= self.disable_after_s * 1000:
            self._disable(hook, failing_since, now, report)
            if self.deliveries.record(delivery, delivery.given_up(now, answer.status, error + "; endpoint disabled")):
                report.dropped += 1
            return
        delay = None if redrive else self.schedule.delay_after(delivery.attempts + 1)
        if delay is None:
            failed = delivery.given_up(now, answer.status, error)
            if self.deliveries.record(delivery, failed):
                report.failed += 1
                finals.append(message_for(failed, now, final=True))
                logger.warning("Webhook delivery failed for good; sent to the dead-letter queue",
                               extra=log | {"reason": error})
            return
        later = delivery.retry_at(now, now + int(delay * 1000), answer.status, error)
        if self.deliveries.record(delivery, later):
            report.retrying += 1
            follow_ups.append(message_for(later))
            logger.info("Webhook delivery failed; retrying", extra=log | {"reason": error, "retry_in_s": round(delay)})

    def _attempt(self, hook: Webhook, delivery: Delivery) -> Answer:
        try:
            target = self.policy.target(hook.url)
            addresses = self.policy.check(target, self.resolver.resolve(target.host, target.port))
        except Invalid as exc:
            return Answer(status=None, error=f"refused: {exc}")
        now = self.clock.now()
        headers = signed_headers(hook.signing_secrets(int(now * 1000)), delivery.event_id, int(now), delivery.body)
        started = self.clock.now()
        answer = self.sender.post(hook.url, str(addresses[0]), headers, delivery.body.encode(), self.timeout_s)
        if self.clock.now() - started > self.timeout_s:
            # Measured on the system's clock too, so a sped-up or virtual clock (the local stack, the
            # simulations) sees the timeout in its own time. Late is as good as none anyway.
            return Answer(status=None, error=f"no answer within {self.timeout_s:g} s")
        return answer

    def _disable(self, hook: Webhook, failing_since: int, now: int, report: DeliveryReport) -> None:
        if not self.webhooks.disable(hook.user_id, hook.id, now, failing_since):
            return  # disabled (or succeeded) meanwhile
        days = (now - failing_since) / 86_400_000
        reason = f"disabled: every delivery failed for {days:.1f} days; PATCH status active to enable it again"
        self.deliveries.note(disabled_note(hook, now, reason))
        report.disabled += 1
        logger.warning("Webhook endpoint disabled", extra={"webhook_id": hook.id, "user_id": hook.user_id,
                                                           "failing_since": failing_since})
