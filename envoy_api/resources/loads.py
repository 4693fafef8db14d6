"""``LoadsResource`` (``client.loads``): the loads list, one load, and its calls, failed
verifications and active escalations."""

from __future__ import annotations

import builtins

from pydantic import ValidationError

from .. import ids
from .._resource import APIResource
from ..errors import APIResponseValidationError
from ..models import Call, CarrierVerification, Escalation, Load, Page, TabCounts

__all__ = ["LoadsResource"]


class LoadsResource(APIResource):
    """``client.loads``: the loads list, one load, and its calls, verifications, escalations."""

    def tab_counts(self) -> TabCounts:
        """Tab key → count in display order (``GET /loads/tab-counts``)."""
        body = self._request("GET", "loads/tab-counts")
        try:
            return TabCounts.from_wire(body)
        except (ValueError, TypeError, ValidationError) as exc:
            raise APIResponseValidationError(
                "The Envoy API sent tab counts this console cannot read."
            ) from exc

    def list(
        self,
        *,
        tab: str | None = None,
        search: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[Load]:
        """One page of loads, newest update first, optionally in a tab and matching ``search``."""
        params = {"tab": tab or None, "search": (search or "").strip() or None}
        return self._page(Load, "loads", params, page, page_size)

    def retrieve(self, load_id: str) -> Load:
        """One load by id."""
        load_id = ids.check_id(load_id, "load")
        return self._parse(Load, self._request("GET", f"loads/{load_id}"))

    def calls(self, load_id: str) -> builtins.list[Call]:
        """Every call on the load, newest first."""
        load_id = ids.check_id(load_id, "load")
        body = self._request("GET", f"loads/{load_id}/calls")
        return self._parse_list(Call, body)

    def failed_verifications(self, load_id: str) -> builtins.list[CarrierVerification]:
        """The load's failed carrier verifications, newest first."""
        load_id = ids.check_id(load_id, "load")
        body = self._request("GET", f"loads/{load_id}/verifications")
        return self._parse_list(CarrierVerification, body)

    def active_escalations(self, load_id: str) -> builtins.list[Escalation]:
        """The load's ACTIVE escalations, newest first."""
        load_id = ids.check_id(load_id, "load")
        body = self._request("GET", f"loads/{load_id}/escalations")
        return self._parse_list(Escalation, body)
