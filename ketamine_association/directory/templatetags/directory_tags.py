"""Template helpers of the directory's pages."""

from django import template

from ketamine_association.directory import geo

register = template.Library()


@register.simple_tag
def place_crumbs(state: str, city: str) -> geo.Crumbs:
    """`{% place_crumbs state city as crumbs %}`: crumbs.state and crumbs.city, the labels of
    the two breadcrumbs (geo.place_crumbs says the rule)."""
    return geo.place_crumbs(state=state, city=city)
