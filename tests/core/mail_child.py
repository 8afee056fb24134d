"""A child process of tests/core/test_mail_queue.py, under the settings its environment names:

python -m tests.core.mail_child enqueue < mail.json   queue one mail as a web request would
                                                       (inside a transaction); prints its id
python -m tests.core.mail_child report                 the queue's rows as JSON
"""

from __future__ import annotations

import json
import os
import sys


def main(command: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    django.setup()
    from django.db import transaction
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from ketamine_association.core.mail import send_transactional

    if command == "enqueue":
        with transaction.atomic():
            print(send_transactional(**json.load(sys.stdin)))
    elif command == "report":
        now = timezone.now()
        rows = [
            {
                "attempt": row.args_kwargs["kwargs"]["attempt"],
                "status": row.status,
                # no run_after is stored as the year 9999: due at once
                "due_in": None
                if row.run_after.year == 9999
                else (row.run_after - now).total_seconds(),
                "return_value": row.return_value,
                "exception": row.exception_class_path,
                "holds_message": "message" in row.args_kwargs["kwargs"],
            }
            for row in DBTaskResult.objects.order_by("enqueued_at")
        ]
        print(json.dumps(rows))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1])
