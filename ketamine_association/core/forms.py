"""What every form of the site shares: accessible error messages."""

from __future__ import annotations


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
