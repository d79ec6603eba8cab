"""The workbench menu's rewards entry: shown to those who hand rewards out or keep the
catalogue (the user's grants are already loaded for the menu: no query)."""

from django import template

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm

register = template.Library()


@register.simple_tag
def rewards_entry(user) -> str:
    """The page the entry opens: "catalogue", "exchange", or "" (no entry)."""
    if access.can(user, Perm.REWARDS_MANAGE):
        return "catalogue"
    if access.can(user, Perm.REWARDS_HAND_OUT):
        return "exchange"
    return ""
