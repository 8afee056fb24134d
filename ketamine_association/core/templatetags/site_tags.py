import json

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

# The characters that could end a <script> block or start markup, as JSON escapes.
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.filter
def jsonld(value) -> str:
    """Serialise for <script type="application/ld+json">: valid JSON no field can break out of."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.translate(_JSON_ESCAPES).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return mark_safe(text)  # noqa: S308 - every character that could close the block is escaped


@register.filter
def within(path: str, section: str) -> bool:
    """Whether `path` is the `section` page or below it: /blog/x is within /blog."""
    return path == section or (section != "/" and path.startswith(section.rstrip("/") + "/"))
