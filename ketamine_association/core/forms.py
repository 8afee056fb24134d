"""What every form of the site shares: accessible error messages, and the characters no
typed text may hold."""

from __future__ import annotations

import re

# C0 control characters and DEL: never in a one-line value (a name, an address).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# The same, but tabs and line breaks are allowed: a message, a note.
CONTROL_BUT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class DescribedErrors:
    """A form mixin: after validation, each field in error points at its help and its message
    (aria-describedby), as core/_field.html writes them; Django marks it aria-invalid
    itself."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                field = self.fields[name]
                described = field.widget.attrs.get("aria-describedby", "").split()
                if not described and field.help_text:  # Django's own, which this replaces
                    described.append(f"{self[name].auto_id}_helptext")
                if f"{name}-error" not in described:
                    described.append(f"{name}-error")
                field.widget.attrs["aria-describedby"] = " ".join(described)
