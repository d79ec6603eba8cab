"""Per-notice rules on top of `accounts.access`: who may change a notice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer
    from gongzhi.notices.models import Notice


def may_manage(user: Viewer | None, notice: Notice) -> bool:
    """Edit, pin or withdraw: the user may publish on every one of the notice's targets
    (a grid worker sees the community's notice that reaches their grid, but may not
    change it)."""
    paths = [t.path for t in notice.targets.all()]
    return bool(paths) and all(access.can(user, Perm.NOTICE_PUBLISH, p) for p in paths)
