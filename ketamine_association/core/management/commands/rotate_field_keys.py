from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand

from ketamine_association.core.crypto import rotate_encrypted_fields


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field with the first of FIELD_ENCRYPTION_KEYS (each value "
        "read with whichever key opens it); afterwards the older keys can be removed. "
        "--generate prints a new key and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--generate", action="store_true", help="print a new key and stop")
        parser.add_argument("--batch", type=int, default=500, help="rows a transaction")

    def handle(self, *args, generate: bool, batch: int, **options):
        if generate:
            self.stdout.write(Fernet.generate_key().decode())
            return
        for label, count in rotate_encrypted_fields(batch=batch).items():
            self.stdout.write(f"{label}: {count} row(s) re-encrypted with the first key")
