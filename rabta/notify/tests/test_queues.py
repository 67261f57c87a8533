"""Delivery has its own queue, taken after intake's by every worker not told otherwise."""

from __future__ import annotations

from django.conf import settings

from rabta.celery import app


def test_delivery_tasks_go_to_the_notify_queue_and_intake_to_the_default() -> None:
    for name in ("notify.deliver", "notify.deliver_for_cases", "notify.sweep_outbox"):
        assert app.amqp.router.route({}, name)["queue"].name == "notify"
    for name in ("intake.process_inbound_batch", "intake.process_inbound_event", "cases.check_clocks"):
        assert app.amqp.router.route({}, name)["queue"].name == "celery"


def test_workers_take_intake_first_then_notify() -> None:
    queues = list(app.amqp.queues.values())
    assert [q.name for q in queues] == ["celery", "notify"]
    assert [q.routing_key for q in queues] == ["celery", "notify"]  # each queue its own key: no message lands in both
    if settings.REDIS_URL:
        assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["queue_order_strategy"] == "priority"


def test_a_worker_for_an_unknown_queue_is_refused(capsys) -> None:  # type: ignore[no-untyped-def]
    from rabta.cli import main as rabta_main

    assert rabta_main(["run", "--role", "worker", "--queues", "notify,notfy"]) == 2
    assert "unknown queue notfy; the queues are: celery, notify" in capsys.readouterr().err
