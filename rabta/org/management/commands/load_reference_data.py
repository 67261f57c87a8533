from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rabta.org.reference import load_reference_data


class Command(BaseCommand):
    help = "Load or refresh KP Police reference data (regions, districts, stations, posts) from rabta/org/data."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = load_reference_data()
        except (ValueError, KeyError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"reference data: {report.regions} regions, {report.districts} districts, "
            f"{report.stations} police stations, {report.posts} posts ({report.versions})"
        )
